"""The three site kinds. A new site of a known kind needs only a `[[site]]` table, no Python."""

from __future__ import annotations

from typing import ClassVar

from crawler.spiders.base import SiteSpider


class DocshareSpider(SiteSpider):
    """Doc-sharing sites: documents split over `…_2.html` pages with "第1页/共6页" pagers."""

    multi_page: ClassVar[bool] = True


class NewsSpider(SiteSpider):
    """News sites: article lists and sitemaps; long articles may paginate too."""

    multi_page: ClassVar[bool] = True


class GenericSpider(SiteSpider):
    """Anything else (government portals...): with no list patterns, follows every in-site link
    (to DEPTH_LIMIT) and treats pages matching the document patterns as single-page documents."""

    multi_page: ClassVar[bool] = False
    follow_unmatched: ClassVar[bool] = True


SPIDERS: dict[str, type[SiteSpider]] = {
    "docshare": DocshareSpider,
    "news": NewsSpider,
    "generic": GenericSpider,
}
