"""A trace made into a program: dead instructions dropped, straight-line Python generated.

The program is one generated Python function with a line per numpy call, so a replay pays a
function call per operation and nothing else (no graph, no Nodes, no dispatch). Small values
that stay inside the program are written into arrays preallocated once (`out=`) when the
operation is a ufunc, and a buffer is reused once its value is dead; large values are
allocated and let go of after their last read, as eager mode does. Values that leave the
program (results, gradients) are arrays of their own on every call, since a caller may keep
them.

Measured on the tutorial's step (tests/compiler/test_replay_kernels.py checks each against
eager mode, on the paths where its condition holds and where it does not):

- sigmoid, softmax and log-softmax of rows run as kernels made once per operation, writing
  into the program's buffers (ops/activations.py: `sigmoid_kernel`, `softmax_rows_kernel`);
- products and sums of float matrices are written as `ndarray.dot` (into a buffer when the
  result stays inside), a small transposed matrix copied first;
- two rewrites: exp(log_softmax(z)) is softmax(z), and log_softmax's gradient under a summed
  cross-entropy is p - t where the targets' rows sum to 1 (checked on every call);
- a gradient known to be None is given the new array itself, without a copy.
"""

from __future__ import annotations

import numpy as np

from autograph.core.backward import _own_arrays
from autograph.core.node import writable
from autograph.compiler.trace import Call, ClearGrad, Effect, Grads, Trace, Traced
from autograph.compiler.trace import value_codes as _codes
from autograph.ops.kernels import (copied_for_dot, dot as _dot, ones_vector,
                                   sum_along as _sum_along)


def _own(x):
    """A fresh ufunc result as an array (a 0-d result comes as a numpy scalar)."""
    return x if type(x) is np.ndarray else np.array(x)


def _held(x, held: frozenset):
    """`x`, unless the program holds it (a buffer, a constant) or it is a view or a scalar:
    then a copy."""
    if type(x) is np.ndarray and x.base is None and id(x) not in held:
        return x
    return np.array(x)


def _add_grads(pairs) -> None:
    # As `backward` stores them (core/backward.py): arrays of their own, added to any gradient
    # a Node already holds.
    for leaf, g in _own_arrays(pairs, None):
        leaf.grad = g if leaf.grad is None else leaf.grad + g


