"""Compare hand-derived gradients with reverse mode, parameter by parameter, and report.

>>> import numpy as np, autograph as ag
>>> w = ag.parameter([1.0, -2.0, 3.0], name="w")
>>> loss = (w * w).sum()
>>> report = check_gradients(loss, [w], {"w": -2 * w.value})
>>> report.ok, report.exit_code
(False, 1)
>>> report["w"].diagnosis.split(" (")[0]
'hand-derived = autodiff with the sign flipped'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from autograph.core import Node, gradients
# Entry, the record of one disagreeing entry, is compare's; re-exported as autograph.verify.Entry.
from autograph.core.compare import Entry, Tolerance, compare, tolerance_for  # noqa: F401
from autograph.verify.diagnose import Diagnoser


@dataclass
class ParameterCheck:
    """The comparison for one parameter. `mask` marks the disagreeing entries (all of them
    when the shapes differ); `worst` lists the most disagreeing entries (`Entry`: `.index`,
    `.hand`, `.autodiff`); `diagnosis` says in words what the mistake looks like."""
    name: str
    shape: tuple
    hand_shape: tuple
    ok: bool
    max_abs_error: float
    max_rel_error: float
    disagreeing: int
    tolerance: Tolerance
    worst: list = field(default_factory=list)
    diagnosis: str | None = None
    hand: np.ndarray | None = field(default=None, repr=False)
    autodiff: np.ndarray | None = field(default=None, repr=False)
    mask: np.ndarray | None = field(default=None, repr=False)


@dataclass
class GradientReport:
    """Per-parameter checks. `str()` is a terminal table; `exit_code` is 0 when all agree."""
    checks: list
    title: str = "hand-derived gradients against reverse mode"

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def failed(self) -> list:
        return [c for c in self.checks if not c.ok]

    def __getitem__(self, name: str) -> ParameterCheck:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no parameter {name!r} in this report; it has "
                       f"{', '.join(c.name for c in self.checks)}")

    def __str__(self) -> str:
        verdict = "PASS" if self.ok else f"FAIL ({len(self.failed)} of {len(self.checks)} disagree)"
        tolerances = sorted({str(c.tolerance) for c in self.checks})
        lines = [f"{self.title}: {verdict}", f"  tolerance {'; '.join(tolerances)}"]
        width = max([len(c.name) for c in self.checks] + [9])
        shapes = [str(c.shape) if c.hand_shape == c.shape else f"{c.hand_shape} != {c.shape}"
                  for c in self.checks]
        across = max([len(s) for s in shapes] + [5])
        lines.append(f"  {'parameter':<{width}}  {'shape':<{across}} {'max abs err':>11} "
                     f"{'max rel err':>11}  result")
        for c, shape in zip(self.checks, shapes):
            lines.append(f"  {c.name:<{width}}  {shape:<{across}} {c.max_abs_error:>11.3g} "
                         f"{c.max_rel_error:>11.3g}  "
                         + ("ok" if c.ok else f"FAIL ({c.disagreeing} of "
                            f"{int(np.prod(c.shape))} entries)"))
        for c in self.failed:
            lines.append(f"  {c.name}:")
            for e in c.worst:
                index = ", ".join(map(str, e.index))
                lines.append(f"    {c.name}[{index}]: hand {e.hand:.10g}, autodiff "
                             f"{e.autodiff:.10g} (error {e.abs_error:.3g})")
            lines.append(f"    diagnosis: {c.diagnosis}")
        return "\n".join(lines)

    def diagram(self, output, **options):
        """The network of `output` with the disagreeing weights highlighted, drawn by
        `autograph.diagrams.network_diagram`; returns its Diagram (`.source`, `.render`).

        `output`'s parameters must carry the names used in this report."""
        try:
            from autograph.diagrams import network_diagram
        except ImportError as error:
            raise RuntimeError("report.diagram needs autograph.diagrams.network_diagram, "
                               f"which is not available here ({error})") from error
        highlight = {c.name: c.mask for c in self.failed}
        return network_diagram(output, highlight=highlight, **options)


