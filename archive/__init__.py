"""The archive floor, below crawler and workers: WARC records, captures, canonical URLs, Redis keys."""