class Program:
    """The generated function of one trace, its state Nodes, and the guard that tells whether
    it still applies (the states' shapes, dtypes, and which gradients are None)."""

    def __init__(self, trace: Trace, output, n_inputs: int, backend: str | None = None):
        self.trace_size = len(trace.instructions)
        instructions = _live(trace.instructions, output)
        namespace: dict = {"_add_grads": _add_grads}
        names: dict = {}        # id of a constant or function -> its name in `namespace`

        def constant(x) -> str:
            name = names.get(id(x))
            if name is None:
                name = names[id(x)] = f"c{len(names)}"
                namespace[name] = x
            return name

        def expr(x) -> str:
            if isinstance(x, Traced):
                return constant(x.example) if x.kind == "constant" else x.code
            if isinstance(x, tuple) and _traced_inside(x):
                return "(" + "".join(expr(i) + ", " for i in x) + ")"
            if isinstance(x, list) and _traced_inside(x):
                return "[" + ", ".join(expr(i) for i in x) + "]"
            if isinstance(x, dict) and _traced_inside(x):
                return "{" + ", ".join(f"{k!r}: {expr(v)}" for k, v in x.items()) + "}"
            return constant(x)

        _fold_constants(instructions)
        instructions = _live(_softmax_for_exp_of_log_softmax(instructions, output), output)
        if backend != "numba":     # the tape runs the rule as written, in the same pass
            instructions = _minus_targets_grad_fused(instructions, output)
        self.size = sum(isinstance(i, Call) for i in instructions)
        escaping = _escaping(instructions, output)
        fresh = set()     # values a ufunc allocated: nobody else holds them
        arrays = set()    # fresh values that are arrays on every call (0-d: numpy scalars)
        new_or_view = set()   # values that are a new array or a view, never an input itself
        large = set()     # values too large for a buffer: allocated, and freed after use
        buffers = []
        lines = []
        last = _last_uses(instructions, output)
        read_last = _last_uses(instructions, output, views=False)
        dead_after: dict = {}     # position -> large values to let go of after it
        for code, k in read_last.items():
            dead_after.setdefault(k, []).append(code)
        pool: dict = {}           # (shape, dtype) -> buffers free for reuse
        holding: dict = {}        # value -> the buffer it is in, while it may still be read

        def handed_out(x) -> str:
            # what leaves the program must be an array nobody else holds: the program's
            # buffers and constants, a parameter's array or views of them are copied
            if isinstance(x, Traced) and x.code in fresh:
                return f"_own({x.code})"
            return f"_held({expr(x)}, _holds)"
        handed_out.literal = expr

        def take(example) -> np.ndarray:
            """A buffer for a value like `example`: a free one, else a new one."""
            free = pool.get((example.shape, example.dtype))
            if free:
                return free.pop()
            buffer = np.empty_like(example, order="C")
            buffers.append(buffer)
            return buffer

        tapes, in_tape = {}, set()
        if backend == "numba":
            tapes, in_tape = _tapes(instructions, output, expr, trace.grad_was_none)
            self.tapes = list(tapes.values())
        grad_none = list(trace.grad_was_none)   # which .grad are None here, as far as known
        for k, ins in enumerate(instructions):
            if k in in_tape:
                tape = tapes.get(k)
                if tape is not None:     # the first operation of a segment: the whole segment
                    lines += tape.lines(constant)
                continue
            lean = _lean(ins, escaping) if isinstance(ins, Call) else None
            into_dot = isinstance(ins, Call) and _buffered_dot(ins, escaping)
            # buffers of values read for the last time by an earlier operation, or by this
            # one (an elementwise ufunc may write over its own input; a lean kernel or a
            # product may not) are free again
            free_until = k - 1 if lean is not None or into_dot else k
            for code in [c for c, _ in holding.items() if last.get(c, -1) <= free_until]:
                buffer = holding.pop(code)
                pool.setdefault((buffer.shape, buffer.dtype), []).append(buffer)
            gone = [c for c in dead_after.get(k - 1, ()) if c in large]
            if gone:              # as eager mode frees a value once read for the last time
                lines.append(f"del {', '.join(gone)}")
            if isinstance(ins, Call):
                if ins.out is not None and _nbytes(ins.out.example) > _BUFFERED:
                    large.add(ins.out.code)
                operands = ins.args
                if isinstance(ins.function, np.ufunc) and not ins.kwargs and \
                        ins.function is not np.power:
                    # (power: numpy squares, roots or inverts for a scalar exponent of 2,
                    # 0.5 or -1, but calls pow entry by entry for an array of them, which
                    # rounds differently in 5-20% of entries)
                    target = ins.into if ins.out is None else ins.out
                    operands = _scalars_as_arrays(ins.function, operands, target)
                args = [expr(a) for a in operands]
                args += [f"{k}={expr(v)}" for k, v in ins.kwargs.items()]
                if into_dot:
                    holding[ins.out.code] = buffer = take(ins.out.example)
                    a, b = _dot_operands(ins, args)
                    lines.append(f"{ins.out.code} = {constant(np.dot)}({a}, {b}, "
                                 f"{constant(buffer)})")
                    continue
                if lean is not None:
                    out = ins.out
                    holding[out.code] = buffer = take(out.example)
                    # the array its input usually is: the buffer a ufunc writes it into
                    x = ins.args[0]
                    source = holding.get(x.code) if x.kind == "value" else None
                    kernel = lean(out.example, buffer, source)
                    call = ", ".join(expr(a) for a in ins.args)
                    lines.append(f"{out.code} = {constant(kernel)}({call})")
                    continue
                direct = _direct(ins, args, constant) if ins.into is None else None
                if direct is not None:
                    if ins.function in _NEW_OR_VIEW:
                        new_or_view.add(ins.out.code)
                        if ins.out.example.base is None and ins.out.example.ndim > 0:
                            fresh.add(ins.out.code)
                            arrays.add(ins.out.code)
                    lines.append(f"{ins.out.code} = {direct}")
                    continue
                template = _TEMPLATES.get(ins.function)
                if template is not None and ins.into is None and not ins.kwargs.get("axes", 0):
                    lines.append(f"{ins.out.code} = {template(args, ins.kwargs, expr)}")
                    continue
                function = constant(ins.function)
                if ins.into is not None:
                    target = ins.into.code
                    if ins.into.kind == "state":     # s3.value: unlocked as eager mode must
                        target = f"_writable({target.split('.')[0]})"
                    # out, positionally where numpy allows it: parsed faster
                    keyword = "out=" if not isinstance(ins.function, np.ufunc) or ins.kwargs \
                        or ins.function.nout != 1 or ins.function in (np.maximum, np.minimum) \
                        else ""
                    lines.append(f"{function}({', '.join(args)}, {keyword}{target})")
                    continue
                out = ins.out
                if (isinstance(ins.function, np.ufunc) and ins.function.nout == 1
                        and len(args) == ins.function.nin and out.code not in escaping
                        and type(out.example) is np.ndarray and out.example.ndim > 0
                        and out.example.nbytes <= _BUFFERED):
                    holding[out.code] = buffer = take(out.example)
                    # out, positionally where numpy allows it: parsed faster
                    keyword = "out=" if ins.function in (np.maximum, np.minimum) else ""
                    args.append(keyword + constant(buffer))
                elif isinstance(ins.function, np.ufunc):
                    fresh.add(out.code)
                    if type(out.example) is np.ndarray and out.example.ndim > 0:
                        arrays.add(out.code)
                if isinstance(ins.function, np.ufunc) or ins.function in _NEW_OR_VIEW:
                    new_or_view.add(out.code)
                    if ins.function in _NEW_OR_VIEW and type(out.example) is np.ndarray \
                            and out.example.base is None and out.example.ndim > 0:
                        fresh.add(out.code)     # a new array on every call, as at the trace
                        arrays.add(out.code)
                lines.append(f"{out.code} = {function}({', '.join(args)})")
            elif isinstance(ins, Grads):
                codes = [g.code if isinstance(g, Traced) else None for _, g in ins.pairs]
                distinct = len(set(codes)) == len(codes)
                if distinct and all(c in arrays and grad_none[i]
                                    for c, (i, _) in zip(codes, ins.pairs)):
                    # new arrays nobody else holds, into gradients known to be None here
                    lines += [f"s{i}.grad = {g.code}" for i, g in ins.pairs]
                elif distinct and all(c in new_or_view for c in codes):
                    # distinct new arrays (or views, which _held copies): added in line
                    for i, g in ins.pairs:
                        lines.append(f"_g = {handed_out(g)}")
                        lines.append(f"s{i}.grad = _g if s{i}.grad is None else s{i}.grad + _g")
                else:
                    pairs = "".join(f"(s{i}, {handed_out(g)}), " for i, g in ins.pairs)
                    lines.append(f"_add_grads(({pairs}))")
                for i, _ in ins.pairs:
                    grad_none[i] = False
            elif isinstance(ins, ClearGrad):
                lines.append(f"s{ins.state}.grad = None")
                grad_none[ins.state] = True
            elif isinstance(ins, Effect):
                grad_none = [False] * len(grad_none)    # what it does to .grad is not known
                call = [constant(a) for a in ins.args]
                call += [f"{k}={constant(v)}" for k, v in ins.kwargs.items()]
                lines.append(f"{constant(ins.method)}({', '.join(call)})")
        namespace["_own"], namespace["_held"] = _own, _held
        namespace["_writable"] = writable
        if tapes:
            from autograph.compiler.numba_backend import run_tape
            namespace["_run_tape"], namespace["_empty"] = run_tape, np.empty
        namespace["_holds"] = frozenset(id(v) for v in namespace.values()
                                        if isinstance(v, np.ndarray))
        lines.append(f"return {_render_output(output, handed_out)}")
        for i, node in enumerate(trace.states):
            namespace[f"s{i}"] = node
        self.buffers = buffers
        self.states = trace.states
        self.source = (f"def program({', '.join(f'a{i}' for i in range(n_inputs))}):\n"
                       + "".join(f"    {line}\n" for line in lines))
        exec(compile(self.source, "<autograph compiled program>", "exec"), namespace)
        self.run = namespace["program"]
        # the guard: one expression over the states, generated like the program
        # (a dtype is compared by identity first: numpy's builtin dtypes are single objects,
        # and `==` on dtypes costs several times more)
        checks = []
        for i, (node, was_none) in enumerate(zip(trace.states, trace.grad_was_none)):
            value, dtype = trace.saved[i][0], constant(trace.saved[i][0].dtype)
            checks.append(f"(_v := s{i}.value).shape == {value.shape!r}")
            checks.append(f"(_v.dtype is {dtype} or _v.dtype == {dtype})")
            checks.append(f"s{i}.grad is {'' if was_none else 'not '}None")
        for obj, name, value in trace.watched:       # attributes the Python code read
            checks.append(f"{constant(obj)}.{name} == {constant(value)}")
        guard_source = f"def guard():\n    return {' and '.join(checks) or 'True'}\n"
        exec(compile(guard_source, "<autograph compiled guard>", "exec"), namespace)
        self.guard = namespace["guard"]


