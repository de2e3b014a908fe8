"""Mutation testing of our own: plant one small bug, run the tests, see whether any fails.

    nice python tools/mutate.py                      # every target, summary and survivors
    nice python tools/mutate.py --list               # the mutants, without running anything
    nice python tools/mutate.py --only reductions    # targets whose path contains the word

Mutants are made from the AST (module-level lambdas included, which mutmut does not reach):
+ and - swapped, * and /, a comparison loosened or tightened (< and <=, == and !=), `and` and
`or`, a term of a sum dropped, a numeric constant or a default changed (an axis, keepdims, alpha),
a unary minus or `not` removed, a returned value negated. Each is written into a temporary copy
of the package (the working tree is never edited), and the tests that cover the file run there
with `-x` and a timeout, one process at a time. A mutant that survives them is re-run against the
whole test folder before it is reported as a survivor.

Equivalent mutants (no test can tell them apart from the original) are listed in EQUIVALENT
below, each with the reason; they are left out of the score.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Imported here, before any fork, so that each mutant's test run starts warm. No bytecode is
# written: a mutant of the same size and second as the original would load a stale .pyc.
sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
import numpy  # noqa: E402,F401
import pytest  # noqa: E402
import hypothesis  # noqa: E402,F401

# target file -> the tests that cover it (the whole folder confirms a survivor)
# Fast files that catch most mutants come first: the tests run with -x.
_OPS = ["tests/ops/test_gradients.py", "tests/ops/test_conventions.py",
        "tests/ops/test_forward_values.py", "tests/ops", "tests/core"]
TARGETS = {
    "autograph/ops/arithmetic.py": _OPS,
    "autograph/ops/elementwise.py": _OPS,
    "autograph/ops/activations.py": _OPS + ["tests/nn"],
    "autograph/ops/reductions.py": _OPS,
    "autograph/ops/shape.py": _OPS,
    "autograph/ops/kernels.py": ["tests/ops/test_kernels.py", "tests/ops/test_kernel_contracts.py"]
    + _OPS,
    "autograph/core/backward.py": ["tests/core/test_backward.py", "tests/core", "tests/ops"],
    "autograph/verify/diagnose.py": ["tests/verify"],
}
ALL_TESTS = ["tests"]

# (file, mutant key) -> why no test can catch it. Keys are printed by --list and in the report.
EQUIVALENT = {
    ("autograph/ops/kernels.py", "_ones: maxsize=64 -> maxsize=65"):
        "the size of a cache changes speed, never a value",
    ("autograph/ops/activations.py", "_sigmoid_constants: maxsize=16 -> maxsize=17"):
        "the size of a cache changes speed, never a value",
    ("autograph/ops/kernels.py", "<module>: _NARROW = 16 -> _NARROW = 17"):
        "where the running maximum takes over from np.max: both give the same values",
    ("autograph/ops/elementwise.py", "<module>: copy=False -> copy=True"):
        "astype copying where it could share: the same values, and no Node's value is "
        "changed in place",
    ("autograph/ops/reductions.py", "_max_grad: copy=False -> copy=True"):
        "`share` is a new array: copying it again gives the same values",
    ("autograph/ops/arithmetic.py", "_matmul_grad_a: a.ndim > 1 -> a.ndim >= 1"):
        "a 1-D a with a 1-D b gives a 0-d g, and g[..., None] * b is then g * b",
    ("autograph/ops/arithmetic.py", "_power_grad_exponent: 1.0 -> 1.5"):
        "the stand-in base only keeps log away from a <= 0; where() discards what log gives",
    ("autograph/ops/arithmetic.py", "_matmul_failure: len(b_shape) > 1 -> len(b_shape) > 2"):
        "for a 2-D b, b_shape[-2] is b_shape[0]",
    ("autograph/ops/shape.py", "_join_failure: np.ndim(xs[0]) + new_axis if xs else 0 -> "
                               "np.ndim(xs[0]) + new_axis if xs else 1"):
        "explain runs only when a Node was given, so xs is never empty",
    ("autograph/ops/reductions.py", "_axis_failure: x, axis=None, keepdims=False -> x, "
                                    "axis=None, keepdims=True"):
        "_axis_failure never reads keepdims",
    ("autograph/ops/reductions.py", "_max_grad: g, ans, x, axis=None, keepdims=False -> g, ans, "
                                    "x, axis=None, keepdims=True"):
        "gradient rules are called with the forward's params, which always hold keepdims",
    ("autograph/ops/reductions.py", "<module>: g, ans, x, axis=None, keepdims=False -> g, ans, "
                                    "x, axis=None, keepdims=True"):
        "sum's gradient rule is called with the forward's params, which always hold keepdims",
    ("autograph/ops/reductions.py", "<module>: g, ans, x, axis=None, keepdims=False -> g, ans, "
                                    "x, axis=None, keepdims=True #2"):
        "logsumexp's gradient rule is called with the forward's params, which always hold "
        "keepdims",
    ("autograph/ops/reductions.py", "_logsumexp: x, axis=None, keepdims=False -> x, axis=None, "
                                    "keepdims=True"):
        "the forward is called with the params of logsumexp(), which always hold keepdims",
    ("autograph/ops/reductions.py", "_logsumexp: 0.0 -> 0.5"):
        "the stand-in shift meets only rows of infinities or NaN, where any finite shift gives "
        "the same result",
    ("autograph/ops/reductions.py", "mean: np.size(value_of(x)) // reduced -> "
                                    "np.size(value_of(x)) / reduced"):
        "the count divides exactly, and n and float(n) divide alike",
    ("autograph/ops/reductions.py", "mean: np.size(value_of(x)) // reduced if reduced else 1 -> "
                                    "np.size(value_of(x)) // reduced if reduced else 2"):
        "the divisor of an empty result: dividing no entries by 1 or by 2 gives no entries",
    ("autograph/ops/activations.py", "<module>: x > 0 -> x >= 0 #2"):
        "leaky_relu's forward at 0: x and alpha * x are both 0",
    ("autograph/ops/shape.py", "_join_failure: *xs, axis=0, new_axis=False -> *xs, axis=1, "
                               "new_axis=False"):
        "explain is called with the forward's params, which always hold axis",
    ("autograph/ops/shape.py", "<module>: *xs, axis=0 -> *xs, axis=1"):
        "concatenate() always passes axis to the forward",
    ("autograph/ops/shape.py", "<module>: *xs, axis=0 -> *xs, axis=1 #2"):
        "stack() always passes axis to the forward",
    ("autograph/ops/shape.py", "<module>: *xs, axis=0 -> *xs, axis=1 #3"):
        "explain is called with the forward's params, which always hold axis",
    ("autograph/ops/shape.py", "<module>: i, g, ans, *xs, axis=0 -> i, g, ans, *xs, axis=1"):
        "gradient rules are called with the forward's params, which always hold axis",
    ("autograph/ops/shape.py", "<module>: i, g, ans, *xs, axis=0 -> i, g, ans, *xs, axis=1 #2"):
        "gradient rules are called with the forward's params, which always hold axis",
    ("autograph/ops/shape.py", "_is_basic: return all((p is None or p is Ellipsis or "
                               "isinstance(p, (int, np.integer, slice)) fo... -> return -all((p "
                               "is None or p is Ellipsis or isinstance(p, (int, np.integer, "
                               "slice)) f..."):
        "-True is true and -False is false: the caller only tests the truth",
    ("autograph/ops/shape.py", "_is_basic: p is None or p is Ellipsis or isinstance(p, (int, "
                               "np.integer, slice)) -> p is None and p is Ellipsis and "
                               "isinstance(p, (int, np.integer, slice))"):
        "every index then takes the np.add.at path, which gives the same values where no entry "
        "is selected twice (only slower)",
    ("autograph/core/backward.py", "propagate: False -> True"):
        "propagate's create_graph default: every caller passes it",
    ("autograph/core/backward.py", "propagate: -root.order -> root.order"):
        "the root is alone in the heap when its key is read",
    ("autograph/core/backward.py", "propagate: wanted and node in wanted -> wanted or node in "
                                   "wanted"):
        "with `wanted` given, every inner node is yielded, but gradients() reads only the "
        "wanted ones; without, the test is False either way",
    ("autograph/core/backward.py", "_own_arrays: id(g) in stored -> id(g) not in stored"):
        "copies every gradient, shared or not: the same values and no sharing, only slower",
    ("autograph/verify/diagnose.py", "factor_words: c < 0 -> c <= 0"):
        "c is never 0 here: fit_factor refuses it",
    ("autograph/verify/diagnose.py", "factor_words: abs(a - round(a)) <= 1e-09 * a -> "
                                     "abs(a - round(a)) < 1e-09 * a"):
        "differs only when the distance to an integer is exactly 1e-9 a",
    ("autograph/verify/diagnose.py", "factor_words: abs(1 / a - round(1 / a)) <= 1e-09 / a -> "
                                     "abs(1 / a - round(1 / a)) < 1e-09 / a"):
        "differs only when the distance to an integer is exactly 1e-9 / a",
    ("autograph/verify/diagnose.py", "fit_factor: abs(value - c) <= 0.001 * abs(c) -> "
                                     "abs(value - c) < 0.001 * abs(c)"):
        "differs only when c is exactly a thousandth away from a nice value",
    ("autograph/verify/diagnose.py", "factor_words: 1 / _LARGEST_NAMED <= a < 1 -> "
                                     "1 / _LARGEST_NAMED <= a < 2"):
        "for 1 < a < 2 the branch before has named any whole factor, and 1/a is then never "
        "a whole 1/N",
    ("autograph/verify/diagnose.py", "__init__: self.truncated = False -> self.truncated = True"):
        "truncated is read only after _plan() has set it (a wrong shape returns before)",
    ("autograph/verify/diagnose.py", "_replay_predictions: not self.history or "
                                     "self.auto[name].shape != shape -> not self.history and "
                                     "self.auto[name].shape != shape"):
        "without history there are no replays to yield; replays of the wrong shape never fit",
    ("autograph/verify/diagnose.py", "_axis_predictions: full.ndim + 1 -> full.ndim + 2"):
        "there are no combinations of more axes than there are",
    ("autograph/verify/diagnose.py", "bound: float(reference.max()) if reference.size else 0.0 "
                                     "-> float(reference.max()) if reference.size else 0.5"):
        "the atol of an empty reference bounds no entries",
    ("autograph/verify/diagnose.py", "_nice_factors: n > 1 -> n >= 1"):
        "a count of 1 adds 1 and -1, which are there already",
    ("autograph/verify/diagnose.py", "_nice_factors: n > 1 -> n > 2"):
        "a count of 2 is there already: counts start as {2}",
    ("autograph/verify/diagnose.py", "<module>: MAX_REPLAYS = 400 -> MAX_REPLAYS = 401"):
        "a cap on the search, which the test of the cap sets itself (monkeypatch)",
}


@dataclass
class Mutant:
    file: str
    index: int          # which candidate site in the file, in walk order
    key: str            # "function: before -> after", stable across unrelated edits
    line: int


# --- making mutants ----------------------------------------------------------------------------

_SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
             ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.MatMult: ast.Mult}
_SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
             ast.NotIn: ast.In}


def _changed_constant(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 2 if value not in (0.0, 1.0) else value + 0.5
    return None


def _is_docstring(parent, node) -> bool:
    return isinstance(parent, ast.Expr) and isinstance(node, ast.Constant) \
        and isinstance(node.value, str)


def _sites(tree):
    """(node, its function's name, [(label, apply)]) for every place a mutant can be made;
    `apply(node)` mutates a copy of the node in place or returns a replacement."""
    parents = {}
    scope = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                scope.setdefault(inner, node.name)
    for node in ast.walk(tree):
        where = scope.get(node, "<module>")
        if isinstance(node, ast.Assign) and where == "<module>" and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Lambda):
                where = target.id
        options = []
        if isinstance(node, ast.BinOp):
            swap = _SWAP_BIN.get(type(node.op))
            if swap:
                options.append((f"{_src(node)} -> {_src(_with(node, op=swap()))}",
                                lambda n, swap=swap: _with(n, op=swap())))
            if isinstance(node.op, (ast.Add, ast.Sub)):
                options.append((f"{_src(node)} -> {_src(node.left)}", lambda n: n.left))
                options.append((f"{_src(node)} -> {_src(node.right)}", lambda n: n.right))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            swap = _SWAP_CMP.get(type(node.ops[0]))
            if swap:
                options.append((f"{_src(node)} -> {_src(_with(node, ops=[swap()]))}",
                                lambda n, swap=swap: _with(n, ops=[swap()])))
        elif isinstance(node, ast.BoolOp):
            other = ast.Or if isinstance(node.op, ast.And) else ast.And
            options.append((f"{_src(node)} -> {_src(_with(node, op=other()))}",
                            lambda n, other=other: _with(n, op=other())))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            options.append((f"{_src(node)} -> {_src(node.operand)}", lambda n: n.operand))
        elif isinstance(node, ast.Constant) and not _is_docstring(parents.get(node), node):
            new = _changed_constant(node.value)
            if new is not None:
                context = _src(parents.get(node)) if parents.get(node) is not None else ""
                if len(context) > 60 or isinstance(parents.get(node), ast.Call):
                    context = _src(node)
                if context.count(_src(node)) == 1:
                    label = f"{context} -> {context.replace(_src(node), repr(new), 1)}"
                elif context:       # the text occurs twice: show the mutated context itself
                    label = f"{context} -> {_swapped(parents[node], node, ast.Constant(new))}"
                else:
                    label = f"{_src(node)} -> {new!r}"
                options.append((label, lambda n, new=new: ast.Constant(new)))
        elif isinstance(node, ast.Return) and node.value is not None \
                and not _returns_text(node.value):
            options.append((f"return {_src(node.value)} -> return {_negated(node.value)}",
                            lambda n: _with(n, value=_negate(n.value))))
        elif isinstance(node, ast.Lambda) and not _returns_text(node.body):
            options.append((f"lambda: {_src(node.body)} -> {_negated(node.body)}",
                            lambda n: _with(n, body=_negate(n.body))))
        for label, apply in options:
            yield node, where, label, apply


def _swapped(parent, old, new) -> str:
    """The source of `parent` with its child `old` replaced by `new` (then put back)."""
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            try:
                return _src(parent)
            finally:
                setattr(parent, field, old)
        if isinstance(value, list) and any(item is old for item in value):
            i = next(i for i, item in enumerate(value) if item is old)
            value[i] = new
            try:
                return _src(parent)
            finally:
                value[i] = old
    return f"{_src(old)} -> {_src(new)}"


def _returns_text(value) -> bool:
    """Text, containers and new objects: negating them only breaks the import."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
            and value.func.id[:1].isupper():
        return True
    return isinstance(value, (ast.JoinedStr, ast.Tuple, ast.Dict, ast.List, ast.Lambda,
                              ast.IfExp)) \
        or (isinstance(value, ast.Constant) and not isinstance(value.value, (int, float))) \
        or (isinstance(value, ast.Constant) and isinstance(value.value, bool))


def _negate(value):
    if isinstance(value, (ast.Compare, ast.BoolOp)) or (
            isinstance(value, ast.Call) and getattr(value.func, "id", "") == "bool"):
        return ast.UnaryOp(ast.Not(), value)
    return ast.UnaryOp(ast.USub(), value)


def _negated(value) -> str:
    return _src(_negate(copy.deepcopy(value)))


def _with(node, **fields):
    new = copy.copy(node)
    for name, value in fields.items():
        setattr(new, name, value)
    return new


def _src(node) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 80 else text[:77] + "..."


def mutants(file: str) -> list[Mutant]:
    tree = ast.parse((ROOT / file).read_text())
    found, seen = [], {}
    for index, (node, where, label, _) in enumerate(_sites(tree)):
        key = f"{where}: {label}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key += f" #{seen[key]}"
        found.append(Mutant(file, index, key, getattr(node, "lineno", 0)))
    return found


def mutated_source(file: str, index: int) -> str:
    tree = ast.parse((ROOT / file).read_text())
    for i, (node, _, _, apply) in enumerate(_sites(tree)):
        if i == index:
            replacement = apply(copy.deepcopy(node))
            _replace(tree, node, replacement)
            return ast.unparse(ast.fix_missing_locations(tree))
    raise IndexError(index)


def _replace(tree, old, new):
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return
    raise LookupError("site not found")


# --- running ---------------------------------------------------------------------------------

def _copy_tree(into: Path):
    """The repository without git and caches (tests read the README, examples, benchmarks)."""
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".hypothesis",
                                    ".pytest_cache", "*.egg-info", "build", "dist")
    shutil.copytree(ROOT, into, ignore=ignore, dirs_exist_ok=True)


