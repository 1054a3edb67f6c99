"""sql/ imports go down only: no module of sql/ takes part in an import cycle, and none reaches
up into the layers above it (pgwire, control) or around it (cluster: sql reaches the store
only through kv's client interface).

Every import statement counts, at module level, under ``if TYPE_CHECKING:`` or inside a
function: a cycle hidden in a function-local import or a type-only import is still a cycle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

SQL = Path(__file__).resolve().parents[2] / "sql"
FORBIDDEN = ("pgwire", "control", "cluster")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SQL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every module ``path`` imports: ``from sql.a import b`` names sql.a, and sql.a.b too
    when that is a module; importing sql.a.b imports its package sql.a first."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules)
    parents = {".".join(m.split(".")[:i]) for m in out for i in range(2, m.count(".") + 1)}
    return out | parents


def _graph() -> dict[str, set[str]]:
    files = sorted(SQL.rglob("*.py"))
    modules = {_module_name(f) for f in files}
    return {_module_name(f): _imports(f, modules) for f in files}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """An import cycle among the modules of ``graph`` (the first module repeated at its end),
    or [] when there is none."""
    inside = {module: imports & graph.keys() for module, imports in graph.items()}
    try:
        graphlib.TopologicalSorter(inside).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return []


def test_sql_modules_import_one_another_without_a_cycle() -> None:
    graph = _graph()
    assert len(graph) > 10  # the walk found sql/
    assert _cycle(graph) == []


def test_sql_imports_nothing_from_the_layers_above_it_or_the_cluster() -> None:
    upward = {
        (module, imported)
        for module, imports in _graph().items()
        for imported in imports
        if imported.split(".")[0] in FORBIDDEN
    }
    assert upward == set()


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"sql.a": {"sql.b"}, "sql.b": {"sql.c"}, "sql.c": {"sql.a"}, "sql.d": {"sql.a"}}
    assert sorted(_cycle(graph)[:-1]) == ["sql.a", "sql.b", "sql.c"]
    assert _cycle({"sql.a": {"sql.b"}, "sql.b": set()}) == []
