"""Regressions found in review: each test failed before its fix."""

import functools

import numpy as np
import pytest

import autograph as ag
from autograph import nn


def test_maxout_of_one_example_is_the_row_of_the_batch():
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal(2), rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 4))
    one = nn.maxout(x, W, b)
    assert one.shape == (4,)
    np.testing.assert_allclose(one, nn.maxout(x[None, :], W, b)[0])
    np.testing.assert_allclose(one, np.max(np.einsum("i,kij->kj", x, W) + b, axis=0))


def test_targets_of_the_transposed_shape_are_refused_not_reshaped():
    with pytest.raises(ag.ShapeError, match=r"targets \(3, 2\) do not match the output \(2, 3\)"):
        nn.mean_squared_error(ag.parameter(np.ones((2, 3))), np.zeros((3, 2)))
    # (n,) against (n, 1) is the same data
    assert nn.mean_squared_error(ag.parameter(np.ones((3, 1))), np.zeros(3)).item() == 1.0


def test_fit_records_a_summed_loss_as_the_sum_over_the_epoch():
    X = np.random.default_rng(0).standard_normal((10, 2))
    y = np.arange(10) % 3
    model = ag.MLP([2, 3, 3], rng=0)
    summed = functools.partial(nn.cross_entropy, reduction="sum")
    with ag.no_grad():
        before = nn.cross_entropy(model.logits(X), y, reduction="sum").item()
    history = ag.fit(model, X, y, loss=summed, epochs=1, batch_size=5,
                     optimizer=ag.GradientDescent(model, lr=1e-12))   # a step too small to tell
    assert history.loss[0] == pytest.approx(before, rel=1e-9)


def test_load_refuses_values_too_large_for_the_parameters(tmp_path):
    model = ag.MLP([2, 3], rng=0, dtype=np.float32)
    before = [p.value.copy() for p in model.parameters()]
    path = tmp_path / "huge.npz"
    np.savez(path, **{name: np.full(p.shape, 1e300) for name, p in model.named_parameters()})
    with pytest.raises(nn.ParameterFileError, match="too large for float32"):
        nn.load(model, path)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.value, b)