# Values up to this size are written into buffers kept between calls, which spares numpy's
# allocation (a large part of an operation on a small array). Larger ones are allocated and
# freed as soon as they have been read for the last time, as eager mode does: a buffer kept
# for them would add to the memory a step needs, and save nothing measurable.
_BUFFERED = 64 * 1024


# Kernels that return a new array or a view of one, never one of their inputs.
_NEW_OR_VIEW = {_dot, _sum_along}


def _lean(ins, escaping):
    """A maker of a kernel (example, buffer, source) -> function of the operands, when `ins`
    has a kernel writing into a buffer of the program (ops/activations.py), else None. Only
    for values that stay inside the program: a buffer is overwritten on the next call."""
    out = ins.out
    if ins.into is not None or out.code in escaping or type(out.example) is not np.ndarray \
            or out.example.nbytes > _BUFFERED or out.example.dtype not in _LEAN_DTYPES:
        return None
    if ins.kwargs.keys() - {"axis"} or not all(
            isinstance(x, Traced) and x.shape == out.shape and x.dtype == out.dtype
            for x in ins.args):
        return None
    make = _LEAN.get(ins.function)
    return None if make is None else make(out.example, ins.kwargs)


_LEAN_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
# Rows of up to this many entries: their maximum is a running np.maximum over the columns.
_NARROW = 16


