"""``gf.TensorArray``: TF1's graph-mode TensorArray class over the TensorArray op records
of ``tensor_array_ops``.

TF1 TensorArrays are functional: ``write``/``scatter``/``unstack``/``split`` return a NEW
TensorArray object with the same handle and the op's ``flow_out`` as its flow; reads take
the flow of the object they are called on, which orders them after the writes that made
it. Objects derived from one another share their static knowledge (dtype, size, dynamic
size, and the element shape that ``infer_shape`` refines with every write), so ``read``
and ``stack`` outputs get static shapes as in TensorFlow. ``with_flow(flow)`` rebuilds an
object around another flow tensor (how ``while_loop`` carries a TensorArray: as its flow).

The node builders below it (``tensor_array_v3``, ``tensor_array_write_v3``, ...: one node of
each op type, TensorFlow's ``gen_data_flow_ops`` names) are what the class and the gradient
rules of ``tensor_array_ops`` build with; the records, kernels and run-time resource are in
``tensor_array_ops``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.graph import Graph
from graphflow.framework.tensor import Operation, Tensor
from graphflow.framework.tensor_shape import TensorShape, as_shape
from graphflow.ops import array_ops, linalg_ops, op_builder
from graphflow.ops.layout_ops import range_
from graphflow.ops.strided_slice_ops import strided_slice


def _constant_value(value: Any) -> np.ndarray | None:
    """The build-time value of ``value`` (a Tensor's static value), else None."""
    if isinstance(value, Tensor):
        return value.spec.value
    if value is None:
        return None
    return np.asarray(value)


# ----------------------------------------------------------------------------------------
# Node builders (TensorFlow's gen_data_flow_ops names)
# ----------------------------------------------------------------------------------------


def _int32(value: Any, name: str) -> Tensor:
    return op_builder.convert_to_tensor(value, dtype=dtypes.int32, name=name)


def tensor_array_v3(size: Any, dtype: Any, element_shape: Any = None, dynamic_size: bool = False,
                    clear_after_read: bool = True, identical_element_shapes: bool = False,
                    tensor_array_name: str = "", name: str | None = None
                    ) -> tuple[Tensor, Tensor]:
    """One ``TensorArrayV3`` node: (handle, flow)."""
    size_t = _int32(size, "size")
    op = op_builder.apply("TensorArrayV3", [size_t], {
        "dtype": dtypes.as_dtype(dtype), "element_shape": as_shape(element_shape),
        "dynamic_size": bool(dynamic_size), "clear_after_read": bool(clear_after_read),
        "identical_element_shapes": bool(identical_element_shapes),
        "tensor_array_name": tensor_array_name or ""}, name=name or "TensorArrayV3")
    return op.outputs[0], op.outputs[1]


def tensor_array_write_v3(handle: Tensor, index: Any, value: Any, flow_in: Tensor,
                          name: str | None = None) -> Tensor:
    """One ``TensorArrayWriteV3`` node: the flow after writing ``value`` at ``index``."""
    with handle.graph.as_default():
        index_t = _int32(index, "index")
        value_t = op_builder.convert_to_tensor(value)
    return op_builder.apply1("TensorArrayWriteV3", [handle, index_t, value_t, flow_in],
                             {"T": value_t.dtype}, name=name or "TensorArrayWriteV3")


def tensor_array_read_v3(handle: Tensor, index: Any, flow_in: Tensor, dtype: Any,
                         name: str | None = None) -> Tensor:
    """One ``TensorArrayReadV3`` node: the element at ``index``."""
    with handle.graph.as_default():
        index_t = _int32(index, "index")
    return op_builder.apply1("TensorArrayReadV3", [handle, index_t, flow_in],
                             {"dtype": dtypes.as_dtype(dtype)}, name=name or "TensorArrayReadV3")


def tensor_array_gather_v3(handle: Tensor, indices: Any, flow_in: Tensor, dtype: Any,
                           element_shape: Any = None, name: str | None = None) -> Tensor:
    """One ``TensorArrayGatherV3`` node: the elements at ``indices``, stacked."""
    with handle.graph.as_default():
        indices_t = _int32(indices, "indices")
    return op_builder.apply1("TensorArrayGatherV3", [handle, indices_t, flow_in],
                             {"dtype": dtypes.as_dtype(dtype),
                              "element_shape": as_shape(element_shape)},
                             name=name or "TensorArrayGatherV3")


def tensor_array_scatter_v3(handle: Tensor, indices: Any, value: Any, flow_in: Tensor,
                            name: str | None = None) -> Tensor:
    """One ``TensorArrayScatterV3`` node: the flow after writing ``value[k]`` at ``indices[k]``."""
    with handle.graph.as_default():
        indices_t = _int32(indices, "indices")
        value_t = op_builder.convert_to_tensor(value)
    return op_builder.apply1("TensorArrayScatterV3", [handle, indices_t, value_t, flow_in],
                             {"T": value_t.dtype}, name=name or "TensorArrayScatterV3")


def tensor_array_concat_v3(handle: Tensor, flow_in: Tensor, dtype: Any,
                           element_shape_except0: Any = None, name: str | None = None
                           ) -> tuple[Tensor, Tensor]:
    """One ``TensorArrayConcatV3`` node: (all elements concatenated, their lengths)."""
    op = op_builder.apply("TensorArrayConcatV3", [handle, flow_in],
                          {"dtype": dtypes.as_dtype(dtype),
                           "element_shape_except0": as_shape(element_shape_except0)},
                          name=name or "TensorArrayConcatV3")
    return op.outputs[0], op.outputs[1]


def tensor_array_split_v3(handle: Tensor, value: Any, lengths: Tensor, flow_in: Tensor,
                          name: str | None = None) -> Tensor:
    """One ``TensorArraySplitV3`` node: the flow after splitting ``value`` by ``lengths``."""
    with handle.graph.as_default():
        value_t = op_builder.convert_to_tensor(value)
    return op_builder.apply1("TensorArraySplitV3", [handle, value_t, lengths, flow_in],
                             {"T": value_t.dtype}, name=name or "TensorArraySplitV3")


def tensor_array_size_v3(handle: Tensor, flow_in: Tensor, name: str | None = None) -> Tensor:
    """One ``TensorArraySizeV3`` node: the number of elements."""
    return op_builder.apply1("TensorArraySizeV3", [handle, flow_in],
                             name=name or "TensorArraySizeV3")


def tensor_array_close_v3(handle: Tensor, name: str | None = None) -> Operation:
    """One ``TensorArrayCloseV3`` node."""
    return op_builder.apply("TensorArrayCloseV3", [handle], name=name or "TensorArrayCloseV3")


def tensor_array_grad_v3(handle: Tensor, flow_in: Tensor, source: str,
                         name: str | None = None) -> tuple[Tensor, Tensor]:
    """One ``TensorArrayGradV3`` node: (gradient array handle, flow_out)."""
    op = op_builder.apply("TensorArrayGradV3", [handle, flow_in], {"source": source},
                          name=name or "TensorArrayGradV3")
    return op.outputs[0], op.outputs[1]


def gradient_array(handle: Tensor, flow: Tensor, source: str,
                   name: str | None = None) -> tuple[Tensor, Tensor]:
    """TF1's ``TensorArray.grad``: a ``TensorArrayGradV3`` node (under ``TensorArrayGrad``)
    and the flow to use with its handle (``gradient_flow``: ``flow`` after the node ran)."""
    g = handle.graph
    with g.as_default(), g.name_scope(name or "TensorArrayGrad"):
        g_handle, _ = tensor_array_grad_v3(handle, flow, source)
        with g.control_dependencies([g_handle.op]):
            g_flow = array_ops.identity(flow, name="gradient_flow")
    return g_handle, g_flow


# ----------------------------------------------------------------------------------------
# The class
# ----------------------------------------------------------------------------------------


class TensorArray:
    """TF1's ``tf.TensorArray`` (graph mode): a write-once array of tensors of one dtype
    living for one ``Session.run``; see the module docstring."""

    def __init__(self, dtype: Any, size: Any = None, dynamic_size: bool | None = None,
                 clear_after_read: bool | None = None, tensor_array_name: str | None = None,
                 handle: Tensor | None = None, flow: Tensor | None = None,
                 infer_shape: bool = True, element_shape: Any = None,
                 colocate_with_first_write_call: bool = True, name: str | None = None) -> None:
        if handle is not None and tensor_array_name:
            raise ValueError("Cannot provide both `handle` and `tensor_array_name` arguments "
                             "at the same time.")
        if handle is not None and not isinstance(handle, Tensor):
            raise TypeError(f"Expected `handle` to be a Tensor, but got `{handle}` of type "
                            f"`{type(handle).__name__}` instead.")
        if handle is None and size is None:
            raise ValueError("Argument `size` must be provided if handle is not provided.")
        for arg, what in ((size, "size"), (element_shape, "element_shape"),
                          (dynamic_size, "dynamic_size"),
                          (clear_after_read, "clear_after_read")):
            if handle is not None and arg is not None:
                raise ValueError(f"Cannot provide both a `handle` and `{what}` arguments at "
                                 "the same time.")
        if handle is not None and flow is None:
            raise ValueError("flow must not be None if handle is not None.")
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._size = size
        self._infer_shape = infer_shape
        self._colocate_with_first_write_call = colocate_with_first_write_call
        # One list shared by every TensorArray derived from this one (TF's sharing trick).
        self._element_shape: list[TensorShape] = [as_shape(element_shape)]
        graph = handle.graph if handle is not None else op_builder.graph_of(size, flow)
        with graph.as_default(), graph.name_scope(name or "TensorArray") as scope:
            if handle is not None:
                if handle.dtype != dtypes.resource:
                    raise TypeError(f"`handle` '{handle.name}' has dtype {handle.dtype.name}; "
                                    "a TensorArray handle is a resource tensor")
                self._handle: Tensor = handle
                self._flow: Tensor = op_builder.convert_to_tensor(flow, dtype=dtypes.float32)
            else:
                self._handle, self._flow = tensor_array_v3(
                    size, self._dtype, element_shape=element_shape,
                    dynamic_size=self._dynamic_size,
                    clear_after_read=True if clear_after_read is None else clear_after_read,
                    identical_element_shapes=infer_shape,
                    tensor_array_name=tensor_array_name or "", name=scope)

    # -- properties ------------------------------------------------------------------------
    @property
    def flow(self) -> Tensor:
        """The flow tensor (float32 scalar) that orders the ops on this array."""
        return self._flow

    @property
    def dtype(self) -> dtypes.DType:
        """The dtype of the elements."""
        return self._dtype

    @property
    def handle(self) -> Tensor:
        """The resource handle tensor (TensorArrayV3's first output)."""
        return self._handle

    @property
    def element_shape(self) -> TensorShape:
        """The static element shape known so far (refined by writes when infer_shape)."""
        return self._element_shape[0]

    @property
    def dynamic_size(self) -> bool:
        """Whether writes may grow the array past its initial size."""
        return self._dynamic_size

    @property
    def graph(self) -> Graph:
        """The graph of the handle."""
        return self._handle.graph

    def __repr__(self) -> str:
        return (f"<gf.TensorArray handle='{self._handle.name}' flow='{self._flow.name}' "
                f"dtype={self._dtype.name} element_shape={self.element_shape}>")

    # -- derived arrays ----------------------------------------------------------------------
    def with_flow(self, flow: Tensor) -> TensorArray:
        """A TensorArray with this one's handle and static knowledge and ``flow`` as its
        flow (TF's ``build_ta_with_new_flow``)."""
        new = TensorArray(self._dtype, handle=self._handle, flow=flow,
                          infer_shape=self._infer_shape,
                          colocate_with_first_write_call=self._colocate_with_first_write_call)
        new._dynamic_size = self._dynamic_size
        new._size = self._size
        new._element_shape = self._element_shape  # shared
        return new

    def identity(self) -> TensorArray:
        """This array with an Identity of its flow (forces ordering through that node)."""
        with self.graph.as_default():
            return self.with_flow(array_ops.identity(self._flow))

    def _check_element_shape(self, shape: Any) -> None:
        shape = as_shape(shape)
        if not shape.is_compatible_with(self.element_shape):
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected "
                             f"{self.element_shape} (a TensorArray holds elements of one "
                             "shape; create it with infer_shape=False to mix shapes)")
        if self._infer_shape:
            self._element_shape[0] = self.element_shape.merge_with(shape)

    def _value(self, value: Any, exact: bool = False) -> Tensor:
        """``value`` as a Tensor of the array's dtype (TypeError naming both dtypes)."""
        if exact:
            t = op_builder.convert_to_tensor(value, dtype=self._dtype, name="value")
        else:
            t = op_builder.convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
        if t.dtype != self._dtype:
            raise TypeError(f"TensorArray '{self._handle.op.name}' holds {self._dtype.name} "
                            f"elements but got '{t.name}' of dtype {t.dtype.name}; convert "
                            f"it with gf.cast(value, gf.{self._dtype.name})")
        return t

    # -- ops ---------------------------------------------------------------------------------
    def grad(self, source: str, flow: Tensor | None = None, name: str | None = None
             ) -> TensorArray:
        """The gradient TensorArray of this array for gradient call ``source`` (a
        ``TensorArrayGradV3`` node), created after ``flow`` (default: this array's flow)."""
        g = self.graph
        with g.as_default():
            g_handle, g_flow = gradient_array(self._handle,
                                                     self._flow if flow is None else flow,
                                                     source, name=name)
            grad = TensorArray(self._dtype, handle=g_handle, flow=g_flow,
                               infer_shape=self._infer_shape,
                               colocate_with_first_write_call=False)
        grad._element_shape = self._element_shape
        return grad

    def read(self, index: Any, name: str | None = None) -> Tensor:
        """The element at ``index`` (``TensorArrayReadV3``)."""
        with self.graph.as_default():
            value = tensor_array_read_v3(self._handle, index, self._flow, self._dtype,
                                                name=name)
        value.set_shape(self.element_shape)
        return value

    def write(self, index: Any, value: Any, name: str | None = None) -> TensorArray:
        """A new TensorArray whose flow follows writing ``value`` at ``index``."""
        g = self.graph
        with g.as_default(), g.name_scope(name or "TensorArrayWrite"):
            v = self._value(value)
            self._check_element_shape(v.shape)
            flow = tensor_array_write_v3(self._handle, index, v, self._flow, name=name)
            return self.with_flow(flow)

    def stack(self, name: str | None = None) -> Tensor:
        """All elements stacked along a new axis 0 (a gather of ``range(size())``)."""
        g = self.graph
        with g.as_default(), g.name_scope(name or "TensorArrayStack"):
            value = self.gather(range_(0, self.size()), name=name)
            shape = self.element_shape
            if shape.rank is not None and not self._dynamic_size and self._size is not None:
                n = _constant_value(self._size)
                dim0 = int(n) if n is not None and np.ndim(n) == 0 else None
                value.set_shape(TensorShape([dim0]).concatenate(shape))
            return value

    def gather(self, indices: Any, name: str | None = None) -> Tensor:
        """The elements at ``indices`` stacked (``TensorArrayGatherV3``)."""
        shape = self.element_shape
        with self.graph.as_default():
            value = tensor_array_gather_v3(self._handle, indices, self._flow,
                                                  self._dtype, element_shape=shape, name=name)
        if shape.rank is not None:
            value.set_shape(TensorShape([None]).concatenate(shape))
        return value

    def concat(self, name: str | None = None) -> Tensor:
        """All elements concatenated along axis 0 (``TensorArrayConcatV3``)."""
        shape = self.element_shape
        with self.graph.as_default():
            value, _ = tensor_array_concat_v3(self._handle, self._flow, self._dtype,
                                                     element_shape_except0=shape[1:],
                                                     name=name)
            if shape.rank is not None and shape.rank >= 1:
                dim0 = None
                if self._infer_shape:
                    size = _constant_value(self.size())
                    if size is not None and shape[0] is not None:
                        dim0 = int(size) * shape[0]
                value.set_shape(TensorShape([dim0]).concatenate(shape[1:]))
        return value

    def unstack(self, value: Any, name: str | None = None) -> TensorArray:
        """A new TensorArray whose element i is ``value[i]`` (a scatter of
        ``range(shape(value)[0])``)."""
        g = self.graph
        with g.as_default(), g.name_scope(name or "TensorArrayUnstack"):
            v = self._value(value)
            n = strided_slice(array_ops.shape(v), [0], [1], [1], shrink_axis_mask=1)
            return self.scatter(indices=range_(0, n), value=v, name=name)

    def scatter(self, indices: Any, value: Any, name: str | None = None) -> TensorArray:
        """A new TensorArray whose flow follows writing ``value[k]`` at ``indices[k]``."""
        g = self.graph
        with g.as_default(), g.name_scope(name or "TensorArrayScatter"):
            v = self._value(value)
            self._check_element_shape(v.shape[1:])
            flow = tensor_array_scatter_v3(self._handle, indices, v, self._flow,
                                                  name=name)
            return self.with_flow(flow)

    def split(self, value: Any, lengths: Any, name: str | None = None) -> TensorArray:
        """A new TensorArray whose element i is the next ``lengths[i]`` rows of ``value``."""
        g = self.graph
        with g.as_default(), g.name_scope(name or "TensorArraySplit"):
            v = self._value(value, exact=True)
            lengths_64 = linalg_ops.cast(op_builder.int_input(lengths, "lengths"),
                                         dtypes.int64)
            known = _constant_value(lengths_64)
            if v.shape.rank is not None and known is not None and known.ndim == 1 and \
                    known.size and known.max() == known.min():
                self._check_element_shape(TensorShape([int(known[0])]).concatenate(
                    v.shape[1:]))
            flow = tensor_array_split_v3(self._handle, v, lengths_64, self._flow,
                                                name=name)
            return self.with_flow(flow)

    def size(self, name: str | None = None) -> Tensor:
        """The number of elements: the constant size of a fixed-size array, else a
        ``TensorArraySizeV3`` node."""
        with self.graph.as_default():
            if not self._dynamic_size and self._size is not None:
                return op_builder.convert_to_tensor(self._size, dtype=dtypes.int32)
            return tensor_array_size_v3(self._handle, self._flow, name=name)

    def close(self, name: str | None = None) -> Operation:
        """An op that closes the array (``TensorArrayCloseV3``)."""
        with self.graph.as_default():
            return tensor_array_close_v3(self._handle, name=name)


__all__ = ["TensorArray"]
