"""The bad-input corpus as import files: each kind is a JSON Lines record, a saved HTML page or a
foreign WARC response, imported through the real importer and ingest pipeline. The fixture web
serves the same kinds as pages (synthetic/fixture_web/bad.py); test_bad_inputs runs both and
checks docs/bad-inputs.md against what happened."""

from __future__ import annotations

import io
import json
import os
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import brotli
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from synthetic.corpus import generate

BASE = "https://bad.example"
SPEECH = generate(1, seed=77)[0].text
SENTENCE = "会议强调，要深入学习贯彻全会精神，推动各项工作落地见效。"


@dataclass(frozen=True)
class ImportCase:
    kind: str
    form: str  # "jsonl", "html" (a saved page in a folder) or "warc" (a foreign response record)
    url: str
    payload: Callable[[], bytes]  # the JSONL line, the page's bytes or the response body
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html"),)
    special: str = ""  # an html-form entry that is no plain file: "symlink", "fifo" or "sparse"


def _page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>测试</title></head><body><article>{body}</article></body></html>"


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())


def _line(record: Mapping[str, object]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def _html_line(kind: str, html: str) -> Callable[[], bytes]:
    return lambda: _line({"url": f"{BASE}/{kind}", "html": html})


def _text_line(kind: str, text: str) -> Callable[[], bytes]:
    return lambda: _line({"url": f"{BASE}/{kind}", "text": text})


def _nested(depth: int) -> str:
    return "<div>" * depth + _paragraphs(SPEECH) + "</div>" * depth


def _mixed() -> bytes:
    half = len(SPEECH) // 2
    return (
        b"<html><head><meta charset='utf-8'><title>x</title></head><body><article>"
        + _paragraphs(SPEECH[:half]).encode("utf-8")
        + _paragraphs(SPEECH[half:]).encode("gbk", "replace")
        + b"</article></body></html>"
    )


def _bomb(size: int = 200 * 2**20) -> bytes:
    """Megabytes of zeros behind a few hundred kilobytes of gzip."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    chunk = b"\0" * 2**20
    return b"".join(packer.compress(chunk) for _ in range(size // 2**20)) + packer.flush()


CHROME = (
    "<div class='nav'>首页 | 新闻 | 公告 | 联系我们</div><div class='crumb'>当前位置：首页 &gt; 正文</div>"
    "<div class='footer'>版权所有 © 2024 某某网 京ICP备12345678号 京公网安备11010502030143号</div>"
    "<div>上传人：张三 文档编号：123456 上传时间：2024-01-01 格式：DOC 页数：3 大小：28KB</div>"
    "<div>返回 下载 相关 举报</div>"
)

HTML = (("Content-Type", "text/html"),)
LINKS = "<a href='http://[::1'>a</a><a href='ht!tp://x'>b</a><a href='//'>c</a>"


def _case(
    kind: str,
    form: str,
    payload: Callable[[], bytes],
    headers: tuple[tuple[str, str], ...] = HTML,
    special: str = "",
) -> ImportCase:
    return ImportCase(kind, form, "" if form == "jsonl" else f"{BASE}/{kind}", payload, headers, special)


def _record(url: str, text: str) -> Callable[[], bytes]:
    return lambda: _line({"url": url, "text": text})


IRI = f"{BASE}/讲话/iri_url.html"
UPPER = "HTTP://BAD.example/upper case.html"
DEEP = b"[" * 1000 + b"]" * 1000


IMPORT_CASES: tuple[ImportCase, ...] = (
    _case("binary_as_html", "html", lambda: bytes(range(256)) * 400),
    _case(
        "pdf",
        "warc",
        lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 50,
        (("Content-Type", "application/pdf"),),
    ),
    _case("pdf_as_html", "html", lambda: b"%PDF-1.4\n" + bytes(range(256)) * 50),
    _case(
        "page_50mb", "html", lambda: _page(_paragraphs(SPEECH) + "<p>" + "字" * (50 * 2**20 // 3)).encode()
    ),
    _case("gzip_bomb", "warc", _bomb, (*HTML, ("Content-Encoding", "gzip"))),
    _case(
        "brotli_bomb",
        "warc",
        lambda: brotli.compress(b"\0" * (200 * 2**20), quality=1),
        (*HTML, ("Content-Encoding", "br")),
    ),
    _case(
        "wrong_charset", "html", lambda: _page(_paragraphs(SPEECH), "<meta charset='utf-8'>").encode("gbk")
    ),
    _case("absent_charset", "html", lambda: _page(_paragraphs(SPEECH)).encode("gbk")),
    _case("mixed_encodings", "html", _mixed),
    _case("nul_bytes", "jsonl", _html_line("nul_bytes", _page(_paragraphs(SPEECH.replace("。", "。\0"))))),
    _case("deep_nesting", "jsonl", _html_line("deep_nesting", _page(_nested(10_000)))),
    _case("only_chrome", "jsonl", _html_line("only_chrome", _page(CHROME))),
    _case("empty_page", "html", lambda: b""),
    _case("one_character", "jsonl", _text_line("one_character", "会")),
    _case("one_repeated_character", "jsonl", _text_line("one_repeated_character", "啊" * 20_000)),
    _case("long_single_line", "jsonl", _text_line("long_single_line", SPEECH.replace("\n", "") * 40)),
    _case("invalid_link_urls", "jsonl", _html_line("invalid_link_urls", _page(_paragraphs(SPEECH) + LINKS))),
    _case("non_http_scheme", "jsonl", _record("ftp://bad.example/file.txt", SPEECH)),
    _case("javascript_url", "jsonl", _record("javascript:alert(1)", SPEECH)),
    _case("malformed_jsonl", "jsonl", lambda: b'{"url": "https://bad.example/x", "text": '),
    _case("jsonl_not_object", "jsonl", lambda: b'["https://bad.example/x", "text"]'),
    _case("jsonl_no_content", "jsonl", lambda: _line({"url": f"{BASE}/jsonl_no_content", "title": "x"})),
    _case("invalid_utf8_jsonl", "jsonl", lambda: b'{"url": "https://bad.example/u", "text": "\xff\xfe"}'),
    ImportCase("iri_url", "jsonl", IRI, _record(IRI, SPEECH)),
    ImportCase("upper_case_scheme", "jsonl", UPPER, _record(UPPER, generate(2, seed=78)[1].text)),
    _case("lone_surrogate_jsonl", "jsonl", lambda: b'{"url": "https://bad.example/s", "text": "\\ud800"}'),
    _case("deep_json", "jsonl", lambda: b'{"url": "https://bad.example/d", "x": ' + DEEP + b"}"),
    _case("bad_ipv6_url", "jsonl", lambda: b'{"url": "http://[::1", "text": "x"}'),
    _case("huge_jsonl_line", "jsonl", _record(f"{BASE}/huge_jsonl_line", SENTENCE * 400_000)),
    _case("huge_file", "html", lambda: b"", special="sparse"),
    _case("symlink_out", "html", lambda: b"", special="symlink"),
    _case("fifo", "html", lambda: b"", special="fifo"),
)


def write_import_files(folder: Path, good: list[dict[str, str]]) -> dict[str, Path]:
    """One JSON Lines file (good records around the bad lines), one folder of pages, one WARC."""
    folder.mkdir(parents=True, exist_ok=True)
    pages, lines = folder / "pages", folder / "bad.jsonl"
    pages.mkdir(exist_ok=True)
    rows = [_line(g) for g in good[: len(good) // 2]]
    rows += [case.payload() for case in IMPORT_CASES if case.form == "jsonl"]
    rows += [_line(g) for g in good[len(good) // 2 :]]
    lines.write_bytes(b"\n".join(rows) + b"\n")
    for case in IMPORT_CASES:
        if case.form == "html":
            _write_page(pages / f"{case.kind}.html", case)
    warc = folder / "bad.warc.gz"
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for case in IMPORT_CASES:
            if case.form == "warc":
                _write_response(writer, case)
    return {"jsonl": lines, "html": pages, "warc": warc}


def _write_page(path: Path, case: ImportCase) -> None:
    if case.special == "symlink":
        path.symlink_to("/etc/passwd")
    elif case.special == "fifo":
        os.mkfifo(path)
    elif case.special == "sparse":
        with path.open("wb") as handle:
            handle.truncate(1536 << 20)  # 1.5 GB to whoever reads it, no disk
    else:
        path.write_bytes(case.payload())


def _write_response(writer: WARCWriter, case: ImportCase) -> None:
    headers = StatusAndHeaders("200 OK", list(case.headers), protocol="HTTP/1.1")
    record = writer.create_warc_record(
        case.url, "response", payload=io.BytesIO(case.payload()), http_headers=headers,
        warc_headers_dict={"WARC-Date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
    )  # fmt: skip
    writer.write_record(record)


def jsonl_input_id(path: Path, kind: str) -> str:
    """The importer's input id of a kind's line in the JSON Lines file."""
    rows = path.read_bytes().split(b"\n")
    payload = next(c.payload() for c in IMPORT_CASES if c.kind == kind)
    return f"import:{path.name}:{rows.index(payload) + 1}"


# Every kind of the table in docs/bad-inputs.md, in its order, with what it is.
KINDS: dict[str, str] = {
    "binary_as_html": "binary bytes served or saved as text/html",
    "pdf": "a PDF (application/pdf)",
    "pdf_as_html": "a PDF served or saved as text/html",
    "page_50mb": "a 50 MB page",
    "gzip_bomb": "gzip bomb: 200 MB of zeros behind ~200 KB (Content-Encoding: gzip)",
    "brotli_bomb": "brotli bomb: 50 MB (web) / 200 MB (import) of zeros (Content-Encoding: br)",
    "redirect_loop": "an endless redirect loop",
    "server_errors": "a 5xx storm: every page of a site answers 500/502/503",
    "slow_loris": "a server that answers slower than the crawler's timeout",
    "wrong_charset": "GBK bytes declared as UTF-8",
    "absent_charset": "GBK bytes, no charset anywhere",
    "mixed_encodings": "half UTF-8, half GBK in one page",
    "nul_bytes": "NUL bytes inside the text",
    "deep_nesting": "10,000 nested <div> elements",
    "only_chrome": "a page of only navigation, breadcrumbs, footer and ICP lines",
    "empty_page": "an empty body",
    "one_character": "a one-character document",
    "one_repeated_character": "one character repeated 20,000 times",
    "long_single_line": "~40,000 characters on one line",
    "invalid_link_urls": "links with invalid URLs (http://[::1, ht!tp://x, //)",
    "non_http_scheme": "non-http schemes (ftp:, mailto:, javascript:, data:)",
    "javascript_url": "a javascript: URL as the document URL",
    "private_redirect": "redirects to 169.254.169.254, 10.0.0.1, 127.0.0.2 as 2130706434/0x7f000002, …",
    "no_address_redirect": "a redirect to a host that is no address (`http://999.0.0.1:…/`)",
    "malformed_sites_file": "malformed sites files (bad TOML, unknown field, bad regex, bad URL)",
    "malformed_jsonl": "a cut-off JSON Lines line",
    "jsonl_not_object": "a JSON Lines line that is not an object",
    "jsonl_no_content": "a JSON Lines record without text or html",
    "invalid_utf8_jsonl": "a JSON Lines line that is not UTF-8",
    "iri_url": "a URL with Chinese characters in its path (an IRI)",
    "upper_case_scheme": "a URL with an upper-case scheme and host, and a space (`HTTP://BAD.example/a b`)",
    "lone_surrogate_jsonl": 'a JSON string holding a lone surrogate (`"\\ud800"`)',
    "deep_json": "JSON nested 1,000 levels",
    "bad_ipv6_url": "an unparsable URL (`http://[::1`)",
    "huge_jsonl_line": "a 30 MB JSON Lines line",
    "huge_file": "a 1.5 GB page file (sparse)",
    "symlink_out": "a symlink out of the folder (to /etc/passwd)",
    "fifo": "a FIFO named like a page",
}
