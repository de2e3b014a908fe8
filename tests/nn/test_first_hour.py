"""What a new user tries from the README: its examples copied as written, and then a compiled
training step of their own, written the way fit's eager step is (class indices as targets),
with dropout."""

import re
from pathlib import Path

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from autograph.data import one_hot, three_clusters
from tests.core.test_tutorial_network import PRINTED_DERIVATIVE_V, PRINTED_DERIVATIVE_W

README = Path(__file__).resolve().parents[2] / "README.md"
data, classes = three_clusters()


def _make():
    model = ag.MLP([2, 8, 3], hidden="relu", dropout=0.25, rng=3)
    return model, ag.Adam(model, lr=0.01)


def _step(model, optimizer):
    def step(X, targets):
        loss = nn.cross_entropy(model(X), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


def test_class_indices_given_to_a_compiled_step_are_refused_saying_what_to_pass():
    # before: a TraceError about bool() that advised np.where, from inside the loss
    model, optimizer = _make()
    step = ag.compile(_step(model, optimizer))
    before = [p.value.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"cross_entropy inside ag\.compile.*class indices.*"
                                         r"one-hot rows \(300, 3\).*one_hot\(classes, 3\)"):
        step(data, classes)
    for p, value in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.value, value)


def test_class_indices_the_step_closes_over_are_constants_and_work():
    # an array the function reads from its closure is a constant of the program: its
    # indices are checked while tracing, so they are accepted
    model, optimizer = _make()

    @ag.compile
    def step(X):
        loss = nn.cross_entropy(model(X), classes)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    eager_model, eager_optimizer = _make()
    eager = _step(eager_model, eager_optimizer)
    for _ in range(5):
        compiled_loss = step(data)
        eager_loss = eager(data, classes).value
        np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-12)


def test_one_hot_rows_train_a_compiled_dropout_step_as_eager_with_indices_does():
    model, optimizer = _make()
    step = ag.compile(_step(model, optimizer))
    eager_model, eager_optimizer = _make()
    eager = _step(eager_model, eager_optimizer)
    T = one_hot(classes, 3)
    for _ in range(20):
        np.testing.assert_allclose(step(data, T), eager(data, classes).value, rtol=1e-10)
    for p, q in zip(model.parameters(), eager_model.parameters()):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-10, atol=1e-13)
    model.eval()
    eager_model.eval()
    np.testing.assert_allclose(model(data).value, eager_model(data).value, rtol=1e-10)