def _lean_kernels() -> dict:
    from autograph.core.node import PRIMITIVES
    from autograph.ops import activations as a

    def sigmoid(example, kwargs):
        if kwargs or example.ndim == 0:
            return None
        return lambda e, out, source: a.sigmoid_kernel(e.shape, e.dtype, out)

    def rows(maker):
        def make(example, kwargs):
            if kwargs.keys() != {"axis"} or example.ndim != 2 \
                    or type(kwargs["axis"]) is not int or kwargs["axis"] not in (1, -1) \
                    or not 2 <= example.shape[1] <= _NARROW:
                return None
            return lambda e, out, source: maker(e.shape, e.dtype, out, source)
        return make

    def minus_targets(example, kwargs):
        if kwargs or example.ndim != 2:
            return None
        return lambda e, out, source: a.minus_targets_grad_kernel(e.shape, e.dtype, out)
    return {a.minus_targets_grad: minus_targets,
            PRIMITIVES["sigmoid"].forward: sigmoid,
            PRIMITIVES["softmax"].forward: rows(a.softmax_rows_kernel),
            PRIMITIVES["log_softmax"].forward: rows(a.log_softmax_rows_kernel)}


_LEAN = _lean_kernels()


def _nbytes(x) -> int:
    return x.nbytes if isinstance(x, np.ndarray) else 0


