"""Orchestration: the ingest, RQ jobs, crawls, recovery, the scheduler, imports, transitions."""
