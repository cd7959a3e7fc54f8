"""The gradient-flow report along time: ``d loss / d h_t`` for every time step of an RNN.

CS224N's vanishing-gradient picture: how strongly does the loss at the last step depend on
the hidden state ``t`` steps back? The technique works inside a ``while_loop``:

  1. ``probed_rnn(cell, inputs)`` runs the cell over time-major ``inputs`` ([T, B, D]) and
     adds a zero *probe* to the hidden state at every step, ``h_t' = h_t + probe[t]``; the
     probe is a ``placeholder_with_default`` of zeros of shape [T, B, H], read inside the
     loop from a TensorArray (``gf.nn.dynamic_rnn`` when it is available, else the same
     while_loop written here), so the model computes exactly what it computed before;
  2. ``time_axis_gradients(session, loss, probe, feed_dict)`` takes ``gf.gradients(loss,
     probe)``: its t-th slice is ``dL/dh_t`` (the total derivative through every later
     step), and reports per step the L2 norm over batch and units (averaged over the feed
     dicts). Let the loss depend on the last (or a late) step only, so the norms show the
     decay over the distance from the loss;
  3. ``render_time_axis({"vanilla RNN": a, "GRU": b}, "grads.png")`` draws the norms on a
     log scale against t (.svg text, or .png written here with numpy and
     ``summary_ops.encode_png``: graphflow's graph pictures are Graphviz drawings, which
     cannot draw a chart), with a heat strip per series in the colours of the gradient heat
     map of ``debug.picture``;
  4. ``write_time_axis(writer, series)`` writes, for a ``gf.summary.FileWriter``, one scalar
     per time step (TensorBoard's step axis is t) and the picture as an image summary.

Definitions: ``norms[t] = ||dL/dh_t||_2`` over the [B, H] slice; ``rate`` is the factor per
step back in time of a least-squares fit of ``log10 norms[t]`` over t (below 1: the
gradient shrinks with the distance from the loss); ``vanishing`` when
``norms[0] < vanish_ratio * norms[-1]`` (1e-3).
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.compiler.gradients import gradients
from graphflow.debug.picture import heat_color
from graphflow.debug.tables import format_table
from graphflow.framework import dtypes
from graphflow.framework.graph import Graph
from graphflow.framework.indexed_slices import as_dense
from graphflow.framework.tensor import Tensor
from graphflow.ops import array_ops, control_flow, layout_ops, math_ops, op_builder, rnn
from graphflow.ops.rnn_cell_impl import LSTMStateTuple, assert_like_rnncell
from graphflow.ops.strided_slice_ops import getitem
from graphflow.ops.summary_ops import encode_png
from graphflow.ops.tensor_array import TensorArray
from graphflow.ops.variable_scope import variable_scope
from graphflow.proto import summary_pb2

#: Series colours of the pictures (blue, red, green, purple, orange, grey).
COLORS = ("#3b4cc0", "#b40426", "#15803d", "#7e22ce", "#d97706", "#4b5563")


# ----------------------------------------------------------------------------------------
# Building: the probed recurrence
# ----------------------------------------------------------------------------------------


class ProbedCell:
    """Wraps an RNN cell: inputs are ``(x_t, probe_t)``; the hidden state (the output, and
    ``h`` of an ``LSTMStateTuple``) gets ``probe_t`` added. Variables and scopes are the
    wrapped cell's."""

    def __init__(self, cell: Any) -> None:
        assert_like_rnncell("cell", cell)
        self.cell = cell

    @property
    def state_size(self) -> Any:
        return self.cell.state_size

    @property
    def output_size(self) -> Any:
        return self.cell.output_size

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        return self.cell.zero_state(batch_size, dtype)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        x_t, probe_t = inputs
        output, new_state = self.cell(x_t, state, scope=scope)
        if isinstance(new_state, LSTMStateTuple):
            h = new_state.h + probe_t
            return h, LSTMStateTuple(new_state.c, h)
        if isinstance(new_state, Tensor) and new_state is output:
            h = output + probe_t
            return h, h
        if isinstance(new_state, Tensor) and isinstance(output, Tensor):
            # Output and state differ (a wrapper): probe the state that is carried on.
            return output, new_state + probe_t
        raise TypeError(f"ProbedCell: {type(self.cell).__name__} has state {new_state!r}; "
                        "probes are supported for one-tensor states (BasicRNNCell, GRUCell) "
                        "and LSTMStateTuple states (BasicLSTMCell, LSTMCell)")


