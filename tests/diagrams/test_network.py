"""Neuron-level network diagrams: recognising layers in a graph, units, weight edges, names,
highlights, chain-rule paths, collapsing, dead units, and the refusal of non-networks."""

import re

import numpy as np
import pytest

import autograph as ag
from autograph.diagrams import (NotANetworkError, entry_name, find_network, graph_diagram,
                                network_diagram)
from autograph.diagrams import style
from autograph.tutorial import networks as tutorial


def edges(source: str, cls: str = "weight") -> list:
    """(tail, head) of every edge of the given class in DOT source."""
    return re.findall(rf'^  (\S+) -> (\S+) \[.*class="{cls}"', source, flags=re.M)


def layer_edges(source: str, below: int) -> list:
    return [(t, h) for t, h in edges(source) if t.startswith(f"u{below}_")
            and h.startswith(f"u{below + 1}_")]


def unit_labels(source: str) -> list:
    return re.findall(r'^  u\d+_\d+ \[label=<([^<>]+)>', source, flags=re.M)


def label_of_edge(source: str, tail: str, head: str) -> str:
    return re.search(rf'^  {tail}__{head} \[label="([^"]+)"', source, flags=re.M).group(1)


@pytest.mark.parametrize("build, sizes, per_layer", [
    (tutorial.logistic_unit, [2, 1], [2]),
    (tutorial.two_layer, [2, 3, 1], [6, 3]),
    (tutorial.softmax_network, [2, 3, 3], [6, 9]),
    (tutorial.three_layer, [2, 3, 3, 3], [6, 9, 9]),
    (lambda: tutorial.three_layer("relu"), [2, 3, 3, 3], [6, 9, 9]),
    (tutorial.four_layer_loss, [2, 3, 3, 3, 3], [6, 9, 9, 9]),
])
def test_tutorial_networks_have_their_units_and_weight_edges(build, sizes, per_layer):
    output = build()
    assert find_network(output).sizes == sizes
    source = network_diagram(output).source
    assert [len(layer_edges(source, l)) for l in range(len(per_layer))] == per_layer
    assert len(edges(source)) == sum(per_layer)
    # every unit of one layer joins every unit of the next
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        assert set(layer_edges(source, l)) == {(f"u{l}_{i}", f"u{l + 1}_{j}")
                                               for i in range(n_in) for j in range(n_out)}


def test_units_are_named_as_in_the_tutorial():
    source = network_diagram(tutorial.two_layer()).source
    assert unit_labels(source) == ["x1", "x2", "h1", "h2", "h3", "y"]
    source = network_diagram(tutorial.softmax_network()).source
    assert unit_labels(source)[-3:] == ["y1", "y2", "y3"]
    assert "hidden layer\\nsigmoid" in source and "output\\nsoftmax" in source


def test_weight_names_follow_the_tutorial_w_ji():
    # the tutorial's a_j = w_j1 x1 + w_j2 x2: w_ji joins input i to hidden unit j, W[i-1, j-1]
    source = network_diagram(tutorial.two_layer()).source
    assert label_of_edge(source, "u0_0", "u1_1") == "w21"
    assert label_of_edge(source, "u0_1", "u1_2") == "w32"
    assert [label_of_edge(source, f"u1_{j}", "u2_0") for j in range(3)] == ["v1", "v2", "v3"]
    assert entry_name("W2", 2, 0, 3) == "w2_13"
    assert entry_name("W", 11, 3, 12) == "w4,12"


def test_edge_labels_values_and_none():
    output = tutorial.two_layer()
    W = find_network(output).layers[0].weight
    source = network_diagram(output, edge_labels="values").source
    assert label_of_edge(source, "u0_0", "u1_1") == f"{W.value[0, 1]:.2g}"
    assert "__" not in network_diagram(output, edge_labels=None).source


def test_loss_is_stripped_and_drawn_as_one_node():
    loss = tutorial.training_loss()
    network = find_network(loss)
    assert network.sizes == [2, 3, 3] and network.loss is loss
    assert network.layers[-1].activation == "log_softmax"
    source = network_diagram(loss).source
    assert len(edges(source, "loss")) == 3
    assert 'label="J"' in source
    # drawn from the network output itself there is no loss node
    assert edges(network_diagram(tutorial.softmax_network()).source, "loss") == []


