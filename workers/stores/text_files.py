"""Short numbers for the archive's files of documents' texts, kept in Redis, so a pointer is
`<number> <offset> <length>` (~15 bytes) rather than the file's name (~85): every document
record and every alignment holds one, and a value that long also pushes its hash out of Redis's
compact encoding on a default config. A number, once given, never changes, so each process
keeps what it has looked up; the table lives beside the pointers (one key under the state tag)
and goes with them on a flush, when `reindex` writes the texts again.
"""

from __future__ import annotations

from archive.errors import WarcReadError
from workers.redis.direct_connection import LuaScript
from workers.redis.slot_routing import RedisClient


class TextFiles:
    def __init__(self, connection: RedisClient, key: str) -> None:
        self.connection = connection
        self.key = key
        self._numbers: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._number = LuaScript(connection, "text_files_number.lua")

    def number(self, name: str) -> str:
        """The file's number (decimal), given it now when it has none."""
        known = self._numbers.get(name)
        if known is None:
            raw = self._number(keys=[self.key], args=[name])
            known = raw.decode() if isinstance(raw, bytes) else str(raw)
            self._remember(known, name)
        return known

    def name(self, number: str) -> str:
        """The name of file `number`; WarcReadError when the table has no such number."""
        known = self._names.get(number)
        if known is None:
            raw = self.connection.hget(self.key, f"#{number}")
            if raw is None:
                raise WarcReadError(f"archive text file #{number} is not in {self.key}")
            known = raw.decode() if isinstance(raw, bytes) else str(raw)
            self._remember(number, known)
        return known

    def _remember(self, number: str, name: str) -> None:
        self._numbers[name] = number
        self._names[number] = name
