"""Evaluation corpus: template speech families, unrelated and mixed speeches, with ground truth.

`generate(n_docs, seed)` is a pure function of its arguments (and `CorpusConfig`). Speeches are
composed from speech-like sentence frames filled with words of jieba's bundled dictionary, so
unrelated speeches share few 5-grams; a few families use the real speech sentences of the seed
pages (`corpus_seeds.txt`, cleaned once from tests/fixtures/seeds) as their template.

A family is a template (published first) and variants derived from it: place names, officials
and years swapped, paragraphs dropped, sentences rewritten, local paragraphs added, sections
reordered; some variants are verbatim reposts, a few ("hard") are cut down near the edge rule's
border. Mixed speeches reuse 2-3 paragraphs from each of 2-3 families (family None). Every
document has clean `text` (ground-truth offsets point into it) and `noisy`, the text a crawled
page would show (chrome lines, page chunks, traditional characters with pinyin garbles, ...).

Knobs (`CorpusConfig`):
    family_share       share of documents in template families (template + variants)
    family_size        (min, max) documents per family, template included
    mixed_share        share of mixed speeches
    repost_share       share of variants that repost the template text verbatim
    hard_share         share of variants cut down to roughly 55-70 % of the template
    paragraphs         (min, max) body paragraphs of a composed speech
    sentences          (min, max) sentences per body paragraph
    drop, rewrite      (min, max) paragraph drop rate and sentence rewrite rate of a normal variant
    local              (min, max) local paragraphs a normal variant adds
    traditional_share  share of noisy texts shown in traditional characters with pinyin garbles
    spam_share         share of noisy texts with an injected SEO spam first line
    min_span           reused spans shorter than this (slivers between swapped names) are not listed
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources

SITE_KINDS = ("docshare", "news", "gov")
SITES: dict[str, tuple[str, ...]] = {
    "docshare": ("wenku.example.cn", "taowen.example.com", "gongwen.example.net"),
    "news": ("news.example.cn", "meipian.example.cn", "daily.example.com"),
    "gov": ("jyj.example.gov.cn", "www.example.gov.cn"),
}


@dataclass(frozen=True, slots=True)
class ReusedSpan:
    """text[start:end] of a document came from source_id's text[source_start:source_end]."""

    start: int
    end: int
    source_id: str
    source_start: int
    source_end: int


@dataclass(frozen=True, slots=True)
class CorpusDoc:
    doc_id: str
    url: str
    site: str
    site_kind: str
    title: str
    published: date
    text: str
    noisy: str
    family: str | None
    spans: tuple[ReusedSpan, ...]
    role: str = "unrelated"  # template | variant | repost | hard | mixed | unrelated


@dataclass(frozen=True, slots=True)
class CorpusConfig:
    family_share: float = 0.6
    family_size: tuple[int, int] = (2, 12)
    mixed_share: float = 0.03
    repost_share: float = 0.1
    hard_share: float = 0.1
    paragraphs: tuple[int, int] = (8, 16)
    sentences: tuple[int, int] = (2, 5)
    drop: tuple[float, float] = (0.0, 0.2)
    rewrite: tuple[float, float] = (0.0, 0.12)
    local: tuple[int, int] = (0, 2)
    traditional_share: float = 0.2
    spam_share: float = 0.15
    min_span: int = 10
    start: date = field(default=date(2015, 1, 1))


# --- vocabulary and frames -------------------------------------------------------------------

_SLOT = "\x00"  # a piece starting with this is a slot name, filled per document
PLACE, OFFICIAL, YEAR, NEXT_YEAR = "\x00P", "\x00O", "\x00Y", "\x00Z"
_SLOT_TOKENS = {"P": PLACE, "O": OFFICIAL, "Y": YEAR, "Z": NEXT_YEAR}

