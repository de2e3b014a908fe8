"""What the library knows about an op lives on its Primitive: a new activation primitive is
drawn, monitored and replayed with no table to edit elsewhere."""

import numpy as np

import autograph as ag
from autograph.core.node import PRIMITIVES, Primitive
from autograph.nn import unit_report

# A hard sigmoid: clip(x / 6 + 1/2, 0, 1); saturated where the output is 0 or 1.
hard_sigmoid = Primitive(
    "hard_sigmoid_test", lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    lambda g, ans, x: g * ((ans > 0) & (ans < 1)) / 6.0,
    kind="activation", unit="hard sigmoid", register=False,
    inactive=("saturated", lambda h, x, tol: (h <= 0) | (h >= 1)))


def network(X):
    W = ag.parameter([[1.0, -1.0, 0.5], [2.0, 1.0, -0.5]], name="W")
    V = ag.parameter([[1.0], [2.0], [3.0]], name="V")
    return hard_sigmoid(X @ W) @ V


def test_a_new_activation_primitive_is_drawn_with_its_unit_name_and_inactive_units():
    # unit 1 gets 100 * (1 + 2) = 300 > 3 on both rows: saturated; the others do not
    X = ag.constant([[100.0, 100.0], [50.0, 100.0]], name="X")
    source = ag.network_diagram(network(X)).source
    assert "hard sigmoid" in source
    assert source.count("saturated") >= 1


def test_unit_report_reads_the_primitive_inactive_test():
    X = np.array([[100.0, 100.0], [50.0, 100.0]])
    report = unit_report(network, X)
    assert [r.activation for r in report] == ["hard_sigmoid_test"]
    # X @ W = [[300, 0, 0], [250, 50, -25]]; x / 6 + 1/2 clipped: [[1, .5, .5], [1, 1, 0]].
    # Unit 1 is saturated on both rows, units 2 and 3 on row 2 only: 1 unit of 3, 4 of 6 entries.
    assert report[0].condition == "saturated"
    assert report[0].fraction == 1 / 3
    assert report[0].activation_fraction == 4 / 6


def test_every_registered_activation_names_its_unit():
    activations = [p for p in PRIMITIVES.values() if p.kind == "activation"]
    assert {p.name for p in activations} >= {"sigmoid", "tanh", "relu", "softmax"}
    for p in activations:
        assert p.unit, p.name