# Up to this many entries a scalar operand is stored repeated to the result's shape.
_SMALL = 4096


def _scalars_as_arrays(function: np.ufunc, operands, out):
    """A Python number combined with a float array, as an array of the dtype the ufunc's loop
    takes it in: numpy converts a Python number on every call (NEP 50 makes it the array's
    dtype for most ufuncs, float64 for float_power's), which costs more than the operation on
    a small array. The same numbers: the loop is the one numpy chooses for the number.

    >>> x = Traced(None, None, np.ones(2, dtype=np.float32), "input")
    >>> [a.example for a in _scalars_as_arrays(np.float_power, (x, 0.1), x)[1:]]
    [array([0.1, 0.1])]
    """
    dtypes = [x.dtype for x in operands if isinstance(x, Traced) and x.dtype.kind in "fc"]
    if not dtypes or any(isinstance(x, np.ndarray) for x in operands) \
            or any(x.dtype != dtypes[0] for x in operands if isinstance(x, Traced)):
        return operands
    try:
        loop = function.resolve_dtypes(tuple(
            x.dtype if isinstance(x, Traced) else type(x) for x in operands)
            + (None,) * function.nout)
    except (TypeError, ValueError):         # not a combination numpy resolves this way
        return operands
    shape = out.shape
    size = int(np.prod(shape))
    converted = []
    for x, dtype in zip(operands, loop):
        if type(x) in (int, float):
            x = np.full(shape if size <= _SMALL else (), x, dtype=dtype)
            x.flags.writeable = False
            x = Traced(None, None, x, "constant")
        converted.append(x)
    return tuple(converted)


def _templates() -> dict:
    """Primitives whose forward is one ndarray method or operator: written as such, which
    spares a call of a Python function wrapping numpy's (transposes, reshapes, indexing)."""
    from autograph.core.node import PRIMITIVES
    from autograph.ops.shape import getitem
    _reshape, _transpose = PRIMITIVES["reshape"], PRIMITIVES["transpose"]
    return {
        _transpose.forward: lambda args, kwargs, expr: f"{args[0]}.T",   # axes=None only
        _reshape.forward: lambda args, kwargs, expr: f"{args[0]}.reshape({expr(kwargs['shape'])})",
        getitem.forward: lambda args, kwargs, expr: f"{args[0]}[{expr(kwargs['index'])}]",
    }


_TEMPLATES = _templates()


def _direct(ins, args, constant):
    """`dot` and `sum_along` of float matrices as the ndarray method their kernel calls
    (ops/kernels.py), written in the program: a Python call and its checks fewer. The shapes
    and dtypes are the trace's on every call, so the kernel's choice is too."""
    examples = [a.example if isinstance(a, Traced) else None for a in ins.args]
    if not all(type(e) is np.ndarray and e.ndim == 2 and e.dtype in _LEAN_DTYPES
               for e in examples) or type(ins.out.example) is not np.ndarray:
        return None
    if ins.function is _dot and len(ins.args) == 2 and not ins.kwargs:
        a, b = _dot_operands(ins, args)
        return f"{a}.dot({b})"
    if ins.function is _sum_along and len(ins.args) == 1 \
            and ins.kwargs.keys() <= {"axis", "keepdims"}:
        axis, keepdims = ins.kwargs.get("axis"), ins.kwargs.get("keepdims", False)
        if type(axis) is not int or type(keepdims) is not bool:
            return None
        n, k = examples[0].shape
        dtype = examples[0].dtype
        if axis in (1, -1):
            ones = constant(ones_vector(k, dtype))
            return f"{args[0]}.dot({ones})" + ("[:, None]" if keepdims else "")
        if axis in (0, -2):
            ones = constant(ones_vector(n, dtype))
            return f"{ones}.dot({args[0]})" + ("[None, :]" if keepdims else "")
    return None


