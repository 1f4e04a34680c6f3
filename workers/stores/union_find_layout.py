"""The union-find's key layout: each of its hashes in 4,096 buckets.

The union-find (workers.stores.cluster_store) keeps five hashes with a field per document or
match key: node -> parent (`p`), root -> cluster id (`cid`), document -> signature digest (`sg`),
document -> key hash (`dk`), key hash -> first document (`kh`). As one hash each, at a million
documents every one is a Redis hash table, ~85-120 bytes a field. Split into 4,096 buckets
(`{base}:{hash}:{bucket}`), a bucket holds ~244 fields at a million documents, under our
`hash-max-ziplist-entries` (1024: workers.redis.redis_server, docker-compose.yml), so it stays in
the compact listpack encoding (a field and its value, a few bytes more than their lengths) up to
~4M documents. A bucket is the field's first 3 characters when they are lowercase hex (document
ids and key hashes are SHA-1 hex), else a hash of the field's bytes. Buckets keep the base's hash
tag, so every script still touches one Redis Cluster slot.

`bucket` is the Python copy of union_find_layout.lua's `uf_bucket` (the scripts that walk the
union-find name buckets themselves); tests/test_cluster_rules.py checks that both agree.
"""

from __future__ import annotations

# The layout's name, in the union-find's base (ClusterStore.base): a store built with one hash
# each (no tag) is never half-read; `dedupcrawl reindex` rebuilds it in this layout.
UNION_FIND_LAYOUT = "u2"
LUA = "union_find_layout.lua"  # the scripts' copy of `bucket`, sent before the scripts that use it
BUCKETS = 4096
_HEX = frozenset("0123456789abcdef")


def bucket(field: str) -> str:
    """The bucket of a field: its first 3 characters when they are lowercase hex, else 3 hex
    digits of a hash of its UTF-8 bytes (as union_find_layout.lua's uf_bucket)."""
    head = field[:3]
    if len(head) == 3 and _HEX.issuperset(head):
        return head
    h = 0
    for byte in field.encode("utf-8"):
        h = (h * 131 + byte) % 65521  # a prime: every byte moves the low bits
    return f"{h % BUCKETS:03x}"


def bucket_key(hash_name: str, field: str) -> str:
    """The key of the bucket of `hash_name` (e.g. `{base}:p`) that holds `field`."""
    return f"{hash_name}:{bucket(field)}"
