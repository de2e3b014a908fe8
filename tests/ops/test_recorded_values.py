"""Every registered primitive: the values a recorded graph keeps for its gradient rules are
read-only, however one tries to write into them, and backward after the attempts still gives
the central-difference gradient. The ops come from the registry (`PRIMITIVES`): a new op is
covered by the sweep without a line here, or named in SPECIAL if it needs parameters.
"""

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from autograph.core.node import PRIMITIVES, Node
from tests.helpers import numeric_gradients

rng = np.random.default_rng(2027)


def normal(*shape):
    return rng.uniform(-0.9, 0.9, shape)


def well_conditioned(n):
    return normal(n, n) + n * np.eye(n)


def symmetric_with_gaps(n):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * (1.5 * np.arange(1, n + 1))) @ q.T


def spd(n):
    b = normal(n, n)
    return b @ b.T + n * np.eye(n)


# Away from 0 and from integers where a kink or a jump would spoil central differences.
DOMAINS = {
    "real": lambda shape: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.15, 0.85, shape),
    "positive": lambda shape: rng.uniform(0.5, 2.0, shape),
    "nonzero": lambda shape: rng.choice([-1.0, 1.0], shape) * rng.uniform(1.1, 1.9, shape),
    "unit": lambda shape: rng.uniform(-0.8, 0.8, shape),
    "above_one": lambda shape: rng.uniform(1.2, 3.0, shape),
}


def _library_primitives() -> dict:
    """The registry less the primitives that test modules register (wrong rules on purpose)."""
    def defined_in_autograph(primitive):
        rules = primitive.vjps if isinstance(primitive.vjps, tuple) else (primitive.vjps,)
        return all(getattr(rule, "__module__", type(rule).__module__).startswith("autograph.")
                   for rule in rules if rule is not None)
    return {name: p for name, p in PRIMITIVES.items() if defined_in_autograph(p)}


P = _library_primitives()

# Primitives that need parameters or particular inputs: (function of the inputs, inputs).
SPECIAL = {
    "astype": (lambda x: P["astype"](x, dtype=np.dtype(np.float64)), [normal(3, 2)]),   # the same array
    "broadcast_to": (lambda x: P["broadcast_to"](x, shape=(2, 3, 2)), [normal(3, 2)]),
    "cholesky": (lambda a: P["cholesky"](a), [spd(3)]),
    "concatenate": (lambda x, y: P["concatenate"](x, y, axis=1), [normal(2, 3), normal(2, 1)]),
    "cumprod": (lambda x: P["cumprod"](x, axis=1), [DOMAINS["nonzero"]((2, 3))]),
    "cumsum": (lambda x: P["cumsum"](x, axis=0), [normal(3, 2)]),
    "eigh": (lambda a: P["eigh"](a), [symmetric_with_gaps(3)]),
    "einsum": (lambda x, y: P["einsum"](x, y, subscripts="ij,jk->ik",
                                              optimize=False),
               [normal(2, 3), normal(3, 2)]),
    "getitem": (lambda x: P["getitem"](x, index=(slice(None), 1)), [normal(3, 2)]),   # a view
    "leaky_relu": (lambda x: P["leaky_relu"](x, alpha=0.1), [DOMAINS["real"]((3, 2))]),
    "log_softmax": (lambda x: P["log_softmax"](x, axis=-1), [normal(3, 4)]),
    "reshape": (lambda x: P["reshape"](x, shape=(6,)), [normal(3, 2)]),              # a view
    "scatter_add": (lambda g: P["scatter_add"](g, index=np.array([0, 2, 0]), shape=(4,)),
                    [normal(3)]),
    "softmax": (lambda x: P["softmax"](x, axis=0), [normal(3, 4)]),
    "stack": (lambda x, y, z: P["stack"](x, y, z, axis=1), [normal(2), normal(2), normal(2)]),
    "swapaxes": (lambda x: P["swapaxes"](x, axis1=0, axis2=1), [normal(3, 2)]),
    "transpose": (lambda x: P["transpose"](x, axes=None), [normal(3, 2)]),
    "svd": (lambda a: P["svd"](a), [np.diag([3.0, 2.0, 1.0]) + 0.1 * normal(3, 3)]),
    "qr": (lambda a: P["qr"](a), [normal(4, 3)]),
    "where": (lambda x, y: P["where"](np.array([[True, False], [False, True]]), x, y),
              [normal(2, 2), normal(2, 2)]),
    "norm": (lambda x: P["norm"](x), [normal(3, 2)]),
    "p_norm": (lambda x: P["p_norm"](x, ord=3, axis=1), [normal(3, 2)]),
    "power": (lambda x, y: P["power"](x, y), [DOMAINS["positive"]((3, 2)), normal(3, 2)]),
}