def _dot_operands(ins, args) -> tuple:
    """The operands of a product of matrices as written in the program: a small transposed
    matrix (W.T in backward) is copied, as `kernels.dot` copies it in eager mode."""
    return tuple(f"{arg}.copy()" if copied_for_dot(a.example) else arg
                 for arg, a in zip(args, ins.args))


def _buffered_dot(ins, escaping) -> bool:
    """A product of two float matrices of one dtype whose result stays inside the program:
    written into a buffer (numpy's out=), which spares an allocation."""
    out = ins.out
    return ins.function is _dot and ins.into is None and not ins.kwargs \
        and len(ins.args) == 2 and out.code not in escaping \
        and type(out.example) is np.ndarray and out.example.ndim == 2 \
        and out.example.nbytes <= _BUFFERED and out.example.dtype in _LEAN_DTYPES \
        and all(isinstance(a, Traced) and type(a.example) is np.ndarray
                and a.example.ndim == 2 and a.example.dtype == out.example.dtype
                for a in ins.args)


def _tapes(instructions, output, expr, grad_was_none):
    """backend="numba": the segments the tape interpreter runs, laid out in their arenas
    ({position of a segment's first instruction: Segment}, every position inside one)."""
    from autograph.compiler import numba_backend
    positions = numba_backend.segments(instructions, grad_was_none)
    if positions:
        numba_backend.announce_compile()
    inside = {k for run in positions for k in run}
    needed = _codes(output, set())          # read by numpy operations, gradients, results
    for k, ins in enumerate(instructions):
        if k in inside:
            continue
        if isinstance(ins, Call):
            _codes((ins.args, ins.kwargs), needed)
        elif isinstance(ins, Grads):
            _codes([g for _, g in ins.pairs], needed)
    arenas, tapes = {}, {}
    for run in positions:
        first = next(instructions[k] for k in run if isinstance(instructions[k], Call))
        dtype = numba_backend.dtype_of(first)
        arena = arenas.setdefault(dtype, numba_backend.Arena(dtype))
        tapes[run[0]] = numba_backend.Segment(instructions, run, needed, expr, arena)
    for arena in arenas.values():
        arena.allocate()
    return tapes, inside


def _last_uses(instructions, output, views: bool = True) -> dict:
    """For each computed value, the position of the last operation that may read it; the
    results and gradients are read at the end. An operation other than a ufunc may return a
    view of its inputs (a transpose, a reshape), so its inputs live as long as its result."""
    last: dict = {}
    end = len(instructions)
    for k, ins in enumerate(instructions):
        if isinstance(ins, Call):
            for code in _codes((ins.args, ins.kwargs), set()):
                last[code] = k
        elif isinstance(ins, Grads):
            for code in _codes([g for _, g in ins.pairs], set()):
                last[code] = end
    for code in _codes(output, set()):
        last[code] = end
    if not views:
        return last
    for ins in reversed(instructions):
        if isinstance(ins, Call) and ins.out is not None and not isinstance(ins.function,
                                                                            np.ufunc):
            until = last.get(ins.out.code, -1)
            for code in _codes((ins.args, ins.kwargs), set()):
                last[code] = max(last[code], until)
    return last


