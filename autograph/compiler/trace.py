"""Tracing: a function runs once on stand-ins, and what is done to them becomes a program.

While a trace records, every value computed inside the function is a `Traced` object: it knows
its shape and dtype (and keeps an example array, computed from the first inputs, to find them)
but hands out no numbers. Every operation on it, an autograph primitive (through the hook at
the top of `Primitive.__call__`) or a numpy function or operator (through numpy's override
protocols), is appended to the trace as an instruction. So a comparison `x > 0` stays an
operation of the program and a ReLU mask is computed afresh on every call.

Reading the numbers instead, `float(loss)`, `bool(x > 0)`, `node.item()`, `np.asarray(node)`,
`print(node)`, would bake the numbers of the first call into every later one; it raises
`TraceError`, naming the line (as JAX's concretization error does). Parameters and other Nodes
that exist before the trace (its *state*) are read afresh on every call: while tracing, their
`.value` and `.grad` are stand-ins too, so a hand-written update (`v = writable(p);
v -= lr * p.grad`) is recorded as an in-place update. As in eager mode, a parameter that an
operation recorded for backward has read is read-only until `writable` unlocks it.
"""

from __future__ import annotations

import copy
import operator
import os
import sys
import threading

import numpy as np

from autograph.core.backward import _check_root, propagate
from autograph.core.modes import modes, trace_var
from autograph.core import node as node_module
from autograph.core.node import _NO_PARAMS, Node, Primitive, ShapeError, _creation, describe

_AUTOGRAPH = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NUMPY = os.path.dirname(np.__file__) + os.sep


class TraceError(RuntimeError):
    """A compiled function did something that a replay could not repeat faithfully."""


