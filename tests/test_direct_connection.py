"""The direct connection: scripts survive cache loss, errors and drops; pipelines; round trips of
several calls with work done meanwhile; forks, threads."""

from __future__ import annotations

import os
import threading
import time

import pytest
import redis

from archive.keys import Keys
from tests.engine_corpus import FP_ID, corpus
from tests.engine_stack import lsh_index
from workers.redis.direct_connection import Call, LuaScript, pipelined, round_trip, run_call


def remove_args(doc_id: str) -> list[str | int | bytes]:
    return ["t:idx", doc_id, bytes(4), 132, 42, 16, 16]  # lsh_remove.lua: 0 when unknown


def test_runs_after_the_server_forgets_its_scripts(redis_client: redis.Redis) -> None:
    script = LuaScript(redis_client, "lsh_remove.lua")
    assert script(keys=["t:idx:n"], args=remove_args("a")) == 0
    redis_client.script_flush()
    assert script(keys=["t:idx:n"], args=remove_args("a")) == 0
    assert redis_client.script_exists(script.sha) == [True]


def test_an_error_reply_leaves_the_connection_usable(redis_client: redis.Redis) -> None:
    script = LuaScript(redis_client, "lsh_remove.lua")
    redis_client.hset(b"t:idx:id:" + bytes(3), "a", bytes(8))  # known id, arguments missing below
    with pytest.raises(redis.ResponseError):
        script(keys=["t:idx:n"], args=["t:idx", "a"])
    assert script(keys=["t:idx:n"], args=remove_args("b")) == 0


def test_a_dropped_connection_is_reopened_by_the_next_call(redis_client: redis.Redis) -> None:
    script = LuaScript(redis_client, "lsh_remove.lua")
    assert script(keys=["t:idx:n"], args=remove_args("a")) == 0
    redis_client.client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(redis.ConnectionError):
        script(keys=["t:idx:n"], args=remove_args("a"))
    assert script(keys=["t:idx:n"], args=remove_args("a")) == 0


def test_threads_and_forked_children_get_their_own_replies(redis_client: redis.Redis) -> None:
    docs = [fp for _, fp in corpus()[:120]]
    index = lsh_index(redis_client, Keys("t"), FP_ID)
    for fp in docs:
        index.add(fp)  # the parent's connection is open from here on
    expected = [index.add(fp) for fp in docs]  # re-adds: queries over everything
    assert sum(map(len, expected)) > len(docs) // 2
    pid = os.fork()
    if pid == 0:  # the child re-adds (pure queries) over the parent's inherited state
        os._exit(0 if [index.add(fp) for fp in docs] == expected else 1)
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append([index.add(fp) for fp in docs] == expected))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert os.waitpid(pid, 0)[1] == 0
    assert results == [True, True, True]
    assert [index.add(fp) for fp in docs] == expected


def test_a_write_refused_at_maxmemory_raises_out_of_memory(redis_client: redis.Redis) -> None:
    script = LuaScript(redis_client, "counters_add.lua")
    redis_client.config_set("maxmemory", 1)
    try:
        with pytest.raises(redis.OutOfMemoryError):
            script(keys=["t:stats"], args=[1, "pages", 1])
    finally:
        redis_client.config_set("maxmemory", 0)
    assert script(keys=["t:stats"], args=[1, "pages", 1]) == 1


def test_pipelines_reply_in_order_and_raise_errors_after_reading_every_reply(
    redis_client: redis.Redis,
) -> None:
    assert pipelined(redis_client, []) == []
    replies = pipelined(redis_client, [("HSET", "t:h", "a", 1), ("HGET", "t:h", "a"), ("HGET", "t:h", "b")])
    assert replies == [1, b"1", None]
    with pytest.raises(redis.ResponseError):
        pipelined(redis_client, [("HSET", "t:h", "b", 2), ("INCR", "t:h"), ("HSET", "t:h", "c", 3)])
    assert redis_client.hgetall("t:h") == {b"a": b"1", b"b": b"2", b"c": b"3"}  # not atomic
    assert pipelined(redis_client, [("HGET", "t:h", "c")]) == [b"3"]  # still in step


def test_atomic_pipelines_apply_all_or_nothing(redis_client: redis.Redis) -> None:
    assert pipelined(redis_client, [("SET", "t:a", 1), ("INCR", "t:a")], atomic=True) == [b"OK", 2]
    with pytest.raises(redis.ResponseError):  # refused while queuing: EXEC aborts
        pipelined(redis_client, [("SET", "t:a", 5), ("HSET", "t:h")], atomic=True)
    assert redis_client.get("t:a") == b"2"


def counter(redis_client: redis.Redis, amount: int) -> Call[int]:
    return LuaScript(redis_client, "counters_add.lua").call(["t:stats"], [1, "pages", amount], int)


def test_a_round_trip_gives_each_call_its_result_after_running_the_work_meanwhile(
    redis_client: redis.Redis,
) -> None:
    seen: list[object] = []

    def meanwhile() -> None:  # on another connection: sees the calls' effect once they arrive
        for _ in range(200):
            seen.append(redis_client.hget("t:stats", "pages"))
            if seen[-1]:
                return
            time.sleep(0.005)

    reads = Call((("HGET", "t:stats", "pages"), ("HGET", "t:stats", "none")), list)
    results = round_trip(redis_client, [counter(redis_client, 2), reads], meanwhile)
    assert results == [1, [b"2", None]]
    assert seen[-1] == b"2"  # the work meanwhile ran after the calls were sent
    assert run_call(redis_client, Call((), lambda replies: len(replies))) == 0


def test_a_script_the_server_lost_runs_once_in_a_round_trip(redis_client: redis.Redis) -> None:
    run_call(redis_client, counter(redis_client, 1))
    redis_client.script_flush()
    assert round_trip(redis_client, [counter(redis_client, 5), Call((("PING",),), list)]) == [1, [b"PONG"]]
    assert redis_client.hget("t:stats", "pages") == b"6"  # 1 + 5: the lost script ran once


def test_a_refused_call_raises_after_every_reply_was_read(redis_client: redis.Redis) -> None:
    redis_client.set("t:string", "x")
    refused = Call((("HSET", "t:string", "a", 1),), list)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        round_trip(redis_client, [refused, counter(redis_client, 1)])
    assert redis_client.hget("t:stats", "pages") == b"1"  # the other call ran
    redis_client.config_set("maxmemory", 1)
    try:
        with pytest.raises(redis.OutOfMemoryError):
            run_call(redis_client, counter(redis_client, 1))
    finally:
        redis_client.config_set("maxmemory", 0)
    assert run_call(redis_client, Call((("GET", "t:string"),), list)) == [b"x"]  # in step


def test_work_interrupted_meanwhile_leaves_no_reply_unread(redis_client: redis.Redis) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt  # as a job timeout would

    with pytest.raises(KeyboardInterrupt):
        round_trip(redis_client, [Call((("SET", "t:a", "first"),), list)], interrupted)
    assert run_call(redis_client, Call((("GET", "t:a"),), list)) == [b"first"]  # not "OK"