def _readme_block(after: str) -> str:
    section = README.read_text().split(after, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_numpy_code_example_runs_as_written_and_gives_the_printed_gradients():
    # before: it used data, W0, V0, b1, b2 and T without defining them
    namespace = {}
    exec(compile(_readme_block("## Your numpy code, differentiated"), "README.md", "exec"),
         namespace)
    np.testing.assert_allclose(namespace["V"].grad, PRINTED_DERIVATIVE_V, rtol=1e-7)
    np.testing.assert_allclose(namespace["W"].grad, PRINTED_DERIVATIVE_W, rtol=1e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target_type", [np.int64, np.int32, np.uint8, bool])
def test_integer_targets_of_a_compiled_binary_step_train_as_eager(dtype, target_type):
    # before: 0/1 integer targets were cast with an overflow check that read their values,
    # a TraceError inside ag.compile; an integer cannot overflow float32 or float64
    y = (classes == 1).astype(target_type)[:, None]

    def make():
        model = ag.MLP([2, 4, 1], hidden="relu", output="sigmoid", rng=0, dtype=dtype)
        optimizer = ag.Adam(model, lr=0.01)

        def step(X, targets):
            loss = nn.binary_cross_entropy(model(X), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return model, step
    model, step = make()
    eager_model, eager = make()
    step = ag.compile(step)
    Xd = data.astype(dtype)
    for _ in range(5):
        compiled_loss = step(Xd, y)
        eager_loss = eager(Xd, y)
        assert compiled_loss.dtype == eager_loss.dtype == dtype
        np.testing.assert_allclose(compiled_loss, eager_loss.value,
                                   rtol=1e-5 if dtype == np.float32 else 1e-12)
    # the value the loss gives, transcribed: mean(softplus(z) - t z) with numpy
    z = eager_model.logits(Xd).value.astype(np.float64)
    t = y.astype(np.float64)
    expected = np.mean(np.logaddexp(0, z) - t * z)
    np.testing.assert_allclose(nn.binary_cross_entropy(eager_model(Xd), y).item(), expected,
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 1, 2, 2]), r"cross_entropy: class indices must lie in \[0, 2\) for an output "
                             r"of 2 classes \(its last axis\), got 0 \.\. 2: 3 classes need 3 "
                             r"outputs"),
    (np.array([0, -1, 1, 1]), r"cross_entropy: class indices must lie in \[0, 2\) .*got -1 \.\. "
                              r"1$"),
])
def test_class_indices_outside_the_output_are_refused_naming_the_loss(labels, message):
    # before: "class indices must lie in [0, 2), got 0 .. 2", naming neither the loss nor
    # what to change; fit with a model of 2 outputs on 3 classes ends here
    with pytest.raises(ValueError, match=message):
        nn.cross_entropy(np.zeros((4, 2)), labels)
    if labels.min() >= 0:
        with pytest.raises(ValueError, match=message):
            ag.fit(ag.MLP([2, 3, 2], rng=0), data[:4], labels, epochs=1, progress=False)


def test_layers_print_what_they_are():
    # before: <autograph.nn.layers.Sequential object at 0x...>, and so for Maxout, RadialBasis
    model = nn.Sequential(nn.Maxout(2, 4, pieces=3, rng=0, names=("M", "m")), ag.tanh,
                          nn.RadialBasis(4, 5, sigma=0.5, rng=1, name="C"),
                          nn.Dropout(0.25, rng=2), nn.Linear(5, 3, rng=3))
    assert repr(model) == ("Sequential(Maxout(2 -> 4, max of 3: x @ M[j] + m[j]), tanh, "
                           "RadialBasis(4 -> 5: centres C, sigma 0.5), Dropout(p=0.25), "
                           "Linear(5 -> 3: x @ W + b))")


def test_without_numba_the_numba_backend_says_how_to_install_it(monkeypatch):
    # before: "pip install autograph[jit]", which fetches PyPI's autograph, another project
    from autograph.compiler import numba_backend
    monkeypatch.setattr(numba_backend, "available", lambda: False)
    with pytest.raises(ImportError, match=r"pip install numba, or pip install \"\.\[jit\]\"") as e:
        ag.compile(lambda x: x, backend="numba")
    assert "autograph[jit]" not in str(e.value)


def test_a_network_diagram_of_a_model_in_training_mode_with_dropout_says_to_call_eval():
    # before: "parameter W1 (2, 4), b1 (4,) is used outside the layers" and nothing about
    # the dropout mask that splits the layers, nor model.eval()
    model = ag.MLP([2, 4, 3], hidden="relu", dropout=0.5, rng=0)
    with pytest.raises(ag.diagrams.NotANetworkError,
                       match=r"multiply \(300, 4\) by a mask of 0s and 2s looks like dropout in "
                             r"training mode: draw the model after model\.eval\(\)"):
        ag.network_diagram(nn.cross_entropy(model(data), classes))
    model.eval()
    assert "2-4-3 network" in ag.network_diagram(model(data)).source


def test_no_dropout_hint_for_a_product_that_is_not_a_mask():
    W1 = ag.parameter(np.ones((2, 4)), name="W1")
    W2 = ag.parameter(np.ones((4, 3)), name="W2")
    scale = np.linspace(0.5, 2.0, 4 * 5).reshape(5, 4)          # no zeros: not a mask
    with pytest.raises(ag.diagrams.NotANetworkError) as error:
        ag.network_diagram(ag.relu(ag.relu(np.ones((5, 2)) @ W1) * scale @ W2))
    assert "is used outside the layers" in str(error.value)
    assert "dropout" not in str(error.value)


