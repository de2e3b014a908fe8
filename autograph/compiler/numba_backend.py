"""backend="numba": stretches of a program run by one tape interpreter, compiled once per machine.

A *segment* is a stretch of consecutive operations that the interpreter `run_tape` can do:
elementwise arithmetic and comparisons (numpy's broadcasting of matrices, rows, columns and
numbers; a mask is 1.0 and 0.0), np.where, exp, log, tanh, sigmoid, ReLU, small matrix products,
sums along an axis or of everything, softmax and log-softmax along rows, transposes and
broadcasts, of arrays of at most two dimensions; the gradients that `backward()` stores (when
the `.grad` they go to is None, as after `zero_grad()`), and in-place updates of a parameter
(`p -= lr * p.grad`). Each becomes a row of a tape: (opcode, destination, operands, shape,
strides). The values live in one flat arena per dtype, preallocated with the program, so a
backward pass reads the forward values where they were left: the tutorial's whole training
step (forward, backward, the four updates) is one call of the interpreter.

The arrays a segment reads from outside, parameters and arguments, are read through their
addresses, kept between calls while the same array objects come back (`refresh` takes them
again when one changes: about 1 us an array; a non-contiguous one is read through a copy made
on every call); an updated parameter is written back into its own array, in place, as eager
mode does. The gradients come out in one new array per call, a view of which becomes each
`.grad` (a caller may keep it: nothing else writes to it).

Chosen by measurement (the tutorial's step, 300 points, 2-3-3; hand-written numpy 46 us):
- One interpreter, not code generated per program: numba compiles it once per machine
  (`cache=True`: about 40 s the first time on this machine, then 0.5-0.8 s to load on the first
  call of a process), while straight-line numba code per graph took 18-24 s for every new graph.
- Not a numpy call per operation: numpy pays about 1 us a call on 300 x 3 matrices, more than
  the work; the interpreter pays about 20 ns a row.
- Loops by layout, not one strided loop: a contiguous operand runs as one flat loop, a number,
  a short row or column (a bias, a normalisation) in unrolled loops, so that LLVM vectorises:
  0.22 ns an entry for an addition against 0.7 for the strided loop. Products with at most 4
  columns and inner length 4 are unrolled (0.85 us for (300, 3) @ (3, 3), 2.7 strided); longer
  ones run in tiles of 2 x 4 sums held in registers; a transpose read by a product is read
  across, not copied.
- exp and tanh written as polynomials that LLVM vectorises (0.9 and 1.1 ns an entry), as the C
  library's are calls per entry (4.4 and 11 ns): the 1,800 exps of a step cost 8 us before.
- Fused kernels per elementwise run were not built: with these loops the elementwise rows
  of the tutorial's step cost 2 us of its 13 us in the interpreter; products, softmax and
  sigmoid the rest.
The step measured 0.33-0.40x hand-written numpy, the numpy replay 1.0x.

What can differ from eager mode in the last bits: sums and matrix products add in another
order than numpy's and BLAS's (and with fused multiply-adds); exp is within 1 ulp of numpy's,
tanh within 3 ulp, log is the C library's; float32 products, sums and transcendentals are
computed in float64 and rounded once. Results agree with eager mode to about 1e-15 relative
per operation (float32: 1e-7), and training runs agree to 1e-12 over hundreds of steps (tested).
What does not differ: a sigmoid below -cap is exp(x), as eager's; overflow gives inf; NaN
propagates through every operation, comparisons and maximum included; a softmax or log-softmax
of a row whose largest entry is -inf or +inf raises eager's ValueError, naming the row (the
interpreter stops there, before any update or gradient is written). numba does not raise
numpy's floating-point warnings. Known difference: a parameter updated in a segment is passed
through `autograph.writable` before the interpreter runs, so a step that raises has already
renumbered it (as if updated).

numba is an optional extra (`pip install numba`, or `pip install ".[jit]"` in a checkout).
"""

from __future__ import annotations

import sys

import numpy as np

try:
    import numba
    from numba import types
    from numba.extending import intrinsic
except ImportError:              # the optional extra is not installed
    numba = None

from autograph.compiler.trace import Call, ClearGrad, Grads, Traced
from autograph.compiler.trace import value_codes as _value_codes

# Values up to this many entries go through the tape. Measured here (ns an entry, tape against
# numpy): at 900 entries add 0.22 / 0.62, exp 0.93 / 1.3, tanh 1.1 / 2.1; at 16,384 add
# 0.22 / 0.24, exp 0.90 / 0.81. Above it numpy's call costs nothing measurable and the arena,
# which keeps every value of a segment, would only grow.
SMALL = 16384
# Matrix products up to this many multiply-adds go through the tape: its loops take about
# 0.3 ns a multiply-add, BLAS 0.04 ns after a call of about 1 us, and a product left to numpy
# splits a segment (another call of the interpreter, values copied out and in: 1-2 us).
# Measured: (300, 3) @ (3, 3) 0.85 us in the tape, 0.8 us in numpy plus the split;
# (300, 8) @ (8, 8) 8.2 us against 1.3 us.
PRODUCT = 8192

(ADD, SUBTRACT, MULTIPLY, DIVIDE, MAXIMUM, MINIMUM, NEGATIVE, EXP, LOG, TANH, SIGMOID, SQRT,
 ABSOLUTE, SQUARE, RECIPROCAL, RELU, COPY, MATMUL, SUM_ROWS, SUM_COLUMNS, SOFTMAX,
 LOG_SOFTMAX, TRANSPOSE, LOAD, STORE, GRAD, SUM_ALL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL,
 EQUAL, NOT_EQUAL, WHERE) = range(34)
_BINARY = {np.add: ADD, np.subtract: SUBTRACT, np.multiply: MULTIPLY, np.divide: DIVIDE,
           np.maximum: MAXIMUM, np.minimum: MINIMUM}
# comparisons: their masks are 1.0 and 0.0 in the arena, which multiply as numpy's booleans do
_COMPARE = {np.greater: GREATER, np.greater_equal: GREATER_EQUAL, np.less: LESS,
            np.less_equal: LESS_EQUAL, np.equal: EQUAL, np.not_equal: NOT_EQUAL}
_UNARY = {np.negative: NEGATIVE, np.exp: EXP, np.log: LOG, np.tanh: TANH, np.sqrt: SQRT,
          np.absolute: ABSOLUTE, np.square: SQUARE, np.reciprocal: RECIPROCAL}