@dataclass(frozen=True)
class ProbedRNN:
    """What ``probed_rnn`` built: ``outputs`` [T, B, H] (time-major), ``final_state``,
    ``probe`` (zeros by default; ``gradients(loss, probe)[t]`` is ``dL/dh_t``)."""

    outputs: Tensor
    final_state: Any
    probe: Tensor
    driver: str  # "dynamic_rnn" or "while_loop"

    @property
    def last_output(self) -> Tensor:
        return getitem(self.outputs, -1)


def probed_rnn(cell: Any, inputs: Any, initial_state: Any = None, dtype: Any = None,
               scope: Any = None, use_dynamic_rnn: bool | None = None) -> ProbedRNN:
    """Run ``cell`` over time-major ``inputs`` [T, B, D] (static T and D) with a zero probe
    added to the hidden state at every step (see the module doc). ``use_dynamic_rnn``:
    None uses ``gf.nn.dynamic_rnn`` when graphflow has it, False the while_loop here."""
    x = op_builder.convert_to_tensor(inputs)
    graph = x.graph
    shape = x.shape
    if shape.rank != 3 or shape[0] is None or shape[2] is None:
        raise ValueError(f"probed_rnn: inputs '{x.name}' have shape {shape}; they must be "
                         "time-major [T, B, D] with static T and D (transpose batch-major "
                         "inputs with gf.transpose(x, [1, 0, 2]))")
    units = cell.output_size
    if not isinstance(units, int) or not (isinstance(cell.state_size, int)
                                          or _is_lstm_size(cell.state_size)):
        raise ValueError(f"probed_rnn: {type(cell).__name__} has output_size {units!r} and "
                         f"state_size {cell.state_size!r}; probes need one hidden vector per "
                         "step (BasicRNNCell, GRUCell, BasicLSTMCell, LSTMCell)")
    dtype = dtypes.as_dtype(dtype) if dtype is not None else x.dtype
    steps = int(shape[0])
    with graph.as_default():
        batch: Any = shape[1] if shape[1] is not None else getitem(array_ops.shape(x), 1)
        probe_shape: Any = [steps, batch, units] if isinstance(batch, int) else \
            layout_ops.stack([steps, batch, units])
        probe = array_ops.placeholder_with_default(
            array_ops.zeros(probe_shape, dtype=dtype, name="probe_zeros"),
            [steps, shape[1], units], name="probe")
        wrapped = ProbedCell(cell)
        dynamic = getattr(rnn, "dynamic_rnn", None)
        if use_dynamic_rnn is None:
            use_dynamic_rnn = dynamic is not None
        if use_dynamic_rnn:
            if dynamic is None:
                raise ValueError("probed_rnn: use_dynamic_rnn=True, but graphflow has no "
                                 "gf.nn.dynamic_rnn yet; pass use_dynamic_rnn=None")
            outputs, final = dynamic(wrapped, (x, probe), initial_state=initial_state,
                                     dtype=dtype, time_major=True, scope=scope)
            return ProbedRNN(outputs, final, probe, "dynamic_rnn")
        with variable_scope(scope or "rnn"):
            state = initial_state if initial_state is not None else \
                cell.zero_state(batch, dtype)
            outputs, final = _loop(wrapped, x, probe, state, steps, units, dtype)
        return ProbedRNN(outputs, final, probe, "while_loop")


def _is_lstm_size(size: Any) -> bool:
    return isinstance(size, LSTMStateTuple) and all(isinstance(s, int) for s in size)