_BODY_FRAMES = (
    "要{v}{n}，{v}{n}，{a}{v}{n}。",
    "{P}始终坚持以{n}为{n}，{v}{n}，{v}{n}。",
    "{Y}年，全{u}{n}工作取得{a}成效，{n}{v}明显。",
    "一是{v}{n}。二是{v}{n}。三是{v}{n}。",
    "我们要{v}“{n}{n}”{n}，推动{n}和{n}{a}发展。",
    "通过{v}{n}，{v}{n}，全面提升{n}{n}水平。",
    "截至目前，共{v}{n}{num}个，{v}{n}{num}名，{n}覆盖率达到{num}%。",
    "{i}，{i}，切实把{n}{v}到{n}之中。",
    "各{n}要{v}{n}，{v}{n}，确保{n}{v}见效。",
    "在{n}上，我们{v}了“{n}+{n}”模式，{n}{v}{a}。",
    "坚持{n}{v}、{n}{v}，形成{n}{v}的{a}格局。",
    "{O}同志{v}了{n}{n}，提出要{v}{n}。",
    "要{a}{v}{n}，把{n}作为{n}的{a}任务。",
    "当前，{n}{v}面临{a}的{n}，{n}{v}仍然{a}。",
    "{Y}年是{n}{v}的关键之年，{n}{v}任务{a}。",
    "我们{v}{n}{num}项，{v}{n}{num}次，{n}满意度{a}提升。",
    "针对{n}{v}不足的问题，{v}{n}，{v}{n}，{i}。",
    "要{v}“{n}”理念，{v}{n}机制，{v}{n}体系。",
    "全{u}上下要{i}，{v}{n}，为{n}{v}提供{a}保障。",
    "{P}{n}{v}工作走在全{u}前列，{n}{v}获得{n}肯定。",
    "进一步{v}{n}，{v}{n}，加快{n}{n}建设。",
    "以{n}为{n}，以{n}为{n}，以{n}为{n}，{v}{n}。",
    "{n}是{n}的{a}基础，{n}是{n}的{a}保障。",
    "要把{n}摆在{a}位置，{v}{n}，{v}{n}。",
    "各级{n}要{v}{n}责任，{i}，{v}{n}。",
    "深入开展“{n}{n}”活动，{v}{n}{num}场次，{n}{v}{num}人次。",
    "{Z}年，要重点{v}{n}，{v}{n}，{v}{n}。",
    "对{n}{v}的{n}，要{a}{v}，{i}。",
    "我们{v}{n}，{v}{n}，{n}{n}{a}改善。",
    "在{n}和{n}方面，{v}{n}，{n}{v}{a}。",
)
_HEADING_FRAMES = (
    "{v}{n}，{v}{n}",
    "{a}{v}{n}，{i}",
    "{v}{n}{n}，{v}{n}{n}",
    "坚持{n}{v}，{v}{n}",
)
_OPENING_FRAMES = (
    "同志们：今天我们召开{P}{Y}年{t}工作会议，主要任务是{v}{n}，{v}{n}，{v}{n}。",
    "同志们：这次会议是{P}{t}系统的一次{a}会议，刚才，{O}同志{v}了{n}，我完全赞同。",
    "同志们：今年以来，{P}{t}工作在{n}的{a}领导下，{v}{n}，{v}{n}。",
)
_CLOSING_FRAMES = (
    "同志们，{Z}年{t}工作任务{a}，让我们{i}，{v}{n}，为{P}{n}{v}作出新的贡献！",
    "同志们，{n}{a}，{n}{a}。让我们{v}{n}，{i}，奋力开创{P}{t}工作新局面！",
    "同志们，{i}，{i}。全{u}{t}系统要{v}{n}，以{a}的成绩向{Z}年献礼！谢谢大家！",
)
_TOPICS = (
    "教育",
    "卫生健康",
    "生态环境",
    "安全生产",
    "农业农村",
    "民政",
    "审计",
    "统计",
    "文化旅游",
    "招商引资",
    "乡村振兴",
    "党建",
    "水利",
    "交通运输",
    "市场监管",
    "应急管理",
    "科技创新",
    "人力资源",
    "住房建设",
    "财政",
    "医疗保障",
    "退役军人",
    "林业",
    "信访",
)
_OFFICE_TITLES = ("局长", "副局长", "区长", "副区长", "县长", "副县长", "市长", "副市长", "书记")
_UNITS = ("市", "区", "县", "旗")
_NUMERALS = "一二三四五六七八九十"
_TOKEN = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class _Vocab:
    words: dict[str, tuple[str, ...]]
    places: tuple[str, ...]
    names: tuple[str, ...]


