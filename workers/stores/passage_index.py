"""The passage index in Redis: winnowed key fingerprints → documents, insert-then-query.

A document that reuses only a few paragraphs of a template is far from it as a whole, so the
MinHash LSH may never pair them; one shared paragraph gives a handful of shared winnowed
fingerprints (dedup.winnow). One Lua script adds the document's fingerprints and counts, per
other document, the fingerprints they share, in one round trip: of two documents processed at
the same moment, at least one sees the other. Adding is idempotent. Fingerprints held by more
than `max_docs` documents are stock phrases or boilerplate: they stop growing and are not counted.

Memory is what limits this index (hundreds of fingerprints per speech), so fingerprints live
as 6-byte fields of 2**17 hashes, sharded by their low bits (compact listpack encoding up to
`hash-max-ziplist-entries`: 512 by default, 1024 in our redis.conf; at ~57 new fields a document,
a shard reaches 512 at ~1.1M documents), with 4-byte document numbers as values, 16 to a value at
most: a fingerprint held by more continues in further fields of its shard, as one value longer
than `hash-max-ziplist-value` (64 B by default, which a user's Redis keeps too) would turn the
whole shard into a hash table and triple its bytes. No per-document fingerprint list is kept:
removal recomputes the fingerprints from the document's text. The scripts take a document's
fingerprints packed in one argument (9 bytes each: shard, field), built with NumPy: as two
strings each, packing and parsing them cost more than the rest of the call.

On a Redis Cluster the shards split into G tag groups by their low bits (`PassageGroups`), so
the index's bytes and work spread over the masters; numbers, names and pair weights stay under
the state tag. With G = 1 (a single Redis, the default) an add is the one script above.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from redis.typing import EncodableT

from archive.keys import Keys
from dedup.errors import ConfigError
from dedup.records import NormalizedText
from dedup.winnow import SharingRule, WinnowConfig, winnow, winnow_array
from workers.redis.direct_connection import Call, LuaScript, round_trip, run_call
from workers.redis.slot_routing import RedisClient
from workers.stores.key_buckets import PRELUDES
from workers.stores.pair_links import weights_base
from workers.stores.replies import text_of

PASSAGE_INDEX_VERSION = "pi4"  # pi3: binary fields, shard suffixes; pi4: low-bit shards, 16 holders a field
SHARD_BITS = 17
# The shard is the fingerprint's low bits: a winnowed fingerprint is the least hash of its window,
# so its high bits lean to zero (5k generated speeches put 900 fields in one high-bit shard, against
# 2.2 on average; by low bits, at most 12), and a crowded shard leaves the compact encoding.
_SHARD_MASK = np.uint64((1 << SHARD_BITS) - 1)
_SHARD_BYTES, _FIELD_BYTES = 3, 6
SATURATED = b"!"
# Bytes of document numbers a hash value lists (hash-max-ziplist-value's default); more continue
# in further fields (passage_add.lua's Layout).
CHUNK = 64
MAX_CHUNKS = 256  # a continuation field is the field and one byte
LAYOUT = "passage_layout.lua"  # the shards' functions, sent before each script
# before it, the pair weights' buckets' rule and packed values (its `lower`: workers.stores.key_buckets)
_PRELUDES = (*PRELUDES, LAYOUT)


class PassageIndex:
    def __init__(
        self,
        connection: RedisClient,
        keys: Keys,
        config: WinnowConfig,
        rule: SharingRule,
        align_version: str,
        groups: int = 1,
    ) -> None:
        if rule.max_docs * 4 > CHUNK * MAX_CHUNKS:
            most = CHUNK * MAX_CHUNKS // 4
            raise ConfigError(f"the passage index lists at most {most} holders, not {rule.max_docs}")
        if not 1 <= groups <= 1 << SHARD_BITS:
            raise ConfigError(f"the passage index splits its shards into 1 to {1 << SHARD_BITS} groups")
        self.connection = connection
        self.config = config
        self.max_docs = rule.max_docs
        self.min_shared = rule.min_shared
        # the layout's name carries G: indexes built with different groups never mix
        self.version = f"{config.version}-{PASSAGE_INDEX_VERSION}" + (f"-g{groups}" if groups > 1 else "")
        self.base = keys.passages(self.version)  # numbers, names (and with groups, what finals leave)
        self.shard_bases = tuple(keys.passages(self.version, g, groups) for g in range(groups))
        self.weights = weights_base(keys, align_version)  # the pairs' counts (workers.stores.pair_links)
        self.routing = f"{self.base}:num"  # the key its scripts are sent by (a cluster slot)
        self._add = LuaScript(connection, "passage_add.lua", *_PRELUDES)
        self._remove = LuaScript(connection, "passage_remove.lua", *_PRELUDES)
        self._groups = PassageGroups(self) if groups > 1 else None

    def fingerprints(self, norm: NormalizedText) -> list[str]:
        return [format(fp, "x") for fp in winnow(norm.key, self.config)]

    def add_and_query(self, doc_id: str, norm: NormalizedText) -> list[tuple[str, int]]:
        """Index the document, then (same script) the others sharing at least `min_shared`
        fingerprints with it, most shared first: (doc id, shared fingerprints)."""
        return run_call(self.connection, self.add_call(doc_id, norm))

    def add_call(self, doc_id: str, norm: NormalizedText) -> Call[list[tuple[str, int]]]:
        return self.add_fingerprints_call(doc_id, winnow_array(norm.key, self.config))

    def add_fingerprints_call(self, doc_id: str, fps: npt.NDArray[np.uint64]) -> Call[list[tuple[str, int]]]:
        """`add_call` with the key's fingerprints given (winnow_array's), as bench/scale.py has them."""
        if self._groups:
            return self._groups.add_call(doc_id, fps)
        packed = _pack(fps)
        args: list[EncodableT] = [self.base, doc_id, self.max_docs, self.min_shared, packed, self.weights]
        args.append(CHUNK)
        return self._add.call((self.routing,), args, _sharing)

    def remove(self, doc_id: str, norm: NormalizedText) -> bool:
        """Forget the document (`norm`: the text it was indexed with); False if not indexed."""
        if self._groups:
            return self._groups.remove(doc_id, winnow_array(norm.key, self.config))
        args: list[EncodableT] = [self.base, doc_id, self._packed(norm.key), CHUNK]
        return bool(self._remove(keys=(self.routing,), args=args))

    def indexed(self, doc_id: str) -> int:
        """How many fingerprints the document was indexed with."""
        entry = self.connection.hget(f"{self.base}:num", doc_id)
        return int(text_of(entry).split(":")[1]) if entry else 0

    def unfinished(self) -> list[str]:
        """Documents whose add began and never finished (with groups: numbered, no final yet;
        the one script of a single Redis never leaves one); a retry of their add finishes them."""
        if self._groups is None:
            return []
        held = self.connection.hgetall(self.routing).items()
        entries = [(text_of(doc), text_of(entry)) for doc, entry in held]
        pipe = self.connection.pipeline(transaction=False)
        for _, entry in entries:
            pipe.getbit(f"{self.base}:done", int(entry.split(":")[0]))
        finished = pipe.execute() if entries else []
        return sorted(doc for (doc, _), bit in zip(entries, finished, strict=True) if not bit)

    def holders(self, key: str) -> list[set[str] | None]:
        """Per fingerprint of a match key: the documents holding it (None: too many to say)."""
        step, prefixes = _SHARD_BYTES + _FIELD_BYTES, [f"{b}:s:".encode() for b in self.shard_bases]
        fingerprints = self._packed(key)
        fields = []
        for at in range(0, len(fingerprints), step):
            shard = fingerprints[at : at + _SHARD_BYTES]
            prefix = prefixes[int.from_bytes(shard, "little") % len(prefixes)]  # its group's
            fields.append((prefix + shard, fingerprints[at + _SHARD_BYTES : at + step]))
        packed = self._held(fields)
        numbers = sorted({n for held in packed if held and held != SATURATED for n in _numbers(held)})
        names = (
            dict(zip(numbers, self.connection.hmget(f"{self.base}:name", numbers), strict=True))
            if numbers
            else {}
        )
        return [
            None if held == SATURATED else {text_of(names[n]) for n in _numbers(held or b"") if names.get(n)}
            for held in packed
        ]

    def _held(self, fields: Sequence[tuple[bytes, bytes]]) -> list[bytes | None]:
        """Each (shard, field)'s holders, the full values' continuation fields read in rounds."""
        held: list[bytes | None] = [None] * len(fields)
        reading, chunk = list(range(len(fields))), 0
        while reading:
            pipe = self.connection.pipeline(transaction=False)
            for at in reading:
                shard, field = fields[at]
                pipe.hget(shard, field + bytes([chunk]) if chunk else field)
            values = pipe.execute()
            for at, value in zip(reading, values, strict=True):
                held[at] = (held[at] or b"") + value if value else held[at]
            reading = [at for at, value in zip(reading, values, strict=True) if value and len(value) == CHUNK]
            chunk += 1
        return held

    def _packed(self, key: str) -> bytes:
        return _pack(winnow_array(key, self.config))


def _pack(fps: npt.NDArray[np.uint64]) -> bytes:
    """Every fingerprint as its shard (3 bytes) then its field (6 bytes), little-endian."""
    out = np.empty((fps.size, _SHARD_BYTES + _FIELD_BYTES), dtype=np.uint8)
    out[:, :_SHARD_BYTES] = _low_bytes((fps & _SHARD_MASK).astype("<u8"), _SHARD_BYTES)
    out[:, _SHARD_BYTES:] = _low_bytes((fps >> np.uint64(SHARD_BITS)).astype("<u8"), _FIELD_BYTES)
    return out.tobytes()


def _sharing(flat: Sequence[bytes | int]) -> list[tuple[str, int]]:
    found = [(text_of(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]
    return sorted(found, key=lambda f: (-f[1], f[0]))


def _low_bytes(values: npt.NDArray[np.uint64], count: int) -> npt.NDArray[np.uint8]:
    return values.view(np.uint8).reshape(-1, 8)[:, :count]


def _numbers(packed: bytes) -> Sequence[int]:
    return struct.unpack(f"<{len(packed) // 4}I", packed)


class PassageGroups:
    """The index's shards in G tag groups (a Redis Cluster; shard -> group by its low bits), the
    numbers, names and pair weights under the state tag. An add is three round trips:
    passage_start.lua (the number; sent with the caller's other calls), one passage_group_add.lua
    a group (sent together), passage_final.lua."""

    def __init__(self, index: PassageIndex) -> None:
        self.index = index
        connection = index.connection
        self._start = LuaScript(connection, "passage_start.lua", *_PRELUDES)
        self._group_add = LuaScript(connection, "passage_group_add.lua", *_PRELUDES)
        self._final = LuaScript(connection, "passage_final.lua", *_PRELUDES)
        self._unnumber = LuaScript(connection, "passage_unnumber.lua")
        self._group_remove = LuaScript(connection, "passage_group_remove.lua", *_PRELUDES)

    def add_call(self, doc_id: str, fps: npt.NDArray[np.uint64]) -> Call[list[tuple[str, int]]]:
        """The document's number (sent with the caller's other calls); the groups' adds and the
        final follow when its reply is parsed (the connection is free again then)."""
        index = self.index
        if fps.size == 0:  # nothing to index, nothing to find (no number, as passage_add.lua)
            return Call((("EXISTS", index.routing),), lambda _: [])
        args: list[EncodableT] = [index.base, doc_id, fps.size]
        return self._start.call((index.routing,), args, functools.partial(self._added, doc_id, fps))

    def _added(
        self, doc_id: str, fps: npt.NDArray[np.uint64], started: Sequence[int]
    ) -> list[tuple[str, int]]:
        """The groups' adds in one round trip, then passage_final.lua on their counts and
        saturated fingerprints."""
        index, (number, again) = self.index, started
        me = struct.pack("<I", number)
        calls: list[Call[Any]] = [
            self._group_add.call((f"{base}:s",), [base, me, index.max_docs, packed, CHUNK, again])
            for base, packed in self._by_group(fps)
        ]
        replies: list[list[list[Any]]] = round_trip(index.connection, calls)
        counts: dict[int, int] = {}
        for shared, _ in replies:
            for at in range(0, len(shared), 2):
                counts[shared[at]] = counts.get(shared[at], 0) + shared[at + 1]
        args: list[EncodableT] = [index.base, doc_id, number, index.min_shared, index.weights, again]
        args += [len(counts), *(value for pair in counts.items() for value in pair)]
        args += [value for _, saturated in replies for value in saturated]
        return _sharing(self._final(keys=(index.routing,), args=args))

    def remove(self, doc_id: str, fps: npt.NDArray[np.uint64]) -> bool:
        """The number first (no final counts the document from then on), then every group's holders."""
        number = self._unnumber(keys=(self.index.routing,), args=(self.index.base, doc_id))
        if number is None:
            return False
        calls: list[Call[Any]] = [
            self._group_remove.call((f"{base}:s",), [base, number, packed, CHUNK])
            for base, packed in self._by_group(fps)
        ]
        round_trip(self.index.connection, calls)
        return True

    def _by_group(self, fps: npt.NDArray[np.uint64]) -> list[tuple[str, bytes]]:
        """Each group's base and its fingerprints, packed (groups with none left out)."""
        bases = self.index.shard_bases
        group = (fps & _SHARD_MASK) % np.uint64(len(bases))
        return [(base, _pack(fps[group == g])) for g, base in enumerate(bases) if (group == g).any()]
