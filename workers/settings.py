"""The one place that reads the environment; everything else receives a `Settings` value."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from archive.location import ObjectArchive, ObjectStoreAddress
from workers.engine import EngineConfig
from workers.errors import SettingsError

DEFAULT_HOME = "~/.local/share/dedupcrawl"
# Every way a Redis URL carries a secret: `user:pass@`, `:pass@` (any scheme: redis, rediss,
# unix) and a `password=` query parameter.
_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"(?P<name>[?&;]password=)[^&#\s'\"]*", re.IGNORECASE)
REDACTED = "***"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The engine's parameters, chosen here once for every process (writers and readers alike). Only
# the worker's cache size is read from the environment: it changes no answer, where any other
# parameter must be the same for every writer and reader of a store, so it is not a setting.
ENGINE = EngineConfig()


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    redis_url: str | None
    redis_port: int
    key_prefix: str
    sites_file: Path | None
    token: str | None
    web_host: str
    web_port: int
    log_level: str
    engine: EngineConfig
    defer_trace: bool = False  # ingest jobs cluster only; alignment and provenance on the trace queue
    archive_dir: Path | None = None  # DEDUPCRAWL_ARCHIVE_DIR: a path every host mounts; None: <home>/warc
    # Where the index lives (documents, clusters, LSH, passages, links): None, on the queues' Redis
    index_url: str | None = None
    archive_url: ObjectStoreAddress | None = None  # DEDUPCRAWL_ARCHIVE_URL: the archive in a bucket

    @property
    def redis_dir(self) -> Path:
        return self.home / "redis"

    @property
    def warc_dir(self) -> Path:
        """The WARC archive: every capture is read and written here, by a path relative to it."""
        return self.archive_dir or self.home / "warc"

    @property
    def archive(self) -> Path | ObjectArchive:
        """Where the archive is read and written: `warc_dir`, or the object store (then
        `warc_dir` is only the writers' spool)."""
        return self.archive_url.open(self.warc_dir) if self.archive_url else self.warc_dir

    @property
    def embedded(self) -> bool:
        return self.redis_url is None


def load_settings(env: Mapping[str, str] | None = None, *, check_home: bool = True) -> Settings:
    """Read and validate DEDUPCRAWL_* and REDIS_URL; raise SettingsError naming the bad one."""
    env = os.environ if env is None else env
    home = _home(env.get("DEDUPCRAWL_HOME", DEFAULT_HOME), check_home)
    index_url = _index_url(env.get("DEDUPCRAWL_INDEX_URL"))
    return Settings(
        home=home,
        redis_url=_redis_url(env.get("REDIS_URL")),
        redis_port=_port("DEDUPCRAWL_REDIS_PORT", env.get("DEDUPCRAWL_REDIS_PORT", "0")),
        key_prefix=_key_prefix(env.get("DEDUPCRAWL_KEY_PREFIX", "dc")),
        sites_file=_optional_path(env.get("DEDUPCRAWL_SITES")),
        token=env.get("DEDUPCRAWL_TOKEN") or None,
        web_host=env.get("DEDUPCRAWL_WEB_HOST", "127.0.0.1"),
        web_port=_port("DEDUPCRAWL_WEB_PORT", env.get("DEDUPCRAWL_WEB_PORT", "8750")),
        log_level=_log_level(env.get("DEDUPCRAWL_LOG_LEVEL", "INFO")),
        engine=_engine(
            env.get("DEDUPCRAWL_CANDIDATE_CACHE_MB"), env.get("DEDUPCRAWL_TEXT_CACHE_MB"), index_url
        ),
        defer_trace=_flag("DEDUPCRAWL_DEFER_TRACE", env.get("DEDUPCRAWL_DEFER_TRACE", "")),
        archive_dir=_archive_dir(env.get("DEDUPCRAWL_ARCHIVE_DIR"), check_home),
        index_url=index_url,
        archive_url=_archive_url(env),
    )


def _archive_url(env: Mapping[str, str]) -> ObjectStoreAddress | None:
    """DEDUPCRAWL_ARCHIVE_URL (s3://bucket/prefix), with the store's endpoint and credentials
    under the names every S3 tool reads (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...)."""
    raw = env.get("DEDUPCRAWL_ARCHIVE_URL")
    if not raw:
        return None
    try:
        return ObjectStoreAddress.parse(
            raw,
            env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "https://s3.amazonaws.com",
            env.get("AWS_ACCESS_KEY_ID") or None,
            env.get("AWS_SECRET_ACCESS_KEY") or None,
            env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        )
    except ValueError as exc:
        raise SettingsError("DEDUPCRAWL_ARCHIVE_URL", str(exc)) from None


def _engine(cache_mb: str | None, text_cache_mb: str | None, index_url: str | None) -> EngineConfig:
    """The process's engine: `ENGINE`, with the process's cache sizes from the environment; on a
    Redis Cluster index, its LSH and passage indexes in tag groups (every process on that index agrees)."""
    engine = ENGINE
    if index_url and urlparse(index_url).scheme in CLUSTER_SCHEMES:
        engine = engine.on_cluster()
    if cache_mb is not None:
        engine = replace(engine, candidate_cache_bytes=_megabytes("DEDUPCRAWL_CANDIDATE_CACHE_MB", cache_mb))
    if text_cache_mb is not None:
        engine = replace(engine, text_cache_bytes=_megabytes("DEDUPCRAWL_TEXT_CACHE_MB", text_cache_mb))
    return engine


def _megabytes(name: str, raw: str) -> int:
    try:
        size = int(raw)
    except ValueError:
        size = -1
    if size < 0:
        raise SettingsError(name, f"{raw!r} is not a size in MB (0 or more)")
    return size * 2**20


def _home(raw: str, check: bool) -> Path:
    home = Path(raw).expanduser()
    if not check:
        return home
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-test-{secrets.token_hex(4)}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        problem = f"{home} is not a writable directory ({exc.strerror})"
        raise SettingsError("DEDUPCRAWL_HOME", problem) from None
    return home.resolve()


def _archive_dir(raw: str | None, check: bool) -> Path | None:
    """The shared archive: a directory, made if missing; only read access is checked (a host
    that serves the web UI may mount it read-only)."""
    if not raw:
        return None
    folder = Path(raw).expanduser()
    if not check:
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.listdir(folder)
    except OSError as exc:
        problem = f"{folder} is not a readable directory ({exc.strerror})"
        raise SettingsError("DEDUPCRAWL_ARCHIVE_DIR", problem) from None
    return folder.resolve()


def _redis_url(raw: str | None, name: str = "REDIS_URL") -> str | None:
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(name, f"expected redis://, rediss:// or unix://, got {redact(raw)!r}")
    try:
        port = parsed.port
    except ValueError:
        raise SettingsError(name, f"the port in {redact(raw)!r} is not a number in 1-65535") from None
    if parsed.scheme != "unix" and not parsed.hostname:
        raise SettingsError(name, f"no host in {redact(raw)!r}")
    if port == 0:
        raise SettingsError(name, "port 0 is not a server port")
    return raw


@dataclass(frozen=True, slots=True)
class ClusterAddress:
    """A Redis Cluster URL taken apart: its startup nodes and credentials."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None
    password: str | None
    tls: bool


CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")
DEFAULT_REDIS_PORT = 6379


def _index_url(raw: str | None) -> str | None:
    """DEDUPCRAWL_INDEX_URL: a Redis Cluster (`redis+cluster://[user:pass@]host:port[,host:port...]`,
    `rediss+cluster://` with TLS) or one more Redis (redis://, rediss://, unix://)."""
    if raw and urlparse(raw).scheme in CLUSTER_SCHEMES:
        cluster_address(raw)
        return raw
    if raw and urlparse(raw).scheme not in ("redis", "rediss", "unix"):
        expected = "redis+cluster://, rediss+cluster://, redis://, rediss:// or unix://"
        raise SettingsError("DEDUPCRAWL_INDEX_URL", f"expected {expected}, got {redact(raw)!r}")
    return _redis_url(raw, "DEDUPCRAWL_INDEX_URL")


def cluster_address(url: str) -> ClusterAddress:
    """The startup nodes and credentials of a cluster URL; SettingsError naming what is wrong."""
    name = "DEDUPCRAWL_INDEX_URL"
    scheme, _, rest = url.partition("://")
    if scheme not in CLUSTER_SCHEMES:
        raise SettingsError(name, f"expected {' or '.join(s + '://' for s in CLUSTER_SCHEMES)}")
    netloc, _, path = rest.partition("/")
    if path.strip("0") or "?" in netloc:
        raise SettingsError(name, f"a cluster has one database and takes no options, got {redact(url)!r}")
    userinfo, _, hosts = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    nodes = tuple(_host_port(name, node, url) for node in hosts.split(","))
    return ClusterAddress(nodes, unquote(user) or None, unquote(password) or None, scheme == "rediss+cluster")


def _host_port(name: str, node: str, url: str) -> tuple[str, int]:
    host, _, port = node.strip().rpartition(":") if ":" in node else (node.strip(), "", "")
    host = host.strip("[]")  # an IPv6 address, [::1]:7000
    if not host:
        raise SettingsError(name, f"a node without a host in {redact(url)!r}")
    if not port:
        return host, DEFAULT_REDIS_PORT
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise SettingsError(name, f"the port {port!r} in {redact(url)!r} is not a number in 1-65535")
    return host, int(port)


def _port(name: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise SettingsError(name, f"{port} is outside 0-65535")
    return port


def _key_prefix(raw: str) -> str:
    if not raw or any(c in raw for c in " :{}*?"):
        raise SettingsError("DEDUPCRAWL_KEY_PREFIX", f"{raw!r} must be non-empty, without :{{}}*? or spaces")
    return raw


def _optional_path(raw: str | None) -> Path | None:
    return Path(raw).expanduser() if raw else None


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("", "0", "1", "false", "true", "no", "yes"):
        raise SettingsError(name, f"expected 1 or 0 (true/false, yes/no), got {raw!r}")
    return value in ("1", "true", "yes")


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError("DEDUPCRAWL_LOG_LEVEL", f"{raw!r} is not one of {', '.join(LOG_LEVELS)}")
    return level



def redact(text: str) -> str:
    """`text` with the secret of every URL in it replaced: the one redaction of logs, output and errors."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    return _PASSWORD_PARAM.sub(lambda m: f"{m['name']}{REDACTED}", text)


def redact_log_records() -> None:
    """Every log record of this process (and of the processes it forks) goes out redacted,
    whichever library logs it (RQ, uvicorn, redis-py) and whatever handler writes it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