_WORD_TAGS = {"n": "n", "v": "v", "a": "a", "vn": "vn", "i": "i", "ns": "ns", "nr": "nr"}


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    """Common words of jieba's dictionary by part of speech (file order, so deterministic)."""
    text = (resources.files("jieba") / "dict.txt").read_text("utf-8")
    buckets: dict[str, list[str]] = {tag: [] for tag in _WORD_TAGS}
    for line in text.splitlines():
        word, freq, tag = line.split(" ")
        if tag in buckets and _usable(word, int(freq), tag):
            buckets[tag].append(word)
    words = {tag: tuple(ws) for tag, ws in buckets.items()}
    return _Vocab(words, words["ns"], tuple(w for w in words["nr"] if len(w) == 3))


# Common words read like speech; rarer ones add variety (fewer shared 5-grams between speeches).
_MIN_FREQ = {"n": 500, "v": 500, "a": 200, "vn": 200, "i": 100, "ns": 200, "nr": 20}


def _usable(word: str, freq: int, tag: str) -> bool:
    longest = 4 if tag == "i" else 3
    return freq >= _MIN_FREQ[tag] and 2 <= len(word) <= longest and _is_cjk(word)


def _is_cjk(word: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in word)


def _parse(frame: str) -> tuple[tuple[bool, str], ...]:
    """Frame → (is_token, value) parts; tokens are word classes or slot letters."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    for m in _TOKEN.finditer(frame):
        if m.start() > pos:
            parts.append((False, frame[pos : m.start()]))
        parts.append((True, m.group(1)))
        pos = m.end()
    if pos < len(frame):
        parts.append((False, frame[pos:]))
    return tuple(parts)


_PARSED = {
    name: tuple(_parse(f) for f in frames)
    for name, frames in (
        ("body", _BODY_FRAMES),
        ("heading", _HEADING_FRAMES),
        ("opening", _OPENING_FRAMES),
        ("closing", _CLOSING_FRAMES),
    )
}

Sentence = tuple[str, ...]  # pieces: literal text or a slot marker (PLACE, OFFICIAL, ...)
_LITERAL, _WORD, _SLOT_PIECE, _SPECIAL = range(4)
_Part = tuple[int, str, tuple[str, ...]]


@lru_cache(maxsize=1)
def _compiled() -> dict[str, tuple[tuple[_Part, ...], ...]]:
    """Frames with each token resolved once: literal, word list, slot marker or special."""
    words = _vocab().words

    def part(is_token: bool, value: str) -> _Part:
        if not is_token:
            return (_LITERAL, value, ())
        if value in _SLOT_TOKENS:
            return (_SLOT_PIECE, _SLOT_TOKENS[value], ())
        if value in words:
            return (_WORD, value, words[value])
        return (_SPECIAL, value, ())

    return {
        kind: tuple(tuple(part(t, v) for t, v in frame) for frame in frames)
        for kind, frames in _PARSED.items()
    }


class _Composer:
    """Fills sentence frames with random words; slots stay markers until rendering."""

    def __init__(self, rng: random.Random, topic: str, unit: str) -> None:
        self.rng, self.topic, self.unit = rng, topic, unit

    def fill(self, kind: str, prefix: str = "") -> Sentence:
        pieces: list[str] = []
        buf = [prefix]
        rnd = self.rng.random
        for code, value, words in self.rng.choice(_compiled()[kind]):
            if code == _LITERAL:
                buf.append(value)
            elif code == _WORD:
                buf.append(words[int(rnd() * len(words))])
            elif code == _SLOT_PIECE:
                pieces.append("".join(buf))
                pieces.append(value)
                buf = []
            else:
                buf.append(self._special(value))
        pieces.append("".join(buf))
        return tuple(p for p in pieces if p)

    def _special(self, cls: str) -> str:
        if cls == "t":
            return self.topic
        if cls == "u":
            return self.unit
        return str(self.rng.randrange(3, 400))

    def paragraph(self, cfg: CorpusConfig) -> list[Sentence]:
        return [self.fill("body") for _ in range(self.rng.randint(*cfg.sentences))]

    def speech(self, cfg: CorpusConfig) -> list[list[Sentence]]:
        """Opening, numbered sections of a heading and body paragraphs, closing."""
        body = self.rng.randint(*cfg.paragraphs)
        sections = max(1, min(len(_NUMERALS), body // 3))
        paras: list[list[Sentence]] = [[self.fill("opening")]]
        for s in range(sections):
            paras.append([self.fill("heading", f"{_NUMERALS[s]}、")])
            count = body // sections + (1 if s < body % sections else 0)
            paras.extend(self.paragraph(cfg) for _ in range(count))
        paras.append([self.fill("closing")])
        return paras


# --- rendering with provenance -----------------------------------------------------------------


@dataclass(slots=True)
class _Sent:
    """A sentence of a draft; `origin` is the template and position it was copied from."""

    pieces: Sentence
    origin: _Template | None = None
    where: tuple[int, int] = (0, 0)


@dataclass(slots=True)
class _Template:
    doc_id: str
    paragraphs: list[list[Sentence]]
    binding: dict[str, str]
    published: date
    family: str
    offsets: list[list[list[int]]] = field(default_factory=list)  # piece starts in its text


class _Builder:
    """Accumulates text and merges contiguous copied pieces into reused spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[list[int | str]] = []  # [start, end, source_id, source_start, source_end]

    def add(self, text: str, source: tuple[str, int] | None) -> None:
        if source is not None:
            last = self.spans[-1] if self.spans else None
            if last and last[1] == self.length and last[2] == source[0] and last[4] == source[1]:
                last[1] = self.length + len(text)
                last[4] = source[1] + len(text)
            else:
                end = self.length + len(text)
                self.spans.append([self.length, end, source[0], source[1], source[1] + len(text)])
        self.parts.append(text)
        self.length += len(text)

    def newline(self) -> None:
        self.parts.append("\n")
        self.length += 1


