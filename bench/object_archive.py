"""What the object-store archive costs an import: `dedupcrawl import` of one generated corpus
(`synthetic.corpus.generate(N, 7)` as JSON Lines) into a directory archive, then into a bucket of a
real S3 server on loopback (SeaweedFS `weed mini`, as the tests start it), each into a fresh key
prefix of one redis-server, `--rounds` times in alternating order (the first import of a machine
also warms its caches: jieba's dictionary, the page cache). Prints each mode's best documents per
wall-second, their ratio, and the objects one import left in the bucket (its capture file once, and
each text and alignment record as an object of its own, uploaded before its pointer is saved).

    python bench/object_archive.py [--docs N | --quick] [--rounds R] [--json]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.cli import parser, report  # noqa: E402
from synthetic.corpus import generate  # noqa: E402
from tests.object_store import BUCKET, start_object_server, stop_object_server  # noqa: E402
from workers.redis.redis_server import RedisServer, stop_process  # noqa: E402

DEFAULT_DOCS, QUICK_DOCS, SEED = 1000, 300, 7


def write_corpus(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for doc in generate(count, SEED):
            record = {"url": doc.url, "text": doc.noisy, "title": doc.title, "published": str(doc.published)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def timed_import(corpus: Path, env: dict[str, str]) -> tuple[int, float]:
    """Documents indexed and wall seconds of one `dedupcrawl import`."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "workers", "import", str(corpus), "--json"],
        env=env, capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr[-1000:]}")
    return int(json.loads(done.stdout)["indexed"]), elapsed


def run(count: int, rounds: int) -> dict[str, Any]:
    result: dict[str, Any] = {"documents": count, "rounds": rounds}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "corpus.jsonl"
        write_corpus(corpus, count)
        (tmp / "redis").mkdir()
        (tmp / "s3").mkdir()
        redis_info = RedisServer(tmp / "redis").start()
        server = start_object_server(tmp / "s3")
        try:
            base = {k: v for k, v in os.environ.items() if not k.startswith(("DEDUPCRAWL_", "AWS_"))}
            base |= {
                "REDIS_URL": redis_info.tcp_url,
                "PYTHONPATH": str(ROOT),
                "DEDUPCRAWL_LOG_LEVEL": "WARNING",
            }
            modes = [("directory", {}), ("object_store", server.env("bench"))]
            for round_ in range(rounds):
                for mode, extra in modes if round_ % 2 == 0 else modes[::-1]:
                    name = f"{mode}-{round_}"
                    env = {**base, **extra, "DEDUPCRAWL_HOME": str(tmp / name), "DEDUPCRAWL_KEY_PREFIX": name}
                    indexed, seconds = timed_import(corpus, {**env, **_bucket_prefix(extra, round_)})
                    result[f"{mode}_seconds_{round_}"] = round(seconds, 2)
                    best = max(result.get(f"{mode}_docs_per_s", 0.0), round(indexed / seconds, 1))
                    result[f"{mode}_docs_per_s"] = best
            objects = list(server.client().list_objects(BUCKET, prefix="bench0/", recursive=True))
            result["objects"] = len(objects)  # of one import
            result["object_bytes"] = sum(int(item.size or 0) for item in objects)
        finally:
            stop_object_server(server)
            stop_process(redis_info.pid)
    result["object_store_over_directory"] = round(
        result["object_store_docs_per_s"] / result["directory_docs_per_s"], 3
    )
    return result


def _bucket_prefix(extra: dict[str, str], round_: int) -> dict[str, str]:
    return {"DEDUPCRAWL_ARCHIVE_URL": f"s3://{BUCKET}/bench{round_}"} if extra else {}


def main() -> None:
    made = parser(__doc__, f"{QUICK_DOCS} documents")
    made.add_argument("--docs", type=int, default=None, help=f"documents (default {DEFAULT_DOCS})")
    made.add_argument("--rounds", type=int, default=2, help="imports of each mode (default 2)")
    args = made.parse_args()
    count = args.docs or (QUICK_DOCS if args.quick else DEFAULT_DOCS)
    report(run(count, args.rounds), args.json)


if __name__ == "__main__":
    main()
