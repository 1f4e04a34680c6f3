"""Ours next to the dedup peers: documents per CPU-second, peak memory and pairwise P/R/F1.

The same generated corpus (`synthetic.corpus.generate(N, 7)`, the generator's noisy text) goes,
one tool at a time and every process pinned to the same single core, through:
  ours        `dedupcrawl import` of the corpus as JSON Lines into a fresh data directory with the
              embedded Redis (clusters, passage index, alignment and tracing inline); its CPU is
              the import process's plus redis-server's (`INFO cpu` used_cpu_sys + used_cpu_user,
              read before and after); clusters are read back with `dedupcrawl export`; also Redis's
              `used_memory` growth and the WARC archive's size, a document (`redis_bytes_per_doc`,
              `archive_bytes_per_doc`)
  ours_deferred  the same with `import --defer-trace` into another data directory: clustering
              only, the trace queue left undrained (its backlog is reported: `untraced` documents
              and trace jobs), so the figure is what a bulk import costs before workers trace
  datatrove   its MinHash pipeline (signatures, buckets, clusters) on character 5-grams (a word
              tokenizer that yields characters), 32 buckets x 4 hashes
  datasketch  MinHashLSH (128 permutations, threshold 0.5) on char 5-grams of the t2s text, no
              verification; a document joins every earlier one the index returns
A peer runs in a child process (`--peer NAME`); its CPU and peak RSS come from the child's rusage.
Pairwise precision/recall are `dedup.clusters.pairwise_scores` against the generator's families.

    pip install -c constraints.txt -e '.[bench]'     # the peers, pinned
    python bench/peers.py [--docs N | --quick] [--rounds R] [--json]

`--rounds R` runs every tool R times, the peers first in one round and ours first in the next, and
reports the medians of documents per CPU-second and of each round's ratio to datatrove (`rounds`:
each round's figures). One round is not enough on a busy machine: two 20k runs an hour apart (the
second with small normalize and winnowing changes) measured datatrove at 349.6 and 298.6 documents
per CPU-second (397-408 on a quiet machine) and ours deferred at 196.5 and 210.6, so the ratio
moved from 0.562 to 0.705.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from rq import Queue  # noqa: E402

from archive.keys import Keys  # noqa: E402
from bench.cli import parser, report  # noqa: E402
from crawler.queues import TRACE  # noqa: E402
from dedup.clusters import pairwise_scores  # noqa: E402
from dedup.union_find import UnionFind  # noqa: E402
from synthetic.corpus import generate  # noqa: E402
from workers.redis.embedded_redis import EmbeddedRedis  # noqa: E402
from workers.settings import load_settings  # noqa: E402

SEED = 7
DEFAULT_DOCS = 20_000
QUICK_DOCS = 3_000
SHINGLE = 5
BUCKETS, PER_BUCKET = 32, 4
LSH_PERM, LSH_THRESHOLD = 128, 0.5
PEERS = ("datatrove", "datasketch")


class Measured:
    """CPU seconds and peak RSS (MB) of one child process, from its rusage."""

    def __init__(self, usage: resource.struct_rusage) -> None:
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self.rss_mb = usage.ru_maxrss / 1024


def run_pinned(command: list[str], env: dict[str, str], core: int) -> Measured:
    """Run a child on one core; its rusage (the child alone, not its siblings)."""
    child = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.sched_setaffinity(0, {core}),
    )
    err = child.stderr.read() if child.stderr else b""
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:4]} failed: {err.decode(errors='replace')[-2000:]}")
    return Measured(usage)


def write_corpus(path: Path, count: int) -> dict[str, str | None]:
    """The corpus as import records; the generator's family per URL."""
    truth: dict[str, str | None] = {}
    with path.open("w", encoding="utf-8") as out:
        for doc in generate(count, SEED):
            record = {"url": doc.url, "text": doc.noisy, "title": doc.title, "published": str(doc.published)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            truth[doc.url] = doc.family
    return truth


def read_corpus(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield record["url"], record["text"]


# ---- ours ---------------------------------------------------------------------------------


def cli_env(home: Path) -> dict[str, str]:
    """This environment without our settings, the CLI's data in `home` (its embedded Redis)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEDUPCRAWL_") and k != "REDIS_URL"}
    return env | {"DEDUPCRAWL_HOME": str(home), "DEDUPCRAWL_LOG_LEVEL": "WARNING"}


def ours(corpus: Path, home: Path, core: int, *flags: str) -> tuple[dict[str, Any], dict[str, str]]:
    """`dedupcrawl import [flags]` with the embedded Redis, both on `core`; figures and cluster
    labels (and, with the trace deferred, the trace queue's backlog)."""
    env = cli_env(home)
    server = EmbeddedRedis(load_settings(env).redis_dir)
    os.sched_setaffinity(0, {core})  # the server started here inherits the core
    info = server.acquire()
    try:
        connection = redis.Redis.from_url(info.url)
        before, memory_before = redis_cpu_s(connection), int(connection.info("memory")["used_memory"])
        cli = [sys.executable, "-m", "workers"]
        measured = run_pinned([*cli, "import", str(corpus), "--json", *flags], env, core)
        redis_s = redis_cpu_s(connection) - before
        redis_rss = int(connection.info("memory")["used_memory_peak"]) / 2**20
        redis_bytes = int(connection.info("memory")["used_memory"]) - memory_before
        documents = max(int(connection.zcard(Keys(load_settings(env).key_prefix).docs)), 1)
        backlog = trace_backlog(connection, env)
        exported = home / "export.jsonl"
        run_pinned([*cli, "export", "--format", "jsonl", "--out", str(exported)], env, core)
    finally:
        server.release()
    figures = {
        "cpu_s": measured.cpu_s + redis_s,
        "redis_cpu_s": redis_s,
        "rss_mb": measured.rss_mb,
        "redis_peak_mb": redis_rss,
        # all state in Redis, and the WARC archive (captures, texts, alignments), a document
        "redis_bytes_per_doc": redis_bytes / documents,
        "archive_bytes_per_doc": archive_bytes(home / "warc") / documents,
        **backlog,
    }
    return figures, export_labels(exported)


def archive_bytes(warc_dir: Path) -> int:
    return sum(path.stat().st_size for path in warc_dir.rglob("*.warc.gz"))


def trace_backlog(connection: redis.Redis, env: dict[str, str]) -> dict[str, int]:
    """Documents waiting for their trace and trace jobs queued (none for an inline import)."""
    keys = Keys(load_settings(env).key_prefix)
    untraced = int(connection.scard(keys.untraced))
    return {"untraced": untraced, "trace_jobs": Queue(TRACE, connection=connection).count} if untraced else {}


def redis_cpu_s(connection: redis.Redis) -> float:
    cpu = connection.info("cpu")
    return float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"])


def export_labels(path: Path) -> dict[str, str]:
    """URL -> cluster label from an export: each record stands for its members."""
    labels: dict[str, str] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            for url in record.get("member_urls") or [record["url"]]:
                labels[url] = record["url"]
    return labels


# ---- peers (run in a child: `--peer NAME CORPUS LABELS`) -----------------------------------


def datatrove_labels(corpus: Path, work: Path) -> dict[str, str]:
    """datatrove's three MinHash steps, in process, on character 5-grams; URL -> cluster label."""
    from datatrove.data import Document
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )
    from datatrove.utils.word_tokenizers import WordTokenizer

    class Characters(WordTokenizer):
        """Every character a token, so datatrove's word n-grams are character n-grams."""

        def word_tokenize(self, text: str) -> list[str]:
            return [c for c in text if not c.isspace()]

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    config = MinhashConfig(n_grams=SHINGLE, num_buckets=BUCKETS, hashes_per_bucket=PER_BUCKET)
    urls = [url for url, _ in read_corpus(corpus)]
    docs = (Document(text=text, id=url) for url, text in read_corpus(corpus))
    MinhashDedupSignature(str(work / "sigs"), config, language=Characters()).run(docs)
    buckets = MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)
    for bucket in range(BUCKETS):  # one task per bucket, as datatrove's executors run them
        buckets.run(rank=bucket, world_size=BUCKETS)
    clusters = MinhashDedupCluster(
        str(work / "buckets"), str(work / "clusters"), config=config, save_cluster_id=True
    )
    clusters.run()
    return _datatrove_clusters(work / "clusters" / "000000.clusters", urls)


def _datatrove_clusters(path: Path, urls: list[str]) -> dict[str, str]:
    import struct

    labels = {url: url for url in urls}
    data = path.read_bytes() if path.exists() else b""
    for doc, cluster in struct.iter_unpack("<II", data):
        labels[urls[doc]] = f"c{cluster}"
    return labels


def datasketch_labels(corpus: Path, work: Path) -> dict[str, str]:
    """datasketch MinHashLSH on char 5-grams of the t2s text; a query's every hit is a pair."""
    import opencc
    from datasketch import MinHash, MinHashLSH

    t2s = opencc.OpenCC("t2s")
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=LSH_PERM)
    sets = UnionFind()
    for url, text in read_corpus(corpus):
        chars = "".join(t2s.convert(text).split())
        sketch = MinHash(num_perm=LSH_PERM)
        sketch.update_batch([chars[i : i + SHINGLE].encode("utf-8") for i in range(len(chars) - SHINGLE + 1)])
        sets.add(url)
        for other in lsh.query(sketch):
            sets.union(url, other)
        lsh.insert(url, sketch)
    return {url: sets.find(url) for url in sets.parent}