def _render(
    paragraphs: Sequence[Sequence[_Sent]], binding: dict[str, str], min_span: int
) -> tuple[str, tuple[ReusedSpan, ...], list[list[list[int]]]]:
    """Text, reused spans, and each piece's start offset."""
    out = _Builder()
    offsets: list[list[list[int]]] = []
    for p, para in enumerate(paragraphs):
        if p:
            out.newline()
        offsets.append([])
        for sent in para:
            offsets[-1].append(_render_sentence(out, sent, binding))
    spans = tuple(
        ReusedSpan(int(s[0]), int(s[1]), str(s[2]), int(s[3]), int(s[4]))
        for s in out.spans
        if int(s[1]) - int(s[0]) >= min_span
    )
    return "".join(out.parts), spans, offsets


def _render_sentence(out: _Builder, sent: _Sent, binding: dict[str, str]) -> list[int]:
    starts = []
    origin = sent.origin
    for i, piece in enumerate(sent.pieces):
        starts.append(out.length)
        value = binding[piece] if piece.startswith(_SLOT) else piece
        source = None
        if origin is not None and (not piece.startswith(_SLOT) or origin.binding[piece] == value):
            p, s = sent.where
            source = (origin.doc_id, origin.offsets[p][s][i])
        out.add(value, source)
    return starts


