"""`fit`: epochs of shuffled mini-batches, each a forward pass, a backward pass and a step."""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autograph.core import Node
from autograph.nn.layers import mode
from autograph.nn.losses import (_cast, binary_cross_entropy, classification_rate,
                                 cross_entropy, mean_squared_error, one_hot_targets)
from autograph.ops import value_of
from autograph.nn.optim import Adam, Optimizer


@dataclass
class History:
    """Per epoch, as measured during the epoch: the loss over the epoch's examples (their mean,
    or their sum for a loss with reduction="sum") and, for classification, the
    classification rate. A compiled fit also counts the programs it traced and the seconds
    of the steps that traced them."""
    loss: list = field(default_factory=list)
    classification_rate: list = field(default_factory=list)
    # fit(compile=...): the programs traced (one per batch shape: a last, smaller batch makes a
    # second) and the seconds of the steps that made them (the step traced twice, the program
    # generated, and its first run)
    programs: int = 0
    trace_seconds: float = 0.0

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
        progress: bool | None = None, compile: bool | str = False) -> History:
    """Train `model` on inputs X (n, ...) and targets y (class indices, one-hot rows, or values).

    loss        loss(model(X_batch), y_batch) -> scalar Node; cross_entropy by default.
    optimizer   Adam(model.parameters(), lr=1e-3) by default.
    batch_size  examples per step; None means the whole set in every step (no shuffling).
    seed        the shuffling of the examples before each epoch.
    metric      metric(output, targets) -> float recorded per epoch as classification_rate;
                "auto" is classification_rate for cross_entropy and binary_cross_entropy.
    progress    a tqdm progress bar (optional extra `progress`): None shows it on runs longer
                than a second when stdout is a terminal.
    compile     run each step as a program traced once per batch shape (`autograph.compile`):
                the same numbers, faster for small networks. True replays it with numpy,
                "numba" with the numba backend (the optional extra `jit`). The model and loss
                must not read values in Python (see autograph.compile); the history counts
                the programs made and the seconds spent making them.

    The model trains in training mode (`Dropout` drops; the per-epoch classification rate is
    measured on those training outputs, as Keras reports it) and is left in the mode each of
    its modules was in before: a model in `eval()` mode is back in it afterwards, a new model
    stays in training mode (call `model.eval()` before predicting, as in torch;
    `plot_decision_regions` and `unit_report` evaluate in evaluation mode themselves).

    >>> from autograph.data import three_clusters
    >>> data, classes = three_clusters()
    >>> model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", rng=0)
    >>> history = fit(model, data, classes, optimizer=Adam(model, lr=0.05), epochs=300)
    >>> history.classification_rate[-1] >= 0.95
    True
    >>> compiled = fit(model, data, classes, optimizer=Adam(model, lr=0.05), epochs=3,
    ...                batch_size=128, compile=True)     # batches of 128, 128 and 44
    >>> compiled.programs
    2
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
    if compile not in (None, False, True, "numba"):
        # a truthy string such as "jax" would otherwise train with numpy, quietly
        raise ValueError(f"fit: compile must be False, True (numpy replay) or 'numba', "
                         f"got {compile!r}")

    with mode(model, training=True):
        return _fit(model, X, y, loss, optimizer, epochs, batch, n, seed, metric, summed,
                    progress, compile)


def _fit(model, X, y, loss, optimizer, epochs, batch, n, seed, metric, summed, progress,
         compile) -> History:
    history = History()
    step, targets = _eager_step(model, loss, optimizer), y
    if compile:
        step, targets = _compiled_step(model, loss, optimizer, X, y, history,
                                       backend="numba" if compile == "numba" else None)

    shuffle = batch < n
    rng = np.random.default_rng(seed)
    # the loss may see the targets as the compiled step needs them (one-hot rows); the metric
    # always sees them as given, as in eager mode
    arrays = (X, y) if targets is y else (X, y, targets)
    epoch_arrays = tuple(np.empty_like(a) for a in arrays) if shuffle else arrays
    X_epoch, y_epoch, targets_epoch = epoch_arrays[0], epoch_arrays[1], epoch_arrays[-1]
    epoch_range, bar = _epochs(int(epochs), progress)
    for _ in epoch_range:
        if shuffle:   # one gather per epoch into reused arrays; batches are then views
            order = rng.permutation(n)
            for a, out in zip(arrays, epoch_arrays):
                np.take(a, order, axis=0, out=out)
        total = correct = 0.0
        for start in range(0, n, batch):
            X_batch, y_batch = X_epoch[start:start + batch], y_epoch[start:start + batch]
            batch_loss, output = step(X_batch, targets_epoch[start:start + batch])
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


def _compiled_step(model, loss, optimizer, X, y, history: History, backend=None):
    """The step traced once per batch shape, and the targets it takes: they go in as Nodes
    (one-hot rows for cross_entropy), which every loss reads without looking at their numbers.
    Each step that traces adds to `history.programs` and `history.trace_seconds`."""
    from autograph.compiler import compile as compile_step
    with mode(model, training=False):       # (no dropout mask drawn: eager draws none here)
        probe = model(X[:1])      # the output's unit and width, as the eager step would see
    base = getattr(loss, "func", loss)
    output = value_of(probe)
    dtype = np.result_type(output)
    targets = y
    # as the eager losses take array targets: in the output's float type (float64 targets
    # would otherwise make a float32 model's loss and gradients float64), and for
    # cross_entropy class indices as one-hot rows
    if base is cross_entropy:
        targets = one_hot_targets(y, np.shape(output)[-1], dtype)
    elif base in (binary_cross_entropy, mean_squared_error) and dtype.kind == "f":
        targets = _cast(y, dtype, base.__name__)
    traced = compile_step(_eager_step(model, loss, optimizer), backend=backend)
    # A program is guarded by whether each .grad is None, and every step but the first finds
    # the gradients of the step before: starting from zero arrays, which the step's zero_grad
    # forgets before backward, spares a second program made for the first step alone.
    for p in optimizer.parameters:
        if p.grad is None:
            p.grad = np.zeros_like(p.value)

    def step(X_batch, t_batch):
        traces, start = traced.traces, time.perf_counter()
        try:
            batch_loss, output = traced(X_batch, Node(t_batch))
        except Exception as error:
            if traced.traces != traces and hasattr(error, "add_note"):     # Python 3.11+
                error.add_note(_trace_failed(loss, base, t_batch))
            raise
        if traced.traces != traces:
            history.programs += 1
            history.trace_seconds += time.perf_counter() - start
        if isinstance(probe, Node):     # metrics read the output unit (a sigmoid's threshold)
            output = Node(output)
            output.op = probe.op
        return batch_loss, output
    return step, targets


def _trace_failed(loss, base, targets) -> str:
    """What to do when fit(compile=...) cannot trace a step that may run eagerly."""
    name = getattr(base, "__qualname__", type(base).__name__)
    text = (f"fit(compile=...): tracing the step (the model, {name}, backward, the optimizer's "
            "step) failed; fit(compile=False) runs it eagerly.")
    if base not in (cross_entropy, binary_cross_entropy, mean_squared_error) and \
            targets.dtype.kind in "iub":
        text += (f" The loss got the targets {targets.shape} {targets.dtype} as a Node, whose "
                 "numbers it may not read while tracing: class indices become one-hot rows "
                 "only for cross_entropy itself (or a functools.partial of it); pass that, or "
                 "one-hot targets.")
    return text


__all__ = ["History", "fit"]