def test_hand_written_layers_in_either_operand_order_and_without_bias():
    X = ag.constant(np.ones((5, 4)), name="X")
    W = ag.parameter(np.ones((4, 2)), name="W")
    b = ag.parameter(np.zeros(2), name="b")
    assert find_network(ag.tanh(b + X @ W)).layers[0].bias is b
    network = find_network(X @ W)                       # linear, no bias
    assert network.sizes == [4, 2] and network.layers[0].activation is None
    # a raw array as input and a python float as the bias of one unit
    w = ag.parameter(np.ones(4), name="w")
    assert find_network(ag.sigmoid(np.ones((5, 4)) @ w + 0.2)).sizes == [4, 1]


def test_not_a_network_says_so_and_offers_the_operation_graph():
    x = ag.parameter([1.0, 2.0], name="x")
    with pytest.raises(NotANetworkError, match=r"not a layered network.*graph_diagram"):
        network_diagram((x * x).sum())
    # a parameter outside the layers: the picture would hide it, so it is refused
    X = ag.constant(np.ones((5, 2)), name="X")
    W, scale = ag.parameter(np.ones((2, 3)), name="W"), ag.parameter(2.0, name="scale")
    with pytest.raises(NotANetworkError, match=r"scale \(\).*outside the layers"):
        network_diagram(ag.sigmoid(X @ W) * scale)
    with pytest.raises(ValueError):        # NotANetworkError is a ValueError
        network_diagram(ag.sigmoid(X @ W) * scale)
    # graph_diagram draws the same expression
    assert "multiply" in graph_diagram(ag.sigmoid(X @ W) * scale).source


def test_highlight_marks_failed_weights_and_units_red():
    output = tutorial.softmax_network()
    mask = np.zeros((2, 3), dtype=bool)
    mask[1, 2] = True
    source = network_diagram(output, highlight={"W": mask, "b2": True}).source
    red = re.findall(rf'^  (\S+) -> (\S+) \[class="weight".*color="{style.FAILED}"', source,
                     flags=re.M)
    assert red == [("u0_1", "u1_2")]
    red_units = re.findall(rf'^  (u\d_\d) \[.*color="{style.FAILED}"', source, flags=re.M)
    assert red_units == ["u2_0", "u2_1", "u2_2"]            # b2: every output unit
    assert "red: failed gradient check (a red unit: its bias)" in source
    # the whole weight matrix: no bias failed, so no unit is red and the note says nothing of
    # units
    source = network_diagram(output, highlight={"V": True}).source
    assert len(re.findall(rf'class="weight".*color="{style.FAILED}"', source)) == 9
    assert "red: failed gradient check" in source and "red unit" not in source


def test_highlight_errors_name_the_problem():
    output = tutorial.softmax_network()
    with pytest.raises(KeyError, match="no parameter named 'Q'.*W"):
        network_diagram(output, highlight={"Q": True})
    with pytest.raises(ValueError, match=r"boolean mask of shape \(2, 3\)"):
        network_diagram(output, highlight={"W": np.ones((3, 2), dtype=bool)})


def test_paths_from_the_loss_back_to_one_weight():
    loss = tutorial.training_loss()
    source = network_diagram(loss, paths_to=("W", (0, 0))).source
    purple = re.findall(rf'^  (\S+) -> (\S+) \[class="(\w+)".*color="{style.PATH}"', source,
                        flags=re.M)
    # w11 = W[0, 0] joins x1 to h1; from h1 the gradient comes back from y1, y2, y3 and J
    assert sorted(purple) == sorted(
        [("u0_0", "u1_0", "weight")] + [("u1_0", f"u2_{k}", "weight") for k in range(3)]
        + [(f"u2_{k}", "loss", "loss") for k in range(3)])
    assert "the 3 paths from J back to w11" in source
    # a first-layer weight of the 4-layer network: 3 * 3 * 3 paths
    source = network_diagram(tutorial.four_layer_loss(), paths_to=("W0", (1, 2))).source
    assert "the 27 paths from J back to w0_32" in source