def check_gradients(loss: Node | Callable, params: Sequence[Node] | Mapping,
                    hand: Mapping | Callable, *, rtol: float | None = None,
                    atol: float | None = None, history: Sequence | Mapping | None = None,
                    worst: int = 3, title: str | None = None) -> GradientReport:
    """Compare hand-derived gradients with the engine's reverse-mode gradients.

    - `loss`: a scalar Node built from named parameter Nodes, or a function called with the
      parameters as keyword arguments (Nodes) that returns one.
    - `params`: the parameter Nodes (a list, named, or a dict name -> Node), or for a function
      `loss` a dict name -> array.
    - `hand`: dict name -> array, or a function called with the parameter values as keyword
      arrays returning that dict. Parameters it leaves out are not checked.
    - `rtol`, `atol`: entry-wise |hand - autodiff| <= atol + rtol |autodiff|. By default they
      follow the least precise dtype (float64: 1e-7 and 1e-9 x max|autodiff|; float32: 1e-4
      and 1e-5 x max|autodiff|).
    - `history`: earlier parameter values, a list of dicts name -> array (or a dict label ->
      such a dict); a disagreeing gradient is tested against the gradients there.

    >>> import numpy as np, autograph as ag
    >>> x = ag.constant([[1.0, 2.0], [3.0, 4.0]], name="x")
    >>> w = ag.parameter([[0.5], [-1.0]], name="w")
    >>> report = check_gradients((x @ w).sum(), [w], {"w": x.value.sum(axis=0, keepdims=True).T})
    >>> report.ok
    True
    """
    nodes, root = _graph(loss, params)
    values = {name: node.value for name, node in nodes.items()}
    given = hand(**values) if callable(hand) else hand
    unknown = [name for name in given if name not in nodes]
    if unknown:
        raise ValueError(f"check_gradients: hand-derived gradients for {', '.join(unknown)}, "
                         f"which are not parameters ({', '.join(nodes)})")
    names = [name for name in nodes if name in given]
    auto = dict(zip(names, (np.asarray(g) for g in gradients(root, [nodes[n] for n in names]))))
    diagnoser = Diagnoser(root, nodes, auto, _snapshots(history, nodes))
    checks = [_compare(name, np.asarray(given[name]), auto[name], diagnoser, rtol, atol, worst)
              for name in names]
    return GradientReport(checks, title or GradientReport.title)


def assert_gradients_match(loss: Node | Callable, params: Sequence[Node] | Mapping,
                           hand: Mapping | Callable, **options) -> GradientReport:
    """`check_gradients` for tests: raises AssertionError with the report as its message.

    >>> import autograph as ag
    >>> w = ag.parameter([1.0, 2.0], name="w")
    >>> assert_gradients_match((w * w).sum(), [w], {"w": 2 * w.value}).ok
    True
    """
    __tracebackhide__ = True   # pytest shows the report, not this frame
    report = check_gradients(loss, params, hand, **options)
    if not report.ok:
        raise AssertionError("\n" + str(report))
    return report


def _graph(loss, params) -> tuple[dict, Node]:
    """(name -> parameter Node, scalar root) from the two accepted forms."""
    if isinstance(loss, Node):
        if isinstance(params, Mapping):
            nodes = dict(params)
        else:
            nodes = {}
            for p in params:
                if not isinstance(p, Node) or not p.name:
                    raise ValueError("check_gradients: parameters of a Node loss must be named "
                                     "Nodes (ag.parameter(value, name=...)) or a dict "
                                     "name -> Node")
                nodes[p.name] = p
        root = loss
    elif callable(loss):
        if not isinstance(params, Mapping):
            raise ValueError("check_gradients: a loss function needs params as a dict "
                             "name -> array")
        nodes = {name: Node(value.value if isinstance(value, Node) else value,
                            requires_grad=True, name=name) for name, value in params.items()}
        root = loss(**nodes)
    else:
        raise TypeError(f"check_gradients: loss must be a Node or a function, got "
                        f"{type(loss).__name__}")
    if not isinstance(root, Node) or np.size(root.value) != 1:
        raise ValueError(f"check_gradients: the loss must be a scalar Node, got "
                         f"{type(root).__name__} of shape {np.shape(root)}")
    bad = [name for name, node in nodes.items() if not node.requires_grad]
    if bad:
        raise ValueError(f"check_gradients: {', '.join(bad)} do not require a gradient")
    return nodes, root


def _snapshots(history, nodes) -> list:
    if history is None:
        return []
    items = history.items() if isinstance(history, Mapping) else \
        ((f"history[{i}]", snap) for i, snap in enumerate(history))
    snapshots = []
    for label, snap in items:
        unknown = [name for name in snap if name not in nodes]
        if unknown:
            raise ValueError(f"check_gradients: history {label} names {', '.join(unknown)}, "
                             f"which are not parameters ({', '.join(nodes)})")
        snapshots.append((str(label), dict(snap)))
    return snapshots


def _compare(name, hand, auto, diagnoser, rtol, atol, worst) -> ParameterCheck:
    tolerance = tolerance_for([hand, auto], rtol, atol)
    # compare refuses differing shapes (all entries disagree) and NaN in the hand-derived array
    result = compare(hand, auto, tolerance, worst)
    return ParameterCheck(name, auto.shape, hand.shape, result.ok, result.max_abs_error,
                          result.max_rel_error, result.disagreeing, tolerance, result.worst,
                          None if result.ok else diagnoser.explain(name, hand, tolerance),
                          hand, auto, result.mask)
