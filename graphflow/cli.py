"""``graphflow`` console entry point: dispatches to one module per subcommand in
``graphflow.commands`` (each defines ``add_parser(subparsers)`` and sets ``run(args) -> int``).

Besides dispatching, ``main`` owns what every command shares: ``--version``, the logging
level (``-q/--quiet``: warnings only; ``-v/--verbose``: debug messages; library modules log
through the stdlib ``logging`` module), a one-line error message instead of a traceback
(``--traceback`` shows it), and quiet exit when the reader of the output goes away
(``graphflow inspect g.pb | head``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import os
import sys
from typing import Any

# subcommand -> module in graphflow.commands
COMMANDS = {
    "render": "render",
    "inspect": "inspect",
    "gradcheck": "gradcheck",
    "ner": "ner",
}

DESCRIPTION = """\
graphflow: a TensorFlow-1-style static-graph deep-learning framework on numpy, for seeing
and trusting backprop. Graphs are TensorFlow GraphDef files (.pb / .pbtxt); these commands
draw them, inspect them (shapes, gradient flow), check their gradients numerically, and
train, evaluate and run the window NER model."""

EPILOG = """\
Run 'graphflow COMMAND --help' for the options of a command, e.g. 'graphflow ner train
--help'. With 'graphflow ner train --logdir runs/tb', training curves, histograms and the
graph can be watched with 'tensorboard --logdir runs/tb'."""


def version() -> str:
    """The installed graphflow version (from the package metadata, as pip reports it)."""
    try:
        return importlib.metadata.version("graphflow")
    except importlib.metadata.PackageNotFoundError:
        return "(unknown: not installed; install it with pip install -e .)"


def add_verbosity(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """``-q/--quiet`` and ``-v/--verbose``; a subcommand's copies do not override the
    top-level ones when absent (``graphflow -q ner train`` and ``graphflow ner train -q``)."""
    default: Any = False if top else argparse.SUPPRESS
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help="print only warnings, errors and final results (no progress "
                            "bars or per-epoch lines)")
    group.add_argument("-v", "--verbose", action="store_true", default=default,
                       help="also print debug messages from graphflow's modules")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphflow", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"graphflow {version()}",
                        help="print graphflow's version and exit")
    add_verbosity(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                help="what to do (each has its own --help)")
    sub.required = True
    for module in COMMANDS.values():
        try:
            mod = importlib.import_module(f"graphflow.commands.{module}")
        except ModuleNotFoundError as err:
            if err.name != f"graphflow.commands.{module}":
                raise
            continue  # not implemented in this build
        mod.add_parser(sub)
    return parser


def configure_logging(quiet: bool, verbose: bool) -> None:
    """Library messages go to stderr: INFO by default, WARNING with --quiet, DEBUG with
    --verbose (graphflow's loggers only; other libraries stay at WARNING)."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if not verbose
                                           else "%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("graphflow")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(getattr(args, "quiet", False), getattr(args, "verbose", False))
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`graphflow inspect g.pb | head`): stop quietly.
        # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass  # stdout is not a real file (e.g. captured by a test)
        return 0
    except Exception as err:  # noqa: BLE001 - print a clean one-line error for CLI users
        if getattr(args, "traceback", False):
            raise
        print(f"graphflow {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
