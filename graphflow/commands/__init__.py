"""Subcommands of the ``graphflow`` CLI, one module each (see ``graphflow.cli``)."""
