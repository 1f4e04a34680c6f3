"""Short ids for the archive's files of documents' texts, kept in Redis, so a pointer is
`<id> <offset> <length>` (~25 bytes) rather than the file's name (~85): every document record
and every alignment holds one, and a value that long also pushes its hash out of Redis's compact
encoding on a default config. A file's id is the start of its name's SHA-1, so what a process
learns of the table is never wrong later, a flush and a rebuild included; the rare file whose id
another file holds already keeps its name in its pointers.
"""

from __future__ import annotations

import hashlib

from archive.errors import WarcReadError
from workers.redis.slot_routing import RedisClient
from workers.stores.replies import text_of

ID_CHARS = 12  # 48 bits: a collision, handled, is rare even among millions of files


def file_id(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()[:ID_CHARS]


def is_file_id(part: str) -> bool:
    """Whether a pointer's first part is an id (a name has a folder: `texts/...`)."""
    return len(part) == ID_CHARS and "/" not in part


class TextFiles:
    def __init__(self, connection: RedisClient, key: str) -> None:
        self.connection = connection
        self.key = key
        self._names: dict[str, str] = {}
        self._refused: set[str] = set()

    def short(self, name: str) -> str:
        """The file's id, entered in the table; its name when another file holds that id."""
        found = file_id(name)
        if name in self._refused:
            return name
        if self._names.get(found) == name:
            return found
        if self.connection.hsetnx(self.key, found, name) or self.name(found) == name:
            self._names[found] = name
            return found
        self._refused.add(name)
        return name

    def name(self, found: str) -> str:
        """The name of the file with id `found`; WarcReadError when the table has none."""
        known = self._names.get(found)
        if known is None:
            raw = self.connection.hget(self.key, found)
            if raw is None:
                raise WarcReadError(f"archive text file {found} is not in {self.key}")
            known = self._names[found] = text_of(raw)
        return known
