"""backend="numba": stretches of the program's operations on small arrays executed by one tape
interpreter, compiled once per machine (numba's `cache=True`), instead of a numpy call each.

Elementwise operations (with numpy's broadcasting of matrices, rows, columns and numbers),
matrix products, sums along an axis, softmax and log-softmax along rows, transposes and
broadcasts of arrays of at most two dimensions and `SMALL` entries become rows of a tape:
(opcode, destination, operands, shape, strides). Their values live in one flat arena per dtype,
preallocated for the program, so a backward pass reads the forward values where they were
left. Values from outside a stretch are copied in before it; values needed after it are read
out of the arena.

Sums and matrix products add in a different order than numpy's and BLAS's, and numba's exp,
tanh and log may round differently in the last bit: results agree with eager mode to about
1e-15 relative per operation. numba does not raise numpy's floating-point warnings.

numba is an optional extra (`pip install autograph[jit]`).
"""

from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError:              # the optional extra is not installed
    numba = None

from autograph.compiler.trace import Call, Traced

# Values up to this many entries go through the tape; larger ones stay numpy's. The tape's
# loops are scalar (about 4 ns an entry here, exp included), numpy's are vectorised (about
# 1 us a call plus 0.5 ns an entry): on the tutorial's 300 x 3 matrices the tape measured
# 1.2x slower than the numpy replay, on a chain of 8 numbers 14x faster.
SMALL = 256

(ADD, SUBTRACT, MULTIPLY, DIVIDE, MAXIMUM, MINIMUM, NEGATIVE, EXP, LOG, TANH, SIGMOID, SQRT,
 ABSOLUTE, SQUARE, RECIPROCAL, RELU, COPY, MATMUL, SUM_ROWS, SUM_COLUMNS, SOFTMAX,
 LOG_SOFTMAX) = range(22)
_BINARY = {np.add: ADD, np.subtract: SUBTRACT, np.multiply: MULTIPLY, np.divide: DIVIDE,
           np.maximum: MAXIMUM, np.minimum: MINIMUM}
_UNARY = {np.negative: NEGATIVE, np.exp: EXP, np.log: LOG, np.tanh: TANH, np.sqrt: SQRT,
          np.absolute: ABSOLUTE, np.square: SQUARE, np.reciprocal: RECIPROCAL}

if numba is not None:
    @numba.njit(cache=True)
    def run_tape(tape, arena, cap):
        """Execute `tape` on `arena`. A row: opcode, destination, operand a, operand b, the
        result's rows m and columns n, the inner length k of a product, then a's and b's
        strides (row, column) in the arena. `cap`: where a sigmoid becomes exp(x).
        Each opcode has its own loops (a test inside them would cost more than the work)."""
        for t in range(tape.shape[0]):
            code, d, a, b, m, n, kk = tape[t, 0], tape[t, 1], tape[t, 2], tape[t, 3], \
                tape[t, 4], tape[t, 5], tape[t, 6]
            a0, a1, b0, b1 = tape[t, 7], tape[t, 8], tape[t, 9], tape[t, 10]
            if code == 0:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        y = arena[b + i * b0 + j * b1]
                        arena[d + i * n + j] = x + y
            elif code == 1:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        y = arena[b + i * b0 + j * b1]
                        arena[d + i * n + j] = x - y
            elif code == 2:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        y = arena[b + i * b0 + j * b1]
                        arena[d + i * n + j] = x * y
            elif code == 3:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        y = arena[b + i * b0 + j * b1]
                        arena[d + i * n + j] = x / y
            elif code == 4:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        y = arena[b + i * b0 + j * b1]
                        arena[d + i * n + j] = x if x >= y or np.isnan(x) else y
            elif code == 5:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        y = arena[b + i * b0 + j * b1]
                        arena[d + i * n + j] = x if x <= y or np.isnan(x) else y
            elif code == 6:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = -x
            elif code == 7:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = np.exp(x)
            elif code == 8:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = np.log(x)
            elif code == 9:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = np.tanh(x)
            elif code == 10:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        # as autograph's _sigmoid: exp(x) itself below -cap
                        r = np.exp(x) if -x > cap else 1.0 / (1.0 + np.exp(-x))
                        arena[d + i * n + j] = r
            elif code == 11:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = np.sqrt(x)
            elif code == 12:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = abs(x)
            elif code == 13:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = x * x
            elif code == 14:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = 1.0 / x
            elif code == 15:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = x if x > 0.0 or np.isnan(x) else 0.0
            elif code == 16:
                for i in range(m):
                    for j in range(n):
                        x = arena[a + i * a0 + j * a1]
                        arena[d + i * n + j] = x
            elif code == 17:                                # matrix product (m, k) @ (k, n)
                for i in range(m):
                    for j in range(n):
                        s = 0.0
                        for p in range(kk):
                            s += arena[a + i * a0 + p * a1] * arena[b + p * b0 + j * b1]
                        arena[d + i * n + j] = s
            elif code == 18:                                # sum over rows: (m, n) -> (1, n)
                for j in range(n):
                    arena[d + j] = 0.0
                for i in range(m):
                    for j in range(n):
                        arena[d + j] += arena[a + i * a0 + j * a1]
            elif code == 19:                                # sum over columns: (m, 1)
                for i in range(m):
                    s = 0.0
                    for j in range(n):
                        s += arena[a + i * a0 + j * a1]
                    arena[d + i] = s
            else:                                           # softmax, log-softmax of rows
                for i in range(m):
                    top = arena[a + i * a0]
                    for j in range(1, n):
                        top = max(top, arena[a + i * a0 + j * a1])
                    s = 0.0
                    for j in range(n):
                        e = np.exp(arena[a + i * a0 + j * a1] - top)
                        arena[d + i * n + j] = e
                        s += e
                    if code == 20:
                        for j in range(n):
                            arena[d + i * n + j] /= s
                    else:
                        log_s = np.log(s)
                        for j in range(n):
                            arena[d + i * n + j] = arena[a + i * a0 + j * a1] - top - log_s