def _pytest(workdir: Path, tests, timeout: float) -> str:
    """'passed', 'failed' or 'timeout'.

    pytest runs in a forked child of this process, which has imported numpy, hypothesis and
    pytest once (but never autograph): a mutant costs its tests, not an interpreter start."""
    pid = os.fork()
    if pid == 0:                                   # the child: fresh autograph, from `workdir`
        code = 3
        try:
            os.setpgid(0, 0)                       # its own group, killed as one on a timeout
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.chdir(workdir)
            sys.path.insert(0, str(workdir))
            code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                                *tests])
        finally:
            os._exit(int(code))
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "passed" if os.waitstatus_to_exitcode(status) == 0 else "failed"
        if time.monotonic() > deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.02)


def run(selected: list[str], timeout_factor: float, report_path: Path | None,
        keys: set | None = None) -> int:
    results = {}
    with tempfile.TemporaryDirectory(prefix="autograph-mutants-") as tmp:
        work = Path(tmp)
        _copy_tree(work)
        baseline = {}
        for tests in {tuple(TARGETS[f]) for f in selected} | {tuple(ALL_TESTS)}:
            start = time.perf_counter()
            if _pytest(work, list(tests), 600) != "passed":
                print(f"the unmutated tests {' '.join(tests)} fail: fix them first")
                return 2
            baseline[tests] = time.perf_counter() - start
        print("baseline: " + ", ".join(f"{' '.join(t)} {s:.1f} s" for t, s in baseline.items()))
        for file in selected:
            original = (ROOT / file).read_text()
            target = work / file
            tests = tuple(TARGETS[file])
            counts = {"killed": 0, "survived": 0, "equivalent": 0, "timeout": 0}
            survivors = []
            for mutant in mutants(file):
                if keys is not None and (file, mutant.key) not in keys:
                    continue
                if (file, mutant.key) in EQUIVALENT:
                    counts["equivalent"] += 1
                    continue
                try:
                    source = mutated_source(file, mutant.index)
                    compile(source, file, "exec")
                except (SyntaxError, ValueError):
                    continue        # not a program: no mutant
                target.write_text(source)
                try:
                    outcome = _pytest(work, list(tests), timeout_factor * baseline[tests] + 5)
                    if outcome == "passed":
                        outcome = _pytest(work, ALL_TESTS,
                                          timeout_factor * baseline[tuple(ALL_TESTS)] + 5)
                finally:
                    target.write_text(original)
                if outcome == "passed":
                    counts["survived"] += 1
                    survivors.append(mutant)
                    print(f"  SURVIVED {file}:{mutant.line}  {mutant.key}", flush=True)
                elif outcome == "timeout":
                    counts["timeout"] += 1
                else:
                    counts["killed"] += 1
            results[file] = (counts, survivors)
            print(_line(file, counts), flush=True)
    print(_summary(results))
    if report_path:
        report_path.write_text(json.dumps(
            {f: {"counts": c, "survivors": [[m.line, m.key] for m in s]}
             for f, (c, s) in results.items()}, indent=1))
    return 0


