"""Spiders for the three site kinds; `crawler.spider_loader` builds one class per site."""
