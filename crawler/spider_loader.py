"""Scrapy spider loader: a spider class per `[[site]]` of the sites file (`scrapy crawl <site>`)."""

from __future__ import annotations

import builtins
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider

from crawler.config import SiteConfig, SitesConfig, load_sites
from crawler.services import SITES_FILE
from crawler.spiders.kinds import SPIDERS


def spider_class(site: SiteConfig, sites: SitesConfig) -> type[Spider]:
    """A spider class for `site`: its kind's spider with the site's name, domains and settings."""
    base = SPIDERS[site.kind]
    attributes = {
        "name": site.name,
        "site": site,
        "allowed_domains": list(site.allowed_domains),
        "custom_settings": site_settings(site, sites),
    }
    return type(f"{base.__name__}_{site.name.replace('-', '_')}", (base,), attributes)


def site_settings(site: SiteConfig, sites: SitesConfig) -> dict[str, Any]:
    polite = site.politeness
    settings: dict[str, Any] = {
        "USER_AGENT": sites.user_agent,
        "ROBOTSTXT_OBEY": polite.obey_robots,
        "AUTOTHROTTLE_ENABLED": polite.autothrottle,
        "DOWNLOAD_DELAY": polite.delay_s,
        "CONCURRENT_REQUESTS_PER_DOMAIN": polite.concurrency,
        "DOWNLOAD_TIMEOUT": polite.timeout_s,
        "RETRY_TIMES": polite.retries,
    }
    if site.max_pages:
        settings["CLOSESPIDER_PAGECOUNT"] = site.max_pages
    if site.kind == "generic" and not site.list_patterns:
        settings["DEPTH_LIMIT"] = 3
    return settings


class SiteSpiderLoader:
    def __init__(self, sites: SitesConfig | None) -> None:
        self._sites = sites

    @classmethod
    def from_settings(cls, settings: Any) -> SiteSpiderLoader:
        path = settings.get(SITES_FILE)
        return cls(load_sites(path) if path else None)

    def load(self, spider_name: str) -> type[Spider]:
        if self._sites is None or spider_name not in self._sites.names:
            raise KeyError(f"Spider not found: {spider_name} (set {SITES_FILE} to a sites file)")
        return spider_class(self._sites.site(spider_name), self._sites)

    def list(self) -> list[str]:
        return list(self._sites.names) if self._sites else []

    def find_by_request(self, request: Request) -> builtins.list[str]:
        if self._sites is None:
            return []
        host = urlsplit(request.url).hostname or ""
        return [
            s.name
            for s in self._sites.sites
            if any(host == d or host.endswith("." + d) for d in s.allowed_domains)
        ]
