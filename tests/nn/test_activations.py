"""The tutorial's units (section 1.4) against finite differences, at ordinary and at extreme
inputs. Reference values are computed here with plain numpy, independently of autograph."""

import functools

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from tests.helpers import assert_gradients_close

rng = np.random.default_rng(0)


def away_from_kink(x):
    return np.where(np.abs(x) < 0.1, 0.5, x)


@pytest.mark.parametrize("unit", [
    nn.sigmoid, nn.tanh, nn.relu, functools.partial(nn.leaky_relu, alpha=0.2), nn.softplus,
    nn.softmax, nn.linear,
], ids=["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax", "linear"])
@pytest.mark.parametrize("shape", [(5,), (4, 3)], ids=str)
def test_elementwise_units_match_finite_differences(unit, shape):
    assert_gradients_close(lambda x: unit(x) * 1.0, away_from_kink(rng.standard_normal(shape)))


def test_maxout_matches_finite_differences():
    x, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal((3, 4))
    assert_gradients_close(nn.maxout, x, W, b)


def test_maxout_is_the_largest_piece():
    x, W, b = rng.standard_normal((6, 2)), rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 4))
    expected = np.max([x @ W[j] + b[j] for j in range(3)], axis=0)
    np.testing.assert_allclose(nn.maxout(ag.constant(x), W, b).value, expected)


def test_relu_is_maxout_with_a_zero_piece():
    x, W, b = rng.standard_normal((6, 2)), rng.standard_normal((2, 3)), rng.standard_normal(3)
    pieces, biases = np.stack([W, np.zeros_like(W)]), np.stack([b, np.zeros_like(b)])
    np.testing.assert_allclose(nn.maxout(x, pieces, biases), np.maximum(x @ W + b, 0.0))


@pytest.mark.parametrize("sigma", [1.0, 0.7, np.array([0.5, 1.0, 2.0])], ids=["1", "0.7", "per-unit"])
def test_radial_basis_is_the_tutorial_formula(sigma):
    x, W = rng.standard_normal((5, 2)), rng.standard_normal((2, 3))
    distance = ((x[:, :, None] - W[None, :, :]) ** 2).sum(axis=1)       # ||W[:, i] - x||^2
    np.testing.assert_allclose(nn.radial_basis(x, W, sigma), np.exp(-distance / sigma ** 2))


def test_radial_basis_matches_finite_differences_in_inputs_centres_and_width():
    x, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    assert_gradients_close(nn.radial_basis, x, W, np.array([0.8, 1.3]))


def test_radial_basis_at_a_centre_is_one_with_zero_gradient():
    W = ag.parameter([[1.0, 5.0], [2.0, -3.0]])
    x = ag.parameter([[1.0, 2.0]])                      # exactly the first centre
    h = nn.radial_basis(x, W)
    h[0, 0].backward()
    assert h.value[0, 0] == 1.0
    np.testing.assert_allclose(x.grad, 0.0, atol=1e-12)


@pytest.mark.parametrize("unit", [
    nn.sigmoid, nn.tanh, nn.relu, nn.leaky_relu, nn.softplus, nn.softmax, nn.log_softmax,
], ids=["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax", "log_softmax"])
def test_units_are_finite_at_plus_minus_1000(unit):
    x = ag.parameter([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    y = unit(x)
    (y * np.arange(6.0).reshape(2, 3)).sum().backward()
    assert np.isfinite(y.value).all() and np.isfinite(x.grad).all()


def test_maxout_and_radial_basis_are_finite_far_away():
    x = ag.parameter([[1000.0, -1000.0]])
    W = ag.parameter([[0.0, 1000.0], [0.0, -1000.0]])
    h = nn.radial_basis(x, W)
    h.sum().backward()
    np.testing.assert_allclose(h.value, [[0.0, 1.0]])
    assert np.isfinite(x.grad).all() and np.isfinite(W.grad).all()
    m = nn.maxout(x, ag.parameter(np.ones((2, 2, 3))), ag.parameter(np.zeros((2, 3))))
    m.sum().backward()
    assert np.isfinite(m.value).all()


def test_activations_by_name():
    assert nn.activations.get_activation("relu") is nn.relu
    assert nn.activations.get_activation(None) is nn.linear
    with pytest.raises(ValueError, match="unknown activation 'rleu'.*relu"):
        nn.activations.get_activation("rleu")
