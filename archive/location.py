"""Where the archive's WARC files live: a directory (local or a shared mount), or a bucket of an
S3-compatible object store. Every reference is (file relative to the archive, offset, length);
both locations resolve it, the object store with a ranged GET of the object named like the file.

Writers always write to a local directory (the spool; for a directory location, the archive
itself). An object store cannot be appended to, so a file is sealed and uploaded whole
(`publish`) before any reference into it is handed to another process: the object is never
changed afterwards and its local copy is removed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from archive.errors import ArchiveWriteError, WarcReadError

WARC_SUFFIX = ".warc.gz"
_FETCHING = ".fetch-"  # a download in progress under the spool: never a name of the archive
# Fail in seconds, not minutes, when the store is unreachable: a worker reports the capture
# unreadable and goes on; urllib3's default would retry a dead endpoint for a long time.
_TIMEOUT = urllib3.Timeout(connect=5, read=60)
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")  # S3's rule for bucket names
_RETRIES = urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504))


class ArchiveLocation(Protocol):
    """What readers and writers of the archive need of where it is."""

    spool: Path  # where writers write their files
    seals: bool  # whether a file is uploaded (`publish`) when sealed, rather than fsynced in place

    def read_span(self, name: str, offset: int, length: int) -> bytes: ...

    def names(self) -> list[str]: ...

    def local_copy(self, name: str) -> contextlib.AbstractContextManager[Path]: ...

    def publish(self, name: str) -> None: ...

    def describe(self) -> str: ...


ArchiveRoot = str | Path | ArchiveLocation  # what the archive's functions accept as "the archive"


def as_location(root: ArchiveRoot) -> ArchiveLocation:
    """A directory given by path, or the location itself."""
    return ArchiveFolder(Path(root)) if isinstance(root, str | Path) else root


def _archive_order(name: str) -> list[str]:
    return name.split("/")  # as paths sort: part by part (the order reindex has always read in)


class ArchiveFolder:
    """The archive as a directory: files are written, and read, where they are."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.spool = self.root
        self.seals = False

    def read_span(self, name: str, offset: int, length: int) -> bytes:
        path = _archived_file(self.root, name)
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                return handle.read(length)
        except OSError as exc:
            raise WarcReadError(f"{name}: cannot read ({exc.strerror})") from exc

    def names(self) -> list[str]:
        found = (path.relative_to(self.root).as_posix() for path in self.root.rglob("*" + WARC_SUFFIX))
        return sorted(found, key=_archive_order)

    @contextlib.contextmanager
    def local_copy(self, name: str) -> Iterator[Path]:
        yield self.root / name

    def publish(self, name: str) -> None:
        """Nothing to do: the file is in the archive already (the writer fsyncs it)."""

    def describe(self) -> str:
        return str(self.root)


@functools.lru_cache(maxsize=4096)
def _archived_file(root: Path, name: str) -> Path:
    """`name` under `root`, links resolved; once per file (resolving both cost a page read
    a fifth of its time: ~45 of 225 µs)."""
    path = (root / name).resolve()
    if root.resolve() not in path.parents:
        raise WarcReadError(f"{name}: outside the WARC directory")
    return path


