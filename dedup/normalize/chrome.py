"""Site chrome that came through as text: breadcrumbs, upload metadata, button rows, footers,
disclaimers, contact lines, section labels. Patterns are in simplified characters."""

from __future__ import annotations

import re
from functools import lru_cache

from dedup.normalize import reasons
from dedup.normalize.catalogue import BREADCRUMB_LABELS, BUTTON_WORDS, SECTION_HEADINGS, WITHHELD
from dedup.normalize.config import NormConfig
from dedup.normalize.lines import Line, cut, drop_where, strip_line
from dedup.records import Removal

_BREADCRUMB = re.compile(
    rf"^(?:{'|'.join(BREADCRUMB_LABELS)})\s*[:：]"
    r"|^(?:首页|主页|网站首页|本站首页)\s*(?:>|»|›|＞|→|/|-\s*>)"
)
_LABELS = re.compile(
    r"(?:上传人|上传者|上传用户|文档编号|文档ID|上传时间|上传日期|文件格式|格式|页数|文件大小|大小|"
    r"下载次数|下载积分|浏览次数|阅读次数|下载券|贡献者|所需积分|发布者|作者|来源|发布时间|时间|"
    r"日期|责任编辑|编辑|浏览|点击数|点击|阅读量|字号|更新时间|发布日期|网站|移动端|栏目|分类)\s*[:：]"
)
_FOOTER = re.compile(
    r"ICP\s*[备证]|公网安备|网安备|备案号|增值电信|版权所有|"
    r"copyright|all rights reserved|©|\(c\)\s*\d{4}",
    re.I,
)
# Every footer contains one of these: re.I folds no other character onto c or a (checked over all
# code points), ICP comes with 备 or 证. Lines without any skip the case-blind scan of _FOOTER,
# which cost 0.038 ms/doc of the ingest's lines, 0.018 with this test first.
_FOOTER_HINT = re.compile("[公网备增版©证(cCaA]")
# Every alternative starts with a plain character, so the regex engine skips ahead to those
# characters instead of trying the alternation everywhere (0.023 -> 0.006 ms/doc of the ingest).
_DISCLAIMER = re.compile(
    r"免责声明|版权声明|侵犯了?您的|侵权.{0,30}(?:删除|联系)|及时删除|予以删除|给予删除|立即删除|马上删除|"
    r"请联系.{0,20}删除|"
    r"仅供(?:学习|参考|交流)|仅限学习|转载.{0,20}(?:注明|保留)|"
    r"由(?:会员|用户|网友|互联网用户|本站会员)(?:分享|整理|上传|提供|发布)|可在线阅读|"
    r"本站(?:只|仅|不|所有|为)|原作者信息|文档下载所得|收益归上传人"
)
_MEDIA = ("QQ", "微信", "电话", "手机", "热线", "邮箱", "e-?mail")
_CONTACT = re.compile(rf"(?:客服|联系)?(?:{'|'.join(_MEDIA)})\s*号?\s*[:：]\s*[\w@.\-]{{5,}}", re.I)
# The case-blind regexes cost 7-8 µs a line of 90 characters with a colon (no fast scan for a first
# character): these case-sensitive tests for what each match has rule most such lines out first. re.I folds no
# other character onto m, q or t (checked over all code points): e-mail has an m, QQ a q, tags a t.
_CONTACT_HINT = re.compile("|".join((*_MEDIA[1:-1], "q", "Q", "m", "M")))
# Section labels: a heading that ends the line (`内容简介：`), a label with a colon, a bare URL.
# One regex of all three scanned every line at every character: split up, with str methods for
# the headings and the labels tried only on lines with a colon, 0.053 -> 0.015 ms/doc.
_KEYWORD_LABELS = ("本文关键词", "关键词", "关键字", "标签", "tags?")
_SOURCE_LABELS = ("来源", "文章来源", "出处", "本文来源")
_LINK_LABELS = ("链接地址", "本文链接", "原文链接", "本文地址", "网址", "文章地址", "永久链接")
_LABELLED = re.compile(
    rf"(?:{'|'.join(_KEYWORD_LABELS)})\s*[:：]"
    rf"|^(?:{'|'.join(_SOURCE_LABELS)})\s*[:：]\s*(?:网络|互联网|本站|转载)"
    rf"|(?:{'|'.join(_LINK_LABELS)})\s*[:：]\s*(?:https?://|www\.)",
    re.I,
)
_LABELLED_HINT = re.compile("|".join((*_KEYWORD_LABELS[:-1], "t", "T", *_SOURCE_LABELS, *_LINK_LABELS)))
# A doc-sharing site's upload metadata glued in front of the text on one line (after the file
# name: `讲话.doc上传人:王*** 文档编号:71419740 … 大小:28.50KB返回 下载…`): two or more of its
# fields in a row, each value a size, number, date, format word or one token.
_UPLOAD_LABELS = (
    r"(?:上传人|上传者|上传用户|文档编号|文档ID|上传时间|上传日期|文件格式|格式|页数|文件大小|大小|"
    r"下载次数|下载积分|浏览次数|贡献者|所需积分)"
)
_FIELD_VALUE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?|[\d.,]+\s*(?:[KMG]B|字节|页|次|分)?"
    r"|[A-Za-z]{2,5}|[^\s:：]+?(?=\s|$))"
)
_UPLOAD_PREFIX = re.compile(
    rf"^(?:[^\s。！？，]{{0,80}}?\.(?:docx?|pdf|pptx?|txt|wps|xlsx?))?\s*"
    rf"(?:{_UPLOAD_LABELS}\s*[:：]\s*{_FIELD_VALUE}[ \u3000]*){{2,}}",
    re.I,
)
_URL_LINE = re.compile(r"\s*(?:https?://|www\.)\S+\s*$", re.I)
_BUTTON_ROW_CHARS = 60
_WORDS = re.compile(r"[^\W_]+")
_BUTTONS = "|".join(sorted(map(re.escape, BUTTON_WORDS), key=len, reverse=True))
# Words of two characters or more: a row of single characters (大 中 小) is too like text.
_LONG_BUTTONS = "|".join(sorted((re.escape(w) for w in BUTTON_WORDS if len(w) > 1), key=len, reverse=True))
# Two or more button words with spaces or brackets between them, at the start or the end of a
# line of text they were glued to (`返回 下载 相关 举报1、同志们…`).
_BUTTON_RUN = rf"[【\[]?(?:{_LONG_BUTTONS})[】\]]?(?:[ \u3000]*[【\[]?(?:{_LONG_BUTTONS})[】\]]?)+"
_BUTTON_PREFIX = re.compile(rf"^{_BUTTON_RUN}[ \u3000]*")
_BUTTON_SUFFIX = re.compile(rf"[ \u3000]*{_BUTTON_RUN}$")
_SUFFIX_WINDOW = 80  # the suffix is looked for in the line's last characters only
_SEPARATED = re.compile(r"[ \u3000【】\[\]]")
_LEADING_BUTTONS = re.compile(rf"^(?:[【\[]?(?:{_BUTTONS})[】\]]?[ \u3000]*)+")
_BUTTON_ENDS = (*(w for w in BUTTON_WORDS if len(w) > 1), "】", "]")
# Most lines start with no button word: their first character rules them out of the regexes.
_BUTTON_STARTS = frozenset(w[0] for w in BUTTON_WORDS) | {"【", "["}
_BUTTON_LAST = frozenset(w[-1] for w in _BUTTON_ENDS)
_WITHHELD_NOTICE = re.compile(WITHHELD)
_NOTICE_CHARS = 40
# A line that is only a date (and a time), maybe labelled: the byline's date shown as text.
_DATE_LINE = re.compile(
    r"^(?:(?:发布|发表|更新)?(?:时间|日期)\s*[:：]\s*)?\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
# What a date line starts with besides a digit (isdigit() takes in every \d): no regex for the rest.
_DATE_STARTS = frozenset("发更时日")


def is_breadcrumb(text: str) -> bool:
    """A breadcrumb line, also behind button words glued to it (`相关资源当前位置：首页 > …`)."""
    # Every alternative of _BREADCRUMB starts with ^: match() spares search() trying each position.
    if _BREADCRUMB.match(text):
        return True
    buttons = _LEADING_BUTTONS.match(text) if text[:1] in _BUTTON_STARTS else None
    return buttons is not None and bool(_BREADCRUMB.match(text[buttons.end() :]))


def is_site_chrome(text: str, config: NormConfig) -> bool:
    """A line that is page furniture rather than document text."""
    return len(text) <= config.chrome_max_chars and _looks_like_chrome(text)


# A second pass of the line rules asks about the same lines again, and chrome lines recur on
# every page of a site: remembering answers took the ingest's chrome test from 0.34 to 0.15 ms/doc.
@lru_cache(maxsize=4096)
def _looks_like_chrome(text: str) -> bool:
    if len(text) <= _BUTTON_ROW_CHARS and _is_button_row(text):
        return True
    colons = text.count(":") + text.count("：")
    return (
        is_breadcrumb(text)
        or (len(text) <= _NOTICE_CHARS and "。" not in text and bool(_WITHHELD_NOTICE.search(text)))
        or bool(_FOOTER_HINT.search(text) and _FOOTER.search(text))
        or bool(_DISCLAIMER.search(text))
        or _is_section_label(text, colons)
        or (colons >= 2 and _is_metadata_row(text))
        or (colons >= 1 and _is_contact_line(text))
    )


def drop_site_chrome(lines: list[Line], config: NormConfig) -> tuple[list[Line], list[Removal]]:
    return drop_where(lines, [not is_site_chrome(s, config) for s, _ in lines], reasons.SITE_CHROME)


def cut_button_runs(lines: list[Line]) -> tuple[list[Line], list[Removal]]:
    """Cut a row of button words glued to the start or the end of a line of text."""
    out: list[Line] = []
    removed: list[Removal] = []
    for line in lines:
        text = line[0]
        # most lines neither start nor end with a button word's character: no regex for them
        if text[:1] in _BUTTON_STARTS or text[-1:] in _BUTTON_LAST:
            for start, end in _button_runs(text):
                removed.append(Removal(reasons.SITE_CHROME, line[1][start:end]))
                line = strip_line(cut(line, start, end))
        out.append(line)
    return out, removed


def cut_upload_prefix(lines: list[Line]) -> tuple[list[Line], list[Removal]]:
    """Cut upload metadata glued in front of a line of text (the line keeps its text)."""
    out: list[Line] = []
    removed: list[Removal] = []
    for line in lines:
        head = line[0][:120]  # every field has a colon: most lines skip the regex
        found = _UPLOAD_PREFIX.match(line[0]) if ":" in head or "：" in head else None
        if found and found.end() < len(line[0]):
            removed.append(Removal(reasons.SITE_CHROME, line[1][: found.end()]))
            line = strip_line(cut(line, 0, found.end()))
        out.append(line)
    return out, removed


def _button_runs(text: str) -> list[tuple[int, int]]:
    """The button rows at the end and the start of `text` (the end first, so offsets hold);
    a row needs a space or a bracket between its words, and text of its own beside it."""
    found: list[tuple[int, int]] = []
    if text[-1:] in _BUTTON_LAST and text.endswith(_BUTTON_ENDS):
        window = max(0, len(text) - _SUFFIX_WINDOW)
        suffix = _BUTTON_SUFFIX.search(text, window)
        if suffix and suffix.start() > 0 and _SEPARATED.search(suffix.group().strip()):
            found.append(suffix.span())
            text = text[: suffix.start()]
    prefix = _BUTTON_PREFIX.match(text) if text[:1] in _BUTTON_STARTS else None
    if prefix and prefix.end() < len(text) and _SEPARATED.search(prefix.group().strip()):
        found.append(prefix.span())
    return found


def drop_header_dates(lines: list[Line], config: NormConfig) -> tuple[list[Line], list[Removal]]:
    """Lines near the top that are only a date: the byline's date, shown as text."""
    return drop_where(lines, _outside_header_dates(lines, config.header_lines), reasons.SITE_CHROME)


def _outside_header_dates(lines: list[Line], header_lines: int) -> list[bool]:
    """Keep flags: the header is the first lines of what is kept, so that a date moved up into
    it by dropping the dates above is dropped as well (the display text has no header dates)."""
    keep: list[bool] = []
    kept = 0
    for text, _ in lines:
        if kept >= header_lines:  # the rest is below the header
            return keep + [True] * (len(lines) - len(keep))
        keep.append(not (text[:1] in _DATE_STARTS or text[:1].isdigit()) or not _DATE_LINE.match(text))
        kept += keep[-1]
    return keep


def drop_header_before_breadcrumb(lines: list[Line], config: NormConfig) -> tuple[list[Line], list[Removal]]:
    """Short lines above a breadcrumb near the top are the site header (logo text, slogans)."""
    top = lines[: config.header_lines]
    crumb = next((i for i, (s, _) in enumerate(top) if is_breadcrumb(s)), None)
    if not crumb:
        return lines, []
    keep = [i >= crumb or len(s) > 60 for i, (s, _) in enumerate(lines)]
    return drop_where(lines, keep, reasons.SITE_CHROME)


def drop_bylines(lines: list[Line], names: tuple[str, ...]) -> tuple[list[Line], list[Removal]]:
    """Lines that are only the author's or the site's name (a byline shown as text)."""
    wanted = {name.strip() for name in names if name.strip()}
    if not wanted:  # a text-only import
        return lines, []
    return drop_where(lines, [s not in wanted for s, _ in lines], reasons.SITE_CHROME)


def _is_button_row(text: str) -> bool:
    # The first word rules out nearly every line before findall() builds the list of them all.
    first = _WORDS.search(text)
    if first is None or first.group() not in BUTTON_WORDS:
        return False
    return all(w in BUTTON_WORDS for w in _WORDS.findall(text, first.end()))


def _is_section_label(text: str, colons: int) -> bool:
    tail = text.rstrip()
    if tail.endswith((":", "：")):
        tail = tail[:-1].rstrip()
    return (
        tail.endswith(SECTION_HEADINGS)
        or bool(_URL_LINE.match(text))
        or (colons > 0 and bool(_LABELLED_HINT.search(text)) and bool(_LABELLED.search(text)))
    )


def _is_metadata_row(text: str) -> bool:
    return len(text) <= 160 and len(_LABELS.findall(text)) >= 2


def _is_contact_line(text: str) -> bool:
    if not _CONTACT_HINT.search(text):
        return False
    found = len(_CONTACT.findall(text))
    return found >= 2 or (found == 1 and len(text) <= 40)
