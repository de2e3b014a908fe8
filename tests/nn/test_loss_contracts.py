"""The losses' contracts (issue 10, items 4-6): targets checked against the batch, classes of
probability 0 and gaps beyond the number type handled, the output's float type kept."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from autograph import nn


def numpy_log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# --- item 6: targets that do not fit the batch are refused ---------------------------------

def test_one_class_index_for_two_rows_is_refused():
    with pytest.raises(ag.ShapeError, match=r"cross_entropy: targets \(1,\) do not fit logits "
                                            r"\(2, 3\): pass class indices \(2,\) or one-hot "
                                            r"rows \(2, 3\)"):
        nn.cross_entropy(ag.parameter(np.zeros((2, 3))), [0])


def test_one_hot_rows_of_the_wrong_width_are_refused():
    with pytest.raises(ag.ShapeError, match=r"targets \(4, 4\) do not fit logits \(4, 3\)"):
        nn.cross_entropy(ag.parameter(np.zeros((4, 3))), np.eye(4))


def test_classification_rate_of_one_target_for_four_rows_is_refused():
    with pytest.raises(ag.ShapeError, match=r"classification_rate: targets \(1,\) do not fit "
                                            r"the output \(4, 3\): pass class indices \(4,\) or "
                                            r"one-hot rows \(4, 3\)"):
        nn.classification_rate(np.zeros((4, 3)), [0])


@st.composite
def logits_and_targets(draw):
    n, k = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    m = draw(st.sampled_from([n, n, 1, n + 1, max(n - 1, 1)]))
    form = draw(st.sampled_from(["indices", "column", "rows", "matrix"]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    labels = rng.integers(0, k, m)
    if form == "indices":
        targets = labels
    elif form == "column":
        targets = labels[:, None]
    elif form == "rows":
        targets = np.eye(k)[labels]
    else:                                            # 0/1 entries of some other width
        targets = rng.integers(0, 2, (m, draw(st.integers(2, 6))))
    return rng.standard_normal((n, k)), targets


@settings(max_examples=200, deadline=None)
@given(logits_and_targets())
def test_targets_are_used_if_and_only_if_they_fit_the_batch(case):
    z, targets = case
    n, k = z.shape
    fits = targets.shape in ((n,), (n, 1), (n, k))
    try:
        loss = nn.cross_entropy(z, targets, reduction="sum").item()
    except ag.ShapeError as error:
        assert not fits, str(error)
    else:
        assert fits
        one_hot = targets if targets.shape == (n, k) else np.eye(k)[targets.reshape(n)]
        assert loss == pytest.approx(-(one_hot * numpy_log_softmax(z)).sum(), rel=1e-12)
    try:
        rate = nn.classification_rate(z, targets)
    except ag.ShapeError as error:
        assert not fits, str(error)
    else:
        assert fits
        labels = targets.argmax(-1) if targets.ndim == 2 and targets.shape[1] > 1 else \
            targets.reshape(-1)
        predicted = z.argmax(-1) if k > 1 else (z[:, 0] > 0).astype(int)
        assert rate == np.mean(predicted == labels)


# --- item 5: classes of probability 0, gaps beyond the type, the float type kept -----------

def test_a_logit_of_minus_inf_is_a_class_of_probability_zero():
    z = ag.parameter([[2.0, -np.inf, 0.5]])
    loss = nn.cross_entropy(z, [0])
    loss.backward()
    assert loss.item() == pytest.approx(np.log1p(np.exp(-1.5)))       # 0.2014
    assert round(loss.item(), 4) == 0.2014
    p = np.exp([2.0, 0.5]) / np.exp([2.0, 0.5]).sum()
    np.testing.assert_allclose(z.grad, [[p[0] - 1, 0.0, p[1]]], rtol=1e-12)


def test_minus_inf_logits_with_one_hot_and_soft_targets():
    z = np.array([[2.0, -np.inf, 0.5], [-np.inf, 0.0, 1.0]])
    soft = np.array([[0.5, 0.0, 0.5], [0.0, 0.25, 0.75]])
    log_p = np.array([[2.0, 0.0, 0.5], [0.0, 0.0, 1.0]])
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True) - np.array([[1.0], [1.0]]))
    expected = -(soft * np.where(soft > 0, log_p, 0)).sum()
    assert nn.cross_entropy(z, soft, reduction="sum").item() == pytest.approx(expected)
    # the target class has probability 0: the loss is infinite, truly
    assert nn.cross_entropy(z, [1, 2], reduction="sum").item() == np.inf
    with pytest.raises(ValueError, match="infinite there; pass the targets as an array"):
        nn.cross_entropy(z, ag.parameter(soft))


@pytest.mark.parametrize("dtype,gap", [(np.float16, 40000.0), (np.float32, 2e38)])
def test_logit_gaps_beyond_the_type_give_no_nan(dtype, gap):
    """z - max(z) overflows to -inf here; the shift itself is ops' (issue-10core), so its
    overflow is let pass, but the loss must not turn the -inf into nan (invalid raises)."""
    z = ag.parameter(np.array([[gap, -gap]], dtype=dtype))
    with np.errstate(over="ignore", invalid="raise"):
        right = nn.cross_entropy(z, [0])
        right.backward()
        assert right.item() == 0.0 and right.dtype == dtype
        np.testing.assert_array_equal(z.grad, [[0.0, 0.0]])
        z.grad = None
        wrong = nn.cross_entropy(z, [1])
        wrong.backward()
    assert wrong.item() == np.inf          # 2 * gap is beyond the type: inf is the rounding
    np.testing.assert_array_equal(z.grad, [[1.0, -1.0]])


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype,gap", [(np.float16, 40000.0), (np.float32, 2e38)])
def test_logit_gaps_beyond_the_type_give_no_warning_at_all(dtype, gap):
    z = ag.parameter(np.array([[gap, -gap]], dtype=dtype))
    assert nn.cross_entropy(z, [0]).item() == 0.0


@pytest.mark.parametrize("loss", [nn.binary_cross_entropy, nn.mean_squared_error,
                                  nn.cross_entropy])
def test_float32_logits_with_float64_targets_give_a_float32_loss(loss):
    z = ag.parameter(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    targets = np.eye(3)[[0, 1, 2, 0]]                       # float64
    value = loss(z, targets)
    assert value.dtype == np.float32
    value.backward()
    assert z.grad.dtype == np.float32
    reference = loss(ag.parameter(z.value.astype(np.float64)), targets).item()
    assert value.item() == pytest.approx(reference, rel=1e-6)


def test_targets_too_large_for_a_float32_output_are_refused():
    z = ag.parameter(np.zeros((2, 1), dtype=np.float32))
    with pytest.raises(ValueError, match="too large for the output's float32"):
        nn.mean_squared_error(z, np.array([1e300, 0.0]))


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(2, 5), seed=st.integers(0, 2 ** 16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_any_logits_with_minus_inf_entries_give_the_true_loss_and_gradient(n, k, seed, dtype):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, k)).astype(dtype)
    labels = rng.integers(0, k, n)
    dead = rng.random((n, k)) < 0.4
    dead[np.arange(n), labels] = False                   # the target keeps a probability
    z[dead] = -np.inf
    node = ag.parameter(z)
    loss = nn.cross_entropy(node, labels, reduction="sum")
    loss.backward()
    finite = np.where(dead, -np.inf, z.astype(np.float64))
    p = np.exp(finite - finite.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expected = -np.log(p[np.arange(n), labels]).sum()
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert loss.dtype == dtype and np.isfinite(loss.item())
    assert loss.item() == pytest.approx(expected, rel=rtol, abs=rtol)
    np.testing.assert_allclose(node.grad, p - np.eye(k)[labels], rtol=rtol, atol=rtol)


@settings(max_examples=100, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_a_softmax_output_is_read_only_over_the_class_axis(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(len(shape) * 10 + axis)
    z = rng.standard_normal(shape)
    labels = rng.integers(0, shape[-1], shape[:-1])
    output = ag.softmax(ag.constant(z), axis=axis)
    if axis % len(shape) == len(shape) - 1:
        assert nn.cross_entropy(output, labels).item() == pytest.approx(
            nn.cross_entropy(z, labels).item(), rel=1e-12)
    else:
        with pytest.raises(ValueError, match="not a softmax over the classes"):
            nn.cross_entropy(output, labels)


def test_indices_whose_last_axis_has_the_class_count_are_read_as_indices():
    # logits (2, 3, 3) with indices (2, 3): the indices' last axis is 3 wide, like one-hot
    # rows; the shape says indices, and it used to be read as rows (and fail to broadcast)
    z = np.random.default_rng(0).standard_normal((2, 3, 3))
    labels = np.array([[0, 2, 1], [1, 1, 0]])
    expected = -numpy_log_softmax(z)[np.arange(2)[:, None], np.arange(3), labels].sum()
    assert nn.cross_entropy(z, labels, reduction="sum").item() == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(2, 5), seed=st.integers(0, 2 ** 16),
       scale=st.sampled_from([1.0, 1000.0]), soft=st.booleans(),
       how=st.sampled_from(["eager Node", "compiled Node", "compiled numba Node"]))
@pytest.mark.filterwarnings("error")
def test_targets_as_a_node_without_a_gradient_give_what_array_targets_give(n, k, seed, scale,
                                                                         soft, how):
    # fit(compile=True) passes its one-hot targets as a Node: at a logit of -inf (a class of
    # probability 0 that no row targets) that path once skipped the mask of 0 * log p, and
    # the compiled loss and gradients were nan where those of array targets are finite
    if "numba" in how:
        pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    z = scale * rng.standard_normal((n, k))
    labels = rng.integers(0, k, n)
    dead = rng.random((n, k)) < 0.4
    dead[np.arange(n), labels] = False                   # the target keeps a probability
    z[dead] = -np.inf
    T = np.eye(k)[labels]
    if soft:                                             # soft rows, 0 where the class is dead
        T = np.where(dead, 0.0, rng.random((n, k)) + T)
        T /= T.sum(1, keepdims=True)
    with np.errstate(all="raise", under="ignore"):
        logits = ag.parameter(z)
        expected = nn.cross_entropy(logits, T, reduction="sum")
        expected.backward()
        node = ag.parameter(z)

        def step(targets):
            loss = nn.cross_entropy(node, targets, reduction="sum")
            loss.backward()
            return loss
        if how != "eager Node":
            step = ag.compile(step, backend="numba" if "numba" in how else None)
        loss = step(ag.constant(T))
    assert np.isfinite(expected.item()) and np.isfinite(logits.grad).all()
    np.testing.assert_allclose(ag.ops.value_of(loss), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(node.grad, logits.grad, rtol=1e-12, atol=1e-300)
