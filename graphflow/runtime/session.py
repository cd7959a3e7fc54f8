"""``Session``: runs fetches of a Graph on numpy and owns the values of its variables.

``run(fetches, feed_dict)`` flattens the fetches, validates feeds against their tensors'
static dtype and shape, looks up (or compiles and caches) the plan for this
(fetches, feeds) signature and feed shapes, and calls it. Plans come from the compiler's
pipeline (``compiler.pipeline.compile_plan``) and are bound to kernels by
``runtime.executor``; a cached signature does no graph work at all. ``explain`` returns the
plan a run would use, without running it.
"""

from __future__ import annotations

import contextlib
import gc
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.compiler.pipeline import (
    CompiledPlan,
    CompileOptions,
    check_feed_shapes,
    compile_plan,
    signature_plan,
)
from graphflow.compiler.plan import Plan
from graphflow.framework import blas, blas_threads, default_session
from graphflow.framework.errors import InvalidArgumentError
from graphflow.framework.graph import Graph, get_default_graph
from graphflow.framework.indexed_slices import IndexedSlices
from graphflow.framework.resources import RunResources
from graphflow.framework.tensor import Operation, Tensor
from graphflow.runtime.executor import BoundPlan
from graphflow.runtime.fetches import flatten_fetches


@dataclass(frozen=True)
class SessionConfig:
    """Plan optimizations of a Session (all on by default). Switching one off is for
    measuring what it buys (``benchmarks/window_ner_step.py --ablations``) or for ruling it
    out while debugging; results are the same either way.

    Attributes:
        specialize: fold constants and shape computations for each set of fed shapes, and
            drop identity and dead steps (``compiler/specialize.py``).
        plan_memory: preallocate and reuse output buffers (``compiler/memory.py``); needs
            ``specialize``.
        interpret: run each plan with a plain Python loop over its bound kernels instead of
            generated code (``runtime/executor.py``): slower, the same results — the
            reference the generated code is tested against.
        max_tensor_bytes: the size guard — an op that would allocate (or constant folding
            that would compute) a single output larger than this many bytes raises an
            InvalidArgumentError naming the node and the size instead; None: no limit.
        inter_op_threads: 0 (the default) lets graphflow choose, as TF1's
            ``inter_op_parallelism_threads=0`` lets TF: 2 when this process may run on two
            or more CPUs and numpy's BLAS threads can be set at run time
            (``framework/blas_threads.py``), else 1. 1 runs every step on the calling thread.
            2 (or more: graphflow uses one worker thread) lets a plan with concrete feed
            shapes run a large matrix product on a worker thread while independent steps
            go on, and split another across both threads (``compiler/parallel.py``); while
            such a plan runs, numpy's BLAS is limited to one thread (the process's setting
            comes back after the run), so the two threads do not compete with BLAS's own
            — except a plan with nothing on the worker whose products were probed to give
            the same bits on BLAS's own threads and to run no slower there
            (``runtime/own_blas.py``).
            The schedule never changes a result (the same kernels compute the same values,
            and a split is refused where its parts would round differently); a serial
            session on a multi-threaded BLAS may differ from one with a worker in the last
            bits of some products, as BLAS may sum them in another order on more threads.
    """

    specialize: bool = True
    plan_memory: bool = True
    interpret: bool = False
    max_tensor_bytes: int | None = RunResources.DEFAULT_MAX_TENSOR_BYTES
    inter_op_threads: int = 0

    def __post_init__(self) -> None:
        threads = self.inter_op_threads
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise ValueError(f"SessionConfig(inter_op_threads={threads!r}): expected an int "
                             ">= 0 (0 lets graphflow choose; 1 runs every step on the "
                             "calling thread; 2 lets large matrix products use a worker "
                             "thread)")

    def threads(self) -> int:
        """The inter-op thread count plans are compiled for: ``inter_op_threads``, with 0
        resolved for this machine (2 with two usable CPUs and a BLAS whose threads can be
        set, else 1)."""
        if self.inter_op_threads:
            return self.inter_op_threads
        return 2 if blas_threads.usable_cpus() >= 2 and blas_threads.controllable() else 1