def available() -> bool:
    return numba is not None


def _kernels() -> dict:
    from autograph.core.node import PRIMITIVES
    from autograph.ops.kernels import broadcast, dot, sum_along
    forward = {name: PRIMITIVES[name].forward for name in
               ("sigmoid", "relu", "softmax", "log_softmax", "transpose", "reshape")}
    return {**forward, "dot": dot, "sum": sum_along, "broadcast": broadcast}


def _matrix(shape) -> tuple | None:
    """(rows, columns) of an array of at most two dimensions."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return 1, shape[0]
    if len(shape) == 2:
        return shape
    return None


def _operand_ok(x, out) -> bool:
    if isinstance(x, Traced):
        if x.dtype != out.dtype and x.dtype != np.bool_:
            return False
        return x.ndim <= 2 and x.size <= SMALL
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def plan(ins, kernels: dict):
    """The opcode of an operation the tape runs (None if it does not), after checking shapes
    and dtypes: results and operands of at most two dimensions, small, of one float dtype."""
    if not isinstance(ins, Call) or ins.into is not None:
        return None
    out = ins.out.example
    if type(out) is not np.ndarray or out.dtype not in (np.float64, np.float32) \
            or out.ndim > 2 or not 0 < out.size <= SMALL:
        return None
    f, args, kwargs = ins.function, ins.args, ins.kwargs
    if not all(_operand_ok(a, out) for a in args):
        return None
    if f in _BINARY and len(args) == 2 and not kwargs:
        return _BINARY[f]
    if f in _UNARY and len(args) == 1 and not kwargs:
        return _UNARY[f]
    if len(args) != 1 or not isinstance(args[0], Traced):
        if not (f is kernels["dot"] and len(args) == 2):
            return None
    if f is kernels["sigmoid"] and not kwargs:
        return SIGMOID
    if f is kernels["relu"] and not kwargs:
        return RELU
    if f is kernels["dot"] and not kwargs and all(isinstance(a, Traced) and a.ndim == 2
                                                   for a in args):
        m, k = args[0].shape
        return MATMUL if m * k * args[1].shape[1] <= 64 * SMALL else None
    if f in (kernels["softmax"], kernels["log_softmax"]) and args[0].ndim == 2 \
            and kwargs.get("axis") in (-1, 1):
        return SOFTMAX if f is kernels["softmax"] else LOG_SOFTMAX
    if f is kernels["sum"] and args[0].ndim == 2 and kwargs.get("axis") in (0, -2, 1, -1):
        return SUM_ROWS if kwargs["axis"] in (0, -2) else SUM_COLUMNS
    if f is kernels["transpose"] and kwargs.get("axes") is None and args[0].ndim == 2:
        return COPY
    if f in (kernels["broadcast"], kernels["reshape"]):
        return COPY
    return None


def runs(instructions) -> list[list[int]]:
    """Maximal stretches of consecutive operations that the tape runs, all of one dtype."""
    kernels = _kernels()
    found, current, kind = [], [], None
    for k, ins in enumerate(instructions):
        if plan(ins, kernels) is not None:
            dtype = ins.out.example.dtype
            if current and dtype == kind:
                current.append(k)
                continue
            if len(current) > 1:
                found.append(current)
            current, kind = [k], dtype
        else:
            if len(current) > 1:
                found.append(current)
            current, kind = [], None
    if len(current) > 1:
        found.append(current)
    return found


class Arena:
    """The values of every stretch of one dtype, laid end to end in one flat array."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.places: dict = {}        # value code, or ("constant", id) -> (offset, shape)
        self.size = 0
        self.constants: list = []     # (offset, value, shape)
        self.made: set = set()        # codes of values some stretch computes
        self.copied: set = set()      # codes of values copied in by some stretch
        self.array = None
        self.cap = 87.0 if dtype == np.float32 else 708.0

    def place(self, key, shape) -> int:
        if key not in self.places:
            self.places[key] = (self.size, tuple(shape))
            self.size += max(int(np.prod(shape)), 1)
        return self.places[key][0]

    def allocate(self) -> None:
        self.array = np.zeros(max(self.size, 1), dtype=self.dtype)
        for offset, value, shape in self.constants:
            size = max(int(np.prod(shape)), 1)
            self.array[offset:offset + size] = np.asarray(value, dtype=self.dtype).reshape(-1)


