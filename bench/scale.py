"""Scale: Redis bytes and add cost per document at 10k, 100k and 1M documents, and workers' throughput.

The fill puts each document's state into one Redis through the ingest's own store calls, in the
ingest's round trips (workers.flow.ingest, inline trace): the record saved and its match key
claimed; the passage index and LSH adds; the cluster merge with the pair links and the witnesses'
read; the alignments saved; the document marked indexed. Extraction, normalisation, MinHash,
winnowing and alignment are not run: their outputs are synthesized, so only the stores' cost is
timed. The synthetic documents come in blocks of 5,000, shuffled:
  texts        the normalized texts (display, original, removed lines) of `synthetic.corpus`
               documents (a pool of 1,000, reused round robin): real sizes, real compression
  families     60% of documents: a template and 1-11 variants; a variant's MinHash signature
               is the template's with a share p (0.05-0.5) of its 128 values redrawn, and its
               passage fingerprints keep each of the template's with probability 1 - 0.8p, plus
               new ones for those dropped; 10% of variants are verbatim reposts (same match key)
  mixed        10%: ~20% of the fingerprints of each of 2-3 recent templates, plus their own
  unrelated    the rest: their own signature and fingerprints
  fingerprints ~116 a document (normal, sd 35, as winnowing gives the generator's speeches),
               each distributed as the least of 16 hashes (winnowing's window), as real ones are,
               plus Poisson(12) stock phrases drawn from a pool of 1M whose r-th is drawn with
               weight r**-0.9 (at 5k documents ~200 of them are held by more than 16 documents,
               ~60 by more than 50, 25% of the draws hit those; the generator's 5k speeches have
               ~10% of fingerprints in phrases shared across families, ~770 held by more than 16)
  alignments   1-6 synthetic spans with every linked or passage-sharing document sharing 4+
               fingerprints (saved as the ingest saves what the aligner found)
Figures, by size (the fill goes on from one size to the next):
  add_us_per_doc      wall time of the per-document calls, mean over the last slice before the
                      size (2,000 documents, 10% of a smaller size): marginal cost at that size
  add_cpu_us_per_doc  the same in CPU (this process + redis-server's INFO cpu): other processes'
                      load on the shared machine does not count in it, but it slows this CPU time
                      down: in one A/B at 100k every function of this process ran 12-25% slower in
                      one fill than in the other, with the same calls; 1,000-document slices of one
                      fill moved from 2.4 to 4.4 ms. Compare fills' CPU by a few runs, or on slices
                      of two fills taken in turns, not by one pair
  add_client_cpu_us_per_doc, add_server_cpu_us_per_doc  its two parts (this process's, the server's)
  redis_bytes_per_doc INFO used_memory minus the empty server's, over the documents: all state
  archive_text_bytes_per_doc  the archive's bytes a document for what Redis no longer holds:
                      texts (display/original/removed lines) and alignments, WARC records on disk
  passage_bytes_per_doc  the passage index's shards alone (MEMORY USAGE), and
  passage_hashtable_share  the share of their fields in shards that left the compact encoding
  families_at         bytes per document by key family (MEMORY USAGE of every key) at the
                      largest size up to 100k: where the bytes go
Then the workers: a generated corpus (bench/load.py's) imported once into an archive, handed
off as RQ jobs and drained by 1, 2 and 4 `dedupcrawl worker --burst` processes in turn
(workers_docs_per_s), on a fresh database each time; archive_bytes_per_doc is the archive's size
on disk over the documents stored after the first drain. The server is started here (our
redis.conf), with the AOF off: a rewrite's fork would double a large index's memory and its
copy-on-write faults would time the adds of a large index worse.
--passages-only: the fill adds each document to the passage index alone (~1 ms of CPU a document
against ~3-4 for the whole fill: larger sizes within reach).
--by-script (one Redis): after each size a slice more with the server's slow log at 0 µs, by_script
by size: server µs a document by script and this process's CPU µs a document by round trip (the
log's own cost inflates both: compare shares and growth, not times).
cluster: the same fill and figures (`--cluster-sizes`, default the same sizes) on a local
3-master Redis Cluster (workers.redis.local_cluster, no replicas), the index in the cluster key
layout (archive.keys) with the LSH and passage indexes in tag groups, the queues on the single Redis;
bytes_by_master: MB used on each master (the layout decides how evenly the index spreads).

    python bench/scale.py [--quick] [--json] [--sizes 10000,100000] [--workers 1,2,4]
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
import redis  # noqa: E402

from archive.keys import Keys  # noqa: E402
from bench.cli import parser, report  # noqa: E402
from bench.load import PREFIX as LOAD_PREFIX  # noqa: E402
from bench.load import drain, hand_off, start_workers, write_imports  # noqa: E402
from dedup.align import Alignment  # noqa: E402
from dedup.fingerprint import Fingerprint  # noqa: E402
from dedup.lsh import Candidate  # noqa: E402
from dedup.normalize import normalize_text  # noqa: E402
from dedup.records import NormalizedText  # noqa: E402
from synthetic.corpus import generate  # noqa: E402
from workers.engine import EngineConfig  # noqa: E402
from workers.flow.ingest import document_id  # noqa: E402
from workers.redis.direct_connection import SCRIPT_NAMES, Call, round_trip, run_call  # noqa: E402
from workers.redis.local_cluster import LocalCluster  # noqa: E402
from workers.redis.redis_server import RedisServer, stop_process  # noqa: E402
from workers.stores.cluster_store import Verified  # noqa: E402
from workers.stores.store import StoredDocument  # noqa: E402
from workers.stores.store_set import Stores, open_stores  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
WORKERS = (1, 2, 4)
WORKER_DOCS, QUICK_WORKER_DOCS = 3_000, 800
PREFIX = "scale"
SEED = 41
WINDOW = EngineConfig().winnow.window
BLOCK = 5_000
SLICE = 2_000
TEXT_POOL = 1_000
STOCK_POOL, STOCK_ZIPF, STOCK_PER_DOC = 1_000_000, 0.9, 12
FAMILY_SHARE, MIXED_SHARE = 0.6, 0.1
BREAKDOWN_MAX = 100_000
LOG_ENTRIES = 20_000  # slow log entries one document's adds make, at most (--by-script)
FIGURES = (
    "add_us_per_doc",
    "add_cpu_us_per_doc",
    "add_client_cpu_us_per_doc",
    "add_server_cpu_us_per_doc",
    "redis_bytes_per_doc",
    "archive_text_bytes_per_doc",
    "passage_bytes_per_doc",
    "passage_hashtable_share",
)
SITES = ("wenku.example.cn", "news.example.cn", "jyj.example.gov.cn")


@dataclass(frozen=True, slots=True)
class SynthDoc:
    """One document's precomputed state: what the ingest would have computed from its page."""

    number: int
    family: int | None
    fingerprint: Fingerprint
    passages: npt.NDArray[np.uint64]
    published: date


