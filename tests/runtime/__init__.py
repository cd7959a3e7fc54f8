"""Tests for graphflow.runtime: Session and the compiled-plan executor."""