def _uses(instructions, output) -> dict:
    """How many times each computed value is used: by operations, gradients and results."""
    counts: dict = {}

    def count(x):
        for code in _codes(x, set()):
            counts[code] = counts.get(code, 0) + 1
    for ins in instructions:
        if isinstance(ins, Call):
            count(ins.args)
            count(ins.kwargs)
        elif isinstance(ins, Grads):
            for _, g in ins.pairs:
                count(g)
    count(output)
    return counts


def _softmax_for_exp_of_log_softmax(instructions, output) -> list:
    """exp(log_softmax(z)), with the log-softmax used nowhere else, is softmax(z): three numpy
    calls fewer. It is the gradient of cross-entropy: the step of every classifier has it."""
    from autograph.core.node import PRIMITIVES
    _log_softmax, _softmax = PRIMITIVES["log_softmax"].forward, PRIMITIVES["softmax"].forward
    made = {ins.out.code: ins for ins in instructions
            if isinstance(ins, Call) and ins.out is not None and ins.function is _log_softmax}
    if not made:
        return instructions
    uses = _uses(instructions, output)
    dropped = set()
    for ins in instructions:
        if isinstance(ins, Call) and ins.function is np.exp and len(ins.args) == 1 \
                and not ins.kwargs and isinstance(ins.args[0], Traced):
            producer = made.get(ins.args[0].code)
            if producer is not None and uses[producer.out.code] == 1:
                producer.function = _softmax
                ins.out.code = producer.out.code     # every use of exp(...) reads softmax
                dropped.add(id(ins))
    return [ins for ins in instructions if id(ins) not in dropped]


def _minus_targets_grad_fused(instructions, output) -> list:
    """g - p * sum(g, axis=-1, keepdims=True) with g = -t, log_softmax's gradient rule under
    a summed cross-entropy -sum(t * log_softmax(z)), as one operation: p - t where the rows
    of t sum to exactly 1, checked on every call (activations.minus_targets_grad_into). Four
    numpy calls, one of them a broadcast over rows, become three cheap ones."""
    from autograph.ops.activations import minus_targets_grad
    made = {ins.out.code: (k, ins) for k, ins in enumerate(instructions)
            if isinstance(ins, Call) and ins.out is not None and ins.into is None
            and not ins.kwargs}
    uses = _uses(instructions, output)
    dropped = set()
    for k, ins in enumerate(instructions):
        if not (isinstance(ins, Call) and ins.function is np.subtract and ins.into is None
                and not ins.kwargs and len(ins.args) == 2
                and all(isinstance(a, Traced) and a.kind == "value" for a in ins.args)):
            continue
        g, u = ins.args
        k1, first = made.get(g.code, (None, None))
        _, third = made.get(u.code, (None, None))
        if first is None or third is None or third.function is not np.multiply \
                or uses.get(g.code) != 2 or uses.get(u.code) != 1:
            continue
        s = next((a for a in third.args if isinstance(a, Traced) and a.kind == "value"
                  and a.code != g.code and _sums_rows_of(instructions, a, g)), None)
        p = next((a for a in third.args if a is not s), None)
        t = next((a for a in first.args if not _minus_ones(a)), None)
        if s is None or uses.get(s.code) != 1 or first.function is not np.multiply \
                or not any(_minus_ones(a) for a in first.args) \
                or not all(isinstance(a, Traced) and a.shape == g.shape and a.dtype == g.dtype
                           for a in (p, t)) \
                or g.example.ndim != 2 or g.dtype not in _LEAN_DTYPES \
                or any(isinstance(i, Effect) or isinstance(i, Call) and i.into is not None
                       for i in instructions[k1:k]):
            continue      # (an update between them could change t: its read may not move)
        dropped.update(id(i) for i in (first, third, _producer(instructions, s)))
        ins.function, ins.args = minus_targets_grad, (p, t)
    return [ins for ins in instructions if id(ins) not in dropped]


