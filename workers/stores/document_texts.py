"""Documents' texts and alignments in the WARC archive: the one reader (bounded cache) and this
process's writer.

A document's display text, original and removal records are one `conversion` record, the
alignments one save found one `metadata` record, each referring to the document's first capture
and gzipped as a member of its own; Redis keeps a pointer to it (`Pointer.encode`: file relative
to the archive directory, or its id in `workers.stores.text_files`, offset, length). Each
process appends to WARC files of its own (a forked child opens new ones), and a pointer is handed
out only once its record is on disk, so a crash between the two leaves at most an orphan record,
never a pointer to nothing.
"""

from __future__ import annotations

import json
import os
import secrets
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive.errors import ArchiveError, WarcReadError
from archive.location import ArchiveRoot, as_location
from archive.warc import DERIVED_FOLDER, WarcArchive, read_derived
from dedup.align import Alignment
from dedup.records import Removal
from workers.errors import TextUnavailable
from workers.stores.text_files import TextFiles, is_file_id

TEXT_RECORD = "application/vnd.dedupcrawl.text+json"
ALIGNMENT_RECORD = "application/vnd.dedupcrawl.alignments+json"
TEXTS_FOLDER = DERIVED_FOLDER  # under the archive directory: the records of this module
_ENTRY_OVERHEAD = 200  # bytes a cached entry costs besides its strings (tuple, dict slot, key)


@dataclass(frozen=True, slots=True)
class Pointer:
    """Where one record is: file relative to the archive directory, offset, length."""

    warc_file: str
    offset: int
    length: int

    def encode(self) -> str:
        return f"{self.warc_file} {self.offset} {self.length}"

    @classmethod
    def parse(cls, raw: str) -> Pointer:
        parts = raw.split(" ")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            raise WarcReadError(f"not an archive pointer: {raw[:100]!r}")
        return cls(parts[0], int(parts[1]), int(parts[2]))


@dataclass(frozen=True, slots=True)
class DocumentText:
    """What of a document lives in the archive rather than in Redis: its texts, and `fields` of
    its record that nothing reads on its own (workers.stores.store, encoded as Redis held them)."""

    display: str
    original: str
    removed: tuple[Removal, ...]
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        chars = len(self.display) + (len(self.original) if self.original is not self.display else 0)
        chars += sum(len(r.text) for r in self.removed) + sum(map(len, self.fields.values()))
        return 2 * chars + _ENTRY_OVERHEAD


_Aligned = dict[str, list[Alignment]]  # other doc id -> alignments, this doc on side a


@dataclass(frozen=True, slots=True)
class _AlignmentRecord:
    """The alignments one save found: `doc` on side a of every pair, by the other's id."""

    doc: str
    pairs: Mapping[str, tuple[Alignment, ...]]

    @property
    def nbytes(self) -> int:
        return _ENTRY_OVERHEAD + sum(80 + 60 * len(found) for found in self.pairs.values())

    def of(self, doc_id: str, other: str) -> list[Alignment]:
        """`doc_id`'s alignments with `other` (on side a), whichever side saved them."""
        if doc_id == self.doc:
            return list(self.pairs.get(other, ()))
        return [a.swapped() for a in self.pairs.get(doc_id, ())]


