"""Compiled mode: `compile(step)` traces a training step once and replays it as numpy calls.

The first call runs `step` on stand-ins (see `trace.py`): the forward operations, the gradient
rules that `backward()` applies, and the calls of `replayable` methods (an optimizer's `step()`
and `zero_grad()`) become one straight-line program (`program.py`). Later calls with arrays of
the same shapes and dtypes run that program: no Nodes, no graph, no dispatch. Arrays of new
shapes or dtypes trace again (a few programs are kept).

>>> W = ag.parameter([[0.5], [-1.0]], name="W")
>>> optimizer = ag.GradientDescent([W], lr=0.05)
>>> @ag.compile
... def step(X, y):
...     loss = ((X @ W - y) ** 2).sum()
...     optimizer.zero_grad()
...     loss.backward()
...     optimizer.step()
...     return loss
>>> X, y = np.array([[1.0, 2.0]]), np.array([[0.0]])
>>> step(X, y), step(X, y)             # (0.5 - 2)^2, then W moved by -0.05 * 2 (XW - y) X
(array(2.25), array(0.5625))

What the function may do, and what it may not:

- Results come back as numpy arrays (fresh ones: a caller may keep them). Parameters and
  `.grad` are updated as eager mode updates them, to the last bit.
- Python-level reads of traced numbers, `if loss > 1`, `float(loss)`, `.item()`,
  `np.asarray(node)`, `print(node)`, raise `TraceError` naming the line: their value would be
  frozen at the first call's. Comparisons are operations (`x * (x > 0)` stays a live mask).
- Python code in the function runs only while tracing, twice on the first call: the second
  run checks that the constants the function makes are the same. Random numbers drawn with
  `autograph.random` (as `nn.Dropout` draws its masks) from a Generator made outside the
  function are drawn anew on every call, the same numbers as eager mode draws from an
  identically seeded Generator. Others (np.random, a Generator made inside) would be frozen
  at one draw, and are refused: draw them outside and pass them in as an argument.
- Attributes read through `core.effects.watched` (a module's `training` flag, a dropout's
  `p`) are guarded: after `model.eval()` the function is traced again (and the training
  program kept for `model.train()`).
- Python numbers are constants of a program. Those read from the function's closure or
  globals are part of the cache key, with their types (a changed learning rate traces anew,
  and so does 2.0 after 2: `x * k` of an integer array differs); one read from an
  object's attribute is not watched: pass numbers that change as arguments.
- Under `detect_anomaly` the function runs eagerly, so that each operation is checked.
"""

from __future__ import annotations

import functools
import warnings
from typing import Callable

import numpy as np

from autograph.core.modes import current_modes
from autograph.core.node import Node
from autograph.compiler.program import Program
from autograph.compiler.trace import Call, Effect, Trace, TraceError, _new_node

__all__ = ["CompiledFunction", "TraceError", "compile"]


def compile(fn: Callable | None = None, backend: str | None = None, cache_size: int = 8):
    """`fn` traced on its first call (per input shapes and dtypes) and replayed as numpy.

    Usable as `compile(fn)` or as a decorator `@compile`. `backend=None` replays with numpy;
    `backend="numba"` (optional extra `jit`) runs stretches of elementwise operations on
    small arrays in a tape interpreter compiled once (see numba_backend.py).
    """
    if backend not in (None, "numba"):
        raise ValueError(f"compile: unknown backend {backend!r}; the choices are None (numpy) "
                         "and 'numba'")
    if backend == "numba":
        from autograph.compiler import numba_backend
        if not numba_backend.available():
            # not `pip install autograph[jit]`: on PyPI the name autograph is another project's
            raise ImportError("compile: backend='numba' needs numba, the optional extra 'jit' "
                              "(pip install numba, or pip install \".[jit]\" in autograph's "
                              "checkout); backend=None needs nothing")
    if fn is None:
        return lambda f: CompiledFunction(f, cache_size, backend)
    return CompiledFunction(fn, cache_size, backend)


def _signature(x):
    if type(x) is np.ndarray or isinstance(x, np.generic):
        return (x.shape, x.dtype)
    if isinstance(x, Node):
        if x.requires_grad:
            raise TypeError(f"compiled function: argument {x.label} {x.shape} requires a "
                            "gradient; close over parameters (or use a model) instead of "
                            "passing them")
        return ("node", x.shape, x.dtype)
    if x is None or isinstance(x, (bool, int, float, complex, str)):
        return ("literal", type(x), x)
    raise TypeError(f"compiled function: arguments must be numpy arrays, Nodes or Python "
                    f"scalars, got {type(x).__name__}")


