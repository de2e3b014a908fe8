"""`autograph draw --model`: a saved model as diagram files (the tutorial's networks are
drawn by `autograph.tutorial.draw`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograph.diagrams.graph import graph_diagram
from autograph.diagrams.network import network_diagram


def draw_model(path, folder, format: str = "svg", hidden: str = "relu",
               output: str = "linear", out=print) -> list:
    """Draw an MLP saved by `autograph.nn.save` (W1, b1, W2, b2, ... in an .npz archive) as a
    network diagram and an operation graph. The file holds no activations: `hidden` and
    `output` name them (the MLP defaults: relu, linear)."""
    import autograph as ag
    from autograph import nn

    from autograph.nn.io import _read

    path = Path(path)
    shapes = {name: array.shape for name, array in _read(path).items()}
    weights = [name for name, shape in shapes.items() if len(shape) == 2]
    biases = [name for name, shape in shapes.items() if len(shape) == 1]
    if not weights or len(weights) + len(biases) != len(shapes) or \
            len(biases) not in (0, len(weights)):
        raise ValueError(f"{path}: not the parameters of an MLP (2-D weights, each with or "
                         f"without a 1-D bias); found {shapes}")
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
        written.append(diagram.render(Path(folder) / f"{path.stem}-{kind}.{format}", format))
        out(f"  {written[-1]}")
    return written
