"""`autograph draw --model`: a saved model as diagram files (the tutorial's networks are
drawn by `autograph.tutorial.draw`).

It reads a model file (`autograph.nn`) and draws it (`autograph.diagrams`): two sibling
layers, so it lives here, on the command-line layer above both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import autograph as ag
from autograph import nn
from autograph.diagrams.graph import graph_diagram
from autograph.diagrams.network import network_diagram
from autograph.nn.io import read_info
from autograph.nn.layers import parameter_layout


# Deeper stacks are refused: a diagram of thousands of layers is unreadable, and laying it out
# takes minutes and gigabytes (3,000 layers: 275 s, 1.8 GB); 100 layers draw in about a second.
MAX_DRAWN_LAYERS = 100


def draw_model(path, folder, format: str = "svg", hidden: str | None = None,
               output: str | None = None, out=print) -> list:
    """Draw a model saved by `autograph.nn.save` as a network diagram and an operation graph.

    A file states its architecture (sizes, activations, names), and the model is drawn as it
    was trained. Files saved before architectures were stored hold parameters only (W1, b1,
    W2, b2, ...): then `hidden` and `output` name the activations (default relu, linear) and a
    warning says they were assumed. Given for a file that states its architecture, they must
    agree with it."""
    path = Path(path)
    info = read_info(path)                 # the directory and headers only, checked
    if info.architecture is not None:
        architecture = info.architecture
        layout = parameter_layout(architecture)
        activations = architecture.get("activations", [])
        for flag, given, stated in (("--hidden", hidden, activations[:-1]),
                                    ("--output", output, activations[-1:])):
            if given is not None and any(name != given for name in stated):
                raise ValueError(f"{path}: the file states {', '.join(stated)}, but {flag} "
                                 f"says {given}: leave {flag} out")
        weights = [shape for shape in layout.values() if len(shape) == 2]
        _check_depth(path, len(weights))
        model = nn.load(path)
        sizes = [weights[0][0]] + [shape[1] for shape in weights]
    else:
        shapes = {name: array.shape for name, array in info.arrays.items()}
        weights = [name for name, shape in shapes.items() if len(shape) == 2]
        biases = [name for name, shape in shapes.items() if len(shape) == 1]
        if not weights or len(weights) + len(biases) != len(shapes) or \
                len(biases) not in (0, len(weights)):
            raise ValueError(f"{path}: not the parameters of an MLP (2-D weights, each with or "
                             f"without a 1-D bias); found {shapes}")
        _check_depth(path, len(weights))
        hidden, output = hidden or "relu", output or "linear"
        out(f"  warning: {path.name} holds parameters only, no architecture (saved by an "
            f"older autograph): drawn with hidden {hidden}, output {output}; save it again "
            f"to store what it is")
        sizes = [shapes[weights[0]][0]] + [shapes[name][1] for name in weights]
        model = ag.MLP(sizes, hidden=hidden, output=output, bias=bool(biases),
                       names=list(shapes), rng=0)
        nn.load(model, path)
    result = model(ag.constant(np.zeros((1, sizes[0])), name="X"))
    title = f"{path.name}: {' -> '.join(map(str, sizes))}"
    written = []
    # no data, so no dead or saturated units to grey
    for kind, diagram in (("network", network_diagram(result, title=title, max_units=6,
                                                      grey_inactive=False)),
                          ("graph", graph_diagram(result, title=f"{title}: operations"))):
        written.append(diagram.render(Path(folder) / f"{path.stem}-{kind}.{format}"))
        out(f"  {written[-1]}")
    return written


def _check_depth(path, layers: int) -> None:
    if layers > MAX_DRAWN_LAYERS:
        raise ValueError(f"{path}: {layers} layers; draw --model draws up to "
                         f"{MAX_DRAWN_LAYERS} (a diagram of more is unreadable and slow to "
                         "lay out): draw a few of its layers with ag.network_diagram")
