"""nn.Dropout and the training / evaluation modes: inverted dropout's statistics, scale and
gradient, the modes of nested modules, MLP(dropout=) saved and loaded, fit in training mode
(compiled as eager), predictions and reports in evaluation mode."""

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from autograph.nn.monitor import unit_report
from autograph.nn.plots import _predicted


def _mask(shape, p, seed):
    """The mask Dropout(p, rng=seed) draws first: kept where a float64 uniform is < 1 - p."""
    return np.random.default_rng(seed).random(shape) < 1 - p


# --- the layer ----------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [1.0, 1.5, -0.1, float("nan")])
def test_p_outside_0_to_1_is_refused(p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        nn.MLP([2, 3, 1], dropout=p)


@pytest.mark.parametrize("p", ["0.5", True, None])
def test_p_that_is_no_number_is_refused(p):
    with pytest.raises(TypeError, match="number"):
        nn.Dropout(p)


def test_a_legacy_random_state_is_refused():
    with pytest.raises(TypeError, match="Generator"):
        nn.Dropout(0.5, rng=np.random.RandomState(0))


def test_p_zero_and_evaluation_mode_are_the_identity():
    x = ag.constant(np.arange(6.0))
    assert nn.Dropout(0.0, rng=0)(x) is x
    drop = nn.Dropout(0.9, rng=0)
    assert drop.training                         # training by default, as in torch
    assert drop.eval() is drop and not drop.training
    assert drop(x) is x
    state = drop.rng.bit_generator.state
    drop(x)
    assert drop.rng.bit_generator.state == state          # nothing drawn


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_the_kept_fraction_is_1_minus_p_and_kept_entries_are_scaled_exactly(p):
    n = 200_000
    x = np.random.default_rng(1).uniform(0.5, 2.0, n)
    out = nn.Dropout(p, rng=2)(ag.constant(x)).value
    kept = out != 0
    # the mean of n Bernoulli(1 - p): within 5 standard deviations
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_array_equal(kept, _mask(n, p, 2))
    np.testing.assert_array_equal(out[kept], x[kept] * (1 / (1 - p)))
    # the expected output is the input: the mean of out / x is 1 within 5 sigma
    ratio = out / x
    assert abs(ratio.mean() - 1) < 5 * ratio.std() / np.sqrt(n)


def test_float32_stays_float32_with_a_float32_scale():
    x = np.linspace(1, 2, 64, dtype=np.float32)
    for given in (x, ag.constant(x)):
        out = nn.Dropout(0.3, rng=5)(given)
        value = out.value if isinstance(out, ag.Node) else out
        assert value.dtype == np.float32
        kept = _mask(64, 0.3, 5)
        np.testing.assert_array_equal(value[kept], x[kept] * np.float32(1 / 0.7))
        np.testing.assert_array_equal(value[~kept], 0)


def test_integer_inputs_give_float64():
    assert nn.Dropout(0.5, rng=0)(np.arange(4)).dtype == np.float64


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_the_gradient_is_the_mask_times_the_scale(p):
    shape = (4, 5)
    x0 = np.random.default_rng(3).standard_normal(shape)
    w = np.random.default_rng(4).standard_normal(shape)

    def f(x):          # a fresh layer of the same seed each time: the mask is fixed
        return (nn.Dropout(p, rng=9)(x) * w).sum()
    x = ag.parameter(x0)
    f(x).backward()
    expected = _mask(shape, p, 9) * (1 / (1 - p)) * w     # transcribed from the definition
    np.testing.assert_allclose(x.grad, expected, rtol=1e-15, atol=0)
    # and central differences in float64
    h, numeric = 1e-6, np.zeros(shape)
    for i in np.ndindex(shape):
        e = np.zeros(shape)
        e[i] = h
        numeric[i] = (f(ag.constant(x0 + e)).value - f(ag.constant(x0 - e)).value) / (2 * h)
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-7, atol=1e-8)


# --- modes --------------------------------------------------------------------------------------

