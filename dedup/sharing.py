"""The passage sharing rule, in memory: the authoritative statement of what workers/stores/passage_add.lua
does in Redis (tests/test_passage_index.py checks that both agree).

Documents are added one at a time: each fingerprint of the new document (winnowed, repeats
included) is held by the documents added before it; the new one joins the holders unless that
would make more than `max_docs` of them, when the fingerprint saturates (stock phrases, site
boilerplate): never grown or counted again. A document shares with another the fingerprints
they both hold; those sharing at least `min_shared` are its passage candidates.
"""

from __future__ import annotations

from collections.abc import Iterable

from dedup.winnow import SharingRule


class MemorySharing:
    """The documents holding each fingerprint (None once saturated), added insert-then-count."""

    def __init__(self, rule: SharingRule) -> None:
        self.rule = rule
        self.holders: dict[int, list[str] | None] = {}

    def add(self, doc_id: str, fingerprints: Iterable[int]) -> list[tuple[str, int]]:
        """Add the document; the others sharing at least `min_shared` of its fingerprints with
        it, most shared first: (doc id, shared fingerprints)."""
        counts: dict[str, int] = {}
        for fp in fingerprints:
            held = self.holders.get(fp, [])
            if held is None:
                continue
            present = doc_id in held
            if not present and len(held) + 1 > self.rule.max_docs:
                self.holders[fp] = None
                continue
            for other in held:
                if other != doc_id:
                    counts[other] = counts.get(other, 0) + 1
            if not present:
                self.holders[fp] = [*held, doc_id]
        found = [(other, n) for other, n in counts.items() if n >= self.rule.min_shared]
        return sorted(found, key=lambda f: (-f[1], f[0]))
