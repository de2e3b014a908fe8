"""Initialisation: the tutorial's arrays from its seeds, Glorot and He, seeds that fix results.

The expected numbers are copied from the tutorial's printed output (section 1.5)."""

import numpy as np
import pytest

from autograph import nn
from autograph.data import three_clusters

data, classes = three_clusters(seed=1234)


def tutorial_network(hidden):
    # np.random.seed(1234); W1, W2, W3, b1, b2, b3 = randn(...) in that order
    return nn.MLP([2, 3, 3, 3], hidden=hidden, output="softmax", init="normal",
                  rng=nn.legacy(1234))


def test_three_layer_sigmoid_network_reproduces_the_tutorial():
    printed = [[0.14564756, 0.118766, 0.73558643],
               [0.13115102, 0.13289294, 0.73595605],
               [0.15343812, 0.1130349, 0.73352698],
               [0.14177793, 0.12236817, 0.7358539],
               [0.1470072, 0.1174373, 0.7355555]]
    np.testing.assert_allclose(tutorial_network("sigmoid")(data).value[:5], printed, atol=1e-8)


def test_three_layer_relu_network_reproduces_the_tutorial():
    printed = [[7.13324047e-02, 1.48524336e-03, 9.27182352e-01],
               [2.23670047e-02, 5.09100401e-02, 9.26722955e-01],
               [1.96202089e-01, 5.32725276e-04, 8.03265186e-01],
               [4.48304629e-02, 7.88769059e-03, 9.47281846e-01],
               [1.23605886e-01, 1.30132544e-04, 8.76263982e-01]]
    np.testing.assert_allclose(tutorial_network("relu")(data).value[:5], printed, rtol=1e-8)
    assert (nn.predict(tutorial_network("relu")(data))[:5] == 2).all()


def test_two_layer_softmax_network_reproduces_the_tutorial():
    printed = [[0.20216983, 0.13695254, 0.66087763],
               [0.25471053, 0.11371593, 0.63157355],
               [0.16181301, 0.16726807, 0.67091892],
               [0.21431385, 0.13150355, 0.6541826],
               [0.20059063, 0.13664066, 0.66276871]]
    model = nn.MLP([2, 3, 3], hidden="sigmoid", output="softmax", init="normal",
                   rng=nn.legacy(1234))
    np.testing.assert_allclose(model(data).value[:5], printed, atol=1e-8)


def test_legacy_leaves_numpys_global_generator_alone():
    np.random.seed(7)
    expected = np.random.rand(3)
    np.random.seed(7)
    nn.MLP([2, 3, 3], init="normal", rng=nn.legacy(1234))
    np.testing.assert_array_equal(np.random.rand(3), expected)


def test_uniform_and_normal_are_numpys_draws():
    np.testing.assert_array_equal(nn.init.uniform((2, 3), nn.legacy(0)),
                                  np.random.RandomState(0).random_sample(6).reshape(2, 3))
    np.testing.assert_array_equal(nn.init.normal((4,), nn.init.generator(0)),
                                  np.random.default_rng(0).standard_normal(4))
    u = nn.init.uniform((1000,), nn.init.generator(1))
    assert u.min() >= 0 and u.max() < 1


def test_glorot_and_he_scales():
    W = nn.init.glorot_uniform((300, 200), nn.init.generator(0))
    limit = np.sqrt(6 / 500)
    assert -limit <= W.min() and W.max() <= limit
    np.testing.assert_allclose(W.std(), limit / np.sqrt(3), rtol=0.02)     # uniform's spread
    H = nn.init.he_normal((300, 200), nn.init.generator(0))
    np.testing.assert_allclose(H.std(), np.sqrt(2 / 300), rtol=0.02)
    # maxout weights (pieces, fan_in, fan_out) take their fans from the last two axes
    assert nn.init.he_normal((2, 300, 200), nn.init.generator(0)).std() == pytest.approx(
        np.sqrt(2 / 300), rel=0.02)


def test_generator_passes_generators_through_and_seeds_ints():
    g = np.random.default_rng(3)
    assert nn.init.generator(g) is g
    r = nn.legacy(3)
    assert nn.init.generator(r) is r
    assert nn.init.generator(5).random() == np.random.default_rng(5).random()


def test_schemes_by_name_function_or_error():
    assert nn.init.get_scheme("he").bias is nn.init.zeros
    custom = nn.init.get_scheme(lambda shape, rng: np.full(shape, 0.5))
    assert nn.Linear(2, 2, init=custom).weight.value.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        nn.init.get_scheme("xavier")