class CompiledFunction:
    """The callable `compile` returns: a cache of programs, keyed by the arguments' shapes and
    dtypes (and by the values of Python scalar arguments), each behind its guard."""

    def __init__(self, fn: Callable, cache_size: int = 8, backend: str | None = None):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.backend = backend
        self.cache_size = cache_size
        self._programs: dict = {}
        self.traces = 0           # how many times `fn` was traced (twice per program)
        self._warned = False
        # Python numbers the function reads from its closure and globals are constants of a
        # program (as in jax.jit), so they are part of the cache key: a learning rate changed
        # between calls gives a new trace, never a stale number
        self._scalars = _scalar_reader(fn)

    def __call__(self, *args):
        if current_modes().anomaly:    # checked operation by operation: run the function
            return _as_arrays(self.fn(*args))
        if args:
            key = (tuple(map(_signature, args)), self._scalars())
            values = [a.value if isinstance(a, Node) else a for a in args]
        else:
            key, values = ((), self._scalars()), args
        for program in self._programs.get(key, ()):
            if program.guard():
                return program.run(*values)
        programs = self._programs.setdefault(key, [])
        if len(programs) >= 2:
            warnings.warn(
                f"compiled function {getattr(self.fn, '__qualname__', self.fn)!r} is traced "
                f"again for the same argument shapes ({len(programs) + 1} programs): the shape, "
                "dtype, or None-ness of .grad of a Node it uses, or a watched attribute (a "
                "module's training flag) keeps changing between calls",
                RuntimeWarning, stacklevel=2)
        elif self.traces >= 32 and not self._warned:     # 16 programs made
            self._warned = True
            warnings.warn(
                f"compiled function {getattr(self.fn, '__qualname__', self.fn)!r} has been "
                f"traced {self.traces} times: its argument shapes, or the Python numbers it "
                "reads from its closure or globals (a learning rate?), keep changing; pass "
                "changing numbers as arrays", RuntimeWarning, stacklevel=2)
        program = self._compile(args)
        programs.insert(0, program)
        if sum(len(p) for p in self._programs.values()) > self.cache_size:
            oldest = next(iter(self._programs))
            self._programs[oldest].pop()
            if not self._programs[oldest]:
                del self._programs[oldest]
        return program.run(*values)

    def _compile(self, args) -> Program:
        first, _ = self._trace(args)
        second, output = self._trace(args)
        _check_same(first, second)
        return Program(second, output, len(args), self.backend)

    def _trace(self, args):
        trace = Trace()
        stand_ins = []
        for i, a in enumerate(args):
            if type(a) is np.ndarray or isinstance(a, np.generic):
                stand_ins.append(trace.input(i, np.asarray(a)))
            elif isinstance(a, Node):
                node = _new_node(trace.input(i, a.value))
                node.name = a.name
                stand_ins.append(node)
            else:
                stand_ins.append(a)
        self.traces += 1
        output = trace.run(self.fn, stand_ins)
        return trace, output

    def programs(self) -> list[Program]:
        """The programs kept, most recently made first for each key."""
        return [p for programs in self._programs.values() for p in programs]

    def __repr__(self) -> str:
        return f"<compiled {getattr(self.fn, '__qualname__', self.fn)!r}: " \
               f"{len(self.programs())} programs>"


_SCALARS = (bool, int, float, complex, str, np.generic)


