"""The layers of ARCHITECTURE.md, read from the source: no module imports a layer above its
own (also not inside a function), and none imports another package's private names."""

import ast
from pathlib import Path

import pytest

import autograph

PACKAGE = Path(autograph.__file__).parent
TOP = {"autograph", "__main__", "cli", "commands", "tutorial"}     # may import anything
# what each lower layer may import besides itself
ALLOWED = {
    "core": {"ops"},                       # Node's operators only
    "ops": {"core"},
    "numpy": {"core", "ops"},
    "nn": {"core", "ops", "compiler"},     # fit(compile=True)
    "diagrams": {"core", "ops"},
    "verify": {"core", "ops", "diagrams"},
    "onnx": {"core", "ops"},
    "compiler": {"core", "ops"},           # a second interpreter of the engine's graphs
    "test_util": {"core", "ops"},
    "data": set(),
}


# The compiler records and replays the engine's own graph walk: it shares core's internals
# (the creation counter, backward's root check and array ownership) rather than copying them.
ENGINE_INTERNALS = {("compiler", "core")}


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "autograph" if parts == ("__init__",) else parts[0]


def _imports(path: Path):
    """(line, layer imported, names imported) for every `autograph` import in the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "autograph":
                    yield node.lineno, parts[1] if len(parts) > 1 else "autograph", []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split(".")[0] == "autograph":
            parts = node.module.split(".")
            names = [alias.name for alias in node.names]
            if len(parts) > 1:
                yield node.lineno, parts[1], names
            else:                          # from autograph import nn: the layer nn
                for name in names:
                    yield node.lineno, name if (PACKAGE / name).is_dir() or \
                        (PACKAGE / f"{name}.py").is_file() else "autograph", []


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_layer_is_known():
    assert {_layer(p) for p in SOURCES} <= TOP | set(ALLOWED)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_downwards_only(path):
    layer = _layer(path)
    if layer in TOP:
        return
    wrong = [f"line {line}: {layer} imports {target}" for line, target, _ in _imports(path)
             if target != layer and target not in ALLOWED[layer]]
    assert not wrong, f"{path.relative_to(PACKAGE)}: " + "; ".join(wrong)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_of_another_package_is_imported(path):
    layer = _layer(path)
    wrong = [f"line {line}: {name} from {target}" for line, target, names in _imports(path)
             for name in names if name.startswith("_") and target != layer
             and (layer, target) not in ENGINE_INTERNALS]
    assert not wrong, f"{path.relative_to(PACKAGE)} imports private names: " + "; ".join(wrong)
