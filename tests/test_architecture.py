"""The house's rules (ARCHITECTURE.md), read off the source: who may import whom, no cycles, and
modules small enough to read.

Rooms, bottom up: ``ingest.core`` (warehouse, migrations, the batch ledger) <- one package per
source (``ingest.station``, ``ingest.hj212``, ``ingest.forms``, ``ingest.reference``) and the
data-quality library ``expectations`` <- the entry points ``pipelines`` <- the DAGs and
``lantian.py``. ``samples`` (generators and the Python AQI reference) sits beside the entry
points: production code never imports it. ``receiver`` (the HJ 212 TCP service) sits on
``ingest`` alone: it writes the inbox files the ingest reads, never the warehouse.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "expectations", "pipelines", "samples", "dags", "bench", "tools", "receiver")
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] == "dags":  # the DAGs folder is on sys.path: its modules import by bare name
        parts.pop(0)
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found[_module_name(path)] = path
    found["lantian"] = REPO / "lantian.py"
    return found


SOURCES = _sources()


def _imports(path: Path) -> set[str]:
    """The project modules a file imports (at any depth: function-level imports count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n in SOURCES}


GRAPH = {module: _imports(path) for module, path in SOURCES.items()}


def _room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "ingest" and len(parts) > 1:
        return f"ingest.{parts[1]}"
    if parts[0].startswith("lantian_"):
        return "dags"
    return parts[0]


# what each room may import besides itself
ALLOWED = {
    "ingest.core": set(),
    "ingest.station": {"ingest.core"},
    "ingest.hj212": {"ingest.core"},
    "ingest.forms": {"ingest.core"},
    "ingest.reference": {"ingest.core"},
    "ingest": set(),
    "expectations": set(),
    "pipelines": {"ingest", "expectations"},
    "dags": {"pipelines"},  # pipelines.dag_common: the Assets and schedules they share
    "samples": {"ingest"},
    "lantian": set(),
    "receiver": {"ingest"},  # the HJ 212 receiver service: the parser's framing, no SQL
    "bench": {"ingest", "pipelines", "samples", "receiver"},
    "tools": set(),
}


def _allowed(room: str, target: str) -> bool:
    target_room = _room(target)
    if target_room == room:
        return True
    return any(target_room == a or target_room.startswith(a + ".") for a in ALLOWED[room])


def test_every_room_imports_only_the_rooms_below_it() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if not _allowed(_room(module), target)
    )
    assert wrong == []


def test_the_import_graph_has_no_cycle() -> None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH.get(module, ())):
            # a package importing its own submodule (``from ingest.hj212 import parse``) is the
            # package's name, not an arrow back to it
            if module.startswith(target + ".") or target.startswith(module + "."):
                continue
            if state.get(target) == 1:  # on the current path: a cycle back to it
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize(
    "module", sorted(m for m in SOURCES if _room(m) not in ("samples",)), ids=str
)
def test_no_module_outside_tests_and_samples_is_over_500_lines(module: str) -> None:
    lines = SOURCES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{SOURCES[module].relative_to(REPO)}: {lines} lines"


def test_the_rules_cover_every_room() -> None:
    assert {_room(m) for m in SOURCES} <= set(ALLOWED)
