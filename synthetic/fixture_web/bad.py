"""The fixture web's bad site, `/bad/`: every bad-input kind of docs/bad-inputs.md that a server
can serve, as a page or as a server behaviour, next to a few good documents.

    /bad/index.html            links to every page below, plus links with invalid URLs and
                               non-http schemes (which must never be followed)
    /bad/doc/{kind}.html       one page per kind (binary, PDF, 50 MB, bombs, charsets, NULs, ...)
    /bad/doc/redirect_loop*.html   302 to the next hop, forever (a new URL each time)
    /bad/doc/server_error_{n}.html 500 / 502 / 503
    /bad/doc/slow_loris.html   answers after SLOW_S (longer than the site's timeout)
    /bad/doc/private_redirect_{n}.html  302 to 169.254.169.254, 10.0.0.1, 127.0.0.2 spelled as
                               2130706434 and 0x7f000002, and this server as localhost (none
                               allow-listed)
    /bad/doc/no_address_redirect.html  302 to 999.0.0.1, a host that is no address
    /bad/doc/good_{n}.html     ordinary speeches: they must come through unaffected
    /bad/doc/讲话稿.html        an ordinary speech at a path of Chinese characters (an IRI)
"""

from __future__ import annotations

import functools
import gzip
import html
from collections.abc import Callable
from urllib.parse import unquote

import brotli

from synthetic.corpus import generate

PREFIX = "/bad/"
SLOW_S = 4.0  # the fixture-bad site's timeout is 2 s
GOOD_DOCS = 3
IRI_DOC = "讲话稿"  # linked as written; the crawler requests it percent-encoded
BOMB_BYTES = 200 * 2**20
# Private targets. 127.0.0.2 as a number is a loopback address that is not allow-listed, however
# it is spelled (a browser, and w3lib from 2.6 on, read 2130706433 as 127.0.0.1, which is); the
# loopback ones carry `ssrf` in the query, and `localhost` names this very server, so a test sees
# in the request log whether the guard let that one through.
PRIVATE_TARGETS = (
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://2130706434:{port}/bad/doc/good_0.html?ssrf=decimal",
    "http://0x7f000002:{port}/bad/doc/good_0.html?ssrf=hex",
    "http://localhost:{port}/bad/doc/good_0.html?ssrf=name",
)
Headers = tuple[tuple[str, str], ...]
Page = tuple[int, Headers, bytes, float]  # status, headers, body, delay
HTML = "text/html; charset=utf-8"
CHROME = (
    "<div class='nav'>首页 | 新闻 | 公告 | 联系我们</div><div class='crumb'>当前位置：首页 &gt; 正文</div>"
    "<div class='footer'>版权所有 © 2024 某某网 京ICP备12345678号 京公网安备11010502030143号</div>"
    "<div>上传人：张三 文档编号：123456 上传时间：2024-01-01 格式：DOC 页数：3 大小：28KB</div>"
)
BAD_LINKS = (
    "http://[::1", "ht!tp://x", "//", "http://", "mailto:someone@example.org", "ftp://example.org/f",
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "tel:12345",
    "http://999.0.0.1/bad/doc/good_0.html", "http://a.1/bad/doc/good_0.html",  # no IPv4 address
)  # fmt: skip


@functools.cache
def _speeches() -> tuple[str, ...]:
    return tuple(doc.text for doc in generate(GOOD_DOCS + 1, seed=101))


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())


def _page(body: str, head: str = "", title: str = "测试页面") -> str:
    return f"<html><head>{head}<title>{title}</title></head><body><article>{body}</article></body></html>"


def _ok(body: bytes | str, content_type: str = HTML, *extra: tuple[str, str]) -> Page:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return 200, (("Content-Type", content_type), *extra), data, 0.0


def speech() -> str:
    """The speech the odd pages carry (tests check it comes through decoded right)."""
    return _speeches()[GOOD_DOCS]