def test_wide_layers_collapse_to_first_units_an_ellipsis_and_the_last():
    X = ag.constant(np.zeros((4, 30)), name="X")
    W = ag.parameter(np.ones((30, 3)), name="W")
    source = network_diagram(ag.sigmoid(X @ W), max_units=8).source
    assert unit_labels(source) == ["x1", "x2", "x3", "x4", "x5", "x6", "x30", "y1", "y2", "y3"]
    assert "...\\n23 more" in source                      # x7 .. x29
    assert len(edges(source)) == 7 * 3
    assert len(edges(source, "collapsed")) == 3


def test_dead_and_saturated_units_are_greyed():
    X = ag.constant(np.random.default_rng(0).standard_normal((50, 2)), name="X")
    W = ag.parameter(np.ones((2, 3)), name="W")
    b = ag.parameter(np.array([0.0, -100.0, 0.0]), name="b")    # unit 2 never fires
    source = network_diagram(ag.relu(X @ W + b)).source
    assert re.findall(r'^  (u1_\d) \[.*dead', source, flags=re.M) == ["u1_1"]
    s = ag.parameter(np.array([0.0, 100.0, 0.0]), name="s")     # unit 2 stuck at 1
    source = network_diagram(ag.sigmoid(X @ W + s)).source
    assert re.findall(r'^  (u1_\d) \[.*saturated', source, flags=re.M) == ["u1_1"]
    assert "dead" not in network_diagram(ag.relu(X @ W + b), grey_inactive=False).source


def test_colour_by_weight_and_gradient():
    loss = tutorial.training_loss()
    source = network_diagram(loss, color_by="value").source
    W = find_network(loss).layers[0].weight.value
    # the largest |weight| of the whole network gets the widest edge, 4.0
    widths = [float(w) for w in re.findall(r'class="weight", penwidth="([\d.]+)"', source)]
    assert len(widths) == 15 and max(widths) == pytest.approx(4.0)
    assert "blue > 0, orange < 0" in source
    negative = re.findall(rf'^  u0_0 -> u1_(\d) \[.*color="{style.NEGATIVE}"', source, flags=re.M)
    assert [int(j) for j in negative] == [j for j in range(3) if W[0, j] < 0]
    assert "edge width: |gradient|" in network_diagram(loss, color_by="gradient").source
    with pytest.raises(ValueError, match="call backward"):
        network_diagram(tutorial.softmax_network(), color_by="gradient")


def test_bias_units():
    source = network_diagram(tutorial.softmax_network(), show_bias=True).source
    assert edges(source, "bias") == [("bias0", f"u1_{j}") for j in range(3)] + \
        [("bias1", f"u2_{j}") for j in range(3)]
    assert label_of_edge(source, "bias0", "u1_1") == "b1_2"


def test_hand_written_expression_and_layers_api_draw_the_same_diagram():
    from autograph import nn
    data = np.random.default_rng(1).standard_normal((20, 2))
    model = ag.MLP([2, 3, 3, 3], hidden="sigmoid", output="softmax", rng=0)
    params = dict(model.named_parameters())
    assert sorted(params) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    X = ag.constant(data, name="X")
    h1 = ag.sigmoid(X @ params["W1"] + params["b1"])
    h2 = ag.sigmoid(h1 @ params["W2"] + params["b2"])
    by_hand = ag.softmax(h2 @ params["W3"] + params["b3"])
    by_layers = model(X)
    for options in ({}, {"show_bias": True, "color_by": "value"}):
        assert network_diagram(by_hand, **options).source == \
            network_diagram(by_layers, **options).source
    # the layers API's loss reads the softmax output as its logits: the network it is built
    # on is the same one, with the same weights, ending in the logits
    network = find_network(nn.cross_entropy(by_layers, np.arange(20) % 3))
    assert network.sizes == [2, 3, 3, 3] and network.loss is not None
    assert [layer.weight for layer in network.layers] == [params["W1"], params["W2"],
                                                          params["W3"]]


def test_an_output_made_under_no_grad_is_explained():
    X = ag.constant(np.ones((5, 2)), name="X")
    W = ag.parameter(np.ones((2, 3)), name="W")
    with ag.no_grad():
        H = ag.sigmoid(X @ W)
    with pytest.raises(NotANetworkError, match="no_grad"):
        network_diagram(H)
    assert "inputs not recorded (no_grad)" in graph_diagram(H).source


