"""Functions of functions, as in JAX and HIPS autograd: grad, value_and_grad, jacobian, hessian.

Arrays in give arrays out. An argument may also be a tuple, list or dict of arrays (nested
too): its gradient has the same structure, as in autograd and JAX (pytrees). A result that
depends on a variable of a graph being recorded (an argument that is a Node requiring a
gradient, or such a Node that the function closes over) is a Node instead, with the graph of
the derivative kept, so that the enclosing graph goes on through it: derivatives nest,
grad(grad(f)), and ``x * grad(lambda t: x * t)(2.0)`` is x * x.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from autograph.core.backward import gradients
from autograph.core.graph import topological_order
from autograph.core.modes import current_modes, enable_grad
from autograph.core import node as _node
from autograph.core.node import Node, value_of


def _argnums(argnums) -> tuple:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _as_leaf(x):
    """The variable to differentiate with respect to, and whether the call is nested."""
    if isinstance(x, Node) and x.requires_grad:
        # a variable of an enclosing graph: keep its graph, through a copy of its own, so that
        # the same Node passed twice (f(x, x), f((x, x))) has a gradient per position
        from autograph.ops.shape import copy
        return copy(x), True
    return Node(value_of(x), requires_grad=True), False


def _flatten(x) -> tuple[list, Callable]:
    """The arrays inside `x` (a tuple, list or dict of them, nested), and a function that puts
    a list of the same length back into x's structure."""
    if isinstance(x, dict):
        keys = list(x)
        parts = [_flatten(x[k]) for k in keys]
        sizes = [len(leaves) for leaves, _ in parts]

        def rebuild(items):
            out, start = {}, 0
            for k, (_, inner), n in zip(keys, parts, sizes):
                out[k] = inner(items[start:start + n])
                start += n
            return out
        return [leaf for leaves, _ in parts for leaf in leaves], rebuild
    if isinstance(x, (list, tuple)):
        parts = [_flatten(item) for item in x]
        sizes = [len(leaves) for leaves, _ in parts]

        def rebuild(items):
            out, start = [], 0
            for (_, inner), n in zip(parts, sizes):
                out.append(inner(items[start:start + n]))
                start += n
            return type(x)(out) if type(x) in (list, tuple) else type(x)(*out)
        return [leaf for leaves, _ in parts for leaf in leaves], rebuild
    return [x], lambda items: items[0]


def _leaves_like(v, x) -> list:
    """The arrays of `v` in the order of `_flatten(x)`: a dict's entries by x's keys (v's own
    order may differ), each array of its entry's shape in x."""
    if isinstance(x, dict) and isinstance(v, dict):
        if set(v) != set(x):
            raise ValueError(f"hvp: the vector's keys {sorted(v, key=str)} are not the "
                             f"argument's {sorted(x, key=str)}")
        return [leaf for k in x for leaf in _leaves_like(v[k], x[k])]
    if isinstance(x, (list, tuple)) and isinstance(v, (list, tuple)) and len(v) == len(x):
        return [leaf for vi, xi in zip(v, x) for leaf in _leaves_like(vi, xi)]
    if isinstance(x, (dict, list, tuple)) or isinstance(v, (dict, list, tuple)) \
            and np.ndim(value_of(x)) == 0:
        return _flatten(v)[0]        # structures that differ: hvp counts the arrays and says so
    if np.shape(value_of(v)) != np.shape(value_of(x)):
        raise ValueError(f"hvp: the vector's part {np.shape(value_of(v))} does not match the "
                         f"argument's {np.shape(value_of(x))}")
    return [v]


def _as_leaves(x):
    """`x` with every array inside it made a variable: (x, its variables, how to rebuild
    gradients into x's structure, whether any was given as a variable of an enclosing graph,
    the variables made here)."""
    arrays, rebuild = _flatten(x)
    pairs = [_as_leaf(a) for a in arrays]
    leaves = [leaf for leaf, _ in pairs]
    fresh = [leaf for leaf, given in pairs if not given]
    return rebuild(leaves), leaves, rebuild, any(given for _, given in pairs), fresh


def _depends_on_others(out, own) -> bool:
    """Whether `out` reaches a leaf requiring a gradient other than the transform's `own` new
    leaves: a variable of an enclosing graph, passed in or closed over."""
    own = {id(leaf) for leaf in own}
    return any(not node.parents and id(node) not in own and node is not out
               for node in topological_order(out, requiring_grad=True))


