"""Scrapy project settings (`scrapy.cfg` points here): polite and safe by default.

Per-site values (delay, concurrency, robots, AutoThrottle, timeouts, retries, User-Agent) come
from the sites file through the spider loader and override these.
"""

from crawler import config

BOT_NAME = "dedupcrawl"
SPIDER_LOADER_CLASS = "crawler.spider_loader.SiteSpiderLoader"
SPIDER_MODULES: list[str] = []

USER_AGENT = config.DEFAULT_USER_AGENT
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
# Scrapy starts this many asyncio tasks for every callback's output; a callback here yields a few
# requests or one document, and the default (100) made task churn the crawl's main CPU cost.
CONCURRENT_ITEMS = 16
DEPTH_LIMIT = 0
LOG_LEVEL = "INFO"

# Both are on by default in Scrapy 2.19 and open ports or control channels a crawl never needs.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "crawler.extensions.CrawlRunRecorder": 500,
    "crawler.progress.ProgressFile": 600,  # only with DC_PROGRESS_FILE set
}
DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt, so not even robots.txt is fetched from a refused address.
    "crawler.middlewares.SafetyMiddleware": 40,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.PoliteRobotsMiddleware": 100,
    "crawler.middlewares.ConditionalRequestMiddleware": 560,
    # After RedirectMiddleware (600), so it sees a redirect's response first.
    "crawler.middlewares.RedirectTargetMiddleware": 650,
    # Next to the downloader: sees every raw response, redirects and 304s included.
    "crawler.middlewares.CaptureMiddleware": 950,
}
ITEM_PIPELINES = {"crawler.pipelines.HandoffPipeline": 300}
