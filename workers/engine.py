"""Every parameter of the text engine in one value, built once per process beside `Settings`.

Writers and readers of one store must agree on all of them: the fingerprint id names the LSH
index and the cluster records, the winnow scheme the passage index, the aligner's version the
stored alignments. So no store, reader or command builds an engine default of its own; each is
given the process's `EngineConfig` (workers.settings builds it, `open_stores` hands it down).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from dedup.align import AlignConfig
from dedup.fingerprint import FingerprintConfig
from dedup.lsh import LSHParams
from dedup.normalize import NormConfig
from dedup.pair_rule import LinkRule
from dedup.provenance import BoilerplateRule
from dedup.verify import EdgeRule
from dedup.winnow import SharingRule, WinnowConfig

# LSH tag groups on a Redis Cluster: one a master of the 3-master layout (archive.keys.Keys.group
# spreads G groups evenly over masters holding equal slot stretches). Each group keeps its own copy
# of a document's ~160-byte record: bench/cluster_lsh.py --quick (2,000 documents, 3 masters), per
# add against one Redis: G=1 2.25x the wall time, 1.06x the bytes, all on one master; G=3 1.96x,
# 1.52x, busiest master 34%; G=6 2.16x, 2.32x, 34%; G=12 2.45x, 3.67x.
CLUSTER_LSH_GROUPS = 3
# The passage index's tag groups on a Redis Cluster (workers.stores.passage_index): its shards
# spread over the masters as the LSH's groups do; numbers and pair weights stay under the state tag.
CLUSTER_PASSAGE_GROUPS = 3


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Normalisation, fingerprint, LSH, edge rule, alignment, winnowing, sharing, provenance and
    the ingest's candidate caps; the defaults are the engine's (dedup's) starting points."""

    norm: NormConfig = field(default_factory=NormConfig)
    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    lsh: LSHParams = field(default_factory=LSHParams)
    edge: EdgeRule = field(default_factory=EdgeRule)
    align: AlignConfig = field(default_factory=AlignConfig)
    winnow: WinnowConfig = field(default_factory=WinnowConfig)
    sharing: SharingRule = field(default_factory=SharingRule)
    boilerplate: BoilerplateRule = field(default_factory=BoilerplateRule)
    # the pair rule (dedup.pair_rule): aligned with its `neighbours` earliest verified
    # neighbours and those it is among the earliest of, plus every document sharing passages
    # (workers.stores.passage_index: the work is bounded by how many documents hold a fingerprint)
    neighbours: int = 20
    # candidates a worker process keeps (workers.stores.candidate_cache): ~650 of the bench's texts as
    # seed tables and ~10,000 as packed keys (256 whole prepared texts took 25 MB)
    candidate_cache_bytes: int = 48 * 2**20
    # texts and alignments a process keeps after reading them from the archive
    # (workers.stores.document_texts); changes no result
    text_cache_bytes: int = 32 * 2**20
    # the LSH index's tag groups (workers.stores.lsh_index): 1 on a single Redis (one script an
    # add); CLUSTER_LSH_GROUPS when the index is on a Redis Cluster (workers.settings)
    lsh_groups: int = 1
    # the passage index's shard groups (workers.stores.passage_index): likewise, 1 on a single
    # Redis (one script an add), CLUSTER_PASSAGE_GROUPS on a cluster
    passage_groups: int = 1

    def __post_init__(self) -> None:
        self.lsh.check(self.fingerprint.num_perm)  # bands x rows must fit the signature

    def on_cluster(self) -> EngineConfig:
        """This engine with its indexes in the tag groups every process on a Redis Cluster uses."""
        return replace(self, lsh_groups=CLUSTER_LSH_GROUPS, passage_groups=CLUSTER_PASSAGE_GROUPS)

    @property
    def links(self) -> LinkRule:
        """Which aligned pairs provenance uses; its sharing threshold is the passage index's."""
        return LinkRule(self.sharing.min_shared, self.neighbours)

    @property
    def fingerprint_id(self) -> str:
        return self.fingerprint.id(self.norm.version)
