"""V2 checkpoints against TensorFlow itself (skipped without tensorflow): graphflow restores
what ``tf.compat.v1.train.Saver`` wrote, TensorFlow restores what ``gf.train.Saver`` wrote,
and both read each other's ``checkpoint`` state file.

Run it with a TensorFlow environment, e.g.:
    /tmp/tfvenv/bin/python -m pytest tests/test_tensorflow_checkpoints.py
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")

import graphflow as gf  # noqa: E402  (after the skip: TF is optional)

tf1 = tf.compat.v1
RNG = np.random.default_rng(11)
VALUES = {"layer1/W": RNG.standard_normal((4, 3)).astype(np.float32),
          "layer1/b": RNG.standard_normal(3).astype(np.float64),
          "steps": np.array(42, dtype=np.int64),
          "mask": np.array([True, False, True]),
          "emb/table": RNG.standard_normal((50, 7)).astype(np.float32)}


def _variables(api):
    """The same variables in graphflow or tf.compat.v1 (zeros: restore must fill them)."""
    out = {}
    for name, value in VALUES.items():
        scope, _, short = name.rpartition("/")
        dtype = {np.float32: api.float32, np.float64: api.float64, np.int64: api.int64,
                 np.bool_: api.bool}[value.dtype.type]
        init = np.zeros_like(value)
        if scope:
            with api.variable_scope(scope, reuse=api.AUTO_REUSE):
                out[name] = api.get_variable(short, value.shape, dtype=dtype,
                                             initializer=api.constant_initializer(init)
                                             if value.dtype != np.bool_ else
                                             api.zeros_initializer())
        else:
            out[name] = api.Variable(init, name=name, dtype=dtype)
    return out


def _tf_save(directory: str, step: int) -> str:
    graph = tf.Graph()
    with graph.as_default():
        variables = _variables(tf1)
        assigns = [v.assign(VALUES[n]) for n, v in variables.items()]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(assigns)
            return tf1.train.Saver().save(sess, os.path.join(directory, "tf.ckpt"),
                                          global_step=step)


def _gf_save(directory: str, step: int) -> str:
    graph = gf.Graph()
    with graph.as_default():
        variables = _variables(gf)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            for n, v in variables.items():
                v.load(VALUES[n], session=sess)
            return gf.train.Saver().save(sess, os.path.join(directory, "gf.ckpt"),
                                         global_step=step)


def test_graphflow_restores_a_tensorflow_checkpoint(tmp_path) -> None:
    path = _tf_save(str(tmp_path), 7)
    assert gf.train.latest_checkpoint(str(tmp_path)) == path
    state = gf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == path
    graph = gf.Graph()
    with graph.as_default():
        variables = _variables(gf)
        with gf.Session() as sess:
            gf.train.Saver().restore(sess, path)
            for n, v in variables.items():
                got = sess.run(v)
                assert got.dtype == VALUES[n].dtype
                np.testing.assert_array_equal(got, VALUES[n])


def test_tensorflow_restores_a_graphflow_checkpoint(tmp_path) -> None:
    path = _gf_save(str(tmp_path), 9)
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    assert tf1.train.get_checkpoint_state(str(tmp_path)).model_checkpoint_path == path
    reader = tf.train.load_checkpoint(path)
    assert sorted(reader.get_variable_to_shape_map()) == sorted(VALUES)
    graph = tf.Graph()
    with graph.as_default():
        variables = _variables(tf1)
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, path)
            for n, v in variables.items():
                np.testing.assert_array_equal(sess.run(v), VALUES[n])


def test_the_index_files_hold_the_same_entries(tmp_path) -> None:
    """graphflow's reader on TF's index and TF's reader on graphflow's agree key by key."""
    tf_path, gf_path = _tf_save(str(tmp_path), 1), _gf_save(str(tmp_path), 1)
    ours = gf.train.load_checkpoint(tf_path)
    reader = tf.train.load_checkpoint(gf_path)
    for n, value in VALUES.items():
        np.testing.assert_array_equal(ours[n], value)
        np.testing.assert_array_equal(reader.get_tensor(n), value)
