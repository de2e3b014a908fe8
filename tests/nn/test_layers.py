"""Modules: parameter bookkeeping, and MLP as exactly the hand-written graph expression."""

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from autograph.core import Node

rng = np.random.default_rng(1)
X = rng.standard_normal((7, 2))


@pytest.mark.parametrize("sizes,count", [([2, 3, 1], 13), ([2, 3, 3], 21), ([2, 3, 3, 3], 33)])
def test_parameter_counts(sizes, count):
    # (2x3)+3+(3x1)+1 = 13; (2x3)+3+(3x3)+3 = 21; (2x3)+3+(3x3)+3+(3x3)+3 = 33
    assert nn.MLP(sizes).num_parameters() == count


def test_parameter_count_without_biases():
    assert nn.MLP([2, 3, 3], bias=False).num_parameters() == 15


def test_default_and_given_names_in_parameter_order():
    assert [n for n, _ in nn.MLP([2, 3, 3, 3]).named_parameters()] == \
        ["W1", "b1", "W2", "b2", "W3", "b3"]
    model = nn.MLP([2, 3, 3], names=["W", "b1", "V", "b2"])
    assert [p.name for p in model.parameters()] == ["W", "b1", "V", "b2"]
    assert [n for n, _ in nn.MLP([2, 3, 3], bias=False).named_parameters()] == ["W1", "W2"]


@pytest.mark.parametrize("names", [["W", "b1", "V"], ["W", "W", "V", "b2"]], ids=["short", "twice"])
def test_bad_names_are_refused(names):
    with pytest.raises(ValueError, match="4 distinct names"):
        nn.MLP([2, 3, 3], names=names)


def test_shapes_follow_the_tutorial():
    W1, b1, W2, b2 = nn.MLP([2, 3, 4]).parameters()
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((2, 3), (3,), (3, 4), (4,))


def structure(node):
    """A graph as nested tuples of operation names and leaf names, for comparison."""
    if not isinstance(node, Node):
        return "array"
    if node.op is None:
        return node.name or "input"
    return (node.op.name,) + tuple(structure(p) for p in node.parents)


def hand_written(X, W1, b1, W2, b2, W3, b3, act1, act2):
    """The tutorial's ff_nn_3_v2 as an autograph expression."""
    return ag.softmax(act2(act1(X @ W1 + b1) @ W2 + b2) @ W3 + b3)


@pytest.mark.parametrize("hidden", [("sigmoid", "sigmoid"), ("relu", "tanh")], ids=str)
def test_mlp_is_the_hand_written_expression(hidden):
    model = nn.MLP([2, 3, 3, 3], hidden=list(hidden), output="softmax", init="normal", rng=5)
    twins = [ag.parameter(p.value, name=p.name) for p in model.parameters()]
    acts = [nn.activations.get_activation(h) for h in hidden]
    by_hand = hand_written(X, *twins, *acts)
    out = model(X)

    assert structure(out) == structure(by_hand)
    assert structure(out)[:2] == ("softmax", ("add", ("matmul", structure(out)[1][1][1], "W3"), "b3"))
    np.testing.assert_array_equal(out.value, by_hand.value)
    weights = np.arange(21.0).reshape(7, 3)
    (out * weights).sum().backward()
    (by_hand * weights).sum().backward()
    for p, twin in zip(model.parameters(), twins):
        np.testing.assert_array_equal(p.grad, twin.grad, err_msg=p.name)


def test_a_model_called_on_a_node_returns_a_node_with_the_input_in_its_graph():
    x = ag.constant(X, name="X")
    out = nn.MLP([2, 3, 1], hidden="sigmoid", output="sigmoid")(x)
    assert isinstance(out, Node) and out.shape == (7, 1)
    assert "X" in str(structure(out))


def test_linear_is_x_at_w_plus_b():
    layer = nn.Linear(2, 4, rng=0)
    np.testing.assert_allclose(layer(X).value, X @ layer.weight.value + layer.bias.value)
    assert nn.Linear(2, 4, bias=False, rng=0).num_parameters() == 8
    assert repr(layer) == "Linear(2 -> 4: x @ W + b)"


