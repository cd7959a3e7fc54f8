"""``gf.layers``: dense (TF1 node names, default names, sharing and its errors, values vs
numpy for rank 2 and 3, gradients vs finite differences in float64, initializers,
regularizers, input errors), dropout (bool and tensor ``training``), and a tiny MLP built
from gf.layers.dense + gf.losses + an optimizer that learns."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

RNG = np.random.default_rng(7)


def init_session(graph: gf.Graph) -> gf.Session:
    sess = gf.Session(graph=graph)
    sess.run(gf.global_variables_initializer())
    return sess


# ----------------------------------------------------------------------------------------
# dense: names and sharing
# ----------------------------------------------------------------------------------------


def test_dense_node_names_match_tf1(graph) -> None:
    x = gf.placeholder(gf.float32, [None, 3], name="x")
    y = gf.layers.dense(x, 4, activation=gf.nn.relu)
    ops = {op.name: op for op in graph.get_operations()}
    assert ops["dense/kernel"].type == "VariableV2" and ops["dense/bias"].type == "VariableV2"
    assert ops["dense/kernel/Assign"].type == "Assign"
    assert ops["dense/kernel/read"].type == "Identity"
    assert ops["dense/kernel/Initializer/random_uniform/RandomUniform"].type == "RandomUniform"
    assert ops["dense/bias/Initializer/zeros"].type == "Const"
    assert ops["dense/MatMul"].type == "MatMul"
    assert list(ops["dense/MatMul"].node_def.input) == ["x", "dense/kernel/read"]
    assert ops["dense/BiasAdd"].type == "BiasAdd"
    assert list(ops["dense/BiasAdd"].node_def.input) == ["dense/MatMul", "dense/bias/read"]
    assert y.op.name == "dense/Relu"
    assert ops["dense/kernel"].get_attr("shape").as_list() == [3, 4]
    assert ops["dense/bias"].get_attr("shape").as_list() == [4]
    assert y.shape.as_list() == [None, 4] and y.dtype == gf.float32
    assert [v.op.name for v in gf.trainable_variables()] == ["dense/kernel", "dense/bias"]


def test_dense_default_names_count_up_and_nest(graph) -> None:
    x = gf.placeholder(gf.float32, [2, 3])
    a = gf.layers.dense(x, 5)
    b = gf.layers.dense(a, 4)
    with gf.variable_scope("net"):
        c = gf.layers.dense(b, 2)
    named = gf.layers.dense(c, 1, name="out")
    assert [t.op.name for t in (a, b, c, named)] == ["dense/BiasAdd", "dense_1/BiasAdd",
                                                      "net/dense/BiasAdd", "out/BiasAdd"]
    assert [v.op.name for v in gf.trainable_variables()] == [
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "net/dense/kernel",
        "net/dense/bias", "out/kernel", "out/bias"]


def test_dense_sharing_with_reuse(graph) -> None:
    x1 = gf.placeholder(gf.float64, [2, 3])
    x2 = gf.placeholder(gf.float64, [6, 3])
    y1 = gf.layers.dense(x1, 4, name="fc")
    y2 = gf.layers.dense(x2, 4, name="fc", reuse=True)
    assert len(gf.trainable_variables()) == 2
    assert y2.op.name == "fc_1/BiasAdd"  # new name scope, shared variables
    assert list(graph.get_operation_by_name("fc_1/MatMul").node_def.input)[1] == "fc/kernel/read"
    with gf.variable_scope("outer", reuse=gf.AUTO_REUSE):
        z1 = gf.layers.dense(x1, 2)
    with gf.variable_scope("outer", reuse=gf.AUTO_REUSE):
        z2 = gf.layers.dense(x1, 2, name="dense")
    del z1, z2
    assert len(gf.trainable_variables()) == 4  # outer/dense/{kernel,bias} created once
    with init_session(graph) as sess:
        v1 = RNG.standard_normal((2, 3))
        a, b = sess.run([y1, y2], {x1: v1, x2: np.concatenate([v1, v1[:1] * 0, v1, v1[:1]])})
    np.testing.assert_allclose(b[:2], a)


def test_dense_same_name_without_reuse_raises(graph) -> None:
    x = gf.placeholder(gf.float32, [2, 3])
    gf.layers.dense(x, 4, name="fc")
    with pytest.raises(ValueError, match="Variable fc/kernel already exists, disallowed"):
        gf.layers.dense(x, 4, name="fc")
    with pytest.raises(ValueError, match=r"Trying to share variable fc/kernel, but specified "
                                         r"shape \(3, 5\) and found shape \(3, 4\)"):
        gf.layers.dense(x, 5, name="fc", reuse=True)
    with pytest.raises(ValueError, match="Variable gc/kernel does not exist"):
        gf.layers.dense(x, 4, name="gc", reuse=True)


# ----------------------------------------------------------------------------------------
# dense: values and gradients
# ----------------------------------------------------------------------------------------


def test_dense_values_vs_numpy(graph) -> None:
    x = gf.placeholder(gf.float64, [None, 3])
    y = gf.layers.dense(x, 4, activation=gf.tanh, name="fc")
    kernel, bias = gf.trainable_variables()
    assert kernel.dtype == gf.float64  # the layer takes the inputs' dtype
    w, b = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    xv = RNG.standard_normal((5, 3))
    with init_session(graph) as sess:
        kernel.load(w, sess)
        bias.load(b, sess)
        np.testing.assert_allclose(sess.run(y, {x: xv}), np.tanh(xv @ w + b), rtol=1e-12)


def test_dense_rank3_inputs_contract_the_last_axis(graph) -> None:
    x = gf.placeholder(gf.float64, [None, 5, 3])
    y = gf.layers.dense(x, 2)
    assert y.shape.as_list() == [None, 5, 2]
    assert graph.get_operation_by_name("dense/Tensordot/MatMul").type == "MatMul"
    kernel, bias = gf.trainable_variables()
    xv = RNG.standard_normal((4, 5, 3))
    with init_session(graph) as sess:
        w, b, out = sess.run([kernel, bias, y], {x: xv})
    np.testing.assert_allclose(out, np.einsum("bti,io->bto", xv, w) + b, rtol=1e-12)
    static = gf.layers.dense(gf.placeholder(gf.float32, [2, 5, 3]), 6)
    assert static.shape.as_list() == [2, 5, 6]


def test_dense_gradient_matches_finite_differences(graph) -> None:
    x = gf.placeholder(gf.float64, [4, 3], name="x")
    y = gf.layers.dense(x, 2, activation=gf.nn.softplus,
                        bias_initializer=gf.random_normal_initializer(seed=1))
    kernel, bias = gf.trainable_variables()
    result = gf.test.check_gradients(y, [x, kernel, bias], {x: RNG.standard_normal((4, 3))})
    assert result.max_error < 1e-7, str(result)


def test_dense_initializers_use_bias_trainable(graph) -> None:
    x = gf.placeholder(gf.float32, [2, 3])
    y = gf.layers.dense(x, 2, use_bias=False, kernel_initializer=gf.ones_initializer(),
                        trainable=False)
    z = gf.layers.dense(x, 2, bias_initializer=gf.constant_initializer(0.5))
    assert y.op.type == "MatMul" and y.op.name == "dense/MatMul"
    assert [v.op.name for v in gf.global_variables()] == ["dense/kernel", "dense_1/kernel",
                                                           "dense_1/bias"]
    assert [v.op.name for v in gf.trainable_variables()] == ["dense_1/kernel", "dense_1/bias"]
    with gf.variable_scope("s", initializer=gf.constant_initializer(2.0)):
        s = gf.layers.dense(x, 1)  # kernel_initializer=None takes the scope's initializer
    xv = np.ones((2, 3), np.float32)
    with init_session(graph) as sess:
        out_y, bias_z, out_s = sess.run([y, gf.trainable_variables()[1], s], {x: xv})
    np.testing.assert_array_equal(out_y, np.full((2, 2), 3.0))
    np.testing.assert_array_equal(bias_z, [0.5, 0.5])
    np.testing.assert_array_equal(out_s, np.full((2, 1), 6.0))  # bias stays zeros
    del z


def test_dense_regularizers_feed_the_total_loss(graph) -> None:
    x = gf.placeholder(gf.float64, [2, 3])
    gf.layers.dense(x, 2, kernel_initializer=gf.ones_initializer(),
                    kernel_regularizer=lambda w: gf.multiply(gf.reduce_sum(gf.square(w)), 0.5),
                    activity_regularizer=lambda y: gf.reduce_sum(y))
    regs = gf.losses.get_regularization_losses()
    assert len(regs) == 2
    assert regs[0].op.name.startswith("dense/kernel/Regularizer/")
    assert regs[1].op.name.startswith("dense/ActivityRegularizer/")
    total = gf.losses.get_total_loss()
    with init_session(graph) as sess:
        assert sess.run(total, {x: np.ones((2, 3))}) == pytest.approx(3.0 + 12.0)


def test_dense_input_errors(graph) -> None:
    with pytest.raises(ValueError, match="The last dimension of the inputs to `Dense` should "
                                         "be defined. Found `None`"):
        gf.layers.dense(gf.placeholder(gf.float32, [2, None]), 3)
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        gf.layers.dense(gf.placeholder(gf.float32, [3]), 3)
    with pytest.raises(ValueError, match="must be floating point, got int32"):
        gf.layers.dense(gf.placeholder(gf.int32, [2, 3]), 3)
    with pytest.raises(ValueError, match="units must be a positive integer, got 0"):
        gf.layers.dense(gf.placeholder(gf.float32, [2, 3]), 0)
    with pytest.raises(NotImplementedError, match="kernel_constraint"):
        gf.layers.dense(gf.placeholder(gf.float32, [2, 3]), 2, kernel_constraint=lambda w: w)
    assert gf.trainable_variables() == []  # no variable was created by a rejected call


# ----------------------------------------------------------------------------------------
# dropout
# ----------------------------------------------------------------------------------------


def test_dropout_inference_is_the_identity(graph) -> None:
    x = gf.placeholder(gf.float32, [3, 4])
    y = gf.layers.dropout(x, rate=0.5)
    assert y.op.type == "Identity" and y.op.name == "dropout/Identity"
    xv = RNG.standard_normal((3, 4)).astype(np.float32)
    with gf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: xv}), xv)


def test_dropout_training_drops_and_scales(graph) -> None:
    x = gf.ones([200, 100], dtype=gf.float64)
    y = gf.layers.dropout(x, rate=0.25, seed=3, training=True)
    assert y.op.name == "dropout/dropout"
    with gf.Session() as sess:
        a, b = sess.run(y), sess.run(y)
    assert set(np.unique(a)) <= {0.0, 1 / 0.75}
    assert (a == 0).mean() == pytest.approx(0.25, abs=0.02)
    assert not np.array_equal(a, b)  # a new mask every step
    with gf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), a)  # seeded: same stream per session
    assert gf.layers.dropout(x, rate=0.0, training=True) is x  # nothing to drop


def test_dropout_with_a_training_tensor(graph) -> None:
    x = gf.placeholder(gf.float64, [50, 40])
    training = gf.placeholder_with_default(False, [], name="training")
    y = gf.layers.dropout(x, rate=0.5, seed=1, training=training)
    assert y.op.type == "Merge" and y.op.name == "dropout/cond/Merge"  # a gf.cond
    (g,) = gf.gradients(gf.reduce_sum(y), [x])
    xv = RNG.standard_normal((50, 40))
    with gf.Session() as sess:
        off, g_off = sess.run([y, g], {x: xv})
        on, g_on = sess.run([y, g], {x: xv, training: True})
    np.testing.assert_array_equal(off, xv)
    np.testing.assert_array_equal(g_off, np.ones_like(xv))
    kept = on != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(on[kept], 2 * xv[kept])
    np.testing.assert_array_equal(g_on, 2.0 * kept)  # d/dx = mask / keep_prob
    const_flag = gf.layers.dropout(x, training=gf.constant(False))
    assert const_flag.op.type == "Identity"  # a constant flag is resolved while building


def test_dropout_errors(graph) -> None:
    x = gf.placeholder(gf.float32, [2, 2])
    with pytest.raises(ValueError, match="training must be a Python bool or a scalar bool "
                                         "tensor"):
        gf.layers.dropout(x, training=gf.placeholder(gf.float32, []))
    with pytest.raises(TypeError, match="training must be a bool or a bool tensor, got str"):
        gf.layers.dropout(x, training="yes")
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
        gf.layers.dropout(x, rate=1.5, training=True)


# ----------------------------------------------------------------------------------------
# A tiny MLP learns
# ----------------------------------------------------------------------------------------


def test_tiny_mlp_lowers_its_loss() -> None:
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((64, 2)).astype(np.float32)
    labels = (xv[:, 0] * xv[:, 1] > 0).astype(np.int32)  # XOR of signs: needs the hidden layer
    g = gf.Graph()
    with g.as_default():
        gf.set_random_seed(1)
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        y = gf.placeholder(gf.int32, [None], name="y")
        training = gf.placeholder_with_default(False, [], name="training")
        h = gf.layers.dense(x, 16, activation=gf.nn.relu, name="hidden")
        h = gf.layers.dropout(h, rate=0.1, training=training)
        logits = gf.layers.dense(h, 2, name="logits")
        gf.losses.sparse_softmax_cross_entropy(y, logits)
        loss = gf.losses.get_total_loss()
        train = gf.train.AdamOptimizer(0.05).minimize(loss)
        with init_session(g) as sess:
            feed = {x: xv, y: labels}
            before = sess.run(loss, feed)
            for _ in range(150):
                sess.run(train, {**feed, training: True})
            after = sess.run(loss, feed)
            accuracy = (sess.run(logits, feed).argmax(1) == labels).mean()
    assert after < 0.5 * before
    assert accuracy > 0.9