def _from_tf_config(config: Any) -> SessionConfig:
    """The SessionConfig of a TF1 ``ConfigProto`` (or None): its
    ``inter_op_parallelism_threads`` as TF1 reads it — 0 (the field's default, TF's "let
    the runtime choose") lets graphflow choose, 1 or a negative count (TF: run on the
    calling thread) keeps every step on the calling thread, 2 or more turns on the inter-op
    worker. graphflow reads no other field."""
    threads = getattr(config, "inter_op_parallelism_threads", 0)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads == 0:
        return SessionConfig()
    return SessionConfig(inter_op_threads=max(threads, 1))


class _FeedSpec:
    __slots__ = ("tensor", "np_dtype", "dims", "kind", "rank", "known")

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor
        self.np_dtype = tensor.dtype.np_dtype
        self.kind = self.np_dtype.kind
        self.dims = tensor.shape.dims
        self.rank = None if self.dims is None else len(self.dims)
        self.known = () if self.dims is None else tuple(
            (i, d) for i, d in enumerate(self.dims) if d is not None)

    def check(self, value: Any) -> np.ndarray:
        """The fed value as an array of the tensor's dtype and a compatible shape; the common
        case (an ndarray of the right dtype and shape) costs a few comparisons."""
        if type(value) is np.ndarray and value.dtype == self.np_dtype and \
                (self.rank is None or value.ndim == self.rank):
            shape = value.shape
            for i, d in self.known:
                if shape[i] != d:
                    return _check_feed(self, value)
            return value
        return _check_feed(self, value)


