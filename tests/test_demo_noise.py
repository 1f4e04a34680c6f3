"""No site noise in what the demo stores: the demo's fixture web crawled for real, drained by real
workers, then its export, every reused span and every template slot checked against the noise
catalogue (dedup.normalize.catalogue) and the normalizer's own chrome and spam tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from archive.keys import Keys
from dedup.normalize import DEFAULT_NORM
from dedup.normalize.catalogue import noise_markers
from dedup.normalize.chrome import is_site_chrome
from dedup.normalize.spam import is_spam_line
from tests.cli_process import clean_env, run_cli
from tests.crawl_runs import crawl_and_drain
from tests.engine_stack import ENGINE, cluster_config, stores
from workers.cli import app
from workers.redis.redis_server import ServerInfo
from workers.stores.cluster_store import ClusterStore

# `dedupcrawl demo`'s own fixture web: its default size and seed, and its three sites.
DEMO_DOCS, DEMO_SEED = 120, 7
PREFIX = "noise"
runner = CliRunner()

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Demo:
    home: Path
    env: dict[str, str]
    connection: redis.Redis


@pytest.fixture(scope="module")
def demo(redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("demo-noise")
    env = clean_env(DEDUPCRAWL_HOME=str(home), REDIS_URL=redis_server.url, DEDUPCRAWL_KEY_PREFIX=PREFIX)
    connection = redis.Redis.from_url(redis_server.url)
    for key in connection.scan_iter(f"{PREFIX}:*"):
        connection.delete(key)
    crawl_and_drain(home, env, redis_server.url, DEMO_DOCS, DEMO_SEED)
    yield Demo(home, env, connection)
    connection.close()


def chrome(text: str, *, passage: bool = False) -> list[str]:
    """Why `text` (a document's, or a `passage` of one) is site noise: the catalogued markers in
    it, and its lines that the normalizer's chrome or spam tests flag (empty: it is not noise)."""
    found = [f"{name}: {match!r}" for name, match in noise_markers(text, passage=passage)]
    lines = (line.strip() for line in text.split("\n"))
    found += [f"chrome line: {line!r}" for line in lines if line and _chrome_line(line)]
    return found


def _chrome_line(line: str) -> bool:
    # A value of one to three characters (大, 小, 中 are button words too) is judged by markers only.
    return len(line) >= 4 and (is_site_chrome(line, DEFAULT_NORM) or is_spam_line(line))


def _cli(demo: Demo, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, list(args), env=demo.env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_catalogue_finds_the_noise_the_demo_export_carried() -> None:
    """The oracle itself: each kind the issue found in the demo export is a catalogued marker."""
    seen = [
        "返回 下载 相关 举报1、同志们：这次会议是县退役军人系统的一次会议。",
        "王牌对王牌第一季综艺,免费在线观看网站,高清影视大全,最新电视剧下载",
        "剩余1页未读，下载完整文档",
        "提前抓好生源摸底、生源相对集中区域？qū)W校建设、师资调配等工作。",
        "为实现教育发展的新跨越而努力奋斗！2019年巴林左旗教育会议圆满结束教育工作全旗教育局党建",
        "相关资源当前位置：首页 > 应用文书 > 汇报体会",
    ]
    assert all(chrome(text) for text in seen), [text for text in seen if not chrome(text)]
    assert chrome("同志们：今天我们召开全县教育工作会议，主要任务是总结工作、部署任务。") == []


def test_the_demo_export_carries_no_noise(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    result = run_cli("export", "--out", str(out), env=demo.env)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) >= 40  # the demo exports about half of its 120 documents
    noisy = {r["url"]: found for r in records if (found := chrome(r["text"]))}
    assert not noisy, f"{len(noisy)} of {len(records)} exported records carry noise: {noisy}"


def test_no_reused_span_is_site_chrome(demo: Demo) -> None:
    store = stores(demo.connection, Keys(PREFIX), warc_dir=demo.home / "warc").documents
    spans = 0
    bad: dict[str, list[str]] = {}
    for doc_id in store.document_ids():
        traced = _cli(demo, "trace", doc_id, "--json")
        for span in traced["spans"]:
            spans += 1
            found = chrome(span["text"], passage=True) + chrome(span["source"]["text"] or "", passage=True)
            if found:
                bad[f"{traced['url']} {span['start']}-{span['end']}"] = found
    assert spans >= 50
    assert not bad, f"{len(bad)} of {spans} reused spans are chrome: {bad}"


def test_no_template_slot_is_site_chrome(demo: Demo) -> None:
    store = stores(demo.connection, Keys(PREFIX), warc_dir=demo.home / "warc").documents
    clusters = ClusterStore(demo.connection, Keys(PREFIX), cluster_config(ENGINE.fingerprint_id))
    cluster_ids = {c for c in map(clusters.cluster_of, store.document_ids()) if c}
    slots = 0
    bad: dict[str, list[str]] = {}
    for cluster_id in sorted(cluster_ids):
        if len(clusters.members(cluster_id)) < 2:
            continue
        template = _cli(demo, "template", cluster_id, "--json")
        for slot in template["slots"]:
            slots += 1
            values = [slot["text"], *(v["value"] or "" for v in slot["values"])]
            found = [reason for value in values for reason in chrome(value, passage=True)]
            if found:
                bad[f"{cluster_id} {{{{{slot['index']}}}}}"] = found
    assert slots >= 20
    assert not bad, f"{len(bad)} of {slots} slots are chrome: {bad}"
