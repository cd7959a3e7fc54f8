"""``graphflow`` console entry point: dispatches to one module per subcommand in
``graphflow.commands`` (each defines ``add_parser(subparsers)`` and ``run(args) -> int``)."""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> module in graphflow.commands
COMMANDS = {
    "render": "render",
    "inspect": "inspect",
    "gradcheck": "gradcheck",
    "ner": "ner",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphflow", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - print a clean one-line error for CLI users
        if getattr(args, "traceback", False):
            raise
        print(f"graphflow {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
