"""Every public name of the API namespaces (``gf``, ``gf.nn``, ``gf.train``, ``gf.layers``,
``gf.losses``, ``gf.io``, ``gf.viz``, ``gf.debug``, ``gf.test``, ``gf.summary``) has a
docstring of its own, so ``help()`` and the generated reference (``make docs``) explain it.
Constants and dtype objects are documented where they are defined and are not checked."""

from __future__ import annotations

import inspect

import graphflow as gf

NAMESPACES = ["", "nn", "train", "layers", "losses", "io", "viz", "debug", "test", "summary"]


def _public(module):
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


def _own_doc(obj) -> str | None:
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__")
    return obj.__doc__


def test_every_public_function_and_class_has_a_docstring():
    missing = []
    for space in NAMESPACES:
        module = getattr(gf, space) if space else gf
        for name, obj in _public(module):
            if not (_own_doc(obj) or "").strip():
                missing.append(f"gf.{space + '.' if space else ''}{name} "
                               f"({getattr(obj, '__module__', '?')})")
    assert not missing, "public names without a docstring:\n" + "\n".join(missing)