def test_train_and_eval_reach_every_sub_module():
    inner = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Dropout(0.5, rng=1))
    model = nn.Sequential(nn.Linear(2, 3, rng=2), nn.relu, inner, nn.Dropout(0.2, rng=3))
    assert len(model.modules()) == 6
    assert model.eval() is model
    assert [m.training for m in model.modules()] == [False] * 6
    model.train()
    assert [m.training for m in model.modules()] == [True] * 6
    model.train(False)
    assert not any(m.training for m in model.modules())


def test_mode_restores_each_modules_own_mode():
    model = nn.MLP([2, 4, 4, 1], dropout=0.5, rng=0)
    model.dropout.eval()                         # a mixed state
    with nn.mode(model, training=True):
        assert all(m.training for m in model.modules())
    assert model.training and not model.dropout.training
    with nn.mode(lambda x: x, training=False):   # a plain function: left alone
        pass


def test_sequential_with_dropout_drops_in_training_only():
    model = nn.Sequential(nn.Linear(2, 50, rng=0), nn.relu, nn.Dropout(0.5, rng=1),
                          nn.Linear(50, 1, rng=2))
    reference = nn.Sequential(nn.Linear(2, 50, rng=0), nn.relu, nn.Linear(50, 1, rng=2))
    x = np.ones((3, 2))
    assert not np.allclose(model(x).value, reference(x).value)
    model.eval()
    np.testing.assert_array_equal(model(x).value, reference(x).value)


# --- MLP(dropout=) ------------------------------------------------------------------------------

def test_mlp_dropout_follows_each_hidden_layer():
    model = nn.MLP([2, 5, 4, 3], hidden="tanh", dropout=0.5, rng=0)
    x = np.random.default_rng(1).standard_normal((6, 2))
    # transcribed by hand: the same weights, the masks drawn from the generator the MLP
    # continues after drawing its weights
    W1, b1, W2, b2, W3, b3 = (p.value for p in model.parameters())
    rng = np.random.default_rng(0)
    nn.MLP([2, 5, 4, 3], hidden="tanh", rng=rng)          # draws the same weights
    h = np.tanh(x @ W1 + b1) * (rng.random((6, 5)) < 0.5) * 2.0
    h = np.tanh(h @ W2 + b2) * (rng.random((6, 4)) < 0.5) * 2.0
    np.testing.assert_allclose(model.logits(x).value, h @ W3 + b3, rtol=1e-14)
    model.eval()
    h = np.tanh(np.tanh(x @ W1 + b1) @ W2 + b2)
    np.testing.assert_allclose(model.logits(x).value, h @ W3 + b3, rtol=1e-14)


def test_mlp_weights_do_not_depend_on_dropout():
    a, b = nn.MLP([2, 5, 3], rng=0), nn.MLP([2, 5, 3], rng=0, dropout=0.3)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.value, q.value)
    assert "dropout" not in a.architecture() and b.architecture()["dropout"] == 0.3
    assert "dropout 0.3" in repr(b)


def test_legacy_rng_gives_the_tutorials_weights_and_a_generator_for_masks():
    a = nn.MLP([2, 3, 3], init="normal", rng=nn.legacy(1234))
    b = nn.MLP([2, 3, 3], init="normal", rng=nn.legacy(1234), dropout=0.5)
    np.testing.assert_array_equal(a.parameters()[0].value, b.parameters()[0].value)
    assert isinstance(b.dropout.rng, np.random.Generator)


def test_save_and_load_keep_p_not_the_generator(tmp_path):
    model = nn.MLP([2, 4, 3], output="softmax", dropout=0.4, rng=0)
    nn.save(model, tmp_path / "m.npz")
    loaded = nn.load(tmp_path / "m.npz")
    assert loaded.dropout.p == 0.4 and loaded.training
    assert loaded.architecture() == model.architecture()
    x = np.ones((2, 2))
    np.testing.assert_array_equal(loaded.eval()(x).value, model.eval()(x).value)
    # state dicts hold parameters only; a network without dropout takes the same weights
    plain = nn.MLP([2, 4, 3], output="softmax", rng=1)
    nn.load(plain, tmp_path / "m.npz")
    np.testing.assert_array_equal(plain(x).value, model(x).value)
    plain.load_state_dict(model.state_dict())
    assert list(model.state_dict()) == ["W1", "b1", "W2", "b2"]


