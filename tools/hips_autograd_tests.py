"""Run HIPS autograd's own numpy tests on autograph, and count what passes (not run in CI).

autograd's test files are rewritten in a temporary directory: `autograd.numpy` becomes
`autograph.numpy`, `autograd.numpy.random` numpy's own, and everything else imported from
`autograd` comes from tools/autograd_compat.py, whose `check_grads` compares reverse mode with
central finite differences (first and second order, through `ag.gradcheck` and `ag.grad`).
Nothing of autograd's is kept or committed here; give the script a checkout of autograd, or
its git directory (the tests are then read from HEAD):

    python tools/hips_autograd_tests.py /path/to/autograd        # add -v for every failure

Each test is counted once, as the first of:
  out of scope     raised OutOfScope (forward mode, autograd internals), or every check it
                   made had complex inputs;
  WRONG GRADIENT   reverse mode and finite differences disagree;
  pass             (with "real part" counted apart when its complex checks were skipped);
  no rule          a numpy function autograph has no gradient rule for (TypeError, by name);
  fail / error     anything else (an assertion of the test, another exception).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FILES = ["test_numpy", "test_systematic", "test_scalar_ops", "test_binary_ops", "test_linalg",
         "test_graphs", "test_wrappers", "test_tuple", "test_list", "test_dict"]
HELPERS = ["numpy_utils", "conftest"]
ROOT = Path(__file__).resolve().parent.parent        # autograph's checkout
TOOLS = Path(__file__).resolve().parent

REWRITES = [
    (r"^(\s*)import autograd\.numpy\.random as (\w+)", r"\1import numpy.random as \2"),
    (r"^(\s*)import autograd\.numpy as (\w+)", r"\1import autograph.numpy as \2"),
    (r"^(\s*)import autograd\.scipy.*$", r"\1raise ImportError('autograd.scipy: out of scope')"),
    (r"^(\s*)from autograd\.numpy import ", r"\1from autograph.numpy import "),
    (r"^(\s*)from autograd(\.[\w.]+)? import ", r"\1from autograd_compat import "),
    (r"^(\s*)import autograd\b.*$", r"\1import autograd_compat as autograd"),
]


def rewrite(source: str) -> str:
    for pattern, replacement in REWRITES:
        source = re.sub(pattern, replacement, source, flags=re.MULTILINE)
    return source


def classify(record: dict) -> str:
    if record["outcome"] == "skipped":
        return "skipped"
    if record["outcome"] == "passed":
        if not record.get("complex_skipped"):
            return "pass"
        return "pass (real part)" if record.get("checked") else "complex"
    error, message = record.get("error", ""), record.get("message", "")
    if error == "OutOfScope":
        return "forward mode" if "forward" in message else \
            "complex" if "complex" in message else "autograd internals"
    if error == "GradientMismatch":
        return "WRONG GRADIENT"
    if "has no gradient rule in autograph" in message:
        return "no rule"
    if "complex" in message.lower() or "imaginary" in message.lower():
        return "complex"
    return "fail"


def _read_test_file(autograd: Path, name: str) -> str | None:
    """tests/<name>.py from a checkout, or from HEAD of a git directory."""
    path = autograd / "tests" / f"{name}.py"
    if path.exists():
        return path.read_text()
    shown = subprocess.run(["git", "--git-dir", str(autograd), "show", f"HEAD:tests/{name}.py"],
                           capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def run(autograd: Path, files: list[str]) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        for name in files + HELPERS:
            source = _read_test_file(autograd, name)
            if source is not None:
                (Path(tmp) / f"{name}.py").write_text(rewrite(source))
        report = Path(tmp) / "report.json"
        env = dict(os.environ, AUTOGRAD_COMPAT_REPORT=str(report),
                   PYTHONPATH=os.pathsep.join([str(ROOT), str(TOOLS), tmp]))
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "-p", "autograd_compat", "--rootdir", tmp, "-o", "addopts=",
                   "-W", "ignore::DeprecationWarning",
                   *[str(Path(tmp) / f"{name}.py") for name in files]]
        subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
        return json.loads(report.read_text()) if report.exists() else []


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("autograd", type=Path,
                        help="a checkout of HIPS/autograd (with tests/), or its git directory")
    parser.add_argument("--files", nargs="*", default=FILES, help="test files, without .py")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every non-pass")
    args = parser.parse_args(argv)

    records = run(args.autograd, args.files)
    if not records:
        print("no results: did pytest run? (try the command with -v)", file=sys.stderr)
        return 2
    kinds = ["pass", "pass (real part)", "WRONG GRADIENT", "no rule", "fail", "complex",
             "forward mode", "autograd internals", "skipped"]
    counts = collections.defaultdict(collections.Counter)
    for record in records:
        counts[record["file"]][classify(record)] += 1
    width = max(len(f) for f in counts) + 2
    labels = ["pass", "real part", "WRONG GRAD", "no rule", "fail", "complex", "fwd mode",
              "internals", "skipped"]
    print(f"{'file':<{width}}" + "".join(f"{k:>11}" for k in labels) + f"{'real-valued':>17}")
    total = collections.Counter()
    for file in sorted(counts):
        c = counts[file]
        total.update(c)
        print(f"{file:<{width}}" + "".join(f"{c[k]:>11}" for k in kinds) + _share(c))
    print(f"{'total':<{width}}" + "".join(f"{total[k]:>11}" for k in kinds) + _share(total))
    print("\nreal-valued: passed / (all tests - complex - forward mode - autograd internals "
          "- skipped);\n'real part': passed, with its complex-valued checks skipped (counted as "
          "passed)")
    if args.verbose:
        for record in records:
            kind = classify(record)
            if not kind.startswith("pass"):
                print(f"{kind:>18}  {record['file']}::{record['test']}  "
                      f"{record.get('error', '')}: {record.get('message', '')}")
    return 1 if total["WRONG GRADIENT"] else 0


def _share(c) -> str:
    passed = c["pass"] + c["pass (real part)"]
    real = passed + c["WRONG GRADIENT"] + c["no rule"] + c["fail"]
    return f"{passed:>9}/{real:<4}{100 * passed / real if real else 0:6.1f}%"


if __name__ == "__main__":
    sys.exit(main())
