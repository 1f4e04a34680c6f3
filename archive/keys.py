"""Every Redis key the service writes, in one place.

Layout (prefix `P`, default `dc`; `F` is a fingerprint-config id). Every key starts with the hash
tag `{P}` (`Keys.state`), so on a Redis Cluster the whole state (documents, clusters, union-find,
changes, pair links, counters, the passage index's numbers) lives in one slot and a script or
transaction may touch any of it (merges stay atomic). Two indexes shard: the LSH splits its bands
into G groups (`workers.stores.lsh_index`), each under its own tag `{P:lsh:g}` (`Keys.group`), one
slot each, and the passage index its shards (`workers.stores.passage_index`, `{P:pass:g}`); with
G = 1 (a single Redis) they stay under `{P}`. The keys kept with the queues on REDIS_URL
(crawl, seen, handoff, lock, schedule) are untagged, named as before. Key names never reach
exported bytes.

    {P}:doc:{id}              hash   document record (see workers.stores.store)
    {P}:docs                  zset   document ids by ingest order
    {P}:url-{L}:{b}           hash   sha1(url) -> document id of a URL (its canonical form: archive.urls),
                              in 4,096 buckets b, layout L (workers.stores.key_buckets)
    {P}:seq                   string last document sequence number (ingest order)
    {P}:aln:{A}-{L}:{b}       hash   doc id -> its alignment pointers (aligner version A), this doc on side
                              a, packed: other doc id and pointer to the archive record each; in 4,096
                              buckets b, layout L (workers.stores.key_buckets)
    {P}:changes               zset   doc ids by the change counter {P}:change_seq (export cursor)
    {P}:untraced              set    doc ids clustered whose trace waits on the trace queue
    {P}:exported              hash   doc id -> cluster id of every unique the last exports emitted
    {P}:rej:{input_id}        hash   rejection record (stage, reason, detail)
    {P}:rejections            zset   rejected input ids by time
    {P}:stats:{name}          hash   counters by reason (`rejected`, `removed`, `stage_ms`, ...)
    {P}:cluster:{id}          hash   cluster record
    {P}:clusters              zset   cluster ids by size
    {P}:lsh:{F}:...           LSH index of fingerprint config F (workers.stores.lsh_index), one group
    {P:lsh:g.n}:lsh:{F}:...   its group g of G > 1 (n: see Keys.group)
    {P}:uf:{F}-{L}:{h}:{b}    union-find of verified edges, exact-key map (workers.stores.cluster_store):
                              hash h (p, cid, sg, dk, kh) in 4,096 buckets b, layout L
                              (workers.stores.union_find_layout)
    {P}:pass:{V}:...          passage index of fingerprint scheme V (workers.stores.passage_index)
    {P:pass:g.n}:pass:{V}:s:… its shards' group g of G > 1 (numbers, names, pair weights stay in {P})
    {P}:links:{A}...          what decides which aligned pairs count (workers.stores.pair_links): the
                              neighbour sets under `{A}-{R}`, R the rank keys' encoding
    {P}:deleted               hash   doc id -> when it was deleted (epoch s): older captures stay out
    P:crawl:{run_id}          hash   crawl run record and stats
    P:crawls                  zset   crawl run ids by start time
    P:seen:{sha1(url)}        hash   incremental crawl state of a URL
    P:handoff:{job_id}        string guard: this document content was already enqueued for ingest
    P:lock:{name}             string leases (scheduler leader, one crawl per site)
    P:schedule:{site}         hash   last enqueued cron slot and job of a site (+ `:{job_id}` guards)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from archive.urls import matching_url

# What is kept with the queues on REDIS_URL (never on a cluster), untagged (`Keys.queue_side`)
QUEUE_SIDE = frozenset({"crawl", "crawls", "seen", "handoff", "lock", "schedule"})


SLOTS = 16384  # a Redis Cluster's hash slots


def cluster_slot(key: bytes) -> int:
    """The Redis Cluster slot of a key: CRC16-XMODEM of its hash tag (the text between the first
    `{` and the next `}`, when not empty) or of the whole key, modulo 16,384."""
    start = key.find(b"{")
    end = key.find(b"}", start + 1) if start >= 0 else -1
    if end > start + 1:
        key = key[start + 1 : end]
    crc = 0
    for byte in key:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc % SLOTS


def url_hash(url: str) -> str:
    """The key of a URL: every spelling of one address (IRI or URI, `HTTP://`) has the same."""
    return hashlib.sha1(matching_url(url).encode("utf-8")).hexdigest()  # noqa: S324 - a key, not a secret


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "dc"

    @property
    def state(self) -> str:
        """`{P}`: the hash tag of every key but a sharded index's groups (one cluster slot)."""
        return f"{{{self.prefix}}}"

    def group(self, index: str, group: int, groups: int) -> str:
        """`{P:index:g.n}`: the hash tag of group `group` of `groups` of a sharded index, n the
        first number that puts its slot in the g-th of `groups` equal stretches of the slots, so
        the groups spread evenly over masters that hold equal stretches (as `redis-cli --cluster
        create` deals them): found by hashing, a few tries a group."""
        low, high = group * SLOTS // groups, (group + 1) * SLOTS // groups
        n = 0
        while not low <= cluster_slot(f"{self.prefix}:{index}:{group}.{n}".encode()) < high:
            n += 1
        return f"{{{self.prefix}:{index}:{group}.{n}}}"

    @property
    def queue_side(self) -> str:
        """`P`, untagged: the start of the keys kept with the queues on REDIS_URL (crawl runs and
        state, hand-off guards, leases, the schedule), never on a cluster, named as before tags."""
        return self.prefix

    @property
    def pattern(self) -> str:
        """Every key of the index (tagged `{P}` or `{P:...}`), as a SCAN pattern."""
        return f"{{{self.prefix}[:}}]*"

    @property
    def patterns(self) -> tuple[str, str]:
        """Every key of this prefix: the index's and those kept with the queues (SCAN patterns)."""
        return self.pattern, f"{self.queue_side}:*"

    @property
    def legacy_deleted(self) -> str:
        """Where a store built before the hash tags kept its deletions (`P:deleted`)."""
        return f"{self.prefix}:deleted"

    @staticmethod
    def kind(key: str) -> str:
        """What a key of this layout holds: its first name after the prefix (`doc`, `lsh`, ...)."""
        rest = key.split("}:", 1)[1] if key.startswith("{") else key.split(":", 1)[-1]
        return rest.split(":", 1)[0]

    def doc(self, doc_id: str) -> str:
        return f"{self.state}:doc:{doc_id}"

    @property
    def docs(self) -> str:
        return f"{self.state}:docs"

    @property
    def seq(self) -> str:
        return f"{self.state}:seq"

    def alignments(self, align_version: str) -> str:
        """The base of the alignment pointers' buckets (workers.stores.key_buckets)."""
        return f"{self.state}:aln:{align_version}"

    @property
    def deleted(self) -> str:
        return f"{self.state}:deleted"

    @property
    def changes(self) -> str:
        return f"{self.state}:changes"

    @property
    def untraced(self) -> str:
        return f"{self.state}:untraced"

    @property
    def exported(self) -> str:
        return f"{self.state}:exported"

    @property
    def change_seq(self) -> str:
        return f"{self.state}:change_seq"

    @property
    def urls(self) -> str:
        """The base of the URL -> document id buckets (workers.stores.key_buckets), by `url_hash`."""
        return f"{self.state}:url"

    def rejection(self, input_id: str) -> str:
        return f"{self.state}:rej:{input_id}"

    @property
    def rejections(self) -> str:
        return f"{self.state}:rejections"

    def stats(self, name: str) -> str:
        return f"{self.state}:stats:{name}"

    def cluster(self, cluster_id: str) -> str:
        return f"{self.state}:cluster:{cluster_id}"

    @property
    def clusters(self) -> str:
        return f"{self.state}:clusters"

    def lsh(self, fingerprint_id: str, group: int = 0, groups: int = 1) -> str:
        """The LSH index of F, or its group `group` of `groups` (each under its own tag)."""
        tag = self.state if groups == 1 else self.group("lsh", group, groups)
        return f"{tag}:lsh:{fingerprint_id}"

    def union_find(self, fingerprint_id: str) -> str:
        return f"{self.state}:uf:{fingerprint_id}"

    def passages(self, version: str, group: int = 0, groups: int = 1) -> str:
        """The passage index of scheme V, or its shards' group `group` of `groups` (own tags)."""
        tag = self.state if groups == 1 else self.group("pass", group, groups)
        return f"{tag}:pass:{version}"

    def links(self, align_version: str) -> str:
        return f"{self.state}:links:{align_version}"

    @property
    def text_files(self) -> str:
        """The ids of the archive's text files: id -> file name (workers.stores.text_files)."""
        return f"{self.state}:textfiles"

    def crawl(self, run_id: str) -> str:
        return f"{self.queue_side}:crawl:{run_id}"

    @property
    def crawls(self) -> str:
        return f"{self.queue_side}:crawls"

    def seen(self, url: str) -> str:
        return f"{self.queue_side}:seen:{url_hash(url)}"

    def handoff(self, job_id: str) -> str:
        return f"{self.queue_side}:handoff:{job_id}"

    def schedule(self, site: str) -> str:
        return f"{self.queue_side}:schedule:{site}"

    def lock(self, name: str) -> str:
        return f"{self.queue_side}:lock:{name}"
