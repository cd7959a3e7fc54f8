"""graphflow.compat.v1: TF1's deprecated aliases and argument names (values and the one-line
DeprecationWarning), // and %, tf.round, None feeds, tf.device, the utility namespaces, and the
errors for what graphflow deliberately does not do."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import graphflow as gf
import graphflow.compat.v1 as tf


def run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


@pytest.fixture(autouse=True)
def fresh_graph():
    with gf.Graph().as_default():
        yield


def test_every_graphflow_name_is_in_compat_v1() -> None:
    public = {n for n in dir(gf) if not n.startswith("_") and
              not isinstance(getattr(gf, n), type(gf))}  # submodules: see the next test
    assert len(public) > 150
    missing = sorted(n for n in public if not hasattr(tf, n))
    assert not missing
    for n in public:
        assert getattr(tf, n) is getattr(gf, n) or n in ("sub",), n


def test_namespaces() -> None:
    for n in ("nn", "train", "layers", "losses", "initializers", "io", "test", "summary",
              "debugging", "math", "gfile", "logging", "app", "flags", "errors", "contrib"):
        assert isinstance(getattr(tf, n), type(gf)), n
    assert tf.train.AdamOptimizer is gf.train.AdamOptimizer
    assert tf.nn.relu is gf.nn.relu


@pytest.mark.parametrize("fn, ref", [
    (tf.reduce_sum, np.sum), (tf.reduce_mean, np.mean), (tf.reduce_max, np.max),
    (tf.reduce_min, np.min), (tf.reduce_prod, np.prod)])
def test_reduction_indices_and_keep_dims(fn, ref) -> None:
    x = np.arange(1.0, 7.0).reshape(2, 3)
    with pytest.warns(DeprecationWarning, match="reduction_indices"):
        a = fn(x, reduction_indices=[1])
    with pytest.warns(DeprecationWarning, match="keep_dims"):
        b = fn(x, 0, keep_dims=True)
    got_a, got_b = run([a, b])
    np.testing.assert_allclose(got_a, ref(x, axis=1))
    np.testing.assert_allclose(got_b, ref(x, axis=0, keepdims=True))
    with pytest.raises(ValueError, match="not both"):
        fn(x, axis=0, reduction_indices=0)


def test_reduce_all_any_accept_reduction_indices() -> None:
    x = np.array([[True, False], [True, True]])
    with pytest.warns(DeprecationWarning):
        got = run([tf.reduce_all(x, reduction_indices=1), tf.reduce_any(x, reduction_indices=0)])
    np.testing.assert_array_equal(got[0], [False, True])
    np.testing.assert_array_equal(got[1], [True, True])


def test_new_spelling_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.reduce_sum(np.ones((2, 2)), axis=1, keepdims=True)


@pytest.mark.parametrize("name, call, want", [
    ("tf.mul", lambda: tf.mul(3.0, 4.0), 12.0),
    ("tf.sub", lambda: tf.sub(3.0, 4.0), -1.0),
    ("tf.neg", lambda: tf.neg(3.0), -3.0),
    ("tf.div", lambda: tf.div(7.0, 2.0), 3.5),
    ("tf.div", lambda: tf.div(-7, 2), -4),  # Python 2 semantics: floor for integers
    ("tf.arg_max", lambda: tf.arg_max([[1, 5, 2], [7, 0, 1]], 1), [1, 0]),
    ("tf.arg_min", lambda: tf.arg_min([[1, 5, 2], [7, 0, 1]], dimension=0), [0, 1, 1]),
])
def test_deprecated_aliases(name, call, want) -> None:
    with pytest.warns(DeprecationWarning, match=name.replace(".", r"\.")):
        t = call()
    np.testing.assert_array_equal(run(t), want)


def test_initialize_all_variables() -> None:
    v = tf.Variable(3.0)
    with pytest.warns(DeprecationWarning, match="global_variables_initializer"):
        init = tf.initialize_all_variables()
    with pytest.warns(DeprecationWarning, match="local_variables_initializer"):
        local = tf.initialize_local_variables()
    with tf.Session() as sess:
        sess.run([init, local])
        assert sess.run(v) == 3.0


def test_floordiv_and_mod_operators() -> None:
    x = tf.constant([7, -7, 9])
    y = tf.constant([2, 2, -4])
    a = tf.constant([7.5, -7.5])
    got = run([x // y, x % y, x // 3, 10 % x, a // 2.0, a % 2.0])
    np.testing.assert_array_equal(got[0], np.floor_divide([7, -7, 9], [2, 2, -4]))
    np.testing.assert_array_equal(got[1], np.mod([7, -7, 9], [2, 2, -4]))
    np.testing.assert_array_equal(got[2], np.floor_divide([7, -7, 9], 3))
    np.testing.assert_array_equal(got[3], np.mod(10, [7, -7, 9]))
    np.testing.assert_array_equal(got[4], [3.0, -4.0])
    np.testing.assert_array_equal(got[5], [1.5, 0.5])
    assert (x // y).op.type == "FloorDiv" and (x % y).op.type == "FloorMod"


def test_round_is_half_to_even_with_no_gradient() -> None:
    x = tf.constant([0.5, 1.5, 2.5, -2.5, -0.4, 3.7], dtype=tf.float64)
    r = tf.round(x)
    np.testing.assert_array_equal(run(r), [0.0, 2.0, 2.0, -2.0, -0.0, 4.0])
    assert r.op.type == "Round"
    assert tf.gradients(tf.reduce_sum(r), x) == [None]  # TF's _RoundGrad returns [None]
    np.testing.assert_array_equal(run(tf.round(tf.constant([3, -2]))), [3, -2])


def test_feeding_none_for_an_unneeded_placeholder() -> None:
    x = tf.placeholder(tf.float32, [None])
    dropout = tf.placeholder(tf.float32, [])
    y = x * 2.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0], dropout: None}), [2.0, 4.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="'Placeholder' is None"):
            sess.run(y, {x: None})


def test_device_is_recorded_and_runs_on_cpu() -> None:
    with tf.device("/job:worker/task:1"):
        with tf.device("/gpu:0"):
            a = tf.constant(2.0)
        b = tf.constant(3.0)
    with tf.device(None):
        c = a * b
    assert a.op.node_def.device == "/job:worker/task:1/device:GPU:0"
    assert b.op.node_def.device == "/job:worker/task:1"
    assert c.op.node_def.device == ""
    assert run(c) == 6.0
    with pytest.raises(ValueError, match="not a device string"):
        with tf.device("gpu-zero"):
            pass
    with pytest.raises(TypeError, match="device functions"):
        with tf.device(lambda op: "/cpu:0"):
            pass


def test_config_protos_are_accepted() -> None:
    config = tf.ConfigProto(allow_soft_placement=True, log_device_placement=False)
    config.gpu_options.allow_growth = True
    config.graph_options.optimizer_options.opt_level = tf.OptimizerOptions.L1
    with tf.Session(config=config) as sess:
        assert sess.run(tf.constant(1.0) + 1.0) == 2.0
        opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
        assert sess.run(tf.constant(3.0), options=opts, run_metadata=tf.RunMetadata()) == 3.0
    with pytest.raises(TypeError, match="no field 'allow_soft_placment'"):
        tf.ConfigProto(allow_soft_placment=True)


@pytest.mark.parametrize("name, words", [
    ("FIFOQueue", "queues"), ("estimator", "estimator"), ("enable_eager_execution", "eager"),
    ("keras", "keras"), ("no_such_name_at_all", "not provided by graphflow")])
def test_unsupported_top_level_names_say_why(name, words) -> None:
    with pytest.raises(AttributeError, match=words):
        getattr(tf, name)


@pytest.mark.parametrize("name, words", [
    ("start_queue_runners", "queue"), ("QueueRunner", "queue"), ("Server", "distributed"),
    ("ClusterSpec", "distributed"), ("replica_device_setter", "distributed"),
    ("shuffle_batch", "queue"), ("MonitoredTrainingSession", "DataParallelTrainer")])
def test_unsupported_train_names_say_why(name, words) -> None:
    with pytest.raises(AttributeError, match=words):
        getattr(tf.train, name)


def test_contrib_beyond_layers_and_rnn_says_why() -> None:
    with pytest.raises(AttributeError, match="tf.contrib.slim is not supported"):
        tf.contrib.slim  # noqa: B018


def test_contrib_rnn_is_the_rnn_cell_namespace() -> None:
    assert tf.contrib.rnn.BasicLSTMCell is tf.nn.rnn_cell.BasicLSTMCell
    assert tf.contrib.rnn.static_rnn is tf.nn.static_rnn
    with tf.Graph().as_default():
        cell = tf.contrib.rnn.GRUCell(3)
        inputs = [tf.placeholder(tf.float32, [2, 4]) for _ in range(2)]
        outputs, state = tf.contrib.rnn.static_rnn(cell, inputs, dtype=tf.float32)
        assert len(outputs) == 2 and state.shape.as_list() == [2, 3]


def test_xavier_initializer_matches_contrib_formulas() -> None:
    tf.set_random_seed(3)
    w = tf.get_variable("w", [300, 500], initializer=tf.contrib.layers.xavier_initializer())
    n = tf.get_variable("n", [300, 500], initializer=tf.contrib.layers.xavier_initializer(
        uniform=False))
    h = tf.get_variable("h", [400, 300], initializer=(
        tf.contrib.layers.variance_scaling_initializer()))
    wv, nv, hv = run([w, n, h])
    limit = np.sqrt(6.0 / 800)
    assert np.abs(wv).max() <= limit and np.abs(wv).max() > 0.99 * limit
    assert abs(wv.std() - limit / np.sqrt(3)) < 0.01 * limit
    # truncated at 2 sigma of stddev sqrt(1.3/n): the sample std is that * 0.8796
    assert abs(nv.std() - np.sqrt(1.3 / 400) * 0.8796) < 0.02 * np.sqrt(1.3 / 400)
    assert np.abs(nv).max() <= 2 * np.sqrt(1.3 / 400) + 1e-6
    assert abs(hv.std() - np.sqrt(1.3 * 2.0 / 400) * 0.8796) < 0.02 * np.sqrt(2.6 / 400)


def test_contrib_regularizers_flatten_fully_connected() -> None:
    x = tf.constant(np.arange(24.0).reshape(2, 3, 4), dtype=tf.float32)
    flat = tf.contrib.layers.flatten(x)
    w0 = np.arange(12.0).reshape(12, 1).astype(np.float32) / 10
    y = tf.contrib.layers.fully_connected(flat, 1, activation_fn=None,
                                          weights_initializer=tf.constant_initializer(w0),
                                          weights_regularizer=(
                                              tf.contrib.layers.l2_regularizer(0.5)))
    reg = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    l1 = tf.contrib.layers.l1_regularizer(0.25)(tf.constant([-1.0, 2.0]))
    got_flat, got_y, got_reg, got_l1 = run([flat, y, reg, l1])
    np.testing.assert_array_equal(got_flat, np.arange(24.0).reshape(2, 12))
    np.testing.assert_allclose(got_y, np.arange(24.0).reshape(2, 12) @ w0, rtol=1e-6)
    np.testing.assert_allclose(got_reg, [0.5 * 0.5 * np.sum(w0 ** 2)], rtol=1e-6)
    assert got_l1 == pytest.approx(0.75)
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == ["fully_connected/biases", "fully_connected/weights"]
    assert tf.contrib.layers.l2_regularizer(0.0)(tf.constant(1.0)) is None
    with pytest.raises(ValueError, match="less than 0"):
        tf.contrib.layers.l2_regularizer(-1.0)


def test_math_namespace() -> None:
    got = run([tf.math.floordiv(7, 2), tf.math.round(2.5), tf.math.reduce_sum([1, 2]),
               tf.math.argmax([1, 3, 2])])
    assert [int(g) for g in got] == [3, 2, 3, 1]


def test_errors_namespace() -> None:
    for name in ("OpError", "InvalidArgumentError", "NotFoundError", "OutOfRangeError",
                 "FailedPreconditionError", "ResourceExhaustedError", "UnimplementedError",
                 "CancelledError", "UnknownError", "AbortedError", "InternalError"):
        cls = getattr(tf.errors, name)
        assert issubclass(cls, tf.errors.OpError)
        err = cls("boom", "node", "Op")
        assert err.node_name == "node" and str(err) == "boom"
    assert tf.errors.OUT_OF_RANGE == 11 and tf.errors.INVALID_ARGUMENT == 3
    v = tf.Variable(1.0, name="v")
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError):
        sess.run(v)


def test_gfile(tmp_path) -> None:
    d = tmp_path / "a" / "b"
    tf.gfile.MakeDirs(str(d))
    assert tf.gfile.IsDirectory(str(d)) and tf.gfile.Exists(str(d))
    with tf.gfile.GFile(str(d / "x.txt"), "w") as f:
        f.write("hello")
    with tf.gfile.Open(str(d / "x.txt")) as f:
        assert f.read() == "hello"
    with tf.gfile.GFile(str(d / "y.bin"), "wb") as f:
        f.write(b"\x00\x01")
    assert tf.gfile.ListDirectory(str(d)) == ["x.txt", "y.bin"]
    assert tf.gfile.Glob(str(d / "*.txt")) == [str(d / "x.txt")]
    tf.gfile.Copy(str(d / "x.txt"), str(d / "z.txt"))
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.Copy(str(d / "x.txt"), str(d / "z.txt"))
    tf.gfile.Rename(str(d / "z.txt"), str(d / "w.txt"))
    walked = list(tf.gfile.Walk(str(tmp_path)))
    assert walked[0][0] == str(tmp_path) and sorted(walked[-1][2]) == ["w.txt", "x.txt", "y.bin"]
    tf.gfile.Remove(str(d / "w.txt"))
    assert not tf.gfile.Exists(str(d / "w.txt"))
    with pytest.raises(tf.errors.NotFoundError, match="No such file"):
        tf.gfile.GFile(str(d / "missing.txt"))
    with pytest.raises(tf.errors.UnimplementedError, match="remote file system"):
        tf.gfile.Exists("gs://bucket/x")
    tf.gfile.DeleteRecursively(str(tmp_path / "a"))
    assert not tf.gfile.Exists(str(tmp_path / "a"))


def test_logging(caplog) -> None:
    tf.logging.set_verbosity(tf.logging.INFO)
    with caplog.at_level(tf.logging.INFO, logger="graphflow"):
        tf.logging.info("step %d", 3)
        tf.logging.debug("hidden")
        tf.logging.warning("careful")
        for _ in range(3):
            tf.logging.log_first_n(tf.logging.INFO, "first", 2)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["step 3", "careful", "first", "first"]
    assert tf.logging.get_verbosity() == tf.logging.INFO
    assert tf.logging.WARN == 30 and tf.logging.ERROR == 40


def test_flags_and_app_run() -> None:
    flags = tf.app.flags
    flags.FLAGS.reset()
    flags.DEFINE_string("data_dir", "/tmp/data", "where the data is")
    flags.DEFINE_integer("batch_size", 32, "batch size")
    flags.DEFINE_float("lr", 0.1, "learning rate")
    flags.DEFINE_boolean("debug", False, "debug mode")
    flags.DEFINE_list("layers", "10,20", "hidden sizes")
    seen = {}

    def main(argv):
        FLAGS = tf.app.flags.FLAGS
        seen.update(batch=FLAGS.batch_size, lr=FLAGS.lr, debug=FLAGS.debug,
                    layers=FLAGS.layers, data=FLAGS.data_dir, argv=argv)
        return 0

    with pytest.raises(SystemExit) as exit_info:
        tf.app.run(main=main, argv=["prog", "--batch_size=64", "--lr", "0.5", "--debug",
                                    "--layers=3,4", "extra"])
    assert exit_info.value.code == 0
    assert seen == {"batch": 64, "lr": 0.5, "debug": True, "layers": ["3", "4"],
                    "data": "/tmp/data", "argv": ["prog", "extra"]}
    with pytest.raises(AttributeError, match="no flag --nope"):
        tf.flags.FLAGS.nope  # noqa: B018
    flags.FLAGS.reset()


def test_coordinator_stops_threads_and_reraises() -> None:
    coord = tf.train.Coordinator()
    counts = []

    def worker(i):
        with coord.stop_on_exception():
            n = 0
            while not coord.should_stop():
                n += 1
                if i == 0 and n == 5:
                    raise ValueError("worker 0 failed")
                if n > 10 ** 6:
                    break
            counts.append(n)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    with pytest.raises(ValueError, match="worker 0 failed"):
        coord.join(threads)
    assert coord.should_stop() and len(counts) == 2
    clean = tf.train.Coordinator()
    clean.request_stop(tf.errors.OutOfRangeError("end of data"))
    clean.join([])  # OutOfRangeError is a clean stop, as TF1


def test_compat_v1_inside_compat_v1() -> None:
    assert tf.compat.v1 is tf
    tf.disable_v2_behavior()
    assert tf.executing_eagerly() is False


def test_tf_compat_v1_is_reachable_from_import_graphflow_as_tf() -> None:
    """TF2-era TF1 code writes ``tf.compat.v1.placeholder`` after ``import tensorflow as
    tf``; with ``import graphflow as tf`` the attribute resolves on first use."""
    import subprocess
    import sys

    code = ("import numpy as np, graphflow as tf\n"
            "x = tf.compat.v1.placeholder(tf.float32, [None])\n"
            "print(tf.compat.v1.Session().run(tf.reduce_sum(x), {x: np.ones(3, np.float32)}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "3.0"