# --- documents ----------------------------------------------------------------------------------


class _Generator:
    def __init__(self, n_docs: int, seed: int, cfg: CorpusConfig) -> None:
        self.rng = random.Random(seed)
        self.cfg = cfg
        self.n_docs = n_docs
        ids = list(range(n_docs))
        self.rng.shuffle(ids)
        self.ids = [f"doc{i:06d}" for i in ids]
        self.docs: list[CorpusDoc] = []
        self.templates: list[_Template] = []
        self.vocab = _vocab()

    def next_id(self) -> str:
        return self.ids[len(self.docs)]

    def binding(self, unit: str, year: int | None = None) -> dict[str, str]:
        y = year if year is not None else self.rng.randrange(2015, 2025)
        place = self.rng.choice(self.vocab.places) + unit
        return {
            PLACE: place,
            OFFICIAL: self.rng.choice(self.vocab.names),
            YEAR: str(y),
            NEXT_YEAR: str(y + 1),
        }

    def random_date(self) -> date:
        return self.cfg.start + timedelta(days=self.rng.randrange(3300))

    def emit(
        self,
        paras: Sequence[Sequence[_Sent]],
        binding: dict[str, str],
        *,
        published: date,
        family: str | None,
        role: str,
        title: str,
    ) -> tuple[str, list[list[list[int]]]]:
        doc_id = self.next_id()
        text, spans, offsets = _render(paras, binding, self.cfg.min_span)
        kind = self.rng.choice(SITE_KINDS)
        site = self.rng.choice(SITES[kind])
        url = f"https://{site}/{_URL_PATH[kind]}/{doc_id}.html"
        noisy = _noisy(text, title, kind, published, self.rng, self.cfg)
        self.docs.append(
            CorpusDoc(doc_id, url, site, kind, title, published, text, noisy, family, spans, role)
        )
        return doc_id, offsets

    def composed(self) -> tuple[list[list[Sentence]], str, str]:
        topic, unit = self.rng.choice(_TOPICS), self.rng.choice(_UNITS)
        return _Composer(self.rng, topic, unit).speech(self.cfg), topic, unit


_URL_PATH = {"docshare": "p", "news": "article", "gov": "zwgk"}


def _title(binding: dict[str, str], office: str, topic: str) -> str:
    return f"{office}{binding[OFFICIAL]}在{binding[YEAR]}年{binding[PLACE]}{topic}工作会议上的讲话"


def _make_family(g: _Generator, size: int, index: int) -> None:
    family = f"f{index:05d}"
    seeds = _seed_paragraphs()
    unit = g.rng.choice(_UNITS)
    if index < len(seeds):
        topic = "教育"
        opening: list[Sentence] = [(PLACE, f"{topic}工作会议在", YEAR, "年召开，")]
        paras = [opening, *[list(p) for p in seeds[index]]]
    else:
        paras, topic, unit = g.composed()
    office = g.rng.choice(_OFFICE_TITLES)
    binding = g.binding(unit)
    published = g.random_date()
    drafts = [[_Sent(s) for s in para] for para in paras]
    title = _title(binding, office, topic)
    doc_id, offsets = g.emit(
        drafts, binding, published=published, family=family, role="template", title=title
    )
    tpl = _Template(doc_id, paras, binding, published, family, offsets)
    g.templates.append(tpl)
    composer = _Composer(g.rng, topic, unit)
    for _ in range(size - 1):
        _make_variant(g, tpl, composer, office, topic)


