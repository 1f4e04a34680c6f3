"""The LSH index in Redis: insert-then-query in one Lua script, compact fixed-size records.

Per document Redis keeps an 8-byte entry (band hash, number) in one bucket shard string per
band and a record of its compact signature (low 8 bits of each MinHash value), shingle count,
name (doc ids up to 23 bytes; longer ones in a hash of their own) and band hashes (so it can be
removed), in a hash of 256 records. Shards grow with the index (linear hashing, lsh_add.lua):
each keeps ~32 entries, so an add reads the same bytes at any index size and the per-key
overhead stays spread over 32 entries.

On a Redis Cluster the bands split into G groups (band b in group b mod G), each a whole index
of its own bands under its own hash tag (archive.keys), so each script touches one slot; a
document's calls to every group go out in one round trip. Two documents that collide in band b
meet in b's group, which inserts before it queries, so insert-then-query holds per bucket. Each
group keeps its own numbering and a record (signature, count, name) per document: G copies of
the ~156-byte head, against a second round trip to fetch candidates' records from one place.
With G = 1 (a single Redis, the default) it is one script call per add, as before groups.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from redis.typing import EncodableT

from archive.keys import Keys
from dedup.errors import ConfigError
from dedup.fingerprint import Fingerprint
from dedup.lsh import Candidate, LSHParams, band_hash_bytes
from workers.redis.direct_connection import Call, LuaScript, joined, round_trip
from workers.redis.slot_routing import RedisClient

# The record's name field: a length byte and up to 23 bytes of doc id, zero-padded; LONG_NAME
# for a longer id, which the script keeps in its nm hash and appends to the returned record.
NAME_FIELD = 24
LONG_NAME = 255

# Entries a shard keeps on average (lsh_add.lua). Each Redis key costs ~150 bytes, spread over
# its entries; a larger shard costs more bytes read per add but fewer, larger splits. Server
# instructions per add at 10k documents: 1.22M with 16 or 32; building 100k documents (2 runs
# each, interleaved): 2,500 docs/s and 1,242 bytes/doc with 16, 2,535 and 1,037 with 32.
BAND_ENTRIES = 32
ID_ENTRIES = 16


class RedisLSHIndex:
    """`dedup.lsh.LSHIndex` on a shared Redis; safe for many workers at once."""

    def __init__(
        self,
        connection: RedisClient,
        keys: Keys,
        fingerprint_id: str,
        params: LSHParams,
        num_perm: int,
        band_entries: int = BAND_ENTRIES,
        id_entries: int = ID_ENTRIES,
        groups: int = 1,
    ) -> None:
        self.connection = connection
        self.fingerprint_id = fingerprint_id
        self.params = params
        self.num_perm = num_perm  # the record size `remove` parses
        if params.bands > 255 or band_entries < 1 or id_entries < 1:
            raise ConfigError("the Redis LSH index takes at most 255 bands and shards of 1+")
        if not 1 <= groups <= params.bands:
            raise ConfigError(f"the Redis LSH index splits {params.bands} bands into 1 to that many groups")
        # "k7": shards by linear hashing, names in the records, records in hashes (lsh_add.lua),
        # CRC-32 band hashes (dedup.lsh); the number is the key layout's version; shard sizes
        # are part of the layout (they decide every address)
        layout = f"k7-{band_entries}-{id_entries}" + (f"-g{groups}" if groups > 1 else "")
        shape = f"{params.bands}x{params.rows}:{layout}"
        self.bases = tuple(f"{keys.lsh(fingerprint_id, g, groups)}:{shape}" for g in range(groups))
        self.base, self.counter = self.bases[0], f"{self.bases[0]}:n"
        self.sizes = (band_entries, id_entries)
        self.group_bands = tuple(range(g, params.bands, groups) for g in range(groups))
        self._add = LuaScript(connection, "lsh_add.lua")
        self._remove = LuaScript(connection, "lsh_remove.lua")

    def add(self, fp: Fingerprint) -> list[Candidate]:
        return self.add_many([fp])[0]

    def add_call(self, fp: Fingerprint) -> Call[list[Candidate]]:
        """`add`, to be sent with other calls (`workers.redis.direct_connection.round_trip`)."""
        call = self.add_many_call([fp])
        return Call(call.commands, lambda replies: call.parse(replies)[0], call.script, call.parts)

    def add_many(self, fps: Sequence[Fingerprint]) -> list[list[Candidate]]:
        """Insert all, then query each, in one round trip (batch ingest and reindex)."""
        if not fps:
            return []
        if len(self.bases) > 1:
            return round_trip(self.connection, [self.add_many_call(fps)])[0]
        # the script called directly: a Call's bookkeeping was 7 of an add's ~70 µs of client CPU
        args, parse = self._add_args(fps)
        return parse(self._add(keys=[self.counter], args=args))

    def add_many_call(self, fps: Sequence[Fingerprint]) -> Call[list[list[Candidate]]]:
        if len(self.bases) == 1:
            return self._add.call([self.counter], *self._add_args(fps))
        calls = [self._add.call([f"{b}:n"], *self._add_args(fps, g)) for g, b in enumerate(self.bases)]
        return joined(calls, _merged)

    def _add_args(
        self, fps: Sequence[Fingerprint], group: int = 0
    ) -> tuple[list[EncodableT], Callable[[Any], list[list[Candidate]]]]:
        """The script's arguments (to the group's index), and what makes candidates of its reply."""
        num_perm = len(fps[0].signature) // 4
        returned = num_perm + 4 + NAME_FIELD
        bands = len(self.group_bands[group])
        args: list[EncodableT] = [self.bases[group], returned, bands, *self.sizes]
        for fp in fps:
            name = fp.doc_id.encode("utf-8")
            record = self._record(fp, name)
            args.extend((name, _crc(name), record if len(self.bases) == 1 else self._part(record, group)))
        size = returned + 4 * bands
        return args, functools.partial(_candidates, num_perm=num_perm, size=size)

    def _part(self, record: bytes, group: int) -> bytes:
        """A whole record's head and the band hashes of the group's bands."""
        head = len(record) - 4 * self.params.bands
        hashes = (record[head + 4 * b : head + 4 * b + 4] for b in self.group_bands[group])
        return record[:head] + b"".join(hashes)

    def _record(self, fp: Fingerprint, name: bytes) -> bytes:
        """The stored record (see lsh_add.lua), with every band's hash."""
        if fp.fingerprint_id != self.fingerprint_id:
            raise ConfigError(f"index {self.fingerprint_id} cannot take {fp.fingerprint_id}")
        signature = fp.signature
        self.params.check(len(signature) // 4)
        # signature[::4]: the low byte of each little-endian value, as verify.compact
        head = signature[::4] + struct.pack("<I", fp.shingle_count) + _name_field(name)
        return head + band_hash_bytes(signature, self.params)

    def remove(self, doc_id: str) -> bool:
        """Forget the document (from every group, in one round trip); True if it was indexed."""
        name = doc_id.encode("utf-8")
        returned = self.num_perm + 4 + NAME_FIELD
        calls = []
        for base, bands in zip(self.bases, self.group_bands, strict=True):
            args: list[EncodableT] = [base, name, _crc(name), returned, len(bands), *self.sizes]
            calls.append(self._remove.call([f"{base}:n"], args, bool))
        return any(round_trip(self.connection, calls))


def _merged(replies: Sequence[list[list[Candidate]]]) -> list[list[Candidate]]:
    """Per document, the candidates any group found (each group holds its whole record)."""
    out = []
    for found in zip(*replies, strict=True):
        by_id = {c.doc_id: c for group in found for c in group}
        out.append([by_id[d] for d in sorted(by_id)])
    return out


def _crc(name: bytes) -> bytes:
    return struct.pack("<I", zlib.crc32(name))


def _name_field(name: bytes) -> bytes:
    if len(name) < NAME_FIELD:
        return bytes((len(name),)) + name.ljust(NAME_FIELD - 1, b"\0")
    return bytes((LONG_NAME,)) + bytes(NAME_FIELD - 1)


def _candidates(replies: Sequence[Sequence[bytes]], num_perm: int, size: int) -> list[list[Candidate]]:
    """Per document, its candidates (records, lsh_add.lua) by doc id."""
    return [sorted((_candidate(r, num_perm, size) for r in reply), key=_by_id) for reply in replies]


def _candidate(record: bytes, num_perm: int, size: int) -> Candidate:
    """A stored record of `size` bytes (lsh_add.lua), a long name after it."""
    count = int.from_bytes(record[num_perm : num_perm + 4], "little")
    length = record[num_perm + 4]
    name = record[size:] if length == LONG_NAME else record[num_perm + 5 : num_perm + 5 + length]
    return Candidate(name.decode("utf-8"), record[:num_perm], count)


def _by_id(candidate: Candidate) -> str:
    return candidate.doc_id