class Session:
    """A TF1-style session. Use as a context manager; ``close()`` releases variable values."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None,
                 check_numerics: bool = False) -> None:
        self._graph = graph if graph is not None else get_default_graph()
        self._plans: dict[tuple[Any, ...], _Signature] = {}
        # (fetch ids, feed-key ids) of simple calls -> (signature, rebuild): skips flattening.
        # The entry keeps the keyed fetches and feed keys alive, so their ids stay theirs.
        self._fast: dict[tuple[Any, ...], tuple[_Signature, Any, tuple[Any, ...]]] = {}
        self._closed = False
        self.check_numerics = bool(check_numerics)
        self.config = config if isinstance(config, SessionConfig) else _from_tf_config(config)
        #: Variable storage and random streams; kernels receive it through their context.
        self.resources = RunResources(self._graph.seed, self.config.max_tensor_bytes)
        #: The inter-op threads this session's plans are compiled for (``config``'s, 0
        #: resolved for this machine once, here).
        self.inter_op_threads = self.config.threads()
        #: Its runs have numpy's BLAS on one thread (``framework/blas_threads.py``).
        self.limits_blas = self.inter_op_threads >= 2 and blas_threads.LIMIT_WITH_WORKER
        self._context_stack: list[Any] = []

    # -- properties ------------------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def graph_def(self) -> Any:
        return self._graph.as_graph_def()

    # -- context management ----------------------------------------------------------------
    def __enter__(self) -> Session:
        stack = contextlib.ExitStack()
        stack.enter_context(self._graph.as_default())
        stack.enter_context(default_session.as_default_session(self))
        self._context_stack.append(stack)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._context_stack.pop().close()
        self.close()

    def as_default(self) -> Any:
        return default_session.as_default_session(self)

    def close(self) -> None:
        self._closed = True
        self.resources.clear()
        self._plans.clear()
        self._fast.clear()

    # -- variables -------------------------------------------------------------------------
    def variable_value(self, name: str) -> np.ndarray | None:
        """The current value of the variable whose VariableV2 node is ``name`` (or None)."""
        return self.resources.value_of(name)

    # -- running ---------------------------------------------------------------------------
    def run(self, fetches: Any, feed_dict: dict[Any, Any] | None = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        """Compute ``fetches`` (Tensor, Operation, name, or nested list/tuple/dict of them)
        given ``feed_dict`` ({Tensor or name: value}); returns the same structure with numpy
        values (None for Operations)."""
        if self._closed:
            raise RuntimeError("attempted to use a closed Session")
        if feed_dict:
            for v in feed_dict.values():  # a loop, not any(...): no generator per run
                if v is None:
                    return self._run_with_none_feeds(fetches, feed_dict, options,
                                                     run_metadata)
        fast_key = _fast_key(fetches, feed_dict)
        entry = self._fast.get(fast_key) if fast_key is not None else None
        if entry is not None:  # the same fetch list and feed keys as an earlier run
            signature, rebuild, _ = entry
            feed_values: Any = feed_dict.values() if feed_dict else ()
        else:
            flat, rebuild = flatten_fetches(self._graph, fetches)
            feeds = self._resolve_feeds(feed_dict)
            key = (tuple(id(e) for e in flat), tuple(id(t) for t, _ in feeds))
            signature = self._signature_for(key, flat, [t for t, _ in feeds])
            if fast_key is not None and _fast_kinds(fetches, feed_dict):
                self._fast[fast_key] = (signature, _flat_rebuild(fetches, rebuild),
                                        (fetches if type(fetches) in _FAST_ELEMENTS
                                         else tuple(fetches), tuple(feed_dict or ())))
            feed_values = [v for _, v in feeds]
        return rebuild(_execute(signature, feed_values))

    def _run_with_none_feeds(self, fetches: Any, feed_dict: dict[Any, Any], options: Any,
                             run_metadata: Any) -> Any:
        """TF1 accepts ``None`` as the value of a placeholder the fetches do not need (it is
        never read); a needed placeholder fed ``None`` is an error naming it."""
        fed_none = {self._feed_tensor(k).op.name: k for k, v in feed_dict.items()
                    if v is None and not isinstance(k, IndexedSlices)}
        rest = {k: v for k, v in feed_dict.items() if v is not None}
        try:
            return self.run(fetches, rest, options, run_metadata)
        except InvalidArgumentError as err:
            if err.op_type != "Placeholder" or err.node_name not in fed_none:
                raise
            raise InvalidArgumentError(
                f"the value fed for placeholder '{err.node_name}' is None, but the fetches "
                f"need it ({err.message}). Feed a value (an array) for it, or leave it out "
                "of feed_dict", err.node_name, "Placeholder") from None

    def make_callable(self, fetches: Any, feed_list: Any = None,
                      accept_options: bool = False) -> Any:
        """TF1's ``Session.make_callable``: a function ``f(*feed_values)`` that runs
        ``fetches`` with the values fed, in order, to the tensors of ``feed_list`` — the
        signature is resolved once, so each call only checks feeds and runs the plan."""
        if self._closed:
            raise RuntimeError("attempted to use a closed Session")
        flat, rebuild = flatten_fetches(self._graph, fetches)
        feed_tensors = [self._feed_tensor(f) for f in (feed_list or [])]
        signature = self._signature(flat, feed_tensors)
        n = len(feed_tensors)

        def run_callable(*feed_values: Any, **kwargs: Any) -> Any:
            if len(feed_values) != n:
                raise TypeError(f"this callable takes {n} feed value(s) (for "
                                f"{[t.name for t in feed_tensors]}), got {len(feed_values)}")
            if self._closed:
                raise RuntimeError("attempted to use a closed Session")
            return rebuild(_execute(signature, feed_values))
        return run_callable

    def _resolve_feeds(self, feed_dict: dict[Any, Any] | None) -> list[tuple[Tensor, Any]]:
        if not feed_dict:
            return []
        out: list[tuple[Tensor, Any]] = []
        for key, value in feed_dict.items():
            if isinstance(key, IndexedSlices):  # feed each component (an IndexedSlicesValue)
                parts = [key.values, key.indices]
                if key.dense_shape is not None:
                    parts.append(key.dense_shape)
                out.extend(zip(parts, value))
                continue
            try:
                t = self._feed_tensor(key)
            except (KeyError, ValueError, TypeError) as err:
                raise TypeError(f"cannot interpret feed_dict key {key!r} as a Tensor: {err}"
                                ) from None
            out.append((t, value))
        seen: set[int] = set()
        for t, _ in out:  # e.g. {x: a, "x:0": b} would make the plan's arguments ambiguous
            if id(t) in seen:
                raise ValueError(f"tensor '{t.name}' is fed more than once in feed_dict (by the "
                                 "Tensor and by its name?); feed each tensor once")
            seen.add(id(t))
        return out

    def _feed_tensor(self, key: Any) -> Tensor:
        t = self._graph.as_graph_element(key, allow_operation=False)
        if not isinstance(t, Tensor):  # as_graph_element refused Operations already
            raise TypeError(f"{key!r} is not a tensor")
        return t

    def explain(self, fetches: Any, feed_dict: dict[Any, Any] | None = None) -> CompiledPlan:
        """The plan ``run(fetches, feed_dict)`` would use (compiled and cached as a run would,
        but not run): its steps (node, op, input and output tensors), folded constants,
        buffers and generated source; ``str()`` of it is a readable listing. Feed values
        only contribute their shapes (and are checked as a run checks them)."""
        if self._closed:
            raise RuntimeError("attempted to use a closed Session")
        flat, _ = flatten_fetches(self._graph, fetches)
        feeds = self._resolve_feeds(feed_dict)
        key = (tuple(id(e) for e in flat), tuple(id(t) for t, _ in feeds))
        signature = self._signature_for(key, flat, [t for t, _ in feeds])
        values = [spec.check(v) for spec, (_, v) in zip(signature.feed_specs, feeds)]
        return signature.compiled_for(tuple([v.shape for v in values])).compiled

    def _signature_for(self, key: tuple[Any, ...], flat: list[Any], feeds: list[Tensor]
                       ) -> _Signature:
        signature = self._plans.get(key)
        if signature is None:
            signature = self._plans[key] = self._signature(flat, feeds)
        return signature

    def _signature(self, flat: list[Any], feeds: list[Tensor]) -> _Signature:
        return _Signature(self._graph, flat, feeds, self)


class _Signature:
    """The plans of one (fetches, feeds) signature, one per concrete set of feed shapes.

    With ``SessionConfig(specialize=True)`` (the default) each set of feed shapes gets its own
    specialized plan. The cache is a least-recently-used one bounded by count
    (``MAX_PLANS``) and by the memory its plans hold (``MAX_PLAN_BYTES``: planned buffers,
    folded constants and their kernels' work arrays, while loops' sub-plans included), so a
    caller cycling through many batch sizes (the last batch of an epoch, evaluation by
    sentence length) keeps every plan it uses — small plans are cheap — while ever-changing
    large shapes do not grow the cache without bound; no caller ever falls onto a different
    kind of plan. With ``specialize=False`` one shape-generic plan runs every set of shapes,
    and each new set is first checked by the same shape rules a specialized plan would run
    (``compiler.specialize``), so results and errors never depend on which plan ran or how
    many shapes the session has seen."""

    #: At most this many specialized plans per signature (least recently used evicted).
    MAX_PLANS = 512
    #: ... and at most this many bytes of planned buffers, folded constants and kernel work
    #: arrays in them, counted when a new plan is added (the most recent plan is always
    #: kept, however large).
    MAX_PLAN_BYTES = 256 << 20

    def __init__(self, graph: Graph, fetches: list[Any], feeds: list[Tensor],
                 session: Session) -> None:
        self.graph, self.fetches, self.feeds = graph, fetches, feeds
        with _gc_paused():
            self.plan: Plan = signature_plan(graph, fetches, feeds)
        self.feed_specs = [_FeedSpec(t) for t in feeds]
        self.session = session
        self.by_shape: OrderedDict[tuple[Any, ...], BoundPlan] = OrderedDict()
        #: Planned buffers + folded constants of each cached specialized plan.
        self.base_bytes: dict[tuple[Any, ...], int] = {}
        self.generic: BoundPlan | None = None
        #: The feed shapes of the last run and their plan (the most recently used entry of
        #: ``by_shape``, which eviction never removes): a repeated shape skips the lookup.
        self._last: tuple[tuple[Any, ...] | None, BoundPlan | None] = (None, None)

    def cached_for(self, shapes: tuple[Any, ...]) -> BoundPlan | None:
        """The cached plan for these feed shapes (now the most recently used), or None."""
        last_shapes, last = self._last
        if last is not None and shapes == last_shapes:
            return last
        by_shape = self.by_shape
        compiled = by_shape.get(shapes)
        if compiled is not None:
            if len(by_shape) > 1:
                by_shape.move_to_end(shapes)
            self._last = (shapes, compiled)
        return compiled

    def compiled_for(self, shapes: tuple[Any, ...]) -> BoundPlan:
        compiled = self.cached_for(shapes)
        if compiled is not None:
            return compiled
        by_shape = self.by_shape
        if self.session.config.specialize:
            compiled = self._compile(shapes)
            self.base_bytes[shapes] = compiled.base_bytes
        else:  # the one shape-generic plan, shared by every entry: no bytes of its own
            check_feed_shapes(self.plan, self.feeds, shapes, self.session.resources)
            if self.generic is None:
                self.generic = self._compile(None)
            compiled = self.generic
        by_shape[shapes] = compiled
        if len(by_shape) > 1:
            held = self.cached_bytes
            while len(by_shape) > 1 and (len(by_shape) > self.MAX_PLANS or
                                         held > self.MAX_PLAN_BYTES):
                evicted, plan = by_shape.popitem(last=False)
                base = self.base_bytes.pop(evicted, None)
                if base is not None:
                    held -= base + plan.scratch_bytes
        self._last = (shapes, compiled)
        return compiled

    @property
    def plan_bytes(self) -> dict[tuple[Any, ...], int]:
        """The bytes each cached specialized plan holds: planned buffers and folded constants,
        and the work arrays its kernels have made so far, with what its while loops' sub-plans
        hold (``BoundPlan.scratch_bytes``)."""
        by_shape = self.by_shape
        return {s: base + by_shape[s].scratch_bytes for s, base in self.base_bytes.items()}

    @property
    def cached_bytes(self) -> int:
        """All of ``plan_bytes``: what ``MAX_PLAN_BYTES`` bounds."""
        return sum(self.plan_bytes.values())

    def _compile(self, shapes: tuple[Any, ...] | None) -> BoundPlan:
        session = self.session
        config = session.config
        options = CompileOptions(specialize=config.specialize, plan_memory=config.plan_memory,
                                 check_numerics=session.check_numerics,
                                 codegen=not config.interpret,
                                 threads=session.inter_op_threads)
        blas.warm_up()  # once per process: numpy's BLAS at full speed (framework/blas.py)
        with _gc_paused():
            compiled = compile_plan(self.graph, self.fetches, self.feeds, shapes, options,
                                    session.resources, base=self.plan)
            return BoundPlan(compiled, session.resources)


#: Compiling allocates many small objects that live on (steps, specs, closures): Python's
#: cyclic garbage collector would walk the whole heap again and again while a large plan is
#: built (more than half of the first run of a 55k-node gradient graph). The compile makes
#: no garbage cycles worth collecting on the way, so the collector is paused for it (and
#: left as the caller had it). Off: the collector runs as usual.
PAUSE_GC_WHILE_COMPILING = True


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    if not PAUSE_GC_WHILE_COMPILING or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _execute(signature: _Signature, feed_values: Any) -> list[Any]:
    """Check the feeds, pick the plan for their shapes, run it, and make the fetched values
    safe to hand out (copies where they may share memory with state or reused buffers) —
    with numpy's BLAS on one thread when the session has a worker (compiling and binding
    too: kernels check bit-equalities on the BLAS they will run with), unless the plan
    computes the same bits on BLAS's threads as they are and runs faster there
    (``runtime/own_blas.py``)."""
    values = [spec.check(v) for spec, v in zip(signature.feed_specs, feed_values)]
    shapes = tuple([v.shape for v in values])
    if not signature.session.limits_blas:
        return _run_plan(signature.compiled_for(shapes), values)
    compiled = signature.cached_for(shapes)
    if compiled is not None and compiled.own_blas.skips_hold():
        return _run_plan(compiled, values)
    with blas_threads.single_threaded():
        if compiled is None:
            compiled = signature.compiled_for(shapes)
        out = _run_plan(compiled, values)
    compiled.own_blas.after_held_run()
    return out


def _run_plan(compiled: BoundPlan, values: list[Any]) -> list[Any]:
    if _ERRORS is None:
        with np.errstate(all="ignore"):
            results = compiled(values)
    else:
        token = _ERRORS.set(_ignoring_errors())
        try:
            results = compiled(values)
        finally:
            _ERRORS.reset(token)
    out = []
    for v, alias in zip(results, compiled.plan.fetch_aliases):
        if isinstance(v, np.ndarray):
            if alias:
                v = v.copy()
            if v.ndim == 0:  # a fetched 0-d array becomes a numpy scalar, as TF1 returns it
                v = v[()]
        out.append(v)
    return out


#: ``np.errstate(all="ignore")`` around a run costs ~2.5 us; setting numpy's error-state
#: context variable to a cached "ignore" state derived from the caller's (one entry: the
#: last state seen) does the same in ~0.3 us. Off (None) when this numpy lacks it.
try:  # numpy >= 2: the state lives in a ContextVar
    from numpy._core import _ufunc_config

    _ERRORS: Any = _ufunc_config._extobj_contextvar  # type: ignore[attr-defined]
    _make_extobj: Any = _ufunc_config._make_extobj  # type: ignore[attr-defined]
except (ImportError, AttributeError):  # pragma: no cover - another numpy: np.errstate
    _ERRORS = None
_IGNORING: tuple[Any, Any] = (None, None)


def _ignoring_errors() -> Any:
    """The caller's numpy error state with every floating-point error ignored."""
    global _IGNORING
    current = _ERRORS.get()
    seen, ignoring = _IGNORING
    if seen is not current:
        ignoring = _make_extobj(all="ignore")  # from the current state: keeps its bufsize
        _IGNORING = (current, ignoring)
    return ignoring