def _make_variant(g: _Generator, tpl: _Template, composer: _Composer, office: str, topic: str) -> None:
    rng, cfg = g.rng, g.cfg
    roll = rng.random()
    role = (
        "repost"
        if roll < cfg.repost_share
        else ("hard" if roll < cfg.repost_share + cfg.hard_share else "variant")
    )
    published = tpl.published + timedelta(days=rng.randrange(1, 700))
    if role == "repost":
        binding = dict(tpl.binding)
        paras = _copied(tpl)
    else:
        binding = _swap(g, tpl.binding)
        paras = _edited(rng, tpl, composer, cfg, hard=role == "hard")
    g.emit(
        paras,
        binding,
        published=published,
        family=tpl.family,
        role=role,
        title=_title(binding, office, topic) + rng.choice(("", "", "范文", "（定稿）")),
    )


def _copied(tpl: _Template) -> list[list[_Sent]]:
    return [[_Sent(s, tpl, (p, i)) for i, s in enumerate(para)] for p, para in enumerate(tpl.paragraphs)]


def _swap(g: _Generator, old: dict[str, str]) -> dict[str, str]:
    unit = old[PLACE][-1]
    keep_year = g.rng.random() < 0.3
    new = g.binding(unit, int(old[YEAR]) if keep_year else None)
    if g.rng.random() < 0.1:
        new[OFFICIAL] = old[OFFICIAL]
    return new


def _edited(
    rng: random.Random, tpl: _Template, composer: _Composer, cfg: CorpusConfig, hard: bool
) -> list[list[_Sent]]:
    """Drop paragraphs, rewrite sentences, add local paragraphs, maybe swap two sections."""
    drop = rng.uniform(0.25, 0.35) if hard else rng.uniform(*cfg.drop)
    rewrite = rng.uniform(0.05, 0.12) if hard else rng.uniform(*cfg.rewrite)
    local = rng.randint(2, 4) if hard else rng.randint(*cfg.local)
    paras: list[list[_Sent]] = []
    for p, para in enumerate(_copied(tpl)):
        if 0 < p < len(tpl.paragraphs) - 1 and rng.random() < drop:
            continue
        paras.append(
            [_Sent(composer.fill("body")) if rng.random() < rewrite and len(s.pieces) else s for s in para]
        )
    for _ in range(local):
        paras.insert(rng.randint(1, max(1, len(paras) - 1)), [_Sent(s) for s in composer.paragraph(cfg)])
    if rng.random() < 0.3 and len(paras) > 6:
        _swap_blocks(rng, paras)
    return paras


