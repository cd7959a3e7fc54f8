"""Tests for graphflow.runtime.session: fetch structures, feeds, feed checks, unfed
placeholders, variables, plan caching, copies of fetched values, default sessions."""

from __future__ import annotations

import collections
from unittest import mock

import numpy as np
import pytest

import graphflow as gf
from graphflow.runtime import session as session_mod

XV = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.fixture()
def net():
    """x (?, 3) -> scope/y = 2x -> z = sum(y); W variable (3,), u = x * W."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        with gf.name_scope("scope"):
            y = gf.multiply(x, 2.0, name="y")
        z = gf.reduce_sum(y, name="z")
        w = gf.Variable(np.array([1.0, 2.0, 3.0], np.float32), name="W")
        u = gf.multiply(x, w, name="u")
        init = gf.global_variables_initializer()
    sess = gf.Session(graph=g)
    yield {"g": g, "x": x, "y": y, "z": z, "w": w, "u": u, "init": init, "sess": sess}
    sess.close()


# -- fetches -----------------------------------------------------------------------------

def test_fetch_tensor_operation_and_names(net):
    s, x = net["sess"], net["x"]
    assert s.run(net["z"], {x: XV}) == pytest.approx(30.0)
    assert s.run(net["init"]) is None  # an Operation fetches as None
    np.testing.assert_allclose(s.run("scope/y:0", {x: XV}), 2 * XV)
    assert s.run("init") is None  # an op name
    assert s.run("z:0", {"x:0": XV}) == pytest.approx(30.0)


def test_nested_structures_are_rebuilt(net):
    s, x, y, z = net["sess"], net["x"], net["y"], net["z"]
    pair = collections.namedtuple("pair", "total op")
    out = s.run({"a": [z, ("scope/y:0", net["init"])], "b": pair(z, net["init"]), "c": []},
                {x: XV})
    assert set(out) == {"a", "b", "c"} and out["c"] == []
    assert isinstance(out["a"], list) and isinstance(out["a"][1], tuple)
    assert out["a"][0] == pytest.approx(30.0)
    np.testing.assert_allclose(out["a"][1][0], 2 * XV)
    assert out["a"][1][1] is None
    assert type(out["b"]) is pair and out["b"].total == pytest.approx(30.0)
    assert out["b"].op is None
    twice = s.run([y, y, z], {x: XV})
    np.testing.assert_allclose(twice[0], twice[1])


@pytest.mark.parametrize(("fetch", "exc", "pattern"), [
    (None, TypeError, "a fetch was None"),
    (3, TypeError, "cannot interpret int 3 as a graph element"),
    ("nope:0", ValueError, r"cannot fetch 'nope:0': the graph has no operation named 'nope'"),
    ("scope/yy:0", ValueError, r"did you mean 'scope/y'"),
])
def test_bad_fetches(net, fetch, exc, pattern):
    with pytest.raises(exc, match=pattern):
        net["sess"].run(fetch)


def test_fetch_from_another_graph(net):
    with gf.Graph().as_default():
        other = gf.constant(1.0)
    with pytest.raises(ValueError, match="belongs to a different Graph than 'this session's "
                                         "graph'"):
        net["sess"].run(other)


# -- feeds ---------------------------------------------------------------------------------

def test_feed_keys_tensor_or_name(net):
    s, z = net["sess"], net["z"]
    assert s.run(z, {net["x"]: XV}) == s.run(z, {"x:0": XV}) == pytest.approx(30.0)
    with pytest.raises(TypeError, match=r"cannot interpret feed_dict key 'x' as a Tensor: 'x' "
                                        r"names an operation; use 'x:0'"):
        s.run(z, {"x": XV})
    with pytest.raises(TypeError, match="cannot interpret feed_dict key .*: expected a Tensor, "
                                        "got operation 'x'"):
        s.run(z, {net["x"].op: XV})


def test_feeding_an_intermediate_overrides_it_and_skips_its_producers(net):
    s, y, z = net["sess"], net["y"], net["z"]
    # x is upstream of y and is not fed: it does not need to be, because y is.
    assert s.run(z, {y: np.ones((4, 3), np.float32)}) == pytest.approx(12.0)
    np.testing.assert_array_equal(s.run(y, {y: np.full((1, 3), 5, np.float32)}),
                                  np.full((1, 3), 5))
    # Feeding a constant overrides it too.
    with net["g"].as_default():
        c = gf.constant(2.0, name="c")
        d = c * 3.0
    assert s.run(d) == 6.0 and s.run(d, {c: 10.0}) == 30.0


def test_fed_variable_value_is_used_without_initialization(net):
    s, w, u = net["sess"], net["w"], net["u"]
    out = s.run(u, {net["x"]: XV, w.value(): np.zeros(3, np.float32)})
    np.testing.assert_array_equal(out, np.zeros((2, 3)))


def test_feed_shape_mismatch_names_tensor_and_both_shapes(net):
    with pytest.raises(gf.InvalidArgumentError) as info:
        net["sess"].run(net["z"], {net["x"]: np.ones((2, 4), np.float32)})
    assert str(info.value) == ("cannot feed a value of shape (2, 4) for tensor 'x:0', which has "
                               "shape (?, 3) (None means any size)")
    assert isinstance(info.value, ValueError) and info.value.node_name == "x"
    with net["g"].as_default():
        scalar = gf.placeholder(gf.float32, [], name="s")
    with pytest.raises(gf.InvalidArgumentError, match=r"cannot feed a value of shape \(1,\) for "
                                                      r"tensor 's:0', which has shape \(\)$"):
        net["sess"].run(scalar, {scalar: [3.0]})


@pytest.mark.parametrize(("dtype", "value", "pattern"), [
    (gf.int32, np.array([1.5, 2.0]), (r"cannot feed a float64 value to 'p:0', which has "
                                      r"dtype int32: converting would lose information")),
    (gf.int32, np.array([1.0, 2.0]), r"cannot feed a float64 value to 'p:0'"),
    (gf.int32, [2 ** 40, 2], r"the integer value fed for 'p:0' does not fit in int32"),
    (gf.bool, [1, 0], r"cannot feed a int64 value to 'p:0', which has dtype bool"),
    (gf.float32, ["1", "2"], r"cannot feed a <U1 value to 'p:0' \(float32\)"),
    (gf.uint8, [-1, 2], r"does not fit in uint8"),
])
def test_feed_dtype_errors(dtype, value, pattern):
    with gf.Graph().as_default() as g:
        p = gf.placeholder(dtype, [2], name="p")
        with gf.Session(graph=g) as sess, pytest.raises(TypeError, match=pattern):
            sess.run(p, {p: value})


@pytest.mark.parametrize(("dtype", "value", "expected"), [
    (gf.float32, np.array([1, 2], np.int64), np.array([1, 2], np.float32)),
    (gf.float32, [True, False], np.array([1, 0], np.float32)),
    (gf.float32, np.array([0.5, 2.0]), np.array([0.5, 2.0], np.float32)),
    (gf.int64, [3, 4], np.array([3, 4], np.int64)),
    (gf.string, ["a", "bc"], np.array([b"a", b"bc"], dtype=object)),
    (gf.string, [b"a", b"bc"], np.array([b"a", b"bc"], dtype=object)),
])
def test_safe_feed_conversions(dtype, value, expected):
    with gf.Graph().as_default() as g:
        p = gf.placeholder(dtype, [2], name="p")
        with gf.Session(graph=g) as sess:
            out = sess.run(gf.identity(p), {p: value})
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_feeding_a_tensor_value_is_an_error(net):
    with pytest.raises(TypeError, match=r"the value fed for 'x:0' is a gf.Tensor \('scope/y:0'\)"):
        net["sess"].run(net["z"], {net["x"]: net["y"]})


def test_unfed_placeholder_names_it_and_the_fetch(net):
    s = net["sess"]
    with pytest.raises(gf.InvalidArgumentError) as info:
        s.run([net["init"], net["z"]])
    message = str(info.value)
    assert "You must feed a value for placeholder tensor 'x' with dtype float32 and shape " \
           "(?, 3)" in message
    assert "fetch 'z:0' depends on it" in message
    assert info.value.node_name == "x" and info.value.op_type == "Placeholder"
    with pytest.raises(gf.InvalidArgumentError, match="fetch 'scope/y' depends on it"):
        s.run(net["y"].op)


def test_unfed_message_lists_only_fetches_that_need_the_placeholder(net):
    s, x, y, z = net["sess"], net["x"], net["y"], net["z"]
    with net["g"].as_default():
        direct = gf.identity(x, name="direct")
    with pytest.raises(gf.InvalidArgumentError, match="fetch 'direct:0' depends on it") as info:
        s.run([z, direct], {y: XV})  # z only needs the fed y
    assert "z:0" not in str(info.value)


# -- variables -----------------------------------------------------------------------------

def test_uninitialized_variable_read(net):
    with pytest.raises(gf.FailedPreconditionError) as info:
        net["sess"].run(net["w"])
    assert str(info.value) == ("attempting to use uninitialized value 'W' (in node 'W', "
                               "VariableV2). Run the initializer first: "
                               "sess.run(gf.global_variables_initializer())")
    with pytest.raises(gf.FailedPreconditionError, match="uninitialized value 'W'"):
        net["sess"].run(net["u"], {net["x"]: XV})


def test_variables_keep_state_across_runs(net):
    s, w = net["sess"], net["w"]
    s.run("init")
    inc = w.assign_add(np.ones(3, np.float32))
    for expected in (2.0, 3.0, 4.0):
        s.run(inc)
        assert s.run(w)[0] == expected
    np.testing.assert_array_equal(s.run(net["u"], {net["x"]: XV}), XV * np.array([4, 5, 6]))
    s.run(w.initializer)
    np.testing.assert_array_equal(s.run(w), [1.0, 2.0, 3.0])


def test_variable_values_are_per_session(net):
    g, w = net["g"], net["w"]
    with g.as_default():
        inc = w.assign_add(np.ones(3, np.float32))
    a, b = gf.Session(graph=g), gf.Session(graph=g)
    a.run("init")
    b.run("init")
    a.run(inc)
    assert a.run(w)[0] == 2.0 and b.run(w)[0] == 1.0


def test_fetched_variable_values_are_copies(net):
    s, w = net["sess"], net["w"]
    s.run(net["init"])
    for fetch in (w, w.value(), "W:0", "W/read:0"):
        got = s.run(fetch)
        got[...] = -100.0
        np.testing.assert_array_equal(s.run(w), [1.0, 2.0, 3.0])
    before = s.run(w)
    assigned = s.run(w.assign(np.full(3, 7.0, np.float32)))
    s.run(w.assign_add(np.ones(3, np.float32)))  # in place in the session's storage
    np.testing.assert_array_equal(before, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(assigned, [7.0, 7.0, 7.0])
    np.testing.assert_array_equal(s.run(w), [8.0, 8.0, 8.0])


def test_fetched_constants_are_writable_copies():
    with gf.Graph().as_default() as g:
        c = gf.constant([1.0, 2.0])
        with gf.Session(graph=g) as s:
            first = s.run(c)
            first[0] = 9.0
            np.testing.assert_array_equal(s.run(c), [1.0, 2.0])


# -- plan cache ------------------------------------------------------------------------------

def test_plans_are_cached_per_signature(net):
    s, x, y, z = net["sess"], net["x"], net["y"], net["z"]
    with mock.patch.object(session_mod, "signature_plan",
                           wraps=session_mod.signature_plan) as spy:
        s.run(z, {x: XV})
        s.run(z, {"x:0": XV + 1})  # same tensors by name: same signature
        s.run("z:0", {x: XV})
        assert spy.call_count == 1
        first = s.explain(z, {x: XV})
        assert s.explain("z:0", {"x:0": XV}) is first  # the very plan the runs used
        s.run([z, y], {x: XV})  # new fetches
        s.run(z, {y: XV})  # new feeds
        assert spy.call_count == 3
        s.run([z, y], {x: XV})
        assert spy.call_count == 3
        assert s.explain([z, y], {x: XV}) is not first


def test_failed_compile_is_not_cached(net):
    s = net["sess"]
    with mock.patch.object(session_mod, "signature_plan",
                           wraps=session_mod.signature_plan) as spy:
        for _ in range(2):
            with pytest.raises(gf.InvalidArgumentError):
                s.run(net["z"])
    assert spy.call_count == 2  # the failed signature was tried again, not cached


def _compiles_of(s: gf.Session, fetch, feed, sizes) -> int:
    with mock.patch.object(session_mod._Signature, "_compile", autospec=True,
                           side_effect=session_mod._Signature._compile) as spy:
        for n in sizes:
            np.testing.assert_allclose(s.run(fetch, {feed: np.ones((n, 3), np.float32)}),
                                       6.0 * n)
    return spy.call_count


def test_cycling_through_fifty_batch_sizes_compiles_each_once(net):
    """The plan cache holds every shape a caller cycles through when the plans are small:
    the second round over 50 batch sizes compiles nothing (issue 16: no cliff)."""
    s, x, z = net["sess"], net["x"], net["z"]
    sizes = list(range(1, 51))
    assert _compiles_of(s, z, x, sizes) == 50
    assert _compiles_of(s, z, x, sizes + sizes[::-1]) == 0


def test_plan_cache_is_bounded_by_count_and_by_bytes(net, monkeypatch):
    s, x, z = net["sess"], net["x"], net["z"]
    monkeypatch.setattr(session_mod._Signature, "MAX_PLANS", 4)
    assert _compiles_of(s, z, x, [1, 2, 3, 4, 5]) == 5
    assert _compiles_of(s, z, x, [2, 3, 4, 5]) == 0  # the 4 most recent are kept
    assert _compiles_of(s, z, x, [1]) == 1  # the least recently used was evicted
    signature = next(iter(s._plans.values()))
    assert len(signature.by_shape) == 4
    assert signature.cached_bytes == sum(signature.plan_bytes.values()) > 0
    monkeypatch.setattr(session_mod._Signature, "MAX_PLAN_BYTES", 1)
    assert _compiles_of(s, z, x, [7]) == 1
    assert list(signature.by_shape) == [((7, 3),)]  # the newest plan is always kept
    assert _compiles_of(s, z, x, [7, 8, 7]) == 2
    assert signature.cached_bytes == sum(signature.plan_bytes.values())


def test_plan_cache_counts_the_work_arrays_kernels_keep(monkeypatch):
    """A sparse SGD step's row update keeps work arrays the size of its updates (made on its
    first run): the plan cache counts them toward MAX_PLAN_BYTES, so a budget that the
    buffers and constants alone fit evicts a plan."""
    g = gf.Graph()
    with g.as_default():
        table = gf.Variable(np.zeros((1000, 50), np.float32), name="table")
        ids = gf.placeholder(gf.int32, [None])
        loss = gf.reduce_sum(gf.nn.embedding_lookup(table, ids))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
    rng = np.random.default_rng(0)

    def step(n):
        sess.run(train, {ids: rng.integers(0, 1000, n).astype(np.int32)})

    with gf.Session(graph=g) as sess:
        sess.run(table.initializer)
        for n in (700, 800, 900, 700):  # >= 32768 updated elements: the chunked rounds
            step(n)
        signature = next(s for s in sess._plans.values() if s.feeds)
        shapes = [((n,),) for n in (700, 800, 900)]
        for key in shapes:  # each plan's arrays, made by its runs, counted
            scratch = signature.by_shape[key].scratch_bytes
            assert scratch >= 2 * key[0][0] * 50 * 4  # gathered rows and scaled updates
            assert signature.plan_bytes[key] == signature.base_bytes[key] + scratch
        assert signature.cached_bytes == sum(signature.plan_bytes.values())
        # room for every plan's buffers and constants, not for their work arrays too: the
        # next new shape evicts the least recently used plan (800), and only that one
        scratch = sum(signature.by_shape[key].scratch_bytes for key in shapes)
        monkeypatch.setattr(session_mod._Signature, "MAX_PLAN_BYTES",
                            sum(signature.base_bytes.values()) + scratch // 2)
        step(10)
        assert list(signature.by_shape) == [shapes[2], shapes[0], ((10,),)]
        assert signature.cached_bytes == sum(signature.plan_bytes.values())


def test_plan_cache_counts_what_a_while_loops_sub_plans_hold():
    """A loop's condition and body are compiled per shape into sub-plans with buffers of
    their own (the body's 256 x 256 float64 product: 512 KiB a shape); the enclosing plan's
    bytes include them, so the cache budget sees a loop's memory."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [None, 256])
        w = gf.constant(np.eye(256) * 0.5)
        _, out = gf.while_loop(lambda i, h: i < 3,
                               lambda i, h: (i + 1, gf.tanh(gf.matmul(h, w))),
                               [gf.constant(0), x])
    rng = np.random.default_rng(0)
    with gf.Session(graph=g, config=gf.SessionConfig(inter_op_threads=1)) as sess:
        for rows in (256, 128):
            sess.run(out, {x: rng.standard_normal((rows, 256))})
        signature = next(s for s in sess._plans.values() if s.feeds)
        for rows in (256, 128):
            bound = signature.by_shape[((rows, 256),)]
            (loop,) = bound._loops
            body = list(loop.body.by_shape.values())
            assert len(body) == 1
            product = rows * 256 * 8
            assert sum(b.nbytes for b in body[0].buffers) >= product  # the body's buffers
            assert loop.held_bytes == loop.cond.held_bytes + body[0].held_bytes
            assert bound.scratch_bytes >= loop.held_bytes >= product
            assert signature.plan_bytes[((rows, 256),)] == \
                signature.base_bytes[((rows, 256),)] + bound.scratch_bytes
        assert signature.cached_bytes >= (256 + 128) * 256 * 8


def test_runs_ignore_float_errors_and_restore_the_callers_error_state():
    """A plan runs with numpy's floating-point errors ignored (1/0 is inf, as in TF), and
    the caller's error state — whatever it is — is back in force after the run."""
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None], name="x")
        y = gf.math.divide(1.0, x)
    with gf.Session(graph=g) as s:
        before = np.geterr()
        np.testing.assert_array_equal(s.run(y, {x: np.zeros(2, np.float32)}), [np.inf] * 2)
        assert np.geterr() == before
        with np.errstate(divide="raise", over="warn"):
            inner = np.geterr()
            for _ in range(2):  # the cached "ignore" state follows the caller's state
                np.testing.assert_array_equal(s.run(y, {x: np.zeros(1, np.float32)}),
                                              [np.inf])
                assert np.geterr() == inner
            with pytest.raises(FloatingPointError):
                np.float32(1.0) / np.zeros(1, np.float32)
        assert np.geterr() == before