def case(name):
    """(function of the differentiable inputs, the inputs) for the primitive `name`."""
    if name in SPECIAL:
        return SPECIAL[name]
    primitive = P[name]
    count = len(primitive.vjps)
    if primitive.kind == "linalg":
        inputs = [well_conditioned(3) for _ in range(count)]
    else:
        inputs = [DOMAINS[primitive.domain]((3, 2)) for _ in range(count)]
    return primitive, inputs


WRITES = {
    "v[...] = 5": lambda v: v.__setitem__(Ellipsis, 5.0),
    "v[0:1][...] = 5": lambda v: (v[0:1] if v.ndim else v[...]).__setitem__(Ellipsis, 5.0),
    "np.asarray(v)[...] = 5": lambda v: np.asarray(v).__setitem__(Ellipsis, 5.0),
    "v.T[...] = 5": lambda v: v.T.__setitem__(Ellipsis, 5.0),
    "v.view()[...] = 5": lambda v: v.view().__setitem__(Ellipsis, 5.0),
    "v.flat[0] = 5": lambda v: v.flat.__setitem__(0, 5.0),
    "v *= 2": lambda v: v.__imul__(2.0),
    "np.add(v, 1, out=v)": lambda v: np.add(v, 1.0, out=v),
    "np.copyto(v, 0)": lambda v: np.copyto(v, 0.0),
}


