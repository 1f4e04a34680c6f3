"""Every parameter of the text engine in one value, built once per process beside `Settings`.

Writers and readers of one store must agree on all of them: the fingerprint id names the LSH
index and the cluster records, the winnow scheme the passage index, the aligner's version the
stored alignments. So no store, reader or command builds an engine default of its own; each is
given the process's `EngineConfig` (workers.settings builds it, `open_stores` hands it down).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dedup.align import AlignConfig
from dedup.fingerprint import FingerprintConfig
from dedup.lsh import LSHParams
from dedup.normalize import NormConfig
from dedup.pair_rule import LinkRule
from dedup.provenance import BoilerplateRule
from dedup.verify import EdgeRule
from dedup.winnow import SharingRule, WinnowConfig


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

    def __post_init__(self) -> None:
        self.lsh.check(self.fingerprint.num_perm)  # bands x rows must fit the signature

    @property
    def links(self) -> LinkRule:
        """Which aligned pairs provenance uses; its sharing threshold is the passage index's."""
        return LinkRule(self.sharing.min_shared, self.neighbours)

    @property
    def fingerprint_id(self) -> str:
        return self.fingerprint.id(self.norm.version)
