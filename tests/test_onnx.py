"""ONNX export: the written file, run in ONNX Runtime, computes what autograph computed."""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from autograph import onnx as ag_onnx
from autograph.core.dispatch import HANDLED
from autograph.core.node import Primitive

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = {np.float32: dict(rtol=2e-6, atol=1e-7), np.float64: dict(rtol=1e-13, atol=1e-15)}


def run(path, feeds: dict) -> list:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def data(shape, dtype, seed=0, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden, output", [("sigmoid", "softmax"), ("relu", "linear"),
                                            ("tanh", "sigmoid"), ("leaky_relu", "softmax"),
                                            ("softplus", "linear"),
                                            (["relu", "sigmoid"], "softmax")])
def test_mlp_runs_in_onnxruntime_as_in_autograph(tmp_path, dtype, hidden, output):
    model = ag.MLP([4, 6, 5, 3], hidden=hidden, output=output, rng=0, dtype=dtype)
    X = data((9, 4), dtype, scale=3.0)
    path = ag_onnx.export(model, X, tmp_path / "mlp.onnx")
    (got,) = run(path, {"input": X})
    want = model(X).value
    assert got.dtype == want.dtype == dtype and got.shape == (9, 3)
    np.testing.assert_allclose(got, want, **TOLERANCE[dtype])


def test_the_tutorial_network_and_its_parameter_names(tmp_path):
    model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax",
                   names=["W", "b1", "V", "b2"], rng=0)
    X = ag.constant(data((300, 2), np.float64), name="X")
    path = ag_onnx.export(model, X, tmp_path / "tutorial.onnx", output_names=["Y"])
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["X"] and [o.name for o in graph.output] == ["Y"]
    assert {"W", "b1", "V", "b2"} <= {init.name for init in graph.initializer}
    assert [n.op_type for n in graph.node] == ["MatMul", "Add", "Sigmoid", "MatMul", "Add",
                                               "Softmax", "Identity"]
    (got,) = run(path, {"X": X.value})
    np.testing.assert_allclose(got, model(X).value, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-13)    # probabilities


def many_ops(x, y):
    """A hand-built function over every exported primitive."""
    W = ag.parameter(np.linspace(-1, 1, 12).reshape(3, 4), name="W")
    z = x @ W                                                    # (5, 4)
    a = (z - 0.5) * y / 2.0 + ag.negative(z) ** 2
    b = ag.sqrt(ag.absolute(a) + 1.0) + ag.log(ag.exp(-ag.absolute(z)) + 1.0)
    c = ag.maximum(a, b) - ag.minimum(a, 0.25)
    d = ag.where(np.array([True, False, True, False]), c, ag.tanh(c))
    e = ag.reshape(d, (2, 10)).T                                 # (10, 2)
    f = ag.swapaxes(ag.broadcast_to(ag.sum(e, axis=1, keepdims=True), (10, 3)), 0, 1)
    g = ag.concatenate([f, ag.transpose(ag.stack([e[:, 0], e[:, 1], e[::-1, 0]], axis=1))],
                       axis=0)                                   # (6, 10)
    h = g[1:5, ::3] + g[2, 1:5] + g[[0, 5, 5, 1]][:, 2:6].sum() \
        + g[np.array([0, 4]), np.array([9, 1])].sum()
    k = ag.log_softmax(h, axis=0) + ag.softmax(h, axis=1) + ag.leaky_relu(h, alpha=0.01) \
        + ag.softplus(h) + ag.sigmoid(h) + ag.relu(h)
    m = ag.logsumexp(k, axis=1) + ag.max(k, axis=0)[:4] + ag.mean(k)
    return ag.astype(m, np.float32), ag.max(k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opset", [14, ag_onnx.DEFAULT_OPSET, 18])
def test_a_function_of_every_primitive_with_two_inputs_and_outputs(tmp_path, dtype, opset):
    x, y = data((5, 3), dtype, seed=1), data((5, 4), dtype, seed=2)
    path = ag_onnx.export(many_ops, (x, y), tmp_path / "f.onnx", input_names=["x", "y"],
                          opset=opset)
    got = run(path, {"x": x, "y": y})
    want = [out.value for out in many_ops(ag.constant(x), ag.constant(y))]
    assert [g.dtype for g in got] == [w.dtype for w in want] == [np.float32, np.float64]
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, **TOLERANCE[np.float32 if dtype == np.float32 else
                                                      np.float64])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_at_extremes(tmp_path, dtype):
    x = np.array([[-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0]], dtype=dtype)
    f = lambda v: (ag.softplus(v), ag.log_softmax(v), ag.logsumexp(v, axis=1),  # noqa: E731
                   ag.leaky_relu(v, alpha=0.01), ag.softmax(v))
    path = ag_onnx.export(f, x, tmp_path / "extremes.onnx")
    with np.errstate(all="raise", under="ignore"):
        want = [out.value for out in f(ag.constant(x))]
    for g, w in zip(run(path, {"input": x}), want):
        assert np.isfinite(g).all()
        np.testing.assert_allclose(g, w, **TOLERANCE[dtype])
    # softplus(-40) = 4.25e-18: a float64 graph keeps it to the last digits, not 0
    assert run(path, {"input": x})[0][0, 1] == pytest.approx(np.logaddexp(0.0, -40.0), rel=1e-12)