def test_fast_path_results_keep_the_fetch_structure(net):
    s, x, y, z = net["sess"], net["x"], net["y"], net["z"]
    for _ in range(2):  # the second call takes the identity-keyed fast path
        as_list = s.run([z, y], {x: XV})
        as_tuple = s.run((z, y), {x: XV})
        single = s.run(z, {x: XV})
        mixed = s.run([z, "scope/y:0"], {x: XV})  # a name: never stored under a fast key
        assert type(as_list) is list and type(as_tuple) is tuple and type(mixed) is list
        assert single == as_list[0] == as_tuple[0] == mixed[0] == pytest.approx(30.0)
        assert isinstance(single, np.float32)  # a fetched 0-d value is a numpy scalar
        np.testing.assert_array_equal(as_list[1], 2 * XV)
        np.testing.assert_array_equal(mixed[1], 2 * XV)
    kept = [entry[2] for entry in s._fast.values()]
    assert all(all(isinstance(e, (gf.Tensor, gf.Operation)) for e in
                   (k if isinstance(k, tuple) else (k,))) for k, _ in kept)
    assert len(s._fast) == 3  # the list, the tuple and the single fetch; not the mixed one


def test_compiling_pauses_the_garbage_collector_and_restores_it(net, monkeypatch):
    import gc

    s, x, z = net["sess"], net["x"], net["z"]
    seen = []
    real = session_mod.compile_plan

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("a compile that fails")
        return real(*args, **kwargs)

    monkeypatch.setattr(session_mod, "compile_plan", spy)
    was = gc.isenabled()
    try:
        gc.enable()
        s.run(z, {x: XV})
        assert seen == [False] and gc.isenabled()  # paused while compiling, then back on
        with pytest.raises(RuntimeError, match="a compile that fails"):
            s.run(z, {x: np.ones((4, 3), np.float32)})  # a failing compile restores it too
        assert gc.isenabled()
        gc.disable()  # a caller who turned it off keeps it off
        s.run(z, {x: np.ones((5, 3), np.float32)})
        assert not gc.isenabled()
        monkeypatch.setattr(session_mod, "PAUSE_GC_WHILE_COMPILING", False)
        gc.enable()
        s.run(z, {x: np.ones((6, 3), np.float32)})
        assert seen[-1] is True  # the switch off: the collector stays on
    finally:
        (gc.enable if was else gc.disable)()