def test_a_replaced_value_in_a_compiled_step_is_refused_with_advice_that_works():
    # before: the refusal advised `p.value -= ...`, which a recorded parameter refuses
    # (read-only), and named autograph.writable, which did not exist at top level
    assert ag.writable is ag.core.writable
    model = ag.MLP([2, 3, 3], hidden="sigmoid", rng=0)
    T = one_hot(classes, 3)

    def step(X, T, update):
        loss = nn.cross_entropy(model(X), T)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            update(p)
        return loss

    def replace(p):
        p.value = p.value - 0.1 * p.grad

    def as_advised(p):
        v = ag.writable(p)
        v -= 0.1 * p.grad

    with pytest.raises(ag.TraceError, match=r"W1: its \.value was replaced; update it in place "
                                            r"through autograph\.writable \(v = autograph\."
                                            r"writable\(p\); v -= lr \* p\.grad\)"):
        ag.compile(lambda X, T: step(X, T, replace))(data, T)
    compiled = ag.compile(lambda X, T: step(X, T, as_advised))
    before = [p.value.copy() for p in model.parameters()]
    compiled(data, T)
    for p, value in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.value, value - 0.1 * p.grad)


def test_np_random_in_a_compiled_step_is_refused_pointing_to_autograph_random():
    # before: the refusal listed "a dropout mask" among what is frozen (nn.Dropout is drawn
    # anew) and did not name autograph.random, the way that works
    model = ag.MLP([2, 3, 3], hidden="sigmoid", rng=0)
    noise = np.random.default_rng(0)

    @ag.compile
    def noisy(X):
        return model(X + 0.1 * noise.normal(size=X.shape))
    with pytest.raises(ag.TraceError, match=r"random numbers drawn inside the function "
                                            r"\(np\.random, a Generator's own methods\).*"
                                            r"autograph\.random\.uniform / bernoulli") as error:
        noisy(data)
    assert "a dropout mask" not in str(error.value)

    @ag.compile
    def noisy_as_advised(X):
        return model(X + 0.1 * ag.random.uniform(X.shape, noise))
    eager_noise = np.random.default_rng(1)
    noise = np.random.default_rng(1)
    model.eval()
    for _ in range(3):
        expected = model(data + 0.1 * eager_noise.random(data.shape)).value
        np.testing.assert_allclose(noisy_as_advised(data), expected, rtol=1e-12)


@pytest.mark.parametrize("loss, targets", [
    (nn.binary_cross_entropy, (classes == 1).astype(np.float64)[:, None]),
    (nn.mean_squared_error, (classes == 1).astype(np.float64)[:, None]),
    (nn.cross_entropy, one_hot(classes, 3)),
])
def test_float64_targets_of_a_compiled_float32_step_are_refused_saying_what_to_pass(loss,
                                                                                     targets):
    # before: a TraceError about bool() advising np.where, from the overflow check
    model = ag.MLP([2, 4, targets.shape[1]], hidden="relu", rng=0, dtype=np.float32)
    step = ag.compile(lambda X, t: loss(model(X), t))
    name, shape = loss.__name__, rf"\(300, {targets.shape[1]}\)"
    with pytest.raises(ValueError, match=rf"{name} inside ag\.compile: targets float64 "
                                         rf"{shape} for a float32 output .*pass them as "
                                         rf"float32 \(targets\.astype\(np\.float32\)\)"):
        step(data.astype(np.float32), targets)
    compiled = step(data.astype(np.float32), targets.astype(np.float32))
    eager = loss(model(data.astype(np.float32)), targets).value
    assert compiled.dtype == eager.dtype == np.float32
    np.testing.assert_allclose(compiled, eager, rtol=1e-6)
