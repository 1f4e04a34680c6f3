"""Packed values of the families in buckets exist once in Python (workers.stores.key_buckets:
pack, unpack) and once in Lua (key_buckets.lua, for the scripts that edit them): they must agree."""

from __future__ import annotations

import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.redis.direct_connection import LuaScript
from workers.redis.redis_server import ServerInfo
from workers.stores.key_buckets import PRELUDES, pack, unpack

# Replay ARGV's edits (op, id, value: 's' sets, 'd' deletes) on a packed value; reply the value
# and its ids in order.
_REPLAY = """
local packed = ARGV[1]
for i = 2, #ARGV, 3 do
  if ARGV[i] == 's' then packed = pk_set(packed, ARGV[i + 1], ARGV[i + 2])
  else packed = pk_del(packed, ARGV[i + 1]) end
end
return {packed, pk_ids(packed)}
"""

ids = st.text("0123456789abcdefg", min_size=1, max_size=6)  # ('a' and 'ab': one a prefix of the other)
values = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=30)
edits = st.lists(st.tuples(st.sampled_from("sd"), ids, values), max_size=12)


def test_lua_packed_values_are_the_python_ones(redis_server: ServerInfo) -> None:
    client = redis.Redis.from_url(redis_server.tcp_url)
    source = LuaScript(client, "key_buckets.lua", PRELUDES[0]).source
    script = client.register_script(source + _REPLAY)

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(start=st.dictionaries(ids, values, max_size=5), edits=edits)
    def agree(start: dict[str, str], edits: list[tuple[str, str, str]]) -> None:
        expected = dict(start)
        for op, other, value in edits:
            if op == "s":
                expected[other] = value
            else:
                expected.pop(other, None)
        packed, order = script(args=[pack(start), *(part for edit in edits for part in edit)])
        assert unpack(packed.decode()) == expected
        assert [i.decode() for i in order] == list(expected)  # (an id set again keeps its place)
        assert unpack(pack(expected)) == expected

    try:
        agree()
    finally:
        client.close()
