"""Tests for graphflow.proto: generated code and TensorFlow field numbers."""