def recorded_nodes(root):
    """Every Node of root's graph, found without recursion."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(p for p in node.parents if isinstance(p, Node))
    return list(seen.values())


def squared(f):
    # the consumer `y * y` reads y in its gradient rules, whatever f's own rule reads
    def g(*xs):
        y = f(*xs)
        return y * y
    return g


def check_writes_refused_and_gradient_kept(f, inputs):
    f = squared(f)
    numeric, projection = numeric_gradients(f, inputs)
    params = [ag.parameter(x, name=f"x{i}") for i, x in enumerate(inputs)]
    loss = (f(*params) * projection).sum()
    nodes = recorded_nodes(loss)
    kept = [(node, node.value.copy()) for node in nodes]
    for node in nodes:
        if not isinstance(node.value, np.ndarray) or not (node.parents or node.requires_grad):
            continue        # a constant made for the projection: never read by backward
        for name, write in WRITES.items():
            with pytest.raises(ValueError, match="read-only"):
                write(node.value)
        with pytest.raises(TypeError, match="read-only|no item assignment"):
            node[...] = 5.0
    for node, value in kept:
        np.testing.assert_array_equal(node.value, value, err_msg=node.label)
    loss.backward()
    for param, expected in zip(params, numeric):
        np.testing.assert_allclose(param.grad, expected, rtol=1e-5, atol=1e-7,
                                   err_msg=param.label)
        # the gradients are the caller's arrays, to change at will
        assert param.grad.flags.writeable
        assert not any(np.shares_memory(param.grad, node.value) for node in nodes)


def test_every_primitive_has_a_case():
    assert len(P) >= 90 and {"exp", "matmul", "getitem", "svd", "concatenate"} <= set(P)
    for name in sorted(P):
        f, inputs = case(name)
        with np.errstate(all="raise"):
            out = f(*[ag.parameter(x) for x in inputs])
        assert isinstance(out, Node) and out.requires_grad, name


@pytest.mark.parametrize("name", sorted(P))
def test_writes_into_a_recorded_value_are_refused_and_backward_is_unchanged(name):
    f, inputs = case(name)
    check_writes_refused_and_gradient_kept(f, inputs)


# --- random compositions: chains of registered ops, in any order ---------------------------------

def _unary_ops():
    names = []
    for name, primitive in sorted(P.items()):
        if name not in SPECIAL and primitive.domain == "real" and \
                primitive.kind in ("elementwise", "activation") and len(primitive.vjps) == 1:
            names.append(name)
    return names


UNARY = _unary_ops()
BINARY = ["add", "subtract", "multiply", "maximum", "minimum", "hypot", "arctan2", "logaddexp"]


def test_the_composition_sweep_has_ops():
    assert {"sigmoid", "tanh", "exp", "relu", "absolute"} <= set(UNARY)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(UNARY), st.sampled_from(BINARY)),
                min_size=1, max_size=5),
       st.integers(0, 2**16))
def test_random_chains_refuse_writes_and_keep_their_gradients(steps, seed):
    data = np.random.default_rng(seed)
    x0 = data.choice([-1.0, 1.0], (2, 3)) * data.uniform(0.2, 0.8, (2, 3))
    w0 = data.choice([-1.0, 1.0], (2, 3)) * data.uniform(0.2, 0.8, (2, 3))

    def f(x, w):
        y = x * w
        for name in steps:
            y = P[name](y, w) if name in BINARY else P[name](y)
            y = P["tanh"](y)                  # keeps values small, away from kinks' scale
        return y
    with np.errstate(all="ignore"):
        values = squared(f)(x0, w0)
    if not np.all(np.isfinite(values)):
        return
    # a kink (relu, abs, max) within the finite-difference step would spoil the comparison
    check_writes_refused_and_gradient_kept(f, [x0, w0])


# --- index arrays: getitem's rule reads the index it was recorded with ---------------------------

INDEXES = {
    "integer array": lambda: np.array([2, 0, 2]),
    "boolean mask": lambda: np.array([True, False, True, True]),
    "list": lambda: [3, 1],
    "nested list": lambda: [[0, 1], [3, 3]],
    "tuple of arrays": lambda: (np.array([0, 3]),),
    "array and slice": lambda: (np.array([1, 2]), slice(None)),
}


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(INDEXES)), st.integers(0, 2**16))
def test_an_index_changed_after_recording_does_not_move_the_gradient(kind, seed):
    data = np.random.default_rng(seed)
    x0 = data.standard_normal((4, 2)) if kind == "array and slice" else data.standard_normal(4)
    index = INDEXES[kind]()
    x = ag.parameter(x0, name="x")
    picked = x[index]
    weights = data.standard_normal(picked.shape)
    loss = (picked * picked * weights).sum()
    # the caller reuses their index for something else (the next batch's positions)
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, np.ndarray):
            part[...] = part[::-1] if part.dtype == bool else (part + 1) % 4
        elif isinstance(part, list):
            part.reverse()
            if part and isinstance(part[0], list):
                part[0][0] = 2
    loss.backward()
    expected = np.zeros_like(x0)
    np.add.at(expected, INDEXES[kind](), 2 * x0[INDEXES[kind]()] * weights)   # by hand
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)


# --- views of constants: an op that needs no gradient, read later by one that does ----------

@pytest.mark.parametrize("recorded", [True, False])
@pytest.mark.parametrize("name", sorted(P))
def test_a_constants_array_written_after_a_graph_read_a_view_of_it(name, recorded):
    # c[0:3] of a constant is a view of c's array: a graph recording it later kept reading
    # through it, and a write into c's array (not locked: c fed no op needing a gradient)
    # changed w's gradient but not the loss; the same for a view made under no_grad
    f, inputs = case(name)
    constants = [ag.constant(x) for x in inputs]
    with contextlib.nullcontext() if recorded else ag.no_grad():
        y = f(*constants)
    w = ag.parameter(np.ones(y.shape))
    loss = (y * w).sum()
    expected = y.value.copy()                   # d loss / d w, as the loss was computed
    for c in constants:
        if c.value.flags.writeable:
            c.value[...] = 5.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, expected)
