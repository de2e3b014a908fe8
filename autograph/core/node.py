"""`Node`, a value in a computation graph, and `Primitive`, an operation that makes one.

A primitive is a numpy forward function plus one gradient rule per argument. A rule is
``rule(g, ans, *inputs, **params)``: given the gradient `g` of the output, the output `ans` and
the inputs, it returns the gradient for its argument. Rules are written with operators and
autograph functions, so the same rule runs on numpy arrays (first-order backward, fast) and on
Nodes (``create_graph=True``: the gradient is itself a graph, for higher derivatives).

The rules read the arrays the graph recorded, so those arrays are read-only (see
`LOCK_RECORDED_LEAVES`): an op's output requiring a gradient from the moment it is made, and
each Node operand of a recorded op. A write into one, or a view of one, raises numpy's
"assignment destination is read-only"; `node.value.copy()` is an array of one's own, and
`writable(p)` the way to update a parameter in place.
"""

from __future__ import annotations

import itertools

import numpy as np

from autograph.core.modes import current_modes


class ShapeError(ValueError):
    """An operation was given operands it cannot combine; the message names them."""


class Node:
    """A value in a computation graph: an input, a constant, a parameter or an op's output.

    >>> x = Node([1.0, 2.0, 3.0], requires_grad=True, name="x")
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.])
    >>> y.value.flags.writeable      # the graph's gradient rules may read it
    False
    """

    __slots__ = ("value", "grad", "name", "op", "parents", "inputs", "params", "requires_grad",
                 "order", "__weakref__")
    def __init__(self, value, requires_grad: bool = False, name: str | None = None, dtype=None):
        if isinstance(value, Node):
            value = value.value
        raw = np.asarray(value)                # checked before any cast: a cast hides the kind
        if raw.dtype not in _REAL_DTYPES:
            check_real(raw, f"Node{f' {name}' if name else ''}", repr(value))
        value = np.array(raw, dtype=dtype)     # a copy: the Node owns its value
        if dtype is not None and value.dtype not in _REAL_DTYPES:
            check_real(value, f"Node{f' {name}' if name else ''}", f"dtype={dtype!r}")
        if requires_grad and value.dtype.kind not in "f":
            value = value.astype(np.float64)   # ints and bools have no gradient; floats keep width
        self.value = value
        self.grad = None
        self.name = name
        self.op = None
        self.parents = ()
        self.inputs = ()
        self.params = _NO_PARAMS
        self.requires_grad = bool(requires_grad)
        self.order = next(_creation)      # creation number: backward's topological order

    # --- what it is -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def is_leaf(self) -> bool:
        """No recorded inputs: an input, a parameter, or an op's output under `no_grad`."""
        return not self.parents

    @property
    def label(self) -> str:
        """The name, else the producing operation's name, else 'constant' or 'input'."""
        if self.name:
            return self.name
        if self.op is not None:
            return self.op.name
        return "input" if self.requires_grad else "constant"

    def __repr__(self) -> str:
        body = np.array2string(np.asarray(self.value), threshold=20, precision=6,
                               separator=", ", prefix="Node(")
        extra = f", name={self.name!r}" if self.name else ""
        if self.op is not None:
            extra += f", op={self.op.name}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Node({body}{extra})"

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # --- numpy's functions on Nodes (see autograph.core.dispatch) ----------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:     # `array * node`: spare it the checks
            function = HANDLED.get(ufunc)
            if function is not None:
                return function(*inputs)
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return array_function(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        # numpy calls this wherever it wants a plain array: np.asarray(node), but also
        # a.dot(node) for an ndarray a, a[i] = node, np.sum([node, node]). For a Node that
        # requires a gradient every one of these would cut it from the graph without a word,
        # so, as torch and JAX do, it is refused; the value is there to take on purpose.
        if self.requires_grad:
            raise TypeError(
                f"{describe(self)} requires a gradient: numpy was about to turn it into a "
                "plain array, which would silently cut it from the graph. Use numpy's "
                "functions on it (np.dot(a, W), not a.dot(W) with a numpy array a; "
                "np.stack for a list of Nodes) or take node.value / node.detach() to leave "
                "the graph on purpose")
        if copy:                     # np.array(node) must not hand out the Node's own array
            return np.array(self.value, dtype=dtype)
        return np.asarray(self.value, dtype=dtype)

    def __float__(self) -> float:
        # numpy calls this for `out[i] = node` as it calls __array__ for slices: refused for
        # a Node requiring a gradient, for the same reason; .item() reads the number.
        if self.requires_grad:
            raise TypeError(f"{describe(self)} requires a gradient: float() (or numpy storing "
                            "it into an array) would cut it from the graph; use .item() to "
                            "read the number, or np.stack / np.concatenate to build arrays")
        return float(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def item(self):
        return np.asarray(self.value).item()

    def numpy(self) -> np.ndarray:
        return np.asarray(self.value)

    def detach(self) -> "Node":
        """A constant with the same value, cut from the graph."""
        return Node(self.value, name=self.name)

    def zero_grad(self) -> None:
        self.grad = None

    def requires_grad_(self, requires_grad: bool = True) -> "Node":
        """Make this leaf a variable to differentiate (or not), in place, as torch's; returns
        the Node. Ints and bools become float64, as in `Node(..., requires_grad=True)`.

        >>> Node([1, 2]).requires_grad_().value
        array([1., 2.])
        """
        if self.op is not None:
            raise ValueError(f"requires_grad_: {self.label} {self.shape} is computed by "
                             f"{self.op.name}, not a leaf; only an input or parameter can "
                             "change whether it requires a gradient")
        if requires_grad and self.value.dtype.kind != "f":
            self.value = self.value.astype(np.float64)
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, seed=None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires a gradient.

        `self` must be a scalar unless `seed` (the gradient of some scalar with respect to
        `self`, same shape) is given.
        """
        backward(self, seed, create_graph=create_graph)

    # --- comparisons give plain boolean arrays, as numpy's do: they have no gradient ------------
    def __lt__(self, other):
        return self.value < value_of(other)

    def __le__(self, other):
        return self.value <= value_of(other)

    def __gt__(self, other):
        return self.value > value_of(other)

    def __ge__(self, other):
        return self.value >= value_of(other)

    def __eq__(self, other):
        return self.value == value_of(other)

    def __ne__(self, other):
        return self.value != value_of(other)

    # Identity, as for any object: Nodes are dict keys in backward. Defining __eq__ would
    # otherwise remove it; dicts and sets test identity before equality.
    __hash__ = object.__hash__

    # --- arithmetic: see autograph.ops ------------------------------------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return subtract(self, other)

    def __rsub__(self, other):
        return subtract(other, self)

    def __mul__(self, other):
        return multiply(self, other)

    def __rmul__(self, other):
        return multiply(other, self)

    def __truediv__(self, other):
        return divide(self, other)

    def __rtruediv__(self, other):
        return divide(other, self)

    def __pow__(self, other):
        return power(self, other)

    def __rpow__(self, other):
        return power(other, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __neg__(self):
        return negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return absolute(self)

    def __getitem__(self, index):
        return getitem(self, index)

    def __setitem__(self, index, value):
        # numpy's item assignment has no gradient rule here: say what to do instead
        if self.parents and self.requires_grad:
            raise TypeError(_computed_value_message(self, f"{self.label}[{index!r}] = ..."))
        raise TypeError(f"{self.label}[{index!r}] = ...: a Node has no item assignment; "
                        "change a parameter's array through ag.core.writable(p), or build "
                        "a new value (ag.where, concatenate)")

    # --- numpy-style methods ----------------------------------------------------------------
    @property
    def T(self):
        return transpose(self)

    @property
    def mT(self):
        """Transpose of the last two axes (a stack of matrices)."""
        return swapaxes(self, -1, -2)

    def transpose(self, *axes):
        return transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def swapaxes(self, axis1, axis2):
        return swapaxes(self, axis1, axis2)

    def reshape(self, *shape):
        return reshape(self, shape[0] if len(shape) == 1 else shape)

    def sum(self, axis=None, keepdims=False):
        return sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return np.prod(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False):
        return np.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        return np.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis=None):
        return np.cumsum(self, axis=axis)

    def cumprod(self, axis=None):
        return np.cumprod(self, axis=axis)

    def dot(self, other):
        return np.dot(self, other)

    def clip(self, min=None, max=None):
        return np.clip(self, min, max)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis=axis)

    def ravel(self):
        return reshape(self, (-1,))

    def flatten(self):
        return reshape(self, (-1,))

    def repeat(self, repeats, axis=None):
        return np.repeat(self, repeats, axis=axis)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return np.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        return np.trace(self, offset, axis1, axis2)

    def argmax(self, axis=None, keepdims=False):
        return np.argmax(self.value, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return np.argmin(self.value, axis=axis, keepdims=keepdims)

    def astype(self, dtype):
        return astype(self, dtype)

    def copy(self):
        return np.copy(self)

    # the units of a network, as micrograd and torch name them
    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    def relu(self):
        return relu(self)

    def sigmoid(self):
        return sigmoid(self)

    def tanh(self):
        return tanh(self)


_NO_PARAMS: dict = {}
# Recording an op makes the arrays its gradient rules read-only: its output's (if it requires
# a gradient) as it is made, and its operands' (leaves, constants), until `writable` unlocks a
# leaf (issue 10, item 2). The optimizers' step (nn/optim.py) and the loading of weights into
# a model (nn/layers.py, np.copyto) change parameters through `writable`. False turns it off.
LOCK_RECORDED_LEAVES = True
# The dtypes a Node holds without a second look; others go through `check_real`.
_REAL_DTYPES = frozenset(np.dtype(t) for t in (np.float64, np.float32, np.float16, np.bool_,
                                               np.int64, np.int32, np.int16, np.int8,
                                               np.uint64, np.uint32, np.uint16, np.uint8))
KINDS = ("elementwise", "reduction", "shape", "linalg", "activation")
PRIMITIVES: dict = {}        # name -> Primitive: the op registry
_creation = itertools.count()   # numbers Nodes as made: a consumer outnumbers its inputs
_new_node = Node.__new__     # a Node without __init__'s checks: Primitive fills its fields


def value_of(x):
    """The array inside a Node (or `x` itself): for masks and signs, which have no gradient."""
    return x.value if isinstance(x, Node) else x


def describe(x) -> str:
    """How an operand is named in error messages: ``W (3, 3)``."""
    if isinstance(x, Node):
        return f"{x.label} {x.shape}"
    if isinstance(x, np.ndarray):
        return f"array {x.shape}"
    return repr(x)


class Primitive:
    """An operation with a numpy forward function and a gradient rule per argument.

    >>> exp = Primitive("exp", np.exp, lambda g, ans, x: g * ans, register=False)
    >>> exp(Node(0.0)).item()
    1.0

    Called with no Node among its arguments it is plain numpy: gradient rules rely on that.

    A primitive is also the one place where the library keeps what it knows about an op, read
    by diagrams, `unit_report`, the numpy dispatch and the generated tests (`PRIMITIVES` holds
    them all by name):

    - `kind`: "elementwise", "reduction", "shape", "linalg" or "activation";
    - `differentiable`: the positions of the arguments that have a gradient rule;
    - `unit`: for an activation, the unit's name in a network diagram ("ReLU");
    - `inactive`: for an activation, ``(word, test)``: `test(output, input, tol)` marks the
      activations that pass no gradient on ("dead" ReLUs, "saturated" sigmoids);
    - `domain`: where the forward function is defined and smooth: "real", "positive",
      "nonzero", "unit" (|x| < 1) or "above_one" (x > 1); tests draw inputs from it;
    - `explain(*values, **params)`, if given, says in words why the operands do not fit; it
      runs only after the forward function has failed. `symbol` prints binary ops as ``a @ b``.
    """

    __slots__ = ("name", "forward", "vjps", "explain", "symbol", "kind", "unit", "inactive",
                 "domain")

    def __init__(self, name, forward, *vjps, kind="elementwise", explain=None, symbol=None,
                 unit=None, inactive=None, domain="real", register=True):
        if kind not in KINDS:
            raise ValueError(f"Primitive {name}: kind {kind!r} is not one of {KINDS}")
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.explain = explain
        self.symbol = symbol
        self.kind = kind
        self.unit = unit
        self.inactive = inactive
        self.domain = domain
        if register:
            if name in PRIMITIVES:
                raise ValueError(f"Primitive {name!r} is defined twice")
            PRIMITIVES[name] = self

    @property
    def differentiable(self) -> tuple | str:
        """Positions of the arguments with a gradient rule ("all" for a variadic op)."""
        if not isinstance(self.vjps, tuple):
            return "all"
        return tuple(i for i, rule in enumerate(self.vjps) if rule is not None)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args, **params):
        # While autograph.compile records a trace, calls go through compiler/trace.py's
        # `_traced_call` instead, which hands them to the trace: this method pays nothing for it.
        # One and two arguments are nearly every op: spare them the general loop.
        count = len(args)
        if count == 1:
            arg = args[0]
            if not isinstance(arg, Node):
                return self.forward(arg, **params)
            values = (arg.value,)
            requires_grad = arg.requires_grad
        elif count == 2:
            a, b = args
            if isinstance(a, Node):
                if isinstance(b, Node):
                    values = (a.value, b.value)
                    requires_grad = a.requires_grad or b.requires_grad
                else:
                    values = (a.value, b)
                    requires_grad = a.requires_grad
            elif isinstance(b, Node):
                values = (a, b.value)
                requires_grad = b.requires_grad
            else:
                return self.forward(a, b, **params)
        else:
            values = []
            traced = requires_grad = False
            for arg in args:
                if isinstance(arg, Node):
                    traced = True
                    if arg.requires_grad:
                        requires_grad = True
                    values.append(arg.value)
                else:
                    values.append(arg)
            if not traced:
                return self.forward(*args, **params)
        modes = current_modes()
        locking = requires_grad and modes.grad_enabled and LOCK_RECORDED_LEAVES
        if locking:
            # The gradient rules read the operands' arrays, kept in the graph: they become
            # read-only before the forward runs, so that views it makes of them are read-only
            # too: leaves and constants, and a computed value given a new array (outputs
            # requiring a gradient are locked as they are made, below). `writable` unlocks a
            # leaf for an in-place update. A plain array operand is the caller's, to reuse as
            # they like (a batch buffer): the graph keeps a copy. setflags(False), positional
            # and unconditional, costs less than reading `.flags.writeable` first.
            if count == 1:
                values[0].setflags(False)
            elif count == 2:                # the loop below, unrolled: most ops are binary
                if type(a) is Node:
                    values[0].setflags(False)
                elif type(a) is np.ndarray and a.flags.writeable:
                    values = (a.copy(), values[1])
                if type(b) is Node:
                    values[1].setflags(False)
                elif type(b) is np.ndarray and b.flags.writeable:
                    values = (values[0], b.copy())
            else:
                for i, arg in enumerate(args):
                    if type(arg) is Node:
                        arg.value.setflags(False)
                    elif type(arg) is np.ndarray and arg.flags.writeable:
                        values = (*values[:i], arg.copy(), *values[i + 1:])
        try:
            value = self.forward(*values, **params) if params else self.forward(*values)
        except (ValueError, IndexError, TypeError) as error:
            raise ShapeError(self.failure_message(args, values, params, error)) from error
        if type(value) is not np.ndarray:    # numpy returns scalars for 0-d results
            value = np.asarray(value)
        if locking:
            # Gradient rules read this value (as `ans`, or as a consumer's input): written in
            # place, it would change the gradient without a word. Locked before anyone can
            # take a view of it, so views of it are read-only too.
            value.setflags(False)
        elif value.base is not None and LOCK_RECORDED_LEAVES:
            # A view (x[0:3], x.T of a constant, or of anything under no_grad) made by an op
            # needing no gradient: a graph recording it later would lock the view but read
            # through it whatever is then written into x's array, which stays writable (or is
            # unlocked by `writable`). An array of its own instead.
            value = value.copy()
        if value.dtype not in _REAL_DTYPES:    # complex (x * 1j), object, strings: refused
            check_real(value, self.failure_message(args, values, params, None, bare=True))
        node = _new_node(Node)
        node.value = value
        node.grad = node.name = None
        node.op = self
        node.order = next(_creation)
        if modes.grad_enabled:
            node.parents = args
            node.inputs = values
            node.params = params
            node.requires_grad = requires_grad
        else:   # a constant that remembers which op made it, but not from what
            node.parents = node.inputs = ()
            node.params = _NO_PARAMS
            node.requires_grad = False
        if modes.anomaly:
            check_finite(value, f"{self.name}: output", args)
        return node

    def failure_message(self, args, values, params, error, bare=False) -> str:
        if self.symbol and len(args) == 2:
            operands = f"{describe(args[0])} {self.symbol} {describe(args[1])}"
        else:
            operands = ", ".join(describe(a) for a in args)
        if params:
            operands += ", " + ", ".join(f"{k}={v!r}" for k, v in params.items())
        if bare:
            return f"{self.name}: {operands}"
        reason = self.explain(*values, **params) if self.explain else None
        return f"{self.name}: {operands}: {reason or error}"


def writable(node: Node) -> np.ndarray:
    """`node.value`, ready to be changed in place: an optimizer step, loading weights.

    This is the sanctioned way to change a value in place. It renumbers the Node as if made
    now, so that a graph recorded before, whose gradients would mix old and new values,
    refuses backward and names it; a graph recorded afterwards is not concerned. With
    `LOCK_RECORDED_LEAVES` on, recording an op also makes its leaves' arrays read-only (so
    that ``w.value *= 10``, or a write through a view, raises at once) and this unlocks one,
    copying it only if it is a view of another locked array.

    A value computed by an op and requiring a gradient is refused: its own gradient rule
    reads it, and renumbering it could not tell that rule the value changed. Take
    ``node.value.copy()`` for an array of your own.

    >>> w = ag.parameter([1.0, 2.0], name="w")
    >>> loss = (w * 3.0).sum()
    >>> writable(w)[0] = 5.0                       # e.g. an optimizer step
    >>> loss.backward()
    Traceback (most recent call last):
    autograph.core.backward.GraphError: backward: w (2,) was changed in place (autograph.writable) after multiply was recorded with it, so the gradient would mix its old and new values; compute the loss again from the new value
    >>> (w * 3.0).sum().backward(); w.grad           # a graph recorded after the change
    array([3., 3.])
    """
    if node.parents and node.requires_grad:
        raise ValueError(_computed_value_message(node, "writable"))
    value = node.value
    if not isinstance(value, np.ndarray):   # a stand-in inside autograph.compile's trace: it
        value.trace.writable(node)           # records the update, the replay calls writable
        node.order = next(_creation)
        return value
    if not value.flags.writeable:
        try:
            value.setflags(write=True)
        except ValueError:                  # a view of a locked array: take a copy of its own
            node.value = value = value.copy()
    node.order = next(_creation)
    return value


def _computed_value_message(node: Node, what: str) -> str:
    return (f"{what}: {describe(node)} is computed by {node.op.name}, and the gradient rules "
            "of its graph read its value: changed in place, it would change the gradient "
            "without a word, so it is read-only. For an array of your own take "
            "node.value.copy(); for a new value in the graph compute one (ag.where, "
            "concatenate, or x * mask); to change a parameter use ag.core.writable(p)")


def check_real(value: np.ndarray, what: str, given: str | None = None) -> None:
    """Raise TypeError naming `what` unless `value` holds real numbers (floats, ints, bools).

    Complex values would lose their imaginary part in the gradient without a word, and None,
    strings or objects would become NaN or fail far from their cause.
    """
    kind = value.dtype.kind
    if kind in "biuf":
        return
    if kind == "c":
        reason = (f"complex values ({value.dtype}) are not supported: autograph differentiates "
                  "real functions; take .real, .imag or abs() of a complex array on purpose")
    elif kind in "US":
        reason = f"strings ({value.dtype}) are not numbers"
    elif kind == "O":
        reason = "not numbers (numpy makes them an object array): None, or mixed objects"
    else:
        reason = f"values of dtype {value.dtype} have no gradient"
    given = f" ({given[:60]})" if given else ""
    raise TypeError(f"{what}{given}: {reason}")


def check_finite(value, what: str, args=()) -> None:
    """Raise FloatingPointError naming `what` if `value` has a NaN or an infinity."""
    value = np.asarray(value)
    if value.dtype.kind in "fc" and not np.isfinite(value).all():
        bad = np.argwhere(~np.isfinite(value))
        where = f" at index {tuple(int(i) for i in bad[0])}" if value.ndim else ""
        kind = "NaN" if np.isnan(value).any() else "infinite"
        inputs = f" (inputs: {', '.join(describe(a) for a in args)})" if args else ""
        raise FloatingPointError(f"{what} is not finite: {kind}{where}{inputs}")


# Operators are defined in autograph.ops, and reverse mode in autograph.core.backward; both need
# Node: import them last.
from autograph.core.backward import backward  # noqa: E402
from autograph.core.dispatch import HANDLED, array_function, array_ufunc  # noqa: E402
from autograph.ops import (absolute, add, astype, divide, exp, getitem, log,  # noqa: E402
                           matmul, max, mean, multiply, negative, power, relu, reshape, sigmoid,
                           subtract, sum, swapaxes, tanh, transpose)