def _loop(cell: ProbedCell, x: Tensor, probe: Tensor, state: Any, steps: int, units: int,
          dtype: dtypes.DType) -> tuple[Tensor, Any]:
    """The recurrence as a while_loop over TensorArrays (time-major)."""
    xs = TensorArray(x.dtype, size=steps, element_shape=x.shape[1:]).unstack(x)
    ps = TensorArray(dtype, size=steps, element_shape=probe.shape[1:]).unstack(probe)
    out = TensorArray(dtype, size=steps, element_shape=probe.shape[1:])

    def body(t: Tensor, out_ta: TensorArray, state: Any) -> tuple[Any, ...]:
        x_t, p_t = xs.read(t), ps.read(t)
        x_t.set_shape(x.shape[1:])
        p_t.set_shape(probe.shape[1:])
        output, new_state = cell((x_t, p_t), state)
        return math_ops.add(t, 1), out_ta.write(t, output), new_state

    _, out, final = control_flow.while_loop(
        lambda t, *_: t < steps, body,
        (op_builder.constant(0, dtype=dtypes.int32, name="time"), out, state))
    outputs = out.stack()
    outputs.set_shape(probe.shape)
    return outputs, final


# ----------------------------------------------------------------------------------------
# Measuring: per-step gradient norms
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeAxisGradients:
    """``d loss / d h_t`` per time step (see the module doc for the definitions)."""

    loss: str
    probe: str
    norms: tuple[float, ...]  # ||dL/dh_t||_2 per step, averaged over the feed dicts
    losses: tuple[float, ...]  # the loss per feed dict
    gradients: tuple[np.ndarray, ...]  # dL/dprobe per feed dict, [T, B, H]
    vanish_ratio: float = 1e-3

    @property
    def steps(self) -> int:
        return len(self.norms)

    @property
    def ratio(self) -> float:
        """``norms[0] / norms[-1]``: the first step's gradient relative to the last's."""
        last = self.norms[-1] if self.norms else 0.0
        return self.norms[0] / last if last > 0 else float("nan")

    @property
    def rate(self) -> float:
        """Factor per step back in time (``norms[t-1] / norms[t]``) of the least-squares
        line through ``log10 norms[t]`` (positive, finite norms only; NaN with fewer than
        two): below 1 the gradient shrinks with the distance from the loss."""
        pts = [(t, math.log10(n)) for t, n in enumerate(self.norms)
               if n > 0 and math.isfinite(n)]
        if len(pts) < 2:
            return float("nan")
        t, y = np.array(pts).T
        return float(10 ** -np.polyfit(t, y, 1)[0])

    @property
    def vanishing(self) -> bool:
        return bool(self.norms) and self.norms[-1] > 0 and \
            self.norms[0] < self.vanish_ratio * self.norms[-1]

    def to_table(self, every: int = 1) -> str:
        """Per-step norms (every ``every``-th step and the last) with the summary lines."""
        steps = sorted(set(range(0, self.steps, max(every, 1))) | {self.steps - 1})
        rows = [[str(t), str(self.steps - 1 - t), _num(self.norms[t]),
                 _num(self.norms[t] / self.norms[-1] if self.norms[-1] > 0 else float("nan"))]
                for t in steps]
        head = (f"d '{self.loss}' / d h_t over {self.steps} steps (probe '{self.probe}', "
                f"{len(self.losses)} batch(es)): per-step factor {_num(self.rate)}, "
                f"first/last {_num(self.ratio)}")
        flag = ("[vanishing] the gradient at step 0 is below "
                f"{self.vanish_ratio:g} of the last step's" if self.vanishing else
                "no vanishing over these steps")
        table = format_table(["t", "steps to loss", "||dL/dh_t||", "/ last"], rows)
        return "\n".join([head, table, flag])

    def __str__(self) -> str:
        return self.to_table()