def _strides(shape, m: int, n: int) -> tuple:
    """Arena strides (row, column) that broadcast a C-ordered array of `shape` to (m, n)."""
    rows, columns = _matrix(shape)
    return (columns if rows == m and m > 1 else 0), (1 if columns == n and n > 1 else 0)


class Run:
    """A stretch laid out in its arena: its tape, the values copied in before it (offset,
    size, expression) and the values read out after it (offset, size, Traced)."""

    def __init__(self, instructions, positions, needed_after: set, expr, arena: Arena):
        kernels = _kernels()
        self.arena = arena
        self.inputs: list = []
        arena.made |= {instructions[k].out.code for k in positions}
        copied = set()

        def place(x) -> int:
            if isinstance(x, Traced) and x.kind != "constant":
                offset = arena.place(x.code, x.shape)
                # a value made before is copied once; a parameter's value or gradient (which
                # may change in place between stretches) into every stretch that reads it
                first = x.code not in (arena.copied if x.kind == "value" else copied)
                if x.code not in arena.made and first:
                    self.inputs.append((offset, max(x.size, 1), expr(x)))
                    copied.add(x.code)
                    arena.copied.add(x.code)
                return offset
            value = x.example if isinstance(x, Traced) else x
            key = ("constant", id(value))
            shape = np.shape(value)
            if key not in arena.places:
                arena.constants.append((arena.place(key, shape), value, shape))
            return arena.places[key][0]

        tape = []
        for k in positions:
            ins = instructions[k]
            code = plan(ins, kernels)
            out = ins.out
            d = place(out)
            m, n = _matrix(out.shape)
            a = place(ins.args[0])
            a_shape = np.shape(ins.args[0].example if isinstance(ins.args[0], Traced)
                               else ins.args[0])
            b, b_shape, inner = a, a_shape, 0
            if len(ins.args) == 2:
                b = place(ins.args[1])
                b_shape = np.shape(ins.args[1].example if isinstance(ins.args[1], Traced)
                                   else ins.args[1])
            if code == MATMUL:
                inner = a_shape[1]
                a0, a1 = a_shape[1], 1
                b0, b1 = b_shape[1], 1
            elif code in (SUM_ROWS, SUM_COLUMNS, SOFTMAX, LOG_SOFTMAX):
                m, n = _matrix(a_shape)
                a0, a1 = n, 1
                b0 = b1 = 0
            elif code == COPY and ins.function is kernels["transpose"]:
                rows, columns = _matrix(a_shape)      # out is (columns, rows)
                a0, a1 = 1, columns
                b0 = b1 = 0
            elif code == COPY and ins.function is kernels["reshape"]:
                a0, a1 = n, 1                         # the same entries, in the same order
                b0 = b1 = 0
            else:
                a0, a1 = _strides(a_shape, m, n)
                b0, b1 = _strides(b_shape, m, n)
            tape.append((code, d, a, b, m, n, inner, a0, a1, b0, b1))
        self.tape = np.array(tape, dtype=np.int64).reshape(-1, 11)
        self.outputs = [(arena.places[instructions[k].out.code][0],
                         max(instructions[k].out.size, 1), instructions[k].out)
                        for k in positions if instructions[k].out.code in needed_after]
