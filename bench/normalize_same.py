"""The normalizer of this checkout against the one of a git ref: the same output, record by record,
and its CPU per document, side by side in one run.

Inputs, written once and fed to both:
  bench     `synthetic.corpus.generate(N, 7)` (the bench corpus, `bench/peers.py`'s seed): each
            document's noisy text and its clean text, with its title
  pages     every `original/*.html` of a real-pages dataset (e.g. zh-extraction), decoded and
            extracted by this checkout's extractor, then normalized as `normalize(extraction)`
            does (title, author and site name as bylines); read where it lies, never copied
  examples  texts drawn by hypothesis (derandomized, so the same on every run) from the
            catalogue's noise vocabulary, CJK (traditional too), pinyin, tags and odd spaces
Each side runs in a child process with its tree first on sys.path and writes every field of each
NormalizedText (or the rejection's reason and detail); any difference is printed and exits 1.
Timing: the bench corpus's noisy texts by `time.process_time`, both trees loaded side by side in
one process and taking turns every 50 documents, after a warm-up pass, for `--repeats` rounds (on a
busy machine, separate runs differ by more than the change measured).

    python bench/normalize_same.py [--ref main] [--docs 3000] [--pages DATASET] [--examples N]
                                   [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 7  # bench/peers.py's corpus


# ---- inputs (this checkout) -----------------------------------------------------------------


def bench_inputs(docs: int) -> Iterator[dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    from synthetic.corpus import generate

    for doc in generate(docs, SEED):
        yield {"kind": "bench", "id": doc.doc_id, "text": doc.noisy, "title": doc.title}
        yield {"kind": "clean", "id": doc.doc_id, "text": doc.text, "title": doc.title}


def page_inputs(dataset: Path) -> Iterator[dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    from dedup.errors import Rejected
    from dedup.extract import extract
    from dedup.records import Page

    for path in sorted((dataset / "original").glob("*.html")):
        page = Page(capture_id=path.name, url=path.resolve().as_uri(), body=path.read_bytes())
        try:
            extraction = extract(page)
        except Rejected as rejected:
            yield {"kind": "page_rejected", "id": path.name, "reason": str(rejected)}
            continue
        bylines = [b for b in (extraction.author, extraction.site) if b]
        yield {"kind": "page", "id": extraction.capture_id, "text": extraction.text,
               "title": extraction.title, "bylines": bylines}  # fmt: skip


def example_inputs(count: int) -> list[dict[str, Any]]:
    """Texts hypothesis draws (derandomized): lines of noise words, CJK, digits and marks."""
    sys.path.insert(0, str(ROOT))
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from dedup.normalize import catalogue

    words = sorted(
        {*catalogue.BUTTON_WORDS, *catalogue.BREADCRUMB_LABELS, *catalogue.SECTION_HEADINGS,
         "上传人：", "文档编号:", "大小：28KB", "页数：6", "第 2 页 共 6 页", "3/6", "- 4 -", "page 2 of 5",
         "讲话.doc_第2页", "ICP备12345号", "公网安备", "版权所有", "Copyright ©", "免责声明",
         "客服QQ：12345678", "电话:010-12345678", "本文关键词：", "来源：网络", "http://www.example.com/a",
         "首页 > 新闻 >", "还剩3页未读", "展开阅读全文", "毛片", "在线观看", "免费下载", "高清", "视频",
         "成人", "av",
         "當(dāng)前", "會(huì)議", "長?zhǎng)", "全国,、全省", "精神,,全面", "主持,。", "<b>", "</h3>",
         "<br>",
         "&nbsp;", "&amp;", "<!-- x -->", "\u3000", "\u00a0", "\t", "  ", "\r\n", "1、", "2、", "3.", "教育",
         "工作", "全旗", "同志们：", "2023-05-06", "发布时间：2023-05-06 10:20", "會議講話", "學習", "！",
         "。", "，", "；", "：", ":", "、", "|", "/", "【打印本页】", "[关闭]", "»", "→", "-", "_", "—",
         "...", "上一页", "下一页", "1 2 3 下一页", "·"}
    )  # fmt: skip
    piece = st.one_of(
        st.sampled_from(words),
        st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), min_size=1, max_size=30),
        st.text(alphabet="0123456789 abcPIC.:-/ü\n。，！?", max_size=8),
        st.text(max_size=4),
    )
    line = st.lists(piece, max_size=12).map("".join)
    text = st.lists(line, min_size=1, max_size=30).map("\n".join)
    found: list[dict[str, Any]] = []

    @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)  # fmt: skip
    @given(text, st.one_of(st.none(), line), st.lists(st.sampled_from(words), max_size=2))
    def draw(body: str, title: str | None, bylines: list[str]) -> None:
        found.append({"kind": "example", "id": f"ex{len(found)}", "text": body, "title": title,
                      "bylines": bylines})  # fmt: skip

    draw()
    return found


# ---- a child: one tree's normalizer over the inputs ----------------------------------------


def child(tree: Path, inputs: Path, out: Path) -> None:
    sys.path.insert(0, str(tree))
    from dedup.errors import Rejected
    from dedup.normalize import normalize_text

    records = [json.loads(line) for line in inputs.open(encoding="utf-8")]
    records = [r for r in records if "text" in r]

    def one(r: dict[str, Any]) -> dict[str, Any]:
        try:
            n = normalize_text(r["text"], r["id"], title=r.get("title"), bylines=r.get("bylines", ()))
        except Rejected as rejected:
            return {"rejected": rejected.reason, "detail": rejected.detail}
        return {"source_id": n.source_id, "display": n.display, "key": n.key, "key_offsets": n.key_offsets,
                "original": n.original, "removed": [[x.reason, x.text] for x in n.removed],
                "truncated": n.truncated, "norm_version": n.norm_version, "title": n.title}  # fmt: skip

    with out.open("w", encoding="utf-8") as sink:
        for r in records:
            sink.write(json.dumps(one(r), ensure_ascii=False) + "\n")
    import dedup

    print(json.dumps({"module": dedup.__file__}))


def _load(tree: Path) -> tuple[Any, type[Exception]]:
    """normalize_text and Rejected of `tree`: its `dedup` modules imported afresh, then set aside
    (each function keeps its own module's globals), so two trees run side by side in one process."""
    for name in [n for n in sys.modules if n == "dedup" or n.startswith("dedup.")]:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    try:
        pipeline = importlib.import_module("dedup.normalize.pipeline")
        errors = importlib.import_module("dedup.errors")
    finally:
        sys.path.remove(str(tree))
    if not str(pipeline.__file__).startswith(str(tree)):
        raise SystemExit(f"error: imported {pipeline.__file__}, not the tree {tree}")
    return pipeline.normalize_text, errors.Rejected


def timer(trees: list[Path], inputs: Path, rounds: int) -> None:
    """CPU ms per document of each tree on the bench texts, in one process: the trees take turns
    every 50 documents (in alternating order), so a busy machine slows both alike."""
    texts = [r["text"] for r in map(json.loads, inputs.open(encoding="utf-8")) if r["kind"] == "bench"]
    sides = [_load(tree) for tree in trees]

    def run(side: tuple[Any, type[Exception]], start: int, stop: int) -> float:
        normalize_text, rejected = side
        began = time.process_time()
        for index in range(start, stop):
            with contextlib.suppress(rejected):
                normalize_text(texts[index], str(index))
        return time.process_time() - began

    for side in sides:  # warm-up: tables, caches
        run(side, 0, len(texts))
    spent = [[0.0] * rounds for _ in sides]
    for turn in range(rounds):
        for batch, start in enumerate(range(0, len(texts), 50)):
            order = range(len(sides)) if (batch + turn) % 2 == 0 else reversed(range(len(sides)))
            for which in order:
                spent[which][turn] += run(sides[which], start, min(start + 50, len(texts)))
    print(json.dumps([[t / max(1, len(texts)) * 1000 for t in times] for times in spent]))


def run_child(tree: Path, inputs: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(tree), str(inputs), str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=tree)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not str(result["module"]).startswith(str(tree)):
        raise SystemExit(f"error: the child imported {result['module']}, not the tree {tree}")
    return result


def export_ref(ref: str, into: Path) -> Path:
    """The tree of `ref` (git archive), without touching any checkout."""
    archive = subprocess.run(["git", "archive", ref], check=True, capture_output=True, cwd=ROOT).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


# ---- comparison -----------------------------------------------------------------------------


def compare(inputs: Path, before: Path, after: Path) -> tuple[dict[str, int], list[str]]:
    kinds = [r["kind"] for r in map(json.loads, inputs.open(encoding="utf-8")) if "text" in r]
    counts: dict[str, int] = {}
    differences: list[str] = []
    with before.open(encoding="utf-8") as old, after.open(encoding="utf-8") as new:
        for index, (kind, a, b) in enumerate(zip(kinds, old, new, strict=True)):
            counts[kind] = counts.get(kind, 0) + 1
            if a != b:
                differences.append(f"input {index} ({kind}):\n  before {a[:400]}\n  after  {b[:400]}")
    return counts, differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="the git ref to compare against (default main)")
    parser.add_argument("--docs", type=int, default=3000, help="bench corpus documents (default 3000)")
    parser.add_argument("--pages", type=Path, help="a dataset folder with original/*.html pages")
    parser.add_argument("--examples", type=int, default=2000, help="hypothesis-drawn texts (default 2000)")
    parser.add_argument("--repeats", type=int, default=3, help="timing rounds per tree (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="normalize_same-") as temp:
        work = Path(temp)
        inputs = work / "inputs.jsonl"
        with inputs.open("w", encoding="utf-8") as sink:
            rows = [*bench_inputs(args.docs), *(page_inputs(args.pages) if args.pages else ()),
                    *example_inputs(args.examples)]  # fmt: skip
            for row in rows:
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
        ref_tree = export_ref(args.ref, work / "ref")
        run_child(ref_tree, inputs, work / "before.jsonl")
        run_child(ROOT, inputs, work / "after.jsonl")
        timer_args = ["--timer", str(ref_tree), str(ROOT), str(inputs), str(args.repeats)]
        timed = subprocess.run(
            [sys.executable, __file__, *timer_args], check=True, capture_output=True, text=True
        )
        before, after = json.loads(timed.stdout.strip().splitlines()[-1])
        counts, differences = compare(inputs, work / "before.jsonl", work / "after.jsonl")
    rejected_pages = sum(1 for r in rows if r["kind"] == "page_rejected")
    result = {"compared": counts, "different": len(differences), "pages_not_extracted": rejected_pages,
              "before_ms_per_doc": [round(t, 3) for t in before],
              "after_ms_per_doc": [round(t, 3) for t in after],
              "speedup": round(sum(before) / sum(after), 2)}  # fmt: skip
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for line in differences[:10]:
            print(line)
        print(f"compared {counts} ({rejected_pages} pages not extracted): {len(differences)} different; "
              f"ms/doc before {result['before_ms_per_doc']} after {result['after_ms_per_doc']} "
              f"(x{result['speedup']})")  # fmt: skip
    if differences:
        raise SystemExit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    elif sys.argv[1:2] == ["--timer"]:
        timer([Path(sys.argv[2]), Path(sys.argv[3])], Path(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
