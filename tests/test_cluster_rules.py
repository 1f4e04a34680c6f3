"""The representative and cluster id rules, the unknown day and the union-find's buckets exist
once in Python (dedup.clusters, workers.stores.cluster_store and workers.stores.union_find_layout,
authoritative) and once in Lua (workers/stores/cluster_rules.lua and union_find_layout.lua, for the
Redis scripts): they must agree."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.clusters import Member, cluster_id, rank
from workers.redis.direct_connection import LuaScript
from workers.redis.redis_server import ServerInfo
from workers.stores.cluster_store import UNKNOWN_DAY
from workers.stores.union_find_layout import BUCKETS, bucket

_COMPARE = (
    "return {better(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]) and 1 or 0,"
    " cluster_id(ARGV[7], ARGV[8])}"
)

members = st.builds(
    Member,
    st.text("0123456789abcdef", min_size=1, max_size=6),
    st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2030, 12, 31))),
    st.integers(0, 50),
)


def _day(member: Member) -> int:
    return member.published.toordinal() if member.published else UNKNOWN_DAY


def test_lua_rules_agree_with_dedup_clusters(redis_server: ServerInfo) -> None:
    client = redis.Redis.from_url(redis_server.tcp_url)
    script = client.register_script(LuaScript(client, "cluster_rules.lua").source + _COMPARE)

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(one=members, two=members, fpid=st.text("abc-0123", min_size=1, max_size=8))
    def agree(one: Member, two: Member, fpid: str) -> None:
        args = [_day(one), one.display_length, one.doc_id, _day(two), two.display_length, two.doc_id]
        better, named = script(args=[*args, fpid, one.doc_id])
        assert bool(better) == (rank(one) < rank(two))
        assert named.decode() == cluster_id(fpid, [one.doc_id])

    try:
        agree()
    finally:
        client.close()


def test_lua_unknown_day_is_the_python_one(redis_server: ServerInfo) -> None:
    client = redis.Redis.from_url(redis_server.tcp_url)
    try:
        script = client.register_script(LuaScript(client, "cluster_rules.lua").source + "return UNKNOWN")
        assert script() == str(UNKNOWN_DAY).encode()
    finally:
        client.close()


def test_lua_union_find_buckets_are_the_python_ones(redis_server: ServerInfo) -> None:
    client = redis.Redis.from_url(redis_server.tcp_url)
    source = LuaScript(client, "union_find_layout.lua").source
    script = client.register_script(source + "return uf_key(ARGV[1], ARGV[2])")
    hexes = st.text("0123456789abcdefABCDEF", max_size=24)

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(field=st.one_of(hexes, st.text(max_size=24)))
    def agree(field: str) -> None:
        assert script(args=["{t}:h", field]).decode() == f"{{t}}:h:{bucket(field)}"

    try:
        agree()
        for field in ("", "a", "doc000123", "ü" * 12, "0aF", _sha1_hex("x")):
            assert script(args=["h", field]).decode() == f"h:{bucket(field)}"
    finally:
        client.close()


def test_a_million_documents_leave_every_bucket_under_the_compact_encodings_bound() -> None:
    """Document ids and key hashes are SHA-1 hex: at 1M documents a bucket holds ~244 fields,
    under hash-max-ziplist-entries (1024, workers.redis.redis_server), so the union-find stays
    compact; names that are not hex spread too."""
    ids = Counter(bucket(_sha1_hex(str(n))[:20]) for n in range(1_000_000))
    assert len(ids) == BUCKETS and max(ids.values()) < 1024 // 3
    names = Counter(bucket(f"doc{n:06d}") for n in range(100_000))
    assert len(names) == BUCKETS and max(names.values()) < 1024 // 3


def _sha1_hex(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
