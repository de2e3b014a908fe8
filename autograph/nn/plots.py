"""Plots of training: learning curves (`History.plot`) and a classifier's decision regions.

Both draw on a `matplotlib.figure.Figure` made directly, not through pyplot, so they work
on any machine without a display (files are written with matplotlib's Agg canvas) and never
change the user's pyplot state; in Jupyter, pass `ax=` from your own `plt.subplots()` or
display the returned Figure.

>>> from autograph.nn.train import History
>>> figure = plot_history(History(loss=[1.0, 0.5, 0.25], classification_rate=[0.3, 0.6, 0.9]))
>>> [ax.get_ylabel() for ax in figure.axes]
['loss', 'classification rate']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograph.core import Node, no_grad
from autograph.nn.layers import mode

# Class colours: the tutorial's scatter plot draws its clusters blue, red and green.
CLASS_COLORS = ("#1f5fbf", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
CLASS_MARKERS = ("s", "o", "p", "^", "D", "v", "*")


def _figure(ncols: int = 1, size=(5.0, 4.0)):
    from matplotlib.figure import Figure
    figure = Figure(figsize=(size[0] * ncols, size[1]), layout="constrained")
    return figure, [figure.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def _save(figure, path):
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
    return figure


def plot_history(history, path=None, title: str | None = None, epochs=None, label=None,
                 axes=None):
    """The loss and (when recorded) the classification rate per epoch, side by side.

    `epochs` gives the epoch of each entry (default 0, 1, ...), for histories recorded every
    k epochs. `axes` (two Axes, or one when there is no rate) draws into an existing figure,
    so that several histories share a plot; `label` names this one in the legend. With `path`
    the figure is also written (PNG, SVG or PDF by the suffix). Returns the Figure.
    """
    rates = list(getattr(history, "classification_rate", []) or [])
    loss = list(history.loss)
    if not loss:
        raise ValueError("plot_history: the history has no epochs")
    x = np.arange(len(loss)) if epochs is None else np.asarray(epochs)
    if len(x) != len(loss):
        raise ValueError(f"plot_history: {len(x)} epochs given for {len(loss)} losses")
    if axes is None:
        figure, axes = _figure(2 if rates else 1)
    else:
        axes = list(np.atleast_1d(axes))
        figure = axes[0].figure
    axes[0].plot(x, loss, label=label)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    if rates:
        axes[1].plot(x, rates, label=label)
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("classification rate")
        axes[1].set_ylim(0, 1.02)
    if label is not None:
        for ax in axes:
            ax.legend()
    for ax in axes:
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_decision_regions(model, X, classes, path=None, title: str | None = None,
                          resolution: int = 200, ax=None):
    """The class a model predicts at each point of the plane, shaded, with the points X
    marked by their true classes (a cross on each point the model gets wrong); the title
    gives the fraction classified right on a second line.

    `model` maps an (n, 2) array or Node to class scores (n, k) (probabilities or logits: the
    largest wins) or, for one output column, to a probability of class 1; a Module is run in
    evaluation mode (no dropout). Returns the Figure.
    """
    X = np.asarray(X, dtype=float)
    classes = np.asarray(classes)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_regions: X must be (n, 2) points of the plane, got "
                         f"{X.shape}")
    if len(classes) != len(X):
        raise ValueError(f"plot_decision_regions: {len(X)} points but {len(classes)} classes")
    if ax is None:
        figure, (ax,) = _figure(1, size=(5.5, 4.5))
    else:
        figure = ax.figure
    margin = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.5
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    g1, g2 = np.meshgrid(np.linspace(low[0], high[0], resolution),
                         np.linspace(low[1], high[1], resolution))
    grid_classes = _predicted(model, np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    k = int(max(classes.max(), grid_classes.max())) + 1
    from matplotlib.colors import ListedColormap
    cmap = ListedColormap([CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(k)])
    ax.contourf(g1, g2, grid_classes, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25)
    predicted = _predicted(model, X)
    for c in range(k):
        points = X[classes == c]
        ax.scatter(points[:, 0], points[:, 1], s=12, c=CLASS_COLORS[c % len(CLASS_COLORS)],
                   marker=CLASS_MARKERS[c % len(CLASS_MARKERS)], label=f"class {c}")
    wrong = X[predicted != classes]
    if len(wrong):
        ax.scatter(wrong[:, 0], wrong[:, 1], s=40, c="black", marker="x", linewidths=1,
                   label=f"misclassified ({len(wrong)})")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper left", fontsize="small")
    rate = f"{np.mean(predicted == classes):.1%} of the points classified right"
    ax.set_title(f"{title}\n{rate}" if title else f"decision regions:\n{rate}")
    return _save(figure, path)


def _predicted(model, X) -> np.ndarray:
    with no_grad(), mode(model, training=False):       # predictions: no dropout
        output = model(Node(X))
    values = np.asarray(output.value if isinstance(output, Node) else output)
    if values.ndim == 2 and values.shape[1] > 1:
        return values.argmax(axis=1)
    return (values.reshape(len(X)) > 0.5).astype(np.intp)


__all__ = ["plot_decision_regions", "plot_history"]
