"""Near-duplicate quality: pairwise precision/recall of clusters on the generated corpus.

Noisy pages of `synthetic.corpus` go through the real normalizer, get fingerprinted, and are
clustered by the Redis ClusterStore on a real redis-server started here. Figures:
  cluster_precision / cluster_recall  pairwise, against the corpus' family labels
  exact_jaccard_recall                share of pairs with exact 5-gram Jaccard >= 0.5 (on the
                                      match keys) that end in one cluster
  recall_25x5                         the same cluster recall with DESIGN.md's 25x5 bands
                                      (in-memory clusterer), the measured reason for 32x4
  trace_char_precision / trace_char_recall / source_accuracy   passage tracing, see
                                      bench/trace_quality.py

    python bench/quality.py [--quick] [--json]
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402

from bench.cli import parser, report  # noqa: E402
from bench.trace_quality import trace_quality  # noqa: E402
from dedup.clusters import ClusterAssignment, MemoryClusterer, pairwise_scores  # noqa: E402
from dedup.errors import Rejected  # noqa: E402
from dedup.fingerprint import Fingerprint, FingerprintConfig, fingerprint  # noqa: E402
from dedup.lsh import LSHParams  # noqa: E402
from dedup.normalize.pipeline import normalize_text  # noqa: E402
from dedup.shingles import shingle_hashes  # noqa: E402
from synthetic.corpus import CorpusDoc, generate  # noqa: E402
from tests.engine_stack import cluster_config  # noqa: E402

CONFIG = FingerprintConfig()


@dataclass(frozen=True)
class Prepared:
    docs: tuple[CorpusDoc, ...]  # the accepted ones
    fingerprints: dict[str, Fingerprint]
    keys: dict[str, str]
    display_lengths: dict[str, int]
    fingerprint_id: str
    rejected: dict[str, str]


class Assigner(Protocol):
    def assign(self, fp: Fingerprint, published: Any, display_length: int) -> ClusterAssignment: ...


def normalized_corpus(n_docs: int, seed: int) -> Prepared:
    """The corpus as the ingest job sees it: noisy page text → normalizer → fingerprint."""
    accepted, fps, keys, lengths, rejected = [], {}, {}, {}, {}
    fingerprint_id = ""
    for doc in generate(n_docs, seed=seed):
        try:
            norm = normalize_text(doc.noisy, doc.doc_id, title=doc.title)
            fp = fingerprint(doc.doc_id, norm.key, norm.norm_version, CONFIG)
        except Rejected as err:
            rejected[doc.doc_id] = err.reason
            continue
        accepted.append(doc)
        fps[doc.doc_id], keys[doc.doc_id] = fp, norm.key
        lengths[doc.doc_id] = len(norm.display)
        fingerprint_id = fp.fingerprint_id
    return Prepared(tuple(accepted), fps, keys, lengths, fingerprint_id, rejected)


def labels_of(corpus: Prepared, store: Assigner) -> dict[str, str]:
    """Assign every document, then read back each one's (final) cluster."""
    for doc in corpus.docs:
        store.assign(corpus.fingerprints[doc.doc_id], doc.published, corpus.display_lengths[doc.doc_id])
    if isinstance(store, MemoryClusterer):
        return store.labels()
    return {doc.doc_id: str(store.cluster_of(doc.doc_id)) for doc in corpus.docs}  # type: ignore[attr-defined]


def exact_pairs(corpus: Prepared, threshold: float = 0.5) -> list[tuple[str, str]]:
    """All document pairs whose exact 5-gram Jaccard on the match keys reaches `threshold`."""
    ids = [d.doc_id for d in corpus.docs]
    sets = [shingle_hashes(corpus.keys[i], CONFIG.ngram) for i in ids]
    columns, inverse = np.unique(np.concatenate(sets), return_inverse=True)
    rows = np.repeat(np.arange(len(ids)), [len(s) for s in sets])
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), np.int32), (rows, inverse)), shape=(len(ids), len(columns))
    )
    inter = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    sizes = np.array([len(s) for s in sets])
    jaccard = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    keep = jaccard >= threshold
    return [(ids[a], ids[b]) for a, b in zip(inter.row[keep], inter.col[keep], strict=True)]


def cluster_quality(corpus: Prepared, store: Assigner) -> dict[str, Any]:
    labels = labels_of(corpus, store)
    truth = {d.doc_id: d.family for d in corpus.docs}
    precision, recall = pairwise_scores(labels, truth)
    pairs = exact_pairs(corpus)
    found = sum(labels[a] == labels[b] for a, b in pairs)
    return {
        "cluster_precision": round(precision, 4),
        "cluster_recall": round(recall, 4),
        "exact_jaccard_recall": round(found / len(pairs), 4) if pairs else 1.0,
        "exact_jaccard_pairs": len(pairs),
        "documents": len(corpus.docs),
        "rejected": len(corpus.rejected),
    }


def measure(n_docs: int, seed: int) -> dict[str, Any]:
    import redis

    from archive.keys import Keys
    from workers.redis.redis_server import RedisServer, stop_process
    from workers.stores.cluster_store import ClusterStore

    corpus = normalized_corpus(n_docs, seed)
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp)).start()
        try:
            connection = redis.Redis.from_url(server.url)
            store = ClusterStore(connection, Keys("bench"), cluster_config(corpus.fingerprint_id))
            figures = cluster_quality(corpus, store)
            connection.close()
        finally:
            stop_process(server.pid)
    old = MemoryClusterer(corpus.fingerprint_id, LSHParams(25, 5))
    old_labels = labels_of(corpus, old)
    figures["recall_25x5"] = round(
        pairwise_scores(old_labels, {d.doc_id: d.family for d in corpus.docs})[1], 4
    )
    figures["corpus_size"] = n_docs
    figures.update(trace_quality(n_docs, seed, noisy_docs=n_docs // 3))  # bench/trace_quality.py
    return figures


def main() -> None:
    args_parser = parser(__doc__, "a small corpus (under a minute)")
    args_parser.add_argument("--seed", type=int, default=101)
    args = args_parser.parse_args()
    report(measure(600 if args.quick else 3000, args.seed), args.json)


if __name__ == "__main__":
    main()
