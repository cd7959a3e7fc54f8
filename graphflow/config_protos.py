"""``tf.ConfigProto``, ``GPUOptions``, ``GraphOptions``, ``OptimizerOptions``, ``RunOptions``,
``RunMetadata``: plain classes with the fields TF1 programs set (keyword arguments or
attribute assignment; nested options default-constructed, as protobuf messages are), so
``tf.Session(config=tf.ConfigProto(allow_soft_placement=True))`` runs. graphflow runs on the
CPU and reads one field, ``ConfigProto.inter_op_parallelism_threads``, as TF1 does: 0 (the
default) lets graphflow choose, 1 or negative keeps every step on the calling thread, 2 or
more turns on the inter-op worker thread (``SessionConfig(inter_op_threads=N)``);
``Session`` reads nothing else. An unknown field is a TypeError naming it, as a protobuf
constructor's would be."""

from __future__ import annotations

from typing import Any, ClassVar


class _Options:
    FIELDS: ClassVar[dict[str, Any]] = {}
    NESTED: ClassVar[dict[str, type[_Options]]] = {}

    def __init__(self, **kwargs: Any) -> None:
        for name, default in self.FIELDS.items():
            object.__setattr__(self, name, default() if callable(default) else default)
        for name, cls in self.NESTED.items():
            object.__setattr__(self, name, cls())
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.FIELDS and name not in self.NESTED:
            raise TypeError(f"{type(self).__name__} has no field '{name}' (graphflow accepts "
                            f"{sorted([*self.FIELDS, *self.NESTED])})")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.FIELDS)
        return f"{type(self).__name__}({fields})"

    def CopyFrom(self, other: _Options) -> None:  # noqa: N802 - protobuf's name
        for name in [*self.FIELDS, *self.NESTED]:
            object.__setattr__(self, name, getattr(other, name))


class GPUOptions(_Options):
    """``tf.GPUOptions``: accepted and ignored (graphflow has no GPUs)."""

    FIELDS: ClassVar[dict[str, Any]] = {
        "per_process_gpu_memory_fraction": 0.0, "allow_growth": False,
        "allocator_type": "", "visible_device_list": "", "force_gpu_compatible": False}


class OptimizerOptions(_Options):
    """``tf.OptimizerOptions``: accepted and ignored (graphflow's passes always run)."""

    L1, L0, ON_1, DEFAULT, OFF = 0, -1, 0, 0, -1
    FIELDS: ClassVar[dict[str, Any]] = {
        "opt_level": 0, "global_jit_level": 0, "do_common_subexpression_elimination": False,
        "do_constant_folding": False, "do_function_inlining": False}


class GraphOptions(_Options):
    """``tf.GraphOptions``: accepted and ignored."""

    FIELDS: ClassVar[dict[str, Any]] = {
        "enable_bfloat16_sendrecv": False, "infer_shapes": False, "build_cost_model": 0,
        "place_pruned_graph": False, "enable_recv_scheduling": False}
    NESTED: ClassVar[dict[str, type[_Options]]] = {"optimizer_options": OptimizerOptions}


class ConfigProto(_Options):
    """``tf.ConfigProto``: accepted by ``Session(config=...)``; only
    ``inter_op_parallelism_threads`` (>= 2: the inter-op worker) is read."""

    FIELDS: ClassVar[dict[str, Any]] = {
        "device_count": dict, "intra_op_parallelism_threads": 0,
        "inter_op_parallelism_threads": 0, "use_per_session_threads": False,
        "allow_soft_placement": False, "log_device_placement": False,
        "operation_timeout_in_ms": 0, "isolate_session_state": False,
        "session_inter_op_thread_pool": list}
    NESTED: ClassVar[dict[str, type[_Options]]] = {"gpu_options": GPUOptions,
                                                   "graph_options": GraphOptions}


class RunOptions(_Options):
    """``tf.RunOptions``: accepted by ``Session.run(options=...)`` and ignored (no tracing)."""

    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3
    FIELDS: ClassVar[dict[str, Any]] = {
        "trace_level": 0, "timeout_in_ms": 0, "inter_op_thread_pool": 0,
        "output_partition_graphs": False, "report_tensor_allocations_upon_oom": False}


class RunMetadata(_Options):
    """Filled by nothing: graphflow records no step stats (the fields stay empty)."""

    FIELDS: ClassVar[dict[str, Any]] = {"step_stats": None, "cost_graph": None,
                                        "partition_graphs": list}
