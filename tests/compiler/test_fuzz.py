"""Random compositions of the registered ops: compiled and eager agree, call after call.

The ops come from the registry (`PRIMITIVES`), so a new op is fuzzed without a line here.
Each example is replayed on inputs other than the ones it was traced on: a value frozen at
trace time (a mask, a maximum's winner, a sign) would show up as a difference.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from autograph.compiler import TraceError
from autograph.core.node import PRIMITIVES


def _unary_ops() -> list:
    """Every registered elementwise op or activation of one argument, defined on all reals,
    that needs no parameters; and the reductions with their defaults."""
    ops, sample = [], ag.constant(np.linspace(-1.0, 1.0, 12).reshape(3, 4))
    for name, primitive in sorted(PRIMITIVES.items()):
        if primitive.kind not in ("elementwise", "activation", "reduction") \
                or primitive.differentiable != (0,) or primitive.domain != "real":
            continue
        try:
            primitive(sample)
        except (TypeError, ag.ShapeError):   # it needs parameters (astype's dtype, an alpha)
            continue
        ops.append((name, primitive))
    return ops


UNARY = _unary_ops()
CORE = {"exp", "sigmoid", "tanh", "relu", "absolute", "sum", "max", "min", "softplus",
        "negative", "square", "add", "subtract", "multiply", "maximum", "minimum",
        "mask", "where", "log"}
BINARY = [("add", ag.add), ("subtract", ag.subtract), ("multiply", ag.multiply),
          ("maximum", ag.maximum), ("minimum", ag.minimum),
          ("mask", lambda y, w: y * (y > w)), ("where", lambda y, w: ag.where(y < w, y, 2.0 * y)),
          ("log", lambda y, w: ag.log(y * y + w * w + 0.5))]


def test_the_registry_gives_enough_ops():
    names = {name for name, _ in UNARY}
    assert {"exp", "sigmoid", "tanh", "relu", "absolute", "sum", "max"} <= names


@st.composite
def programs(draw):
    steps = draw(st.lists(st.one_of(st.sampled_from(UNARY), st.sampled_from(BINARY)),
                          min_size=1, max_size=6))
    return steps


def _apply(steps, x, w):
    y = x * w
    for name, op in steps:
        if np.ndim(ag.value_of(y)) == 0 and name in ("max", "softmax", "log_softmax"):
            continue
        y = op(y, w) if (name, op) in BINARY else op(y)
        if name in ("exp",):                 # keep values in a range where exp stays finite
            y = ag.tanh(y)
    return y.sum()


@settings(max_examples=40, deadline=None)
@given(programs(), st.integers(0, 2**16))
def test_compiled_equals_eager(steps, seed):
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((3, 4))
    w_eager, w_compiled = ag.parameter(w0), ag.parameter(w0)

    def make(w):
        def f(x):
            loss = _apply(steps, x, w)
            w.zero_grad()
            loss.backward()
            return loss
        return f
    eager, compiled = make(w_eager), ag.compile(make(w_compiled))
    for _ in range(3):
        x = rng.standard_normal((3, 4))
        with np.errstate(all="ignore"):
            try:
                expected = eager(x).value
            except FloatingPointError:
                # eager mode refuses a gradient there (exp2 or sinh overflowed into a
                # logsumexp): no number to compare with
                return
            try:
                got = compiled(x)
            except TraceError:
                # a rule that branches on values (prod's) is refused by name, never replayed
                # stale; the ops of everyday networks are never refused
                assert not {name for name, _ in steps} <= CORE
                return
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(w_compiled.grad, w_eager.grad, rtol=1e-12, atol=1e-12)
