"""Engine speed against hand-written numpy, measured in one run (ratios, not absolute times).

    python benchmarks/bench_engine.py            # all three benchmarks
    python benchmarks/bench_engine.py --quick    # fewer repeats

1. One training step of the tutorial's network (300 points, 2 -> 3 sigmoid -> 3 softmax,
   summed cross-entropy): forward, backward, gradient-descent update. Baseline: the tutorial's
   hand-written vectorised backprop (with the hidden matrix recomputed each step).
2. A chain of 1,000 elementwise ops (x * 1.0001, sigmoid / tanh, + 0.1) on 8 elements, forward
   and backward: microseconds per op.
3. A step of an MLP 784-512-512-10 (ReLU, batch 256) in float64 and float32 against
   hand-written numpy backprop: time ratio and peak memory ratio (tracemalloc sees numpy's
   allocations).
Contenders alternate in every round; each ratio is the median of the rounds' ratios.

The MLP's arrays (up to 3 MiB) are above glibc's mmap threshold: freeing one returns it to the
system and the next allocation page-faults it back, a few thousand faults a step whose number
depends on the order of allocations more than on the work (it swung the ratio between 0.93x and
1.2x from run to run). Unless --system-malloc is given, the script therefore runs itself again
with glibc's mmap and trim thresholds raised, for both contenders alike.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
import autograph as ag  # noqa: E402
from autograph.core import writable  # noqa: E402
from autograph.data import one_hot, three_clusters  # noqa: E402
from autograph.ops.activations import _log_softmax, _sigmoid  # noqa: E402
from autograph.ops.kernels import broadcast, dot, sum_along  # noqa: E402


def best_time(fn, number: int, repeat: int) -> float:
    """Best mean seconds per call over `repeat` runs of `number` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def compare(label, contenders: dict, number: int, repeat: int, per: int = 1, unit="us") -> dict:
    """Time each contender, alternating them in every round so drift hits both alike.

    The machine's speed drifts by up to 2x within minutes, so the ratio reported is the median
    over rounds of each round's ratio to the first contender (the two timed seconds apart),
    beside the best time of each.
    """
    rounds = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            rounds[name].append(best_time(fn, number, 1))
    base = next(iter(rounds.values()))
    print(f"\n{label}")
    ratios = {}
    for name, times in rounds.items():
        ratios[name] = float(np.median([t / b for t, b in zip(times, base)]))
        print(f"  {name:<34} {min(times) * 1e6 / per:10.2f} {unit}   {ratios[name]:5.2f}x")
    return ratios


