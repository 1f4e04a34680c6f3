"""The representative and cluster id rules and the unknown day exist once in Python
(dedup.clusters and workers.stores.cluster_store, authoritative) and once in Lua
(workers/stores/cluster_rules.lua, for the Redis scripts): they must agree."""

from __future__ import annotations

from datetime import date

import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.clusters import Member, cluster_id, rank
from workers.redis.direct_connection import LuaScript
from workers.redis.redis_server import ServerInfo
from workers.stores.cluster_store import UNKNOWN_DAY

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