_GRADIENTS: weakref.WeakKeyDictionary[Graph, dict[tuple[str, str], Tensor]] = \
    weakref.WeakKeyDictionary()


def probe_gradient(loss: Tensor, probe: Tensor) -> Tensor:
    """``gf.gradients(loss, probe)[0]``, built once per (graph, loss, probe)."""
    cache = _GRADIENTS.setdefault(loss.graph, {})
    key = (loss.name, probe.name)
    if key not in cache:
        with loss.graph.as_default():
            # The default "gradients" scope: TensorArray gradients inside loops need it.
            (found,) = gradients(loss, [probe])
        if found is None:
            raise ValueError(f"time_axis_gradients: loss '{loss.name}' does not depend on the "
                             f"probe '{probe.name}'; build the RNN with probed_rnn and make "
                             "the loss from its outputs or final state")
        cache[key] = op_builder.dense(found)
    return cache[key]


def time_axis_gradients(session: Any, loss: Tensor, probe: Tensor, feed_dict: Any = None,
                        vanish_ratio: float = 1e-3) -> TimeAxisGradients:
    """``dL/dh_t`` norms per time step: ``probe`` from ``probed_rnn`` (or any [T, ...] tensor
    added to the hidden states), ``feed_dict`` one feed dict or a list (one per batch). The
    probe keeps its zero default unless the feed dict gives it a value."""
    if not isinstance(loss, Tensor) or not isinstance(probe, Tensor):
        raise TypeError("time_axis_gradients: loss and probe must be Tensors, got "
                        f"{type(loss).__name__} and {type(probe).__name__}")
    if not loss.dtype.is_floating or probe.shape.rank is None or probe.shape.rank < 1:
        raise ValueError(f"time_axis_gradients: loss '{loss.name}' ({loss.dtype.name}) must be "
                         f"floating point and probe '{probe.name}' ({probe.shape}) at least "
                         "rank 1 with time on axis 0")
    grad = probe_gradient(loss, probe)
    batches = [feed_dict or {}] if feed_dict is None or isinstance(feed_dict, Mapping) \
        else list(feed_dict)
    losses, grads, norms = [], [], []
    for feed in batches:
        value, g = session.run([loss, grad], feed)
        g = as_dense(g, np.float64)
        losses.append(float(np.sum(value)))
        grads.append(g)
        norms.append(np.linalg.norm(g.reshape(g.shape[0], -1), axis=1))
    mean = np.mean(np.stack(norms), axis=0) if norms else np.zeros(0)
    return TimeAxisGradients(loss.name, probe.name, tuple(float(v) for v in mean),
                             tuple(losses), tuple(grads), vanish_ratio)


# ----------------------------------------------------------------------------------------
# Pictures: one drawing, two writers (SVG text, PNG pixels)
# ----------------------------------------------------------------------------------------

Series = Mapping[str, "TimeAxisGradients | Sequence[float]"]


@dataclass(frozen=True)
class _Shape:
    kind: str  # "rect", "line", "text"
    points: tuple[tuple[float, float], ...]
    color: str
    width: float = 1.0
    text: str = ""
    size: int = 12
    anchor: str = "start"  # text: start, middle, end


def _norms_of(value: Any) -> list[float]:
    return list(value.norms) if isinstance(value, TimeAxisGradients) else \
        [float(v) for v in value]