@pytest.mark.parametrize("bad", [1.0, -0.5, float("nan"), "0.5", None, True, [0.5]])
def test_an_architecture_with_a_bad_dropout_is_refused_as_a_bad_file(bad, tmp_path):
    architecture = nn.MLP([2, 3, 1], rng=0, dropout=0.5).architecture()
    architecture["dropout"] = bad
    with pytest.raises(ValueError, match="dropout"):
        nn.layers.parameter_layout(architecture)
    # the same in a file: ParameterFileError (a ValueError), the file's fault
    import json
    import zipfile
    path = tmp_path / "m.npz"
    nn.save(nn.MLP([2, 3, 1], rng=0, dropout=0.5), path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    stored = json.loads(members["architecture.json"])
    stored["model"]["dropout"] = bad
    members["architecture.json"] = json.dumps(stored).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(nn.ParameterFileError, match="dropout"):
        nn.load(path)


# --- fit, predictions, reports --------------------------------------------------------------------

def _make(dtype=None):
    model = nn.MLP([2, 16, 3], output="softmax", dropout=0.3, rng=0, dtype=dtype)
    return model, nn.Adam(model, lr=0.02)


@pytest.mark.parametrize("compile", [True, "numba"])
def test_compiled_fit_with_dropout_equals_eager_fit(compile):
    if compile == "numba":
        pytest.importorskip("numba")
    from autograph.data import three_clusters
    X, classes = three_clusters()
    runs = []
    for mode in (False, compile):
        model, optimizer = _make()
        history = nn.fit(model, X, classes, optimizer=optimizer, epochs=4, batch_size=64,
                         progress=False, compile=mode)
        runs.append((history, model))
    (h_e, m_e), (h_c, m_c) = runs
    rtol = 1e-12 if compile is True else 1e-9         # numba: exp and log to the last bit
    np.testing.assert_allclose(h_c.loss, h_e.loss, rtol=rtol)
    for p, q in zip(m_e.parameters(), m_c.parameters()):
        np.testing.assert_allclose(q.value, p.value, rtol=rtol, atol=1e-15)
    assert m_c.dropout.rng.bit_generator.state == m_e.dropout.rng.bit_generator.state


def test_fit_trains_in_training_mode_and_leaves_the_modes_as_found():
    X, y = np.random.default_rng(0).standard_normal((20, 2)), np.arange(20) % 3
    for start in ("train", "eval"):
        model, optimizer = _make()
        getattr(model, start)()
        state = model.dropout.rng.bit_generator.state
        nn.fit(model, X, y, optimizer=optimizer, epochs=1, progress=False)
        assert model.dropout.rng.bit_generator.state != state        # masks were drawn
        assert model.dropout.training == (start == "train")


def test_decision_regions_and_unit_reports_use_evaluation_mode():
    model = nn.MLP([2, 8, 8, 3], output="softmax", dropout=0.9, rng=0)
    X = np.random.default_rng(1).standard_normal((50, 2))
    first, second = _predicted(model, X), _predicted(model, X)
    np.testing.assert_array_equal(first, second)
    with nn.mode(model, training=False):
        np.testing.assert_array_equal(first, model(X).value.argmax(axis=1))
        expected = unit_report(nn.MLP([2, 8, 8, 3], output="softmax", rng=0), X)
    assert model.training and model.dropout.training             # restored
    assert unit_report(model, X) == expected


def test_onnx_exports_a_model_with_dropout_as_it_predicts():
    pytest.importorskip("onnx")
    model = nn.MLP([2, 4, 1], dropout=0.5, rng=0)
    exported = ag.onnx.to_model(model, np.ones((3, 2)))
    assert [n.op_type for n in exported.graph.node] == ["MatMul", "Add", "Relu", "MatMul",
                                                         "Add", "Identity"]   # no mask
    assert model.training and model.dropout.training
