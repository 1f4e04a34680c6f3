"""The passage index on a real redis-server: partial reuse is found, stock phrases are not, and
its Lua script (passage_add.lua) applies the sharing rule as dedup.sharing states it."""

from __future__ import annotations

from dataclasses import replace

import pytest
import redis

from archive.keys import Keys
from dedup.normalize import normalize_text
from dedup.sharing import MemorySharing
from dedup.winnow import SharingRule, winnow_array
from synthetic.corpus import generate
from tests.engine_stack import ENGINE
from tests.plain_norm import plain_norm
from workers.stores.pair_links import pair_weights
from workers.stores.passage_index import PassageIndex

KEYS = Keys("t")
# one script an add (a single Redis), or the shards in tag groups (a cluster's layout)
GROUPS = pytest.mark.parametrize("groups", [1, 3])


def _corpus() -> tuple[list[str], list[str]]:
    docs = [d for d in generate(40, seed=9) if d.role == "unrelated"]
    return [d.doc_id for d in docs], [d.text for d in docs]


@GROUPS
def test_a_speech_reusing_two_paragraphs_finds_its_template(redis_client: redis.Redis, groups: int) -> None:
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, ENGINE.sharing, ENGINE.align.version, groups)
    ids, texts = _corpus()
    for doc_id, text in zip(ids[:8], texts[:8], strict=True):
        index.add_and_query(doc_id, normalize_text(text, doc_id))
    template = texts[3].split("\n")
    own = texts[9].split("\n")
    mixed = "\n".join([own[0], template[2], own[1], template[4], own[2]])
    found = index.add_and_query("mixed", normalize_text(mixed, "mixed"))
    assert found and found[0][0] == ids[3]
    assert all(other == ids[3] or shared < found[0][1] / 3 for other, shared in found)


@GROUPS
def test_insert_then_query_is_symmetric_and_idempotent(redis_client: redis.Redis, groups: int) -> None:
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, ENGINE.sharing, ENGINE.align.version, groups)
    _, texts = _corpus()
    a, b = normalize_text(texts[0], "a"), normalize_text(texts[0] + "\n" + texts[1], "b")
    assert index.add_and_query("a", a) == []
    first = index.add_and_query("b", b)
    assert [other for other, _ in first] == ["a"]
    again = index.add_and_query("b", b)
    assert again == first
    assert index.indexed("b") == len(index.fingerprints(b))
    assert index.add_and_query("a", a) == [("b", first[0][1])]
    assert all(h == {"a", "b"} for h in index.holders(a.key))


@GROUPS
def test_changed_text_replaces_old_fingerprints_and_remove_forgets(
    redis_client: redis.Redis, groups: int
) -> None:
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, ENGINE.sharing, ENGINE.align.version, groups)
    _, texts = _corpus()
    old_a, b = normalize_text(texts[0], "a"), normalize_text(texts[1], "b")
    index.add_and_query("a", old_a)
    index.add_and_query("b", b)
    assert index.remove("a", old_a) is True  # the page changed: its old text leaves first
    index.add_and_query("a", normalize_text(texts[1], "a"))
    assert index.add_and_query("c", normalize_text(texts[0], "c")) == []
    assert index.remove("b", b) is True
    assert [o for o, _ in index.add_and_query("d", normalize_text(texts[1], "d"))] == ["a"]
    assert index.remove("b", b) is False


@GROUPS
def test_fingerprints_in_too_many_documents_are_ignored(redis_client: redis.Redis, groups: int) -> None:
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, _capped(3), ENGINE.align.version, groups)
    _, texts = _corpus()
    common = normalize_text(texts[5], "x")
    results = [index.add_and_query(f"d{i}", common) for i in range(5)]
    assert [len(r) for r in results[:3]] == [0, 1, 2]
    assert results[3] == [] and results[4] == []
    assert index.holders(common.key) and all(h is None for h in index.holders(common.key))


def test_keys_carry_the_fingerprint_scheme_version(redis_client: redis.Redis) -> None:
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, ENGINE.sharing, ENGINE.align.version)
    _, texts = _corpus()
    index.add_and_query("a", normalize_text(texts[0], "a"))
    names = set(redis_client.scan_iter(f"{KEYS.state}:pass:*"))  # shard suffixes are bytes
    assert names and all(name.startswith(f"{KEYS.passages(index.version)}:".encode()) for name in names)
    assert index.config.version in index.version


@GROUPS
def test_a_text_too_short_for_a_fingerprint_is_indexed_as_nothing(
    redis_client: redis.Redis, groups: int
) -> None:
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, ENGINE.sharing, ENGINE.align.version, groups)
    short = plain_norm("召开。", "short")
    assert index.fingerprints(short) == []
    assert index.add_and_query("short", short) == []
    assert index.indexed("short") == 0 and index.remove("short", short) is False