def test_paths_through_a_collapsed_layer_are_marked_too():
    X = ag.constant(np.zeros((4, 2)), name="X")
    W = ag.parameter(np.ones((2, 12)), name="W")
    V = ag.parameter(np.ones((12, 2)), name="V")
    source = network_diagram(ag.sigmoid(X @ W) @ V, paths_to=("W", (0, 9))).source
    # w_10,1 leads into h10, which is behind the ellipsis: its edges out are drawn collapsed
    purple = re.findall(rf'^  (\S+) -> (\S+) \[.*color="{style.PATH}"', source, flags=re.M)
    assert sorted(purple) == [("u0_0", "u1_more"), ("u1_more", "u2_0"), ("u1_more", "u2_1")]


def test_units_of_several_hidden_layers_carry_the_layer_index():
    one = unit_labels(network_diagram(tutorial.two_layer()).source)
    assert one == ["x1", "x2", "h1", "h2", "h3", "y"]       # one hidden layer: the tutorial's
    two = unit_labels(network_diagram(tutorial.three_layer()).source)
    assert two == ["x1", "x2", "h1_1", "h1_2", "h1_3", "h2_1", "h2_2", "h2_3", "y1", "y2", "y3"]


def positions(source: str) -> dict:
    return {unit: (float(x), float(y)) for unit, x, y in
            re.findall(r'^  (u\d+_\d+) \[.*pos="([-\d.]+),([-\d.]+)!"', source, flags=re.M)}


def test_rankdir_lays_the_layers_out_left_to_right_or_top_to_bottom():
    across = positions(network_diagram(tutorial.two_layer()).source)
    down = positions(network_diagram(tutorial.two_layer(), rankdir="TB").source)
    assert across["u0_0"][0] < across["u1_0"][0] < across["u2_0"][0]          # x grows
    assert across["u1_0"][1] > across["u1_1"][1] > across["u1_2"][1]          # h1 on top
    assert down["u0_0"][1] > down["u1_0"][1] > down["u2_0"][1]                # y falls
    assert down["u1_0"][0] < down["u1_1"][0] < down["u1_2"][0]                # h1 on the left
    assert sorted(edges(network_diagram(tutorial.two_layer(), rankdir="TB").source)) == \
        sorted(edges(network_diagram(tutorial.two_layer()).source))
    with pytest.raises(ValueError, match="rankdir='BT'"):
        network_diagram(tutorial.two_layer(), rankdir="BT")


def test_edge_labels_keep_apart_in_both_directions():
    """Every label is at least a label's size away from every other label of its layer."""
    for rankdir in ("LR", "TB"):
        source = network_diagram(tutorial.four_layer_loss(), rankdir=rankdir,
                                 show_bias=True).source
        spots = [(float(x), float(y)) for x, y in re.findall(
            r'^  \S+__\S+ \[label=.*pos="([-\d.]+),([-\d.]+)!"', source, flags=re.M)]
        assert len(spots) == 6 + 3 * 9 + 4 * 3        # weights and biases
        for i, (x0, y0) in enumerate(spots):
            for x1, y1 in spots[i + 1:]:
                assert abs(x0 - x1) >= 0.3 or abs(y0 - y1) >= 0.15, (rankdir, x0, y0, x1, y1)


def test_edge_labels_stay_off_the_arrowheads_when_there_is_room():
    # the 2-3-3 network has room for every label in the middle 45% of its edge; before, the
    # labels of v31 and v32 sat together on y3's arrowheads (at 0.8 of the edge)
    source = network_diagram(tutorial.softmax_network()).source
    units = positions(source)
    labels = re.findall(r'^  (u\d+_\d+)__(u\d+_\d+) \[label=.*pos="([-\d.]+),([-\d.]+)!"',
                        source, flags=re.M)
    assert len(labels) == 6 + 9
    for tail, head, x, y in labels:
        (x0, y0), (x1, y1) = units[tail], units[head]
        along = ((float(x) - x0) * (x1 - x0) + (float(y) - y0) * (y1 - y0)) / \
            ((x1 - x0) ** 2 + (y1 - y0) ** 2)
        assert 0.25 < along < 0.75, (tail, head, along)