@dataclass(frozen=True, slots=True)
class ObjectStoreAddress:
    """A bucket and key prefix of an S3-compatible store, and how to reach it."""

    bucket: str
    prefix: str  # "" or ending in "/"
    endpoint: str  # scheme://host[:port]
    access_key: str | None = None
    secret_key: str | None = None
    region: str | None = None

    @classmethod
    def parse(
        cls,
        url: str,
        endpoint: str,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
    ) -> ObjectStoreAddress:
        """From `s3://bucket/prefix` and the endpoint's URL; ValueError saying what is wrong."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not _BUCKET_NAME.fullmatch(parts.netloc):
            raise ValueError(f"expected s3://bucket/prefix (a bucket name of 3-63 a-z 0-9 . -), got {url!r}")
        target = urlsplit(endpoint)
        if target.scheme not in ("http", "https") or not target.netloc or target.path.strip("/"):
            raise ValueError(f"the endpoint must be http(s)://host[:port], got {endpoint!r}")
        if (access_key is None) != (secret_key is None):
            raise ValueError("set both the access key and the secret key, or neither")
        prefix = parts.path.strip("/")
        return cls(
            parts.netloc,
            prefix + "/" if prefix else "",
            f"{target.scheme}://{target.netloc}",
            access_key,
            secret_key,
            region,
        )

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def open(self, spool: Path) -> ObjectArchive:
        return ObjectArchive(self, spool)


class ObjectArchive:
    """The archive as objects in a bucket, written through a local spool directory."""

    def __init__(self, address: ObjectStoreAddress, spool: Path) -> None:
        self.address = address
        self.spool = Path(spool)
        self.seals = True
        self._client: Minio | None = None
        self._client_pid = 0

    def read_span(self, name: str, offset: int, length: int) -> bytes:
        """From the spool while the file is there (this host's writer, a reindex's copy), else
        a ranged GET."""
        local = self.spool / name
        if local.is_file():
            with contextlib.suppress(OSError), local.open("rb") as handle:
                handle.seek(offset)
                return handle.read(length)
        with self._request(name) as client:
            response = client.get_object(self.address.bucket, self._key(name), offset, length)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

    def names(self) -> list[str]:
        """Every WARC object under the prefix, in archive order (what reindex reads)."""
        with self._request(self.address.url) as client:
            listed = client.list_objects(self.address.bucket, prefix=self.address.prefix, recursive=True)
            found = [str(item.object_name)[len(self.address.prefix) :] for item in listed]
        return sorted((name for name in found if name.endswith(WARC_SUFFIX)), key=_archive_order)

    @contextlib.contextmanager
    def local_copy(self, name: str) -> Iterator[Path]:
        """The object downloaded into the spool (so `read_span` of it reads there too), removed after."""
        local = self.spool / name
        if local.is_file():
            yield local
            return
        partial = local.with_name(f"{_FETCHING}{secrets.token_hex(4)}-{local.name}")
        partial.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._request(name) as client:
                client.fget_object(self.address.bucket, self._key(name), str(partial))
            partial.replace(local)
            yield local
        finally:
            for path in (partial, local):
                path.unlink(missing_ok=True)

    def publish(self, name: str) -> None:
        """Upload the sealed spool file `name` as its object, then remove the local file."""
        local = self.spool / name
        try:
            self._connected().fput_object(self.address.bucket, self._key(name), str(local))
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as exc:
            problem = f"upload to {self.address.url} failed: {_brief(exc)}"
            raise ArchiveWriteError(name, OSError(0, problem)) from exc
        local.unlink(missing_ok=True)

    def describe(self) -> str:
        return f"{self.address.url} at {self.address.endpoint}"

    def _key(self, name: str) -> str:
        return self.address.prefix + name

    @contextlib.contextmanager
    def _request(self, name: str) -> Iterator[Minio]:
        """The client; a failed request becomes one WarcReadError line naming `name`."""
        try:
            yield self._connected()
        except S3Error as exc:
            problem = "no such object" if exc.code == "NoSuchKey" else exc.code
            raise WarcReadError(f"{name}: cannot read ({problem} in {self.address.url})") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            problem = f"object store {self.address.endpoint}: {_brief(exc)}"
            raise WarcReadError(f"{name}: cannot read ({problem})") from exc

    def _connected(self) -> Minio:
        """This process's client (a forked child makes its own: urllib3's pool is not fork-safe)."""
        if self._client is None or self._client_pid != os.getpid():
            parts = urlsplit(self.address.endpoint)
            http = urllib3.PoolManager(timeout=_TIMEOUT, retries=_RETRIES, maxsize=8)
            self._client = Minio(
                parts.netloc,
                self.address.access_key,
                self.address.secret_key,
                region=self.address.region,
                secure=parts.scheme == "https",
                http_client=http,
            )
            self._client_pid = os.getpid()
        return self._client


def _brief(exc: BaseException) -> str:
    """One line of what went wrong (urllib3's retry errors nest the cause in a long message)."""
    reason = getattr(exc, "reason", None)
    text = str(reason if reason is not None else exc)
    return " ".join(text.split())[:200]
