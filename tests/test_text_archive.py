"""Documents' texts and alignments live in the WARC archive; Redis keeps pointers (issue 21).

Real redis-server, real `dedupcrawl import`/`export`/`trace`/`reindex` processes, real files.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from warcio.archiveiterator import ArchiveIterator

from archive.errors import WarcReadError
from archive.keys import Keys
from synthetic.corpus import generate
from tests.cli_process import run_cli
from tests.engine_stack import new_ingestor, stores
from tests.fault_rig import PREFIX, archive_imports, service_env
from tests.ingest_rig import IngestRig
from workers.errors import TextUnavailable
from workers.flow.ingest import document_id
from workers.redis.redis_server import ServerInfo
from workers.stores.document_texts import TEXTS_FOLDER, DocumentText, DocumentTexts, Pointer
from workers.stores.key_buckets import layout_base, unpack
from workers.stores.text_files import TextFiles, file_id, is_file_id
from workers.web.app import create_app


@dataclass(frozen=True)
class Imported:
    home: Path
    env: dict[str, str]
    connection: redis.Redis
    exported: list[dict[str, object]]

    @property
    def warc(self) -> Path:
        return self.home / "warc"


def _import(redis_server: ServerInfo, home: Path, count: int) -> Imported:
    """`count` generated speeches through `dedupcrawl import`, then `dedupcrawl export`."""
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushall()
    home.mkdir(parents=True)
    lines = home / "speeches.jsonl"
    rows = [
        {"url": d.url, "text": d.noisy, "title": d.title, "published": str(d.published)}
        for d in generate(count, 7)
    ]
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    env = service_env(home, redis_server.url)
    done = run_cli("import", str(lines), "--json", env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return Imported(home, env, connection, _export(env, home))


def _export(env: dict[str, str], home: Path) -> list[dict[str, object]]:
    out = home / "export.jsonl"
    done = run_cli("export", "--format", "jsonl", "--out", str(out), env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def imported(redis_server: ServerInfo, tmp_path: Path) -> Iterator[Imported]:
    found = _import(redis_server, tmp_path / "home", 40)
    yield found
    found.connection.close()


def _values(connection: redis.Redis) -> Iterator[bytes]:
    """Every value (and hash field) of every key of the store."""
    keys = (k for pattern in Keys(PREFIX).patterns for k in connection.scan_iter(match=pattern, count=1000))
    for key in keys:
        kind = connection.type(key).decode()
        if kind == "string":
            yield connection.get(key) or b""
        elif kind == "hash":
            for field, value in connection.hgetall(key).items():
                yield field
                yield value
        elif kind == "set":
            yield from connection.smembers(key)
        elif kind == "zset":
            yield from connection.zrange(key, 0, -1)
        elif kind == "list":
            yield from connection.lrange(key, 0, -1)


def _readings(value: bytes) -> list[str]:
    """The value as text, and inflated when it is zlib data (how texts used to be kept)."""
    found = [value.decode("utf-8", "replace")]
    with contextlib.suppress(zlib.error):
        found.append(zlib.decompress(value).decode("utf-8", "replace"))
    return found


def test_after_an_import_no_redis_value_holds_a_document_text_or_alignment(imported: Imported) -> None:
    texts = [str(r["text"]) for r in imported.exported]
    pieces = {text[len(text) // 2 : len(text) // 2 + 24] for text in texts if len(text) > 100}
    assert len(pieces) >= 10
    values = list(_values(imported.connection))
    assert len(values) > 1000  # the store's keys were read
    held = [p for value in values for r in _readings(value) for p in pieces if p in r]
    assert held == []
    keys = Keys(PREFIX)
    aligned = [k for k in imported.connection.scan_iter(match=layout_base(keys.alignments("*")) + ":*")]
    packed = [unpack(v.decode()) for k in aligned for v in imported.connection.hvals(k)]
    pointers = [pointer for found in packed for pointer in found.values()]
    assert pointers and not any(v.startswith("[") for v in pointers)  # no JSON rows


def test_records_and_alignment_pointers_stay_in_the_compact_encoding(imported: Imported) -> None:
    """A title (or a pointer that keeps its file's name, ~85 B) passes Redis's default 64-B value
    limit; our redis.conf's higher one keeps these small hashes compact (a third of their bytes)."""
    keys = Keys(PREFIX)
    records = list(imported.connection.scan_iter(match=keys.doc("*"), count=1000))
    aligned = list(imported.connection.scan_iter(match=layout_base(keys.alignments("*")) + ":*", count=1000))
    assert len(records) >= 30 and aligned
    encodings = {imported.connection.object("encoding", key) for key in records + aligned}
    assert encodings <= {b"ziplist", b"listpack"}


def _pointer(imported: Imported, doc_id: str) -> Pointer:
    """The document's pointer, its file named (a stored pointer gives its file's id: ~25 bytes)."""
    raw = imported.connection.hget(Keys(PREFIX).doc(doc_id), "text")
    assert raw is not None, f"{doc_id} keeps no pointer to its text"
    assert len(raw) < 30 and is_file_id(raw.decode().split(" ")[0])
    files = TextFiles(imported.connection, Keys(PREFIX).text_files)
    return DocumentTexts(imported.warc, 0, files).resolve(raw.decode())


def test_export_web_and_trace_read_the_archived_text_back(imported: Imported) -> None:
    record = next(r for r in imported.exported if r.get("sources"))
    doc_id, url = str(record["id"]), str(record["url"])
    pointer = _pointer(imported, doc_id)
    assert pointer.warc_file.startswith(f"{TEXTS_FOLDER}/")
    with (imported.warc / pointer.warc_file).open("rb") as handle:
        handle.seek(pointer.offset)
        member = handle.read(pointer.length)
    warc = next(iter(ArchiveIterator(io.BytesIO(member))))  # one gzip member, one standard record
    stored = connection_doc(imported, doc_id)
    assert warc.rec_type == "conversion"
    assert warc.rec_headers.get_header("WARC-Target-URI") == url
    assert warc.rec_headers.get_header("WARC-Refers-To") == f"<urn:dedupcrawl:{stored['capture_id']}>"
    body = json.loads(warc.content_stream().read())
    assert body["display"] == record["text"]
    assert DocumentTexts(imported.warc, 0).text(doc_id, pointer.encode()).display == record["text"]

    traced = run_cli("trace", doc_id, "--json", env=imported.env, timeout=120)
    assert traced.returncode == 0, traced.stderr
    assert json.loads(traced.stdout)["text"] == record["text"]
    opened = stores(imported.connection, Keys(PREFIX), warc_dir=imported.warc)
    web = TestClient(create_app(opened, imported.warc, None))
    shown = web.get(f"/api/documents/{doc_id}").json()
    assert shown["text"] == record["text"] and shown["sources"]


def connection_doc(imported: Imported, doc_id: str) -> dict[str, str]:
    doc = stores(imported.connection, Keys(PREFIX), warc_dir=imported.warc).documents.get(doc_id)
    assert doc is not None and doc.captures
    return {"capture_id": doc.captures[0]["capture_id"]}


def _texts_file(imported: Imported) -> Path:
    files = sorted((imported.warc / TEXTS_FOLDER).glob("*.warc.gz"))
    assert len(files) == 1  # one import process, one file of its own
    return files[0]


def test_a_truncated_or_missing_text_record_is_one_line_of_error(imported: Imported) -> None:
    doc_id = str(imported.exported[-1]["id"])
    pointer = _pointer(imported, doc_id)
    path = _texts_file(imported)
    os.truncate(path, pointer.offset + pointer.length // 2)
    for kept in (True, False):
        if not kept:
            path.unlink()
        traced = run_cli("trace", doc_id, env=imported.env, timeout=120)
        assert traced.returncode == 2, traced.stderr
        assert "Traceback" not in traced.stderr and len(traced.stderr.strip().splitlines()) == 1
        assert traced.stderr.startswith(f"error: the archived text of document {doc_id} is unreadable: ")
        assert pointer.warc_file in traced.stderr
        assert ("truncated" if kept else "cannot read") in traced.stderr
    opened = stores(imported.connection, Keys(PREFIX), warc_dir=imported.warc)
    web = TestClient(create_app(opened, imported.warc, None), raise_server_exceptions=False)
    answer = web.get(f"/api/documents/{doc_id}")
    assert answer.status_code == 503 and "is unreadable" in answer.json()["detail"]


def test_reindex_after_flushall_rebuilds_texts_from_the_captures_alone(imported: Imported) -> None:
    shutil.rmtree(imported.warc / TEXTS_FOLDER)  # derived: the captures are the source of truth
    (imported.warc / TEXTS_FOLDER).mkdir()
    (imported.warc / TEXTS_FOLDER / "junk.warc.gz").write_bytes(b"no WARC here")  # never read by a reindex
    imported.connection.flushall()
    done = run_cli("reindex", "--json", env=imported.env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["damaged_stretches"] == 0
    assert _export(imported.env, imported.home) == imported.exported


def test_a_crash_between_the_archive_write_and_redis_leaves_no_pointer(
    redis_client: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (doc,) = generate(1, 3)
    (capture,) = archive_imports(tmp_path, [doc])
    ingestor = new_ingestor(redis_client, Keys(PREFIX), tmp_path / "warc")
    texts, written = ingestor.store.texts, []
    write = texts.write_text

    def crashing(url: str, capture_id: str, text: DocumentText) -> str:
        pointer = write(url, capture_id, text)
        # the record is on disk before its pointer is handed out: a reader of its own reads it
        written.append(DocumentTexts(tmp_path / "warc", 0, texts.files).text("probe", pointer))
        raise KeyboardInterrupt  # the process dies here, before Redis hears of the text

    monkeypatch.setattr(texts, "write_text", crashing)
    with pytest.raises(KeyboardInterrupt):
        ingestor.ingest_capture(capture)
    assert len(written) == 1 and "同志们" in written[0].display
    assert ingestor.store.get(document_id(doc.url)) is None  # nothing half-written visible
    assert not redis_client.exists(Keys(PREFIX).doc(document_id(doc.url)))
    monkeypatch.undo()
    again = new_ingestor(redis_client, Keys(PREFIX), tmp_path / "warc")
    assert again.ingest_capture(capture).status == "indexed"
    stored = again.store.get(document_id(doc.url))
    assert stored is not None and stored.display == written[0].display  # the orphan is harmless


def test_a_candidate_whose_text_is_unreadable_is_left_out_and_counted(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    rig = IngestRig(redis_client, tmp_path / "home", PREFIX)
    template = generate(2, 5)[0]
    rig.put("https://a.example.cn/one.html", template.text)
    shutil.rmtree(rig.warc / TEXTS_FOLDER)
    rig.ingestor = new_ingestor(redis_client, rig.keys, rig.warc)  # a fresh process: no cached candidate
    outcome = rig.put("https://b.example.cn/two.html", template.text + "\n转载。")
    assert outcome.status == "indexed"
    assert rig.ingestor.store.stats("candidate_left_out") == {"unreadable_text": 1.0}


def test_a_forked_child_writes_to_a_file_of_its_own(tmp_path: Path) -> None:
    texts = DocumentTexts(tmp_path, 1 << 20)
    first = texts.write_text("https://a.example.cn/", "c1", DocumentText("甲" * 50, "甲" * 50, ()))
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's exit status is the check
        try:
            texts.write_text("https://b.example.cn/", "c2", DocumentText("乙" * 50, "乙" * 50, ()))
        finally:
            os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    second = texts.write_text("https://c.example.cn/", "c3", DocumentText("丙" * 50, "丙" * 50, ()))
    files = sorted((tmp_path / TEXTS_FOLDER).glob("*.warc.gz"))
    assert len(files) == 2 and Pointer.parse(first).warc_file == Pointer.parse(second).warc_file
    fresh = DocumentTexts(tmp_path, 0)
    assert fresh.text("x", second).display == "丙" * 50


def test_the_reader_keeps_at_most_its_byte_budget(tmp_path: Path) -> None:
    texts = DocumentTexts(tmp_path, 20_000)
    made = {n: DocumentText(f"{n}讲话" * 300, f"{n}講話" * 300, ()) for n in range(40)}
    pointers = {n: texts.write_text(f"https://x.example.cn/{n}", str(n), t) for n, t in made.items()}
    assert 0 < texts.held <= 20_000
    reader = DocumentTexts(tmp_path, 20_000)
    for _ in range(2):
        assert all(reader.text(str(n), p) == made[n] for n, p in pointers.items())
        assert reader.held <= 20_000
    assert reader.misses == 80  # each read again once dropped: the budget holds a few only
    with pytest.raises(TextUnavailable, match="not an archive pointer"):
        reader.text("bad", "no pointer")
    with pytest.raises(TextUnavailable, match="gives its file's id, and no file table"):
        reader.text("short", f"{file_id('texts/a.warc.gz')} 0 100")


def test_a_file_id_names_one_file_for_good_and_an_unknown_one_is_one_line(redis_client: redis.Redis) -> None:
    key = Keys(PREFIX).text_files
    redis_client.delete(key)
    one, other = TextFiles(redis_client, key), TextFiles(redis_client, key)  # two processes
    a, b = one.short("texts/a.warc.gz"), other.short("texts/b.warc.gz")
    assert a == file_id("texts/a.warc.gz") != b and one.name(b) == "texts/b.warc.gz"
    redis_client.delete(key)  # a flush: ids are the names' own, so what a process knows stays true
    assert other.short("texts/c.warc.gz") == file_id("texts/c.warc.gz") and one.name(b) == "texts/b.warc.gz"
    redis_client.hset(key, file_id("texts/d.warc.gz"), "texts/other.warc.gz")  # the id is taken
    assert one.short("texts/d.warc.gz") == "texts/d.warc.gz"  # the pointer keeps the name
    with pytest.raises(WarcReadError, match="is not in"):
        one.name("0123456789ab")


def test_a_deferred_trace_of_an_unreadable_text_is_counted_and_left_waiting(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    rig = IngestRig(redis_client, tmp_path / "home", PREFIX)
    rig.ingestor = new_ingestor(redis_client, rig.keys, rig.warc, defer_trace=True)
    docs = generate(3, 5)
    for doc in docs:
        assert rig.put(doc.url, doc.text).status == "indexed"
    requests, rig.ingestor.trace_requests = rig.ingestor.trace_requests, []
    shutil.rmtree(rig.warc / TEXTS_FOLDER)
    tracer = new_ingestor(redis_client, rig.keys, rig.warc)  # another process: nothing cached
    assert tracer.trace_many(requests) == ["unreadable_text"] * 3
    assert tracer.store.stats("traced") == {"unreadable_text": 3.0}
    assert tracer.store.count_untraced() == 3  # still waiting: a reindex traces them
