"""A linear-chain CRF: the sentence-level log-likelihood (Collobert et al. 2011's "SLL",
Lafferty et al. 2001) and Viterbi decoding, as op records with TF-contrib-style builders.

For a batch of B sequences padded to T steps, ``unary`` [B, T, K] (per-token tag scores,
e.g. a network's logits), tags y [B, T], lengths n [B] and a transition matrix A [K, K]
(``A[j, k]``: score of tag k following tag j), the score of a tag path is

    s(y) = sum_{t < n} unary[t, y_t] + sum_{1 <= t < n} A[y_{t-1}, y_t]

and the log-likelihood of the gold path is ``s(y) - log Z`` with
``log Z = logsumexp over all K^n paths of s`` (the forward algorithm: alpha_0 = unary_0,
alpha_t[k] = logsumexp_j(alpha_{t-1}[j] + A[j, k]) + unary_t[k], log Z = logsumexp(alpha_{n-1})).
Steps t >= n are padding: they add nothing and receive no gradient; a sequence of length 0
has log-likelihood 0.

Records (graphflow's own op types, not TensorFlow's: a graph holding them does not load in
TensorFlow):

* ``CrfLogLikelihood`` (unary, tag_indices, sequence_lengths, transition_params) ->
  log_likelihood [B]; its gradient rule adds one ``CrfLogLikelihoodGrad`` node;
* ``CrfLogLikelihoodGrad`` (the same inputs + the upstream gradient [B]) -> (d_unary,
  d_transitions): the forward-backward marginals, ``g * (onehot(y) - P(y_t = k))`` and
  ``sum_b g_b sum_t (1[y_{t-1} = j, y_t = k] - P(y_{t-1} = j, y_t = k))``; it is not
  differentiable itself (no second-order CRF gradients);
* ``CrfDecode`` (potentials, transition_params, sequence_length) -> (decode_tags [B, T]
  int32, best_score [B]): Viterbi, the highest-scoring path (ties to the lower tag id, as
  ``np.argmax``); padding positions get tag 0. Not differentiable.

Kernels run vectorised over the batch (one numpy step per time step): the forward and
backward recursions in float64 in scaled linear space (each alpha/beta step normalised to
sum 1, the logs of the scale factors accumulated: the forward algorithm in log space without
a logsumexp per step), Viterbi in log space (max-plus); they check at run time what the
shape rules cannot (lengths in [0, T], gold tags in [0, K) at the unpadded positions).
``viterbi``, ``log_partition`` and ``forward_backward`` are the numpy functions the kernels
use, for callers outside a graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.op_registry import InferContext, KernelContext, Op, register
from graphflow.framework.tensor import Operation, Tensor, TensorSpec
from graphflow.ops import op_builder

_INDEX = (dtypes.int32, dtypes.int64)


# ----------------------------------------------------------------------------------------
# numpy: forward-backward and Viterbi (batched, masked by lengths)
# ----------------------------------------------------------------------------------------


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """log(sum(exp(x), axis)) without overflow; an all -inf slice gives -inf (never NaN)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def _log_alphas(u: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log alpha [B, T, K] by logsumexp recursions (the fallback of the scaled ones)."""
    alpha = np.empty_like(u)
    if u.shape[1]:
        alpha[:, 0] = u[:, 0]
    for t in range(1, u.shape[1]):
        alpha[:, t] = _logsumexp(alpha[:, t - 1, :, None] + a[None], 1) + u[:, t]
    return alpha


def _log_betas(u: np.ndarray, a: np.ndarray, n: np.ndarray) -> np.ndarray:
    beta = np.zeros_like(u)
    for t in range(u.shape[1] - 2, -1, -1):
        nxt = _logsumexp(a[None] + (u[:, t + 1] + beta[:, t + 1])[:, None, :], 2)
        beta[:, t] = np.where((t + 1 < n)[:, None], nxt, 0.0)
    return beta


def _mask(lengths: np.ndarray, steps: int) -> np.ndarray:
    """[B, T] bool: True at the unpadded positions t < n_b."""
    return np.arange(steps)[None, :] < np.asarray(lengths)[:, None]


def _scaled_potentials(unary: np.ndarray, trans: np.ndarray
                       ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """(E = exp(A - max A) [K, K], max A, m = max_k unary [B, T], w = exp(unary - m)
    [B, T, K]) in float64: the potentials of the scaled (linear-space) recursions, where each
    step is one small matrix product instead of a logsumexp over [B, K, K]. -inf entries of
    A (forbidden transitions) become 0."""
    u = np.asarray(unary, np.float64)
    a = np.asarray(trans, np.float64)
    finite = a[np.isfinite(a)]
    a_max = float(finite.max()) if finite.size else 0.0
    m = np.max(u, axis=2) if u.shape[2] else np.zeros(u.shape[:2])
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(under="ignore"):
        return np.exp(a - a_max), a_max, m, np.exp(u - m[:, :, None])


def _scaled_forward(e: np.ndarray, a_max: float, m: np.ndarray, w: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(alpha_hat [B, T, K], log c [B, T]): alpha_t = alpha_hat_t * exp(log c_t), each
    alpha_hat_t normalised to sum 1 (so log Z = log c_{n-1})."""
    b, steps, k = w.shape
    alpha = np.empty((b, steps, k))
    log_c = np.empty((b, steps))
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        total = w[:, 0].sum(1)
        alpha[:, 0] = w[:, 0] / total[:, None]
        log_c[:, 0] = m[:, 0] + np.log(total)
        for t in range(1, steps):
            v = (alpha[:, t - 1] @ e) * w[:, t]
            total = v.sum(1)
            alpha[:, t] = v / total[:, None]
            log_c[:, t] = log_c[:, t - 1] + a_max + m[:, t] + np.log(total)
    return alpha, log_c


def _scaled_backward(e: np.ndarray, w: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """beta_hat [B, T, K], each step normalised (1 at t >= n - 1)."""
    b, steps, k = w.shape
    beta = np.ones((b, steps, k))
    n = np.asarray(lengths)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        for t in range(steps - 2, -1, -1):
            v = (w[:, t + 1] * beta[:, t + 1]) @ e.T
            v /= v.sum(1, keepdims=True)
            beta[:, t] = np.where((t + 1 < n)[:, None], v, 1.0)
    return beta


def _log_z(log_c: np.ndarray, lengths: np.ndarray, dtype: Any) -> np.ndarray:
    n = np.asarray(lengths)
    if log_c.shape[1] == 0:
        return np.zeros(len(n), dtype)
    last = log_c[np.arange(len(n)), np.clip(n - 1, 0, None)]
    return np.where(n > 0, last, 0.0).astype(dtype)


def forward_alphas(unary: np.ndarray, trans: np.ndarray, lengths: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """alpha [B, T, K] (log-sum of the scores of all paths ending in tag k at step t; only
    meaningful for t < n) and log Z [B] (0 for an empty sequence)."""
    e, a_max, m, w = _scaled_potentials(unary, trans)
    alpha, log_c = _scaled_forward(e, a_max, m, w)
    if not _usable(log_c, lengths):
        u, a = np.asarray(unary, np.float64), np.asarray(trans, np.float64)
        log_alpha = _log_alphas(u, a)
        log_c = _logsumexp(log_alpha, 2)
        return log_alpha.astype(unary.dtype), _log_z(log_c, lengths, unary.dtype)
    with np.errstate(divide="ignore"):
        log_alpha = (np.log(alpha) + log_c[:, :, None]).astype(unary.dtype)
    return log_alpha, _log_z(log_c, lengths, unary.dtype)


def log_partition(unary: np.ndarray, trans: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """log Z [B] (the forward algorithm; 0 for an empty sequence)."""
    e, a_max, m, w = _scaled_potentials(unary, trans)
    log_c = _scaled_forward(e, a_max, m, w)[1]
    if not _usable(log_c, lengths):
        return forward_alphas(unary, trans, lengths)[1]
    return _log_z(log_c, lengths, unary.dtype)


def _usable(log_c: np.ndarray, lengths: np.ndarray) -> bool:
    """False when a scaled step underflowed to 0 (or overflowed) at an unpadded position:
    scores spanning more than float64's exp range; the log-space recursions take over."""
    return bool(np.all(np.isfinite(log_c[_mask(lengths, log_c.shape[1])])))


def gold_scores(unary: np.ndarray, tags: np.ndarray, trans: np.ndarray, lengths: np.ndarray
                ) -> np.ndarray:
    """s(y) [B]: the score of the given tag paths (padding positions ignored)."""
    b, steps, _ = unary.shape
    mask = _mask(lengths, steps)
    y = np.where(mask, tags, 0).astype(np.intp)
    emit = np.take_along_axis(unary, y[:, :, None], 2)[:, :, 0]
    total = np.sum(np.where(mask, emit, 0.0), axis=1)
    if steps > 1:
        pair = trans[y[:, :-1], y[:, 1:]]
        total = total + np.sum(np.where(mask[:, 1:], pair, 0.0), axis=1)
    return total.astype(unary.dtype)


def forward_backward(unary: np.ndarray, trans: np.ndarray, lengths: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log Z [B], unary marginals P(y_t = k) [B, T, K], pairwise marginals
    P(y_{t-1} = j, y_t = k) [B, T-1, K, K]), zero at padding. Scaled recursions: a marginal
    is the normalised product alpha_hat * beta_hat (every scale factor is common to all
    tags of a step)."""
    b, steps, k = unary.shape
    e, a_max, m, w = _scaled_potentials(unary, trans)
    alpha, log_c = _scaled_forward(e, a_max, m, w)
    beta = _scaled_backward(e, w, lengths)
    mask = _mask(lengths, steps)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        node = alpha * beta
        node /= node.sum(2, keepdims=True)
        if steps > 1:
            edge = alpha[:, :-1, :, None] * e[None, None] * (w[:, 1:] * beta[:, 1:])[:, :, None]
            edge /= edge.sum((2, 3), keepdims=True)
        else:
            edge = np.zeros((b, 0, k, k))
    if not (_usable(log_c, lengths) and np.all(np.isfinite(node[mask]))
            and np.all(np.isfinite(edge[mask[:, 1:]]))):
        return _log_forward_backward(unary, trans, lengths)
    node = np.where(mask[:, :, None], node, 0.0)
    edge = np.where(mask[:, 1:, None, None], edge, 0.0)
    return (_log_z(log_c, lengths, unary.dtype), node.astype(unary.dtype),
            edge.astype(unary.dtype))


def _log_forward_backward(unary: np.ndarray, trans: np.ndarray, lengths: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``forward_backward`` by logsumexp recursions: slower, for scores whose range defeats
    the scaled ones."""
    b, steps, k = unary.shape
    u, a = np.asarray(unary, np.float64), np.asarray(trans, np.float64)
    alpha, beta = _log_alphas(u, a), _log_betas(u, a, np.asarray(lengths))
    log_z = _log_z(_logsumexp(alpha, 2), lengths, np.float64)
    mask = _mask(lengths, steps)
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        node = np.where(mask[:, :, None], np.exp(alpha + beta - log_z[:, None, None]), 0.0)
        edge = np.zeros((b, max(steps - 1, 0), k, k))
        if steps > 1:
            score = (alpha[:, :-1, :, None] + a[None, None]
                     + (u[:, 1:] + beta[:, 1:])[:, :, None, :] - log_z[:, None, None, None])
            edge = np.where(mask[:, 1:, None, None], np.exp(score), 0.0)
    return log_z.astype(unary.dtype), node.astype(unary.dtype), edge.astype(unary.dtype)


def viterbi(unary: np.ndarray, trans: np.ndarray, lengths: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """(tags [B, T] int32, best score [B]): the highest-scoring path of each sequence
    (padding tags 0, an empty sequence scores 0)."""
    b, steps, k = unary.shape
    n = np.asarray(lengths)
    tags = np.zeros((b, steps), np.int32)
    if steps == 0:
        return tags, np.zeros(b, unary.dtype)
    back = np.zeros((b, steps, k), np.int32)
    delta = unary[:, 0].copy()
    for t in range(1, steps):
        cand = delta[:, :, None] + trans[None]
        back[:, t] = np.argmax(cand, axis=1)
        step = np.max(cand, axis=1) + unary[:, t]
        delta = np.where((t < n)[:, None], step, delta)
    best = np.where(n > 0, np.max(delta, axis=1), 0.0).astype(unary.dtype)
    cur = np.argmax(delta, axis=1).astype(np.int32)
    rows = np.arange(b)
    live = n > 0
    tags[rows[live], n[live] - 1] = cur[live]
    for t in range(steps - 1, 0, -1):
        active = t < n
        prev = back[rows, t, cur]
        cur = np.where(active, prev, cur)
        tags[active, t - 1] = cur[active]
    return tags, best


# ----------------------------------------------------------------------------------------
# shape rules and run-time checks shared by the records
# ----------------------------------------------------------------------------------------


def _merge(ctx: InferContext, what: str, dims: list[tuple[int, int, Any]]) -> Any:
    """One size for ``what`` from several (input, axis, dim); a build error if two known
    sizes differ."""
    known = [(i, a, d) for i, a, d in dims if d is not None]
    for i, a, d in known[1:]:
        i0, a0, d0 = known[0]
        if d != d0:
            ctx.fail(f"{ctx.input_label(i0)} and {ctx.input_label(i)} disagree on {what} "
                     f"(dimension {a0}: {d0} vs dimension {a}: {d})",
                     f"give every input the same {what.removeprefix('the ')}")
    return known[0][2] if known else None


def _sequence_shapes(ctx: InferContext, unary: int, tags: int | None, lengths: int,
                     trans: int) -> tuple[Any, Any, Any]:
    """Check the ranks and dims of a CRF node's inputs; returns (B, T, K)."""
    u = ctx.require_rank(unary, 3)
    n = ctx.require_rank(lengths, 1)
    a = ctx.require_rank(trans, 2)
    ud = u.dims or (None, None, None)
    nd = n.dims or (None,)
    ad = a.dims or (None, None)
    td: tuple[Any, ...] = (None, None)
    if tags is not None:
        y = ctx.require_rank(tags, 2)
        td = y.dims or (None, None)
    batch = _merge(ctx, "the batch size", [(unary, 0, ud[0]), (lengths, 0, nd[0])]
                   + ([(tags, 0, td[0])] if tags is not None else []))
    steps = _merge(ctx, "the number of steps", [(unary, 1, ud[1])]
                   + ([(tags, 1, td[1])] if tags is not None else []))
    classes = _merge(ctx, "the number of tags", [(unary, 2, ud[2]), (trans, 0, ad[0]),
                                                 (trans, 1, ad[1])])
    return batch, steps, classes


def _check_dtypes(ctx: InferContext, unary: int, trans: int, index: tuple[int, ...]) -> Any:
    dt = ctx.require_dtype(unary, lambda d: d.is_floating, "a floating-point tensor")
    ctx.require_same_dtype(unary, trans)
    for i in index:
        ctx.require_dtype(i, lambda d: d in _INDEX, "an int32/int64 tensor")
    return dt


def _check_run(ctx: KernelContext, unary: np.ndarray, trans: np.ndarray, lengths: np.ndarray,
               tags: np.ndarray | None = None) -> None:
    """Run-time shapes and values (the static shapes may have been unknown)."""
    if unary.ndim != 3 or trans.shape != (unary.shape[2], unary.shape[2]) or \
            lengths.shape != unary.shape[:1] or \
            (tags is not None and tags.shape != unary.shape[:2]):
        got = f"unary {unary.shape}, transitions {trans.shape}, lengths {lengths.shape}" + (
            f", tags {tags.shape}" if tags is not None else "")
        raise ctx.invalid("inputs must be unary [B, T, K], transitions [K, K], lengths [B]"
                          + (" and tags [B, T]" if tags is not None else "") + f"; got {got}",
                          "pad the sequences to one length T and give one length per row")
    steps = unary.shape[1]
    if lengths.size and (lengths.min() < 0 or lengths.max() > steps):
        row = int(np.flatnonzero((lengths < 0) | (lengths > steps))[0])
        raise ctx.invalid(f"sequence_lengths[{row}] = {int(lengths[row])} is not in "
                          f"[0, {steps}] (T = {steps} padded steps)",
                          "give each sequence's true length, at most the padded length T")
    if tags is not None and tags.size:
        k = unary.shape[2]
        bad = _mask(lengths, steps) & ((tags < 0) | (tags >= k))
        if bad.any():
            row, t = (int(v) for v in np.argwhere(bad)[0])
            raise ctx.invalid(f"tag_indices[{row}, {t}] = {int(tags[row, t])} is not in "
                              f"[0, {k}) for {k} tags",
                              f"tags must be tag ids in [0, {k}) at the unpadded positions")


# ----------------------------------------------------------------------------------------
# records
# ----------------------------------------------------------------------------------------


@register
class CrfLogLikelihood(Op):
    """log_likelihood[b] = s(y_b) - log Z_b of a linear-chain CRF (module docstring)."""

    op_type = "CrfLogLikelihood"
    input_names = ("inputs", "tag_indices", "sequence_lengths", "transition_params")

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = _check_dtypes(ctx, 0, 3, (1, 2))
        batch, _, _ = _sequence_shapes(ctx, 0, 1, 2, 3)
        return [TensorSpec(dt, (batch,))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def crf_log_likelihood(unary: np.ndarray, tags: np.ndarray, lengths: np.ndarray,
                               trans: np.ndarray) -> np.ndarray:
            _check_run(ctx, unary, trans, lengths, tags)
            log_z = log_partition(unary, trans, lengths)
            return (gold_scores(unary, tags, trans, lengths) - log_z).astype(unary.dtype)
        return crf_log_likelihood

    def grad(self, op: Operation, g: Tensor | None) -> list[Tensor | None]:
        """d ll_b / d unary[b, t, k] = 1[y_t = k] - P(y_t = k) and
        d ll_b / d A[j, k] = sum_{1 <= t < n} (1[y_{t-1} = j, y_t = k] - P(y_{t-1} = j, y_t = k)),
        the forward-backward marginals (one ``CrfLogLikelihoodGrad`` node, scaled by the
        upstream g_b); tags and lengths are integers and get None."""
        if g is None:
            return [None, None, None, None]
        unary, tags, lengths, trans = op.inputs
        grad_op = op_builder.apply("CrfLogLikelihoodGrad", [unary, tags, lengths, trans, g],
                                   {"T": unary.dtype})
        return [grad_op.outputs[0], None, None, grad_op.outputs[1]]


@register
class CrfLogLikelihoodGrad(Op):
    """(d_unary [B, T, K], d_transitions [K, K]) of ``CrfLogLikelihood`` for the upstream
    gradient g [B]: g_b (onehot(y) - node marginals) and
    sum_b g_b (gold transition counts - pairwise marginals)."""

    op_type = "CrfLogLikelihoodGrad"
    input_names = ("inputs", "tag_indices", "sequence_lengths", "transition_params", "grad")
    differentiable = False  # no second-order CRF gradients

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = _check_dtypes(ctx, 0, 3, (1, 2))
        ctx.require_same_dtype(0, 4)
        batch, steps, classes = _sequence_shapes(ctx, 0, 1, 2, 3)
        g = ctx.require_rank(4, 1)
        _merge(ctx, "the batch size", [(0, 0, batch), (4, 0, g.dims[0] if g.dims else None)])
        return [TensorSpec(dt, (batch, steps, classes)), TensorSpec(dt, (classes, classes))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def crf_log_likelihood_grad(unary: np.ndarray, tags: np.ndarray, lengths: np.ndarray,
                                    trans: np.ndarray, g: np.ndarray
                                    ) -> tuple[np.ndarray, np.ndarray]:
            _check_run(ctx, unary, trans, lengths, tags)
            if g.shape != unary.shape[:1]:
                raise ctx.invalid(f"grad {g.shape} must be [B] = {unary.shape[:1]}",
                                  "pass one upstream gradient per sequence")
            b, steps, k = unary.shape
            _, node, edge = forward_backward(unary, trans, lengths)
            mask = _mask(lengths, steps)
            y = np.where(mask, tags, 0).astype(np.intp)
            gold = np.zeros_like(unary)
            bi, ti = np.nonzero(mask)
            gold[bi, ti, y[bi, ti]] = 1.0
            d_unary = (gold - node) * g[:, None, None]
            d_trans = -np.einsum("b,btjk->jk", g, edge)
            if steps > 1:
                pairs = mask[:, 1:]
                pb, pt = np.nonzero(pairs)
                np.add.at(d_trans, (y[pb, pt], y[pb, pt + 1]), g[pb])
            return d_unary.astype(unary.dtype), d_trans.astype(unary.dtype)
        return crf_log_likelihood_grad


@register
class CrfDecode(Op):
    """(decode_tags [B, T] int32, best_score [B]): the Viterbi path of each sequence."""

    op_type = "CrfDecode"
    input_names = ("potentials", "transition_params", "sequence_length")
    differentiable = False

    def infer(self, ctx: InferContext) -> list[TensorSpec]:
        dt = _check_dtypes(ctx, 0, 1, (2,))
        batch, steps, _ = _sequence_shapes(ctx, 0, None, 2, 1)
        return [TensorSpec(dtypes.int32, (batch, steps)), TensorSpec(dt, (batch,))]

    def kernel(self, ctx: KernelContext) -> Callable[..., Any]:
        def crf_decode(unary: np.ndarray, trans: np.ndarray, lengths: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
            _check_run(ctx, unary, trans, lengths)
            return viterbi(unary, trans, lengths)
        return crf_decode


# ----------------------------------------------------------------------------------------
# builders (TF1 contrib.crf's names and argument order)
# ----------------------------------------------------------------------------------------


def crf_log_likelihood(inputs: Any, tag_indices: Any, sequence_lengths: Any,
                       transition_params: Any, name: str | None = None
                       ) -> tuple[Tensor, Tensor]:
    """(log_likelihood [B], transition_params), as ``tf.contrib.crf.crf_log_likelihood``
    (here the transition matrix must be given: a [K, K] float tensor or Variable)."""
    unary = op_builder.convert_to_tensor(inputs)
    graph = op_builder.graph_of(unary)
    with graph.as_default():
        trans = op_builder.convert_to_tensor(transition_params, dtype=unary.dtype)
        tags = op_builder.convert_to_tensor(tag_indices, preferred_dtype=dtypes.int32)
        lengths = op_builder.convert_to_tensor(sequence_lengths, preferred_dtype=dtypes.int32)
    ll = op_builder.apply1("CrfLogLikelihood", [unary, tags, lengths, trans],
                           {"T": unary.dtype}, name=name or "CrfLogLikelihood")
    return ll, trans


def crf_decode(potentials: Any, transition_params: Any, sequence_length: Any,
               name: str | None = None) -> tuple[Tensor, Tensor]:
    """(decode_tags [B, T] int32, best_score [B]), as ``tf.contrib.crf.crf_decode``."""
    unary = op_builder.convert_to_tensor(potentials)
    graph = op_builder.graph_of(unary)
    with graph.as_default():
        trans = op_builder.convert_to_tensor(transition_params, dtype=unary.dtype)
        lengths = op_builder.convert_to_tensor(sequence_length, preferred_dtype=dtypes.int32)
    op = op_builder.apply("CrfDecode", [unary, trans, lengths], {"T": unary.dtype},
                          name=name or "CrfDecode")
    return op.outputs[0], op.outputs[1]
