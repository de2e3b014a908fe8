"""unit_report: dead ReLU units and saturated sigmoid / tanh units, per layer, read from the graph."""

import numpy as np

import autograph as ag
from autograph import nn

X = np.random.default_rng(0).standard_normal((50, 2))


def test_dead_relu_units_are_counted_per_layer():
    model = nn.MLP([2, 4, 5, 3], hidden="relu", rng=0)
    model.layers[0].bias.value[:] = [-100.0, -100.0, 0.0, 0.0]        # two units never fire
    model.layers[1].bias.value[:] = [-100.0, 100.0, 100.0, 100.0, 100.0]
    report = nn.unit_report(model, X)
    assert [(r.layer, r.activation, r.units, r.condition) for r in report] == [
        ("W1, b1", "relu", 4, "dead"), ("W2, b2", "relu", 5, "dead")]
    assert report[0].fraction == 0.5 and report[1].fraction == 0.2
    assert report[0].activation_fraction >= 0.5
    # the table names each number: units dead on every example, and the share of all outputs
    W, b = model.layers[0].weight.value, model.layers[0].bias.value
    zero = (np.maximum(X @ W + b, 0) == 0).mean()          # outputs 0, from numpy
    lines = str(report).splitlines()
    assert lines[0].split()[:3] == ["layer", "activation", "condition"]
    assert "units in it on every example" in lines[0] and lines[0].endswith("outputs in it")
    assert lines[1].split() == ["W1,", "b1", "relu", "dead", "2", "of", "4", "(50.0%)",
                                f"{zero:.1%}"]
    assert lines[2].split()[4:8] == ["1", "of", "5", "(20.0%)"]
    assert lines[-1].startswith("(dead: a ReLU output 0; saturated:")


def test_saturated_sigmoid_and_tanh_units():
    model = nn.MLP([2, 4, 4, 2], hidden=["sigmoid", "tanh"], output="softmax", rng=0,
                   names=["W", "b1", "V", "b2", "U", "b3"])
    model.layers[0].bias.value[:] = [50.0, -50.0, 0.0, 0.0]           # stuck at 1 and at 0
    model.layers[0].weight.value[:, :2] = 0.0
    model.layers[1].weight.value[:] = 0.0
    model.layers[1].bias.value[:] = [0.0, 30.0, -30.0, 0.0]
    first, second = nn.unit_report(model, X)
    assert (first.layer, first.activation, first.condition, first.fraction) == \
        ("W, b1", "sigmoid", "saturated", 0.5)
    assert (second.layer, second.activation, second.fraction) == ("V, b2", "tanh", 0.5)


def test_a_healthy_network_and_a_network_without_watched_units():
    report = nn.unit_report(nn.MLP([2, 16, 3], hidden="tanh", rng=0), X * 0.1)
    assert report[0].fraction == 0.0
    assert str(nn.unit_report(nn.Linear(2, 3, rng=0), X)) == \
        "no ReLU, sigmoid or tanh units in the graph"


def test_any_graph_expression_works_even_under_no_grad():
    model = nn.Sequential(nn.Linear(2, 6, rng=0, names=("A", "a")), nn.relu,
                          nn.Linear(6, 1, rng=1, names=("B", "c")), nn.sigmoid)
    with ag.no_grad():
        report = nn.unit_report(model, X)
    assert [r.layer for r in report] == ["A, a", "B, c"]


def test_a_layer_is_named_by_the_parameters_since_the_previous_layer_of_units():
    # relu(relu(x W1 + b1) W2 + x S + b2): a skip connection; W1 and b1 are behind the first
    # layer of units, S reaches the second one beside it
    x = ag.constant(X, name="x")
    W1, b1 = ag.parameter(np.ones((2, 3)), name="W1"), ag.parameter(np.zeros(3), name="b1")
    W2, S = ag.parameter(np.ones((3, 2)), name="W2"), ag.parameter(np.ones((2, 2)), name="S")
    b2 = ag.parameter(np.zeros(2), name="b2")
    report = nn.unit_report(lambda x: ag.relu(ag.relu(x @ W1 + b1) @ W2 + x @ S + b2), x)
    assert [r.layer for r in report] == ["W1, b1", "W2, S, b2"]