def test_float32_inputs_to_a_float64_model_are_cast_as_numpy_promotes(tmp_path):
    model = ag.MLP([3, 4, 2], hidden="tanh", rng=0)              # float64 parameters
    X = data((6, 3), np.float32)
    path = ag_onnx.export(model, X, tmp_path / "m.onnx")
    (got,) = run(path, {"input": X})
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, model(X).value, rtol=1e-13, atol=1e-15)


def test_export_under_no_grad_still_records(tmp_path):
    model = ag.MLP([2, 3, 1], hidden="relu", rng=0)
    X = data((4, 2), np.float64)
    with ag.no_grad():
        path = ag_onnx.export(model, X, tmp_path / "m.onnx")
    np.testing.assert_allclose(run(path, {"input": X})[0], model(X).value, rtol=1e-13)


# --- refusals ------------------------------------------------------------------------------
def test_an_op_without_counterpart_is_refused_by_name(tmp_path):
    cube = Primitive("cube", lambda x: x ** 3, lambda g, ans, x: 3 * g * x * x, register=False)
    with pytest.raises(NotImplementedError, match=r"operation 'cube'.*node cube \(4, 2\)"):
        ag_onnx.export(lambda x: cube(x) + 1.0, np.ones((4, 2)), tmp_path / "c.onnx")
    scatter = lambda x: ag.ops.scatter_add(x, index=0, shape=(3, 2))  # noqa: E731
    with pytest.raises(NotImplementedError, match="'scatter_add'"):
        ag_onnx.export(scatter, np.ones(2), tmp_path / "s.onnx")
    with pytest.raises(NotImplementedError, match="getitem with index"):
        ag_onnx.export(lambda x: x[np.array([True, False, True])], np.ones(3),
                       tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_leaving_the_graph_is_refused(tmp_path):
    W = ag.parameter(np.ones((2, 2)), name="W")
    with pytest.raises(ValueError, match="does not depend on input 'input'"):
        ag_onnx.export(lambda x: ag.constant(np.asarray(x)) @ W, np.ones((3, 2)),
                       tmp_path / "a.onnx")
    with pytest.raises(TypeError, match="not a Node"):
        ag_onnx.export(lambda x: np.asarray(x) * 2, np.ones(3), tmp_path / "b.onnx")

    def inside_no_grad(x):
        with ag.no_grad():
            hidden = ag.tanh(x @ W)
        return hidden + x
    with pytest.raises(ValueError, match="tanh .* no_grad"):
        ag_onnx.export(inside_no_grad, np.ones((3, 2)), tmp_path / "c.onnx")


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="opset 11"):
        ag_onnx.export(ag.tanh, np.ones(3), tmp_path / "a.onnx", opset=11)
    with pytest.raises(ValueError, match="2 distinct input names"):
        ag_onnx.export(ag.add, (np.ones(3), np.ones(3)), tmp_path / "a.onnx",
                       input_names=["x"])


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"earlier")

    def broken_fsync(fd):
        raise OSError("disk full")
    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        ag_onnx.export(ag.tanh, np.ones(3), path)
    assert path.read_bytes() == b"earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


# --- indexing, the op with the most cases ---------------------------------------------------
def basic_index(ndim):
    part = st.one_of(st.integers(-3, 2), st.none(),
                     st.builds(slice, st.none() | st.integers(-4, 4),
                               st.none() | st.integers(-4, 4),
                               st.none() | st.sampled_from([-2, -1, 1, 2])))
    return st.lists(part, min_size=1, max_size=ndim).map(tuple)


@settings(max_examples=25, deadline=None)
@given(index=basic_index(2))
def test_basic_indexing_matches_numpy(tmp_path_factory, index):
    x = np.arange(12.0).reshape(3, 4)
    try:
        want = x[index]
    except IndexError:
        return
    if want.size == 0:
        return
    path = tmp_path_factory.mktemp("index") / "i.onnx"
    ag_onnx.export(lambda v: v[index] * 1.0, x, path)
    np.testing.assert_array_equal(run(path, {"input": x})[0], want)


