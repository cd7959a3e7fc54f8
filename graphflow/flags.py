"""``tf.app.flags`` / ``tf.flags``: ``DEFINE_string``, ``DEFINE_integer``, ``DEFINE_float``,
``DEFINE_boolean`` (``DEFINE_bool``), ``DEFINE_list``, ``DEFINE_enum`` and ``FLAGS``. Values
are parsed from the command line by ``argparse`` when ``app.run`` starts (or on the first
read of ``FLAGS.x``, as TF 1.x did); ``--name=value``, ``--name value``, ``--flag`` /
``--noflag`` for booleans. Unknown arguments are left for the program (``main(argv)``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("1", "true", "t", "yes", "y"):
        return True
    if low in ("0", "false", "f", "no", "n"):
        return False
    raise argparse.ArgumentTypeError(f"'{text}' is not a boolean (use true/false)")


def _list(text: str) -> list[str]:
    return [p for p in text.split(",") if p] if text else []


class _FlagValues:
    """``FLAGS``: one attribute per defined flag."""

    def __init__(self) -> None:
        object.__setattr__(self, "_defs", {})      # name -> (default, parse fn, help)
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_parsed", False)

    def define(self, name: str, default: Any, help_text: str, parse: Any) -> None:
        if name in self._defs:
            raise ValueError(f"flag --{name} is defined twice")
        self._defs[name] = (default, parse, help_text)
        self._values[name] = default

    def __call__(self, argv: Sequence[str]) -> list[str]:
        """Parse ``argv`` (``argv[0]`` is the program); returns the unparsed arguments."""
        parser = argparse.ArgumentParser(prog=argv[0] if argv else None)
        for name, (default, parse, help_text) in self._defs.items():
            if parse is _bool:
                parser.add_argument(f"--{name}", nargs="?", const=True, default=default,
                                    type=_bool, help=help_text)
                parser.add_argument(f"--no{name}", dest=name, action="store_false")
            else:
                parser.add_argument(f"--{name}", default=default, type=parse, help=help_text)
        known, rest = parser.parse_known_args(list(argv[1:]))
        self._values.update(vars(known))
        object.__setattr__(self, "_parsed", True)
        return list(argv[:1]) + rest

    def is_parsed(self) -> bool:
        return bool(self._parsed)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._defs:
            raise AttributeError(f"no flag --{name} is defined (define it with "
                                 f"flags.DEFINE_string('{name}', default, 'help') or the "
                                 "DEFINE_integer/float/boolean/list of its type)")
        if not self._parsed:
            self(sys.argv)
        return self._values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._defs:
            raise AttributeError(f"no flag --{name} is defined")
        self._values[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self._defs

    def flag_values_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def reset(self) -> None:
        """Forget every flag (for tests and notebooks that re-run their definitions)."""
        self._defs.clear()
        self._values.clear()
        object.__setattr__(self, "_parsed", False)


FLAGS = _FlagValues()


def DEFINE_string(name: str, default: str | None, help: str = "") -> None:  # noqa: N802, A002
    FLAGS.define(name, default, help, str)


def DEFINE_integer(name: str, default: int | None, help: str = "") -> None:  # noqa: N802, A002
    FLAGS.define(name, default, help, int)


def DEFINE_float(name: str, default: float | None, help: str = "") -> None:  # noqa: N802, A002
    FLAGS.define(name, default, help, float)


def DEFINE_boolean(name: str, default: bool | None, help: str = "") -> None:  # noqa: N802, A002
    FLAGS.define(name, default, help, _bool)


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name: str, default: Any, help: str = "") -> None:  # noqa: N802, A002
    FLAGS.define(name, _list(default) if isinstance(default, str) else default, help, _list)


def DEFINE_enum(name: str, default: str | None, enum_values: Sequence[str],  # noqa: N802
                help: str = "") -> None:  # noqa: A002
    allowed = list(enum_values)

    def parse(text: str) -> str:
        if text not in allowed:
            raise argparse.ArgumentTypeError(f"--{name} must be one of {allowed}, got '{text}'")
        return text
    FLAGS.define(name, default, help, parse)