def _chart(series: Series, title: str, width: int, height: int) -> list[_Shape]:
    named = {name: _norms_of(v) for name, v in series.items()}
    if not named or not any(named.values()):
        raise ValueError("render_time_axis: no series (or only empty ones) to draw")
    steps = max(len(v) for v in named.values())
    good = [v for vs in named.values() for v in vs if v > 0 and math.isfinite(v)]
    lo = math.floor(math.log10(min(good))) if good else -1
    hi = math.ceil(math.log10(max(good))) if good else 0
    hi = max(hi, lo + 1)
    strip_h = 14
    left, right, top = 104, 28, 40
    bottom = 58 + strip_h * len(named) + 6
    pw, ph = width - left - right, height - top - bottom
    if pw < 50 or ph < 50:
        raise ValueError(f"render_time_axis: {width}x{height} is too small for the chart")

    def px(t: float) -> float:
        return left + (t / max(steps - 1, 1)) * pw

    def py(v: float) -> float:
        return top + ph - (math.log10(v) - lo) / (hi - lo) * ph

    out = [_Shape("rect", ((0, 0), (width, height)), "#ffffff"),
           _Shape("text", ((width / 2, 20),), "#111111", text=title, size=14, anchor="middle")]
    decades = list(range(lo, hi + 1))
    stride = max(1, math.ceil(len(decades) / 8))
    for d in decades:
        y = py(10.0 ** d)
        out.append(_Shape("line", ((left, y), (left + pw, y)), "#e5e7eb"))
        if (d - lo) % stride == 0:
            out.append(_Shape("text", ((left - 6, y + 4),), "#374151", text=f"1e{d}",
                              anchor="end"))
    for t in _ticks(steps):
        x = px(t)
        out.append(_Shape("line", ((x, top + ph), (x, top + ph + 4)), "#374151"))
        out.append(_Shape("text", ((x, top + ph + 17),), "#374151", text=str(t),
                          anchor="middle"))
    out.append(_Shape("line", ((left, top), (left, top + ph), (left + pw, top + ph)),
                      "#374151"))
    out.append(_Shape("text", ((left + pw / 2, top + ph + 33),), "#374151",
                      text="time step t (the loss reads the last step)", anchor="middle"))
    out.append(_Shape("text", ((8, top - 8),), "#374151", text="||dL/dh_t|| (log)"))
    for i, (name, norms) in enumerate(named.items()):
        color = COLORS[i % len(COLORS)]
        pts = [(px(t), py(v)) for t, v in enumerate(norms) if v > 0 and math.isfinite(v)]
        if len(pts) > 1:
            out.append(_Shape("line", tuple(pts), color, width=2.0))
        for x, y in pts:
            out.append(_Shape("rect", ((x - 2, y - 2), (x + 2, y + 2)), color))
        ly = top + 12 + 16 * i
        out.append(_Shape("rect", ((left + pw - 150, ly - 7), (left + pw - 138, ly + 1)), color))
        out.append(_Shape("text", ((left + pw - 132, ly + 2),), "#111111", text=name))
        sy = top + ph + 44 + strip_h * i
        out.append(_Shape("text", ((left - 6, sy + strip_h - 1),), "#374151", text=name[:12],
                          size=11, anchor="end"))
        for t, v in enumerate(norms):
            frac = (math.log10(v) - lo) / (hi - lo) if v > 0 and math.isfinite(v) else 0.0
            x0 = px(t - 0.5) if t > 0 else left
            x1 = px(t + 0.5) if t < steps - 1 else left + pw
            out.append(_Shape("rect", ((x0, sy), (x1, sy + strip_h - 2)), heat_color(frac)))
    return out


def _ticks(steps: int) -> list[int]:
    if steps <= 1:
        return [0]
    stride = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 10 ** 9)
                  if (steps - 1) / s <= 10)
    ticks = list(range(0, steps, stride))
    return ticks if ticks[-1] == steps - 1 or steps - 1 - ticks[-1] < stride / 2 \
        else ticks + [steps - 1]


