"""Diagrams: the operation graph of any expression, and the neuron-level figure of a network.

>>> import autograph as ag
>>> X = ag.constant([[1.0, 2.0]], name="X")
>>> W = ag.parameter([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], name="W")
>>> d = network_diagram(ag.sigmoid(X @ W))
>>> d.render("network.png")  # doctest: +SKIP
"""

from autograph.diagrams.diagram import Diagram, RenderError, RendererNotFound, find_renderer
from autograph.diagrams.graph import graph_diagram, topological_order
from autograph.diagrams.network import (Layer, Network, NotANetworkError, entry_name,
                                        find_network, network_diagram)

__all__ = ["Diagram", "Layer", "Network", "NotANetworkError", "RenderError", "RendererNotFound",
           "entry_name",
           "find_network", "find_renderer", "graph_diagram", "network_diagram",
           "topological_order"]
