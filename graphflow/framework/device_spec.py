"""Device strings as TF1 records them in ``NodeDef.device``: ``"/cpu:0"`` and
``"/device:CPU:0"`` become ``"/device:CPU:0"``; ``/job:``, ``/replica:``, ``/task:`` parts are
kept; a nested ``device()`` overrides only the fields it names (TF1's merge). graphflow runs
every node on the CPU whatever the string says: the device is recorded so GraphDefs keep it
and TensorFlow sees it, never used for placement."""

from __future__ import annotations

import re

_PART = re.compile(r"^(?:(job):(\w[\w-]*)|(replica|task):(\d+)|(cpu|gpu|CPU|GPU):(\d+|\*)|"
                   r"(device):((?:cpu|gpu|CPU|GPU):(?:\d+|\*)|\w+:\d+))$")
_ORDER = ("job", "replica", "task", "device")


def parse(spec: str) -> dict[str, str]:
    """``"/job:w/task:1/gpu:0"`` -> ``{"job": "w", "task": "1", "device": "GPU:0"}``; a
    malformed string is a ValueError naming it."""
    fields: dict[str, str] = {}
    for part in (p for p in spec.split("/") if p):
        m = _PART.match(part)
        if m is None:
            raise ValueError(f"'{spec}' is not a device string (expected e.g. '/cpu:0', "
                             "'/device:GPU:0', '/job:worker/task:0')")
        groups = [g for g in m.groups() if g is not None]
        key, value = groups[0], groups[1]
        if key.lower() in ("cpu", "gpu"):
            key, value = "device", f"{key.upper()}:{value or '0'}"
        elif key == "device":
            kind, _, index = value.partition(":")
            value = f"{kind.upper()}:{index or '0'}" if kind.lower() in ("cpu", "gpu") \
                else value
        fields[key] = value
    return fields


def merge(outer: str, inner: str) -> str:
    """The device string ``inner`` means inside ``outer`` (inner fields win)."""
    fields = parse(outer)
    fields.update(parse(inner))
    return "".join(f"/{k}:{fields[k]}" for k in _ORDER if k in fields)


def is_gpu(spec: str) -> bool:
    return parse(spec).get("device", "").startswith("GPU")
