"""Security: stored XSS through every page that shows crawled text, the token on every mutating
route, Redis bound to loopback (embedded) and password-protected (compose), no secrets in logs.
The threat model (docs/threat-model.md) names these tests."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import psutil
import pytest
import redis
import yaml
from fastapi.testclient import TestClient
from starlette.routing import Route

from archive.keys import Keys
from crawler.addresses import check_url
from crawler.config import load_sites
from crawler.errors import RefusedRequest, SitesConfigError
from synthetic.corpus import generate
from synthetic.fixture_web.process import FixtureServer
from tests.cli_process import clean_env, run_cli
from tests.engine_stack import new_ingestor, stores
from tests.web_data import KEYS, import_lines
from workers.flow.crawls import CRAWL_LOCK_TTL_S
from workers.redis.redis_server import RedisServer, ServerInfo, stop_process
from workers.stores.store import Store
from workers.web import app as web_app
from workers.web import create_app

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "tok-Secret-7f3a9c"
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">点击</a>',
    "</textarea></title><script>alert(1)</script>",
)
HOSTILE_URL = 'https://evil.example/a?q="><script>alert(1)</script>'
FORBIDDEN_TAGS = {"script", "iframe", "svg", "object", "embed", "frame"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}


@dataclass
class Hostile:
    client: TestClient
    store: Store
    doc_ids: list[str]
    cluster_id: str


def _hostile_lines() -> list[str]:
    """Two near-identical speeches carrying every payload in text and title (one cluster, aligned)."""
    speech = generate(1, seed=41)[0].text
    body = "\n".join(
        f"{payload}{line}" for payload, line in zip(PAYLOADS * 3, speech.split("\n"), strict=False)
    )
    title = "".join(PAYLOADS)
    return [
        json.dumps({"url": HOSTILE_URL, "text": body, "title": title, "published": "2024-05-01"}),
        json.dumps({"url": "https://evil.example/copy.html", "text": body + "\n转载。", "title": title}),
        json.dumps({"url": "javascript:alert(1)", "text": "x"}),  # rejected: its reason is shown
    ]


@pytest.fixture(scope="module")
def hostile(redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushall()
    warc = tmp_path_factory.mktemp("security") / "warc"
    assert import_lines(connection, warc, _hostile_lines(), "hostile") == ["indexed", "indexed", "rejected"]
    ingestor = new_ingestor(connection, KEYS, warc)
    store = ingestor.store
    docs = [d for d in store.get_many(store.document_ids()) if d]
    # a record's cluster id is the one it joined; the live one is read through the union-find
    clusters = {ingestor.clusters.cluster_of(d.doc_id) for d in docs}
    assert len(clusters) == 1
    client = TestClient(
        create_app(stores(connection, KEYS, warc_dir=warc), warc, TOKEN, ROOT / "examples" / "sites.toml")
    )
    yield Hostile(client, store, [d.doc_id for d in docs], clusters.pop() or "")
    connection.close()


def _pages(h: Hostile) -> list[str]:
    a, b = h.doc_ids
    return [
        "/",
        "/clusters",
        "/clusters?sort=size&q=%3Cscript%3E",
        f"/clusters/{h.cluster_id}",
        f"/documents/{a}",
        f"/documents/{b}",
        f"/documents/{a}/compare/{b}",
        f"/documents/{a}/captures/0/record",  # the archived HTML, payloads and all, as text
        "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/search?q=evil.example",
        "/documents/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",  # not-found pages echo the id
        "/clusters/%22%3E%3Csvg%20onload%3Dalert(1)%3E",
    ]


def _dangers(html: str) -> list[str]:
    """Anything in the parsed page that would run script: tags, on* handlers, javascript: URLs."""
    found = []
    for element in lxml.html.document_fromstring(html).iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.lower() in FORBIDDEN_TAGS:
            found.append(f"<{tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{tag} {name}=")
            if name.lower() in URL_ATTRIBUTES and value.strip().lower().startswith(("javascript:", "data:")):
                found.append(f"{tag} {name}={value}")
    return found


def test_crawled_text_is_rendered_escaped_on_every_page(hostile: Hostile) -> None:
    shown_as_text = 0
    for path in _pages(hostile):
        response = hostile.client.get(path)
        assert response.status_code in (200, 404), path
        assert response.headers["content-type"].startswith("text/html"), path
        assert _dangers(response.text) == [], path
        assert "default-src 'none'" in response.headers["content-security-policy"], path
        text = lxml.html.document_fromstring(response.text).text_content()
        shown_as_text += sum(payload in text for payload in PAYLOADS)
    assert shown_as_text >= 2 * len(PAYLOADS)  # the payloads are there, as text


def test_document_page_shows_the_stored_payloads_as_text(hostile: Hostile) -> None:
    """Whatever markup survived normalization into the stored text is on the page, as text."""
    for doc_id in hostile.doc_ids:
        doc = hostile.store.get(doc_id)
        assert doc is not None
        kept = [p for p in PAYLOADS if p in doc.display or p in (doc.title or "")]
        response = hostile.client.get(f"/documents/{doc_id}")
        text = lxml.html.document_fromstring(response.text).text_content()
        assert kept and all(payload in text for payload in kept), doc_id
        assert doc.url in text  # HOSTILE_URL carries a script element of its own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_archived_capture_is_inert_text(hostile: Hostile) -> None:
    response = hostile.client.get(f"/documents/{hostile.doc_ids[0]}/captures/0")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


def test_json_api_is_json_not_html(hostile: Hostile) -> None:
    for path in (
        f"/api/documents/{hostile.doc_ids[0]}",
        f"/api/clusters/{hostile.cluster_id}",
        "/api/search?q=x",
    ):
        response = hostile.client.get(path)
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.headers["x-content-type-options"] == "nosniff"


MUTATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/crawls"): {"data": {"site": "fixture-news"}, "form": True},
    ("POST", "/documents/{doc_id}/delete"): {"data": {}, "form": True},
    ("POST", "/api/crawls"): {"json": {"site": "fixture-news"}},
    ("DELETE", "/api/documents/{doc_id}"): {},
    ("POST", "/ops/jobs/{job_id}/{action}"): {"data": {}, "form": True},
    ("POST", "/api/jobs/{job_id}/{action}"): {},
}


def _mutating_routes(routes: list[Any]) -> set[tuple[str, str]]:
    """Every (method, path) that is not a read, included routers walked too."""
    found = set()
    for route in routes:
        included = getattr(route, "original_router", None) or getattr(route, "router", None)
        if included is not None and not isinstance(route, Route):
            found |= _mutating_routes(list(included.routes))
        elif isinstance(route, Route):
            found |= {(m, route.path) for m in route.methods or () if m not in ("GET", "HEAD", "OPTIONS")}
    return found


def _call(client: TestClient, method: str, path: str, token: str | None) -> int:
    spec = MUTATIONS[(method, path)]
    url = path.replace("{doc_id}", "0000000000").replace("{job_id}", "no-such-job")
    url = url.replace("{action}", "requeue")
    if spec.get("form"):
        data = {**spec["data"], **({"token": token} if token is not None else {})}
        return client.request(method, url, data=data).status_code
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.request(method, url, json=spec.get("json"), headers=headers).status_code


def test_every_mutating_route_needs_the_token(hostile: Hostile) -> None:
    routes = _mutating_routes(list(hostile.client.app.routes))  # type: ignore[attr-defined]
    assert routes == set(MUTATIONS), "a mutating route without a token test"
    for method, path in sorted(routes):
        for wrong in (None, "", TOKEN[:-1], TOKEN + "x", TOKEN.upper(), "Basic " + TOKEN):
            assert _call(hostile.client, method, path, wrong) == 401, (method, path, wrong)
        assert _call(hostile.client, method, path, TOKEN) != 401, (method, path)
    assert len(hostile.client.get("/").text) > 0


def test_token_is_compared_in_constant_time(hostile: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = web_app.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(web_app.hmac, "compare_digest", spy)
    assert _call(hostile.client, "POST", "/api/crawls", "guess") == 401
    assert compared and compared[-1] == (TOKEN.encode(), b"guess")


def test_embedded_redis_listens_on_loopback_only(tmp_path: Path) -> None:
    info = RedisServer(tmp_path / "redis").start()
    try:
        client = redis.Redis(port=info.port)
        assert str(client.config_get("bind")["bind"]).split() == ["127.0.0.1"]
        assert client.config_get("protected-mode")["protected-mode"] == "yes"
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        client.close()
        assert info.socket and stat.S_IMODE(os.stat(info.socket).st_mode) == 0o700  # owner only
    finally:
        stop_process(info.pid)


def test_compose_redis_requires_a_password_and_is_not_published() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    server = services["redis"]
    command = server["command"] if isinstance(server["command"], str) else " ".join(server["command"])
    assert '--requirepass "$$REDIS_PASSWORD"' in command
    assert server["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")  # no default password
    assert "ports" not in server, "Redis must not be published on the host"
    clients = {
        name: s["environment"]["REDIS_URL"]
        for name, s in services.items()
        if "REDIS_URL" in s.get("environment", {})
    }
    assert clients and all(url.startswith("redis://:${REDIS_PASSWORD:?") for url in clients.values()), clients


@pytest.mark.slow
def test_no_secrets_in_logs_or_output(tmp_path: Path) -> None:
    """Commands run against a password-protected Redis with a token set; neither secret is printed."""
    password, token = "Pw-9d41c2e8aa", "Tk-51be07f3c6"
    info = RedisServer(tmp_path / "redis").start()
    try:
        redis.Redis(port=info.port).config_set("requirepass", password)
        url = f"redis://:{password}@127.0.0.1:{info.port}/0"
        by_query = f"redis://127.0.0.1:{info.port}/0?password={password}"
        env = clean_env(DEDUPCRAWL_HOME=str(tmp_path / "home"), REDIS_URL=url, DEDUPCRAWL_TOKEN=token,
                        DEDUPCRAWL_LOG_LEVEL="DEBUG")  # fmt: skip
        lines = tmp_path / "docs.jsonl"
        lines.write_text("\n".join([*_hostile_lines(), "{broken"]), encoding="utf-8")
        outputs = [
            run_cli("status", "--json", env=env),
            run_cli("import", str(lines), "--json", env=env),
            run_cli("worker", "--burst", "--queues", "ingest", env=env),
            run_cli("clusters", env=env),
            run_cli("status", env={**env, "REDIS_URL": f"redis://:{password}@127.0.0.1:1/0"}),  # unreachable
            run_cli("status", env={**env, "REDIS_URL": f"redis://:wrong-{password}@127.0.0.1:{info.port}/0"}),
            run_cli("status", "--json", env={**env, "REDIS_URL": by_query}),
            run_cli("status", env={**env, "REDIS_URL": "rediss" + url[len("redis") :]}),  # TLS, plain server
        ]
        for result in outputs:
            everything = result.stdout + result.stderr
            assert password not in everything and token not in everything, result.args
        assert outputs[0].returncode == 0 and outputs[4].returncode != 0
    finally:
        stop_process(info.pid)


@pytest.fixture()
def locked_redis(tmp_path: Path) -> Iterator[tuple[ServerInfo, str]]:
    """A redis-server that requires a password, and the password."""
    password = "Pw-" + "c0ffee5ecret"
    info = RedisServer(tmp_path / "locked-redis").start()
    redis.Redis(port=info.port).config_set("requirepass", password)
    yield info, password
    stop_process(info.pid)


def _crawl_cli(env: dict[str, str], sites: Path, site: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "workers", "crawl", site, "--sites", str(sites), "--json"]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _crawl_child(cli: subprocess.Popen[str], timeout: float = 60) -> psutil.Process:
    """The `python -m crawler.run` process the command started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and cli.poll() is None:
        for child in psutil.Process(cli.pid).children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                if "crawler.run" in child.cmdline():
                    return child
        time.sleep(0.02)
    raise AssertionError("no crawl process appeared")


