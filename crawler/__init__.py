"""Config-driven Scrapy spiders that fetch, archive (WARC) and hand captures off to the workers."""