def _scalar_reader(fn) -> Callable[[], tuple]:
    """A function returning the Python numbers (and strings) that `fn` reads from its closure
    cells and from the globals its code (and the functions defined in it) names, and their
    types: 2, 2.0, True and np.float32(2) are equal, and hash alike, but `x * k` of an integer
    array has another dtype for each, so a program traced with one must not replay for another.
    A cell or global that is None (or a cell not yet filled) when `fn` is compiled is read too:
    it may hold a number by the first call.

    >>> k = 2
    >>> _scalar_reader(lambda x: x * k)()
    ((2,), (<class 'int'>,))
    """
    fn = getattr(fn, "__func__", fn)                  # a bound method's function
    code = getattr(fn, "__code__", None)
    if code is None:
        return tuple
    from autograph.compiler.trace import _names
    namespace = fn.__globals__
    cells, open_cells = [], []           # holding a number; None or empty (maybe one later)
    for cell in fn.__closure__ or ():
        value = _cell(cell)
        if isinstance(value, _SCALARS):
            cells.append(cell)
        elif value is None:
            open_cells.append(cell)
    names = sorted(name for name in _names(code) if isinstance(namespace.get(name), _SCALARS))
    open_names = sorted(name for name in _names(code)
                        if name in namespace and namespace[name] is None)
    if not (cells or open_cells or names or open_names):
        return tuple

    def read() -> tuple:
        values = tuple(_cell(cell) for cell in cells) + tuple(map(namespace.get, names)) + \
            tuple(_number(_cell(cell)) for cell in open_cells) + \
            tuple(_number(namespace.get(name)) for name in open_names)
        return values, tuple(map(type, values))
    # the same, generated as straight-line code: it runs on every call, and the loops above
    # cost a microsecond (2% of the tutorial's step); an emptied cell takes the loops
    reads = [f"_c{i}.cell_contents" for i in range(len(cells))] + [
        f"_get({name!r})" for name in names] + [
        f"_number(_o{i}.cell_contents)" for i in range(len(open_cells))] + [
        f"_number(_get({name!r}))" for name in open_names]
    values = "".join(f"v{i}, " for i in range(len(reads)))
    source = ("def fast():\n    try:\n" + "".join(
        f"        v{i} = {read}\n" for i, read in enumerate(reads)) +
        "    except ValueError:\n        return read()\n"
        f"    return ({values}), (" + "".join(
            f"type(v{i}), " for i in range(len(reads))) + ")\n")
    scope = {f"_c{i}": cell for i, cell in enumerate(cells)}
    scope.update({f"_o{i}": cell for i, cell in enumerate(open_cells)})
    scope.update(_get=namespace.get, _number=_number, read=read)
    exec(source, scope)
    return scope["fast"]


def _number(value):
    """A value of a cell or global that was None when the function was compiled, as a part of
    the cache key: itself if a number or string, else None (other objects are not keys)."""
    return value if isinstance(value, _SCALARS) else None


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _as_arrays(x):
    """The results of an eager run as a compiled run gives them: Nodes become arrays."""
    if isinstance(x, Node):
        return np.array(x.value)
    if isinstance(x, (tuple, list)):
        items = [_as_arrays(i) for i in x]
        return type(x)(items) if type(x) in (tuple, list) else type(x)(*items)
    if isinstance(x, dict):
        return {k: _as_arrays(v) for k, v in x.items()}
    return x


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        try:
            return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        except TypeError:
            return False
    if isinstance(a, (tuple, list)) and type(a) is type(b):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _describe(ins) -> str:
    if isinstance(ins, Call):
        return getattr(ins.function, "__qualname__", None) or getattr(
            ins.function, "__name__", repr(ins.function))
    if isinstance(ins, Effect):
        return ins.method.__qualname__
    return type(ins).__name__


def _check_same(first: Trace, second: Trace) -> None:
    """Two traces of the same arguments must record the same program: a constant that differs
    was drawn at random or read from outside, and would be frozen by the replay."""
    a, b = first.instructions, second.instructions
    steps = [(_describe(x), _describe(y)) for x, y in zip(a, b)]
    if len(a) != len(b) or any(x != y for x, y in steps):
        at = next((i for i, (x, y) in enumerate(steps) if x != y), min(len(a), len(b)))
        raise TraceError(
            "compiled function: two traces with the same arguments did different things "
            f"(operation {at}: {steps[at] if at < len(steps) else 'one trace ended'}); its "
            "Python code must not depend on anything but its arguments' shapes")
    for x, y in zip(first.literals, second.literals):
        if not _same(x, y):
            raise TraceError(
                "compiled function: a constant it makes changed between two traces with the "
                f"same arguments ({_short(x)} then {_short(y)}): random numbers drawn inside "
                "the function (np.random, a Generator's own methods) or a value read from "
                "outside would be frozen at one draw. Draw them outside and pass them in as "
                "an argument, or draw them with autograph.random.uniform / bernoulli from a "
                "Generator made outside the function (nn.Dropout does), which a replay draws "
                "anew on every call")
    for x, y in zip(first.draws, second.draws):
        if x is not y:
            raise TraceError(
                "compiled function: it draws random numbers (autograph.random) from a "
                "Generator made inside the function, which a replay would keep drawing from "
                "(eager mode would start it afresh on every call); make the Generator outside "
                "the function")
    for i, (x, y) in enumerate(zip(first.states, second.states)):
        if x is not y and not _same(first.saved[i][0], second.saved[i][0]):
            raise TraceError(
                f"compiled function: the Node {y.label} {y.shape} made inside the function "
                "has different values in two traces (random numbers?); pass such values in "
                "as an argument")


def _short(x) -> str:
    if isinstance(x, np.ndarray):
        return f"array {x.shape} {np.array2string(x, threshold=4, precision=4)}"
    text = repr(x)
    return text if len(text) < 60 else text[:57] + "..."