_FAST_ELEMENTS = (Tensor, Operation)


def _fast_key(fetches: Any, feed_dict: Any) -> tuple[Any, ...] | None:
    """An identity key for the common call shapes (a Tensor/Operation or a list/tuple of
    them; feeds keyed by Tensors), or None when the general path must interpret them.
    Only calls whose elements have those types are stored under such a key
    (``_fast_kinds``), and the stored entry keeps them alive, so a key found belongs to the
    very same objects and the lookup itself needs no type checks."""
    kind = type(fetches)
    if kind is Tensor or kind is Operation:
        fetch_key: Any = id(fetches)
    elif kind is list or kind is tuple:
        fetch_key = (kind, *map(id, fetches))
    else:
        return None
    if not feed_dict:
        return (fetch_key,)
    if type(feed_dict) is not dict:
        return None
    return (fetch_key, *map(id, feed_dict))


def _fast_kinds(fetches: Any, feed_dict: Any) -> bool:
    """Whether a call may be stored under its ``_fast_key``."""
    if type(fetches) not in _FAST_ELEMENTS and \
            not all(type(f) in _FAST_ELEMENTS for f in fetches):
        return False
    return not feed_dict or all(type(k) is Tensor for k in feed_dict)


def _flat_rebuild(fetches: Any, rebuild: Any) -> Any:
    """For a flat list/tuple of fetches the flat values are the result (as a list or a
    tuple); otherwise the general rebuild."""
    kind = type(fetches)
    if kind is list:
        return _as_list
    if kind is tuple:
        return tuple
    return rebuild