def _score(counts) -> float:
    caught = counts["killed"] + counts["timeout"]
    total = caught + counts["survived"]
    return 100.0 * caught / total if total else 100.0


def _line(file, counts) -> str:
    return (f"{file}: {counts['killed']} killed, {counts['timeout']} timed out, "
            f"{counts['survived']} survived, {counts['equivalent']} equivalent: "
            f"{_score(counts):.1f}% of the non-equivalent caught")


def _summary(results) -> str:
    total = {"killed": 0, "survived": 0, "equivalent": 0, "timeout": 0}
    for counts, _ in results.values():
        for k in total:
            total[k] += counts[k]
    lines = ["", "summary"] + [_line(f, c) for f, (c, _) in results.items()]
    lines.append(_line("all", total))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="targets whose path contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--timeout-factor", type=float, default=2.0,
                        help="a mutant's tests may take this many times the unmutated run")
    parser.add_argument("--report", type=Path, help="write counts and survivors as JSON here")
    parser.add_argument("--rerun", type=Path,
                        help="run only the survivors listed in this earlier --report")
    args = parser.parse_args(argv)
    selected = [f for f in TARGETS if not args.only or args.only in f]
    keys = None
    if args.rerun:
        earlier = json.loads(args.rerun.read_text())
        keys = {(f, key) for f, entry in earlier.items() for _, key in entry["survivors"]}
        selected = [f for f in selected if f in earlier]
    if args.list:
        for file in selected:
            for m in mutants(file):
                mark = "  (equivalent)" if (file, m.key) in EQUIVALENT else ""
                print(f"{file}:{m.line}  {m.key}{mark}")
        return 0
    return run(selected, args.timeout_factor, args.report, keys)


if __name__ == "__main__":
    sys.exit(main())