def _evaluate(f, args, kwargs, wrt, given, has_aux=False):
    """f(*args) recorded (even inside `no_grad`: a derivative needs its graph), its aux (with
    `has_aux`), and whether the derivatives must stay in the graph being recorded around this
    call."""
    recording = current_modes().grad_enabled
    with enable_grad():
        out = f(*args, **kwargs)
    aux = None
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"grad: with has_aux=True, {getattr(f, '__name__', 'f')} must "
                            f"return a pair (output, aux), got {type(out).__name__}")
        out, aux = out
    outs = _flatten(out)[0]     # jacobian's f may return a container: nested if any part is
    nested = recording and any(isinstance(o, Node) and o.requires_grad and (
        given or _depends_on_others(o, wrt)) for o in outs)
    return out, aux, nested


def _retire(fresh) -> None:
    """The transform is done: its own variables become constants, the points at which its
    derivatives were taken. A graph kept for an enclosing derivative then does not count
    them as variables of its own (grad of grad), and backward does not walk into them."""
    for leaf in fresh:
        leaf.requires_grad = False


def _derivatives(out, wrt, seed, nested):
    if not isinstance(out, Node) or not out.requires_grad:   # out does not depend on wrt
        zeros = [np.zeros_like(w.value) for w in wrt]
        return [Node(z) for z in zeros] if nested else zeros
    with enable_grad():
        return gradients(out, wrt, seed, create_graph=nested)


def _plain(aux, nested: bool, start: int, handed: set):
    """`aux` with its Nodes (also inside tuples, lists and dicts) as arrays of the caller's
    own (see `_handed_out`), unless nested."""
    if nested:
        return aux
    if isinstance(aux, Node):
        return _handed_out(aux, start, handed)
    if isinstance(aux, (tuple, list)):
        items = [_plain(a, nested, start, handed) for a in aux]
        return type(aux)(*items) if hasattr(aux, "_fields") else type(aux)(items)  # namedtuple
    if isinstance(aux, dict):
        return {k: _plain(v, nested, start, handed) for k, v in aux.items()}
    return aux


