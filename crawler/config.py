"""The sites file (TOML): one `[[site]]` table per site, validated on load.

Every error names the site and the field, e.g. `site 'news' field 'kind': ...`.
See examples/sites.toml for every field with its meaning.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from croniter import croniter
from croniter.croniter import CroniterBadDateError

from crawler.addresses import AllowListError, parse_allow_list
from crawler.errors import SitesConfigError, UnknownSite

KINDS = ("docshare", "news", "generic")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DEFAULT_USER_AGENT = "dedupcrawl/0.1 (+https://example.org/dedupcrawl; research crawler of public speeches)"
# A continuation page of a document: `…/123_2.html` (docshare) unless the site says otherwise.
DEFAULT_PAGE_PATTERN = r"_(\d+)\.s?html?$"
DEFAULT_TRACKING_PARAMS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "spm",
    "from",
    "source",
    "share",
    "fr",
    "ref",
    "_t",
)

SITE_FIELDS = {
    "name",
    "kind",
    "start_urls",
    "allowed_domains",
    "list_patterns",
    "document_patterns",
    "page_pattern",
    "page_count_pattern",
    "sitemap_urls",
    "css",
    "encoding",
    "politeness",
    "schedule",
    "recheck_after_s",
    "allow_private_hosts",
    "allow_any_private",
    "strip_params",
    "max_pages",
}
POLITENESS_FIELDS = {
    "delay_s",
    "concurrency",
    "obey_robots",
    "autothrottle",
    "timeout_s",
    "retries",
}
CSS_FIELDS = {"links", "pager", "title", "content"}


@dataclass(frozen=True, slots=True)
class Politeness:
    delay_s: float = 1.0
    concurrency: int = 2
    obey_robots: bool = True
    autothrottle: bool = True
    timeout_s: float = 30.0
    retries: int = 2


@dataclass(frozen=True, slots=True)
class CssHints:
    """Optional selectors: `links` limits link extraction; `title`/`content` help extraction."""

    links: str | None = None
    pager: str | None = None
    title: str | None = None
    content: str | None = None


@dataclass(frozen=True, slots=True)
class SiteConfig:
    name: str
    kind: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    list_patterns: tuple[str, ...] = ()
    document_patterns: tuple[str, ...] = ()
    page_pattern: str = DEFAULT_PAGE_PATTERN
    page_count_pattern: str = r"共\s*(\d+)\s*页"
    sitemap_urls: tuple[str, ...] = ()
    css: CssHints = field(default_factory=CssHints)
    encoding: str | None = None
    politeness: Politeness = field(default_factory=Politeness)
    schedule: str | None = None
    recheck_after_s: float = 86400.0
    allow_private_hosts: tuple[str, ...] = ()
    allow_any_private: bool = False
    strip_params: tuple[str, ...] = DEFAULT_TRACKING_PARAMS
    max_pages: int = 0


@dataclass(frozen=True, slots=True)
class SitesConfig:
    sites: tuple[SiteConfig, ...]
    user_agent: str = DEFAULT_USER_AGENT
    warc_max_bytes: int = 1_000_000_000
    source: str = "<sites>"

    def site(self, name: str) -> SiteConfig:
        for site in self.sites:
            if site.name == name:
                return site
        known = ", ".join(s.name for s in self.sites) or "none"
        raise UnknownSite(f"no site {name!r} in {self.source} (sites: {known})")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(site.name for site in self.sites)


def load_sites(path: str | Path) -> SitesConfig:
    """Read and validate a sites file; raise SitesConfigError naming the site and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SitesConfigError(str(path), f"cannot read the sites file ({exc})") from exc
    return parse_sites(text, source=str(path))


def parse_sites(text: str, source: str = "<sites>") -> SitesConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SitesConfigError(source, f"not valid TOML ({exc})") from exc
    _no_unknown(data, {"crawler", "site"}, source)
    crawler = _table(data.get("crawler", {}), f"{source} [crawler]")
    _no_unknown(crawler, {"user_agent", "warc_max_bytes"}, f"{source} [crawler]")
    raw_sites = data.get("site", [])
    if not isinstance(raw_sites, list) or not raw_sites:
        raise SitesConfigError(source, "declare at least one site as a [[site]] table")
    sites = tuple(_site(raw, index, source) for index, raw in enumerate(raw_sites))
    _unique_names(sites, source)
    return SitesConfig(
        sites=sites,
        user_agent=_text(crawler, "user_agent", f"{source} [crawler]", DEFAULT_USER_AGENT),
        warc_max_bytes=_int(crawler, "warc_max_bytes", f"{source} [crawler]", 1_000_000_000, 1 << 20),
        source=source,
    )


def _site(raw: Any, index: int, source: str) -> SiteConfig:
    raw = _table(raw, f"{source} site #{index + 1}")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SitesConfigError(
            f"site #{index + 1} field 'name'",
            f"expected a name like 'news-1' ([a-z0-9_-]), got {name!r}",
        )
    where = f"site {name!r}"
    _no_unknown(raw, SITE_FIELDS, where)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _bad(where, "kind", f"must be one of {', '.join(KINDS)}; got {kind!r}")
    return SiteConfig(
        name=name,
        kind=kind,
        start_urls=_urls(raw, "start_urls", where, required=True),
        allowed_domains=_allowed_domains(raw, where),
        list_patterns=_patterns(raw, "list_patterns", where),
        document_patterns=_patterns(raw, "document_patterns", where, required=True),
        page_pattern=_pattern(raw, "page_pattern", where, DEFAULT_PAGE_PATTERN, groups=1),
        page_count_pattern=_pattern(raw, "page_count_pattern", where, r"共\s*(\d+)\s*页", groups=1),
        sitemap_urls=_urls(raw, "sitemap_urls", where),
        css=_css(raw, where),
        encoding=_encoding(raw, where),
        politeness=_politeness(raw, where),
        schedule=_schedule(raw, where),
        recheck_after_s=_float(raw, "recheck_after_s", where, 86400.0),
        allow_private_hosts=_private_hosts(raw, where),
        allow_any_private=_bool(raw, "allow_any_private", where, False),
        strip_params=_strings(raw, "strip_params", where, DEFAULT_TRACKING_PARAMS),
        max_pages=_int(raw, "max_pages", where, 0, 0),
    )