# --- a batch of any size ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dynamic_batch_runs_on_any_number_of_rows(tmp_path, dtype):
    model = ag.MLP([4, 5, 3], hidden="tanh", output="softmax", rng=0, dtype=dtype)
    path = ag_onnx.export(model, data((8, 4), dtype), tmp_path / "m.onnx", dynamic_batch=True)
    graph = onnx.load(str(path)).graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for rows in (1, 8, 37):
        X = data((rows, 4), dtype, seed=rows)
        (got,) = run(path, {"input": X})
        np.testing.assert_allclose(got, model(X).value, **TOLERANCE[dtype])


def test_dynamic_batch_fixed_by_an_operation_is_refused(tmp_path):
    W = ag.parameter(np.ones((3, 2)), name="W")
    flatten_and_back = lambda x: ag.reshape(ag.reshape(x, (-1,)), (8, 3)) @ W  # noqa: E731
    with pytest.raises(ValueError, match=r"output 'output' has first axis 8, not the batch"):
        ag_onnx.export(flatten_and_back, np.ones((8, 3)), tmp_path / "a.onnx",
                       dynamic_batch=True)
    per_row = ag.constant(np.arange(8.0).reshape(8, 1), name="per_row")
    with pytest.raises(ValueError, match="not the batch"):
        ag_onnx.export(lambda x: x @ W + per_row, np.ones((8, 3)), tmp_path / "b.onnx",
                       dynamic_batch=True)
    ag_onnx.export(flatten_and_back, np.ones((8, 3)), tmp_path / "c.onnx")   # fixed: fine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.onnx"]


def test_maxout_radial_basis_and_a_plain_function_in_a_sequential(tmp_path):
    model = ag.nn.Sequential(ag.nn.Maxout(2, 4, rng=0), ag.nn.RadialBasis(4, 5, rng=1),
                             ag.nn.Linear(5, 3, rng=2), ag.log_softmax)
    path = ag_onnx.export(model, data((7, 2), np.float64), tmp_path / "s.onnx",
                          dynamic_batch=True)
    X = data((3, 2), np.float64, seed=5)
    np.testing.assert_allclose(run(path, {"input": X})[0], model(X).value, rtol=1e-13,
                               atol=1e-15)


# --- generated from the numpy dispatch table: every ufunc autograph handles ------------------
def _ufuncs():
    """Elementwise ufuncs, and matmul (vecdot, matvec, vecmat are gufuncs of other shapes)."""
    return sorted((f for f in HANDLED if isinstance(f, np.ufunc) and
                   (f.signature is None or f is np.matmul)), key=lambda f: f.__name__)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ufunc", _ufuncs(), ids=lambda f: f.__name__)
def test_every_handled_ufunc_exports_or_is_refused_by_name(tmp_path, ufunc, dtype):
    rng = np.random.default_rng(0)
    shapes = [(2, 3)] if ufunc.nin == 1 else [(2, 3), (3,)]
    if ufunc is np.matmul:
        shapes = [(2, 3), (3, 4)]
    low, high = {"unit": (0.1, 0.9), "above_one": (1.2, 2.8)}.get(
        getattr(HANDLED[ufunc], "domain", None), (0.3, 1.7))        # log, sqrt, power: > 0
    arrays = [rng.uniform(low, high, s).astype(dtype) for s in shapes]
    names = [f"x{i}" for i in range(len(arrays))]
    try:
        path = ag_onnx.export(ufunc, tuple(arrays), tmp_path / "u.onnx", input_names=names)
    except NotImplementedError as error:
        assert "has no ONNX counterpart" in str(error)
        return
    got = run(path, dict(zip(names, arrays)))[0]
    want = ufunc(*[ag.constant(a) for a in arrays]).value
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **TOLERANCE[dtype])


def test_numpy_code_on_nodes_exports(tmp_path):
    W = ag.parameter(np.linspace(-1, 1, 6).reshape(2, 3), name="W")

    def numpy_network(x):                    # written as for plain arrays
        h = np.tanh(x @ W)
        return np.exp(h) / np.sum(np.exp(h), axis=1, keepdims=True)
    X = data((5, 2), np.float64)
    path = ag_onnx.export(numpy_network, X, tmp_path / "n.onnx", dynamic_batch=True)
    X = data((9, 2), np.float64, seed=3)
    np.testing.assert_allclose(run(path, {"input": X})[0], numpy_network(ag.constant(X)).value,
                               rtol=1e-13)
