"""The layering the architecture rests on (docs/architecture.md), checked on the source.

* ``detectors`` is pure detection: no module under it imports faust, kafka,
  aiokafka, prometheus_client or ``streams``;
* the detection core (the modules directly in ``detectors/``) never imports the
  simulated worlds, the evaluation or the command-line front ends that sit on top
  of it (``detectors.sim``, ``detectors.evaluation``, ``detectors.cli``);
* no import circle between the project's modules (imports at module level, the
  ones that run when a module is imported; ``if TYPE_CHECKING:`` blocks and imports
  inside functions are left out, as Python itself leaves them out of the import);
* ``streams.app`` is the only module that imports ``streams.agents``.

The checks read the source with :mod:`ast`, so they hold for every module, not
only the ones a test happens to import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("detectors", "streams")
FORBIDDEN_IN_DETECTORS = ("faust", "mode", "kafka", "aiokafka", "prometheus_client", "streams")
ON_TOP_OF_DETECTION = ("detectors.sim", "detectors.evaluation", "detectors.cli")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path, *, everywhere: bool) -> set[str]:
    """Absolute names of the modules ``name`` imports (module level only unless ``everywhere``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                found.add(mod)
                for a in node.names:  # "from . import x" imports the module x
                    if f"{mod}.{a.name}" in MODULES:
                        found.add(f"{mod}.{a.name}")
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                if everywhere:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if everywhere:
                    visit(ast.iter_child_nodes(node))
            elif isinstance(node, ast.ClassDef) or hasattr(node, "body"):
                visit(ast.iter_child_nodes(node))

    visit(tree.body)
    return found


def _top(mod: str) -> str:
    return mod.split(".")[0]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _top(n) == "detectors"))
def test_detectors_import_no_streaming_library(name):
    bad = sorted(m for m in _imports(name, MODULES[name], everywhere=True) if _top(m) in FORBIDDEN_IN_DETECTORS)
    assert not bad, f"{name} imports {bad}: detection must stay free of Faust, Kafka and Prometheus"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _top(n) == "detectors"
                                        and not n.startswith(ON_TOP_OF_DETECTION)))
def test_the_detection_core_does_not_import_what_sits_on_it(name):
    bad = sorted(m for m in _imports(name, MODULES[name], everywhere=True) if m.startswith(ON_TOP_OF_DETECTION))
    assert not bad, f"{name} imports {bad}: the worlds, the evaluation and the CLIs depend on detection, not the reverse"


def _project_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        deps = set()
        for m in _imports(name, path, everywhere=False):
            while m and m not in MODULES:  # "from pkg.mod import func" -> pkg.mod
                m = m.rpartition(".")[0]
            if m and m != name:
                deps.add(m)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _package_edges_removed(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    # a package's __init__ importing its own submodules (to re-export them) is not a circle
    return {n: {d for d in deps if not d.startswith(n + ".")} for n, deps in graph.items()}


def test_no_import_circle():
    cycles = _cycles(_package_edges_removed(_project_graph()))
    assert not cycles, f"import circles: {cycles}"


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_only_the_app_imports_the_agents():
    importers = sorted(n for n, p in MODULES.items() if n != "streams.agents"
                       and "streams.agents" in _imports(n, p, everywhere=True))
    assert importers == ["streams.app"], importers


def test_every_package_is_collected_for_doctests():
    """The doctests in detectors/ and streams/ run with the suite (pyproject's testpaths)."""
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert set(PACKAGES) <= set(conf["testpaths"]) and "--doctest-modules" in conf["addopts"]