def _bad(where: str, key: str, problem: str) -> SitesConfigError:
    return SitesConfigError(f"{where} field {key!r}", problem)


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SitesConfigError(where, f"expected a table, got {type(value).__name__}")
    return value


def _no_unknown(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SitesConfigError(
            f"{where} field {unknown[0]!r}", f"unknown field (known: {', '.join(sorted(allowed))})"
        )


def _unique_names(sites: tuple[SiteConfig, ...], source: str) -> None:
    seen: set[str] = set()
    for site in sites:
        if site.name in seen:
            raise SitesConfigError(f"site {site.name!r} field 'name'", f"declared twice in {source}")
        seen.add(site.name)


def _strings(raw: Mapping[str, Any], key: str, where: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = raw.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad(where, key, f"expected a list of non-empty strings, got {value!r}")
    return tuple(value)


def _urls(raw: Mapping[str, Any], key: str, where: str, required: bool = False) -> tuple[str, ...]:
    urls = _strings(raw, key, where)
    if required and not urls:
        raise _bad(where, key, "at least one URL is required")
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise _bad(where, key, f"{url!r} is not an http(s) URL with a host")
    return urls


def _allowed_domains(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    domains = _strings(raw, "allowed_domains", where)
    if not domains:
        hosts = {urlparse(u).hostname or "" for u in _strings(raw, "start_urls", where)}
        domains = tuple(sorted(hosts))
    for domain in domains:
        if "/" in domain or ":" in domain:
            raise _bad(where, "allowed_domains", f"{domain!r}: give a host name, not a URL or port")
    return domains


def _pattern(raw: Mapping[str, Any], key: str, where: str, default: str, groups: int = 0) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise _bad(where, key, f"expected a regular expression string, got {value!r}")
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise _bad(where, key, f"invalid regular expression {value!r} ({exc})") from exc
    if compiled.groups < groups:
        raise _bad(where, key, f"{value!r} needs a group capturing the page number")
    return value


def _patterns(raw: Mapping[str, Any], key: str, where: str, required: bool = False) -> tuple[str, ...]:
    patterns = _strings(raw, key, where)
    if required and not patterns:
        raise _bad(where, key, "at least one regular expression is required")
    return tuple(_pattern({key: p}, key, where, p) for p in patterns)


def _css(raw: Mapping[str, Any], where: str) -> CssHints:
    css = _table(raw.get("css", {}), f"{where} field 'css'")
    _no_unknown(css, CSS_FIELDS, f"{where} css")
    values = {k: _text(css, k, f"{where} css", None) for k in CSS_FIELDS}
    return CssHints(**values)


def _encoding(raw: Mapping[str, Any], where: str) -> str | None:
    value = _text(raw, "encoding", where, None)
    if value is None:
        return None
    try:
        "".encode(value)
    except LookupError as exc:
        raise _bad(where, "encoding", f"unknown encoding {value!r}") from exc
    return value


def _politeness(raw: Mapping[str, Any], where: str) -> Politeness:
    table = _table(raw.get("politeness", {}), f"{where} field 'politeness'")
    at = f"{where} politeness"
    _no_unknown(table, POLITENESS_FIELDS, at)
    return Politeness(
        delay_s=_float(table, "delay_s", at, 1.0),
        concurrency=_int(table, "concurrency", at, 2, 1),
        obey_robots=_bool(table, "obey_robots", at, True),
        autothrottle=_bool(table, "autothrottle", at, True),
        timeout_s=_float(table, "timeout_s", at, 30.0, minimum=0.1),
        retries=_int(table, "retries", at, 2, 0),
    )


def _schedule(raw: Mapping[str, Any], where: str) -> str | None:
    value = _text(raw, "schedule", where, None)
    if value is not None and not croniter.is_valid(value):
        raise _bad(where, "schedule", f"{value!r} is not a cron expression like '0 3 * * *'")
    if value is not None and not _fires(value):
        raise _bad(where, "schedule", f"{value!r} never fires (no such date)")
    return value


def _fires(cron: str) -> bool:
    """Whether a valid cron expression has any date at all (`0 0 31 2 *` has none)."""
    try:
        croniter(cron, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError:
        return False
    return True


def _private_hosts(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    entries = _strings(raw, "allow_private_hosts", where)
    try:
        parse_allow_list(entries, _bool(raw, "allow_any_private", where, False))
    except AllowListError as exc:
        raise _bad(where, "allow_private_hosts", str(exc)) from exc
    return entries


def _text(raw: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
    value = raw.get(key, default)
    if value is not default and (not isinstance(value, str) or not value.strip()):
        raise _bad(where, key, f"expected a non-empty string, got {value!r}")
    return value


def _float(raw: Mapping[str, Any], key: str, where: str, default: float, minimum: float = 0.0) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise _bad(where, key, f"expected a number ≥ {minimum}, got {value!r}")
    return float(value)


def _int(raw: Mapping[str, Any], key: str, where: str, default: int, minimum: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(where, key, f"expected a whole number ≥ {minimum}, got {value!r}")
    return value


def _bool(raw: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise _bad(where, key, f"expected true or false, got {value!r}")
    return value