def _swap_blocks(rng: random.Random, paras: list[list[_Sent]]) -> None:
    """Reorder sections: exchange two adjacent blocks of the body (opening and closing stay)."""
    a = rng.randint(1, len(paras) // 2 - 1)
    b = rng.randint(a + 1, len(paras) - 2)
    c = rng.randint(b + 1, len(paras) - 1)
    paras[a:c] = paras[b:c] + paras[a:b]


def _make_mixed(g: _Generator) -> None:
    """A speech reusing 2-3 paragraphs from each of 2-3 templates, between its own paragraphs."""
    rng = g.rng
    sources = rng.sample(g.templates, min(len(g.templates), rng.randint(2, 3)))
    paras, topic, unit = g.composed()
    drafts: list[list[_Sent]] = [[_Sent(s) for s in para] for para in paras[:3]]
    for tpl in sources:
        body = [p for p, para in enumerate(tpl.paragraphs[:-1]) if p and len(para) >= 2]
        for p in sorted(rng.sample(body, min(len(body), rng.randint(2, 3)))):
            drafts.append([_Sent(s, tpl, (p, i)) for i, s in enumerate(tpl.paragraphs[p])])
        drafts.extend([_Sent(s) for s in para] for para in paras[3:5])
    drafts.append([_Sent(s) for s in paras[-1]])
    binding = g.binding(unit)
    published = max(t.published for t in sources) + timedelta(days=rng.randrange(1, 500))
    g.emit(
        drafts,
        binding,
        published=published,
        family=None,
        role="mixed",
        title=_title(binding, rng.choice(_OFFICE_TITLES), topic),
    )


def _make_unrelated(g: _Generator) -> None:
    paras, topic, unit = g.composed()
    binding = g.binding(unit)
    g.emit(
        [[_Sent(s) for s in para] for para in paras],
        binding,
        published=g.random_date(),
        family=None,
        role="unrelated",
        title=_title(binding, g.rng.choice(_OFFICE_TITLES), topic),
    )


@lru_cache(maxsize=1)
def _seed_paragraphs() -> tuple[tuple[tuple[Sentence, ...], ...], ...]:
    """The seed pages' speech sentences (one block per seed), grouped three to a paragraph."""
    text = (resources.files("synthetic") / "corpus_seeds.txt").read_text("utf-8")
    seeds = []
    for block in text.strip().split("\n\n"):
        sents = [(line,) for line in block.splitlines() if line.strip()]
        seeds.append(tuple(tuple(sents[i : i + 3]) for i in range(0, len(sents), 3)))
    return tuple(seeds)


def generate(n_docs: int, seed: int = 0, config: CorpusConfig | None = None) -> list[CorpusDoc]:
    """A corpus of `n_docs` documents (sorted by doc_id), deterministic from `seed`."""
    if n_docs < 1:
        raise ValueError(f"n_docs must be positive, got {n_docs}")
    cfg = config or CorpusConfig()
    g = _Generator(n_docs, seed, cfg)
    in_families = int(n_docs * cfg.family_share)
    mixed = int(n_docs * cfg.mixed_share)
    while len(g.docs) < in_families:
        size = min(g.rng.randint(*cfg.family_size), in_families - len(g.docs))
        _make_family(g, max(size, 1), len(g.templates))
    while len(g.docs) < in_families + mixed and len(g.templates) >= 2:
        _make_mixed(g)
    while len(g.docs) < n_docs:
        _make_unrelated(g)
    return sorted(g.docs, key=lambda d: d.doc_id)


# --- noise: what a crawled page's text shows ----------------------------------------------------

_PINYIN = {
    "会": "huì",
    "当": "dāng",
    "长": "zhǎng",
    "务": "wù",
    "结": "jié",
    "领": "lǐng",
    "导": "dǎo",
    "设": "shè",
    "质": "zhì",
    "习": "xí",
    "网": "wǎng",
    "时": "shí",
    "发": "fā",
    "进": "jìn",
    "实": "shí",
    "现": "xiàn",
    "创": "chuàng",
    "标": "biāo",
    "训": "xùn",
    "级": "jí",
    "记": "jì",
    "题": "tí",
    "关": "guān",
    "内": "nèi",
    "间": "jiān",
    "强": "qiáng",
    "优": "yōu",
    "环": "huán",
    "圳": "zhèn",
    "坚": "jiān",
    "风": "fēng",
    "制": "zhì",
    "责": "zé",
    "县": "xiàn",
    "区": "qū",
    "乡": "xiāng",
    "业": "yè",
    "经": "jīng",
}
_SPAM = (
    "王牌对王牌第一季综艺,免费在线观看网站,高清影视大全,最新电视剧下载",
    "澳门赌场在线,真人娱乐平台,百家乐技巧,彩票计划网",
    "免费看电影的网站,无码高清在线,成人直播app,午夜影院",
)
_TAGS = ("教育", "工作", "全旗", "党建", "发展", "质量", "安全", "会议", "讲话", "领导")
_PUNCT = re.compile(r"[，、。；]")


@lru_cache(maxsize=1)
def _traditional() -> tuple[dict[int, str], re.Pattern[str]]:
    """A character-level s2t table (only characters that convert back), and a pinyin pattern."""
    import opencc  # local: only noisy texts need it

    chars = sorted({ch for ws in _vocab().words.values() for w in ws for ch in w} | set(_PINYIN))
    to_t = opencc.OpenCC("s2t").convert("\n".join(chars)).split("\n")
    back = opencc.OpenCC("t2s").convert("\n".join(to_t)).split("\n")
    table = {
        ord(c): t for c, t, b in zip(chars, to_t, back, strict=True) if len(t) == 1 and t != c and b == c
    }
    return table, re.compile("[" + "".join(sorted(_PINYIN)) + "]")


def _to_traditional(text: str, rng: random.Random) -> str:
    table, pattern = _traditional()
    garbled = pattern.sub(
        lambda m: m.group() + f"({_PINYIN[m.group()]})" if rng.random() < 0.5 else m.group(), text
    )
    return garbled.translate(table)


def _noisy(text: str, title: str, kind: str, published: date, rng: random.Random, cfg: CorpusConfig) -> str:
    body = text
    if rng.random() < 0.5:
        body = body.replace("“", " ").replace("”", " ")
    if rng.random() < 0.3:
        body = _PUNCT.sub(lambda m: ("," if rng.random() < 0.08 else "") + m.group(), body)
    page = _LAYOUTS[kind](body, title, published, rng)
    if rng.random() < cfg.traditional_share:
        page = _to_traditional(page, rng)
    if rng.random() < cfg.spam_share:
        page = rng.choice(_SPAM) + "\n\n" + page
    return page


def _docshare(body: str, title: str, published: date, rng: random.Random) -> str:
    """taowenge-style: upload metadata, numbered page chunks split mid-word, counters, footer."""
    flat = body.replace("\n", "")
    size = rng.randint(500, 1500)
    chunks = [flat[i : i + size] for i in range(0, len(flat), size)]
    pages = len(chunks)
    head = (
        f"{title}.doc\n\n上传人:{rng.choice('王李张刘陈')}*** "
        f"文档编号:{rng.randrange(10**7, 10**8)} 上传时间:{published.isoformat()} "
        f"格式:DOC 页数:{pages} 大小:{rng.randint(12, 90)}.50KB\n"
        "返回 下载 相关 举报\n"
    )
    text = "\n\n".join(f"{i + 1}、{c}" for i, c in enumerate(chunks))
    foot = (
        f"第 {pages} 页 共 {pages} 页\n\n展开阅读全文\n相关资源\n\n"
        "当前位置：首页 > 应用文书 > 汇报体会\n\n"
        "本站为文档C TO C交易模式，本站只提供存储空间。"
        "若文档所含内容侵犯了您的版权或隐私，请立即通知我们删除！"
        f"客服QQ:{rng.randrange(10**8, 10**9)}\n\n"
        f"工信部备案号:黑ICP备{rng.randrange(10**7, 10**8)}号"
    )
    return f"{head}\n{text}{foot}"


def _news(body: str, title: str, published: date, rng: random.Random) -> str:
    """meipian-style: author line, leftover HTML tags around paragraphs, trailing tag cloud."""
    tagged = "\n".join(_tagged(p, rng) for p in body.split("\n"))
    tags = "\n\n".join(rng.sample(_TAGS, rng.randint(4, 8)))
    author = rng.choice(_vocab().names)
    return f"{title}\n\n{author}\n\n{published.isoformat()}\n\n{tagged}\n\n{tags}"


def _tagged(paragraph: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return f"<h3>{paragraph}</h3>"
    return f"<b>{paragraph}</b><br>" if roll < 0.5 else paragraph


def _gov(body: str, title: str, published: date, rng: random.Random) -> str:
    """Government portal: breadcrumbs, publication line, print/close links, ICP/公网安备 footer."""
    return (
        f"当前位置：首页 > 工作动态 > 领导讲话\n\n{title}\n"
        f"发布时间：{published.isoformat()}  来源：办公室  "
        f"浏览次数：{rng.randrange(50, 5000)}\n\n{body}\n\n【打印本页】【关闭窗口】\n\n"
        f"网站标识码：{rng.randrange(10**9, 10**10)}  ICP备{rng.randrange(10**7, 10**8)}号  "
        f"公网安备 {rng.randrange(10**13, 10**14)}号"
    )


_LAYOUTS = {"docshare": _docshare, "news": _news, "gov": _gov}