@GROUPS
def test_the_lua_sharing_rule_agrees_with_dedup_sharing(redis_client: redis.Redis, groups: int) -> None:
    """One script an add (a single Redis), or the shards in tag groups (a cluster's layout:
    passage_start, passage_group_add, passage_final): the same answers."""
    docs = [(d.doc_id, normalize_text(d.text, d.doc_id)) for d in generate(60, seed=3)]
    order = [*docs, *docs[:5]]  # a re-add counts again and changes nothing
    for max_docs in (ENGINE.sharing.max_docs, 3):
        rule = replace(ENGINE.sharing, max_docs=max_docs)
        index = PassageIndex(
            redis_client, Keys(f"share{max_docs}"), ENGINE.winnow, rule, ENGINE.align.version, groups
        )
        reference = MemorySharing(rule)
        got = [index.add_and_query(doc_id, norm) for doc_id, norm in order]
        want = [reference.add(d, winnow_array(norm.key, ENGINE.winnow).tolist()) for d, norm in order]
        assert got == want
        assert sum(map(len, got)) > 20
    assert any(held is None for held in reference.holders.values())  # max_docs 3 saturates some


@GROUPS
def test_pair_weights_count_only_fingerprints_held_by_few_documents(
    redis_client: redis.Redis, groups: int
) -> None:
    """Each pair's count of shared fingerprints (workers.stores.pair_links) is what a count over the
    documents present would give: a fingerprint passing the cap stops counting for every pair."""
    redis_client.flushall()
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, _capped(3), ENGINE.align.version, groups)
    _, texts = _corpus()
    common, own = texts[5], texts[6].split("\n")
    for i in range(3):  # the common text in three, with a paragraph shared by d0 and d1 alone
        shared = own[0] if i < 2 else ""
        index.add_and_query(f"d{i}", normalize_text("\n".join([common, shared, own[2 + i]]), f"d{i}"))
    weights = lambda doc: pair_weights(redis_client, index.weights, doc)  # noqa: E731
    assert set(weights("d0")) == {"d1", "d2"} and weights("d0")["d1"] > weights("d0")["d2"] >= 2
    index.add_and_query("d3", normalize_text(common, "d3"))  # the common text's fingerprints pass the cap
    assert set(weights("d0")) == {"d1"} and weights("d1") == {"d0": weights("d0")["d1"]}
    assert weights("d2") == {} and weights("d3") == {}


@GROUPS
def test_popular_fingerprints_keep_their_shards_compact(redis_client: redis.Redis, groups: int) -> None:
    """A fingerprint held by more documents than one compact hash value can list (16 numbers of
    4 bytes: hash-max-ziplist-value's default 64) continues in further fields of its shard, so its
    shard never turns into a hash table (~95 B an entry against 20-30 B): bytes per document stay
    flat. The rule's answers and the holders read back are those of dedup.sharing."""
    redis_client.flushall()
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, ENGINE.sharing, ENGINE.align.version, groups)
    _, texts = _corpus()
    common, own = texts[5], texts[6].split("\n") + texts[7].split("\n")
    docs = [(f"d{i}", normalize_text(f"{common}\n{own[i % len(own)]}", f"d{i}")) for i in range(40)]
    reference = MemorySharing(ENGINE.sharing)
    for doc_id, norm in docs:
        want = reference.add(doc_id, winnow_array(norm.key, ENGINE.winnow).tolist())
        assert index.add_and_query(doc_id, norm) == want
    shards = [s for base in index.shard_bases for s in redis_client.scan_iter(f"{base}:s:*")]
    assert {redis_client.object("encoding", shard) for shard in shards} <= {b"ziplist", b"listpack"}
    assert set.union(*index.holders(docs[0][1].key)) == {doc_id for doc_id, _ in docs}
    for doc_id, norm in docs[3:30]:
        assert index.remove(doc_id, norm)
    kept = {doc_id for doc_id, _ in docs[:3] + docs[30:]}
    assert all(held == kept for held in index.holders(normalize_text(common, "common").key))
    assert index.add_and_query("d3", docs[3][1])[0][0] in kept


def test_winnowed_fingerprints_spread_evenly_over_the_shards(redis_client: redis.Redis) -> None:
    """A winnowed fingerprint is the least hash of its window, so its high bits lean to zero: shards
    named by them crowd at the low end (900 fields in one at 5k speeches, 2.2 on average) and leave
    the compact encoding. Named by the low bits, no shard holds many more than the average."""
    redis_client.flushall()
    index = PassageIndex(redis_client, KEYS, ENGINE.winnow, ENGINE.sharing, ENGINE.align.version)
    for doc in generate(600, seed=5):
        index.add_and_query(doc.doc_id, normalize_text(doc.text, doc.doc_id))
    pipe = redis_client.pipeline(transaction=False)
    shards = list(redis_client.scan_iter(f"{index.base}:s:*", count=5000))
    for shard in shards:
        pipe.hlen(shard)
    sizes = pipe.execute()
    assert sum(sizes) > 20_000 and max(sizes) <= 8  # ~0.3 fields a shard on average (high bits: 291)


def _capped(max_docs: int) -> SharingRule:
    return replace(ENGINE.sharing, max_docs=max_docs)
