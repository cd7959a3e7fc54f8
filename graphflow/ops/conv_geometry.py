"""Window geometry and the numpy building blocks shared by the convolution and pooling ops.

Output sizes and padding follow TensorFlow exactly (``GetWindowedOutputSizeVerbose``):
with the effective window ``k_eff = (k - 1) * d + 1``

- ``VALID``: ``out = (in - k_eff + s) / s`` (C division), an error when negative;
- ``SAME``: ``out = ceil(in / s)``, ``total = max((out - 1) * s + k_eff - in, 0)``,
  ``before = total // 2``, the rest after;
- ``EXPLICIT``: ``out = (in + before + after - k_eff + s) / s`` with the given pads.

Kernels work on NHWC data (NCHW inputs are transposed in and out). ``windows`` is a
strided view ``[N, OH, OW, KH, KW, C]`` of the padded input (no copy); ``im2col`` makes
the one contiguous copy a BLAS matmul needs; ``col2im`` scatters window-shaped values
back by looping over the KH*KW window positions (each a vectorized strided add; there is
no loop over pixels).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
from numpy.lib.stride_tricks import as_strided

PADDINGS = ("SAME", "VALID", "EXPLICIT")
DATA_FORMATS = ("NHWC", "NCHW")

Fail = Callable[[str, str], NoReturn]


def _c_div(a: int, b: int) -> int:
    """Integer division truncating toward zero (C semantics, as TF computes sizes)."""
    q = abs(a) // b
    return q if a >= 0 else -q


def windowed_size(in_size: int | None, k: int, s: int, d: int, padding: str,
                  explicit: tuple[int, int], fail: Fail, axis: str
                  ) -> tuple[int | None, int, int]:
    """(output size, pad before, pad after) along one spatial axis; ``None`` output when
    ``in_size`` is unknown."""
    eff = (k - 1) * d + 1
    if in_size is None:
        return None, 0, 0
    if padding == "SAME":
        out = (in_size + s - 1) // s
        total = max((out - 1) * s + eff - in_size, 0)
        return out, total // 2, total - total // 2
    before, after = explicit if padding == "EXPLICIT" else (0, 0)
    out = _c_div(in_size + before + after - eff + s, s)
    if out < 0:
        fail(f"computed output size would be negative along {axis}: input size {in_size}, "
             f"window {k} (dilation {d}, effective {eff}), stride {s}, padding {padding} "
             f"{list(explicit) if padding == 'EXPLICIT' else ''}".rstrip(),
             "use a smaller window or dilation, padding='SAME', or a larger input")
    return out, before, after


@dataclass(frozen=True)
class Window:
    """The geometry of one 2-D windowed op on an NHWC input of known spatial size."""

    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    out_h: int
    out_w: int
    pad: tuple[tuple[int, int], tuple[int, int]]

    def padded(self, x: np.ndarray, value: Any = 0) -> np.ndarray:
        """``x`` (NHWC) padded spatially (``x`` itself when no padding is needed)."""
        (t, b), (left, r) = self.pad
        if not (t or b or left or r):
            return x
        return np.pad(x, ((0, 0), (t, b), (left, r), (0, 0)), constant_values=value)

    def windows(self, xp: np.ndarray) -> np.ndarray:
        """Read-only strided view [N, OH, OW, KH, KW, C] of the padded input ``xp``."""
        n, _, _, c = xp.shape
        s0, s1, s2, s3 = xp.strides
        return as_strided(xp, (n, self.out_h, self.out_w, self.kh, self.kw, c),
                          (s0, s1 * self.sh, s2 * self.sw, s1 * self.dh, s2 * self.dw, s3),
                          writeable=False)

    def tap(self, xp: np.ndarray, i: int, j: int) -> np.ndarray:
        """The strided slice [N, OH, OW, C] of ``xp`` seen by window position (i, j)."""
        h0, w0 = i * self.dh, j * self.dw
        return xp[:, h0:h0 + (self.out_h - 1) * self.sh + 1:self.sh,
                  w0:w0 + (self.out_w - 1) * self.sw + 1:self.sw, :]

    def im2col(self, xp: np.ndarray) -> np.ndarray:
        """The windows as one contiguous matrix [N*OH*OW, KH*KW*C] (the one copy)."""
        n, c = xp.shape[0], xp.shape[3]
        return np.ascontiguousarray(self.windows(xp)).reshape(
            n * self.out_h * self.out_w, self.kh * self.kw * c)

    def padded_zeros(self, in_shape: Sequence[int], dtype: Any) -> np.ndarray:
        n, h, w, c = in_shape
        (t, b), (left, r) = self.pad
        return np.zeros((n, h + t + b, w + left + r, c), dtype=dtype)

    def crop(self, xp: np.ndarray, in_shape: Sequence[int]) -> np.ndarray:
        """The unpadded region of a padded NHWC array."""
        (t, _), (left, _) = self.pad
        return xp[:, t:t + in_shape[1], left:left + in_shape[2], :]

    def col2im(self, cols: np.ndarray, in_shape: Sequence[int]) -> np.ndarray:
        """Sum window-shaped values ``cols`` [N, OH, OW, KH, KW, C] back onto an NHWC
        array of ``in_shape``: one strided add per window position."""
        xp = self.padded_zeros(in_shape, cols.dtype)
        if self.out_h and self.out_w:
            for i in range(self.kh):
                for j in range(self.kw):
                    self.tap(xp, i, j)[...] += cols[:, :, :, i, j, :]
        return np.ascontiguousarray(self.crop(xp, in_shape))


def window_for(in_h: int, in_w: int, kh: int, kw: int, strides: Sequence[int],
               dilations: Sequence[int], padding: str, explicit: Sequence[int],
               fail: Fail) -> Window:
    """The Window of an NHWC op; ``strides``/``dilations`` are (h, w), ``explicit`` the
    four spatial pads (top, bottom, left, right)."""
    oh, t, b = windowed_size(in_h, kh, strides[0], dilations[0], padding,
                             (explicit[0], explicit[1]), fail, "height")
    ow, left, r = windowed_size(in_w, kw, strides[1], dilations[1], padding,
                                (explicit[2], explicit[3]), fail, "width")
    assert oh is not None and ow is not None
    return Window(kh, kw, strides[0], strides[1], dilations[0], dilations[1], oh, ow,
                  ((t, b), (left, r)))


def spatial(values: Sequence[int], data_format: str) -> tuple[int, int]:
    """The (h, w) entries of a 4-vector in ``data_format``."""
    return (values[1], values[2]) if data_format == "NHWC" else (values[2], values[3])


def spatial_pads(explicit: Sequence[int], data_format: str) -> tuple[int, int, int, int]:
    """The (top, bottom, left, right) pads of TF's 8-entry ``explicit_paddings``."""
    if not explicit:
        return (0, 0, 0, 0)
    p = list(explicit)
    h, w = (1, 2) if data_format == "NHWC" else (2, 3)
    return (p[2 * h], p[2 * h + 1], p[2 * w], p[2 * w + 1])


