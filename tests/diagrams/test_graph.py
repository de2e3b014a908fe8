"""Operation-level graphs: one box per operation, leaves by kind, every argument an edge."""

import re

import numpy as np
import pytest

import autograph as ag
from autograph.diagrams import graph_diagram, style, topological_order


def statements(source: str) -> dict:
    """node id -> its attribute text, for node statements of DOT source."""
    found = dict(re.findall(r"^  (\w+) \[(.*)\]$", source, flags=re.M))
    return {node: text for node, text in found.items() if node not in ("graph", "node", "edge")}


def arrows(source: str) -> list:
    return re.findall(r"^  (\w+) -> (\w+)", source, flags=re.M)


def test_one_box_per_operation_with_name_and_shape():
    X = ag.constant(np.ones((4, 2)), name="X")
    W = ag.parameter(np.ones((2, 3)), name="W")
    H = ag.sigmoid(X @ W)
    H.name = "H"
    source = graph_diagram(H.sum(axis=1)).source
    nodes = statements(source)
    boxes = [text for text in nodes.values() if 'shape="box", style="rounded' in text]
    assert len(boxes) == 3                                   # matmul, sigmoid, sum
    assert any('label="matmul\\n(4, 3)"' in text for text in boxes)
    assert any('label="H = sigmoid\\n(4, 3)"' in text for text in boxes)
    assert any('label="sum(axis=1)\\n(4,)"' in text for text in boxes)


def test_parameters_inputs_and_constants_look_different():
    x = ag.constant([1.0, 2.0], name="x")
    w = ag.parameter([3.0, 4.0], name="w")
    unnamed = ag.constant([5.0, 6.0])
    source = graph_diagram((x * w + unnamed) * 2.0).source
    nodes = statements(source)
    by_label = {re.search(r'label="([^"]*)"', text).group(1): text for text in nodes.values()}
    assert style.PARAMETER_FILL in by_label["w\\n(2,)"]
    assert style.INPUT_FILL in by_label["x\\n(2,)"]
    assert 'fillcolor="#eeeeee"' in by_label["constant\\n(2,)"]
    assert "plaintext" in by_label["2"]                      # the raw python float 2.0
    assert len(set(by_label.values())) == len(by_label)


def test_a_node_used_twice_keeps_both_edges():
    a = ag.parameter([1.0, 2.0], name="a")
    source = graph_diagram(a + a).source
    assert arrows(source) == [("n0", "n1"), ("n0", "n1")]
    source = graph_diagram(a * a * a).source
    assert arrows(source).count(("n0", "n1")) == 2 and arrows(source).count(("n0", "n2")) == 1


def test_argument_order_is_numbered_where_it_matters():
    a, b = ag.parameter(1.0, name="a"), ag.parameter(2.0, name="b")
    assert re.findall(r'-> n2 \[headlabel="(\d)"', graph_diagram(a - b).source) == ["1", "2"]
    assert 'headlabel=' not in graph_diagram(a + b).source


def test_values_and_gradients_are_summarised():
    W = ag.parameter([1.0, 2.0], name="W")
    source = graph_diagram((W * W).sum(), values=True, gradients=True).source
    # d/dW sum(W^2) = 2W = [2, 4]; d/d(W*W) = [1, 1]; the value of sum is 5
    assert 'label="W\\n(2,)\\n[1, 2]\\ngrad [2, 4]"' in source
    assert 'label="multiply\\n(2,)\\n[1, 4]\\ngrad [1, 1]"' in source
    assert 'label="sum\\nscalar\\n[5]\\ngrad [1]"' in source
    assert style.summary(np.arange(10.0)) == "min 0  mean 4.5  max 9"


def test_paths_to_marks_exactly_the_operations_between():
    x = ag.constant([1.0, 2.0], name="x")
    w, v = ag.parameter([3.0, 4.0], name="w"), ag.parameter([5.0, 6.0], name="v")
    loss = ((x * w).sum() + (x * v).sum())
    source = graph_diagram(loss, paths_to="w").source
    purple = [node for node, text in statements(source).items() if style.PATH in text]
    labels = [re.search(r'label="([^\\"]*)', statements(source)[n]).group(1) for n in purple]
    assert labels == ["w", "multiply", "sum", "add"]
    with pytest.raises(KeyError, match="no parameter named 'u'"):
        graph_diagram(loss, paths_to="u")


def test_highlight_draws_the_failed_parameter_red():
    w = ag.parameter([3.0, 4.0, 5.0], name="w")
    source = graph_diagram((w * w).sum(), highlight={"w": np.array([False, True, False])}).source
    assert f'color="{style.FAILED}"' in source and "check failed: 1 of 3 entries" in source


def test_deep_graphs_are_walked_without_recursion():
    x = ag.parameter(1.0, name="x")
    y = x
    for _ in range(20000):
        y = ag.tanh(y)
    order = topological_order(y)
    assert len(order) == 20001 and order[0] is x and order[-1] is y
    assert graph_diagram(y).source.count("->") == 20000


def test_a_leaf_used_everywhere_is_drawn_beside_each_use():
    W = ag.parameter(np.eye(2) * 0.5, name="W")
    h = ag.constant(np.ones((1, 2)), name="h0")
    for _ in range(10):
        h = ag.tanh(h @ W)
    source = graph_diagram(h).source
    copies = [text for node, text in statements(source).items() if 'label="W\\n(2, 2)' in text]
    assert len(copies) == 10 and all("used 10 times" in text for text in copies)
    assert source.count("->") == 30                      # still one edge per argument


def test_the_legend_names_the_kinds_of_node_drawn():
    W = ag.parameter([1.0, 2.0], name="W")
    source = graph_diagram((W * ag.constant([3.0, 4.0], name="x")).sum()).source
    legend = re.search(r"<TR><TD BGCOLOR.*?</TR>", source).group(0)
    assert re.findall(r">(\w+)</TD>", legend) == ["parameter", "input", "operation"]
    assert "<TABLE" not in graph_diagram((W * W).sum(), legend=False).source
    with pytest.raises(ValueError, match="rankdir='down'"):
        graph_diagram(W.sum(), rankdir="down")