# -- run-time kernel failure ---------------------------------------------------------------

def test_runtime_reshape_failure_names_node_op_and_shapes():
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        shape = gf.placeholder(gf.int32, [2], name="shape")
        r = gf.reshape(x, shape, name="r")
        with gf.Session(graph=g) as s:
            np.testing.assert_array_equal(s.run(r, {x: XV, shape: [3, 2]}), XV.reshape(3, 2))
            with pytest.raises(gf.InvalidArgumentError) as info:
                s.run(r, {x: XV, shape: [4, 4]})
    message = str(info.value)
    assert "Reshape" in message and "'r'" in message and "(2, 3)" in message
    assert "(4, 4)" in message
    assert info.value.node_name == "r" and info.value.op_type == "Reshape"


# -- session lifecycle ---------------------------------------------------------------------

def test_closed_session_raises(net):
    s = net["sess"]
    s.close()
    with pytest.raises(RuntimeError, match="attempted to use a closed Session"):
        s.run(net["z"], {net["x"]: XV})


def test_with_session_makes_it_default():
    with gf.Graph().as_default():
        c = gf.constant([1.0, 2.0]) * 2.0
        assert gf.get_default_session() is None
        with pytest.raises(ValueError, match="no default session is registered"):
            c.eval()
        with gf.Session() as s:
            assert gf.get_default_session() is s
            np.testing.assert_array_equal(c.eval(), [2.0, 4.0])
            p = gf.placeholder(gf.float32, [])
            assert (p + 1.0).eval({p: 1.0}) == 2.0
            assert c.op.run() is None
        assert gf.get_default_session() is None
        with pytest.raises(RuntimeError, match="closed"):
            s.run(c)


