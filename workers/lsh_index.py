"""The LSH index in Redis: insert-then-query in one Lua script, compact fixed-size records.

Per document Redis keeps a 4-byte number in one small hash per band bucket shard, its name, and
a record of its compact signature (low 8 bits of each MinHash value), shingle count and band
hashes (so it can be removed). Bucket hashes are sharded `2**shard_bits` ways per band so each
stays small enough for Redis' compact hash encoding up to about 128 · 2**shard_bits documents.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np
import redis
from redis.typing import EncodableT

from dedup.errors import ConfigError
from dedup.fingerprint import Fingerprint
from dedup.lsh import DEFAULT_PARAMS, Candidate, LSHParams, band_hashes
from dedup.verify import compact
from workers.direct_connection import LuaScript
from workers.keys import Keys

_ID_SHARDS = 1024  # doc id -> number hashes stay compact (<= 128 entries) up to ~128k docs


class RedisLSHIndex:
    """`dedup.lsh.LSHIndex` on a shared Redis; safe for many workers at once."""

    def __init__(
        self,
        connection: redis.Redis,
        keys: Keys,
        fingerprint_id: str,
        params: LSHParams = DEFAULT_PARAMS,
        shard_bits: int = 10,
    ) -> None:
        self.connection = connection
        self.fingerprint_id = fingerprint_id
        self.params = params
        if params.bands > 255 or not 0 <= shard_bits <= 16:
            raise ConfigError("the Redis LSH index takes at most 255 bands and 16 shard bits")
        # "k2": bucket keys named by bytes (lsh_add.lua); the number is the key layout's version
        self.base = f"{keys.lsh(fingerprint_id)}:{params.bands}x{params.rows}:k2"
        self.mask = (1 << shard_bits) - 1
        self._add = LuaScript(connection, "lsh_add.lua")
        self._remove = LuaScript(connection, "lsh_remove.lua")

    def _id_key(self, doc_id: str) -> str:
        return f"{self.base}:id:{zlib.crc32(doc_id.encode('utf-8')) % _ID_SHARDS}"

    def _lengths(self, num_perm: int) -> tuple[int, int]:
        returned = num_perm + 4
        return returned + 4 * self.params.bands, returned

    def add(self, fp: Fingerprint) -> list[Candidate]:
        return self.add_many([fp])[0]

    def add_many(self, fps: Sequence[Fingerprint]) -> list[list[Candidate]]:
        """Insert all, then query each, in one round trip (batch ingest and reindex)."""
        args: list[EncodableT] = [self.base, 0, 0, self.params.bands]
        for fp in fps:
            args.extend((fp.doc_id, *self._record(fp)))
        if not fps:
            return []
        num_perm = len(fps[0].values())
        args[1], args[2] = self._lengths(num_perm)
        replies = self._add(keys=[self._id_key(fp.doc_id) for fp in fps], args=args)
        return [
            sorted(
                (_candidate(r[i], r[i + 1], num_perm) for i in range(0, len(r), 2)),
                key=lambda c: c.doc_id,
            )
            for r in replies
        ]

    def _record(self, fp: Fingerprint) -> tuple[bytes, bytes]:
        """The stored record, and the names of the document's bucket keys (see lsh_add.lua)."""
        if fp.fingerprint_id != self.fingerprint_id:
            raise ConfigError(f"index {self.fingerprint_id} cannot take {fp.fingerprint_id}")
        values = fp.values()
        self.params.check(len(values))
        fields = band_hashes(values, self.params).astype("<u4")
        names = np.empty((self.params.bands, 3), dtype=np.uint8)
        shards = fields & self.mask
        names[:, 0] = np.arange(1, self.params.bands + 1)
        names[:, 1] = shards & 0xFF
        names[:, 2] = shards >> 8
        record = compact(values) + struct.pack("<I", fp.shingle_count) + fields.tobytes()
        return record, names.tobytes()

    def remove(self, doc_id: str, num_perm: int = 128) -> bool:
        reclen, retlen = self._lengths(num_perm)
        args: list[EncodableT] = [self.base, doc_id, self.mask, reclen, retlen, self.params.bands]
        return bool(self._remove(keys=[self._id_key(doc_id)], args=args))


def _candidate(name: bytes, record: bytes, num_perm: int) -> Candidate:
    (count,) = struct.unpack_from("<I", record, num_perm)
    return Candidate(name.decode("utf-8"), bytes(record[:num_perm]), count)