# --- 1. the tutorial's step ----------------------------------------------------------------
def tutorial_step(quick: bool):
    data, classes = three_clusters()
    T = one_hot(classes)
    rng = np.random.RandomState(1)
    W0, V0, b10, b20 = rng.randn(2, 3), rng.randn(3, 3), rng.randn(3), rng.randn(3)
    lr = 1e-3

    W, V, b1, b2 = W0.copy(), V0.copy(), b10.copy(), b20.copy()

    def numpy_step():
        nonlocal W, V, b1, b2
        # The tutorial's ff_nn_2, derivative_v_v2, derivative_b2, derivative_w, derivative_b1.
        H = 1 / (1 + np.exp(-(data.dot(W) + b1)))
        A = H.dot(V) + b2
        exp_a = np.exp(A)
        Y = exp_a / exp_a.sum(axis=1, keepdims=True)
        dV = H.T.dot(T - Y)
        db2 = (T - Y).sum(axis=0)
        dW = data.T.dot((T - Y).dot(V.T) * H * (1 - H))
        db1 = ((T - Y).dot(V.T) * H * (1 - H)).sum(axis=0)
        V += lr * dV
        b2 += lr * db2
        W += lr * dW
        b1 += lr * db1

    Wa, Va, b1a, b2a = W0.copy(), V0.copy(), b10.copy(), b20.copy()

    def numpy_alone_step():
        # The numpy calls autograph makes for its step, in its order, with no graph: the floor
        # under autograph's bookkeeping (a stable log-softmax costs more than the plain softmax).
        Z = dot(data, Wa) + b1a
        H = _sigmoid(Z)
        L = _log_softmax(dot(H, Va) + b2a, -1)
        loss = -sum_along(T * L)   # noqa: F841 - computed and dropped, as the step does
        g = broadcast(-np.ones(()), L.shape) * T
        g = g - np.exp(L) * sum_along(g, -1, True)
        db2, dH, dV = sum_along(g, 0), dot(g, Va.T), dot(H.T, g)
        g = dH * H * (1.0 - H)
        db1, dW = sum_along(g, 0), dot(data.T, g)
        for p, d in ((Wa, dW), (Va, dV), (b1a, db1), (b2a, db2)):
            p -= lr * d

    def autograph_step():
        """The step on parameters of its own: eager as it is, and what ag.compile traces."""
        X, Tn = ag.constant(data, name="X"), ag.constant(T, name="T")
        params = [ag.parameter(p, name=n) for p, n in ((W0, "W"), (V0, "V"), (b10, "b1"),
                                                       (b20, "b2"))]
        W, V, b1, b2 = params

        def step():
            H = ag.sigmoid(X @ W + b1)
            loss = -(Tn * ag.log_softmax(H @ V + b2)).sum()
            for p in params:
                p.grad = None
            loss.backward()
            for p in params:
                update = writable(p)          # an in-place update, sanctioned (issue 10, item 2)
                update -= lr * p.grad
        return step

    contenders = {"hand-written numpy (tutorial)": numpy_step,
                  "numpy alone (autograph's calls)": numpy_alone_step,
                  "autograph": autograph_step()}
    backends = {"autograph compiled": None}
    try:
        import numba  # noqa: F401 - the optional extra `jit`
        backends["autograph compiled (numba)"] = "numba"
    except ImportError:
        pass
    for label, backend in backends.items():
        compiled = ag.compile(autograph_step(), backend=backend)
        start = time.perf_counter()
        compiled()
        print(f"  ({label}: first call, tracing (and for numba loading the tape interpreter) "
              f"included, {time.perf_counter() - start:.3f} s)")
        contenders[label] = compiled
    contenders.update(_optional_tutorial_peers(data, T, W0, V0, b10, b20, lr))
    return compare("1. tutorial step: 300 x 2 -> 3 sigmoid -> 3 softmax, summed cross-entropy",
                   contenders, number=200 if quick else 1000, repeat=5 if quick else 9)


def _optional_tutorial_peers(data, T, W0, V0, b10, b20, lr) -> dict:
    peers = {}
    try:
        import torch
        torch.set_num_threads(1)
        Xt, Tt = torch.tensor(data), torch.tensor(T)
        tp = [torch.tensor(p.copy(), requires_grad=True) for p in (W0, V0, b10, b20)]

        def torch_step():
            H = torch.sigmoid(Xt @ tp[0] + tp[2])
            loss = -(Tt * torch.log_softmax(H @ tp[1] + tp[3], dim=1)).sum()
            for p in tp:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in tp:
                    p -= lr * p.grad

        peers["PyTorch eager (1 thread)"] = torch_step
    except ImportError:
        pass
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def jax_loss(params):
            W, V, b1, b2 = params
            H = jax.nn.sigmoid(data @ W + b1)
            return -jnp.sum(T * jax.nn.log_softmax(H @ V + b2))

        @jax.jit
        def jax_update(params):
            return [p - lr * d for p, d in zip(params, jax.grad(jax_loss)(params))]

        jax_params = [jnp.asarray(p) for p in (W0, V0, b10, b20)]

        def jax_step():
            nonlocal jax_params
            jax_params = jax.block_until_ready(jax_update(jax_params))

        jax_step()                  # compiles
        peers["JAX jit"] = jax_step
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        def loss(params):
            W, V, b1, b2 = params
            H = 1 / (1 + anp.exp(-(data @ W + b1)))
            Z = H @ V + b2
            Z = Z - anp.max(Z, axis=1, keepdims=True)
            return -anp.sum(T * (Z - anp.log(anp.sum(anp.exp(Z), axis=1, keepdims=True))))

        loss_grad = autograd.grad(loss)
        hp = [p.copy() for p in (W0, V0, b10, b20)]

        def hips_step():
            for p, g in zip(hp, loss_grad(hp)):
                p -= lr * g

        peers["HIPS autograd"] = hips_step
    except ImportError:
        pass
    return peers


