"""fit(compile=...) as a user meets it: the same training as eager mode for the tutorial's
network, ReLU MLPs, mini-batches with a smaller last batch (a second program), float32 models,
custom metrics, the numba backend; and clear refusals where a step cannot be traced."""

import sys
from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograph as ag
import autograph.compiler
from autograph import nn
from autograph.data import three_clusters

data, classes = three_clusters()


def _fit_both(make, X, y, **options):
    """(history, parameter values) of an eager run and of a compiled run, same seeds."""
    runs = []
    for compile in (False, options.pop("compile", True)):
        model, optimizer = make()
        history = nn.fit(model, X, y, optimizer=optimizer, progress=False, compile=compile,
                         **options)
        runs.append((history, [p.value.copy() for p in model.parameters()]))
    return runs


def _assert_same_training(eager, compiled, rtol=1e-12):
    (h_e, p_e), (h_c, p_c) = eager, compiled
    np.testing.assert_allclose(h_c.loss, h_e.loss, rtol=rtol)
    assert h_c.classification_rate == h_e.classification_rate
    for e, c in zip(p_e, p_c):
        assert c.dtype == e.dtype
        np.testing.assert_allclose(c, e, rtol=rtol, atol=0)


def relu_mlp(dtype=None):
    model = nn.MLP([2, 8, 3], hidden="relu", rng=0, dtype=dtype)
    return model, nn.Adam(model, lr=0.02)


def test_a_smaller_last_batch_makes_a_second_program_and_the_same_training():
    eager, compiled = _fit_both(relu_mlp, data, classes, epochs=4, batch_size=64)  # 4x64 + 44
    _assert_same_training(eager, compiled)
    assert (eager[0].programs, eager[0].trace_seconds) == (0, 0.0)
    assert compiled[0].programs == 2 and compiled[0].trace_seconds > 0
    _, full = _fit_both(relu_mlp, data, classes, epochs=3)
    assert full[0].programs == 1


def test_a_last_batch_of_one_example():
    eager, compiled = _fit_both(relu_mlp, data, classes, epochs=2, batch_size=299)
    _assert_same_training(eager, compiled)
    assert compiled[0].programs == 2


def test_the_metric_sees_the_targets_as_given():
    # cross_entropy's class indices go into the compiled step as one-hot rows; a metric of
    # the user's own once received those rows instead of the indices it was written for
    seen = []

    def accuracy(output, targets):
        seen.append(np.shape(targets))
        return float(np.mean(np.argmax(ag.ops.value_of(output), axis=1) == targets))
    eager, compiled = _fit_both(relu_mlp, data, classes, epochs=2, batch_size=100,
                                metric=accuracy)
    _assert_same_training(eager, compiled)
    assert seen == [(100,)] * 12


@pytest.mark.parametrize("loss, y", [
    (nn.binary_cross_entropy, (classes == 1).astype(float)),
    (partial(nn.binary_cross_entropy, reduction="sum"), (classes == 1).astype(int)),
    (nn.mean_squared_error, (classes == 1).astype(float)[:, None]),
])
def test_a_float32_model_with_float64_targets_trains_as_in_eager_mode(loss, y):
    # eager losses cast array targets to the output's float32; the compiled step once took
    # them as float64 Nodes, and trained the float32 model with float64 losses and gradients
    def make():
        model = nn.MLP([2, 4, 1], hidden="tanh", output="linear", rng=0, dtype=np.float32)
        return model, nn.Adam(model, lr=0.05)
    eager, compiled = _fit_both(make, data.astype(np.float32), y, loss=loss, epochs=3,
                                batch_size=64, metric=None)
    for e, c in zip(eager[1], compiled[1]):
        assert c.dtype == np.float32
        np.testing.assert_array_equal(c, e)
    np.testing.assert_array_equal(compiled[0].loss, eager[0].loss)


def test_compile_numba_chooses_the_numba_backend(monkeypatch):
    # compile="numba" once trained with the numpy replay, quietly: any truthy value did
    asked = []
    real = autograph.compiler.compile

    def spy(fn=None, backend=None, **options):
        asked.append(backend)
        return real(fn, **options)                      # numpy: numba need not be installed
    monkeypatch.setattr(autograph.compiler, "compile", spy)
    model, optimizer = relu_mlp()
    nn.fit(model, data, classes, optimizer=optimizer, epochs=1, compile="numba")
    nn.fit(model, data, classes, optimizer=optimizer, epochs=1, compile=True)
    assert asked == ["numba", None]


def test_compile_numba_trains_as_eager():
    pytest.importorskip("numba")
    eager, compiled = _fit_both(relu_mlp, data, classes, epochs=2, batch_size=128,
                                compile="numba")
    # numba's exp and log may round the last bit differently (see autograph.compile)
    _assert_same_training(eager, compiled, rtol=1e-10)