def _producer(instructions, value):
    return next(i for i in instructions if isinstance(i, Call) and i.out is not None
                and i.out.code == value.code)


def _sums_rows_of(instructions, s, g) -> bool:
    """s = sum_along(g, axis=-1, keepdims=True) of a matrix g."""
    ins = _producer(instructions, s)
    return ins.function is _sum_along and len(ins.args) == 1 \
        and isinstance(ins.args[0], Traced) and ins.args[0].code == g.code \
        and ins.kwargs.get("axis") in (1, -1) and type(ins.kwargs.get("axis")) is int \
        and ins.kwargs.get("keepdims") is True and ins.kwargs.keys() == {"axis", "keepdims"}


def _minus_ones(x) -> bool:
    """A constant whose every entry is -1 (a Python -1, or a stand-in of such an array)."""
    if type(x) in (int, float):
        return x == -1
    return isinstance(x, Traced) and x.kind == "constant" \
        and isinstance(x.example, np.ndarray) and x.example.size > 0 \
        and bool(np.all(x.example == -1))


def _is_constant(x) -> bool:
    """Known when the program is made: a stand-in for a constant, or a Python literal. Arrays
    given by the caller are not: the caller may change them in place between calls."""
    if isinstance(x, Traced):
        return x.kind == "constant"
    if isinstance(x, (tuple, list)):
        return all(_is_constant(i) for i in x)
    if isinstance(x, dict):
        return all(_is_constant(v) for v in x.values())
    # (a Generator draws new numbers on every call: autograph.random)
    return not isinstance(x, (np.ndarray, np.random.Generator))


def _draws(ins) -> bool:
    """A call drawing from a Generator (autograph.random): run on every call, in order, even
    when its numbers go unused, since eager mode would have advanced the Generator too."""
    return any(isinstance(a, np.random.Generator) for a in ins.args)


def _fold_constants(instructions) -> None:
    """An operation of constants alone (the seed of backward, broadcast and negated) is
    computed once: its trace-time value is its value on every call."""
    for ins in instructions:
        if isinstance(ins, Call) and ins.into is None and _is_constant(ins.args) \
                and _is_constant(ins.kwargs):
            ins.out.kind = "constant"


def _render_output(output, handed_out) -> str:
    if isinstance(output, Traced):
        return handed_out(output)
    if isinstance(output, tuple):
        return "(" + "".join(_render_output(o, handed_out) + ", " for o in output) + ")"
    if isinstance(output, list):
        return "[" + ", ".join(_render_output(o, handed_out) for o in output) + "]"
    if isinstance(output, dict):
        return "{" + ", ".join(f"{k!r}: {_render_output(v, handed_out)}"
                               for k, v in output.items()) + "}"
    return handed_out.literal(output)     # returned as it is, as the function returns it


def _traced_inside(x) -> bool:
    if isinstance(x, Traced):
        return True
    if isinstance(x, (tuple, list)):
        return any(_traced_inside(i) for i in x)
    if isinstance(x, dict):
        return any(_traced_inside(v) for v in x.values())
    return False


def _live(instructions, output) -> list:
    """The instructions that the results, the gradients or the states depend on."""
    needed = _codes(output, set())
    kept = []
    for ins in reversed(instructions):
        if isinstance(ins, Call):
            if ins.into is None and ins.out.code not in needed and not _draws(ins):
                continue
            _codes(ins.args, needed)
            _codes(ins.kwargs, needed)
        elif isinstance(ins, Grads):
            for _, g in ins.pairs:
                _codes(g, needed)
        kept.append(ins)
    kept.reverse()
    return kept


def _escaping(instructions, output) -> set:
    """Computed values handed out of the program: results and gradients."""
    found = _codes(output, set())
    for ins in instructions:
        if isinstance(ins, Grads):
            for _, g in ins.pairs:
                _codes(g, found)
    return found