def user_line() -> str:
    """`file:line: code` of the innermost frame outside autograph, numpy and the standard
    library's wrappers: the line of the user's function that a TraceError is about."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith(_AUTOGRAPH) or name.startswith(_NUMPY)
                or name.endswith(("contextlib.py", "functools.py"))):
            import linecache
            code = linecache.getline(name, frame.f_lineno).strip()
            return f"{name}:{frame.f_lineno}: {code}" if code else f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown line>"


def refuse(what: str) -> TraceError:
    return TraceError(f"{user_line()}\n  inside a compiled function: {what}")


# numpy functions whose result depends only on shapes and dtypes: answered from the examples.
_METADATA = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj}
# numpy functions whose result's *shape* depends on the numbers: a replay cannot preallocate
# or trust them.
_DATA_SHAPED = {np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.extract, np.compress,
                np.bincount, np.histogram, np.digitize, np.searchsorted, np.where}


def _astype(x, dtype, copy=True):
    return x.astype(dtype, copy=copy)


class Traced:
    """A value inside a trace: its shape and dtype are known, its numbers are not handed out.

    `code` is how the generated program names it: an input (a0), a computed value (v3), a
    state's value or gradient (s1.value, s1.grad); `kind` says which ("input", "value",
    "state", "grad", "constant").
    """

    __slots__ = ("trace", "code", "example", "kind")
    __array_priority__ = 1000      # numpy defers to our operators over ndarray's

    def __init__(self, trace, code, example, kind):
        self.trace = trace
        self.code = code
        self.example = example
        self.kind = kind

    # --- what a trace knows --------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.example.shape

    @property
    def dtype(self):
        return self.example.dtype

    @property
    def ndim(self) -> int:
        return self.example.ndim

    @property
    def size(self) -> int:
        return self.example.size

    def __len__(self) -> int:
        return len(self.example)

    def __repr__(self) -> str:
        return f"Traced(shape={self.shape}, dtype={self.dtype})"

    __hash__ = object.__hash__

    # --- reading the numbers: refused ----------------------------------------------------------
    def _concrete(self, how):
        raise refuse(
            f"{how} reads the numbers of a traced value {self.shape} {self.dtype}; they would "
            "be those of the first call on every later call. Return the value from the "
            "function and read it outside, or use np.where / masks instead of Python's `if`")

    def __bool__(self):
        self._concrete("bool() (an `if`, `and`, `or`, `while` on an array)")

    def __float__(self):
        self._concrete("float()")

    def __int__(self):
        self._concrete("int()")

    def __index__(self):
        self._concrete("using it as an index or a size")

    def __complex__(self):
        self._concrete("complex()")

    def __array__(self, dtype=None, copy=None):
        self._concrete("converting it to a numpy array (np.asarray, np.array, print, .item())")

    def item(self, *args):
        self._concrete(".item()")

    def tolist(self):
        self._concrete(".tolist()")

    def __setitem__(self, index, value):
        raise refuse(f"assigning into entries of a traced value {self.shape}; build the result "
                     "with np.where or ag.where instead")

    def __getattr__(self, name):
        if name.startswith("__"):         # numpy probing for protocols it may use
            raise AttributeError(name)
        raise refuse(f"ndarray.{name} is not supported on traced values; use numpy's "
                     "functions (np.{name}(x)) or autograph's")

    # --- numpy's protocols: every operation is recorded ------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if any(isinstance(x, Node) for x in inputs):
            return NotImplemented            # Node's own dispatch makes it a primitive
        function = ufunc if method == "__call__" else getattr(ufunc, method)
        out = kwargs.pop("out", None)
        if out is not None:
            if len(out) != 1:
                raise refuse(f"{ufunc.__name__} with several outputs")
            return self.trace.update(function, inputs, kwargs, out[0])
        return self.trace.numpy_call(function, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if any(issubclass(t, Node) for t in types):
            return NotImplemented
        if func in _METADATA:
            return func(*self.trace.examples(args), **self.trace.examples(kwargs))
        if func in _DATA_SHAPED:
            raise refuse(f"numpy.{func.__name__} gives a result whose shape depends on the "
                         "numbers; a compiled program has fixed shapes")
        return self.trace.numpy_call(func, args, kwargs)

    # --- ndarray's methods and operators, as numpy calls ---------------------------------------
    def astype(self, dtype, copy=True):
        return self.trace.numpy_call(_astype, (self, np.dtype(dtype), copy), {})

    def __getitem__(self, index):
        return self.trace.numpy_call(operator.getitem, (self, index), {})

    def reshape(self, *shape):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    @property
    def T(self):
        return np.transpose(self)

    def sum(self, axis=None, dtype=None, keepdims=False):
        return np.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return np.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return np.any(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return np.all(self, axis=axis, keepdims=keepdims)

    def copy(self):
        return np.copy(self)

    def ravel(self):
        return np.ravel(self)

    def dot(self, other):
        return np.dot(self, other)

    def __iadd__(self, other):
        return self.trace.update(np.add, (self, other), {}, self)

    def __isub__(self, other):
        return self.trace.update(np.subtract, (self, other), {}, self)

    def __imul__(self, other):
        return self.trace.update(np.multiply, (self, other), {}, self)

    def __itruediv__(self, other):
        return self.trace.update(np.divide, (self, other), {}, self)


def _binary(ufunc):
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


for _name, _ufunc in (("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                      ("truediv", np.divide), ("floordiv", np.floor_divide), ("mod", np.mod),
                      ("pow", np.power), ("matmul", np.matmul), ("and", np.logical_and),
                      ("or", np.logical_or), ("xor", np.logical_xor)):
    _forward, _reflected = _binary(_ufunc)
    setattr(Traced, f"__{_name}__", _forward)
    setattr(Traced, f"__r{_name}__", _reflected)
for _name, _ufunc in (("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                      ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal)):
    setattr(Traced, f"__{_name}__", _binary(_ufunc)[0])
Traced.__neg__ = lambda self: np.negative(self)
Traced.__pos__ = lambda self: self
Traced.__abs__ = lambda self: np.absolute(self)
Traced.__invert__ = lambda self: np.invert(self)


# --- the instructions of a trace -------------------------------------------------------------
class Call:
    """out = function(*args, **kwargs); with `into`, written in place into a state's array."""
    __slots__ = ("function", "args", "kwargs", "out", "into")

    def __init__(self, function, args, kwargs, out, into=None):
        self.function, self.args, self.kwargs, self.out, self.into = (function, args, kwargs,
                                                                      out, into)


class Effect:
    """A replayable method (an optimizer's step), called again on every call."""
    __slots__ = ("method", "args", "kwargs")

    def __init__(self, method, args, kwargs):
        self.method, self.args, self.kwargs = method, args, kwargs


