"""The normalizer: extracted text → display text, match key, offset map and what was removed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dedup.errors import Rejected
from dedup.normalize import reasons
from dedup.normalize.chrome import (
    cut_button_runs,
    cut_upload_prefix,
    drop_bylines,
    drop_header_before_breadcrumb,
    drop_header_dates,
    drop_site_chrome,
)
from dedup.normalize.chunks import join_page_chunks
from dedup.normalize.config import DEFAULT_NORM, NormConfig
from dedup.normalize.counters import drop_page_counters
from dedup.normalize.key import key_text, line_keys, match_key
from dedup.normalize.lines import Line, cut_matches, join_lines, split_lines
from dedup.normalize.markup import strip_html_remnants
from dedup.normalize.pinyin import ANNOTATION as PINYIN_ANNOTATION
from dedup.normalize.pinyin import HINT as PINYIN_HINT
from dedup.normalize.pinyin import drop_pinyin_annotations
from dedup.normalize.punctuation import SPURIOUS_COMMA, drop_spurious_commas
from dedup.normalize.repeats import (
    clean_title,
    drop_repeated_paragraphs,
    drop_repeated_summary,
    drop_repeated_title,
)
from dedup.normalize.script import to_simplified
from dedup.normalize.spaces import fold_width_and_spaces, tidy_spaces
from dedup.normalize.spam import drop_spam_lines
from dedup.normalize.tags import drop_tag_cloud
from dedup.normalize.tails import drop_trailing_links
from dedup.normalize.truncation import looks_truncated
from dedup.reasons import RejectReason
from dedup.records import Extraction, NormalizedText, Removal


@dataclass(frozen=True, slots=True)
class _Context:
    config: NormConfig
    title: str
    raw_title: str
    bylines: tuple[str, ...]
    truncated: bool = False
    keys: dict[str, str] = field(default_factory=dict)

    def key(self, text: str) -> str:
        """key_text, computed once per line and call (three rules compare the same lines)."""
        found = self.keys.get(text)
        if found is None:
            found = self.keys[text] = key_text(text)
        return found

    def prime(self, lines: list[Line]) -> None:
        """Compute the keys of all these lines at once (vectorized) before rules ask for them."""
        texts = [s for s, _ in lines if s not in self.keys]
        if texts:  # a later pass: mostly none
            self.keys.update(zip(texts, line_keys(texts), strict=True))


LineRule = Callable[[list[Line], _Context], tuple[list[Line], list[Removal]]]

# Order matters: chrome and counters go before chunks are glued (button rows glued to a chunk's
# number first), the title before summaries, the tag cloud before what it was glued to.
LINE_RULES: tuple[LineRule, ...] = (
    lambda lines, ctx: drop_spam_lines(lines),
    lambda lines, ctx: cut_upload_prefix(lines),
    lambda lines, ctx: cut_button_runs(lines),
    lambda lines, ctx: drop_header_before_breadcrumb(lines, ctx.config),
    lambda lines, ctx: drop_site_chrome(lines, ctx.config),
    lambda lines, ctx: drop_bylines(lines, ctx.bylines),
    lambda lines, ctx: drop_header_dates(lines, ctx.config),
    lambda lines, ctx: drop_page_counters(lines),
    lambda lines, ctx: join_page_chunks(lines, ctx.config),
    lambda lines, ctx: _drop_repeated_title(lines, ctx),
    lambda lines, ctx: drop_repeated_summary(lines, ctx.config, ctx.key),
    lambda lines, ctx: drop_repeated_paragraphs(lines, ctx.key),
    lambda lines, ctx: drop_tag_cloud(lines, ctx.config),
    lambda lines, ctx: drop_trailing_links(lines, ctx.truncated),
)


def _drop_repeated_title(lines: list[Line], ctx: _Context) -> tuple[list[Line], list[Removal]]:
    ctx.prime(lines)  # the three repeat rules compare keys of all lines
    return drop_repeated_title(lines, ctx.title, ctx.raw_title, ctx.key)


_MAX_PASSES = 3


def normalize(extraction: Extraction, config: NormConfig = DEFAULT_NORM) -> NormalizedText:
    """Normalize an extracted page; raises Rejected("too_short") when too little text is left."""
    bylines = tuple(filter(None, (extraction.author, extraction.site)))
    return normalize_text(
        extraction.text,
        extraction.capture_id,
        title=extraction.title,
        bylines=bylines,
        config=config,
    )


def normalize_text(
    text: str,
    source_id: str,
    *,
    title: str | None = None,
    config: NormConfig = DEFAULT_NORM,
    bylines: Sequence[str] = (),
) -> NormalizedText:
    """Normalize plain text (also for text-only imports); `bylines` (author, site name) are
    dropped where they stand alone on a line."""
    removed: list[Removal] = []
    original = clean_characters(text, removed)
    simplified = to_simplified(original) if config.to_simplified else original
    raw_title = _simplify(title, config) if title else ""
    display_title = clean_title(raw_title) or None
    truncated = looks_truncated(simplified)
    context = _Context(config, display_title or "", raw_title, tuple(bylines), truncated)
    lines = apply_line_rules(split_lines(simplified, original), context, removed)
    display, display_original = join_lines(lines)
    key, offsets = match_key(display)
    if len(key) < config.min_key_chars:
        raise Rejected(RejectReason.TOO_SHORT, f"{len(key)} key characters left of {len(text)}")
    return NormalizedText(
        source_id=source_id,
        display=display,
        key=key,
        key_offsets=offsets,
        original=display_original,
        removed=tuple(removed),
        truncated=truncated,
        norm_version=config.version,
        title=display_title,
    )


def apply_line_rules(lines: list[Line], context: _Context, removed: list[Removal]) -> list[Line]:
    """The line rules in order; again while a pass removed anything (idempotence: normalizing
    the display text changes nothing). A drop by a later rule changes what an earlier rule
    sees: a cut can leave a line another rule drops, and a dropped line moves the lines below
    it up into the header the header rules look at."""
    for _ in range(_MAX_PASSES):
        changed = False
        for rule in LINE_RULES:
            lines, dropped = rule(lines, context)
            removed.extend(dropped)
            changed = changed or bool(dropped)
        if not changed:
            break
        lines = _recheck_characters(lines, removed)
    return lines


_RECHECKS = (
    (PINYIN_HINT, PINYIN_ANNOTATION, reasons.PINYIN_ANNOTATION),
    (SPURIOUS_COMMA, SPURIOUS_COMMA, reasons.SPURIOUS_COMMA),
)


def _recheck_characters(lines: list[Line], removed: list[Removal]) -> list[Line]:
    """A cut inside a line can bring a comma next to punctuation, or a pinyin annotation next
    to a character: apply those character rules again, to both versions of the lines."""
    # Neither pattern has an anchor and a match lies within one line, so a line with a match
    # makes the joined text match its hint: one search in C rules most documents out of the loop.
    text = "\n".join(s for s, _ in lines)
    for hint, pattern, reason in _RECHECKS:
        if hint.search(text):
            lines, found = cut_matches(lines, pattern, reason)
            removed.extend(found)
            text = "\n".join(s for s, _ in lines) if found else text
    return lines


def clean_characters(text: str, removed: list[Removal]) -> str:
    """The character-level rules: HTML remnants, width/spaces, pinyin garbles, spurious commas."""
    text, found = strip_html_remnants(text)
    removed.extend(found)
    text = fold_width_and_spaces(text)
    for rule in (drop_pinyin_annotations, drop_spurious_commas):
        text, found = rule(text)
        removed.extend(found)
        if found:  # what stood between two spaces leaves a run of them (`会议 , ,` → `会议  ,`)
            text = tidy_spaces(text)
    return text


def _simplify(text: str, config: NormConfig) -> str:
    cleaned = clean_characters(text.replace("\n", " "), [])
    return to_simplified(cleaned) if config.to_simplified else cleaned
