"""The fixture web as a pure function from (path, query, request headers) to a reply.

Layout (B = base URL):
    /robots.txt                      Crawl-delay, Disallow /wenku/private/ and /_fixture/, Sitemap
    /wenku/list/{n}.html             doc-sharing list pages (tracking-parameter duplicates, a 404,
                                     a robots-disallowed link), paginated
    /wenku/doc/{id}.html, {id}_{k}.html   multi-page documents, "第k页/共N页"; some previews stop
                                     early ("剩余N页未读") — the truncated documents
    /news/index.html, /news/list_{n}.html, /news/sitemap.xml, /news/{yyyy}/{mm}/{id}.html
                                     one slow article, one 500 article, one that changes on demand
    /gov/index.html, /gov/zwgk/{id}.html   GBK pages without a charset header; /gov/old/{id}.html
                                     redirects twice; /gov/jump.html redirects to http://localhost
    /bad/...                         the bad-input corpus (synthetic/fixture_web/bad.py)
    /_fixture/truth                  JSON ground truth: document URL → corpus doc id and pages
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email.utils import format_datetime, parsedate_to_datetime

from synthetic.corpus import CorpusDoc, generate
from synthetic.fixture_web import bad, markup

PAGE_CHARS = 900
MAX_PAGES = 6
LIST_SIZE = 20
PREVIEW_PAGES = 2
SLOW_ARTICLE_INDEX = 1
CHANGING_ARTICLE_INDEX = 0
BROKEN_ARTICLE = "/news/2099/01/9999999.html"
MISSING_DOC = "/wenku/doc/9999999.html"
CHANGE_NOTE = "（本文已于近日更新：补充了会议部署的最新落实情况。）"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class FixtureDoc:
    """A corpus document placed on one of the three sites."""

    number: int
    corpus: CorpusDoc
    site: str
    path: str
    pages: tuple[str, ...]
    page_paths: tuple[str, ...]
    total_pages: int

    @property
    def truncated(self) -> bool:
        return len(self.pages) < self.total_pages


@dataclass
class FixtureWeb:
    """All pages of the fixture web; `changed` is the switch a test flips between two crawls."""

    base: str
    docs: Sequence[FixtureDoc]
    crawl_delay: float = 0.1
    slow_s: float = 1.0
    changed: bool = False
    _cache: dict[str, Reply] = field(default_factory=dict)
    # Lookups built once: finding a document by scanning them all made a large fixture web
    # (the benchmark's) cost the server more than the pages themselves.
    _sites: dict[str, list[FixtureDoc]] = field(init=False, repr=False)
    _by_path: dict[str, FixtureDoc] = field(init=False, repr=False)
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sites = {"wenku": [], "news": [], "gov": []}
        for doc in self.docs:
            self._sites[doc.site].append(doc)
        self._by_path = {doc.path: doc for doc in self.docs}
        self._index = {doc.path: i for docs in self._sites.values() for i, doc in enumerate(docs)}

    @property
    def by_site(self) -> dict[str, list[FixtureDoc]]:
        return self._sites

    def doc_at(self, site: str, path: str) -> FixtureDoc | None:
        doc = self._by_path.get(path)
        return doc if doc is not None and doc.site == site else None

    def index_of(self, doc: FixtureDoc) -> int:
        """The document's position on its site (the lists' order)."""
        return self._index[doc.path]

    def truth(self) -> dict[str, dict[str, object]]:
        return {
            self.base + doc.path: {
                "doc_id": doc.corpus.doc_id,
                "site": doc.site,
                "site_kind": doc.corpus.site_kind,
                "family": doc.corpus.family,
                "pages": [self.base + p for p in doc.page_paths],
                "total_pages": doc.total_pages,
                "truncated": doc.truncated,
            }
            for doc in self.docs
        }


def build(base: str, n_docs: int, seed: int = 7, crawl_delay: float = 0.1, slow_s: float = 1.0) -> FixtureWeb:
    corpus = generate(n_docs, seed)
    shared = itertools.count()
    # Every fifth document of the doc-sharing site is a preview that stops before its end.
    previews = [doc.site_kind == "docshare" and next(shared) % 5 == 1 for doc in corpus]
    docs = [_place(i, doc, preview) for i, (doc, preview) in enumerate(zip(corpus, previews, strict=True))]
    return FixtureWeb(base=base.rstrip("/"), docs=docs, crawl_delay=crawl_delay, slow_s=slow_s)


def _place(number: int, doc: CorpusDoc, preview: bool) -> FixtureDoc:
    if doc.site_kind == "docshare":
        chunks = _split_pages(doc.noisy)
        shown = chunks[: max(1, min(PREVIEW_PAGES, len(chunks) - 1))] if preview else chunks
        paths = tuple(
            f"/wenku/doc/{number}.html" if k == 1 else f"/wenku/doc/{number}_{k}.html"
            for k in range(1, len(shown) + 1)
        )
        return FixtureDoc(number, doc, "wenku", paths[0], tuple(shown), paths, len(chunks))
    if doc.site_kind == "news":
        path = f"/news/{doc.published:%Y/%m}/{number}.html"
        return FixtureDoc(number, doc, "news", path, (doc.noisy,), (path,), 1)
    path = f"/gov/zwgk/{number}.html"
    return FixtureDoc(number, doc, "gov", path, (doc.noisy,), (path,), 1)


def _split_pages(text: str) -> list[str]:
    """Cut at paragraph breaks into pages of about PAGE_CHARS, at most MAX_PAGES."""
    size = max(PAGE_CHARS, len(text) // MAX_PAGES + 1)
    pages, current = [], ""
    for para in text.split("\n"):
        if current and len(current) + len(para) > size:
            pages.append(current)
            current = ""
        current += para + "\n"
    pages.append(current)
    return [p for p in pages if p.strip()] or [text]


def respond(web: FixtureWeb, path: str, query: str, headers: dict[str, str]) -> Reply:
    """Serve one request; conditional requests get 304 when the validators match."""
    key = f"{path}?{query}|{web.changed}"
    reply = web._cache.get(key)
    if reply is None:
        reply = _route(web, path, query)
        if reply.status == 200 and not path.startswith("/_fixture/"):
            web._cache[key] = reply
    return _conditional(reply, headers)


def warm(web: FixtureWeb) -> None:
    """Render (and cache) every document page and list page of the doc-sharing and news sites."""
    lists = -(-len(web.by_site["wenku"]) // LIST_SIZE), -(-len(web.by_site["news"]) // LIST_SIZE)
    paths = [p for doc in web.docs for p in doc.page_paths]
    paths += [f"/wenku/list/{n}.html" for n in range(1, lists[0] + 1)]
    paths += [f"/news/list_{n}.html" for n in range(1, lists[1] + 1)]
    for path in paths:
        respond(web, path, "", {})


def _conditional(reply: Reply, headers: dict[str, str]) -> Reply:
    if reply.status != 200:
        return reply
    own = dict(reply.headers)
    etag = own.get("ETag")
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return _not_modified(reply, own) if etag and etag in if_none_match else reply
    since = headers.get("if-modified-since")
    if since and "Last-Modified" in own and _not_newer(own["Last-Modified"], since):
        return _not_modified(reply, own)
    return reply


def _not_modified(reply: Reply, own: dict[str, str]) -> Reply:
    keep = tuple((k, v) for k, v in own.items() if k in ("ETag", "Last-Modified", "Cache-Control"))
    return Reply(304, keep, b"", reply.delay_s)


def _not_newer(last_modified: str, since: str) -> bool:
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def _route(web: FixtureWeb, path: str, query: str) -> Reply:
    if path == "/robots.txt":
        return _text(_robots(web), "text/plain; charset=utf-8")
    if path.startswith("/wenku/"):
        return _wenku(web, path)
    if path.startswith("/news/"):
        return _news(web, path)
    if path.startswith(bad.PREFIX):
        page = bad.respond(path, web.base)
        return Reply(*page) if page else _missing()
    if path.startswith("/gov/"):
        return _gov(web, path)
    if path == "/_fixture/truth":
        return _text(json.dumps(web.truth(), ensure_ascii=False), "application/json")
    return _missing()


def _robots(web: FixtureWeb) -> str:
    return (
        "User-agent: *\n"
        f"Crawl-delay: {web.crawl_delay}\n"
        "Disallow: /wenku/private/\n"
        "Disallow: /_fixture/\n"
        f"Sitemap: {web.base}/news/sitemap.xml\n"
    )


# --- doc-sharing site -------------------------------------------------------------------------

WENKU_LIST = re.compile(r"^/wenku/list/(\d+)\.html$")
WENKU_DOC = re.compile(r"^/wenku/doc/(\d+)(?:_(\d+))?\.html$")


def _wenku(web: FixtureWeb, path: str) -> Reply:
    docs = web.by_site["wenku"]
    if path == "/wenku/" or path == "/wenku/index.html":
        return _redirect(301, web.base + "/wenku/list/1.html")
    if match := WENKU_LIST.match(path):
        return _wenku_list(web, docs, int(match.group(1)))
    if match := WENKU_DOC.match(path):
        number, page = int(match.group(1)), int(match.group(2) or 1)
        doc = web.doc_at("wenku", f"/wenku/doc/{number}.html")
        if doc is None or page < 1 or page > len(doc.pages) or (page == 1 and match.group(2)):
            return _missing()
        return _html(_wenku_page(web, docs, doc, page), doc.corpus.published)
    return _missing()


def _wenku_list(web: FixtureWeb, docs: list[FixtureDoc], n: int) -> Reply:
    pages = max(1, -(-len(docs) // LIST_SIZE))
    if n < 1 or n > pages:
        return _missing()
    items = []
    for i, doc in enumerate(docs[(n - 1) * LIST_SIZE : n * LIST_SIZE]):
        # The same document linked again with tracking parameters, as real list pages do.
        href = doc.path + ("?utm_source=list&spm=a2c4.1001" if i % 3 == 0 else "")
        items.append(f'<li><a href="{href}">{_e(doc.corpus.title)}</a> <span>{doc.total_pages}页</span></li>')
        if i % 3 == 0:
            items.append(f'<li class="hot"><a href="{doc.path}?from=hot">{_e(doc.corpus.title)}</a></li>')
    if n == 1:
        items.append(f'<li><a href="{MISSING_DOC}">已删除的文档</a></li>')
        items.append('<li><a href="/wenku/private/1.html">会员专享文档</a></li>')
    pager = _list_pager("/wenku/list/{}.html", n, pages)
    body = f'<ul class="doclist">{"".join(items)}</ul>{pager}'
    return _html(_wenku_chrome(web, "文档列表", body, ["首页", "文档列表"], docs[:5]), date(2024, 1, 1))


def _wenku_page(web: FixtureWeb, docs: list[FixtureDoc], doc: FixtureDoc, page: int) -> str:
    corpus = doc.corpus
    meta = (
        f'<div class="upload-meta">上传人：{_e(_uploader(doc.number))} '
        f"文档编号：{93586100 + doc.number} "
        f"上传时间：{corpus.published:%Y-%m-%d} 格式：DOC 页数：{doc.total_pages} "
        f"大小：{len(corpus.noisy.encode()) / 1024:.2f}KB</div>"
    )
    links = " ".join(
        f'<a href="{p}">{k}</a>' if k != page else f"<b>{k}</b>"
        for k, p in enumerate(doc.page_paths, start=1)
    )
    nxt = f' <a href="{doc.page_paths[page]}">下一页</a>' if page < len(doc.page_paths) else ""
    pager = f'<div class="pager">第{page}页/共{doc.total_pages}页 {links}{nxt}</div>'
    preview = ""
    if doc.truncated and page == len(doc.pages):
        rest = doc.total_pages - len(doc.pages)
        pay = f'<a href="/wenku/pay/{doc.number}.html">下载完整文档</a>'
        preview = f'<div class="preview-end">剩余{rest}页未读，{pay}</div>'
    first = sum(markup.sheet_count(text) for text in doc.pages[: page - 1]) + 1
    total = sum(markup.sheet_count(text) for text in doc.pages)
    sheets = markup.doc_sheets(doc.pages[page - 1], first, total, f"/wenku/pay/{doc.number}.html")
    body = (
        f"<h1>{_e(corpus.title)}</h1>{meta}"
        f'<div class="content">{sheets}</div>{preview}{pager}'
        '<div class="actions">返回 下载 相关 举报</div>'
    )
    crumbs = ["首页", "讲话稿", corpus.title]
    return _wenku_chrome(web, corpus.title, body, crumbs, _neighbours(web, docs, doc))


def _wenku_chrome(
    web: FixtureWeb, title: str, body: str, crumbs: list[str], side: Sequence[FixtureDoc]
) -> str:
    return _page(
        title=f"{title} - 范文文库网",
        header='<div class="logo">范文文库网</div>',
        nav=["首页", "讲话稿", "工作总结", "心得体会", "会员中心"],
        crumbs=crumbs,
        body=body,
        side="".join(f'<li><a href="{d.path}">{_e(d.corpus.title)}</a></li>' for d in side),
        footer="本站为文档C TO C交易模式，本站只提供存储空间。"
        "客服QQ：270778972 工信部备案号：浙ICP备12345678号-2",
        charset="utf-8",
    )


def _uploader(number: int) -> str:
    return "张李王赵刘陈杨黄"[number % 8] + "***"


def _neighbours(web: FixtureWeb, docs: list[FixtureDoc], doc: FixtureDoc) -> list[FixtureDoc]:
    index = web.index_of(doc)
    return [d for d in docs[max(0, index - 2) : index + 3] if d is not doc]


# --- news site --------------------------------------------------------------------------------

NEWS_LIST = re.compile(r"^/news/list_(\d+)\.html$")
NEWS_ARTICLE = re.compile(r"^/news/\d{4}/\d{2}/(\d+)\.html$")


def _news(web: FixtureWeb, path: str) -> Reply:
    docs = web.by_site["news"]
    if path in ("/news/", "/news/index.html"):
        return _news_list(web, docs, 1)
    if match := NEWS_LIST.match(path):
        return _news_list(web, docs, int(match.group(1)))
    if path == "/news/sitemap.xml":
        return _text(_sitemap(web, docs), "application/xml")
    if path == BROKEN_ARTICLE:
        return Reply(500, (("Content-Type", "text/html; charset=utf-8"),), "<h1>500 服务器错误</h1>".encode())
    if NEWS_ARTICLE.match(path):
        doc = web.doc_at("news", path)
        if doc is None:
            return _missing()
        return _news_article(web, docs, doc)
    return _missing()


def _news_list(web: FixtureWeb, docs: list[FixtureDoc], n: int) -> Reply:
    pages = max(1, -(-len(docs) // LIST_SIZE))
    if n < 1 or n > pages:
        return _missing()
    items = [
        f'<li><a href="{d.path}">{_e(d.corpus.title)}</a><span>{d.corpus.published}</span></li>'
        for d in docs[(n - 1) * LIST_SIZE : n * LIST_SIZE]
    ]
    if n == 1:
        items.append(f'<li><a href="{BROKEN_ARTICLE}">系统维护中的文章</a></li>')
    body = f'<ul class="newslist">{"".join(items)}</ul>{_list_pager("/news/list_{}.html", n, pages)}'
    return _html(_news_chrome("要闻", body, ["首页", "要闻"], docs[:6]), date(2024, 1, 1))


def _news_article(web: FixtureWeb, docs: list[FixtureDoc], doc: FixtureDoc) -> Reply:
    corpus = doc.corpus
    changing = web.changed and web.index_of(doc) == CHANGING_ARTICLE_INDEX
    text = corpus.noisy + ("\n" + CHANGE_NOTE if changing else "")
    modified = date(2025, 6, 1) if changing else corpus.published
    if web.index_of(doc) % 2 == 1:  # every other article written in meipian's editor
        others = [d.corpus.title for d in docs[:6] if d is not doc]
        page = markup.meipian_article(corpus.title, "乔立龙", corpus.published, text, others)
        return _timed(web, doc, _html(page, modified))
    body = (
        f"<h1>{_e(corpus.title)}</h1>"
        f'<div class="info">发布时间：{corpus.published} 来源：本网 编辑：新闻中心</div>'
        f'<div class="article">{_paragraphs(text)}</div>'
        '<div class="share">分享到：微信 微博 QQ空间</div>'
    )
    return _timed(
        web, doc, _html(_news_chrome(corpus.title, body, ["首页", "要闻", "正文"], docs[:6]), modified)
    )


def _timed(web: FixtureWeb, doc: FixtureDoc, reply: Reply) -> Reply:
    """The reply, delayed when `doc` is the slow article."""
    slow = web.index_of(doc) == SLOW_ARTICLE_INDEX
    return Reply(reply.status, reply.headers, reply.body, web.slow_s if slow else 0.0)


def _news_chrome(title: str, body: str, crumbs: list[str], side: Sequence[FixtureDoc]) -> str:
    return _page(
        title=f"{title}_新闻中心",
        header='<div class="logo">城市新闻网</div><div class="date">今天是</div>',
        nav=["首页", "要闻", "时政", "社会", "视频", "专题"],
        crumbs=crumbs,
        body=body,
        side="<h3>热点新闻</h3>"
        + "".join(f'<li><a href="{d.path}">{_e(d.corpus.title)}</a></li>' for d in side),
        footer="版权所有 城市新闻网 京ICP备20201234号 京公网安备11010502030000号 "
        "违法和不良信息举报电话：010-12345678",
        charset="utf-8",
    )


def _sitemap(web: FixtureWeb, docs: list[FixtureDoc]) -> str:
    urls = "".join(
        f"<url><loc>{web.base}{d.path}</loc><lastmod>{d.corpus.published}</lastmod></url>" for d in docs
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


# --- county government site (GBK) -------------------------------------------------------------

GOV_DOC = re.compile(r"^/gov/zwgk/(\d+)\.html$")
GOV_OLD = re.compile(r"^/gov/old/(\d+)\.html$")
GOV_TMP = re.compile(r"^/gov/tmp/(\d+)\.html$")


def _gov(web: FixtureWeb, path: str) -> Reply:
    docs = web.by_site["gov"]
    if path in ("/gov/", "/gov/index.html"):
        return _gov_list(web, docs)
    if match := GOV_OLD.match(path):
        return _redirect(301, f"{web.base}/gov/tmp/{match.group(1)}.html")
    if match := GOV_TMP.match(path):
        return _redirect(302, f"/gov/zwgk/{match.group(1)}.html")
    if path == "/gov/jump.html":
        return _redirect(302, web.base.replace("127.0.0.1", "localhost") + "/gov/zwgk/outside.html")
    if GOV_DOC.match(path):
        doc = web.doc_at("gov", path)
        return _gov_page(doc) if doc else _missing()
    return _missing()


def _gov_list(web: FixtureWeb, docs: list[FixtureDoc]) -> Reply:
    items = []
    for i, doc in enumerate(docs):
        # Every third document is linked through its old address, which redirects twice.
        href = f"/gov/old/{doc.number}.html" if i % 3 == 1 else doc.path
        items.append(
            f'<li><a href="{href}">{_e(doc.corpus.title)}</a><span>{doc.corpus.published}</span></li>'
        )
    items.append('<li><a href="/gov/jump.html">外部链接</a></li>')
    body = f'<ul class="zwgk">{"".join(items)}</ul>'
    return _gbk(_gov_chrome("政务公开", body, ["首页", "政务公开"]), date(2024, 1, 1))


def _gov_page(doc: FixtureDoc) -> Reply:
    corpus = doc.corpus
    body = markup.gov_article(corpus.title, corpus.published, corpus.noisy, doc.number)
    return _gbk(_gov_chrome(corpus.title, body, ["首页", "政务公开", "领导讲话"]), corpus.published)


def _gov_chrome(title: str, body: str, crumbs: list[str]) -> str:
    nav = ["首页", "政务公开", "政务服务", "互动交流", "走进某某"]
    side = markup.gov_side(["政务服务", "办事指南", "便民服务", "政策解读", "通知公告"])
    return markup.gov_table_page(title, nav, crumbs, body, side)


# --- shared pieces ----------------------------------------------------------------------------


def _page(
    *,
    title: str,
    header: str,
    nav: list[str],
    crumbs: list[str],
    body: str,
    side: str,
    footer: str,
    charset: str,
) -> str:
    nav_html = "".join(f'<li><a href="#">{_e(n)}</a></li>' for n in nav)
    crumb_html = " &gt; ".join(_e(c) for c in crumbs)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head>'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{_e(title)}</title></head><body>"
        f'<div class="header">{header}<ul class="nav">{nav_html}</ul></div>'
        f'<div class="crumbs">当前位置：{crumb_html}</div>'
        f'<div class="main">{body}</div><ul class="sidebar">{side}</ul>'
        f'<div class="footer">{_e(footer)}</div></body></html>'
    )


def _list_pager(pattern: str, n: int, pages: int) -> str:
    links = " ".join(f'<a href="{pattern.format(k)}">{k}</a>' for k in range(1, pages + 1) if k != n)
    nxt = f' <a href="{pattern.format(n + 1)}">下一页</a>' if n < pages else ""
    return f'<div class="listpager">第{n}页/共{pages}页 {links}{nxt}</div>'


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_e(line)}</p>" for line in text.split("\n") if line.strip())


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html(page: str, modified: date) -> Reply:
    return _reply(page.encode("utf-8"), "text/html; charset=utf-8", modified)


def _gbk(page: str, modified: date) -> Reply:
    # No charset in the header: the page declares it only in a meta tag, as many county sites do.
    return _reply(page.encode("gbk", errors="xmlcharrefreplace"), "text/html", modified)


def _text(text: str, content_type: str) -> Reply:
    return Reply(200, (("Content-Type", content_type),), text.encode("utf-8"))


def _reply(body: bytes, content_type: str, modified: date) -> Reply:
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # noqa: S324 - a validator
    stamp = format_datetime(datetime.combine(modified, time(8, 0), tzinfo=UTC), usegmt=True)
    return Reply(200, (("Content-Type", content_type), ("ETag", etag), ("Last-Modified", stamp)), body)


def _redirect(status: int, location: str) -> Reply:
    return Reply(status, (("Location", location), ("Content-Type", "text/html")), b"<a>moved</a>")


def _missing() -> Reply:
    return Reply(404, (("Content-Type", "text/html; charset=utf-8"),), "<h1>404 页面不存在</h1>".encode())