def value_codes(x, found: set | None = None) -> set:
    """The names of the computed values (v3) used inside `x`, added to `found`.

    >>> value_codes((Traced(None, "v3", np.ones(2), "value"), 2.0))
    {'v3'}
    """
    found = set() if found is None else found
    if isinstance(x, Traced):
        if x.kind == "value":
            found.add(x.code)
    elif isinstance(x, (tuple, list)):
        for i in x:
            value_codes(i, found)
    elif isinstance(x, dict):
        for v in x.values():
            value_codes(v, found)
    return found


class Grads:
    """backward(): add each gradient to its state Node's `.grad`, as eager backward does."""
    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = pairs


class ClearGrad:
    """`node.grad = None`, written by the function itself."""
    __slots__ = ("state",)

    def __init__(self, state):
        self.state = state


def _new_node(value, op=None, parents=(), params=_NO_PARAMS, requires_grad=False) -> Node:
    node = Node.__new__(Node)
    node.value = value
    node.grad = node.name = None
    node.op = op
    node.parents = parents
    node.inputs = tuple(p.value if isinstance(p, Node) else p for p in parents)
    node.params = params
    node.requires_grad = requires_grad
    node.order = next(_creation)
    return node


class Trace:
    """The instructions recorded while a function runs, and the state Nodes it touched."""

    def __init__(self):
        self.instructions: list = []
        self.states: list[Node] = []          # Nodes made before the trace, in order of use
        self.state_refs: list[Traced] = []     # their values' stand-ins
        self.index: dict = {}                  # state Node -> its position
        self.saved: list = []                  # (value, grad) of each state before the trace
        self.grad_was_none: list[bool] = []    # guarded: a trace may have branched on it
        self.view_grad: dict = {}              # what the trace last put in each state's .grad
        self.count = 0
        self.literals: list = []               # constants met, for the determinism check
        self.locked: set = set()               # states read-only as eager mode would have them
        self.draws: list = []                  # the Generators drawn from, in order
        self.copies: dict = {}                 # id of a bit generator -> (it, its copy)
        self.watched: list = []                # (object, attribute, value) read by the code

    # --- running a function under the trace ----------------------------------------------------
    def run(self, fn, args):
        _intercept_primitives(True)
        token = trace_var.set(self)
        try:
            # Nodes the function can reach are state from the start, so that what it does
            # to them before using them (p.grad = None) is seen, and guarded as it was.
            for node in reachable_nodes(fn):
                self.state(node)
            result = fn(*args)
            self.sync()
            return self.operand(result)
        finally:
            trace_var.reset(token)
            _intercept_primitives(False)
            self.restore()

    def restore(self) -> None:
        """Give every state Node back its own value and gradient: tracing changes nothing."""
        for node, (value, grad) in zip(self.states, self.saved):
            node.value, node.grad = value, grad

    def input(self, i: int, value) -> Traced:
        return Traced(self, f"a{i}", value, "input")

    # --- values: stand-ins for Nodes and arrays --------------------------------------------------
    def state(self, node: Node) -> Traced:
        """The stand-in of a Node made before the trace: read afresh on every call."""
        i = self.index.get(node)
        if i is not None:
            return self.state_refs[i]
        value = node.value
        if not isinstance(value, np.ndarray):
            raise refuse(f"{describe(node)} belongs to another trace (a compiled function "
                         "called inside another?)")
        i = len(self.states)
        self.index[node] = i
        self.states.append(node)
        self.saved.append((value, node.grad))
        ref = Traced(self, f"s{i}.value", value, "state")
        self.state_refs.append(ref)
        self.grad_was_none.append(node.grad is None)
        if not value.flags.writeable:
            self.locked.add(i)
        node.value = ref
        if node.grad is not None:
            node.grad = Traced(self, f"s{i}.grad", np.asarray(node.grad), "grad")
        self.view_grad[node] = node.grad
        return ref

    def operand(self, x):
        """`x` as an instruction's operand: a Traced for anything traced, else x itself."""
        if isinstance(x, Node):
            value = x.value
            if isinstance(value, Traced) and value.trace is self:
                return value
            return self.state(x)
        if isinstance(x, Traced):
            if x.trace is not self:
                raise refuse("a value of another trace is used here")
            return x
        if isinstance(x, (tuple, list)):
            items = [self.operand(item) for item in x]
            if any(_has_traced(item) for item in items):
                return type(x)(items) if type(x) in (tuple, list) else type(x)(*items)
        elif isinstance(x, dict):
            items = {k: self.operand(v) for k, v in x.items()}
            if any(_has_traced(v) for v in items.values()):
                return items
        self.literals.append(x)
        return x

    def examples(self, x):
        """`x` with every Traced replaced by its example array (Nodes by their examples)."""
        if isinstance(x, Traced):
            return x.example
        if isinstance(x, Node):
            return self.examples(self.operand(x))
        if isinstance(x, (tuple, list)) and any(_has_traced(i) or isinstance(i, Node)
                                                for i in x):
            items = [self.examples(item) for item in x]
            return type(x)(items) if type(x) in (tuple, list) else type(x)(*items)
        if isinstance(x, dict):
            return {k: self.examples(v) for k, v in x.items()}
        return x

    def emit(self, function, args, kwargs, example) -> Traced:
        if isinstance(example, np.generic):
            example = np.asarray(example)
        out = Traced(self, f"v{self.count}", example, "value")
        self.count += 1
        self.instructions.append(Call(function, args, kwargs, out))
        return out

    # --- the hooks: primitives, numpy calls, in-place updates, backward, effects ----------------
    def call(self, primitive, args, params):
        """A primitive applied inside the trace (called from `Primitive.__call__`)."""
        operands = tuple(self.operand(a) for a in args)
        kwargs = {k: self.operand(v) for k, v in params.items()}
        if primitive.name == "getitem":
            _refuse_boolean_index(kwargs.get("index"))
        values = self.examples(operands)
        try:
            example = primitive.forward(*values, **self.examples(kwargs))
        except (ValueError, IndexError, TypeError) as error:
            raise ShapeError(primitive.failure_message(args, values, params, error)) from error
        if np.result_type(example) not in node_module._REAL_DTYPES:     # as eager mode does
            node_module.check_real(np.asarray(example), primitive.failure_message(
                args, values, params, None, bare=True))
        out = self.emit(primitive.forward, operands, kwargs, example)
        nodes = [a for a in args if isinstance(a, Node)]
        if not nodes:                 # no Node among the arguments: plain numpy, as in eager
            return out
        requires_grad = any(a.requires_grad for a in nodes)
        if modes.grad_enabled:
            if requires_grad and node_module.LOCK_RECORDED_LEAVES:
                # eager mode makes the leaves of a recorded op read-only: so does the trace
                self.locked.update(self.index[a] for a in nodes
                                   if not a.parents and a in self.index)
            return _new_node(out, primitive, args, params, requires_grad)
        return _new_node(out, primitive)

    def numpy_call(self, function, args, kwargs):
        """A numpy function or ufunc applied to a traced value (no gradient)."""
        operands = self.operand(tuple(args))
        kw = self.operand(dict(kwargs)) if kwargs else {}
        if function is operator.getitem:
            _refuse_boolean_index(operands[1])
        example = function(*self.examples(operands), **self.examples(kw))
        if not isinstance(example, (np.ndarray, np.generic)):
            name = getattr(function, "__name__", repr(function))
            raise refuse(f"{name} on a traced value gives a {type(example).__name__}, not an "
                         "array: its number would be fixed at the first call's")
        return self.emit(function, operands, kw, example)

    def update(self, function, args, kwargs, target):
        """`function(*args, out=target)`: an in-place update, allowed into a state's value or
        gradient (`p.value -= lr * p.grad`), which the replay then updates in place too."""
        if not (isinstance(target, Traced) and target.kind in ("state", "grad")):
            what = "a value computed inside the function" if isinstance(target, Traced) \
                else "an array made outside the trace"
            raise refuse(f"an in-place update of {what}; only a parameter's .value or .grad "
                         "can be updated in place inside a compiled function (or write "
                         "y = x + 1 instead of x += 1)")
        # (found by identity: == on stand-ins is an operation)
        i = next((i for i, ref in enumerate(self.state_refs) if ref is target), None)
        if target.kind == "state" and i in self.locked:
            node = self.states[i]
            raise refuse(f"{node.label} is read-only: an operation recorded for backward read "
                         "it, and an in-place change would mix old and new values (eager "
                         "mode refuses it too); change it through autograph.writable(p), "
                         "after the backward that needs it")
        operands = self.operand(tuple(args))
        kw = self.operand(dict(kwargs)) if kwargs else {}
        example = function(*self.examples(operands), **self.examples(kw))
        if np.shape(example) != target.shape:
            raise refuse(f"an in-place update of {target.shape} by a result of shape "
                         f"{np.shape(example)}")
        self.instructions.append(Call(function, operands, kw, None, into=target))
        return target

    def writable(self, node) -> None:
        """autograph.writable(node) inside the trace: the state may be changed in place now."""
        i = self.index.get(node)
        if i is not None:
            self.locked.discard(i)

    def sync(self) -> None:
        """Record what the function wrote to state Nodes' attributes since the last look:
        `p.grad = None` becomes an instruction; other writes are refused."""
        for i, node in enumerate(self.states):
            if node.value is not self.state_refs[i]:
                # (p.value -= ... would not do: a recorded parameter is read-only)
                raise refuse(f"{node.label}: its .value was replaced; update it in place "
                             "through autograph.writable (v = autograph.writable(p); "
                             "v -= lr * p.grad) or with an optimizer")
            grad = node.grad
            if grad is not self.view_grad[node]:
                if grad is not None:
                    raise refuse(f"{node.label}: its .grad was assigned; only backward(), "
                                 "zero_grad() and in-place updates may change gradients in a "
                                 "compiled function")
                self.instructions.append(ClearGrad(i))
                self.view_grad[node] = None

    def backward(self, root, seed):
        """`root.backward(seed)` inside the trace: the gradient rules run on stand-ins, so
        they become instructions; the accumulation into `.grad` is replayed as eager does it."""
        self.sync()
        seed = _check_root(root, seed)
        if isinstance(seed, Node):
            raise refuse("backward(seed=<a Node>) is not supported in a compiled function")
        seed_node = _new_node(Traced(self, None, seed, "constant"))
        found = list(propagate(root, seed_node, create_graph=True))
        pairs = []
        for leaf, g in found:
            pairs.append((self.index[leaf] if leaf in self.index else self._leaf(leaf),
                          self.operand(g)))
        self.instructions.append(Grads(pairs))
        for i, g in pairs:
            node = self.states[i]
            node.grad = Traced(self, f"s{i}.grad", g.example, "grad")
            self.view_grad[node] = node.grad

    def _leaf(self, leaf) -> int:
        value = leaf.value
        if isinstance(value, Traced) and value.kind == "input":
            raise refuse(f"{describe(leaf)}: an argument of the compiled function cannot "
                         "receive a gradient; close over parameters instead")
        raise refuse(f"{describe(leaf)}: a Node requiring a gradient made inside the compiled "
                     "function would get a fresh value each call; make it outside")

    def gradients(self, root, wrt, seed, create_graph):
        if create_graph:
            raise refuse("gradients(..., create_graph=True) is not supported in a compiled "
                         "function")
        seed = _check_root(root, seed)
        seed_node = _new_node(Traced(self, None, seed, "constant"))
        found = dict(propagate(root, seed_node, create_graph=True, wanted=frozenset(wrt)))
        out = []
        for node in wrt:
            g = found.get(node)
            if g is None:
                out.append(self.emit(np.zeros_like, (self.operand(node),), {},
                                     np.zeros_like(self.operand(node).example)))
            else:
                out.append(self.operand(g))
        return out

    def draw(self, function, rng, args) -> Traced:
        """`function(rng, *args)`, a random draw (autograph.random): an instruction that draws
        from `rng` on every call. Its example is drawn from a copy of `rng`'s bit generator,
        so tracing leaves `rng` as it was and a first call draws what eager mode draws."""
        bits = rng.bit_generator        # Generators may share one: copied once, shared too
        held = self.copies.get(id(bits))
        if held is None:
            held = self.copies[id(bits)] = (bits, np.random.Generator(copy.deepcopy(bits)))
        self.draws.append(rng)
        return self.emit(function, (rng, *args), {}, function(held[1], *args))

    def watch(self, obj, name: str, value) -> None:
        """`obj.name` was read by the function's Python code (a module's `training` flag):
        the program's guard checks that it is still `value`, else the function is traced
        again."""
        if not name.isidentifier():
            raise ValueError(f"watch: {name!r} is not an attribute name")
        if not any(o is obj and n == name for o, n, _ in self.watched):
            self.watched.append((obj, name, value))

    def effect(self, method, args, kwargs):
        """A `replayable` method (an optimizer's step) called inside the trace: recorded, and
        run by the program at this point on every call (not now: tracing changes nothing)."""
        self.sync()
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, Traced) or (isinstance(a, Node) and isinstance(a.value, Traced)):
                raise refuse(f"{method.__qualname__} is given a traced value")
        self.instructions.append(Effect(method, args, kwargs))
        # What the method does to gradients is not known here: afterwards they read as the
        # state's gradients at run time.
        for i, node in enumerate(self.states):
            if node.grad is not None:
                node.grad = Traced(self, f"s{i}.grad", np.asarray(node.grad.example), "grad")
                self.view_grad[node] = node.grad