def to_nhwc(x: np.ndarray, data_format: str) -> np.ndarray:
    return x if data_format == "NHWC" else x.transpose(0, 2, 3, 1)


def from_nhwc(x: np.ndarray, data_format: str) -> np.ndarray:
    return x if data_format == "NHWC" else np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def nhwc_dims(dims: Sequence[int | None], data_format: str) -> list[int | None]:
    """A 4-D shape in ``data_format`` reordered to NHWC."""
    d = list(dims)
    return d if data_format == "NHWC" else [d[0], d[2], d[3], d[1]]


def nhwc_ints(shape: Sequence[int], data_format: str) -> tuple[int, int, int, int]:
    """A concrete 4-D shape in ``data_format`` reordered to NHWC."""
    n, a, b, c = (int(d) for d in shape)
    return (n, a, b, c) if data_format == "NHWC" else (n, b, c, a)


def from_nhwc_dims(dims: Sequence[int | None], data_format: str) -> list[int | None]:
    d = list(dims)
    return d if data_format == "NHWC" else [d[0], d[3], d[1], d[2]]


def check_window_attrs(attr: Callable[[str], Any], fail: Fail, *, vector: str,
                       explicit_ok: bool = True, dilations: bool = True
                       ) -> tuple[str, list[int], list[int], str, list[int]]:
    """Validate TF's window attrs of a 4-D op and return (data_format, strides, dilations,
    padding, explicit_paddings). ``vector`` names the 4-vector attr (``strides`` or
    ``ksize``), checked here as well as ``strides``."""
    fmt = attr("data_format")
    if fmt not in DATA_FORMATS:
        fail(f"data_format must be 'NHWC' or 'NCHW', got {fmt!r}",
             "use 'NHWC' (channels last) or 'NCHW' (channels first)")
    names = ["strides"] + ([vector] if vector != "strides" else [])
    if dilations:
        names.append("dilations")
    values: dict[str, list[int]] = {}
    batch, chan = (0, 3) if fmt == "NHWC" else (0, 1)
    for name in names:
        v = attr(name)
        if not isinstance(v, (list, tuple)) or len(v) != 4 or \
                not all(isinstance(i, int) for i in v):
            fail(f"attr '{name}' must be a list of 4 ints, got {v!r}",
                 f"give one entry per dimension of the {fmt} input, e.g. [1, 2, 2, 1]")
        if any(i < 1 for i in v):
            fail(f"attr '{name}' must be positive, got {list(v)}", "use entries >= 1")
        if v[batch] != 1 or v[chan] != 1:
            fail(f"attr '{name}' = {list(v)} has an entry != 1 on the batch or channel "
                 f"dimension ({fmt}); TensorFlow does not support that",
                 "use 1 for the batch and channel entries")
        values[name] = list(v)
    padding = attr("padding")
    allowed = PADDINGS if explicit_ok else PADDINGS[:2]
    if padding not in allowed:
        fail(f"padding must be one of {', '.join(allowed)}, got {padding!r}",
             "use 'SAME' (output size ceil(in / stride)) or 'VALID' (no padding)")
    explicit = list(attr("explicit_paddings") or []) if explicit_ok else []
    if padding == "EXPLICIT":
        if len(explicit) != 8 or any(p < 0 for p in explicit):
            fail(f"explicit_paddings must be 8 non-negative ints (before/after per "
                 f"dimension) with padding='EXPLICIT', got {explicit}",
                 "e.g. [0, 0, 1, 1, 2, 2, 0, 0] for NHWC")
        if explicit[2 * batch] or explicit[2 * batch + 1] or explicit[2 * chan] or \
                explicit[2 * chan + 1]:
            fail(f"explicit_paddings {explicit} pads the batch or channel dimension",
                 "pad only the spatial dimensions")
    elif explicit:
        fail(f"explicit_paddings {explicit} is given but padding is {padding!r}",
             "set padding='EXPLICIT' or drop explicit_paddings")
    return (fmt, values["strides"], values.get("dilations", [1, 1, 1, 1]), padding,
            explicit)