def test_with_session_enters_its_graph():
    g = gf.Graph()
    with gf.Session(graph=g) as s:
        assert gf.get_default_graph() is g and s.graph is g
        c = gf.constant(3.0)
        assert c.graph is g and c.eval() == 3.0
    assert gf.get_default_graph() is not g


def test_session_as_default_and_eval_of_other_graph():
    g1, g2 = gf.Graph(), gf.Graph()
    with g1.as_default():
        a = gf.constant(1.0)
    with g2.as_default():
        b = gf.constant(2.0)
    s = gf.Session(graph=g1)
    with s.as_default():
        assert a.eval() == 1.0
        with pytest.raises(ValueError, match="belongs to a different graph than the session's"):
            b.eval()
    assert a.eval(session=s) == 1.0
    s.close()


def test_interactive_session():
    g = gf.Graph()
    s = gf.InteractiveSession(graph=g)
    try:
        assert gf.get_default_session() is s and gf.get_default_graph() is g
        assert (gf.constant(2.0) * 2.0).eval() == 4.0
    finally:
        s.close()
    assert gf.get_default_session() is None and gf.get_default_graph() is not g


def test_feeding_one_tensor_twice_is_a_clear_error(net):
    with pytest.raises(ValueError, match="tensor 'x:0' is fed more than once in feed_dict"):
        net["sess"].run(net["z"], {net["x"]: XV, "x:0": XV})


