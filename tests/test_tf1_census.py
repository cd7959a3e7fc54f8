"""The TF1 census: every TF 1.x name graphflow claims, each exercised by a small TF1-style
snippet through ``import graphflow.compat.v1 as tf`` (values checked against numpy or by
hand), plus whole TF1-style programs (a CS224N-style softmax regression and a window model
with placeholders, variable_scope, xavier_initializer, reduce_mean(reduction_indices=...),
AdamOptimizer, Saver and app.run) that run unchanged. README.md ("TF1 programs") quotes
``len(CENSUS)``; ``test_the_readme_states_the_census_count`` keeps it true."""

from __future__ import annotations

import re
import runpy
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import graphflow.compat.v1 as tf

A = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], dtype=np.float32)


def run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def close(t, want, feed=None):
    np.testing.assert_allclose(run(t, feed), want, rtol=1e-5, atol=1e-6)


#: TF1 name -> a snippet exercising it (``tf``, ``np``, ``A``, ``run``, ``close`` in scope).
CENSUS: dict[str, str] = {
    # -- graph, session, placeholders, variables ------------------------------------------
    "Graph": "g = tf.Graph()\nwith g.as_default(): c = tf.constant(1.0)\nassert c.graph is g",
    "Session": "with tf.Session() as s: assert s.run(tf.constant(2.0)) == 2.0",
    "InteractiveSession": "s = tf.InteractiveSession()\nassert tf.constant(3).eval() == 3\n"
                          "s.close()",
    "get_default_graph": "assert tf.constant(1).graph is tf.get_default_graph()",
    "reset_default_graph": "pass  # exercised by the fixture before every snippet",
    "get_default_session": "with tf.Session() as s: assert tf.get_default_session() is s",
    "placeholder": "x = tf.placeholder(tf.float32, [None, 3])\nclose(x * 2, A * 2, {x: A})",
    "placeholder_with_default": "x = tf.placeholder_with_default(A, [2, 3])\nclose(x, A)",
    "constant": "close(tf.constant(A), A)",
    "Variable": "v = tf.Variable(A)\nclose(v + 1, A + 1)",
    "get_variable": "v = tf.get_variable('w', [2], initializer=tf.ones_initializer())\n"
                    "close(v, [1, 1])",
    "variable_scope": "with tf.variable_scope('s'):\n v = tf.get_variable('w', [1])\n"
                      "assert v.op.name == 's/w'",
    "get_variable_scope": "with tf.variable_scope('q'): assert tf.get_variable_scope().name "
                          "== 'q'",
    "AUTO_REUSE": "with tf.variable_scope('r', reuse=tf.AUTO_REUSE): a = tf.get_variable("
                  "'w', [1])\nwith tf.variable_scope('r', reuse=tf.AUTO_REUSE): b = "
                  "tf.get_variable('w', [1])\nassert a is b",
    "name_scope": "with tf.name_scope('n'): c = tf.constant(1, name='c')\nassert c.op.name == "
                  "'n/c'",
    "global_variables_initializer": "v = tf.Variable(2.0)\nwith tf.Session() as s:\n "
                                    "s.run(tf.global_variables_initializer())\n "
                                    "assert s.run(v) == 2.0",
    "initialize_all_variables": "v = tf.Variable(2.0)\nwith tf.Session() as s:\n "
                                "s.run(tf.initialize_all_variables())\n assert s.run(v) == 2.0",
    "local_variables_initializer": "run(tf.local_variables_initializer())",
    "variables_initializer": "v = tf.Variable(5.0)\nwith tf.Session() as s:\n "
                             "s.run(tf.variables_initializer([v]))\n assert s.run(v) == 5.0",
    "global_variables": "v = tf.Variable(1.0)\nassert tf.global_variables() == [v]",
    "trainable_variables": "v = tf.Variable(1.0)\nu = tf.Variable(1.0, trainable=False)\n"
                           "assert tf.trainable_variables() == [v]",
    "assign": "v = tf.Variable(1.0)\nwith tf.Session() as s:\n s.run(v.initializer)\n "
              "assert s.run(tf.assign(v, 4.0)) == 4.0",
    "assign_add": "v = tf.Variable(1.0)\nwith tf.Session() as s:\n s.run(v.initializer)\n "
                  "assert s.run(tf.assign_add(v, 4.0)) == 5.0",
    "assign_sub": "v = tf.Variable(1.0)\nwith tf.Session() as s:\n s.run(v.initializer)\n "
                  "assert s.run(tf.assign_sub(v, 4.0)) == -3.0",
    "scatter_update": "v = tf.Variable([1.0, 2.0, 3.0])\nwith tf.Session() as s:\n "
                      "s.run(v.initializer)\n assert s.run(tf.scatter_update(v, [1], [9.0]"
                      ")).tolist() == [1, 9, 3]",
    "get_collection": "tf.add_to_collection('k', 1)\nassert tf.get_collection('k') == [1]",
    "add_to_collection": "tf.add_to_collection('k', 2)\nassert tf.get_collection('k') == [2]",
    "GraphKeys": "v = tf.Variable(1.0)\nassert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)"
                 " == [v]",
    "control_dependencies": "v = tf.Variable(1.0)\nwith tf.Session() as s:\n "
                            "s.run(v.initializer)\n with tf.control_dependencies("
                            "[tf.assign(v, 7.0)]): r = tf.identity(tf.constant(0.0))\n "
                            "s.run(r)\n assert s.run(v) == 7.0",
    "group": "v = tf.Variable(1.0)\nwith tf.Session() as s:\n s.run(v.initializer)\n "
             "s.run(tf.group(tf.assign(v, 3.0)))\n assert s.run(v) == 3.0",
    "no_op": "run(tf.no_op())",
    "device": "with tf.device('/cpu:0'): c = tf.constant(1.0)\nassert c.op.node_def.device =="
              " '/device:CPU:0' and run(c) == 1.0",
    "set_random_seed": "tf.set_random_seed(1)\na = run(tf.random_normal([3]))\n"
                       "tf.reset_default_graph()\ntf.set_random_seed(1)\n"
                       "assert (run(tf.random_normal([3])) == a).all()",
    "ConfigProto": "with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as s: "
                   "assert s.run(tf.constant(1)) == 1",
    "GPUOptions": "tf.ConfigProto(gpu_options=tf.GPUOptions(allow_growth=True))",
    "RunOptions": "with tf.Session() as s: s.run(tf.constant(1), options=tf.RunOptions("
                  "trace_level=tf.RunOptions.FULL_TRACE), run_metadata=tf.RunMetadata())",
    "gradients": "x = tf.constant(3.0)\nassert run(tf.gradients(x * x, x))[0] == 6.0",
    "stop_gradient": "x = tf.constant(3.0)\nassert run(tf.gradients(tf.stop_gradient(x) * x, "
                     "x))[0] == 3.0",
    "convert_to_tensor": "close(tf.convert_to_tensor(A), A)",
    "import_graph_def": "g = tf.Graph()\nwith g.as_default(): tf.constant(5.0, name='c')\n"
                        "c, = tf.import_graph_def(g.as_graph_def(), return_elements=['c:0'])\n"
                        "assert run(c) == 5.0",
    # -- dtypes -----------------------------------------------------------------------------
    "float32": "assert tf.constant(1.0).dtype == tf.float32",
    "float64": "assert tf.constant(1.0, tf.float64).dtype == tf.float64",
    "int32": "assert tf.constant(1).dtype == tf.int32",
    "int64": "assert tf.cast(1, tf.int64).dtype == tf.int64",
    "bool": "assert tf.constant(True).dtype == tf.bool",
    "string": "assert tf.constant('a').dtype == tf.string",
    "cast": "assert run(tf.cast(tf.constant(1.7), tf.int32)) == 1",
    "to_float": "assert run(tf.to_float(tf.constant(2))) == 2.0",
    "to_int32": "assert run(tf.to_int32(tf.constant(2.9))) == 2",
    "to_int64": "assert tf.to_int64(tf.constant(2)).dtype == tf.int64",
    # -- arithmetic ---------------------------------------------------------------------------
    "add": "close(tf.add(A, 1.0), A + 1)",
    "subtract": "close(tf.subtract(A, 1.0), A - 1)",
    "multiply": "close(tf.multiply(A, 2.0), A * 2)",
    "divide": "close(tf.divide(A, 2.0), A / 2)",
    "truediv": "close(tf.truediv(A, 4.0), A / 4)",
    "floordiv": "close(tf.floordiv(A, 2.0), np.floor_divide(A, 2))",
    "mod": "close(tf.mod(A, 4.0), np.mod(A, 4))",
    "mul": "close(tf.mul(A, 3.0), A * 3)",
    "sub": "close(tf.sub(A, 3.0), A - 3)",
    "div": "assert run(tf.div(7, 2)) == 3",
    "neg": "close(tf.neg(A), -A)",
    "negative": "close(tf.negative(A), -A)",
    "add_n": "close(tf.add_n([A, A, A]), 3 * A)",
    "abs": "close(tf.abs(A), np.abs(A))",
    "square": "close(tf.square(A), A ** 2)",
    "sqrt": "close(tf.sqrt(tf.abs(A)), np.sqrt(np.abs(A)))",
    "rsqrt": "close(tf.rsqrt(tf.abs(A)), 1 / np.sqrt(np.abs(A)))",
    "exp": "close(tf.exp(A), np.exp(A))",
    "log": "close(tf.log(tf.abs(A)), np.log(np.abs(A)))",
    "log1p": "close(tf.log1p(tf.abs(A)), np.log1p(np.abs(A)))",
    "pow": "close(tf.pow(A, 2.0), A ** 2)",
    "maximum": "close(tf.maximum(A, 0.0), np.maximum(A, 0))",
    "minimum": "close(tf.minimum(A, 0.0), np.minimum(A, 0))",
    "sign": "close(tf.sign(A), np.sign(A))",
    "reciprocal": "close(tf.reciprocal(A), 1 / A)",
    "floor": "close(tf.floor(A / 4), np.floor(A / 4))",
    "ceil": "close(tf.ceil(A / 4), np.ceil(A / 4))",
    "round": "close(tf.round(A / 4), np.round(A / 4))",
    "sin": "close(tf.sin(A), np.sin(A))",
    "cos": "close(tf.cos(A), np.cos(A))",
    "tanh": "close(tf.tanh(A), np.tanh(A))",
    "sigmoid": "close(tf.sigmoid(A), 1 / (1 + np.exp(-A)))",
    "squared_difference": "close(tf.squared_difference(A, 1.0), (A - 1) ** 2)",
    "matmul": "close(tf.matmul(A, A, transpose_b=True), A @ A.T)",
    "einsum": "close(tf.einsum('ij,kj->ik', A, A), A @ A.T)",
    "clip_by_value": "close(tf.clip_by_value(A, -1.0, 1.0), np.clip(A, -1, 1))",
    "clip_by_norm": "close(tf.clip_by_norm(A[0], 1.0), A[0] / np.linalg.norm(A[0]))",
    "clip_by_global_norm": "(c,), n = tf.clip_by_global_norm([A], 1.0)\n"
                           "close(n, np.linalg.norm(A))\nclose(c, A / np.linalg.norm(A))",
    "global_norm": "close(tf.global_norm([A, A]), np.sqrt(2) * np.linalg.norm(A))",
    "cumsum": "close(tf.cumsum(A, axis=1), np.cumsum(A, 1))",
    "cumprod": "close(tf.cumprod(A, axis=1), np.cumprod(A, 1))",
    # -- reductions -------------------------------------------------------------------------
    "reduce_sum": "close(tf.reduce_sum(A, reduction_indices=[1]), A.sum(1))",
    "reduce_mean": "close(tf.reduce_mean(A, reduction_indices=1), A.mean(1))",
    "reduce_max": "close(tf.reduce_max(A, 1, keep_dims=True), A.max(1, keepdims=True))",
    "reduce_min": "close(tf.reduce_min(A, axis=0), A.min(0))",
    "reduce_prod": "close(tf.reduce_prod(A, 1), A.prod(1))",
    "reduce_all": "assert run(tf.reduce_all(tf.constant([True, False]))) == False",
    "reduce_any": "assert run(tf.reduce_any(tf.constant([True, False]))) == True",
    "argmax": "close(tf.argmax(A, 1), A.argmax(1))",
    "argmin": "close(tf.argmin(A, 1), A.argmin(1))",
    "arg_max": "close(tf.arg_max(A, 1), A.argmax(1))",
    "arg_min": "close(tf.arg_min(A, 1), A.argmin(1))",
    # -- comparisons, logic, selection ------------------------------------------------------
    "equal": "close(tf.equal(A, 1.0), A == 1)",
    "not_equal": "close(tf.not_equal(A, 1.0), A != 1)",
    "greater": "close(tf.greater(A, 0.0), A > 0)",
    "greater_equal": "close(tf.greater_equal(A, 1.0), A >= 1)",
    "less": "close(tf.less(A, 0.0), A < 0)",
    "less_equal": "close(tf.less_equal(A, 1.0), A <= 1)",
    "logical_and": "close(tf.logical_and(A > 0, A < 4), (A > 0) & (A < 4))",
    "logical_or": "close(tf.logical_or(A > 4, A < 0), (A > 4) | (A < 0))",
    "logical_not": "close(tf.logical_not(A > 0), ~(A > 0))",
    "where": "close(tf.where(A > 0, A, tf.zeros_like(A)), np.where(A > 0, A, 0))",
    "boolean_mask": "close(tf.boolean_mask(A, A > 0), A[A > 0])",
    "sequence_mask": "close(tf.sequence_mask([1, 3], 4), np.arange(4) < [[1], [3]])",
    # -- shapes and layout ------------------------------------------------------------------
    "shape": "close(tf.shape(A), [2, 3])",
    "size": "assert run(tf.size(A)) == 6",
    "rank": "assert run(tf.rank(A)) == 2",
    "reshape": "close(tf.reshape(A, [3, -1]), A.reshape(3, 2))",
    "expand_dims": "close(tf.expand_dims(A, 0), A[None])",
    "squeeze": "close(tf.squeeze(A[None]), A)",
    "transpose": "close(tf.transpose(A), A.T)",
    "concat": "close(tf.concat([A, A], 1), np.concatenate([A, A], 1))",
    "stack": "close(tf.stack([A, A]), np.stack([A, A]))",
    "unstack": "close(tf.unstack(A)[1], A[1])",
    "split": "close(tf.split(A, 3, axis=1)[2], A[:, 2:])",
    "tile": "close(tf.tile(A, [1, 2]), np.tile(A, (1, 2)))",
    "pad": "close(tf.pad(A, [[1, 0], [0, 1]]), np.pad(A, [(1, 0), (0, 1)]))",
    "slice": "close(tf.slice(A, [0, 1], [2, 2]), A[:, 1:])",
    "strided_slice": "close(tf.strided_slice(A, [0, 0], [2, 3], [1, 2]), A[:, ::2])",
    "gather": "close(tf.gather(A, [1, 0]), A[[1, 0]])",
    "one_hot": "close(tf.one_hot([0, 2], 3), np.eye(3)[[0, 2]])",
    "range": "close(tf.range(1, 7, 2), np.arange(1, 7, 2))",
    "fill": "close(tf.fill([2, 2], 7.0), np.full((2, 2), 7.0))",
    "zeros": "close(tf.zeros([2, 3]), np.zeros((2, 3)))",
    "ones": "close(tf.ones([2, 3]), np.ones((2, 3)))",
    "zeros_like": "close(tf.zeros_like(A), np.zeros_like(A))",
    "ones_like": "close(tf.ones_like(A), np.ones_like(A))",
    "identity": "close(tf.identity(A), A)",
    "broadcast_to": "close(tf.broadcast_to(A[0], [2, 3]), np.broadcast_to(A[0], (2, 3)))",
    "unsorted_segment_sum": "close(tf.unsorted_segment_sum(A, [1, 1], 2), [np.zeros(3), "
                            "A.sum(0)])",
    "TensorShape": "assert tf.TensorShape([None, 3]).as_list() == [None, 3]",
    # -- random and initializers --------------------------------------------------------------
    "random_normal": "assert run(tf.random_normal([500], seed=1)).std() > 0.8",
    "random_uniform": "v = run(tf.random_uniform([500], -1, 1, seed=1))\n"
                      "assert v.min() >= -1 and v.max() < 1",
    "truncated_normal": "assert np.abs(run(tf.truncated_normal([500], seed=1))).max() <= 2",
    "zeros_initializer": "close(tf.get_variable('z', [2], initializer=tf.zeros_initializer())"
                         ", [0, 0])",
    "ones_initializer": "close(tf.get_variable('o', [2], initializer=tf.ones_initializer()),"
                        " [1, 1])",
    "constant_initializer": "close(tf.get_variable('c', [2], initializer="
                            "tf.constant_initializer(3.0)), [3, 3])",
    "random_normal_initializer": "tf.get_variable('r', [2], initializer="
                                 "tf.random_normal_initializer(seed=1))",
    "random_uniform_initializer": "tf.get_variable('r', [2], initializer="
                                  "tf.random_uniform_initializer(seed=1))",
    "truncated_normal_initializer": "tf.get_variable('t', [2], initializer="
                                    "tf.truncated_normal_initializer(stddev=0.1))",
    "glorot_uniform_initializer": "v = run(tf.get_variable('g', [40, 60], initializer="
                                  "tf.glorot_uniform_initializer()))\n"
                                  "assert np.abs(v).max() <= np.sqrt(6 / 100)",
    "variance_scaling_initializer": "tf.get_variable('v', [4, 4], initializer="
                                    "tf.variance_scaling_initializer())",
    "contrib.layers.xavier_initializer": "v = run(tf.get_variable('x', [40, 60], initializer="
                                         "tf.contrib.layers.xavier_initializer()))\n"
                                         "assert np.abs(v).max() <= np.sqrt(6 / 100)",
    "contrib.layers.l2_regularizer": "close(tf.contrib.layers.l2_regularizer(0.1)(A), "
                                     "0.1 * (A ** 2).sum() / 2)",
    "contrib.layers.flatten": "close(tf.contrib.layers.flatten(A[None]), A.reshape(1, 6))",
    "contrib.layers.fully_connected": "assert tf.contrib.layers.fully_connected(A, 4)"
                                      ".shape.as_list() == [2, 4]",
    # -- nn -----------------------------------------------------------------------------------
    "nn.relu": "close(tf.nn.relu(A), np.maximum(A, 0))",
    "nn.relu6": "close(tf.nn.relu6(A * 2), np.clip(A * 2, 0, 6))",
    "nn.elu": "close(tf.nn.elu(A), np.where(A > 0, A, np.exp(A) - 1))",
    "nn.leaky_relu": "close(tf.nn.leaky_relu(A, 0.1), np.where(A > 0, A, 0.1 * A))",
    "nn.softplus": "close(tf.nn.softplus(A), np.log1p(np.exp(A)))",
    "nn.sigmoid": "close(tf.nn.sigmoid(A), 1 / (1 + np.exp(-A)))",
    "nn.tanh": "close(tf.nn.tanh(A), np.tanh(A))",
    "nn.softmax": "e = np.exp(A - A.max(1, keepdims=True))\nclose(tf.nn.softmax(A), "
                  "e / e.sum(1, keepdims=True))",
    "nn.log_softmax": "e = np.exp(A - A.max(1, keepdims=True))\nclose(tf.nn.log_softmax(A), "
                      "np.log(e / e.sum(1, keepdims=True)))",
    "nn.softmax_cross_entropy_with_logits": "y = np.eye(3)[[0, 2]]\ne = np.exp(A)\n"
        "close(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=A), "
        "-(y * np.log(e / e.sum(1, keepdims=True))).sum(1))",
    "nn.sparse_softmax_cross_entropy_with_logits": "e = np.exp(A)\np = e / e.sum(1, "
        "keepdims=True)\nclose(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 2], "
        "logits=A), -np.log(p[[0, 1], [0, 2]]))",
    "nn.sigmoid_cross_entropy_with_logits": "z = (A > 0).astype(np.float32)\n"
        "close(tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=A), "
        "np.maximum(A, 0) - A * z + np.log1p(np.exp(-np.abs(A))))",
    "nn.l2_loss": "close(tf.nn.l2_loss(A), (A ** 2).sum() / 2)",
    "nn.bias_add": "close(tf.nn.bias_add(A, [1.0, 2.0, 3.0]), A + [1, 2, 3])",
    "nn.dropout": "close(tf.nn.dropout(A, keep_prob=1.0), A)",
    "nn.embedding_lookup": "close(tf.nn.embedding_lookup(A, [1, 1, 0]), A[[1, 1, 0]])",
    "nn.l2_normalize": "close(tf.nn.l2_normalize(A, 1), A / np.linalg.norm(A, axis=1, "
                       "keepdims=True))",
    "nn.moments": "m, v = tf.nn.moments(A, [1])\nclose(m, A.mean(1))\nclose(v, A.var(1))",
    "nn.top_k": "v, i = tf.nn.top_k(A, 2)\nclose(i, np.argsort(-A, 1)[:, :2])",
    "nn.in_top_k": "close(tf.nn.in_top_k(A, [2, 0], 1), [True, False])",
    "nn.conv2d": "x = np.ones((1, 4, 4, 1), np.float32)\nclose(tf.nn.conv2d(x, np.ones((2, 2, 1,"
                 " 1), np.float32), [1, 1, 1, 1], 'VALID'), np.full((1, 3, 3, 1), 4.0))",
    "nn.max_pool": "x = np.arange(16.0, dtype=np.float32).reshape(1, 4, 4, 1)\nclose("
                   "tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], 'VALID')[0, :, :, 0], "
                   "[[5, 7], [13, 15]])",
    "nn.nce_loss": "w = tf.Variable(np.ones((10, 3), np.float32))\nb = tf.Variable(np.zeros(10,"
                   " np.float32))\nl = tf.nn.nce_loss(w, b, [[1], [2]], A, 4, 10)\n"
                   "assert run(l).shape == (2,)",
    "nn.sampled_softmax_loss": "w = tf.Variable(np.ones((10, 3), np.float32))\nb = "
                               "tf.Variable(np.zeros(10, np.float32))\nl = "
                               "tf.nn.sampled_softmax_loss(w, b, [[1], [2]], A, 4, 10)\n"
                               "assert run(l).shape == (2,)",
    # -- layers and losses --------------------------------------------------------------------
    "layers.dense": "y = tf.layers.dense(A, 4, kernel_initializer=tf.ones_initializer())\n"
                    "close(y, A @ np.ones((3, 4)))",
    "layers.dropout": "close(tf.layers.dropout(A, 0.5, training=False), A)",
    "layers.flatten": "close(tf.layers.flatten(A[None]), A.reshape(1, 6))",
    "losses.mean_squared_error": "close(tf.losses.mean_squared_error(A, A * 0), (A ** 2)."
                                 "mean())",
    "losses.softmax_cross_entropy": "y = np.eye(3)[[0, 2]]\ne = np.exp(A)\nclose("
        "tf.losses.softmax_cross_entropy(y, A), -(y * np.log(e / e.sum(1, keepdims=True)))"
        ".sum(1).mean())",
    "losses.sparse_softmax_cross_entropy": "e = np.exp(A)\np = e / e.sum(1, keepdims=True)\n"
        "close(tf.losses.sparse_softmax_cross_entropy([0, 2], A), -np.log(p[[0, 1], "
        "[0, 2]]).mean())",
    "losses.get_regularization_loss": "tf.get_variable('w', [2], initializer="
        "tf.ones_initializer(), regularizer=tf.contrib.layers.l2_regularizer(1.0))\n"
        "close(tf.losses.get_regularization_loss(), 1.0)",
    # -- training -------------------------------------------------------------------------------
    "train.GradientDescentOptimizer": "v = tf.Variable(1.0)\nop = tf.train."
        "GradientDescentOptimizer(0.5).minimize(v * v)\nwith tf.Session() as s:\n "
        "s.run(v.initializer)\n s.run(op)\n assert s.run(v) == 0.0",
    "train.MomentumOptimizer": "v = tf.Variable(1.0)\nop = tf.train.MomentumOptimizer(0.1, "
        "0.9).minimize(v * v)\nwith tf.Session() as s:\n s.run(tf.global_variables_initializer"
        "())\n s.run(op)\n assert abs(s.run(v) - 0.8) < 1e-6",
    "train.AdamOptimizer": "v = tf.Variable(1.0)\nop = tf.train.AdamOptimizer(0.1).minimize("
        "v * v)\nwith tf.Session() as s:\n s.run(tf.global_variables_initializer())\n "
        "s.run(op)\n assert abs(s.run(v) - 0.9) < 1e-5",
    "train.AdagradOptimizer": "v = tf.Variable(1.0)\nop = tf.train.AdagradOptimizer(0.1)."
        "minimize(v * v)\nwith tf.Session() as s:\n s.run(tf.global_variables_initializer())\n"
        " s.run(op)\n assert s.run(v) < 1.0",
    "train.RMSPropOptimizer": "v = tf.Variable(1.0)\nop = tf.train.RMSPropOptimizer(0.1)."
        "minimize(v * v)\nwith tf.Session() as s:\n s.run(tf.global_variables_initializer())\n"
        " s.run(op)\n assert s.run(v) < 1.0",
    "train.Optimizer.compute_gradients": "v = tf.Variable(2.0)\n(g, var), = tf.train."
        "GradientDescentOptimizer(0.1).compute_gradients(v * v)\nassert run(g) == 4.0",
    "train.get_or_create_global_step": "s = tf.train.get_or_create_global_step()\n"
        "assert run(s) == 0",
    "train.exponential_decay": "lr = tf.train.exponential_decay(0.1, 10, 5, 0.5)\n"
        "close(lr, 0.1 * 0.5 ** 2)",
    "train.piecewise_constant": "close(tf.train.piecewise_constant(tf.constant(5), [3], "
        "[1.0, 0.5]), 0.5)",
    "train.Saver": "v = tf.Variable(3.0, name='v')\nimport tempfile, os\nd = tempfile.mkdtemp()"
        "\nwith tf.Session() as s:\n s.run(v.initializer)\n p = tf.train.Saver().save(s, "
        "os.path.join(d, 'm'))\n s.run(tf.assign(v, 0.0))\n tf.train.Saver().restore(s, p)\n "
        "assert s.run(v) == 3.0\nassert tf.train.latest_checkpoint(d) == p",
    "train.latest_checkpoint": "import tempfile\nassert tf.train.latest_checkpoint("
        "tempfile.mkdtemp()) is None",
    "train.get_checkpoint_state": "import tempfile\nassert tf.train.get_checkpoint_state("
        "tempfile.mkdtemp()) is None",
    "train.checkpoint_exists": "assert not tf.train.checkpoint_exists('/nonexistent/x')",
    "train.Coordinator": "c = tf.train.Coordinator()\nc.request_stop()\nassert c.should_stop()"
                         "\nc.join([])",
    # -- utilities ------------------------------------------------------------------------------
    "Print": "close(tf.Print(tf.constant(A), [A], 'A = '), A)",
    "Assert": "run(tf.Assert(tf.constant(True), [A]))",
    "assert_equal": "run(tf.assert_equal(tf.constant(1), 1))",
    "py_func": "close(tf.py_func(lambda x: x * 2, [A], tf.float32), A * 2)",
    "check_numerics": "close(tf.check_numerics(tf.constant(A), 'bad'), A)",
    "test.compute_gradient_error": "x = tf.constant(A.astype(np.float64))\nassert tf.test."
        "compute_gradient_error(x, [2, 3], tf.tanh(x), [2, 3]) < 1e-6",
    "summary.scalar": "assert tf.summary.scalar('loss', tf.constant(1.0)).dtype == tf.string",
    "summary.FileWriter": "import tempfile\nw = tf.summary.FileWriter(tempfile.mkdtemp())\n"
                          "w.close()",
    "summary.merge_all": "tf.summary.scalar('a', tf.constant(1.0))\nassert run(tf.summary."
                         "merge_all())",
    "gfile.GFile": "import tempfile, os\np = os.path.join(tempfile.mkdtemp(), 'f')\nwith "
                   "tf.gfile.GFile(p, 'w') as f: f.write('x')\nassert tf.gfile.Exists(p)",
    "gfile.Exists": "assert not tf.gfile.Exists('/nonexistent/x')",
    "gfile.MakeDirs": "import tempfile, os\nd = os.path.join(tempfile.mkdtemp(), 'a', 'b')\n"
                      "tf.gfile.MakeDirs(d)\nassert tf.gfile.IsDirectory(d)",
    "gfile.Glob": "import tempfile\nassert tf.gfile.Glob(tempfile.mkdtemp() + '/*') == []",
    "logging.info": "tf.logging.set_verbosity(tf.logging.INFO)\ntf.logging.info('hello %d', 1)",
    "logging.set_verbosity": "tf.logging.set_verbosity(tf.logging.ERROR)\nassert "
                             "tf.logging.get_verbosity() == tf.logging.ERROR",
    "app.flags": "tf.app.flags.FLAGS.reset()\ntf.app.flags.DEFINE_integer('n', 3, 'n')\n"
                 "tf.app.flags.FLAGS(['prog', '--n=5'])\nassert tf.app.flags.FLAGS.n == 5\n"
                 "tf.app.flags.FLAGS.reset()",
    "app.run": "import pytest\nwith pytest.raises(SystemExit): tf.app.run(main=lambda argv: 0,"
               " argv=['prog'])",
    "errors.OutOfRangeError": "assert issubclass(tf.errors.OutOfRangeError, tf.errors.OpError)",
    "errors.InvalidArgumentError": "import pytest\nx = tf.placeholder(tf.float32, [2])\n"
        "with pytest.raises(tf.errors.InvalidArgumentError): run(x * 2, {x: np.ones(3)})",
    "errors.FailedPreconditionError": "import pytest\nv = tf.Variable(1.0)\nwith tf.Session() "
        "as s, pytest.raises(tf.errors.FailedPreconditionError): s.run(v)",
    "data.Dataset": "assert isinstance(tf.data.Dataset.range(3), tf.data.Dataset)",
    "data.Dataset.from_tensor_slices": "n = tf.data.Dataset.from_tensor_slices(A)"
        ".make_one_shot_iterator().get_next()\nwith tf.Session() as s: assert (s.run(n) "
        "== A[0]).all()",
    "data.Dataset.batch": "n = tf.data.Dataset.from_tensor_slices(A).batch(2)"
        ".make_one_shot_iterator().get_next()\nclose(n, A)",
    "data.Dataset.shuffle": "n = tf.data.Dataset.range(5).shuffle(5, seed=1).batch(5)"
        ".make_one_shot_iterator().get_next()\nassert sorted(run(n)) == [0, 1, 2, 3, 4]",
    "data.Dataset.repeat": "n = tf.data.Dataset.range(2).repeat(2).batch(4)"
        ".make_one_shot_iterator().get_next()\nassert run(n).tolist() == [0, 1, 0, 1]",
    "data.Dataset.map": "n = tf.data.Dataset.range(3).map(lambda i: i * 2).batch(3)"
        ".make_one_shot_iterator().get_next()\nassert run(n).tolist() == [0, 2, 4]",
    "data.Dataset.make_one_shot_iterator": "import pytest\nn = tf.data.Dataset.range(1)"
        ".make_one_shot_iterator().get_next()\nwith tf.Session() as s:\n s.run(n)\n "
        "with pytest.raises(tf.errors.OutOfRangeError): s.run(n)",
    "data.Dataset.make_initializable_iterator": "it = tf.data.Dataset.range(2)"
        ".make_initializable_iterator()\nn = it.get_next()\nwith tf.Session() as s:\n "
        "s.run(it.initializer)\n assert s.run(n) == 0\n s.run(it.initializer)\n "
        "assert s.run(n) == 0",
    "math.floordiv": "assert run(tf.math.floordiv(7, 2)) == 3",
    "jacobian": "x = tf.constant([1.0, 2.0], tf.float64)\nclose(tf.jacobian(tf.square(x), x), "
                "np.diag([2.0, 4.0]))",
    "operator //": "close(tf.constant(A) // 2.0, np.floor_divide(A, 2))",
    "operator %": "close(tf.constant(A) % 4.0, np.mod(A, 4))",
    "feed None (unneeded placeholder)": "x = tf.placeholder(tf.float32, [])\nk = "
        "tf.placeholder(tf.float32, [])\nwith tf.Session() as s: assert s.run(x * 2, {x: 1.0,"
        " k: None}) == 2.0",
}


