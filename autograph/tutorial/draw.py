"""`autograph draw`: the tutorial's networks as operation graphs and network diagrams."""

from __future__ import annotations

from pathlib import Path

from autograph.diagrams import graph_diagram, network_diagram
from autograph.tutorial.networks import NETWORKS, training_loss


def draw_tutorial(folder, format: str = "svg", out=print) -> list:
    """Render each tutorial network as an operation graph and a network diagram into `folder`,
    plus the chain-rule figure of section 2.2.4. Returns the paths written."""
    folder = Path(folder)
    written = []
    for name, (title, build) in NETWORKS.items():
        output = build()
        for kind, diagram in (("graph", graph_diagram(output, title=f"{title}: operations")),
                              ("network", network_diagram(output, title=title))):
            written.append(diagram.render(folder / f"{name}-{kind}.{format}"))
            out(f"  {written[-1]}")
    loss = training_loss()
    figure = network_diagram(loss, paths_to=("W", (0, 0)),
                             title="chain rule (section 2.2.4)")
    written.append(figure.render(folder / f"chain-rule-paths.{format}"))
    out(f"  {written[-1]}")
    return written
