"""The one Redis reply decoder: bytes or decoded replies alike, None kept apart only when asked."""

from __future__ import annotations

import redis

from workers.stores.replies import pairs, text_of, text_or_none


def test_replies_read_the_same_from_a_decoding_and_a_raw_connection(redis_url: str) -> None:
    raw, decoded = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url, decode_responses=True)
    raw.hset("h", mapping={"讲话": "会议", "n": 3})
    for connection in (raw, decoded):
        read = {text_of(k): text_of(v) for k, v in pairs(connection.hgetall("h")).items()}
        assert read == {"讲话": "会议", "n": "3"}
        assert text_of(connection.get("missing")) == "" and text_or_none(connection.get("missing")) is None
        assert text_or_none(connection.hget("h", "讲话")) == "会议"
    assert pairs([b"a", b"1", b"b", b"2"]) == {b"a": b"1", b"b": b"2"}  # RESP2's flat reply