def _handed_out(node: Node, start: int, handed: set) -> np.ndarray:
    """`node.value` as a writable array of the caller's own. A value the call made (an op's
    output, a variable made for it: numbered after `start`), read-only because the call's
    graph read it, is unlocked, not copied: that graph is done with it. Should f have kept
    the Node, it becomes a constant, renumbered as `writable` does, so that backward through
    a graph kept from the call is refused rather than read a value the caller may change.
    Anything else (a closed-over parameter, a view, an array an op passed through, a Node
    handed out once already in this result) is copied: a write into a result must change
    nothing else.

    >>> value, _ = value_and_grad(lambda t: (t * t).sum())(np.array([2.0]))
    >>> value.flags.writeable              # the graph's output, locked while recorded
    True
    """
    value = node.value
    if not isinstance(value, np.ndarray):
        return value
    # made by Node() (which copies) or by a recorded op that did not pass an input through
    # (an op under no_grad keeps no inputs to tell)
    if node.order > start and value.base is None and id(node) not in handed and \
            (node.op is None or node.parents) and not any(value is v for v in node.inputs):
        handed.add(id(node))
        value.setflags(write=True)          # owns its data: this cannot fail
        node.order = next(_node._creation)
        node.parents = node.inputs = ()
        node.requires_grad = False
        return value
    return value.copy()


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0,
                   has_aux: bool = False) -> Callable:
    """A function returning (f(*args), gradient of f with respect to args[argnums]).

    With `has_aux`, as in JAX, f returns (output, aux) and the result is ((value, aux),
    gradient): aux is carried along (logits, a metric), not differentiated.

    >>> value, slope = value_and_grad(lambda x: (x ** 3).sum())(np.array([2.0]))
    >>> value, slope                            # x^3 and 3x^2 at x = 2
    (array(8.), array([12.]))
    >>> (value, aux), slope = value_and_grad(lambda x: ((x ** 3).sum(), x * 10),
    ...                                      has_aux=True)(np.array([2.0]))
    >>> aux
    array([20.])
    """
    nums = _argnums(argnums)

    def value_and_grad_f(*args, **kwargs):
        args = list(args)
        given = False
        wrt, structures, fresh = [], [], []
        made_after = next(_node._creation)   # Nodes this call makes are numbered after it
        for i in nums:
            args[i], leaves, rebuild, was_given, made = _as_leaves(args[i])
            given = given or was_given
            structures.append((len(wrt), len(leaves), rebuild))
            wrt.extend(leaves)
            fresh.extend(made)
        try:
            out, aux, nested = _evaluate(f, args, kwargs, wrt, given, has_aux)
            if isinstance(out, (tuple, list, dict)):
                raise TypeError(f"grad: {getattr(f, '__name__', 'f')} must return a scalar, "
                                f"got a {type(out).__name__}; use jacobian for containers, "
                                "or has_aux=True to carry values along")
            if np.size(value_of(out)) != 1:
                raise ValueError(f"grad: {getattr(f, '__name__', 'f')} must return a scalar, "
                                 f"got shape {np.shape(value_of(out))}; use jacobian for "
                                 "vector outputs")
            flat = _derivatives(out, wrt, None, nested)
        finally:
            _retire(fresh)
        grads = [rebuild(flat[start:start + n]) for start, n, rebuild in structures]
        handed = set()
        value = out if nested or not isinstance(out, Node) else \
            _handed_out(out, made_after, handed)
        if has_aux:
            value = (value, _plain(aux, nested, made_after, handed))
        return value, (grads[0] if isinstance(argnums, int) else tuple(grads))

    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function, as a function; nests for higher derivatives.
    With `has_aux`, f returns (output, aux) and the result is (gradient, aux), as in JAX.

    >>> d2 = grad(grad(lambda x: x ** 3))
    >>> d2(2.0)                                 # 6x at x = 2
    array(12.)
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux=has_aux)

    def grad_f(*args, **kwargs):
        value, gradient = value_and_grad_f(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return grad_f


def jacobian(f: Callable, argnum: int = 0) -> Callable:
    """The Jacobian of f with respect to args[argnum], shape f(x).shape + x.shape.

    Built row by row with reverse mode, one backward pass per output entry. As in JAX, x and
    f(x) may be containers (tuples, lists, dicts, nested): the result has f(x)'s structure,
    each part of it x's structure, each block of shape f(x)[i].shape + x[j].shape.

    >>> jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> jacobian(lambda p: p["a"] * p["b"])({"a": np.array([1.0, 2.0]), "b": np.array(3.0)})
    {'a': array([[3., 0.],
           [0., 3.]]), 'b': array([1., 2.])}
    """

    def jacobian_f(*args, **kwargs):
        args = list(args)
        args[argnum], leaves, rebuild, given, fresh = _as_leaves(args[argnum])
        try:
            out, _, nested = _evaluate(f, args, kwargs, leaves, given)
            outs, rebuild_out = _flatten(out)
            blocks = [_jacobian_blocks(o, leaves, nested) for o in outs]
        finally:
            _retire(fresh)
        return rebuild_out([rebuild(row) for row in blocks])

    return jacobian_f


def _jacobian_blocks(out, leaves, nested) -> list:
    """d out / d leaf for each leaf: one backward pass per entry of `out`."""
    out_shape = np.shape(value_of(out))
    rows = []          # per output entry, the gradient for each leaf
    for k in range(int(np.prod(out_shape))):
        seed = np.zeros(out_shape, dtype=leaves[0].dtype if leaves else np.float64)
        seed.reshape(-1)[k] = 1.0
        rows.append(_derivatives(out, leaves, seed, nested))
    return [_assemble([row[j] for row in rows], out_shape + x.shape, nested)
            for j, x in enumerate(leaves)]


def _assemble(rows: list, shape: tuple, nested: bool):
    """One Jacobian block from its rows (one per output entry)."""
    if nested:
        from autograph.ops import reshape, stack
        return reshape(stack(rows), shape)
    return np.stack(rows).reshape(shape) if rows else np.zeros(shape)


def hessian(f: Callable, argnum: int = 0) -> Callable:
    """The matrix of second derivatives of a scalar function: jacobian(grad(f)).

    For a container x (tuple, list, dict), as in JAX, ``H[i][j]`` is the block
    d^2 f / dx[i] dx[j], of shape x[i].shape + x[j].shape.

    >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    >>> H = hessian(lambda p: (p[0] ** 2 * p[1]).sum())((np.array([1.0, 2.0]), np.array(3.0)))
    >>> H[0][1]                                 # d2f / da db = 2a
    array([2., 4.])
    """
    return jacobian(grad(f, argnum), argnum)


def hvp(f: Callable, argnum: int = 0) -> Callable:
    """Hessian-vector product hvp(f)(x, v) = H(x) @ v, without forming H.

    >>> hvp(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    grad_f = grad(f, argnum)

    def hvp_f(*args):
        *args, v = args
        # v has x's structure (arrays, tuples, lists, dicts): its arrays in x's order
        directions = _leaves_like(v, args[argnum]) if argnum < len(args) else _flatten(v)[0]

        def directional(*inner):
            gradients = _flatten(grad_f(*inner))[0]
            if len(gradients) != len(directions):
                raise ValueError(f"hvp: the vector has {len(directions)} arrays, but argument "
                                 f"{argnum} has {len(gradients)}; give v the structure of x")
            return sum((g * d).sum() for g, d in zip(gradients, directions))

        return grad(directional, argnum)(*args)

    return hvp_f
