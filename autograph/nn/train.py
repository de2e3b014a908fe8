"""`fit`: epochs of shuffled mini-batches, each a forward pass, a backward pass and a step."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autograph.core import Node
from autograph.nn.losses import (binary_cross_entropy, classification_rate, cross_entropy,
                                 one_hot_targets)
from autograph.ops import value_of
from autograph.nn.optim import Adam, Optimizer


@dataclass
class History:
    """Per epoch, as measured during the epoch: the loss over the epoch's examples (their mean,
    or their sum for a loss with reduction="sum") and, for classification, the
    classification rate."""
    loss: list = field(default_factory=list)
    classification_rate: list = field(default_factory=list)

    def plot(self, path=None, **options):
        """Learning curves: `autograph.nn.plots.plot_history(self, path, **options)`."""
        from autograph.nn.plots import plot_history     # matplotlib loads on first plot only
        return plot_history(self, path, **options)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(no epochs)"
        text = f"History({len(self.loss)} epochs: loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}"
        if self.classification_rate:
            text += (f", classification rate {self.classification_rate[0]:.3f} -> "
                     f"{self.classification_rate[-1]:.3f}")
        return text + ")"


def _in_notebook() -> bool:
    """Running in a Jupyter kernel, where stdout is no terminal but a bar still shows."""
    ipython = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return ipython is not None and "IPKernelApp" in getattr(ipython, "config", {})


def _epochs(epochs: int, progress):
    """The epoch range, wrapped in a tqdm bar when asked, or (by default) when stdout is a
    terminal or a notebook and tqdm is installed; the default bar appears only once a run has
    taken 1 s. tqdm.auto draws a notebook widget in Jupyter (with ipywidgets), text elsewhere."""
    if progress is False or (progress is None and not (sys.stdout.isatty() or _in_notebook())):
        return range(epochs), None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            warnings.warn("fit(progress=True): no progress bar, tqdm is not installed "
                          "(pip install tqdm)", stacklevel=3)
        return range(epochs), None
    bar = tqdm(range(epochs), unit="epoch", file=sys.stdout, delay=1.0 if progress is None else 0)
    return bar, bar


def fit(model: Callable, X, y, loss: Callable = cross_entropy,
        optimizer: Optimizer | None = None, epochs: int = 100, batch_size: int | None = None,
        seed: int | None = 0, metric: Callable | str | None = "auto",
        progress: bool | None = None, compile: bool = False) -> History:
    """Train `model` on inputs X (n, ...) and targets y (class indices, one-hot rows, or values).

    loss        loss(model(X_batch), y_batch) -> scalar Node; cross_entropy by default.
    optimizer   Adam(model.parameters(), lr=1e-3) by default.
    batch_size  examples per step; None means the whole set in every step (no shuffling).
    seed        the shuffling of the examples before each epoch.
    metric      metric(output, targets) -> float recorded per epoch as classification_rate;
                "auto" is classification_rate for cross_entropy and binary_cross_entropy.
    progress    a tqdm progress bar (optional extra `progress`): None shows it on runs longer
                than a second when stdout is a terminal.
    compile     run each step as a program traced once (`autograph.compile`): the same
                numbers, faster for small networks. The model and loss must not read values
                in Python (see autograph.compile).

    >>> from autograph.data import three_clusters
    >>> data, classes = three_clusters()
    >>> model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", rng=0)
    >>> history = fit(model, data, classes, optimizer=Adam(model, lr=0.05), epochs=300)
    >>> history.classification_rate[-1] >= 0.95
    True
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"fit: X has {n} examples but y has {len(y)}")
    if n == 0:
        raise ValueError("fit: no examples")
    if optimizer is None:
        optimizer = Adam(model.parameters(), lr=1e-3)
    if metric == "auto":
        base = getattr(loss, "func", loss)           # functools.partial(cross_entropy, ...)
        metric = classification_rate if base in (cross_entropy, binary_cross_entropy) else None
    # a batch's loss is a mean over its examples unless the loss says it sums them
    summed = getattr(loss, "keywords", {}).get("reduction") == "sum"
    batch = n if batch_size is None else int(batch_size)
    if batch < 1:
        raise ValueError(f"fit: batch_size must be positive, got {batch_size}")

    step = _eager_step(model, loss, optimizer)
    if compile:
        step, y = _compiled_step(model, loss, optimizer, X, y)

    shuffle = batch < n
    rng = np.random.default_rng(seed)
    X_epoch, y_epoch = (np.empty_like(X), np.empty_like(y)) if shuffle else (X, y)
    history = History()
    epoch_range, bar = _epochs(int(epochs), progress)
    for _ in epoch_range:
        if shuffle:   # one gather per epoch into reused arrays; batches are then views
            order = rng.permutation(n)
            np.take(X, order, axis=0, out=X_epoch)
            np.take(y, order, axis=0, out=y_epoch)
        total = correct = 0.0
        for start in range(0, n, batch):
            X_batch, y_batch = X_epoch[start:start + batch], y_epoch[start:start + batch]
            batch_loss, output = step(X_batch, y_batch)
            total += float(value_of(batch_loss)) * (1 if summed else len(X_batch))
            if metric is not None:
                correct += metric(output, y_batch) * len(X_batch)
        history.loss.append(total if summed else total / n)
        if metric is not None:
            history.classification_rate.append(correct / n)
        if bar is not None:
            postfix = {"loss": f"{history.loss[-1]:.4g}"}
            if metric is not None:
                postfix["rate"] = f"{history.classification_rate[-1]:.3f}"
            bar.set_postfix(postfix, refresh=False)
    if bar is not None:
        bar.close()
    return history


def _eager_step(model, loss, optimizer):
    def step(X_batch, y_batch):
        output = model(X_batch)
        batch_loss = loss(output, y_batch)
        optimizer.zero_grad()
        batch_loss.backward()
        optimizer.step()
        return batch_loss, output
    return step


def _compiled_step(model, loss, optimizer, X, y):
    """The step traced once per batch shape; the targets go in as Nodes (one-hot rows for
    cross_entropy), which every loss reads without looking at their numbers."""
    from autograph.compiler import compile as compile_step
    probe = model(X[:1])          # the output's unit and width, as the eager step would see
    base = getattr(loss, "func", loss)
    if base is cross_entropy:
        y = one_hot_targets(y, np.shape(value_of(probe))[-1], np.result_type(value_of(probe)))
    traced = compile_step(_eager_step(model, loss, optimizer))

    def step(X_batch, y_batch):
        batch_loss, output = traced(X_batch, Node(y_batch))
        if isinstance(probe, Node):     # metrics read the output unit (a sigmoid's threshold)
            output = Node(output)
            output.op = probe.op
        return batch_loss, output
    return step, y


__all__ = ["History", "fit"]