@dataclass(frozen=True, slots=True)
class _Template:
    family: int
    signature: npt.NDArray[np.uint32]
    passages: npt.NDArray[np.uint64]
    key_hash: str
    published: date


class Synthesizer:
    """Documents in blocks of families, mixed and unrelated ones (see the module's docstring)."""

    def __init__(self, engine: EngineConfig, seed: int = SEED) -> None:
        self.rng = np.random.default_rng(seed)
        self.fingerprint_id = engine.fingerprint_id
        self.num_perm = engine.fingerprint.num_perm
        self.stock = self._own(STOCK_POOL)
        weights = np.arange(1, STOCK_POOL + 1, dtype=float) ** -STOCK_ZIPF
        self.stock_cdf = np.minimum(np.cumsum(weights) / weights.sum(), 1.0)
        self.recent: list[_Template] = []
        self.families = 0

    def documents(self, count: int) -> Iterator[SynthDoc]:
        made = 0
        while made < count:
            block = self._block(min(BLOCK, count - made), made)
            yield from block
            made += len(block)

    def _block(self, size: int, start: int) -> list[SynthDoc]:
        parts: list[tuple[_Template | None, float, str]] = []  # (template, churn, role)
        while len(parts) < size * FAMILY_SHARE:
            template = self._template()
            parts.append((template, 0.0, "template"))
            parts += [(template, float(self.rng.uniform(0.05, 0.5)), "variant")] * int(
                self.rng.integers(1, 12)
            )
        parts += [(None, 0.0, "mixed")] * int(size * MIXED_SHARE)
        parts += [(None, 0.0, "unrelated")] * max(0, size - len(parts))
        parts = parts[:size]
        order = self.rng.permutation(len(parts))
        return [self._document(start + i, *parts[at]) for i, at in enumerate(order)]

    def _template(self) -> _Template:
        self.families += 1
        day = date(2012, 1, 1) + timedelta(days=int(self.rng.integers(0, 4000)))
        sig = self.rng.integers(0, 1 << 32, self.num_perm, dtype=np.uint32)
        made = _Template(
            self.families, sig, self._own(self._passage_count()), _digest(f"t{self.families}"), day
        )
        self.recent = [*self.recent[-199:], made]
        return made

    def _document(self, number: int, template: _Template | None, churn: float, role: str) -> SynthDoc:
        day = date(2012, 1, 1) + timedelta(days=int(self.rng.integers(0, 4400)))
        if template is None:
            sig = self.rng.integers(0, 1 << 32, self.num_perm, dtype=np.uint32)
            passages = self._mixed() if role == "mixed" and self.recent else self._own(self._passage_count())
            return self._made(number, None, sig, passages, _digest(f"d{number}"), day)
        if role == "template" or self.rng.random() < 0.1:  # the template, or a verbatim repost
            return self._made(
                number, template.family, template.signature, template.passages, template.key_hash, day
            )
        sig = template.signature.copy()
        redrawn = self.rng.random(self.num_perm) < churn
        sig[redrawn] = self.rng.integers(0, 1 << 32, int(redrawn.sum()), dtype=np.uint32)
        kept = template.passages[self.rng.random(template.passages.size) >= 0.8 * churn]
        passages = np.concatenate([kept, self._own(template.passages.size - kept.size)])
        return self._made(number, template.family, sig, passages, _digest(f"d{number}"), day)

    def _mixed(self) -> npt.NDArray[np.uint64]:
        sources = self.rng.choice(len(self.recent), size=min(len(self.recent), int(self.rng.integers(2, 4))))
        taken = []
        for at in sources:
            fps = self.recent[at].passages
            width = max(1, fps.size // 5)
            begin = int(self.rng.integers(0, max(1, fps.size - width)))
            taken.append(fps[begin : begin + width])
        return np.concatenate([*taken, self._own(self._passage_count() // 2)])

    def _made(
        self,
        number: int,
        family: int | None,
        sig: npt.NDArray[np.uint32],
        passages: npt.NDArray[np.uint64],
        key_hash: str,
        day: date,
    ) -> SynthDoc:
        doc_id = document_id(_url(number))
        stock = self.stock[np.searchsorted(self.stock_cdf, self.rng.random(self.rng.poisson(STOCK_PER_DOC)))]
        fp = Fingerprint(doc_id, self.fingerprint_id, sig.astype("<u4").tobytes(), 1200, key_hash)
        return SynthDoc(number, family, fp, np.unique(np.concatenate([passages, stock])), day)

    def _passage_count(self) -> int:
        return int(np.clip(self.rng.normal(116, 35), 20, 300))

    def _own(self, count: int) -> npt.NDArray[np.uint64]:
        """Fresh fingerprints distributed as winnowed ones: the least of a window of 60-bit hashes."""
        least = 1.0 - (1.0 - self.rng.random(max(0, count))) ** (1.0 / WINDOW)
        low = self.rng.integers(0, 1 << 30, max(0, count), dtype=np.uint64)  # float keeps 53 bits
        return ((least * 2.0**30).astype(np.uint64) << np.uint64(30)) | low


def text_pool(count: int) -> list[NormalizedText]:
    """Normalized texts of generated documents (their noisy pages' text): realistic sizes."""
    return [normalize_text(d.noisy, d.doc_id, title=d.title) for d in generate(count, SEED)]


def _url(number: int) -> str:
    return f"https://{SITES[number % len(SITES)]}/doc/{number}.html"


def _digest(material: str) -> str:
    return hashlib.sha1(material.encode()).hexdigest()  # noqa: S324 - an id


def _content_hash(doc_id: str) -> str:
    return _digest(f"content:{doc_id}")


def record(doc: SynthDoc, norm: NormalizedText) -> StoredDocument:
    """The record the ingest would save for the document (`Ingestor._record`)."""
    url, fetched = _url(doc.number), datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=doc.number)
    capture = {
        "capture_id": f"urn:uuid:{doc.fingerprint.doc_id}",
        "url": url,
        "warc_file": "scale-00001.warc.gz",
        "offset": doc.number * 4096,
        "length": 4096,
        "payload_digest": f"sha1:{doc.fingerprint.key_hash}",
        "fetched_at": fetched.isoformat(),
        "status": 200,
        "site": SITES[doc.number % len(SITES)],
        "encoding_override": None,
    }
    return StoredDocument(
        doc_id=doc.fingerprint.doc_id,
        url=url,
        final_url=url,
        site=str(capture["site"]),
        site_kind="docshare",
        source="crawl",
        title=norm.title,
        published=doc.published,
        published_from="byline",
        fetched_at=fetched,
        captures=(capture,),
        display=norm.display,
        original=norm.original,
        removed=norm.removed,
        truncated=False,
        extractor="trafilatura",
        norm_version=norm.norm_version,
        fingerprint_id=doc.fingerprint.fingerprint_id,
        key_hash=doc.fingerprint.key_hash,
        content_hash=_content_hash(doc.fingerprint.doc_id),
    )


class Filler:
    """Adds documents to one Redis as the ingest does (one document's round trips at a time)."""

    def __init__(self, stores: Stores, texts: Sequence[NormalizedText], seed: int = SEED) -> None:
        self.stores = stores
        self.texts = texts
        self.rng = np.random.default_rng(seed + 1)

    def add(self, doc: SynthDoc) -> None:
        """The ingest's round trips for one document (Ingestor._ingest, trace inline)."""
        rec = record(doc, self.texts[doc.number % len(self.texts)])
        first = self._save(rec, doc.fingerprint)
        sharing, found = self._index(doc)
        verified = self.stores.clusters.verify(doc.fingerprint, first, found)
        cluster_id, linked = self._cluster(rec, verified, found, sharing)
        self._align(rec, [*(linked or []), *(o for o, shared in sharing if shared >= 4)])
        mark = self.stores.documents.mark_indexed_call(
            rec.doc_id, f"job-{rec.doc_id}", cluster_id, 0.3, 1, self.stores.clusters.base
        )
        run_call(self.stores.connection, mark)

    def _save(self, rec: StoredDocument, fp: Fingerprint) -> str:
        """Save the record and claim its match key; the first document holding that key."""
        record_key = self.stores.keys.doc(rec.doc_id)
        calls = [self.stores.documents.save_new_call(rec), self.stores.clusters.claim_call(fp, record_key)]
        _, first = round_trip(self.stores.connection, calls)
        return self.stores.clusters.first_claimed(fp, first, record_key)

    def _index(self, doc: SynthDoc) -> tuple[list[tuple[str, int]], list[Candidate]]:
        calls: list[Call[Any]] = [
            self.stores.passages.add_fingerprints_call(doc.fingerprint.doc_id, doc.passages),
            self.stores.clusters.index.add_call(doc.fingerprint),
        ]
        sharing, found = round_trip(self.stores.connection, calls)
        return sharing, found

    def _cluster(
        self, rec: StoredDocument, verified: Verified, found: list[Candidate], sharing: list[tuple[str, int]]
    ) -> tuple[str, list[str] | None]:
        """The merge, the witnesses' read and the pair links in one round trip: (cluster, linked)."""
        clusters, documents = self.stores.clusters, self.stores.documents
        near = clusters.neighbours(verified, found)
        known = list(dict.fromkeys([o for o, _ in near] + [o for o, _ in sharing]))
        merge = clusters.merge_call(verified, rec.published, len(rec.display))
        links = documents.links.add_call(clusters.signatures, rec.doc_id, verified.digest, near)
        calls = [merge, documents.witnesses_and_hashes_call(known), links]
        assignment, _, linked = round_trip(self.stores.connection, calls)
        settled = clusters.settle(assignment, verified, rec.published, len(rec.display))
        return settled.cluster_id, linked

    def _align(self, rec: StoredDocument, others: Sequence[str]) -> None:
        found = {
            other: self._spans(len(rec.display)) for other in dict.fromkeys(others) if other != rec.doc_id
        }
        if found:
            against = {other: _content_hash(other) for other in found}
            self.stores.documents.save_alignments(rec.doc_id, found, against)

    def _spans(self, length: int) -> tuple[Alignment, ...]:
        spans = []
        for _ in range(int(self.rng.integers(1, 7))):
            a = int(self.rng.integers(0, max(1, length - 60)))
            b = int(self.rng.integers(0, max(1, length - 60)))
            size = int(self.rng.integers(20, 200))
            spans.append(Alignment(a, a + size, b, b + size, round(float(self.rng.uniform(0.85, 1.0)), 4)))
        return tuple(spans)


class PassageFiller(Filler):
    """The passage index's add alone (`--passages-only`): its bytes and cost at sizes the whole
    fill would take hours to reach on a shared machine."""

    def add(self, doc: SynthDoc) -> None:
        run_call(
            self.stores.connection,
            self.stores.passages.add_fingerprints_call(doc.fingerprint.doc_id, doc.passages),
        )


class ClockedFiller(Filler):
    """The whole fill, adding up this process's CPU by round trip (`--by-script`)."""

    def __init__(self, stores: Stores, texts: Sequence[NormalizedText]) -> None:
        super().__init__(stores, texts)
        self.cpu: Counter[str] = Counter()

    def _save(self, *args: Any) -> Any:
        return self._clocked("save", super()._save, *args)

    def _index(self, *args: Any) -> Any:
        return self._clocked("index", super()._index, *args)

    def _cluster(self, *args: Any) -> Any:
        return self._clocked("cluster", super()._cluster, *args)

    def _align(self, *args: Any) -> Any:
        return self._clocked("align", super()._align, *args)

    def _clocked(self, trip: str, step: Callable[..., Any], *args: Any) -> Any:
        started = time.process_time()
        try:
            return step(*args)
        finally:
            self.cpu[trip] += time.process_time() - started


def by_script(node: redis.Redis, filler: ClockedFiller, docs: Iterator[SynthDoc]) -> dict[str, Any]:
    """A slice more with the server's slow log at 0 µs: server µs a document by script (a script's
    own commands included) and this process's CPU µs a document by round trip. The log costs
    time too: read the shares and their growth by size, not the times."""
    batch, before, server = list(docs), dict(filler.cpu), Counter[str]()
    node.config_set("slowlog-max-len", LOG_ENTRIES)
    node.config_set("slowlog-log-slower-than", 0)
    for doc in batch:  # read a document at a time: a script's own commands are logged too
        node.slowlog_reset()
        filler.add(doc)
        for entry in node.slowlog_get(LOG_ENTRIES):
            command = entry["command"].split(b" ")
            if command[0].upper() == b"EVALSHA":
                server[SCRIPT_NAMES.get(command[1].decode(), "?")] += entry["duration"]
    node.config_set("slowlog-log-slower-than", 10_000)
    client = {trip: (cpu - before.get(trip, 0.0)) * 1e6 / len(batch) for trip, cpu in filler.cpu.items()}
    return {
        "server_us": {name: round(us / len(batch)) for name, us in server.most_common()},
        "client_cpu_us": {trip: round(us) for trip, us in client.items()},
    }


def used_memory(nodes: Sequence[redis.Redis]) -> int:
    """Bytes in use on every server holding the index (a cluster's masters; or the one Redis)."""
    return sum(int(node.info("memory")["used_memory"]) for node in nodes)


def server_cpu(nodes: Sequence[redis.Redis]) -> float:
    cpus = [node.info("cpu") for node in nodes]
    return sum(float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]) for cpu in cpus)


def fill(
    stores: Stores,
    nodes: Sequence[redis.Redis],
    archive: Path,
    sizes: Sequence[int],
    passages_only: bool = False,
    scripts: bool = False,
) -> dict[str, Any]:
    """Documents up to each size in turn through `stores` (on one Redis or a cluster, whose
    servers are `nodes`; texts archived in `archive`); the figures at each size (see the
    module's docstring). `scripts`: after each size, `by_script` on one more slice."""
    empty = used_memory(nodes)
    kind = PassageFiller if passages_only else ClockedFiller if scripts else Filler
    filler = kind(stores, text_pool(min(TEXT_POOL, max(sizes))))
    docs = Synthesizer(stores.engine).documents(max(sizes) + (SLICE * len(sizes) if scripts else 0))
    out: dict[str, dict[str, Any]] = {k: {} for k in FIGURES}
    done, families, profiles = 0, None, {}
    for size in sorted(sizes):
        timed = min(SLICE, max(1, size // 10))
        for doc in _take(docs, size - done - timed):
            filler.add(doc)
        wall, client, server = _timed(nodes, filler, _take(docs, timed))
        done = size
        used = (used_memory(nodes) - empty) / size
        texts = _disk_bytes(archive) / size
        passage_bytes, hashtables = passage_shards(nodes, stores.passages.shard_bases, size)
        figures = (wall, client + server, client, server, used, texts, passage_bytes, hashtables)
        for name, value in zip(FIGURES, figures, strict=True):
            out[name][str(size)] = round(value, 3 if name == "passage_hashtable_share" else 1)
        if size <= BREAKDOWN_MAX:
            families = {"documents": size, "bytes_per_doc": key_families(nodes, size)}
        if isinstance(filler, ClockedFiller):
            profiles[str(size)] = by_script(nodes[0], filler, _take(docs, timed))
            done += timed
        print(
            json.dumps({"size": size, **{k: v[str(size)] for k, v in out.items()}}),
            file=sys.stderr,
            flush=True,
        )
    extra = {"by_script": profiles} if scripts else {}
    return {"sizes": sorted(sizes), **out, "families_at": families, **extra}


def _take(docs: Iterator[SynthDoc], count: int) -> Iterator[SynthDoc]:
    for _ in range(count):
        yield next(docs)


def _timed(
    nodes: Sequence[redis.Redis], filler: Filler, docs: Iterator[SynthDoc]
) -> tuple[float, float, float]:
    """Mean µs a document: wall, this process's CPU and the servers' (INFO cpu)."""
    batch = list(docs)
    cpu0, server0, wall0 = time.process_time(), server_cpu(nodes), time.perf_counter()
    for doc in batch:
        filler.add(doc)
    wall = time.perf_counter() - wall0
    client, server = time.process_time() - cpu0, server_cpu(nodes) - server0
    return wall / len(batch) * 1e6, client / len(batch) * 1e6, server / len(batch) * 1e6


def passage_shards(nodes: Sequence[redis.Redis], bases: Sequence[str], documents: int) -> tuple[float, float]:
    """The passage index's shards: bytes a document (MEMORY USAGE), and the share of the shards'
    fields that sit in hash-table shards (not the compact encoding)."""
    total, fields, in_tables = 0, 0, 0
    for node, base in itertools.product(nodes, bases):
        keys = list(node.scan_iter(match=f"{base}:s:*", count=5000))
        for lo in range(0, len(keys), 5000):
            pipe = node.pipeline(transaction=False)
            for key in keys[lo : lo + 5000]:
                pipe.memory_usage(key, samples=0)
                pipe.object("encoding", key)
                pipe.hlen(key)
            replies = pipe.execute()
            for at in range(0, len(replies), 3):
                used, encoding, length = replies[at : at + 3]
                total, fields = total + int(used or 0), fields + int(length)
                in_tables += int(length) if encoding == b"hashtable" else 0
    return total / documents, in_tables / max(1, fields)


def key_families(nodes: Sequence[redis.Redis], documents: int) -> dict[str, float]:
    """Bytes a document (MEMORY USAGE) by key family: `family` or `family:part` for the indexes
    whose keys have parts (pass:s = passage shards, pass:num, lsh:..., links:w, ...)."""
    sizes: Counter[str] = Counter()
    for node in nodes:
        keys = list(node.scan_iter(count=5000))
        for lo in range(0, len(keys), 5000):
            pipe = node.pipeline(transaction=False)
            for key in keys[lo : lo + 5000]:
                pipe.memory_usage(key, samples=0)
            for key, used in zip(keys[lo : lo + 5000], pipe.execute(), strict=True):
                sizes[_family(key)] += int(used or 0)
    return {name: round(size / documents, 1) for name, size in sorted(sizes.items())}


def _family(key: bytes) -> str:
    parts = key.split(b":")
    if len(parts) > 3 and parts[1] in (b"pass", b"lsh", b"uf", b"links"):
        return f"{parts[1].decode()}:{parts[3].decode('utf-8', 'replace')[:8]}"
    return parts[1].decode("utf-8", "replace") if len(parts) > 1 else parts[0].decode("utf-8", "replace")


def workers_throughput(
    home: Path, url: str, connection: redis.Redis, counts: Sequence[int], docs: int
) -> dict[str, Any]:
    """Documents a second draining the same handed-off corpus with each number of workers."""
    if not counts:
        return {"workers_docs_per_s": {}, "archive_bytes_per_doc": None, "workers_docs": 0}
    captures, _ = write_imports(docs, home)
    per_s: dict[str, float] = {}
    archive_per_doc = None
    for count in counts:
        connection.flushdb()
        enqueued = hand_off(connection, captures)
        elapsed, _ = drain(connection, start_workers(home, url, count), enqueued)
        per_s[str(count)] = round(enqueued / elapsed, 1)
        if archive_per_doc is None:
            stored = int(connection.zcard(Keys(LOAD_PREFIX).docs))
            archive_per_doc = round(_disk_bytes(home / "warc") / max(1, stored))
    return {"workers_docs_per_s": per_s, "archive_bytes_per_doc": archive_per_doc, "workers_docs": docs}


def freed(connection: redis.Redis, wait_s: float = 600.0) -> None:
    """The database flushed in the background, waited for: freeing a million documents' state
    took minutes of a core, which the workers' first drain measured as its own (28.8 docs/s with
    one worker against 195.7 with two)."""
    connection.flushdb(asynchronous=True)
    deadline = time.monotonic() + wait_s
    while int(connection.info("memory").get("lazyfree_pending_objects", 0)) and time.monotonic() < deadline:
        time.sleep(0.5)


def _disk_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def cluster_figures(sizes: Sequence[int], queues: redis.Redis, passages_only: bool) -> dict[str, Any]:
    """The fill on a local 3-master Redis Cluster (no replicas: they would only copy the bytes),
    the index's keys in the cluster layout (archive.keys), the LSH and passage indexes in tag groups
    as workers.settings sets them for a cluster index; the queues on the single Redis."""
    with tempfile.TemporaryDirectory() as tmp, LocalCluster(Path(tmp), masters=3, replicas=0) as cluster:
        engine = EngineConfig().on_cluster()
        archive = Path(tmp) / "archive"
        stores = open_stores(cluster.client(), Keys(PREFIX), engine, archive_dir=archive, queues=queues)
        nodes = [redis.Redis(port=node.port) for node in cluster.masters()]
        figures = fill(stores, nodes, archive, sizes, passages_only)
        figures["bytes_by_master"] = [round(used_memory([node]) / 2**20, 1) for node in nodes]
        return figures


def run(
    sizes: Sequence[int],
    worker_counts: Sequence[int],
    worker_docs: int,
    cluster_sizes: Sequence[int] = (),
    passages_only: bool = False,
    scripts: bool = False,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis").start()
        try:
            connection = redis.Redis.from_url(server.url)
            connection.config_set("appendonly", "no")
            archive = Path(tmp) / "archive"
            stores = open_stores(connection, Keys(PREFIX), EngineConfig(), archive_dir=archive)
            figures = fill(stores, [connection], archive, sizes, passages_only, scripts)
            print(json.dumps(figures), file=sys.stderr, flush=True)  # kept if the workers' part fails
            freed(connection)
            home = Path(tmp) / "home"
            home.mkdir()
            figures |= workers_throughput(home, server.url, connection, worker_counts, worker_docs)
            freed(connection)
            figures["cluster"] = (
                cluster_figures(cluster_sizes, connection, passages_only) if cluster_sizes else None
            )
        finally:
            stop_process(server.pid)
    return figures


def main() -> None:
    made = parser(__doc__, "stop at 100k documents, 800 documents for the workers")
    made.add_argument("--sizes", help="comma-separated document counts (default 10000,100000,1000000)")
    made.add_argument("--workers", default="1,2,4", help="comma-separated worker counts")
    made.add_argument("--worker-docs", type=int, help="documents the workers drain")
    made.add_argument("--cluster-sizes", help="sizes of the cluster's fill (default: --sizes'; '' for none)")
    made.add_argument("--passages-only", action="store_true", help="fill the passage index alone")
    made.add_argument("--by-script", action="store_true", help="time adds by script, round trip")
    args = made.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (QUICK_SIZES if args.quick else SIZES)
    worker_docs = args.worker_docs or (QUICK_WORKER_DOCS if args.quick else WORKER_DOCS)
    counts = [int(c) for c in args.workers.split(",") if c]
    cluster_sizes = (
        sizes if args.cluster_sizes is None else [int(s) for s in args.cluster_sizes.split(",") if s]
    )
    report(run(sizes, counts, worker_docs, cluster_sizes, args.passages_only, args.by_script), args.json)


if __name__ == "__main__":
    main()
