"""Per-document families of keys as fields of bucketed hashes (issue 21).

Every Redis key costs ~70-120 bytes besides what it holds (its dict entry, its name, its object
header, the allocation of its value): a family with one small key per document (a URL's document
id, a document's alignment pointers) pays that a document. Such a family is instead 4,096
hashes, `{base}:{bucket}`, a document's (or URL's) entry one field of its bucket: a few bytes
more than its length while the bucket stays in the compact encoding (hash-max-ziplist-entries
1024, hash-max-ziplist-value 2048: workers.redis.redis_server), ~244 fields a bucket at a million
documents. A field's bucket is the union-find's (workers.stores.union_find_layout: its first 3
characters when they are lowercase hex, as document ids and URL hashes are, else a hash of it):
one rule, whose Lua copy (`uf_key`) the scripts that name buckets themselves are sent first.
Buckets keep their base's hash tag, so every script still touches one Redis Cluster slot.

A family in this layout has its own name (`{base}` ends in `-{KEY_LAYOUT}`), so a store written
with a key a document is never half-read; `dedupcrawl reindex` clears it and rebuilds
(workers.stores.derived_state).

A document's alignment pointers are one field, its pairs packed in one value (`pack`): a field
per pair would repeat the document's id in each, which costs more than the key it saves.
"""

from __future__ import annotations

from collections.abc import Mapping

from workers.stores.union_find_layout import LUA as UNION_FIND_LUA
from workers.stores.union_find_layout import bucket_key

__all__ = ["KEY_LAYOUT", "PRELUDES", "bucket_key", "layout_base", "pack", "unpack"]

KEY_LAYOUT = "b2"  # in the base of every family in buckets: another layout is never read
# sent before the scripts that name buckets (`uf_key`) or edit packed values (key_buckets.lua)
PRELUDES = (UNION_FIND_LUA, "key_buckets.lua")


def layout_base(base: str) -> str:
    """The base of a family in buckets (its layout named): its bucket keys are `{this}:{bucket}`."""
    return f"{base}-{KEY_LAYOUT}"


# A packed value: `\n{other} {value}` per entry (other: a document id, never holding a space or a
# newline; value: an archive pointer, without a newline). The leading newline lets a script find an
# entry with one plain search (`\n{other} `): key_buckets.lua's copy.
def pack(entries: Mapping[str, str]) -> str:
    return "".join(f"\n{other} {value}" for other, value in entries.items())


def unpack(packed: str) -> dict[str, str]:
    """The entries of a packed value (the last of an id wins, as the scripts keep one)."""
    return dict(entry.split(" ", 1) for entry in packed.split("\n")[1:])
