"""The rooms of the code and which imports which, as a Mermaid diagram in docs/architecture.md.

    python bench/import_diagram.py          # rewrite the diagram between the markers
    python bench/import_diagram.py --check  # exit 1 when the committed diagram is not the code's

A room is a top-level package, or a sub-package of workers (its command line is one room, its
other root modules - settings, errors, exit codes - another, shown as `workers`);
an arrow A --> B says some module of A imports some module of B (at any depth in a function).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("archive", "crawler", "dedup", "synthetic", "workers")
SPLIT = "workers"  # the package whose sub-packages are rooms of their own
ENTRY = {"workers.cli": "workers.cli", "workers.__main__": "workers.cli"}  # the command line: on top
LABELS = {SPLIT: f"{SPLIT}: settings, errors, exit codes"}
START, END = "<!-- import-diagram:start -->", "<!-- import-diagram:end -->"


def room(module: str) -> str:
    """`workers.stores.store` -> `workers.stores`; `workers.settings` -> `workers`; `dedup.x` -> `dedup`."""
    if module in ENTRY:
        return ENTRY[module]
    parts = module.split(".")
    if parts[0] == SPLIT and len(parts) > 2:
        return ".".join(parts[:2])
    if parts[0] == SPLIT and len(parts) == 2 and (ROOT / SPLIT / parts[1] / "__init__.py").exists():
        return module
    return parts[0]


def room_edges() -> set[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if room(module) != room(imported):
                edges.add((room(module), room(imported)))
    return edges


def mermaid(edges: set[tuple[str, str]]) -> str:
    rooms = sorted({r for edge in edges for r in edge} | set(PACKAGES))
    node = {r: r.replace(".", "_") for r in rooms}
    lines = ["```mermaid", "flowchart TD"]
    inner = [r for r in rooms if r.startswith(SPLIT + ".") or r == SPLIT]
    lines.append(f"  subgraph {SPLIT}_floor[{SPLIT}]")
    lines += [f'    {node[r]}["{LABELS.get(r, r)}"]' for r in inner]
    lines.append("  end")
    lines += [f'  {node[r]}["{r}"]' for r in rooms if r not in inner]
    lines += [f"  {node[a]} --> {node[b]}" for a, b in sorted(edges)]
    lines.append("```")
    return "\n".join(lines)


def with_diagram(doc: str, diagram: str) -> str:
    """The document with the text between the markers replaced by the diagram."""
    head, start, rest = doc.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"error: the document has no {START} ... {END} markers")
    return f"{head}{START}\n{diagram}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the diagram differs from the code's")
    parser.add_argument("--doc", type=Path, default=DOC, help="the document with the markers")
    args = parser.parse_args(argv)
    doc = args.doc.read_text(encoding="utf-8")
    fresh = with_diagram(doc, mermaid(room_edges()))
    if args.check:
        if fresh != doc:
            print(f"{args.doc}: the diagram is stale: run python bench/import_diagram.py", file=sys.stderr)
            return 1
        return 0
    args.doc.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