def time_axis_svg(series: Series, title: str = "gradient norm per time step",
                  width: int = 720, height: int = 440) -> str:
    """The chart as SVG text: ``series`` maps a name to a ``TimeAxisGradients`` or norms."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif">']
    for s in _chart(series, title, width, height):
        if s.kind == "rect":
            (x0, y0), (x1, y1) = s.points
            out.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
                       f'height="{y1 - y0:.1f}" fill="{s.color}"/>')
        elif s.kind == "line":
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in s.points)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{s.color}" '
                       f'stroke-width="{s.width:g}"/>')
        else:
            (x, y), = s.points
            out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{s.size}" '
                       f'text-anchor="{s.anchor}" fill="{s.color}">{_escape(s.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def time_axis_image(series: Series, title: str = "gradient norm per time step",
                    width: int = 720, height: int = 440) -> np.ndarray:
    """The chart as uint8 RGB pixels [height, width, 3] (a small bitmap font for text)."""
    img = np.zeros((height, width, 3), dtype=np.uint8)
    for s in _chart(series, title, width, height):
        rgb = _rgb(s.color)
        if s.kind == "rect":
            (x0, y0), (x1, y1) = s.points
            r0, r1 = _clip(round(y0), height), _clip(round(y1), height)
            c0, c1 = _clip(round(x0), width), _clip(round(x1), width)
            img[r0:max(r1, r0 + 1), c0:max(c1, c0 + 1)] = rgb
        elif s.kind == "line":
            _polyline(img, s.points, rgb, max(1, round(s.width)))
        else:
            _text(img, s.points[0], s.text, rgb, 2 if s.size >= 11 else 1, s.anchor)
    return img


def time_axis_png(series: Series, title: str = "gradient norm per time step",
                  width: int = 720, height: int = 440) -> bytes:
    """The chart as PNG file bytes."""
    return encode_png(time_axis_image(series, title, width, height))


def render_time_axis(series: Series, path: str | os.PathLike[str],
                     title: str = "gradient norm per time step", width: int = 720,
                     height: int = 440) -> Path:
    """Write the chart to ``path`` (.svg or .png); returns the path."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".svg":
        out.write_text(time_axis_svg(series, title, width, height), encoding="utf-8")
    elif suffix == ".png":
        out.write_bytes(time_axis_png(series, title, width, height))
    else:
        raise ValueError(f"render_time_axis: '{out}' must end in .svg or .png")
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)


def _clip(v: int, n: int) -> int:
    return min(max(v, 0), n)


