"""DOT source is deterministic: compare it with files inspected by eye (source and rendering).

After an intended change of the drawing, render the new source, look at it, and only then
replace the file in tests/diagrams/snapshots/.
"""

from pathlib import Path

import pytest

from autograph.diagrams import graph_diagram, network_diagram
from autograph.tutorial import networks as tutorial

SNAPSHOTS = Path(__file__).parent / "snapshots"

CASES = {
    "two-layer-2-3-1-network.dot": lambda: network_diagram(tutorial.two_layer()),
    "chain-rule-paths-network.dot":
        lambda: network_diagram(tutorial.training_loss(), paths_to=("W", (0, 0))),
    "logistic-unit-graph.dot": lambda: graph_diagram(tutorial.logistic_unit()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_source_matches_the_inspected_snapshot(name):
    assert CASES[name]().source == (SNAPSHOTS / name).read_text()


def test_dot_source_is_the_same_every_time():
    assert network_diagram(tutorial.four_layer_loss()).source == \
        network_diagram(tutorial.four_layer_loss()).source
