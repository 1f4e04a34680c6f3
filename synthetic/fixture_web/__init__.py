"""A local fixture web for crawler tests, the demo and the crawl benchmark.

One HTTP server (port 0, own process) serves three sites built from `synthetic.corpus.generate`:
a doc-sharing site (`/wenku/`), a news site (`/news/`) and a county government site in GBK
(`/gov/`), plus robots.txt and control endpoints under `/_fixture/`. See `site.py`.
"""