PEER_RUNS: dict[str, Callable[[Path, Path], dict[str, str]]] = {
    "datatrove": datatrove_labels,
    "datasketch": datasketch_labels,
}


def peer_child(name: str, corpus: Path, out: Path) -> None:
    labels = PEER_RUNS[name](corpus, out.parent / name)
    out.write_text(json.dumps(labels), encoding="utf-8")


def peer(name: str, corpus: Path, tmp: Path, core: int) -> tuple[dict[str, Any], dict[str, str]]:
    out = tmp / f"{name}.labels.json"
    env = dict(os.environ) | {"LOGURU_LEVEL": "ERROR"}
    measured = run_pinned([sys.executable, __file__, "--peer", name, str(corpus), str(out)], env, core)
    return {"cpu_s": measured.cpu_s, "rss_mb": measured.rss_mb}, json.loads(out.read_text(encoding="utf-8"))


# ---- the comparison -------------------------------------------------------------------------


def scores(labels: dict[str, str], truth: dict[str, str | None]) -> dict[str, float]:
    precision, recall = pairwise_scores(labels, truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


TOOLS = ("ours", "ours_deferred", *PEERS)


def run(count: int, rounds: int = 1) -> dict[str, Any]:
    """Every tool on the corpus `rounds` times, in alternating order; documents per CPU-second
    and the ratios to datatrove are the medians of the rounds (other figures: the last round's)."""
    core = max(os.sched_getaffinity(0))
    result: dict[str, Any] = {"documents": count, "core": core}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "corpus.jsonl"
        truth = write_corpus(corpus, count)
        measured = [one_round(corpus, tmp / f"round{r}", core, reverse=r % 2 == 1) for r in range(rounds)]
    speeds = [{name: count / m[name][0]["cpu_s"] for name in TOOLS} for m in measured]
    for name in TOOLS:
        figures, labels = measured[-1][name]
        result |= {f"{name}_{key}": round(value, 1) for key, value in figures.items()}
        result[f"{name}_docs_per_cpu_s"] = round(statistics.median(s[name] for s in speeds), 1)
        result[f"{name}_cpu_s"] = round(statistics.median(m[name][0]["cpu_s"] for m in measured), 1)
        result |= {f"{name}_{key}": value for key, value in scores(labels, truth).items()}
    for name in ("ours", "ours_deferred"):
        ratio = statistics.median(s[name] / s["datatrove"] for s in speeds)
        result[f"{name}_over_datatrove"] = round(ratio, 3)
    if rounds > 1:
        result["rounds"] = [{name: round(s[name], 1) for name in TOOLS} for s in speeds]
    return result


def one_round(corpus: Path, tmp: Path, core: int, reverse: bool) -> dict[str, tuple[dict[str, Any], Any]]:
    """Each tool's figures and labels; the peers first, or (`reverse`) ours first: a machine
    whose load drifts during a run weighs on both sides alike over the rounds."""
    tmp.mkdir()
    forward = [*PEERS, "ours", "ours_deferred"]
    order = forward[::-1] if reverse else forward
    runs = {}
    for name in order:
        if name in PEERS:
            runs[name] = peer(name, corpus, tmp, core)
            continue
        home = tmp / name
        home.mkdir()
        runs[name] = ours(corpus, home, core, *(("--defer-trace",) if name == "ours_deferred" else ()))
    return runs


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--peer":
        peer_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return
    missing = [name for name in PEERS if importlib.util.find_spec(name) is None]
    if missing:
        install = "pip install -c constraints.txt -e '.[bench]'"
        raise SystemExit(f"bench/peers.py needs {', '.join(missing)}: {install}")
    made = parser(__doc__, f"{QUICK_DOCS} documents")
    made.add_argument("--docs", type=int, default=None, help=f"documents (default {DEFAULT_DOCS})")
    made.add_argument("--rounds", type=int, default=1, help="run every tool this many times (medians)")
    args = made.parse_args()
    started = time.perf_counter()
    result = run(args.docs or (QUICK_DOCS if args.quick else DEFAULT_DOCS), max(args.rounds, 1))
    result["wall_s"] = round(time.perf_counter() - started, 1)
    report(result, args.json)


if __name__ == "__main__":
    main()