@pytest.mark.parametrize("compile", ["jax", "numpy", 2])
def test_an_unknown_compile_value_is_refused(compile):
    model, optimizer = relu_mlp()
    with pytest.raises(ValueError, match="compile must be False, True .* or 'numba'"):
        nn.fit(model, data, classes, optimizer=optimizer, epochs=1, compile=compile)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_a_loss_that_cannot_be_traced_says_what_to_do():
    # a lambda around cross_entropy is not recognised: its class indices go in as a Node
    model, optimizer = relu_mlp()
    with pytest.raises(ag.ShapeError) as caught:
        nn.fit(model, data, classes, optimizer=optimizer, epochs=1, batch_size=64,
               loss=lambda output, t: nn.cross_entropy(output, t, reduction="sum"),
               compile=True)
    note = " ".join(caught.value.__notes__)
    assert "fit(compile=...): tracing the step (the model, " in note
    assert "targets (64,) int64" in note and "one-hot targets" in note


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_a_model_that_reads_a_value_is_refused_naming_its_line():
    class Peeking(nn.Module):
        def __init__(self):
            self.linear = nn.Linear(2, 3, rng=0)

        def __call__(self, x):
            z = self.linear(x)
            return z * 0.5 if z.max().item() > 100 else z      # frozen at the first call
    model = Peeking()
    with pytest.raises(ag.TraceError, match=r"test_fit_compiled.py:\d+: +return z \* 0.5 if") \
            as caught:
        nn.fit(model, data, classes, optimizer=nn.Adam(model, lr=0.01), epochs=1,
               compile=True)
    note = " ".join(caught.value.__notes__)
    assert "fit(compile=False) runs it eagerly" in note and "targets" not in note


def test_the_tutorial_network_full_batch_summed_cross_entropy():
    def make():
        model = nn.MLP([2, 3, 3], hidden="sigmoid", output="softmax", init="normal",
                       rng=nn.legacy(1))
        return model, nn.GradientDescent(model, lr=1e-3)
    eager, compiled = _fit_both(make, data, classes, epochs=200,
                                loss=partial(nn.cross_entropy, reduction="sum"))
    _assert_same_training(eager, compiled)
    assert -eager[0].loss[0] == pytest.approx(-320.5080195131097)   # the tutorial's first cost


LOSSES = {
    "cross_entropy, indices": (partial(nn.cross_entropy), 3, lambda c: c),
    "cross_entropy, one-hot, summed": (partial(nn.cross_entropy, reduction="sum"), 3,
                                       lambda c: nn.one_hot_targets(c, 3)),
    "binary_cross_entropy": (nn.binary_cross_entropy, 1, lambda c: (c == 2).astype(float)),
    "mean_squared_error": (nn.mean_squared_error, 1, lambda c: 0.5 * c - 0.5),
}
OPTIMIZERS = [partial(nn.GradientDescent, lr=0.02), partial(nn.Momentum, lr=0.01),
              partial(nn.Adam, lr=0.01)]          # small enough that two epochs never diverge


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 40), batch=st.one_of(st.none(), st.integers(1, 45)),
       loss=st.sampled_from(sorted(LOSSES)), hidden=st.sampled_from(["relu", "sigmoid", "tanh"]),
       dtype=st.sampled_from([np.float64, np.float32]), optimizer=st.sampled_from(OPTIMIZERS),
       seed=st.integers(0, 2**16))
def test_compiled_fit_trains_as_eager(n, batch, loss, hidden, dtype, optimizer, seed):
    loss, width, targets = LOSSES[loss]
    rng = np.random.default_rng(seed)
    X = (0.5 * rng.standard_normal((n, 2))).astype(dtype)
    y = targets(rng.integers(0, 3, n))

    def make():
        model = nn.MLP([2, 5, width], hidden=hidden, rng=seed + 1, dtype=dtype)
        return model, optimizer(model)
    eager, compiled = _fit_both(make, X, y, loss=loss, epochs=2, batch_size=batch, seed=seed)
    _assert_same_training(eager, compiled)
    size = n if batch is None else min(batch, n)
    assert compiled[0].programs == (1 if n % size == 0 else 2)


# A fourth class masked to -inf (probability 0, never a target) on logits scaled to about
# +-1000: the eager loss masks 0 * log p where the target is 0; the compiled step gets its
# one-hot targets as a Node, and its loss once skipped that mask: 0 * -inf made the loss and
# every gradient nan where eager's are finite.
MASK = np.array([0.0, 0.0, 0.0, -np.inf])


def masked_extreme_logits():
    model = nn.Sequential(nn.Linear(2, 4, rng=0), lambda z: 1000.0 * z + MASK)
    return model, nn.Adam(model, lr=0.01)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("compile", [True, "numba"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_logits_of_minus_inf_and_1000_train_as_in_eager_mode(compile, reduction):
    if compile == "numba":
        pytest.importorskip("numba")
    X = np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25], [2.0, 2.0], [-3.0, -1.0]])
    y = np.array([0, 1, 2, 1, 0])
    with np.errstate(all="raise", under="ignore"):      # exp(-2000) is the 0 it rounds to
        eager, compiled = _fit_both(masked_extreme_logits, X, y, epochs=3, batch_size=2,
                                    compile=compile,
                                    loss=partial(nn.cross_entropy, reduction=reduction))
    losses = np.array(eager[0].loss)
    assert np.isfinite(losses).all() and losses.max() > 100      # logits ~1000 apart
    assert all(np.isfinite(p).all() for p in eager[1])
    _assert_same_training(eager, compiled, rtol=1e-12 if compile is True else 1e-10)