# --- routing primitive calls to the trace ------------------------------------------------------
# `Primitive.__call__` is the hottest path of eager mode, so it carries no test for tracing:
# while any thread records a trace, the class's __call__ is `_traced_call`, which hands calls
# made in a tracing thread to its trace and all others to the eager method.
_eager_call = Primitive.__call__
_interceptions = 0
_interceptions_lock = threading.Lock()


def _traced_call(self, *args, **params):
    trace = trace_var.get()
    if trace is None:
        return _eager_call(self, *args, **params)
    return trace.call(self, args, params)


def _intercept_primitives(on: bool) -> None:
    global _interceptions
    with _interceptions_lock:
        _interceptions += 1 if on else -1
        Primitive.__call__ = _traced_call if _interceptions else _eager_call


def reachable_nodes(fn, depth: int = 4) -> list:
    """The leaf Nodes that `fn` can reach through its closure, its defaults, the globals it
    names, and the models, optimizers, lists and dicts among them (a few levels deep)."""
    found, seen = [], set()

    def visit(x, depth):
        if id(x) in seen or depth < 0:
            return
        seen.add(id(x))
        if isinstance(x, Node):
            if not x.parents and isinstance(x.value, np.ndarray):
                found.append(x)
        elif isinstance(x, (list, tuple, set, frozenset)):
            for item in x:
                visit(item, depth - 1)
        elif isinstance(x, dict):
            for item in x.values():
                visit(item, depth - 1)
        elif hasattr(x, "__code__") and hasattr(x, "__globals__"):       # a function
            for cell in x.__closure__ or ():
                try:
                    visit(cell.cell_contents, depth - 1)
                except ValueError:          # an empty cell
                    pass
            visit(x.__defaults__ or (), depth - 1)
            for name in _names(x.__code__):
                if name in x.__globals__:
                    visit(x.__globals__[name], depth - 1)
        elif hasattr(x, "__self__") and hasattr(x, "__func__"):           # a bound method
            visit(x.__self__, depth - 1)
            visit(x.__func__, depth - 1)
        elif hasattr(x, "parameters"):                   # a model or an optimizer
            parameters = x.parameters
            try:
                visit(list(parameters() if callable(parameters) else parameters), depth - 1)
            except TypeError:
                pass
            if hasattr(x, "__dict__"):
                visit(vars(x), depth - 1)

    visit(fn, depth)
    return found


def _names(code) -> set:
    """Global names used by a code object and the functions defined inside it."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def _has_traced(x) -> bool:
    if isinstance(x, Traced):
        return True
    if isinstance(x, (tuple, list)):
        return any(_has_traced(i) for i in x)
    if isinstance(x, dict):
        return any(_has_traced(v) for v in x.values())
    return False


def _refuse_boolean_index(index) -> None:
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, Traced) and part.dtype == bool:
            raise refuse("indexing with a boolean mask gives a result whose shape depends on "
                         "the numbers; use np.where(mask, x, 0) or ag.where instead")
