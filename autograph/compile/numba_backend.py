"""backend="numba": runs of elementwise operations on small arrays executed by one tape
interpreter, compiled once per machine (numba's `cache=True`), instead of a numpy call each.

A run is a stretch of the program's operations that are elementwise on arrays of the same
small size (a chain's forward and backward, a sigmoid's gradient): each becomes a row of a tape
(opcode, destination, operands), its values rows of an arena preallocated for the program.
Values from before the run are copied into their rows; values needed after it are read from
theirs. numpy's ufuncs and numba's math may round a transcendental function differently in the
last bit; the results agree with eager mode to about 1e-15 relative per operation.

numba is an optional extra (`pip install autograph[jit]`).
"""

from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError:              # the optional extra is not installed
    numba = None

from autograph.compile.trace import Call, Traced

# Arrays up to this many entries go through the tape; larger ones are numpy's (per-call
# overhead is then negligible, and an arena row per value would cost memory).
SMALL = 4096

ADD, SUBTRACT, MULTIPLY, DIVIDE, NEGATIVE, EXP, LOG, TANH, SIGMOID, MAXIMUM, MINIMUM, \
    SQRT, ABSOLUTE, SQUARE, RECIPROCAL, RELU = range(16)


def _opcodes() -> dict:
    from autograph.ops.activations import _sigmoid, relu
    return {np.add: ADD, np.subtract: SUBTRACT, np.multiply: MULTIPLY, np.divide: DIVIDE,
            np.negative: NEGATIVE, np.exp: EXP, np.log: LOG, np.tanh: TANH, _sigmoid: SIGMOID,
            np.maximum: MAXIMUM, np.minimum: MINIMUM, np.sqrt: SQRT, np.absolute: ABSOLUTE,
            np.square: SQUARE, np.reciprocal: RECIPROCAL, relu.forward: RELU}


if numba is not None:
    @numba.njit(cache=True)
    def run_tape(tape, arena, cap):
        """Execute `tape` (opcode, destination row, operand row, operand row) on `arena`;
        `cap` is the largest argument of exp that a sigmoid takes (autograph's _sigmoid)."""
        n = arena.shape[1]
        for k in range(tape.shape[0]):
            code, d, a, b = tape[k, 0], tape[k, 1], tape[k, 2], tape[k, 3]
            r, x, y = arena[d], arena[a], arena[b]
            if code == 0:
                for i in range(n):
                    r[i] = x[i] + y[i]
            elif code == 1:
                for i in range(n):
                    r[i] = x[i] - y[i]
            elif code == 2:
                for i in range(n):
                    r[i] = x[i] * y[i]
            elif code == 3:
                for i in range(n):
                    r[i] = x[i] / y[i]
            elif code == 4:
                for i in range(n):
                    r[i] = -x[i]
            elif code == 5:
                for i in range(n):
                    r[i] = np.exp(x[i])
            elif code == 6:
                for i in range(n):
                    r[i] = np.log(x[i])
            elif code == 7:
                for i in range(n):
                    r[i] = np.tanh(x[i])
            elif code == 8:
                for i in range(n):
                    r[i] = 1.0 / (1.0 + np.exp(min(-x[i], cap)))
            elif code == 9:
                for i in range(n):
                    r[i] = max(x[i], y[i]) if not (np.isnan(x[i]) or np.isnan(y[i])) \
                        else x[i] + y[i]
            elif code == 10:
                for i in range(n):
                    r[i] = min(x[i], y[i]) if not (np.isnan(x[i]) or np.isnan(y[i])) \
                        else x[i] + y[i]
            elif code == 11:
                for i in range(n):
                    r[i] = np.sqrt(x[i])
            elif code == 12:
                for i in range(n):
                    r[i] = abs(x[i])
            elif code == 13:
                for i in range(n):
                    r[i] = x[i] * x[i]
            elif code == 14:
                for i in range(n):
                    r[i] = 1.0 / x[i]
            else:
                for i in range(n):
                    r[i] = max(x[i], 0.0) if not np.isnan(x[i]) else x[i]


