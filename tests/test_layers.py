"""The package's architecture, enforced: layers import downwards only, no import circle, small modules and functions.

The flow is data -> signals -> engine -> run folder -> pages. Every import of a
package module (at the top of a module or inside a function) is read from the
source with ``ast``, so a lazy import cannot hide an arrow pointing up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "jpmacro_bt"

# Lower layers first; a module may import its own layer and the ones below it.
LAYERS = [
    ("errors",),
    ("paths", "files"),
    ("symbols",),
    ("sources",),
    ("events", "data", "strategy", "catalog", "indicators", "bonds", "carry"),
    ("engine",),
    ("research",),
    ("reports",),
    ("api", "cli"),
]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("jpmacro_bt", *parts))
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else ""
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module} is in no layer: add its top-level name to LAYERS")


def _imports(module: str, path: Path) -> set[str]:
    """Package modules that ``module`` imports, anywhere in its source."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            # A module's own packages are imported before it whatever it says: no arrow.
            if name and name != "jpmacro_bt" and name != module and not module.startswith(name + "."):
                found.add(name)
    return found


GRAPH = {m: _imports(m, p) for m, p in MODULES.items() if m != "jpmacro_bt"}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_the_layers(module):
    up = sorted(t for t in GRAPH[module] if _layer(t) > _layer(module))
    assert not up, f"{module} (layer {_layer(module)}) imports higher layers: {up}"


def test_there_is_no_import_circle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_checker_sees_a_circle_and_an_upward_arrow():
    # The rules above must be able to fail: a made-up engine module importing the CLI breaks both.
    fake = "jpmacro_bt.engine.fake"
    GRAPH[fake] = {"jpmacro_bt.cli.app"}
    GRAPH["jpmacro_bt.cli.app"] = GRAPH["jpmacro_bt.cli.app"] | {fake}
    try:
        assert _layer("jpmacro_bt.cli.app") > _layer(fake)
        with pytest.raises(AssertionError, match="import circle"):
            test_there_is_no_import_circle()
    finally:
        del GRAPH[fake]
        GRAPH["jpmacro_bt.cli.app"] = GRAPH["jpmacro_bt.cli.app"] - {fake}


def test_nothing_imports_a_private_name_of_another_module():
    bad = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jpmacro_bt"):
                bad += [f"{module}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_") and a.name != "__version__"]
    assert not bad


def test_modules_and_functions_stay_small():
    long_modules = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    long_functions = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                long_functions[f"{module}.{node.name}"] = node.end_lineno - node.lineno + 1
    assert not long_modules, f"modules over {MAX_MODULE_LINES} lines: {long_modules}"
    assert not long_functions, f"functions over {MAX_FUNCTION_LINES} lines: {long_functions}"
