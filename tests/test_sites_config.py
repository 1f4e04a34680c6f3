"""The sites file: valid files load into SiteConfig; every kind of mistake names site and field."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.config import load_sites, parse_sites
from crawler.errors import SitesConfigError, UnknownSite
from crawler.spider_loader import SiteSpiderLoader, site_settings, spider_class
from synthetic.fixture_web.process import sites_toml

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sites.toml"

MINIMAL = """
[[site]]
name = "news-1"
kind = "news"
start_urls = ["https://news.example.cn/index.html"]
document_patterns = ['/\\d{4}/\\d{2}/\\d+\\.html$']
"""


def _with(extra: str, base: str = MINIMAL) -> str:
    return base + extra


def test_minimal_site_gets_polite_defaults() -> None:
    site = parse_sites(MINIMAL).site("news-1")
    assert site.allowed_domains == ("news.example.cn",)
    assert site.politeness.obey_robots and site.politeness.autothrottle
    assert site.politeness.delay_s >= 1.0 and site.politeness.concurrency <= 2
    assert site.allow_private_hosts == ()
    assert "utm_source" in site.strip_params


def test_example_and_fixture_files_load() -> None:
    example = load_sites(EXAMPLE)
    assert {s.kind for s in example.sites} == {"docshare", "news", "generic"}
    fixture = parse_sites(sites_toml("http://127.0.0.1:8000"))
    assert fixture.site("fixture-gov").encoding == "gbk"
    assert fixture.site("fixture-noallow").allow_private_hosts == ()


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (
            _with('kind = "blog"', MINIMAL.replace('kind = "news"\n', "")),
            "site 'news-1' field 'kind'",
            "docshare",
        ),
        (MINIMAL.replace('name = "news-1"', 'name = "News 1"'), "site #1 field 'name'", "expected a name"),
        (
            _with(
                "start_urls = []",
                MINIMAL.replace('start_urls = ["https://news.example.cn/index.html"]\n', ""),
            ),
            "field 'start_urls'",
            "at least one",
        ),
        (MINIMAL.replace("https://news.example.cn/index.html", "ftp://x/y"), "field 'start_urls'", "http(s)"),
        (
            MINIMAL.replace("'/\\d{4}/\\d{2}/\\d+\\.html$'", "'(unclosed'"),
            "field 'document_patterns'",
            "invalid regular",
        ),
        (_with("page_pattern = '_\\d+\\.html'"), "field 'page_pattern'", "group"),
        (_with('schedule = "every day"'), "field 'schedule'", "cron"),
        (_with('encoding = "klingon"'), "field 'encoding'", "unknown encoding"),
        (_with("recheck_after_s = -1"), "field 'recheck_after_s'", "number"),
        (_with('politeness = { delay_s = "fast" }'), "politeness field 'delay_s'", "number"),
        (_with("politeness = { concurrency = 0 }"), "politeness field 'concurrency'", "whole number"),
        (_with('politeness = { obey_robots = "yes" }'), "politeness field 'obey_robots'", "true or false"),
        (_with("politeness = { delay = 1 }"), "politeness field 'delay'", "unknown field"),
        (_with('start_url = "https://x.cn/"'), "site 'news-1' field 'start_url'", "unknown field"),
        (_with('allow_private_hosts = ["10.0.0.0/33"]'), "field 'allow_private_hosts'", "network"),
        (_with('allowed_domains = ["https://news.example.cn/"]'), "field 'allowed_domains'", "host name"),
        (_with('css = { body = "div" }'), "css field 'body'", "unknown field"),
        (MINIMAL + MINIMAL, "site 'news-1' field 'name'", "twice"),
        ("site = 3", "<sites>", "[[site]]"),
        ("[[site]\nname=", "<sites>", "TOML"),
    ],
)
def test_mistakes_name_the_site_and_field(text: str, where: str, words: str) -> None:
    with pytest.raises(SitesConfigError) as caught:
        parse_sites(text)
    assert where in str(caught.value)
    assert words in str(caught.value)


def test_missing_file_and_unknown_site_are_clear(tmp_path: Path) -> None:
    with pytest.raises(SitesConfigError, match="cannot read"):
        load_sites(tmp_path / "nope.toml")
    with pytest.raises(UnknownSite, match="news-1"):
        parse_sites(MINIMAL).site("other")


@given(st.text(max_size=200))
def test_any_text_loads_or_fails_with_a_config_error(text: str) -> None:
    with contextlib.suppress(SitesConfigError):
        parse_sites(text)


def test_spider_classes_are_built_from_config_without_python_per_site() -> None:
    sites = parse_sites(sites_toml("http://127.0.0.1:8000"))
    loader = SiteSpiderLoader(sites)
    assert set(loader.list()) == set(sites.names)
    wenku = loader.load("fixture-wenku")
    assert wenku.name == "fixture-wenku" and wenku.allowed_domains == ["127.0.0.1"]
    assert spider_class(sites.site("fixture-gov"), sites).__mro__[1].__name__ == "GenericSpider"
    settings = site_settings(sites.site("fixture-news"), sites)
    assert settings["USER_AGENT"].startswith("dedupcrawl") and settings["ROBOTSTXT_OBEY"] is True
    with pytest.raises(KeyError):
        loader.load("missing")
