"""graphflow: a TensorFlow-1-style static-graph deep-learning framework on numpy.

Build a graph (placeholders, variables, ops) -> it is a protobuf GraphDef -> run it in a
Session; ``gf.gradients`` writes the reverse-mode gradient subgraph into the same graph.
"""

import importlib

from graphflow import ops as _ops  # noqa: F401  (registers every op record)
from graphflow.compiler.gradients import gradients
from graphflow.framework.dtypes import (DType, as_dtype, bool_ as bool, float16, float32,
                                        float64, int8, int16, int32, int64, resource, string,
                                        uint8)
from graphflow.framework.errors import (DataLossError, FailedPreconditionError,
                                        GraphBuildError, InvalidArgumentError, NotFoundError,
                                        OpError, UnimplementedError)
from graphflow.framework.graph import (Graph, GraphKeys, add_to_collection,
                                       control_dependencies, get_collection,
                                       get_default_graph, name_scope, reset_default_graph)
from graphflow.framework.indexed_slices import IndexedSlices, IndexedSlicesValue
from graphflow.framework.tensor import Operation, Tensor
from graphflow.framework.tensor_shape import TensorShape
from graphflow.io import import_graph_def
from graphflow.ops.activation_ops import sigmoid, tanh
from graphflow.ops.array_ops import (broadcast_to, check_numerics, constant, expand_dims, fill,
                                     identity, ones, ones_like, placeholder,
                                     placeholder_with_default, rank, reshape, shape, size,
                                     squeeze, stop_gradient, zeros, zeros_like)
from graphflow.ops.comparison_ops import (equal, greater, greater_equal, less, less_equal,
                                          logical_and, logical_not, logical_or, not_equal,
                                          where, where_v2)
from graphflow.ops.gather_ops import (argmax, argmin, embedding_lookup, gather, one_hot,
                                      unsorted_segment_sum)
from graphflow.ops.layout_ops import (concat, invert_permutation, pad, range_, stack, tile,
                                      transpose, unstack)
from graphflow.ops.layout_ops import range_ as range  # noqa: A001  (tf.range)
from graphflow.ops.layout_ops import slice  # noqa: A004  (tf.slice)
from graphflow.ops.strided_slice_ops import strided_slice
from graphflow.ops.linalg_ops import add_n, cast, to_float
from graphflow.ops.batch_matmul_ops import matmul
from graphflow.ops.clip_ops import (clip_by_global_norm, clip_by_norm, clip_by_value,
                                    global_norm)
from graphflow.ops.mask_ops import boolean_mask, sequence_mask
from graphflow.ops.split_ops import split
from graphflow.ops.tensor_array import TensorArray
from graphflow.ops.trig_ops import ceil, cos, sin
from graphflow.ops.local_variables import local_variables, local_variables_initializer
from graphflow.debug.jacobian import jacobian
from graphflow.ops.check_ops import (assert_equal, assert_greater, assert_greater_equal,
                                     assert_less, assert_less_equal, assert_negative,
                                     assert_non_negative, assert_non_positive,
                                     assert_none_equal, assert_positive)
from graphflow.ops.control_ops import Assert, Print, py_func
from graphflow.ops.control_flow import cond, while_loop
from graphflow.ops.reverse_sequence_ops import reverse, reverse_sequence
from graphflow.ops.einsum import einsum
from graphflow.ops.functional_ops import foldl, foldr, map_fn, scan
from graphflow.ops.math_ops import (abs, add, divide, exp, expm1, floor, floordiv, floormod,
                                    log, log1p, maximum, minimum, mod, multiply, negative, pow,
                                    reciprocal, rsqrt, sign, sqrt, square, squared_difference,
                                    subtract, truediv)
from graphflow.ops.reduction_ops import (cumprod, cumsum, reduce_all, reduce_any, reduce_prod)
from graphflow.ops.op_builder import convert_to_tensor
from graphflow.ops.random_ops import (random_normal, random_uniform, set_random_seed,
                                      truncated_normal)
from graphflow.ops.reduction_ops import reduce_max, reduce_mean, reduce_min, reduce_sum
from graphflow.ops.state_ops import (assign, assign_add, assign_sub, group, no_op, scatter_add,
                                     scatter_sub, scatter_update)
from graphflow.ops.variables import (Variable, global_variables, global_variables_initializer,
                                     trainable_variables, variables_initializer)
from graphflow.ops.variable_scope import (AUTO_REUSE, VariableScope, get_variable,
                                          get_variable_scope, variable_scope)
from graphflow.ops.initializers import (constant_initializer, glorot_normal_initializer,
                                        glorot_uniform_initializer, ones_initializer,
                                        random_normal_initializer, random_uniform_initializer,
                                        truncated_normal_initializer,
                                        variance_scaling_initializer, zeros_initializer)
from graphflow.runtime.session import (InteractiveSession, Session, SessionConfig,
                                       get_default_session)

__version__ = "0.1.0"
sub = subtract

from graphflow import nn  # noqa: E402  (gf.nn: TF1's tf.nn namespace)
from graphflow import test  # noqa: E402  (gf.test.compute_gradient_error)
from graphflow import debugging  # noqa: E402  (gf.debugging.check_numerics)
from graphflow import train  # noqa: E402  (gf.train optimizers)
from graphflow import viz  # noqa: E402  (gf.viz: to_dot, render, compute_values)
from graphflow import graph_util  # noqa: E402
from graphflow import debug  # noqa: E402  (gf.debug: gradient-flow report, inspection)
from graphflow import initializers, layers, losses  # noqa: E402  (gf.layers, gf.losses...)
from graphflow import summary  # noqa: E402  (gf.summary: summary ops, FileWriter)
from graphflow.proto.summary_pb2 import Summary  # noqa: E402  (tf.Summary, hand-made values)

# TF1 programs (`import graphflow as tf`; graphflow.compat.v1 adds tf.contrib, tf.data and the
# errors for unsupported names): deprecated aliases, tf.device, tf.round, the utility modules.
from graphflow.framework.graph import device  # noqa: E402
from graphflow.ops.rounding_ops import round  # noqa: E402, A004  (tf.round)
from graphflow.ops.deprecated_ops import (arg_max, arg_min, div,  # noqa: E402
                                          initialize_all_variables,
                                          initialize_local_variables, mul, neg)
from graphflow import app, errors, flags, gfile, math  # noqa: E402  (tf.app, tf.errors, ...)
from graphflow import tf_logging as logging  # noqa: E402  (tf.logging)
from graphflow.config_protos import (ConfigProto, GPUOptions, GraphOptions,  # noqa: E402
                                     OptimizerOptions, RunMetadata, RunOptions)


def __getattr__(name: str) -> object:
    """``tf.compat`` for ``import graphflow as tf`` programs (``tf.compat.v1.placeholder``):
    graphflow.compat sits above this module in the layers, so it is imported on first use,
    not here (importing it eagerly would be an import loop)."""
    if name == "compat":
        importlib.import_module("graphflow.compat.v1")
        return importlib.import_module("graphflow.compat")
    raise AttributeError(f"module 'graphflow' has no attribute '{name}'")