def available() -> bool:
    return numba is not None


def eligible(ins, opcodes: dict) -> bool:
    """An operation the tape runs: elementwise, on a small float array, every operand an
    array of the result's shape or a number."""
    if not isinstance(ins, Call) or ins.into is not None or ins.kwargs:
        return False
    if opcodes.get(ins.function) is None:
        return False
    out = ins.out.example
    if type(out) is not np.ndarray or out.dtype not in (np.float64, np.float32) \
            or not 0 < out.size <= SMALL or len(ins.args) not in (1, 2):
        return False
    for a in ins.args:
        if isinstance(a, Traced):
            if a.shape != out.shape and a.size != 1:
                return False
            if a.dtype != out.dtype and a.dtype != np.bool_:
                return False
        elif not isinstance(a, (int, float)) or isinstance(a, bool):
            return False
    return True


def runs(instructions) -> list[list[int]]:
    """Maximal stretches of consecutive eligible operations on arrays of one size and dtype."""
    opcodes = _opcodes()
    found, current, kind = [], [], None
    for k, ins in enumerate(instructions):
        if eligible(ins, opcodes):
            this = (ins.out.example.size, ins.out.example.dtype)
            if current and this == kind:
                current.append(k)
                continue
            if len(current) > 1:
                found.append(current)
            current, kind = [k], this
        else:
            if len(current) > 1:
                found.append(current)
            current, kind = [], None
    if len(current) > 1:
        found.append(current)
    return found


class Arena:
    """The rows of the values of every run of one size and dtype: a run reads the values an
    earlier run left in their rows, with no copy."""

    def __init__(self, size: int, dtype):
        self.size, self.dtype = size, dtype
        self.rows: dict = {}          # value code, or ("constant", id) -> row
        self.constants: list = []     # (row, value)
        self.made: set = set()        # codes of values some run computes
        self.copied: set = set()      # codes of values copied in by some run
        self.array = None
        self.cap = 87.0 if dtype == np.float32 else 708.0

    def allocate(self) -> None:
        self.array = np.zeros((len(self.rows), self.size), dtype=self.dtype)
        for row, value in self.constants:
            self.array[row] = np.broadcast_to(
                np.asarray(value, dtype=self.dtype).reshape(-1), (self.size,))


class Run:
    """A run laid out in its arena: its tape, the values copied in before it, and the values
    read from it afterwards."""

    def __init__(self, instructions, positions, needed_after: set, expr, arena: Arena):
        opcodes = _opcodes()
        self.arena = arena
        self.inputs: list = []   # (row, expression) copied in before the run
        arena.made |= {instructions[k].out.code for k in positions}
        rows, rows_copied = arena.rows, arena.copied

        copied = set()

        def row_of(x) -> int:
            if isinstance(x, Traced) and x.kind != "constant":
                if x.code not in rows:
                    rows[x.code] = len(rows)
                # a value made before is copied once; a parameter's value or gradient (which
                # may change in place between runs) is copied into every run that reads it
                fresh = x.code not in rows_copied if x.kind == "value" else x.code not in copied
                if x.code not in arena.made and fresh:
                    self.inputs.append((rows[x.code], expr(x)))
                    copied.add(x.code)
                    rows_copied.add(x.code)
                return rows[x.code]
            value = x.example if isinstance(x, Traced) else x
            key = ("constant", id(value))
            if key not in rows:
                rows[key] = len(rows)
                arena.constants.append((rows[key], value))
            return rows[key]

        tape = []
        for k in positions:
            ins = instructions[k]
            args = [row_of(a) for a in ins.args]
            tape.append((opcodes[ins.function], row_of(ins.out), args[0], args[-1]))
        self.tape = np.array(tape, dtype=np.int64)
        self.outputs = [(rows[instructions[k].out.code], instructions[k].out)
                        for k in positions if instructions[k].out.code in needed_after]
