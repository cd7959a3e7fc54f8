"""``gf.nn``: TF1's ``tf.nn`` namespace (activations, bias_add, softmax, cross-entropy
losses, l2_loss, dropout, embedding_lookup). The op records and builders live in the op
families: ``graphflow.ops.activation_ops`` (relu, tanh, sigmoid, elu, ...), ``nn_ops``
(bias_add, softmax, log_softmax, l2_loss, dropout), ``cross_entropy_ops`` and
``gather_ops`` (embedding_lookup); convolutions in ``conv_ops``, pooling in ``pooling_ops``,
batch normalization in ``normalization_ops``; the RNN cells (``gf.nn.rnn_cell``) in
``rnn_cell_impl``/``rnn_cell_wrapper_impl`` and static_rnn, dynamic_rnn and their
bidirectional forms in ``rnn``."""

from __future__ import annotations

import types

from graphflow.ops import rnn_cell_impl as _cells
from graphflow.ops import rnn_cell_wrapper_impl as _wrappers
from graphflow.ops.activation_ops import (
    elu,
    leaky_relu,
    relu,
    relu6,
    sigmoid,
    softplus,
    softsign,
    tanh,
)
from graphflow.ops.clip_ops import l2_normalize
from graphflow.ops.conv_ops import (
    conv1d,
    conv2d,
    conv2d_transpose,
    depthwise_conv2d,
    depthwise_conv2d_native,
    separable_conv2d,
)
from graphflow.ops.cross_entropy_ops import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
)
from graphflow.ops.gather_ops import embedding_lookup
from graphflow.ops.moments_ops import moments
from graphflow.ops.nn_ops import bias_add, dropout, l2_loss, log_softmax, softmax
from graphflow.ops.normalization_ops import batch_normalization, fused_batch_norm
from graphflow.ops.pooling_ops import avg_pool, avg_pool2d, max_pool, max_pool2d
from graphflow.ops.rnn import (
    bidirectional_dynamic_rnn,
    dynamic_rnn,
    static_bidirectional_rnn,
    static_rnn,
)
from graphflow.ops.sampling_ops import (
    log_uniform_candidate_sampler,
    nce_loss,
    sampled_softmax_loss,
    uniform_candidate_sampler,
)
from graphflow.ops.topk_ops import in_top_k, top_k

#: ``tf.nn.rnn_cell``: TF1's RNN cells (graphflow.ops.rnn_cell_impl, rnn_cell_wrapper_impl).
rnn_cell = types.ModuleType("graphflow.nn.rnn_cell", "``gf.nn.rnn_cell``: TF1's "
                            "``tf.nn.rnn_cell`` (RNNCell, BasicRNNCell, GRUCell, BasicLSTMCell, "
                            "LSTMCell, LSTMStateTuple, MultiRNNCell and the wrappers).")
vars(rnn_cell).update({c.__name__: c for c in (
    _cells.RNNCell, _cells.BasicRNNCell, _cells.GRUCell, _cells.BasicLSTMCell, _cells.LSTMCell,
    _cells.LSTMStateTuple, _cells.MultiRNNCell, _wrappers.DropoutWrapper,
    _wrappers.ResidualWrapper, _wrappers.DeviceWrapper)})
vars(rnn_cell)["__all__"] = sorted(n for n in vars(rnn_cell) if not n.startswith("_"))

__all__ = [
    "bias_add", "dropout", "embedding_lookup", "l2_loss", "log_softmax", "relu", "sigmoid",
    "softmax", "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
    "sigmoid_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits", "tanh",
    "elu", "leaky_relu", "relu6", "softplus", "softsign",
    "conv1d", "conv2d", "conv2d_transpose", "depthwise_conv2d", "depthwise_conv2d_native",
    "separable_conv2d", "max_pool", "max_pool2d", "avg_pool", "avg_pool2d",
    "fused_batch_norm", "batch_normalization",
    "in_top_k", "l2_normalize", "moments", "top_k", "nce_loss", "sampled_softmax_loss",
    "log_uniform_candidate_sampler", "uniform_candidate_sampler",
    "rnn_cell", "static_rnn", "static_bidirectional_rnn", "dynamic_rnn",
    "bidirectional_dynamic_rnn",
]
