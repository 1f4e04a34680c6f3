"""Downloader middlewares: refuse unsafe URLs, honour Crawl-delay, send conditional requests,
and write every response (and every 304) to the WARC archive."""

from __future__ import annotations

import http.client
import logging
import time
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from w3lib.url import safe_url_string

from archive.warc import Exchange, capture_ref
from crawler.addresses import check_url
from crawler.errors import RefusedRequest
from crawler.seen import SeenEntry
from crawler.services import services_for

logger = logging.getLogger(__name__)

# A robots.txt asking for more than this is capped (and the cap recorded in the stats).
MAX_CRAWL_DELAY_S = 30.0
SEEN = "dc_seen"
CAPTURE = "dc_capture"


class _CrawlerMiddleware:
    """A downloader middleware that reads the crawler's services and stats (scrapy's from_crawler)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        return cls(crawler)


class SafetyMiddleware(_CrawlerMiddleware):
    """Only http/https; private and loopback addresses only for allow-listed hosts, networks and
    ports (every redirect hop too, since its target comes back through here as a new request)."""

    def process_request(self, request: Request) -> None:
        site = services_for(self.crawler).site
        try:
            check_url(request.url, site.allow_private_hosts, allow_any=site.allow_any_private)
        except RefusedRequest as refused:
            self.crawler.stats.inc_value(f"dedupcrawl/refused/{refused.reason}")
            logger.warning("refused %s: %s", request.url, refused.detail)
            raise IgnoreRequest(str(refused)) from refused


class RedirectTargetMiddleware(_CrawlerMiddleware):
    """A redirect whose Location is no URL (a host like 999.0.0.1: w3lib from 2.6 on refuses
    it) is refused here, as `no_host`, before Scrapy's RedirectMiddleware fails to build its
    request and hands the spider a bare ValueError. Every other target is checked by
    SafetyMiddleware when its request comes back through it."""

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location") if 300 <= response.status < 400 else None
        if not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        try:
            safe_url_string(target)
        except ValueError as exc:
            self.crawler.stats.inc_value("dedupcrawl/refused/no_host")
            logger.warning("refused the redirect from %s to %s: %s", request.url, target, exc)
            raise IgnoreRequest(f"no_host: {exc}") from exc
        return response


class PoliteRobotsMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware plus what it ignores: Crawl-delay, per host."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._last_release: dict[str, float] = {}

    async def process_request(self, request: Request, spider: Any = None) -> None:
        await super().process_request(request)
        if request.meta.get("dont_obey_robotstxt"):
            return
        delay = self._crawl_delay(request)
        if delay:
            await self._wait_turn(urlparse_cached(request).netloc, delay)

    def _crawl_delay(self, request: Request) -> float:
        parser = self._parsers.get(urlparse_cached(request).netloc)
        if parser is None or not hasattr(parser, "crawl_delay"):
            return 0.0
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
        delay = parser.crawl_delay(agent or "") or 0.0
        capped = min(float(delay), MAX_CRAWL_DELAY_S)
        self._stats.max_value("dedupcrawl/crawl_delay_s", capped)
        return capped

    async def _wait_turn(self, netloc: str, delay: float) -> None:
        # Measured from the previous request's actual release, not its planned one, so a late
        # wake-up under load never lets the next request follow closer than the delay.
        while True:
            now = time.monotonic()
            wait = self._last_release.get(netloc, -delay) + delay - now
            if wait <= 0:
                self._last_release[netloc] = now
                return
            await sleep(wait)


class ConditionalRequestMiddleware:
    """A request carrying the URL's seen entry asks If-None-Match / If-Modified-Since."""

    def process_request(self, request: Request) -> None:
        seen: SeenEntry | None = request.meta.get(SEEN)
        if seen is None or seen.capture is None:
            return
        if seen.etag:
            request.headers[b"If-None-Match"] = seen.etag.encode("latin-1")
        if seen.last_modified:
            request.headers[b"If-Modified-Since"] = seen.last_modified.encode("latin-1")
        codes = set(request.meta.get("handle_httpstatus_list", ())) | {304}
        request.meta["handle_httpstatus_list"] = sorted(codes)


class CaptureMiddleware(_CrawlerMiddleware):
    """Sits next to the downloader, so it sees raw responses, redirects and 304s included."""

    def process_response(self, request: Request, response: Response) -> Response:
        services = services_for(self.crawler)
        exchange = _exchange(request, response)
        seen: SeenEntry | None = request.meta.get(SEEN)
        try:
            if response.status == 304 and seen is not None and seen.capture is not None:
                services.archive.write_revisit(exchange, seen.capture)
                request.meta[CAPTURE] = seen.capture
                self.crawler.stats.inc_value("dedupcrawl/revisits")
            else:
                written = services.archive.write_exchange(exchange)
                site = services.site
                request.meta[CAPTURE] = capture_ref(written, exchange, site.name, site.encoding)
            self.crawler.stats.inc_value("dedupcrawl/captures")
        except OSError as exc:
            self.crawler.stats.inc_value("dedupcrawl/failed/capture_failed")
            logger.error("cannot archive %s: %s", response.url, exc)
            request.meta.pop(CAPTURE, None)
        return response


def _exchange(request: Request, response: Response) -> Exchange:
    return Exchange(
        url=response.url,
        method=request.method,
        request_headers=_pairs(request.headers),
        status=response.status,
        reason=http.client.responses.get(response.status, ""),
        response_headers=_pairs(response.headers),
        body=response.body,
        fetched_at=datetime.now(UTC),
    )


def _pairs(headers: Any) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