def _as_list(values: list[Any]) -> list[Any]:
    return values


def _check_feed(spec: _FeedSpec, value: Any) -> np.ndarray:
    t = spec.tensor
    if isinstance(value, Tensor):
        raise TypeError(f"the value fed for '{t.name}' is a gf.Tensor ('{value.name}'); feed "
                        "numpy arrays or Python values (evaluate the tensor first)")
    if spec.kind == "O":  # string tensor: bytes elements, as Const and TF store them
        array = _as_string_array(t, value)
    elif isinstance(value, np.ndarray) and value.dtype == spec.np_dtype:
        array = value
    else:
        src = value if isinstance(value, np.ndarray) else np.asarray(value)
        if src.dtype.kind == "f" and spec.kind in "iub" or \
                src.dtype.kind in "iu" and spec.kind == "b":
            raise TypeError(f"cannot feed a {src.dtype} value to '{t.name}', which has dtype "
                            f"{t.dtype.name}: converting would lose information. Convert the "
                            f"value yourself (np.asarray(v, dtype=np.{spec.np_dtype}))")
        if src.dtype.kind in "US" or src.dtype == object:  # (spec.kind is not "O" here)
            raise TypeError(f"cannot feed a {src.dtype} value to '{t.name}' "
                            f"({t.dtype.name})")
        array = src.astype(spec.np_dtype)
        if src.dtype.kind in "iu" and spec.kind in "iu" and not np.array_equal(array, src):
            raise TypeError(f"the integer value fed for '{t.name}' does not fit in "
                            f"{t.dtype.name}; use a wider dtype for the placeholder (int64)")
    dims = spec.dims
    if dims is not None:
        shape = array.shape
        if len(shape) != len(dims) or any(d is not None and d != s for d, s in zip(dims, shape)):
            raise InvalidArgumentError(
                f"cannot feed a value of shape {shape} for tensor '{t.name}', which has shape "
                f"{t.shape}" + (" (None means any size)" if None in dims else ""),
                t.op.name, t.op.type)
    return array


