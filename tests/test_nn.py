"""``gf.nn`` (``graphflow/nn.py``): TF1's ``tf.nn`` namespace re-exports the op families'
builders (activations, nn, cross-entropies, gathers) without code of its own."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import activation_ops, cross_entropy_ops, gather_ops, nn_ops

RNG = np.random.default_rng(1234)


def test_gf_nn_namespace() -> None:
    for name in ("relu", "softmax", "log_softmax", "sigmoid", "tanh", "bias_add",
                 "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2",
                 "sparse_softmax_cross_entropy_with_logits", "l2_loss", "dropout",
                 "embedding_lookup"):
        assert callable(getattr(gf.nn, name)), name
    assert gf.nn.sigmoid is gf.sigmoid and gf.nn.tanh is gf.tanh


def test_gf_nn_names_are_the_op_families_builders() -> None:
    assert gf.nn.relu is activation_ops.relu and gf.nn.elu is activation_ops.elu
    assert gf.nn.bias_add is nn_ops.bias_add and gf.nn.dropout is nn_ops.dropout
    assert gf.nn.sigmoid_cross_entropy_with_logits is \
        cross_entropy_ops.sigmoid_cross_entropy_with_logits
    assert set(gf.nn.__all__) <= set(dir(gf.nn))


def test_embedding_lookup_delegates_to_the_indexing_ops() -> None:
    assert gf.nn.embedding_lookup is gather_ops.embedding_lookup
    params = RNG.normal(size=(5, 3))
    with gf.Graph().as_default() as graph:
        out = gf.nn.embedding_lookup(gf.constant(params), gf.constant(np.array([4, 0, 4])))
        with gf.Session(graph=graph) as sess:
            got = sess.run(out)
    np.testing.assert_allclose(got, params[[4, 0, 4]])
    with pytest.raises(NotImplementedError, match="max_norm"):
        gf.nn.embedding_lookup(gf.constant(params), gf.constant(np.array([0])), max_norm=1.0)