def test_make_callable_runs_fetches_with_positional_feeds():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None], name="x")
        y = gf.placeholder(gf.float32, [None], name="y")
        total = gf.reduce_sum(x * y)
        with gf.Session() as sess:
            f = sess.make_callable([total, x + 1.0], feed_list=[x, "y:0"])
            got_total, got_x1 = f(np.array([1.0, 2.0]), [3.0, 4.0])
            assert got_total == 11.0 and list(got_x1) == [2.0, 3.0]
            assert f([2.0], [5.0])[0] == 10.0  # another feed shape: another plan, same callable
            with pytest.raises(TypeError, match="takes 2 feed value"):
                f([1.0])
            with pytest.raises(gf.InvalidArgumentError, match="shape"):
                f(np.ones((2, 2)), np.ones((2, 2)))


def test_indexed_slices_fetch_as_a_value_and_feed_by_component():
    with gf.Graph().as_default():
        emb = gf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3), name="E")
        ids = gf.placeholder(gf.int32, [None], name="ids")
        loss = gf.reduce_sum(gf.gather(emb, ids) * 2.0)
        (grad,) = gf.gradients(loss, [emb])
        assert isinstance(grad, gf.IndexedSlices)
        doubled = grad.values * 2.0
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            got = sess.run(grad, {ids: [3, 1, 3]})
            assert isinstance(got, gf.IndexedSlicesValue)
            np.testing.assert_array_equal(got.values, np.full((3, 3), 2.0, np.float32))
            np.testing.assert_array_equal(got.indices, [3, 1, 3])
            np.testing.assert_array_equal(got.to_dense()[3], [4.0, 4.0, 4.0])
            fed = gf.IndexedSlicesValue(np.ones((2, 3), np.float32), np.array([0, 2], np.int32),
                                        np.array([4, 3], np.int32))
            np.testing.assert_array_equal(sess.run(doubled, {grad: fed}),
                                          np.full((2, 3), 2.0))


def test_explain_returns_the_plan_without_running_it(net):
    s, x, w = net["sess"], net["x"], net["w"]
    s.run(net["init"])
    with net["g"].as_default():
        update = w.assign_add(np.ones(3, np.float32))
        total = gf.reduce_sum(net["u"]) * 2.0
    compiled = s.explain([update, total], {x: XV})
    np.testing.assert_array_equal(s.run(w), [1.0, 2.0, 3.0])  # nothing ran
    steps = {st.op_type: st for st in compiled.steps}
    assert "AssignAdd" in steps and steps["AssignAdd"].refs == ("W",)
    text = str(compiled)
    assert "feeds:\n  s0 = x:0 float32 (2, 3)" in text and "AssignAdd" in text
    assert compiled.source.startswith("def _plan(s0):")
    got = s.run([update, total], {x: XV})
    assert got[1] == pytest.approx(2 * float((XV * np.array([1.0, 2.0, 3.0])).sum()))
    assert s.explain([update, total], {x: XV + 1}) is compiled  # same shapes: same plan
    with pytest.raises(gf.InvalidArgumentError, match="cannot feed a value of shape"):
        s.explain(total, {x: np.ones((2, 4), np.float32)})