def _as_string_array(t: Tensor, value: Any) -> np.ndarray:
    src = np.array(value, dtype=object)  # a copy: the caller's array is not modified
    flat = src.reshape(-1)
    for i, v in enumerate(flat):
        if isinstance(v, (str, np.str_)):
            flat[i] = v.encode("utf-8")
        elif not isinstance(v, (bytes, np.bytes_)):
            raise TypeError(f"cannot feed {type(v).__name__} value {v!r} to '{t.name}', which "
                            "has dtype string; feed str or bytes")
    return flat.reshape(src.shape)


# -- default session --------------------------------------------------------------------

def get_default_session() -> Session | None:
    """The session installed by the innermost ``with sess:`` / ``sess.as_default()``."""
    session = default_session.get_default_session()
    return session if isinstance(session, Session) else None


class InteractiveSession(Session):
    """A Session that installs itself as the default on construction (for notebooks)."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None,
                 check_numerics: bool = False) -> None:
        super().__init__(target, graph, config, check_numerics)
        self._default = default_session.as_default_session(self)
        self._default.__enter__()
        self._graph_default = self._graph.as_default()
        self._graph_default.__enter__()

    def close(self) -> None:
        if not self._closed:
            self._graph_default.__exit__(None, None, None)
            self._default.__exit__(None, None, None)
        super().close()


