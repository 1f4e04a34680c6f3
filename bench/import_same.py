"""The inline import of this checkout against a git ref's: the same export, document by document.

The bench corpus (`bench/peers.py`'s: `synthetic.corpus.generate(N, 7)`, the generator's noisy
text) is imported with tracing inline by `dedupcrawl import` of each tree (the ref's from `git
archive`, run with its tree first on sys.path, this checkout's installed packages beside it), each
into a data directory of its own with its own embedded Redis, then exported as JSON Lines. Every
exported field is compared but `captures` (capture ids and archive offsets are new at every
import); any difference is printed and the exit status is 1. Also printed: each side's CPU
seconds (the import process and its redis-server, `INFO cpu`), for what they are worth on a busy
machine (`bench/peers.py` measures cost).

    python bench/import_same.py [--ref main] [--docs 3000] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.normalize_same import export_ref  # noqa: E402
from bench.peers import cli_env, redis_cpu_s, write_corpus  # noqa: E402
from workers.redis.embedded_redis import EmbeddedRedis  # noqa: E402
from workers.settings import load_settings  # noqa: E402

VOLATILE = ("captures",)  # new ids and offsets at every import


def import_and_export(tree: Path, corpus: Path, home: Path) -> dict[str, Any]:
    """`import` (inline trace) then `export` by the code of `tree`; the export and CPU seconds."""
    env = cli_env(home) | {"PYTHONPATH": str(tree)}
    server = EmbeddedRedis(load_settings(env).redis_dir)
    info = server.acquire()
    try:
        connection = redis.Redis.from_url(info.url)
        before, children = redis_cpu_s(connection), _children_cpu_s()
        _run(tree, env, "import", str(corpus), "--json")
        cpu_s = _children_cpu_s() - children + redis_cpu_s(connection) - before
        exported = home / "export.jsonl"
        _run(tree, env, "export", "--format", "jsonl", "--out", str(exported))
    finally:
        server.release()
    return {"cpu_s": round(cpu_s, 1), "rows": _rows(exported)}


def _run(tree: Path, env: dict[str, str], *command: str) -> None:
    done = subprocess.run([sys.executable, "-m", "workers", *command], cwd=tree, env=env, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"{tree.name}: {command[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rows(exported: Path) -> dict[str, dict[str, Any]]:
    """Each exported document without its volatile fields, by URL."""
    rows = {}
    for line in exported.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows[row["url"]] = {k: v for k, v in row.items() if k not in VOLATILE}
    return rows


def differences(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[str]:
    """One line per URL exported by one side only and per field that differs."""
    found = [f"{url}: only {side}" for side, a, b in (("before", before, after), ("after", after, before))
             for url in sorted(a.keys() - b.keys())]  # fmt: skip
    for url in sorted(before.keys() & after.keys()):
        old, new = before[url], after[url]
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        found += [f"{url}: {k}: {old.get(k)!r:.80} -> {new.get(k)!r:.80}" for k in changed]
    return found


def digest(rows: dict[str, dict[str, Any]]) -> str:
    text = json.dumps(rows, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ref", default="main", help="the git ref to compare against (default main)")
    parser.add_argument("--docs", type=int, default=3000, help="documents (default 3000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import_same-") as temp:
        work = Path(temp)
        write_corpus(work / "corpus.jsonl", args.docs)
        ref_tree = export_ref(args.ref, work / "ref")
        before = import_and_export(ref_tree, work / "corpus.jsonl", work / "home-ref")
        after = import_and_export(ROOT, work / "corpus.jsonl", work / "home-here")
    found = differences(before["rows"], after["rows"])
    figures = {
        "documents": args.docs,
        "exported": len(after["rows"]),
        "ref_cpu_s": before["cpu_s"],
        "here_cpu_s": after["cpu_s"],
        "ref_digest": digest(before["rows"]),
        "here_digest": digest(after["rows"]),
        "differences": len(found),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print("\n".join(found[:50]))
        print("\n".join(f"{k:>12}: {v}" for k, v in figures.items()))
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
