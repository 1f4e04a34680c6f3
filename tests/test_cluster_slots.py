"""Every script, transaction and multi-key command of the service touches one cluster slot
(archive.keys: the state under one hash tag, the LSH index in tag groups), and every script is
sent by a key of that slot, watched on a real redis-server (tests.slot_monitor) while the
model-based test adds, changes, deletes, re-imports, reindexes and exports."""

from __future__ import annotations

from dataclasses import replace

import redis
from redis.crc import key_slot

from archive.keys import SLOTS, Keys, cluster_slot
from tests import model_machine
from tests.slot_monitor import SlotMonitor
from workers.redis.redis_server import ServerInfo
from workers.settings import ENGINE

EXAMPLES = 4
GROUPS = 5  # LSH tag groups, as on a cluster


def test_the_monitor_sees_calls_that_span_slots(redis_client: redis.Redis) -> None:
    script = "redis.call('SET', KEYS[1], 1); return redis.call('GET', ARGV[1])"
    with SlotMonitor(redis_client) as seen:
        redis_client.eval(script, 1, "{a}:x", "{a}:y")  # one slot
        redis_client.eval(script, 1, "{a}:x", "{b}:y")  # a key built in the script: another slot
        redis_client.eval("return redis.call('GET', ARGV[1])", 0, "{a}:x")  # sent by no key
        redis_client.mget("{a}:x", "{a}:y")
        redis_client.mget("{a}:x", "{b}:y")
        pipe = redis_client.pipeline(transaction=True)
        pipe.set("{a}:x", 1).set("{c}:z", 2).execute()
        redis_client.mget("rq:x", "rq:y")  # not the service's keys: RQ's plain Redis
    problems = seen.problems()
    assert len(problems) == 4, problems
    assert [p.split(":")[0].split(" ")[0] for p in problems] == ["command", "script", "script", "transaction"]


def test_every_call_of_the_model_test_stays_in_one_slot(redis_server: ServerInfo) -> None:
    client = redis.Redis.from_url(redis_server.tcp_url)
    engine = replace(ENGINE, lsh_groups=GROUPS, passage_groups=GROUPS)
    with SlotMonitor(client) as seen:
        model_machine.run(redis_server.tcp_url, EXAMPLES, engine=engine)
    client.close()
    assert seen.calls > 500
    assert seen.problems() == []


def test_lsh_groups_have_tags_of_their_own_spread_over_the_slots() -> None:
    keys = Keys("dc")
    tags = [keys.lsh("f", g, GROUPS).split("}")[0] + "}" for g in range(GROUPS)]
    assert len(set(tags)) == GROUPS and keys.state not in tags
    for prefix, groups in (("dc", GROUPS), ("model", 3), ("x", 12)):  # g-th group in the g-th stretch
        slots = [key_slot(Keys(prefix).lsh("f", g, groups).encode()) for g in range(groups)]
        assert [s * groups // SLOTS for s in slots] == list(range(groups)), (prefix, slots)
    for key in ("{dc}:doc:1", "dc:seen:ab", "{dc:lsh:0.3}:lsh:f", "{}x", "a{b}c{d}", "{", "ü"):  # redis-py's
        assert cluster_slot(key.encode()) == key_slot(key.encode()), key
    assert keys.lsh("f").startswith(keys.state + ":")
    passage_tags = {keys.passages("v", g, GROUPS).split("}")[0] for g in range(GROUPS)}
    assert len(passage_tags | {t[:-1] for t in tags}) == 2 * GROUPS  # the passage groups' own tags
    named = (keys.lsh("f", 2, GROUPS), keys.doc("x"), keys.seen("u"))
    assert [Keys.kind(k) for k in named] == ["lsh", "doc", "seen"]