# Where autograph's sigmoid becomes exp(x): its cap, as autograph.ops.activations has it for
# float64 and float32 (a test compares the two at the edges).
_SIGMOID_CAP = {np.dtype(np.float64): 708.0, np.dtype(np.float32): 87.0}
# Arena entries 0 and 1 hold the sigmoid's cap and a dummy: every arena starts with them.
_RESERVED = 2

if numba is not None:
    @intrinsic
    def _pointer(typingctx, address, like):
        """The address (an integer) as a pointer to entries of `like`'s dtype."""
        pointer = types.CPointer(like.dtype)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(pointer))
        return pointer(types.intp, like), codegen

    @intrinsic
    def _as_float64(typingctx, bits):
        """The 64 bits of an integer read as a float64."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))
        return types.float64(types.int64), codegen

    @numba.njit(fastmath={"contract"}, error_model="numpy")
    def _vector_exp(x):
        """exp(x) in float64, in operations LLVM vectorises (the C library's exp is a call per
        entry: 4.4 ns against 0.5 ns). x = k ln2 + r, |r| <= ln2 / 2 (Cody and Waite);
        e^r by its Taylor polynomial to r^13 (truncation 2e-17); 2^k as two normal powers
        of two, so that subnormal results are rounded once. Within 1 ulp of the exact value
        (tested against numpy over the whole range); overflow gives inf, NaN stays NaN."""
        y = x if x < 710.0 else 710.0              # NaN and overflow: fixed up below
        y = y if y > -746.0 else -746.0
        k = (y * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0
        r = (y - k * 0.6931471803691238) - k * 1.9082149292705877e-10
        p = 1.6059043836821613e-10
        p = p * r + 2.08767569878681e-09
        p = p * r + 2.505210838544172e-08
        p = p * r + 2.755731922398589e-07
        p = p * r + 2.7557319223985893e-06
        p = p * r + 2.48015873015873e-05
        p = p * r + 0.0001984126984126984
        p = p * r + 0.001388888888888889
        p = p * r + 0.008333333333333333
        p = p * r + 0.041666666666666664
        p = p * r + 0.16666666666666666
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        ki = np.int64(k)
        half = ki >> 1
        e = p * _as_float64((half + 1023) << 52) * _as_float64((ki - half + 1023) << 52)
        return e if x == x else x

    @numba.njit(fastmath={"contract"}, error_model="numpy")
    def _vector_tanh(x):
        """tanh(x) = -expm1(-2|x|) / (2 + expm1(-2|x|)), the sign of x, in operations LLVM
        vectorises. expm1 as _vector_exp's exp, with e^r - 1 summed without its 1 (no
        cancellation near 0) and 2^k (e^r - 1) + (2^k - 1). Within 3 ulp of numpy's (tested)."""
        y = -2.0 * abs(x)
        y = y if y > -40.0 else -40.0             # below, tanh is 1 to the last bit; NaN too
        k = (y * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0
        r = (y - k * 0.6931471803691238) - k * 1.9082149292705877e-10
        q = 1.6059043836821613e-10
        q = q * r + 2.08767569878681e-09
        q = q * r + 2.505210838544172e-08
        q = q * r + 2.755731922398589e-07
        q = q * r + 2.7557319223985893e-06
        q = q * r + 2.48015873015873e-05
        q = q * r + 0.0001984126984126984
        q = q * r + 0.001388888888888889
        q = q * r + 0.008333333333333333
        q = q * r + 0.041666666666666664
        q = q * r + 0.16666666666666666
        q = q * r + 0.5
        q = q * r + 1.0
        q = q * r                                  # e^r - 1
        t = _as_float64((np.int64(k) + 1023) << 52)
        em1 = t * q + (t - 1.0)
        g = em1 / (2.0 + em1)                      # -tanh(|x|)
        return -g if x > 0.0 else (g if x < 0.0 else x)     # +-0 and NaN: x itself

    @numba.njit(error_model="numpy")
    def _full(s0, s1, m, n):
        return (s0 == n or m == 1) and (s1 == 1 or n == 1)

    def _broadcast_by(op, N):
        """op(x, y) of a full (m, N) x and a row or a column y, for N of 2 to 4 known when
        compiled: the loop along a row unrolled, a row's y in registers."""
        @numba.njit(error_model="numpy")
        def broadcast(out, x, arena, b, m, b0, b1):
            if b0 == 0:                                   # a row, repeated down
                y0, y1 = arena[b], arena[b + b1]
                y2, y3 = arena[b + min(2, N - 1) * b1], arena[b + min(3, N - 1) * b1]
                for i in range(m):
                    at = i * N
                    out[at] = op(x[at], y0)
                    out[at + 1] = op(x[at + 1], y1)
                    if N > 2:
                        out[at + 2] = op(x[at + 2], y2)
                    if N > 3:
                        out[at + 3] = op(x[at + 3], y3)
            else:                                         # a column, repeated across
                for i in range(m):
                    at = i * N
                    v = arena[b + i * b0]
                    out[at] = op(x[at], v)
                    out[at + 1] = op(x[at + 1], v)
                    if N > 2:
                        out[at + 2] = op(x[at + 2], v)
                    if N > 3:
                        out[at + 3] = op(x[at + 3], v)
        return broadcast

    def _lean_binary(op):
        """Fewer loops, for operations rarely run on a broadcast row or column (comparisons,
        maximum, minimum): each loop adds to the code loaded on the first call."""
        @numba.njit(error_model="numpy")
        def binary(arena, d, a, b, m, n, a0, a1, b0, b1):
            size = m * n
            out = arena[d:d + size]
            if _full(a0, a1, m, n) and _full(b0, b1, m, n):
                for i in range(size):
                    out[i] = op(arena[a + i], arena[b + i])
            elif _full(a0, a1, m, n) and b0 == 0 and b1 == 0:
                v = arena[b]
                for i in range(size):
                    out[i] = op(arena[a + i], v)
            else:
                for i in range(m):
                    for j in range(n):
                        out[i * n + j] = op(arena[a + i * a0 + j * a1],
                                            arena[b + i * b0 + j * b1])
        return binary

    def _binary(op, short):
        """The loops of one elementwise operation, compiled with `op` inlined; with `short`,
        unrolled loops for a matrix and a row or a column of 2 to 4 entries (a bias, a
        normalisation: each such variant costs about a second of the first compile)."""
        by_2, by_3, by_4 = (_broadcast_by(op, 2), _broadcast_by(op, 3),
                            _broadcast_by(op, 4)) if short else (None, None, None)

        @numba.njit(error_model="numpy")
        def binary(arena, d, a, b, m, n, a0, a1, b0, b1):
            size = m * n
            out = arena[d:d + size]
            if _full(a0, a1, m, n):
                x = arena[a:a + size]
                if _full(b0, b1, m, n):
                    y = arena[b:b + size]
                    for i in range(size):
                        out[i] = op(x[i], y[i])
                elif b0 == 0 and b1 == 0:
                    v = arena[b]
                    for i in range(size):
                        out[i] = op(x[i], v)
                elif short and (b0 == 0 or b1 == 0) and 2 <= n <= 4:     # a short row, column
                    if n == 2:
                        by_2(out, x, arena, b, m, b0, b1)
                    elif n == 3:
                        by_3(out, x, arena, b, m, b0, b1)
                    else:
                        by_4(out, x, arena, b, m, b0, b1)
                elif b0 == 0:                                 # a row, repeated down
                    y = arena[b:b + n]
                    for i in range(m):
                        for j in range(n):
                            out[i * n + j] = op(x[i * n + j], y[j])
                elif b1 == 0:                                 # a column, repeated across
                    for i in range(m):
                        v = arena[b + i * b0]
                        for j in range(n):
                            out[i * n + j] = op(x[i * n + j], v)
                else:
                    for i in range(m):
                        for j in range(n):
                            out[i * n + j] = op(x[i * n + j], arena[b + i * b0 + j * b1])
            elif _full(b0, b1, m, n):
                y = arena[b:b + size]
                if a0 == 0 and a1 == 0:
                    v = arena[a]
                    for i in range(size):
                        out[i] = op(v, y[i])
                elif a0 == 0:
                    x = arena[a:a + n]
                    for i in range(m):
                        for j in range(n):
                            out[i * n + j] = op(x[j], y[i * n + j])
                elif a1 == 0:
                    for i in range(m):
                        v = arena[a + i * a0]
                        for j in range(n):
                            out[i * n + j] = op(v, y[i * n + j])
                else:
                    for i in range(m):
                        for j in range(n):
                            out[i * n + j] = op(arena[a + i * a0 + j * a1], y[i * n + j])
            else:
                for i in range(m):
                    for j in range(n):
                        out[i * n + j] = op(arena[a + i * a0 + j * a1], arena[b + i * b0 + j * b1])
        return binary

    def _unary(op):
        """The loops of one elementwise function, compiled with `op` inlined."""
        @numba.njit(error_model="numpy")
        def unary(arena, d, a, m, n, a0, a1, cap):
            size = m * n
            out = arena[d:d + size]
            if _full(a0, a1, m, n):
                x = arena[a:a + size]
                for i in range(size):
                    out[i] = op(x[i], cap)
            else:
                for i in range(m):
                    for j in range(n):
                        out[i * n + j] = op(arena[a + i * a0 + j * a1], cap)
        return unary

    @numba.njit(error_model="numpy")
    def _add(x, y):
        return x + y

    @numba.njit(error_model="numpy")
    def _subtract(x, y):
        return x - y

    @numba.njit(error_model="numpy")
    def _multiply(x, y):
        return x * y

    @numba.njit(error_model="numpy")
    def _divide(x, y):
        return x / y

    @numba.njit(error_model="numpy")
    def _maximum(x, y):           # numpy's: NaN from either side, y at ties (0.0 and -0.0)
        return x if x > y or x != x else y

    @numba.njit(error_model="numpy")
    def _minimum(x, y):
        return x if x < y or x != x else y

    @numba.njit(error_model="numpy")
    def _greater(x, y):
        return 1.0 if x > y else 0.0

    @numba.njit(error_model="numpy")
    def _greater_equal(x, y):
        return 1.0 if x >= y else 0.0

    @numba.njit(error_model="numpy")
    def _less(x, y):
        return 1.0 if x < y else 0.0

    @numba.njit(error_model="numpy")
    def _less_equal(x, y):
        return 1.0 if x <= y else 0.0

    @numba.njit(error_model="numpy")
    def _equal(x, y):
        return 1.0 if x == y else 0.0

    @numba.njit(error_model="numpy")
    def _not_equal(x, y):
        return 1.0 if x != y else 0.0

    @numba.njit(error_model="numpy")
    def _where(arena, d, c, a, b, m, n, c0, c1, a0, a1, b0, b1):
        """np.where(condition, x, y), the condition a mask of 1.0 and 0.0 (or any numbers:
        nonzero is true); a flat loop when all three are whole matrices or y a number."""
        size = m * n
        out = arena[d:d + size]
        if _full(c0, c1, m, n) and _full(a0, a1, m, n) and (b0 == 0 and b1 == 0):
            v = arena[b]
            for i in range(size):
                out[i] = arena[a + i] if arena[c + i] != 0.0 else v
        elif _full(c0, c1, m, n) and _full(a0, a1, m, n) and _full(b0, b1, m, n):
            for i in range(size):
                out[i] = arena[a + i] if arena[c + i] != 0.0 else arena[b + i]
        else:
            for i in range(m):
                for j in range(n):
                    out[i * n + j] = arena[a + i * a0 + j * a1] \
                        if arena[c + i * c0 + j * c1] != 0.0 else arena[b + i * b0 + j * b1]

    @numba.njit(error_model="numpy")
    def _negative(x, cap):
        return -x

    @numba.njit(error_model="numpy")
    def _exp(x, cap):
        return _vector_exp(x)          # float32 too: stored rounded to float32

    @numba.njit(error_model="numpy")
    def _log(x, cap):
        return np.log(x)

    @numba.njit(error_model="numpy")
    def _tanh(x, cap):
        return _vector_tanh(x)

    @numba.njit(error_model="numpy")
    def _sigmoid(x, cap):         # as autograph's _sigmoid: exp(x) itself below -cap
        below = -x > cap
        e = _vector_exp(x if below else -x)
        return e if below else 1.0 / (1.0 + e)

    @numba.njit(error_model="numpy")
    def _sqrt(x, cap):
        return np.sqrt(x)

    @numba.njit(error_model="numpy")
    def _absolute(x, cap):
        return abs(x)

    @numba.njit(error_model="numpy")
    def _square(x, cap):
        return x * x

    @numba.njit(error_model="numpy")
    def _reciprocal(x, cap):
        return 1.0 / x

    @numba.njit(error_model="numpy")
    def _relu(x, cap):            # np.maximum(x, 0.0): 0.0 at -0.0 too
        return x if x > 0.0 or x != x else 0.0

    @numba.njit(error_model="numpy")
    def _copy(x, cap):
        return x

    _greater_loops, _greater_equal_loops = _lean_binary(_greater), _lean_binary(_greater_equal)
    _less_loops, _less_equal_loops = _lean_binary(_less), _lean_binary(_less_equal)
    _equal_loops, _not_equal_loops = _lean_binary(_equal), _lean_binary(_not_equal)
    _add_loops = _binary(_add, True)
    _subtract_loops = _binary(_subtract, True)
    _multiply_loops = _binary(_multiply, True)
    _divide_loops = _binary(_divide, False)
    _maximum_loops = _lean_binary(_maximum)
    _minimum_loops = _lean_binary(_minimum)
    _negative_loops = _unary(_negative)
    _exp_loops = _unary(_exp)
    _log_loops = _unary(_log)
    _tanh_loops = _unary(_tanh)
    _sigmoid_loops = _unary(_sigmoid)
    _sqrt_loops = _unary(_sqrt)
    _absolute_loops = _unary(_absolute)
    _square_loops = _unary(_square)
    _reciprocal_loops = _unary(_reciprocal)
    _relu_loops = _unary(_relu)
    _copy_loops = _unary(_copy)

    def _product_by_rows(K, N):
        """(m, K) @ (K, N) for K and N of at most 4, known when compiled: the loops over
        them unrolled, b's entries read once into registers, one pass down the rows."""
        @numba.njit(fastmath={"contract"}, error_model="numpy")
        def product(arena, d, a, b, m, a0, a1, b0, b1):
            w = np.empty(K * N, dtype=arena.dtype)
            for p in range(K):
                for j in range(N):
                    w[p * N + j] = arena[b + p * b0 + j * b1]
            for i in range(m):
                for j in range(N):
                    s = 0.0
                    for p in range(K):
                        s += arena[a + i * a0 + p * a1] * w[p * N + j]
                    arena[d + i * N + j] = s
        return product

    _rows_11 = _product_by_rows(1, 1)
    _rows_12 = _product_by_rows(1, 2)
    _rows_13 = _product_by_rows(1, 3)
    _rows_14 = _product_by_rows(1, 4)
    _rows_21 = _product_by_rows(2, 1)
    _rows_22 = _product_by_rows(2, 2)
    _rows_23 = _product_by_rows(2, 3)
    _rows_24 = _product_by_rows(2, 4)
    _rows_31 = _product_by_rows(3, 1)
    _rows_32 = _product_by_rows(3, 2)
    _rows_33 = _product_by_rows(3, 3)
    _rows_34 = _product_by_rows(3, 4)
    _rows_41 = _product_by_rows(4, 1)
    _rows_42 = _product_by_rows(4, 2)
    _rows_43 = _product_by_rows(4, 3)
    _rows_44 = _product_by_rows(4, 4)

    @numba.njit(error_model="numpy")
    def _small_product(arena, d, a, b, m, n, k, a0, a1, b0, b1):
        """The product when k and n are at most 4 (a layer of a small network)."""
        if k == 1:
            if n == 1:
                _rows_11(arena, d, a, b, m, a0, a1, b0, b1)
            elif n == 2:
                _rows_12(arena, d, a, b, m, a0, a1, b0, b1)
            elif n == 3:
                _rows_13(arena, d, a, b, m, a0, a1, b0, b1)
            else:
                _rows_14(arena, d, a, b, m, a0, a1, b0, b1)
        elif k == 2:
            if n == 1:
                _rows_21(arena, d, a, b, m, a0, a1, b0, b1)
            elif n == 2:
                _rows_22(arena, d, a, b, m, a0, a1, b0, b1)
            elif n == 3:
                _rows_23(arena, d, a, b, m, a0, a1, b0, b1)
            else:
                _rows_24(arena, d, a, b, m, a0, a1, b0, b1)
        elif k == 3:
            if n == 1:
                _rows_31(arena, d, a, b, m, a0, a1, b0, b1)
            elif n == 2:
                _rows_32(arena, d, a, b, m, a0, a1, b0, b1)
            elif n == 3:
                _rows_33(arena, d, a, b, m, a0, a1, b0, b1)
            else:
                _rows_34(arena, d, a, b, m, a0, a1, b0, b1)
        else:
            if n == 1:
                _rows_41(arena, d, a, b, m, a0, a1, b0, b1)
            elif n == 2:
                _rows_42(arena, d, a, b, m, a0, a1, b0, b1)
            elif n == 3:
                _rows_43(arena, d, a, b, m, a0, a1, b0, b1)
            else:
                _rows_44(arena, d, a, b, m, a0, a1, b0, b1)

    @numba.njit(fastmath={"contract"}, error_model="numpy")
    def _matmul(arena, d, a, b, m, n, k, a0, a1, b0, b1):
        """(m, k) @ (k, n), operands at any strides (a transpose is a product's operand read
        across); the result C-ordered. Tiles of two rows by four columns, their eight sums in
        registers (a tile at the edge repeats its last row or column, and drops it)."""
        out = arena[d:d + m * n]
        for j0 in range(0, n, 4):
            w = min(4, n - j0)
            c1, c2, c3 = min(1, w - 1) * b1, min(2, w - 1) * b1, min(3, w - 1) * b1
            column = b + j0 * b1
            for i in range(0, m, 2):
                row0 = a + i * a0
                row1 = a + min(i + 1, m - 1) * a0
                s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = 0.0
                for p in range(k):
                    q = column + p * b0
                    x0, x1, x2, x3 = arena[q], arena[q + c1], arena[q + c2], arena[q + c3]
                    v, u = arena[row0 + p * a1], arena[row1 + p * a1]
                    s00 += v * x0
                    s01 += v * x1
                    s02 += v * x2
                    s03 += v * x3
                    s10 += u * x0
                    s11 += u * x1
                    s12 += u * x2
                    s13 += u * x3
                for r in range(min(2, m - i)):
                    at = (i + r) * n + j0
                    out[at] = s00 if r == 0 else s10
                    if w > 1:
                        out[at + 1] = s01 if r == 0 else s11
                    if w > 2:
                        out[at + 2] = s02 if r == 0 else s12
                    if w > 3:
                        out[at + 3] = s03 if r == 0 else s13

    def _sum_columns_by(N):
        """(m, N) summed along its rows to (m,), N = 0: any length, read from the tape."""
        @numba.njit(error_model="numpy")
        def sum_columns(arena, d, a, m, n, a0, a1):
            width = N if N > 0 else n
            for i in range(m):
                s = 0.0
                for j in range(width):
                    s += arena[a + i * a0 + j * a1]
                arena[d + i] = s
        return sum_columns

    _sum_columns_any, _sum_columns_2, _sum_columns_3, _sum_columns_4 = (
        _sum_columns_by(0), _sum_columns_by(2), _sum_columns_by(3), _sum_columns_by(4))

    @numba.njit(error_model="numpy")
    def _sum_rows(arena, d, a, m, n, a0, a1):
        """(m, n) summed down its rows to (n,): columns four at a time, as _matmul."""
        for j0 in range(0, n, 4):
            w = min(4, n - j0)
            s0 = s1 = s2 = s3 = 0.0
            for i in range(m):
                q = a + i * a0 + j0 * a1
                s0 += arena[q]
                if w > 1:
                    s1 += arena[q + a1]
                if w > 2:
                    s2 += arena[q + 2 * a1]
                if w > 3:
                    s3 += arena[q + 3 * a1]
            arena[d + j0] = s0
            if w > 1:
                arena[d + j0 + 1] = s1
            if w > 2:
                arena[d + j0 + 2] = s2
            if w > 3:
                arena[d + j0 + 3] = s3

    def _softmax_by(N):
        """Softmax (log-softmax) of rows of N entries (N = 0: of any length, read from the
        tape): False when a row's largest entry is -inf or +inf, where eager mode raises.
        In passes, so that the exps are one vectorised loop; N known when compiled unrolls
        the passes along the rows."""
        @numba.njit(error_model="numpy")
        def softmax(arena, d, a, m, n, a0, a1, log):
            width = N if N > 0 else n
            out = arena[d:d + m * width]
            bad = False
            for i in range(m):
                top = arena[a + i * a0]
                for j in range(1, width):
                    v = arena[a + i * a0 + j * a1]
                    top = v if v > top or v != v else top
                bad = bad or (top - top != 0.0 and top == top)  # +-inf; NaN passes on
                for j in range(width):
                    out[i * width + j] = arena[a + i * a0 + j * a1] - top
            if bad:
                return False
            for i in range(m * width):
                out[i] = _vector_exp(out[i])
            for i in range(m):
                s = 0.0
                for j in range(width):
                    s += out[i * width + j]
                if log:
                    top = arena[a + i * a0]
                    for j in range(1, width):
                        v = arena[a + i * a0 + j * a1]
                        top = v if v > top or v != v else top
                    log_s = np.log(s)
                    for j in range(width):
                        out[i * width + j] = arena[a + i * a0 + j * a1] - top - log_s
                else:
                    for j in range(width):
                        out[i * width + j] /= s
            return True
        return softmax

    _softmax_any, _softmax_2, _softmax_3, _softmax_4 = (_softmax_by(0), _softmax_by(2),
                                                        _softmax_by(3), _softmax_by(4))

    @numba.njit(error_model="numpy")
    def _softmax_rows(arena, d, a, m, n, a0, a1, log):
        if n == 2:
            return _softmax_2(arena, d, a, m, n, a0, a1, log)
        if n == 3:
            return _softmax_3(arena, d, a, m, n, a0, a1, log)
        if n == 4:
            return _softmax_4(arena, d, a, m, n, a0, a1, log)
        return _softmax_any(arena, d, a, m, n, a0, a1, log)

    @numba.njit(cache=True, error_model="numpy")
    def run_tape(tape, arena, addresses, block):
        """Execute `tape` on `arena`; -1, or the row at which eager mode would have raised.

        A row: opcode, destination, operand a, operand b, the result's rows m and columns n,
        the inner length k of a product, then a's and b's strides (row, column) in the arena,
        then a third operand and its strides (np.where's condition).
        LOAD copies m entries from the array at addresses[a] into the arena at d, STORE from
        the arena at a into the array at addresses[d], GRAD from the arena at a into block at
        d. arena[0] is the sigmoid's cap."""
        cap = arena[0]
        for t in range(tape.shape[0]):
            code, d, a, b, m, n, kk = tape[t, 0], tape[t, 1], tape[t, 2], tape[t, 3], \
                tape[t, 4], tape[t, 5], tape[t, 6]
            a0, a1, b0, b1 = tape[t, 7], tape[t, 8], tape[t, 9], tape[t, 10]
            if code <= 5:
                if code == 0:
                    _add_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 1:
                    _subtract_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 2:
                    _multiply_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 3:
                    _divide_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 4:
                    _maximum_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                else:
                    _minimum_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
            elif code <= 16 or code == 22:
                if code == 6:
                    _negative_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 7:
                    _exp_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 8:
                    _log_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 9:
                    _tanh_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 10:
                    _sigmoid_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 11:
                    _sqrt_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 12:
                    _absolute_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 13:
                    _square_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 14:
                    _reciprocal_loops(arena, d, a, m, n, a0, a1, cap)
                elif code == 15:
                    _relu_loops(arena, d, a, m, n, a0, a1, cap)
                else:
                    _copy_loops(arena, d, a, m, n, a0, a1, cap)
            elif code == 17:
                if kk <= 4 and n <= 4 and m > 4:
                    _small_product(arena, d, a, b, m, n, kk, a0, a1, b0, b1)
                else:
                    _matmul(arena, d, a, b, m, n, kk, a0, a1, b0, b1)
            elif code == 18:                                # sum over rows: (m, n) -> (n,)
                _sum_rows(arena, d, a, m, n, a0, a1)
            elif code == 19:                                # sum over columns: (m, 1)
                if n == 2:
                    _sum_columns_2(arena, d, a, m, n, a0, a1)
                elif n == 3:
                    _sum_columns_3(arena, d, a, m, n, a0, a1)
                elif n == 4:
                    _sum_columns_4(arena, d, a, m, n, a0, a1)
                else:
                    _sum_columns_any(arena, d, a, m, n, a0, a1)
            elif code <= 21:
                if not _softmax_rows(arena, d, a, m, n, a0, a1, code == 21):
                    return t
            elif code >= 27:
                if code == 27:
                    _greater_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 28:
                    _greater_equal_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 29:
                    _less_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 30:
                    _less_equal_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 31:
                    _equal_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                elif code == 32:
                    _not_equal_loops(arena, d, a, b, m, n, a0, a1, b0, b1)
                else:
                    _where(arena, d, tape[t, 11], a, b, m, n, tape[t, 12], tape[t, 13],
                           a0, a1, b0, b1)
            elif code == 23:
                source = numba.carray(_pointer(addresses[a], arena), m)
                out = arena[d:d + m]
                for i in range(m):
                    out[i] = source[i]
            elif code == 24:
                target = numba.carray(_pointer(addresses[d], arena), m)
                x = arena[a:a + m]
                for i in range(m):
                    target[i] = x[i]
            else:
                out = block[d:d + m]
                x = arena[a:a + m]
                for i in range(m):
                    out[i] = x[i]
        return -1


def available() -> bool:
    return numba is not None


_announced = False


def announce_compile(stream=None) -> None:
    """Say on stderr, once, that this process is about to compile the interpreter: numba's
    cache holds no copy for this source (a new machine, or numba_backend.py changed), the
    compile takes about 40 s, and numba says nothing meanwhile."""
    global _announced
    if _announced or numba is None or run_tape.signatures:
        return
    _announced = True
    try:       # numba's cache index, read as numba reads it: empty when missing or stale
        cached = bool(run_tape._cache._cache_file._load_index())
    except Exception:          # a private API of numba: if it changes, say nothing
        return
    if not cached:
        print("autograph: compiling the numba backend's tape interpreter, once per machine "
              "(20-40 s; numba caches it)", file=stream or sys.stderr, flush=True)


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


def dtype_of(ins):
    """The dtype of the arena an operation's values live in: its result's, or for a
    comparison (a boolean mask) its operands'."""
    target = ins.out if ins.into is None else ins.into
    if target.dtype == np.bool_ and ins.function in _COMPARE:
        dtypes = [x.dtype for x in ins.args if isinstance(x, Traced) and x.dtype != np.bool_]
        if dtypes:
            return dtypes[0]
    return target.dtype


def _operand_ok(x, dtype, grads: dict) -> bool:
    if isinstance(x, Traced):
        if x.dtype != dtype and x.dtype != np.bool_:
            return False
        if x.kind == "grad" and x.code not in grads:    # a gradient from before the segment
            return False
        return x.ndim <= 2 and 0 < x.size <= SMALL
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def plan(ins, kernels: dict, grads: dict):
    """The opcode of an operation the tape runs (None if it does not), after checking shapes
    and dtypes: results and operands of at most two dimensions, small, of one float dtype.
    `grads`: the gradients stored so far in the segment (code -> its value)."""
    if not isinstance(ins, Call):
        return None
    target = ins.out if ins.into is None else ins.into
    out = target.example
    dtype = dtype_of(ins)
    if type(out) is not np.ndarray or dtype not in (np.float64, np.float32) \
            or out.ndim > 2 or not 0 < out.size <= SMALL:
        return None
    f, args, kwargs = ins.function, ins.args, ins.kwargs
    if not all(_operand_ok(a, dtype, grads) for a in args):
        return None
    if out.dtype == np.bool_:            # a mask: a comparison of numbers of the arena's dtype
        if f in _COMPARE and len(args) == 2 and not kwargs and ins.into is None:
            return _COMPARE[f]
        return None
    if f is np.where and len(args) == 3 and not kwargs and ins.into is None:
        return WHERE
    if ins.into is not None:        # an in-place update of a parameter's value, elementwise
        if target.kind != "state" or kwargs:
            return None
        if f in _BINARY and len(args) == 2:
            return _BINARY[f]
        if f in _UNARY and len(args) == 1:
            return _UNARY[f]
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
        (m, k), n = args[0].shape, args[1].shape[1]
        return MATMUL if m * k * n <= PRODUCT else None
    if f in (kernels["softmax"], kernels["log_softmax"]) and args[0].ndim == 2 \
            and kwargs.get("axis") in (-1, 1):
        return SOFTMAX if f is kernels["softmax"] else LOG_SOFTMAX
    if f is kernels["sum"] and args[0].ndim == 2 and kwargs.get("axis") in (0, -2, 1, -1) \
            and (kwargs.get("keepdims", False) or kwargs["axis"] in (0, -2)):
        return SUM_ROWS if kwargs["axis"] in (0, -2) else SUM_COLUMNS
    if f is kernels["sum"] and args[0].ndim <= 2 and kwargs.get("axis", None) is None \
            and not kwargs.get("keepdims", False) and set(kwargs) <= {"axis", "keepdims"}:
        return SUM_ALL
    if f in (kernels["transpose"], np.transpose) and kwargs.get("axes") is None \
            and args[0].ndim == 2:
        return TRANSPOSE
    if f is kernels["broadcast"] or (f is kernels["reshape"] and args[0].ndim <= 2):
        return COPY
    return None


def segments(instructions, grad_was_none) -> list[list[int]]:
    """Maximal stretches of consecutive operations the tape runs, all of one dtype: Calls it
    can do, `p.grad = None`, and the gradients backward() stores into `.grad`s known to be None
    there (so each becomes a new array, as eager's). A stretch ends at anything else."""
    kernels = _kernels()
    none = list(grad_was_none)      # is the state's .grad None at this point of the program?
    found, current, kind, grads = [], [], None, {}

    def close():
        nonlocal current, kind, grads
        if any(isinstance(instructions[k], Call) for k in current) and len(current) > 1:
            found.append(current)
        current, kind, grads = [], None, {}

    for k, ins in enumerate(instructions):
        if isinstance(ins, ClearGrad):
            if f"s{ins.state}.grad" in grads:
                close()          # cleared after the segment stored it: the clear is not hoisted
            none[ins.state] = True
            current.append(k)
            continue
        if isinstance(ins, Grads):
            kind = kind or (ins.pairs and getattr(ins.pairs[0][1], "dtype", None))
            ok = kind is not None and all(
                none[i] and isinstance(g, Traced) and g.kind == "value" and g.dtype == kind
                and 0 < g.size <= SMALL and g.ndim <= 2 for i, g in ins.pairs)
            for i, _ in ins.pairs:
                none[i] = False
            if ok:
                current.append(k)
                for i, g in ins.pairs:
                    grads[f"s{i}.grad"] = g
            else:
                close()
            continue
        code = plan(ins, kernels, grads)
        if code is None:
            close()
            if not isinstance(ins, Call):            # an effect: what it does to .grad is unknown
                none = [False] * len(none)
            elif ins.into is not None and ins.into.kind == "grad":
                none[int(ins.into.code[1:].split(".")[0])] = False
            continue
        dtype = dtype_of(ins)
        if kind is not None and dtype != kind:
            close()
        kind = dtype
        current.append(k)
    close()
    return found


class Arena:
    """The values of every segment of one dtype, laid end to end in one flat array."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.places: dict = {}        # value code, or ("constant", id) -> (offset, shape)
        self.size = _RESERVED
        self.constants: list = []     # (offset, value, shape)
        self.made: set = set()        # codes of values some segment computes
        self.array = None
        self.cap = _SIGMOID_CAP[np.dtype(dtype)]

    def place(self, key, shape) -> int:
        if key not in self.places:
            self.places[key] = (self.size, tuple(shape))
            self.size += max(int(np.prod(shape)), 1)
        return self.places[key][0]

    def allocate(self) -> None:
        self.array = np.zeros(max(self.size, 1), dtype=self.dtype)
        self.array[0] = self.cap
        for offset, value, shape in self.constants:
            size = max(int(np.prod(shape)), 1)
            self.array[offset:offset + size] = np.asarray(value, dtype=self.dtype).reshape(-1)


def _read_only_by_products(instructions, positions, needed_after, kernels) -> set:
    """The transposes of a segment whose results are read by its matrix products alone:
    a product reads them across their source instead (no copy)."""
    inside = set(positions)
    transposed = {instructions[k].out.code for k in positions
                  if isinstance(instructions[k], Call) and instructions[k].into is None
                  and plan(instructions[k], kernels, {}) == TRANSPOSE
                  and isinstance(instructions[k].args[0], Traced)}
    foldable = transposed - needed_after
    for k, ins in enumerate(instructions):
        if isinstance(ins, Call):
            used = _value_codes((ins.args, ins.kwargs))
            product = k in inside and ins.function is kernels["dot"] and not ins.kwargs
            if not product:
                foldable -= used
        elif isinstance(ins, Grads):
            foldable -= _value_codes([g for _, g in ins.pairs])
    return foldable


def _strides(shape, m: int, n: int) -> tuple:
    """Arena strides (row, column) that broadcast a C-ordered array of `shape` to (m, n)."""
    rows, columns = _matrix(shape)
    return (columns if rows == m and m > 1 else 0), (1 if columns == n and n > 1 else 0)


class Segment:
    """A stretch of the program laid out in its arena: its tape, the arrays it reads from
    outside (parameters and arguments, by address), the values computed outside that it copies
    in, the gradients it stores, and the values read out after it."""

    def __init__(self, instructions, positions, needed_after: set, expr, arena: Arena):
        kernels = _kernels()
        self.arena = arena
        self.positions = positions
        self.copied_in: list = []     # (offset, size, expression): values computed by numpy
        self.externals: list = []     # expressions of the arrays read by address
        self.external_at: dict = {}   # code -> slot
        self.stored: set = set()      # slots written back
        self.clears: list = []        # (state, position): `.grad = None` inside the segment
        self.unlocked: list = []      # states updated in place: autograph.writable first
        self.grads: list = []         # (state, offset in block, size, shape)
        self.rows: dict = {}          # tape row -> instruction position
        self.block_size = 0
        grads: dict = {}              # "s1.grad" -> offset of its value in the arena
        loads, tape = [], []
        made = arena.made

        def place(x) -> int:
            if isinstance(x, Traced) and x.kind == "grad":
                return grads[x.code]
            if isinstance(x, Traced) and x.kind != "constant":
                offset = arena.place(x.code, x.shape)
                if x.kind in ("state", "input") and x.dtype == arena.dtype:
                    if x.code not in self.external_at:
                        slot = self.external_at[x.code] = len(self.externals)
                        self.externals.append(x.code)
                        loads.append((LOAD, offset, slot, 0, max(x.size, 1)) + (0,) * 9)
                elif x.code not in made and x.code not in self.seen:
                    # computed by numpy (or of another dtype, a mask): copied in
                    self.copied_in.append((offset, max(x.size, 1), expr(x)))
                    self.seen.add(x.code)
                return offset
            value = x.example if isinstance(x, Traced) else x
            key = ("constant", id(value))
            shape = np.shape(value)
            if key not in arena.places:
                arena.constants.append((arena.place(key, shape), value, shape))
            return arena.places[key][0]

        self.seen: set = set()
        views = {}                    # a transpose read only by products: (offset, strides)
        foldable = _read_only_by_products(instructions, positions, needed_after, kernels)
        for k in positions:
            ins = instructions[k]
            if isinstance(ins, ClearGrad):
                self.clears.append((ins.state, k))
                continue
            if isinstance(ins, Grads):
                for i, g in ins.pairs:
                    at = place(g)
                    size = max(g.size, 1)
                    tape.append((GRAD, self.block_size, at, 0, size) + (0,) * 9)
                    self.grads.append((i, self.block_size, size, g.shape))
                    grads[f"s{i}.grad"] = at
                    self.block_size += size
                continue
            code = plan(ins, kernels, grads)
            out = ins.out if ins.into is None else ins.into
            if code == TRANSPOSE and out.code in foldable:
                columns = _matrix(ins.args[0].shape)[1]
                views[out.code] = (place(ins.args[0]), 1, columns)
                continue
            if ins.out is not None:
                made.add(ins.out.code)
            d = place(out)
            m, n = _matrix(out.shape)
            if code == MATMUL:
                x, y = ins.args
                a, a0, a1 = views.get(x.code) or (place(x), x.shape[1], 1)
                b, b0, b1 = views.get(y.code) or (place(y), y.shape[1], 1)
                self.rows[len(tape)] = k
                tape.append((code, d, a, b, m, n, x.shape[1], a0, a1, b0, b1, 0, 0, 0))
                continue
            a = place(ins.args[0])
            a_shape = np.shape(ins.args[0].example if isinstance(ins.args[0], Traced)
                               else ins.args[0])
            b, b_shape, inner = a, a_shape, 0
            if len(ins.args) >= 2:
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
            elif code == SUM_ALL:                     # the arena's values are C-ordered
                code, m, n, a0, a1 = SUM_COLUMNS, 1, max(ins.args[0].size, 1), 0, 1
                b0 = b1 = 0
            elif code == TRANSPOSE:
                rows, columns = _matrix(a_shape)      # out is (columns, rows)
                code, a0, a1 = COPY, 1, columns
                b0 = b1 = 0
            elif code == COPY and ins.function is kernels["reshape"]:
                a0, a1 = n, 1                         # the same entries, in the same order
                b0 = b1 = 0
            else:
                a0, a1 = _strides(a_shape, m, n)
                b0, b1 = _strides(b_shape, m, n)
            c = c0 = c1 = 0
            if code == WHERE:                         # (condition, x, y): a third operand
                c, c_shape = a, a_shape
                a, a_shape = b, b_shape
                b = place(ins.args[2])
                b_shape = np.shape(ins.args[2].example if isinstance(ins.args[2], Traced)
                                   else ins.args[2])
                c0, c1 = _strides(c_shape, m, n)
                a0, a1 = _strides(a_shape, m, n)
                b0, b1 = _strides(b_shape, m, n)
            self.rows[len(tape)] = k
            tape.append((code, d, a, b, m, n, inner, a0, a1, b0, b1, c, c0, c1))
            if ins.into is not None:                  # written back into the parameter
                slot = self.external_at.get(ins.into.code)
                if slot is None:
                    slot = self.external_at[ins.into.code] = len(self.externals)
                    self.externals.append(ins.into.code)
                self.stored.add(slot)
                state = int(ins.into.code[1:].split(".")[0])
                if state not in self.unlocked:
                    self.unlocked.append(state)
                tape.append((STORE, slot, d, 0, max(out.size, 1)) + (0,) * 9)
        del self.seen
        self.rows = {row + len(loads): k for row, k in self.rows.items()}
        self.tape = np.array(loads + tape, dtype=np.int64).reshape(-1, 14)
        self.outputs = [(arena.places[instructions[k].out.code][0],
                         max(instructions[k].out.size, 1), instructions[k].out)
                        for k in positions if isinstance(instructions[k], Call)
                        and instructions[k].out is not None
                        and instructions[k].out.code in needed_after]
        self.instructions = {k: instructions[k] for k in self.rows.values()}
        self.addresses = np.zeros(max(len(self.externals), 1), dtype=np.int64)
        self.held: list = [None] * len(self.externals)   # the arrays addresses point into
        self.temps: list = []         # (slot, array, contiguous copy): written back after
        self.empty_block = np.empty(0, dtype=arena.dtype)

    def refresh(self, *arrays) -> None:
        """Take the addresses of the arrays the segment reads and writes, when one of them is
        not the array of the last call. A non-contiguous array is read through a contiguous
        copy, made again on every call (and copied back if the segment updates it)."""
        self.temps = []
        for slot, x in enumerate(arrays):
            if type(x) is np.ndarray and x.dtype == self.arena.dtype \
                    and x.flags.c_contiguous and x.flags.aligned:
                self.held[slot] = x
                self.addresses[slot] = x.__array_interface__["data"][0]
            else:
                copy = np.ascontiguousarray(x, dtype=self.arena.dtype)
                if slot in self.stored:
                    self.temps.append((x, copy))
                self.held[slot] = None          # not cached: copied again next call
                self.addresses[slot] = copy.__array_interface__["data"][0]
                self.temps.append((None, copy))  # kept alive while the tape runs
        for slot in self.stored:
            for other, y in enumerate(arrays):
                if other != slot and np.may_share_memory(arrays[slot], y):
                    self.held[slot] = None
                    raise ValueError(
                        f"compile(backend='numba'): {self.externals[slot]} is updated in place "
                        f"and shares memory with {self.externals[other]}, which the same "
                        "stretch reads; pass a copy, or use backend=None")

    def write_back(self) -> None:
        for x, copy in self.temps:
            if x is not None:
                x[...] = copy.reshape(np.shape(x))

    def fail(self, row: int, states: tuple):
        """Eager mode's error for the operation at `row`: its forward run again on its input,
        after the `.grad = None` that came before it (the gradients stay as they were)."""
        for i, k in self.clears:
            if k < self.rows[row]:
                states[i].grad = None
        ins = self.instructions[self.rows[row]]
        x = ins.args[0]
        offset = self.arena.places[x.code][0]
        value = self.arena.array[offset:offset + x.size].reshape(x.shape).copy()
        ins.function(value, **{k: (v.example if isinstance(v, Traced) else v)
                               for k, v in ins.kwargs.items()})
        raise FloatingPointError(f"compile(backend='numba'): {ins.function.__name__} stopped "
                                 "at an infinite row maximum")

    def lines(self, constant) -> list[str]:
        """The program's Python lines that run this segment."""
        me = constant(self)
        arena, tape = constant(self.arena.array), constant(self.tape)
        addresses, held = constant(self.addresses), constant(self.held)
        lines = [f"_writable(s{i})" for i in self.unlocked]
        if self.externals:
            stale = " or ".join(f"{code} is not {held}[{slot}]"
                                for slot, code in enumerate(self.externals))
            lines.append(f"if {stale}: {me}.refresh({', '.join(self.externals)})")
        lines += [f"{arena}[{at}:{at + size}] = {e}.reshape(-1)"
                  for at, size, e in self.copied_in]
        if self.grads:
            lines.append(f"_b = _empty({self.block_size}, {constant(self.arena.dtype)})")
        block = "_b" if self.grads else constant(self.empty_block)
        lines.append(f"_e = _run_tape({tape}, {arena}, {addresses}, {block})")
        last = max((i for i, _ in self.clears), default=-1)
        states = "".join(f"s{i}, " for i in range(last + 1))
        lines.append(f"if _e >= 0: {me}.fail(_e, ({states}))")
        stored = {i for i, _, _, _ in self.grads}     # a cleared .grad that gets a new one
        lines += [f"s{i}.grad = None" for i, _ in self.clears if i not in stored]
        if any(slot in self.stored for slot in range(len(self.externals))):
            lines.append(f"if {me}.temps: {me}.write_back()")
        for i, at, size, shape in self.grads:
            view = f"_b[{at}:{at + size}]" if len(shape) == 1 else \
                f"_b[{at}:{at + size}].reshape({shape!r})"
            lines.append(f"s{i}.grad = {view}")
        for at, size, out in self.outputs:
            mask = " != 0.0" if out.dtype == np.bool_ else ""     # a new boolean array
            lines.append(f"{out.code} = {arena}[{at}:{at + size}].reshape({out.shape!r}){mask}")
        return lines