# --- 2. the chain ---------------------------------------------------------------------------
def chain(quick: bool, length: int = 1000):
    x0 = np.random.default_rng(0).standard_normal(8)

    def numpy_chain():
        # The numpy calls autograph makes (its own sigmoid, the same gradient formulas), with
        # no graph: the floor under autograph's bookkeeping.
        y, outputs = x0, []
        for i in range(length // 3):
            y = y * 1.0001
            y = _sigmoid(y) if i % 2 else np.tanh(y)
            outputs.append(y)
            y = y + 0.1
        g = np.ones_like(y)
        for i in reversed(range(length // 3)):
            a = outputs[i]
            g = g * a * (1.0 - a) if i % 2 else g * (1.0 - a * a)
            g = g * 1.0001
        return g

    def autograph_chain():
        x = ag.parameter(x0)
        y = x
        for i in range(length // 3):
            y = y * 1.0001
            y = ag.sigmoid(y) if i % 2 else ag.tanh(y)
            y = y + 0.1
        y.sum().backward()

    x_compiled = ag.parameter(x0)

    def chain_of(x):
        y = x
        for i in range(length // 3):
            y = y * 1.0001
            y = ag.sigmoid(y) if i % 2 else ag.tanh(y)
            y = y + 0.1
        return y

    @ag.compile
    def compiled_chain():
        x_compiled.grad = None
        chain_of(x_compiled).sum().backward()

    start = time.perf_counter()
    compiled_chain()
    compile_time = time.perf_counter() - start
    contenders = {"numpy alone (no graph)": numpy_chain, "autograph": autograph_chain,
                  "autograph compiled": compiled_chain}
    try:
        import numba  # noqa: F401 - the optional extra `jit`
        x_numba = ag.parameter(x0)

        @ag.compile(backend="numba")
        def numba_chain():
            x_numba.grad = None
            chain_of(x_numba).sum().backward()

        start = time.perf_counter()
        numba_chain()
        numba_time = time.perf_counter() - start
        contenders["autograph compiled (numba)"] = numba_chain
    except ImportError:
        numba_time = None
    try:
        import torch

        def torch_chain():
            x = torch.tensor(x0, requires_grad=True)
            y = x
            for i in range(length // 3):
                y = y * 1.0001
                y = torch.sigmoid(y) if i % 2 else torch.tanh(y)
                y = y + 0.1
            y.sum().backward()

        contenders["PyTorch eager (1 thread)"] = torch_chain
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        def f(x):
            y = x
            for i in range(length // 3):
                y = y * 1.0001
                y = 1 / (1 + anp.exp(-y)) if i % 2 else anp.tanh(y)
                y = y + 0.1
            return anp.sum(y)

        grad_f = autograd.grad(f)
        contenders["HIPS autograd"] = lambda: grad_f(x0)
    except ImportError:
        pass
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def jax_f(x):
            y = x
            for i in range(length // 3):
                y = y * 1.0001
                y = jax.nn.sigmoid(y) if i % 2 else jnp.tanh(y)
                y = y + 0.1
            return jnp.sum(y)

        jax_grad = jax.jit(jax.grad(jax_f))
        x_jax = jnp.asarray(x0)
        jax.block_until_ready(jax_grad(x_jax))          # compiles
        contenders["JAX jit"] = lambda: jax.block_until_ready(jax_grad(x_jax))
    except ImportError:
        pass
    ops = (length // 3) * 3 + 1
    ratios = compare(f"2. chain of {ops} elementwise ops on 8 elements, forward + backward",
                     contenders, number=3 if quick else 10, repeat=5 if quick else 9, per=ops,
                     unit="us per op")
    print(f"  (autograph compiled: first call, tracing included, {compile_time:.3f} s)")
    if numba_time is not None:
        print(f"  (autograph compiled (numba): first call, tracing and loading the tape "
              f"interpreter included, {numba_time:.3f} s)")
    return ratios


# --- 3. the MLP -----------------------------------------------------------------------------
def mlp_step(dtype, quick: bool):
    rng = np.random.default_rng(0)
    sizes = [784, 512, 512, 10]
    batch = 256
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    labels = rng.integers(0, 10, batch)
    T = np.eye(10, dtype=dtype)[labels]
    init = [(rng.standard_normal((m, n)) * np.sqrt(2 / m)).astype(dtype) for m, n in
            zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(n, dtype=dtype) for n in sizes[1:]]
    lr = dtype(1e-3)

    Ws = [w.copy() for w in init]
    bs = [b.copy() for b in biases]

    def numpy_step():
        z1 = X @ Ws[0] + bs[0]
        h1 = np.maximum(z1, 0)
        z2 = h1 @ Ws[1] + bs[1]
        h2 = np.maximum(z2, 0)
        z3 = h2 @ Ws[2] + bs[2]
        z3 = z3 - z3.max(axis=1, keepdims=True)
        log_p = z3 - np.log(np.exp(z3).sum(axis=1, keepdims=True))
        d3 = np.exp(log_p) - T                      # d loss / d z3 for summed cross-entropy
        dW3, db3 = h2.T @ d3, d3.sum(axis=0)
        d2 = d3 @ Ws[2].T
        d2 *= z2 > 0
        dW2, db2 = h1.T @ d2, d2.sum(axis=0)
        d1 = d2 @ Ws[1].T
        d1 *= z1 > 0
        dW1, db1 = X.T @ d1, d1.sum(axis=0)
        for p, g in zip(Ws + bs, (dW1, dW2, dW3, db1, db2, db3)):
            p -= lr * g

    Xn, Tn = ag.constant(X, name="X"), ag.constant(T, name="T")
    pW = [ag.parameter(w, name=f"W{i + 1}") for i, w in enumerate(init)]
    pb = [ag.parameter(b, name=f"b{i + 1}") for i, b in enumerate(biases)]
    params = pW + pb

    def autograph_step():
        h = Xn
        for i in range(2):
            h = ag.relu(h @ pW[i] + pb[i])
        loss = -(Tn * ag.log_softmax(h @ pW[2] + pb[2])).sum()
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            step = writable(p)          # an in-place update, sanctioned (issue 10, item 2)
            step -= lr * p.grad

    cX = ag.constant(X, name="X")
    cW = [ag.parameter(w, name=f"W{i + 1}") for i, w in enumerate(init)]
    cb = [ag.parameter(b, name=f"b{i + 1}") for i, b in enumerate(biases)]
    cparams = cW + cb

    @ag.compile
    def compiled_step(T_batch):
        h = cX
        for i in range(2):
            h = ag.relu(h @ cW[i] + cb[i])
        loss = -(T_batch * ag.log_softmax(h @ cW[2] + cb[2])).sum()
        for p in cparams:
            p.grad = None
        loss.backward()
        for p in cparams:
            step = writable(p)          # an in-place update, sanctioned (issue 10, item 2)
            step -= lr * p.grad

    start = time.perf_counter()
    compiled_step(T)
    compile_time = time.perf_counter() - start
    compiled_step(T)
    program = compiled_step.programs()[0]
    buffers = sum(b.nbytes for b in program.buffers)

    name = np.dtype(dtype).name
    contenders = {"hand-written numpy": numpy_step, "autograph": autograph_step,
                  "autograph compiled": lambda: compiled_step(T)}
    times = compare(f"3. MLP 784-512-512-10 ReLU, batch 256, {name}: time per step",
                    contenders, number=3 if quick else 10, repeat=3 if quick else 7)
    print(f"  (autograph compiled: first call, tracing included, {compile_time:.3f} s; "
          f"{len(program.buffers)} buffers of {buffers / 2**20:.2f} MiB kept between calls)")
    peaks = {}
    for label, fn in contenders.items():
        fn()
        gc.collect()
        tracemalloc.start()
        fn()
        peaks[label] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    base = peaks["hand-written numpy"]
    for label, peak in peaks.items():
        print(f"  peak memory {label:<22} {peak / 2**20:8.2f} MiB   {peak / base:5.2f}x")
    return times, peaks


_STEADY_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(2**30), "MALLOC_TRIM_THRESHOLD_": str(2**30)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", choices=["tutorial", "chain", "mlp"], help="one benchmark")
    parser.add_argument("--system-malloc", action="store_true",
                        help="keep glibc's default thresholds (page faults add noise)")
    args = parser.parse_args(argv)
    if not args.system_malloc and argv is None and not _STEADY_MALLOC.items() <= os.environ.items():
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **_STEADY_MALLOC})
    allocator = "default" if args.system_malloc else "glibc mmap/trim thresholds raised"
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, allocator: {allocator}")
    if args.only in (None, "tutorial"):
        tutorial_step(args.quick)
    if args.only in (None, "chain"):
        chain(args.quick)
    if args.only in (None, "mlp"):
        mlp_step(np.float64, args.quick)
        mlp_step(np.float32, args.quick)


if __name__ == "__main__":
    main()
