"""Run the real `dedupcrawl` command line in a child process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping


def run_cli(*args: str, env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def clean_env(**values: str) -> dict[str, str]:
    """The test's settings, without any REDIS_URL or DEDUPCRAWL_* leaking in from outside."""
    base = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("DEDUPCRAWL_")}
    return {**base, **values}