def _resolve(name: str):
    obj = tf
    for part in name.split(" ")[0].split("."):
        if part in ("operator", "feed"):
            return obj
        obj = getattr(obj, part)
    return obj


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()


@pytest.mark.parametrize("name", list(CENSUS))
def test_census(name: str) -> None:
    _resolve(name)  # the name exists (an AttributeError would say what is unsupported)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the aliases' own warnings
        exec(CENSUS[name], {"tf": tf, "np": np, "A": A, "run": run, "close": close})


def test_the_readme_states_the_census_count() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    match = re.search(r"(\d+) TF1 names", readme)
    assert match and int(match.group(1)) == len(CENSUS), (
        f"README.md should say '{len(CENSUS)} TF1 names' (tests/test_tf1_census.py)")


PROGRAMS = Path(__file__).resolve().parent / "compat" / "programs"


@pytest.mark.parametrize("program", ["softmax_regression.py", "window_model.py"])
def test_tf1_programs_run_unchanged(program: str, monkeypatch) -> None:
    """Whole TF1-style programs, run as scripts (``tf.app.run()`` finds ``main`` in
    ``__main__``, parses the flags and exits with main's return value)."""
    tf.app.flags.FLAGS.reset()
    monkeypatch.setattr(sys, "argv", [program])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_path(str(PROGRAMS / program), run_name="__main__")
    assert exit_info.value.code == 0
    tf.app.flags.FLAGS.reset()