@functools.cache
def _gzip_bomb() -> bytes:
    """Gzip members concatenate: one megabyte of zeros compressed once, repeated (instant)."""
    return gzip.compress(b"\0" * 2**20, compresslevel=9) * (BOMB_BYTES // 2**20)


@functools.cache
def _brotli_bomb() -> bytes:
    return bytes(brotli.compress(b"\0" * (BOMB_BYTES // 4), quality=0))


@functools.cache
def _fifty_megabytes() -> bytes:
    return _page(_paragraphs(speech()) + "<p>" + "字" * (50 * 2**20 // 3) + "</p>").encode("utf-8")


def _mixed() -> bytes:
    text, half = speech(), len(speech()) // 2
    head = "<html><head><meta charset='utf-8'><title>x</title></head><body><article>"
    return (
        head.encode()
        + _paragraphs(text[:half]).encode("utf-8")
        + _paragraphs(text[half:]).encode("gbk", "replace")
        + b"</article></body></html>"
    )


def _nested(depth: int) -> str:
    return "<div>" * depth + _paragraphs(speech()) + "</div>" * depth


def _links_page() -> str:
    links = "".join(f"<a href='{html.escape(link)}'>x</a>" for link in BAD_LINKS)
    return _page(_paragraphs(speech()) + links)


PAGES: dict[str, Callable[[], Page]] = {
    "binary_as_html": lambda: _ok(bytes(range(256)) * 400),
    "pdf": lambda: _ok(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 50, "application/pdf"),
    "pdf_as_html": lambda: _ok(b"%PDF-1.4\n" + bytes(range(256)) * 50),
    "page_50mb": lambda: _ok(_fifty_megabytes()),
    "gzip_bomb": lambda: _ok(_gzip_bomb(), HTML, ("Content-Encoding", "gzip")),
    "brotli_bomb": lambda: _ok(_brotli_bomb(), HTML, ("Content-Encoding", "br")),
    "slow_loris": lambda: (200, (("Content-Type", HTML),), _page(_paragraphs(speech())).encode(), SLOW_S),
    "wrong_charset": lambda: _ok(_page(_paragraphs(speech())).encode("gbk"), "text/html; charset=utf-8"),
    "absent_charset": lambda: _ok(_page(_paragraphs(speech())).encode("gbk"), "text/html"),
    "mixed_encodings": lambda: _ok(_mixed(), "text/html"),
    "nul_bytes": lambda: _ok(_page(_paragraphs(speech().replace("。", "。\0")))),
    "deep_nesting": lambda: _ok(_page(_nested(10_000))),
    "only_chrome": lambda: _ok(_page(CHROME)),
    "empty_page": lambda: _ok(b""),
    "one_character": lambda: _ok(_page("<p>会</p>")),
    "one_repeated_character": lambda: _ok(_page("<p>" + "啊" * 20_000 + "</p>")),
    "long_single_line": lambda: _ok(_page("<p>" + html.escape(speech().replace("\n", "") * 40) + "</p>")),
    "invalid_link_urls": lambda: _ok(_links_page()),
    "non_http_scheme": lambda: _ok(_links_page()),
}
# A redirect to a host that ends in a number but is no IPv4 address (a WHATWG URL parser, and
# w3lib from 2.6 on, refuse it: Scrapy cannot even build the request).
NO_ADDRESS_TARGET = "http://999.0.0.1:{port}/bad/doc/good_0.html?ssrf=noaddress"
REDIRECTS = {f"private_redirect_{n}": target for n, target in enumerate(PRIVATE_TARGETS)}
REDIRECTS["no_address_redirect"] = NO_ADDRESS_TARGET
ERRORS = {"server_error_0": 500, "server_error_1": 502, "server_error_2": 503}


def names() -> list[str]:
    """Every page linked from the index."""
    goods = [f"good_{n}" for n in range(GOOD_DOCS)]
    return [*PAGES, "redirect_loop", *REDIRECTS, *ERRORS, *goods, IRI_DOC]


def respond(path: str, base: str) -> Page | None:
    """The bad site's reply for `path` (None: not a bad-site path or no such page)."""
    if path in (PREFIX, PREFIX + "index.html"):
        links = "".join(f"<li><a href='{base}/bad/doc/{n}.html'>{n}</a></li>" for n in names())
        odd = "".join(f"<li><a href='{html.escape(link)}'>odd</a></li>" for link in BAD_LINKS)
        return _ok(_page(f"<ul>{links}{odd}</ul>", title="坏页面"))
    name = unquote(path.removeprefix(PREFIX + "doc/").removesuffix(".html"))
    hop = name.removeprefix("redirect_loop").removeprefix("_")
    if name.startswith("redirect_loop") and (hop == "" or hop.isdigit()):
        # A new URL every hop, so only the crawler's redirect limit ends it.
        return 302, (("Location", f"{base}/bad/doc/redirect_loop_{int(hop or 0) + 1}.html"),), b"", 0.0
    if name in PAGES:
        return PAGES[name]()
    if name in REDIRECTS:
        location = REDIRECTS[name].format(port=base.rsplit(":", 1)[-1])
        return 302, (("Location", location), ("Content-Type", "text/plain")), b"", 0.0
    if name in ERRORS:
        return ERRORS[name], (("Content-Type", "text/plain"),), b"server error", 0.0
    if name == IRI_DOC:
        return _ok(_page(_paragraphs(generate(1, seed=103)[0].text), title=IRI_DOC))
    if name.startswith("good_") and name[5:].isdigit() and int(name[5:]) < GOOD_DOCS:
        return _ok(_page(_paragraphs(_speeches()[int(name[5:])]), title=f"讲话{name[5:]}"))
    return None