def test_linear_from_arrays_checks_shapes():
    layer = nn.Linear.from_arrays(np.ones((2, 3)), np.zeros(3), names=("W", "b1"))
    assert [n for n, _ in layer.named_parameters()] == ["W", "b1"]
    with pytest.raises(ValueError, match=r"bias b .*\(4,\).*expected \(3,\)"):
        nn.Linear.from_arrays(np.ones((2, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="must be \\(fan_in, fan_out\\)"):
        nn.Linear.from_arrays(np.ones(3))


def test_per_layer_activations_and_their_errors():
    model = nn.MLP([2, 4, 4, 3], hidden=["relu", nn.tanh], output="softmax")
    assert repr(model).startswith("MLP(2 -> 4 relu -> 4 tanh -> 3 softmax; 47 parameters")   # 12 + 20 + 15
    with pytest.raises(ValueError, match="1 hidden activations given for 2 hidden layers"):
        nn.MLP([2, 4, 4, 3], hidden=["relu"])
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 3], output="softmaks")
    with pytest.raises(ValueError, match="at least"):
        nn.MLP([2])


def test_default_init_is_he_for_relu_and_glorot_otherwise():
    relu_net = nn.MLP([400, 300, 2], hidden="relu", rng=0)
    np.testing.assert_allclose(relu_net.layers[0].weight.value.std(), np.sqrt(2 / 400), rtol=0.02)
    tanh_net = nn.MLP([400, 300, 2], hidden="tanh", rng=0)
    limit = np.sqrt(6 / 700)
    W = tanh_net.layers[0].weight.value
    assert W.max() <= limit and W.min() >= -limit and W.max() > 0.99 * limit
    assert not relu_net.layers[0].bias.value.any()


def test_same_seed_same_model():
    a, b = nn.MLP([2, 5, 3], rng=3), nn.MLP([2, 5, 3], rng=3)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.value, q.value)
    assert not np.array_equal(a.layers[0].weight.value, nn.MLP([2, 5, 3], rng=4).layers[0].weight.value)


def test_float32_models_stay_float32():
    model = nn.MLP([2, 3, 3], dtype=np.float32)
    assert {p.value.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model(X.astype(np.float32)).value.dtype == np.float32


class TwoLayers(nn.Module):
    def __init__(self):
        self.first = nn.Linear(2, 3, rng=0)
        self.second = nn.Linear(3, 2, rng=1)
        self.scale = ag.constant(2.0)                     # not a parameter

    def forward(self, x):
        return self.second(nn.relu(self.first(x))) * self.scale


def test_custom_modules_find_nested_parameters_and_qualify_shared_names():
    model = TwoLayers()
    assert [n for n, _ in model.named_parameters()] == \
        ["first.weight", "first.bias", "second.weight", "second.bias"]
    assert model.num_parameters() == 9 + 8
    assert model(X).shape == (7, 2)


def test_tied_parameters_are_listed_once():
    layer = nn.Linear(3, 3, rng=0)
    model = nn.Sequential(layer, nn.tanh, layer)
    assert model.parameters() == [layer.weight, layer.bias]


def test_zero_grad_forgets_gradients():
    model = nn.MLP([2, 3, 1])
    model(X).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_maxout_and_radial_basis_layers():
    maxout = nn.Maxout(2, 3, pieces=2, rng=0)
    assert maxout.num_parameters() == 2 * (2 * 3 + 3)
    assert maxout(X).shape == (7, 3)
    rbf = nn.RadialBasis(2, 5, sigma=2.0, rng=0)
    assert rbf.num_parameters() == 10
    h = rbf(X).value
    assert h.shape == (7, 5) and ((0 < h) & (h <= 1)).all()
    model = nn.Sequential(maxout, nn.Linear(3, 2, rng=1, names=("V", "c")))
    assert [n for n, _ in model.named_parameters()] == ["W", "b", "V", "c"]


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Empty defines no forward"):
        type("Empty", (nn.Module,), {})()(X)
