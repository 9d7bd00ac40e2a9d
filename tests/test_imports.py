"""The import contract of src/relaydesk, read from the source (no import needed):

- no circle among its modules, counting imports inside functions too (only `if TYPE_CHECKING:`
  blocks are left out, since they never run): a function-level import that dodges a circle still
  ties the two modules together;
- no module over MAX_LINES lines, but for the few listed with their reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "relaydesk"
MAX_LINES = 450

# Modules allowed over MAX_LINES for now, each with its reason (also written at the module's top).
LONG_MODULES: dict[str, str] = {}

# Circles through modules other work is moving (redaction, outcome); the integrator empties this.
KNOWN_CIRCLES: list[set[str]] = []


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except inside `if TYPE_CHECKING:` (its else runs)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom, modules: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" for alias in node.names] + [base]
    found = set()
    for target in names:
        # `from a.b import c`: c is the module a.b.c when there is one, else a name in a.b
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in _imports(ast.parse(path.read_text(), str(path))):
            edges |= _targets(name, path, node, set(modules))
        graph[name] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_function_level_imports() -> None:
    # the check must be able to fail: a circle closed inside a function is one
    graph = {"a": {"b"}, "b": {"a"}}
    assert circles(graph) == [{"a", "b"}]
    tree = ast.parse("def f():\n    import relaydesk.app\nif TYPE_CHECKING:\n    import relaydesk.cli\n")
    modules = {"relaydesk.app", "relaydesk.cli", "relaydesk.x"}
    targets = set().union(*(_targets("relaydesk.x", SRC / "x.py", n, modules) for n in _imports(tree)))
    assert targets == {"relaydesk.app"}


def test_no_import_circles() -> None:
    found = [c for c in circles(import_graph()) if c not in KNOWN_CIRCLES]
    assert not found, "import circles:\n" + "\n".join(" ↔ ".join(sorted(c)) for c in found)


def test_no_long_modules() -> None:
    modules = _modules()
    long = {
        name: n
        for name, path in modules.items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES and name not in LONG_MODULES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"
    stale = [
        name
        for name in LONG_MODULES
        if name in modules and len(modules[name].read_text().splitlines()) <= MAX_LINES
    ]
    assert not stale, f"no longer long, take them off LONG_MODULES: {stale}"