class DocumentTexts:
    """Reads (through an LRU cache of `cache_bytes`) and writes records in the archive (a
    directory or an object store: `archive.location`)."""

    def __init__(self, archive_dir: ArchiveRoot, cache_bytes: int, files: TextFiles | None = None) -> None:
        """`files`: the table of the texts' files' ids (short pointers); None: pointers name
        their file."""
        self.archive_dir = as_location(archive_dir)
        self.files = files
        self.budget = cache_bytes
        self.held = 0
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[str, DocumentText | _AlignmentRecord] = OrderedDict()
        self._writer: WarcArchive | None = None
        self._writer_pid = 0

    # writing ------------------------------------------------------------------------------

    def write_text(self, url: str, capture_id: str, text: DocumentText) -> str:
        """The text as a conversion record; its encoded pointer (the record is on disk, or in
        the object store)."""
        removed = [[r.reason, r.text] for r in text.removed]
        body: dict[str, Any] = {"display": text.display, "removed": removed, "fields": dict(text.fields)}
        if text.original != text.display:  # most pages have no traditional characters
            body["original"] = text.original
        pointer = self._write("conversion", url, capture_id, body, TEXT_RECORD)
        self._keep(pointer, text)
        return pointer

    def write_alignments(
        self, url: str, capture_id: str, doc_id: str, found: Mapping[str, Sequence[Alignment]]
    ) -> str:
        """The alignments of `doc_id` (side a) with each other document, as one metadata record."""
        rows = {other: [_row(a) for a in alignments] for other, alignments in found.items()}
        body = {"doc": doc_id, "pairs": rows}
        pointer = self._write("metadata", url, capture_id, body, ALIGNMENT_RECORD)
        self._keep(pointer, _alignment_record(body))
        return pointer

    def _write(self, kind: str, url: str, capture_id: str, body: dict[str, Any], content_type: str) -> str:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        writer = self._own_writer()
        written = writer.write_derived(kind, url, capture_id, payload, content_type)
        if writer.location.seals:  # an object store: the pointer is saved next, so upload first
            writer.sync()
        name = written.warc_file if self.files is None else self.files.short(written.warc_file)
        return Pointer(name, written.offset, written.length).encode()

    def _own_writer(self) -> WarcArchive:
        """This process's WARC files: a forked child never appends to its parent's file."""
        if self._writer is None or self._writer_pid != os.getpid():
            name = f"{TEXTS_FOLDER}/{os.getpid()}-{secrets.token_hex(4)}"
            self._writer = WarcArchive(self.archive_dir, name)  # unbuffered: on disk at once
            self._writer_pid = os.getpid()
        return self._writer

    def close(self) -> None:
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.close()
        self._writer = None

    # reading ------------------------------------------------------------------------------

    def text(self, doc_id: str, pointer: str) -> DocumentText:
        """The text `pointer` names; TextUnavailable (one line) when its record cannot be read."""
        found = self._cached(pointer)
        if isinstance(found, DocumentText):
            return found
        body = self._read(doc_id, pointer, TEXT_RECORD)
        display = body["display"]
        removed = tuple(Removal(reason, text) for reason, text in body["removed"])
        fields = {str(name): str(value) for name, value in body.get("fields", {}).items()}
        return self._keep(pointer, DocumentText(display, body.get("original", display), removed, fields))

    def alignments(self, doc_id: str, pointers: Mapping[str, str]) -> _Aligned:
        """`doc_id`'s alignments with each other document, by the records the pointers name."""
        found: _Aligned = {}
        for other, pointer in pointers.items():
            record = self._cached(pointer)
            if not isinstance(record, _AlignmentRecord):
                record = self._keep(pointer, _alignment_record(self._read(doc_id, pointer, ALIGNMENT_RECORD)))
            found[other] = record.of(doc_id, other)
        return found

    def _read(self, doc_id: str, pointer: str, content_type: str) -> dict[str, Any]:
        self.misses += 1
        try:
            at = self.resolve(pointer)
            payload = read_derived(self.archive_dir, at.warc_file, at.offset, at.length, content_type)
            body: dict[str, Any] = json.loads(payload)
            return body
        except (ArchiveError, ValueError, KeyError, TypeError) as exc:
            raise TextUnavailable(doc_id, str(exc)) from exc

    def resolve(self, pointer: str) -> Pointer:
        """The record a pointer names, with its file's name (a short pointer gives its id)."""
        at = Pointer.parse(pointer)
        if not is_file_id(at.warc_file):
            return at
        if self.files is None:
            raise WarcReadError(f"pointer {pointer!r} gives its file's id, and no file table was given")
        return Pointer(self.files.name(at.warc_file), at.offset, at.length)

    def _cached(self, pointer: str) -> DocumentText | _AlignmentRecord | None:
        found = self._cache.get(pointer)
        if found is not None:
            self.hits += 1
            self._cache.move_to_end(pointer)
        return found

    def _keep(self, pointer: str, entry: Any) -> Any:
        """`entry`, kept under `pointer` (a record never changes), the oldest dropped past the budget."""
        if entry.nbytes > self.budget:
            return entry
        old = self._cache.pop(pointer, None)
        self.held += entry.nbytes - (old.nbytes if old is not None else 0)
        self._cache[pointer] = entry
        while self.held > self.budget:
            _, dropped = self._cache.popitem(last=False)
            self.held -= dropped.nbytes
        return entry


def _row(a: Alignment) -> list[float]:
    return [a.a_start, a.a_end, a.b_start, a.b_end, round(a.similarity, 4)]


def _alignment_record(body: Mapping[str, Any]) -> _AlignmentRecord:
    pairs = {other: tuple(Alignment(*row) for row in rows) for other, rows in body["pairs"].items()}
    return _AlignmentRecord(str(body["doc"]), pairs)