def _polyline(img: np.ndarray, points: Sequence[tuple[float, float]], rgb: np.ndarray,
              pen: int) -> None:
    h, w = img.shape[:2]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = int(max(abs(x1 - x0), abs(y1 - y0))) * 2 + 2
        xs = np.rint(np.linspace(x0, x1, n)).astype(int)
        ys = np.rint(np.linspace(y0, y1, n)).astype(int)
        for dy in range(-(pen // 2), pen - pen // 2):
            for dx in range(-(pen // 2), pen - pen // 2):
                yy, xx = ys + dy, xs + dx
                ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
                img[yy[ok], xx[ok]] = rgb


#: A 3x5 bitmap font (M, N, W wider), rows top to bottom; text is drawn upper-case.
_GLYPHS = {
    "0": "111 101 101 101 111", "1": "010 110 010 010 111", "2": "111 001 111 100 111",
    "3": "111 001 111 001 111", "4": "101 101 111 001 001", "5": "111 100 111 001 111",
    "6": "111 100 111 101 111", "7": "111 001 001 010 010", "8": "111 101 111 101 111",
    "9": "111 101 111 001 111", "A": "010 101 111 101 101", "B": "110 101 110 101 110",
    "C": "011 100 100 100 011", "D": "110 101 101 101 110", "E": "111 100 110 100 111",
    "F": "111 100 110 100 100", "G": "011 100 101 101 011", "H": "101 101 111 101 101",
    "I": "111 010 010 010 111", "J": "001 001 001 101 010", "K": "101 101 110 101 101",
    "L": "100 100 100 100 111", "M": "10001 11011 10101 10001 10001",
    "N": "1001 1101 1011 1001 1001", "O": "010 101 101 101 010", "P": "110 101 110 100 100",
    "Q": "010 101 101 110 011", "R": "110 101 110 101 101", "S": "011 100 010 001 110",
    "T": "111 010 010 010 010", "U": "101 101 101 101 111", "V": "101 101 101 101 010",
    "W": "10001 10001 10101 11011 10001", "X": "101 101 010 101 101",
    "Y": "101 101 010 010 010", "Z": "111 001 010 100 111", " ": "00 00 00 00 00",
    ".": "0 0 0 0 1", ",": "0 0 0 1 1", "-": "000 000 111 000 000", "+": "000 010 111 010 000",
    "/": "001 001 010 100 100", "_": "000 000 000 000 111", ":": "0 1 0 1 0",
    "(": "01 10 10 10 01", ")": "10 01 01 01 10", "=": "000 111 000 111 000",
    "|": "1 1 1 1 1", "%": "101 001 010 100 101", "'": "1 1 0 0 0", "?": "111 001 010 000 010",
}


def _glyph(ch: str) -> np.ndarray:
    rows = _GLYPHS.get(ch.upper(), _GLYPHS["?"]).split()
    return np.array([[c == "1" for c in row] for row in rows], dtype=bool)


def _text(img: np.ndarray, at: tuple[float, float], text: str, rgb: np.ndarray, scale: int,
          anchor: str) -> None:
    glyphs = [_glyph(ch) for ch in text]
    total = sum((g.shape[1] + 1) * scale for g in glyphs) - scale if glyphs else 0
    x = round(at[0]) - {"start": 0, "middle": total // 2, "end": total}.get(anchor, 0)
    y = round(at[1]) - 5 * scale
    h, w = img.shape[:2]
    for g in glyphs:
        big = np.kron(g, np.ones((scale, scale), dtype=bool))
        ys, xs = np.nonzero(big)
        ys, xs = ys + y, xs + x
        ok = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
        img[ys[ok], xs[ok]] = rgb
        x += (g.shape[1] + 1) * scale


# ----------------------------------------------------------------------------------------
# TensorBoard: scalars per step and the picture
# ----------------------------------------------------------------------------------------


def time_axis_summaries(series: Series, prefix: str = "time_axis"
                        ) -> list[tuple[int, summary_pb2.Summary]]:
    """``(t, Summary)`` per time step: ``<prefix>/<name>/grad_norm`` and ``log10_grad_norm``
    of each series at step t (non-finite or zero norms are left out of the log)."""
    named = {_tag(name): _norms_of(v) for name, v in series.items()}
    steps = max((len(v) for v in named.values()), default=0)
    out = []
    for t in range(steps):
        summary = summary_pb2.Summary()
        for name, norms in named.items():
            if t < len(norms) and math.isfinite(norms[t]):
                summary.value.add(tag=f"{prefix}/{name}/grad_norm", simple_value=norms[t])
                if norms[t] > 0:
                    summary.value.add(tag=f"{prefix}/{name}/log10_grad_norm",
                                      simple_value=math.log10(norms[t]))
        out.append((t, summary))
    return out


def time_axis_image_summary(series: Series, tag: str = "time_axis/picture",
                            title: str = "gradient norm per time step") -> summary_pb2.Summary:
    """One image summary value: the chart as a PNG."""
    img = time_axis_image(series, title)
    summary = summary_pb2.Summary()
    value = summary.value.add(tag=tag)
    value.image.height, value.image.width, value.image.colorspace = img.shape[0], img.shape[1], 3
    value.image.encoded_image_string = encode_png(img)
    return summary


def write_time_axis(writer: Any, series: Series, step: int = 0, prefix: str = "time_axis",
                    title: str = "gradient norm per time step") -> None:
    """Write the per-step scalars (global step = time step t) and, at ``step``, the picture
    through ``writer.add_summary`` (a ``gf.summary.FileWriter``), then flush."""
    for t, summary in time_axis_summaries(series, prefix):
        writer.add_summary(summary, t)
    writer.add_summary(time_axis_image_summary(series, f"{prefix}/picture", title), step)
    writer.flush()


def _tag(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name.strip()) or "series"


def _num(v: float) -> str:
    return "-" if v is None or math.isnan(v) else (f"{v:.3g}" if v != 0 else "0")