@pytest.mark.parametrize("form", ["userinfo", "query"])
def test_the_redis_password_is_never_on_a_command_line_or_in_output(
    locked_redis: tuple[ServerInfo, str], tmp_path: Path, form: str
) -> None:
    info, password = locked_redis
    url = {
        "userinfo": f"redis://:{password}@127.0.0.1:{info.port}/0",
        "query": f"redis://127.0.0.1:{info.port}/0?password={password}",
    }[form]
    env = clean_env(DEDUPCRAWL_HOME=str(tmp_path / "home"), REDIS_URL=url, DEDUPCRAWL_LOG_LEVEL="DEBUG")
    with FixtureServer(docs=6, seed=5, crawl_delay=0.05, slow_s=0.1) as web:
        cli = _crawl_cli(env, web.write_sites(tmp_path / "sites.toml"), "fixture-news")
        child = _crawl_child(cli)
        cmdline = Path(f"/proc/{child.pid}/cmdline").read_bytes()  # what `ps` shows every user
        out, err = cli.communicate(timeout=180)
    assert cli.returncode == 0, err[-2000:]
    assert password.encode() not in cmdline and b"crawler.run" in cmdline
    assert json.loads(out)["status"] == "succeeded"
    assert password not in out + err
    status = run_cli("status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert password not in status.stdout + status.stderr and "***" in json.loads(status.stdout)["redis_url"]


def test_two_crawls_of_one_site_never_run_at_once(redis_url: str, tmp_path: Path) -> None:
    env = clean_env(DEDUPCRAWL_HOME=str(tmp_path / "home"), REDIS_URL=redis_url)
    with FixtureServer(docs=6, seed=5, crawl_delay=0.3, slow_s=0.1) as web:
        sites = web.write_sites(tmp_path / "sites.toml")
        first = _crawl_cli(env, sites, "fixture-news")
        _crawl_child(first)
        second = run_cli("crawl", "fixture-news", "--sites", str(sites), env=env)
        out, err = first.communicate(timeout=180)
        assert first.returncode == 0 and json.loads(out)["status"] == "succeeded", err[-2000:]
        after = run_cli("crawl", "fixture-news", "--sites", str(sites), env=env)  # the lock was released
    assert second.returncode == 2, second.stdout + second.stderr
    refusal = second.stderr.strip().splitlines()
    assert len(refusal) == 1 and "another crawl of this site is running" in refusal[0], refusal
    assert "Traceback" not in second.stderr
    assert after.returncode == 0, after.stderr[-2000:]
    assert len(list((tmp_path / "home" / "warc" / "fixture-news").glob("*.warc.gz"))) == 2


SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options")


def _web(connection: redis.Redis, tmp_path: Path) -> TestClient:
    app = create_app(stores(connection, KEYS, warc_dir=tmp_path / "warc"), tmp_path / "warc", TOKEN)

    def boom() -> None:
        raise RuntimeError(f"failed reading {tmp_path}")  # a detail that must not reach the client

    app.add_api_route("/boom", boom)
    return TestClient(app, raise_server_exceptions=False)


def test_redirects_never_take_their_host_from_the_request(redis_client: redis.Redis, tmp_path: Path) -> None:
    client = _web(redis_client, tmp_path)
    for host in ("evil.example.com", "evil.example.com:8080", "127.0.0.1:8750"):
        response = client.get("/clusters/?sort=size", headers={"Host": host}, follow_redirects=False)
        assert response.status_code in (307, 308), host
        assert response.headers["location"] == "/clusters?sort=size", host
    assert client.get("/clusters/", follow_redirects=True).status_code == 200


def test_security_headers_on_every_response_including_errors(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    client = _web(redis_client, tmp_path)
    answers = {
        "ok": client.get("/"),
        "redirect": client.get("/clusters/", follow_redirects=False),
        "not found": client.get("/no/such/page"),
        "not allowed": client.put("/clusters"),
        "invalid": client.get("/api/clusters?min_size=x"),
        "server error": client.get("/boom"),
    }
    assert answers["server error"].status_code == 500
    for name, response in answers.items():
        missing = [h for h in SECURITY_HEADERS if h not in response.headers]
        assert missing == [], (name, response.status_code)
        assert "default-src 'none'" in response.headers["content-security-policy"], name
    assert str(tmp_path) not in answers["server error"].text


def test_healthz_shows_no_filesystem_path_when_redis_is_down(tmp_path: Path) -> None:
    socket = tmp_path / "gone" / "redis.sock"
    client = _web(redis.Redis(unix_socket_path=str(socket)), tmp_path)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["ok"] is False
    assert str(tmp_path) not in response.text and "/" not in response.json()["error"]
    assert all(h in response.headers for h in SECURITY_HEADERS)


def test_no_page_whose_assets_the_csp_blocks(redis_client: redis.Redis, tmp_path: Path) -> None:
    client = _web(redis_client, tmp_path)
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/clusters" in schema.json()["paths"]


SPEECH = "会议精神传达落实。" * 40


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A local web server: a list page linking to another port directly and through a 302."""

    other_port = 0

    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        other = f"http://127.0.0.1:{self.other_port}"
        if self.path == "/list.html":
            links = [f"{other}/doc/1.html", "/jump/2.html", "/doc/3.html"]
            self._send(200, "".join(f'<a href="{link}">x</a>' for link in links))
        elif self.path.startswith("/jump/"):
            self._send(302, "", {"Location": f"{other}/doc/2.html"})
        elif self.path.startswith("/doc/"):
            self._send(200, f"<html><body><article><p>{SPEECH}</p></article></body></html>")
        else:
            self._send(404, "")

    def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _local_server(other_port: int = 0) -> Iterator[http.server.ThreadingHTTPServer]:
    handler = type("Handler", (_Recorder,), {"other_port": other_port})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


SITE = """[[site]]
name = "ported"
kind = "generic"
start_urls = ["http://127.0.0.1:{port}/list.html"]
allowed_domains = ["127.0.0.1"]
list_patterns = ['/list\\.html$']
document_patterns = ['/doc/\\d+\\.html$', '/jump/\\d+\\.html$']
allow_private_hosts = ["127.0.0.1:{port}"]
politeness = {{ delay_s = 0, obey_robots = false, autothrottle = false, timeout_s = 5, retries = 0 }}
"""


def test_an_allow_listed_port_lets_no_crawl_reach_another_port(redis_url: str, tmp_path: Path) -> None:
    with _local_server() as other, _local_server(other.server_address[1]) as site:
        sites = tmp_path / "sites.toml"
        sites.write_text(SITE.format(port=site.server_address[1]), encoding="utf-8")
        command = [sys.executable, "-m", "crawler.run", "--site", "ported", "--sites-file", str(sites),
                   "--key-prefix", "ported", "--warc-dir", str(tmp_path / "warc")]  # fmt: skip
        done = subprocess.run(
            command, env={**os.environ, "REDIS_URL": redis_url}, capture_output=True, text=True, timeout=120
        )
        assert done.stdout.strip(), done.stderr[-3000:]
        run = json.loads(done.stdout.strip().splitlines()[-1])
        assert other.hits == []  # type: ignore[attr-defined]
        assert {"/list.html", "/jump/2.html", "/doc/3.html"} <= set(site.hits)  # type: ignore[attr-defined]
    assert run["stats"]["errors"]["refused:private_address"] == 2  # the link and the redirect's target


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ('["0.0.0.0/0"]', "wider than /8"),
        ('["::/0"]', "wider than /32"),
        ('["10.0.0.0/7"]', "wider than /8"),
        ('["127.0.0.1:0"]', "port"),
        ('["[::1]80"]', "[address]:port"),
        ('["999.0.0.1"]', "no IPv4 address"),
    ],
)
def test_over_broad_or_malformed_allow_list_entries_are_refused(
    tmp_path: Path, entries: str, problem: str
) -> None:
    sites = tmp_path / "sites.toml"
    text = SITE.format(port=8000).replace('["127.0.0.1:8000"]', entries)
    sites.write_text(text, encoding="utf-8")
    with pytest.raises(SitesConfigError, match="allow_private_hosts") as caught:
        load_sites(sites)
    assert problem in str(caught.value) and "\n" not in str(caught.value)
    if "wider" in problem:  # written out, the operator's choice
        sites.write_text(text.replace("allow_private_hosts", "allow_any_private = true\nallow_private_hosts"))
        assert load_sites(sites).site("ported").allow_any_private


def test_allow_list_entries_limit_hosts_networks_and_ports() -> None:
    names = resolver_of({"fixture.local": ["127.0.0.1"], "inside.example": ["10.1.2.3"]})
    allowed = [
        ("http://127.0.0.1:8123/x", ["127.0.0.1:8123"]),
        ("http://[::1]/x", ["[::1]:80"]),
        ("https://[::1]/x", ["::1"]),
        ("http://inside.example:8080/", ["10.0.0.0/8:8080"]),
        ("http://inside.example/", ["10.0.0.0/8"]),
        ("http://fixture.local:9/", ["fixture.local:9"]),
    ]
    refused = [
        ("http://127.0.0.1:8124/x", ["127.0.0.1:8123"]),
        ("http://127.0.0.1/x", ["127.0.0.1:8123"]),
        ("https://[::1]/x", ["[::1]:80"]),
        ("http://inside.example:8081/", ["10.0.0.0/8:8080"]),
        ("http://fixture.local:10/", ["fixture.local:9"]),
        ("http://fixture.local/", ["127.0.0.1"]),  # an address entry names the URL's host, not a resolution
    ]
    for url, allow in allowed:
        check_url(url, allow, resolver=names)
    for url, allow in refused:
        with pytest.raises(RefusedRequest, match="not allow-listed"):
            check_url(url, allow, resolver=names)


def resolver_of(table: dict[str, list[str]]) -> Callable[[str], list[str]]:
    return lambda host: table.get(host, [])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_crawl_command_leaves_no_crawl_running(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, sig: int
) -> None:
    env = clean_env(DEDUPCRAWL_HOME=str(tmp_path / "home"), REDIS_URL=redis_url)
    lock = Keys("dc").lock("crawl:fixture-news")
    # a crawl of a minute or more (40 pages, 1.5 s apart), stopped in its first seconds
    with FixtureServer(docs=40, seed=5, crawl_delay=1.5, slow_s=0.1) as web:
        cli = _crawl_cli(env, web.write_sites(tmp_path / "sites.toml"), "fixture-news")
        child = _crawl_child(cli)
        assert redis_client.exists(lock)
        os.kill(cli.pid, sig)
        cli.wait(timeout=60)  # not its output: an orphaned crawl would hold the pipes open
        deadline = time.monotonic() + 15
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the crawl outlived its command"
    if sig == signal.SIGTERM:  # stopped in order: the site is free at once
        assert not redis_client.exists(lock)
    else:  # killed: the lock outlives it by its TTL at most
        assert 0 < redis_client.ttl(lock) <= CRAWL_LOCK_TTL_S


def _alive(process: psutil.Process) -> bool:
    """Running, not a zombie (an orphan's exit status may never be read here)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
