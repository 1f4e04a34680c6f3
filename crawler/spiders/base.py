"""The spider every site kind builds on: list pages → document pages → continuation pages."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.response import get_base_url
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.config import SiteConfig
from crawler.items import CrawledDocument
from crawler.links import (
    LinkFinder,
    PagerArea,
    canonical,
    continuation_number,
    hrefs,
    matches_any,
    page_count,
    pager_link,
    texts,
)
from crawler.middlewares import CAPTURE, SEEN
from crawler.seen import SeenEntry
from crawler.services import services_for
from crawler.spiders.state import DocState, PageResult

DOC = "dc_doc"
CONTINUATION_PRIORITY = 10


class SiteSpider(scrapy.Spider):
    """Built per site by the spider loader: `site` holds the site's configuration."""

    site: ClassVar[SiteConfig]
    multi_page: ClassVar[bool] = True
    follow_unmatched: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site = self.site
        self.list_res = [re.compile(p) for p in site.list_patterns]
        self.doc_res = [re.compile(p) for p in site.document_patterns]
        self.page_re = re.compile(site.page_pattern)
        self.count_re = re.compile(site.page_count_pattern)
        self.links = LinkFinder(site.css.links, site.strip_params)
        self.pager = PagerArea(site.css.pager)
        # Lists, sitemaps and sidebars name the same URLs over and over: each is followed (or
        # skipped as recently fetched) once, rather than left to Scrapy's duplicate filter.
        self.followed: set[str] = set()

    async def start(self) -> AsyncIterator[Request]:
        for url in self.site.start_urls:
            yield Request(url, callback=self.parse_list)
        for url in self.site.sitemap_urls:
            yield Request(url, callback=self.parse_sitemap)

    # --- list pages and sitemaps -------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Request]:
        self._count("list_pages")
        response = self._decoded(response)
        if not isinstance(response, TextResponse):
            return
        yield from self._follow(self.links.urls(response))

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # lxml raises several kinds on garbage; a bad sitemap is just skipped
            self._count("failed/bad_sitemap")
            return
        locs = [entry["loc"] for entry in sitemap if entry.get("loc")]
        if sitemap.type == "sitemapindex":
            yield from (Request(u, callback=self.parse_sitemap) for u in locs)
            return
        yield from self._follow(locs)

    def _follow(self, urls: Iterable[str]) -> Iterator[Request]:
        docs, lists = [], []
        for raw in urls:
            url = canonical(raw, self.site.strip_params)
            if url in self.followed:
                continue
            if matches_any(url, self.doc_res):
                docs.append(url)
            elif matches_any(url, self.list_res) or (self.follow_unmatched and not self.list_res):
                lists.append(url)
            else:
                continue
            self.followed.add(url)
        yield from (Request(u, callback=self.parse_list) for u in lists)
        yield from self._document_requests(docs)

    def _document_requests(self, urls: list[str]) -> Iterator[Request]:
        store = services_for(self.crawler).seen
        seen = store.get_many(urls) if urls else {}
        # The later pages of known documents, fetched in the same round trip for all of them.
        later = [p for entry in seen.values() for p in entry.pages[1:]]
        later_seen = store.get_many(later) if later else {}
        now = time.time()
        for url in urls:
            entry = seen.get(url)
            if entry and now - entry.fetched_at < self.site.recheck_after_s:
                self._count("skipped_recent")
                continue
            pages = entry.pages if entry else ()
            known = tuple(later_seen[p] for p in pages[1:] if p in later_seen)
            state = DocState(link=url, known_pages=pages, known_seen=known)
            yield self._page_request(url, state, entry)

    # --- documents ---------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Request | CrawledDocument]:
        state: DocState = response.meta[DOC]
        ref = response.meta.get(CAPTURE)
        if ref is None:  # not archived (disk error): never hand off what we cannot read back
            return
        seen: SeenEntry | None = response.meta.get(SEEN)
        page = self._page_result(response, ref, seen)
        state = state.add(page, response.url)
        if response.status == 200:
            self._count("pages")
        if self.multi_page:
            next_url, state = self._paginate(response, state)
            if next_url:
                yield self._continuation(next_url, state.advance())
                return
        yield self._finish(state)

    def page_failed(self, failure: Failure) -> Iterator[CrawledDocument]:
        """A later page failed: hand off the pages we have rather than lose the document."""
        dropped = ignored_reason(failure)
        if dropped:
            self._count(f"failed/{dropped}")
        request = getattr(failure, "request", None)
        state: DocState | None = request.meta.get(DOC) if request is not None else None
        if state is not None and state.pages:
            self._count("documents_incomplete")
            yield self._finish(state)

    def _page_result(self, response: Response, ref: Any, seen: SeenEntry | None) -> PageResult:
        etag = _header(response, b"ETag") or (seen.etag if seen else None)
        modified = _header(response, b"Last-Modified") or (seen.last_modified if seen else None)
        url = response.meta["dc_url"]
        if response.status == 304:
            self._count("not_modified_pages")
            return PageResult(url, ref, changed=False, etag=etag, last_modified=modified)
        changed = seen is None or seen.payload_digest != ref.payload_digest
        return PageResult(url, ref, changed=changed, etag=etag, last_modified=modified)

    def _paginate(self, response: Response, state: DocState) -> tuple[str | None, DocState]:
        """The next page's URL, if any; page 1 also tells how many pages the document announces."""
        if response.status == 304:
            known = state.known_pages
            return (known[state.number] if len(known) > state.number else None), state
        response = self._decoded(response)
        if not isinstance(response, TextResponse):
            return None, state
        pager = self.pager.nodes(response)
        if state.number == 1:
            announced = page_count(texts(pager), self.count_re)
            state = replace(state, expected=announced)
        return self._next_link(response, pager, state), state

    def _next_link(self, response: TextResponse, pager: list[Any], state: DocState) -> str | None:
        wanted = state.number + 1
        base = get_base_url(response)
        for href in hrefs(pager):
            url = pager_link(base, href, self.site.strip_params)
            if continuation_number(url, state.doc_url, self.page_re) == wanted:
                return url
        return None

    def _continuation(self, url: str, state: DocState) -> Request:
        entry = state.seen_of(url)
        if entry is None and state.known_pages and url not in state.known_pages:
            entry = services_for(self.crawler).seen.get(url)  # the page layout changed
        return self._page_request(url, state, entry, priority=CONTINUATION_PRIORITY)

    def _page_request(self, url: str, state: DocState, entry: SeenEntry | None, priority: int = 0) -> Request:
        meta: dict[str, Any] = {DOC: state, "dc_url": url}
        if entry is not None:
            meta[SEEN] = entry
        return Request(url, callback=self.parse_page, errback=self.page_failed, meta=meta, priority=priority)

    def _finish(self, state: DocState) -> CrawledDocument:
        self._count("documents")
        item = CrawledDocument(
            capture=state.capture(self.site.name, self.site.kind),
            changed=state.changed,
            seen=state.seen_entries(time.time()),
            expected_pages=state.expected,
        )
        if item.truncated:
            self._count("documents_truncated")
        return item

    # --- helpers -----------------------------------------------------------------------------

    def _decoded(self, response: Response) -> Response:
        if self.site.encoding and isinstance(response, TextResponse):
            return response.replace(encoding=self.site.encoding)
        return response

    def _count(self, name: str) -> None:
        self.crawler.stats.inc_value(f"dedupcrawl/{name}")


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


# Scrapy drops these with IgnoreRequest and counts nothing; counted here so a crawl's stats show
# every page it lost (refusals and robots.txt denials are counted where they happen).
_IGNORED = (("max redirections", "redirect_limit"), ("DOWNLOAD_MAXSIZE", "too_large"))


def ignored_reason(failure: Failure) -> str | None:
    if not failure.check(IgnoreRequest):
        return None
    message = str(failure.value)
    return next((reason for needle, reason in _IGNORED if needle in message), None)
