"""The catalogue of Chinese web noise, as data: the vocabularies the rules are built from, and
the markers that must never be left in a stored text (tests and `noise_markers` read them).

Rules live in their own modules (chrome, spam, counters, pinyin, tails…) and take their words
from here, so a word added to the catalogue reaches the rule and the check at once. Patterns are
in simplified characters: the rules decide on the simplified text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dedup.normalize import reasons

# Words of button rows and link bars (返回 下载 相关 举报, 【打印本页】【关闭窗口】).
BUTTON_WORDS = frozenset(
    [
        "返回", "下载", "相关", "举报", "分享", "收藏", "打印", "关闭", "关闭窗口", "返回顶部", "顶部",
        "首页", "上一篇", "下一篇", "上一页", "下一页", "尾页", "末页", "点击查看更多", "查看更多", "更多",
        "展开阅读全文", "阅读全文", "查看全文", "展开全文", "继续阅读", "相关资源", "相关搜索",
        "资源描述", "推荐专题", "相关推荐", "热门推荐", "猜你喜欢", "相关文章", "热门文章", "最新文章",
        "评论", "点赞", "字号", "字体", "大", "中", "小", "加入收藏", "设为首页", "联系我们", "关于我们",
        "网站地图", "免责声明", "版权声明", "意见反馈", "帮助中心", "登录", "注册", "扫一扫", "微信",
        "微博", "QQ空间", "手机版", "移动端", "全文", "下载文档", "立即下载", "免费下载", "文档下载",
        "在线阅读", "复制", "纠错", "反馈", "投诉", "赞", "踩", "上传", "我的文档", "会员中心",
        "返回首页", "返回列表", "专题", "推荐", "分享到", "默认", "默认字号", "打印本页", "关闭本页",
        "下载完整文档", "付费下载", "举报文档", "收藏文档",
    ]
)  # fmt: skip

# Labels that start a breadcrumb line (当前位置：首页 > …).
BREADCRUMB_LABELS = (
    "当前位置", "您的位置", "你的位置", "您现在的位置", "你现在的位置", "现在位置", "所在位置", "当前页面",
)  # fmt: skip

# Headings of doc-sharing sections that end their line (内容简介：).
SECTION_HEADINGS = (
    "本文简介", "本文内容", "内容简介", "文档简介", "文档介绍", "资源描述", "内容摘要", "正文",
)  # fmt: skip

# What a doc-sharing page says when the rest of the document is withheld (a truncated preview).
WITHHELD = (
    r"还剩\s*\d+\s*页|剩余\s*\d+\s*页|余下\s*\d+\s*页|试读结束|预览已结束|预览结束|"
    r"下载后(?:查看|阅读)完整|付费(?:后)?(?:阅读|查看)全文|购买后(?:查看|阅读)|未读完|下载文档查看全文"
)
# Said also by pages that then show everything: they count as a preview only next to a page count.
PREVIEW = r"展开阅读全文|点击查看更多|查看全文|阅读全文|继续阅读|下载文档|展开全文|点击展开"

# Injected SEO spam: porn/gambling terms (one or two make a keyword list spam) and the video-site
# and download vocabulary that keyword lists of spam are made of (most items carry one).
SPAM_STRONG = (
    r"毛片|黄色|黄视频|色情|成人(?:影|电影|视频|网|片|黄|免费|av|直播)|(?<![a-z])av(?![a-z])|三级|无码|有码|"
    r"约炮|偷拍|porn|sex|xxx|赌场|博彩|百家乐|六合彩|时时彩|娱乐城|老虎机|真人荷官|伦理片|情色|裸聊|"
    r"一夜情|激情(?:视频|电影|网)"
)
SPAM_WEAK = (
    r"在线观看|免费观看|免费看|高清|视频|影院|影视|电影|电视剧|综艺|下载|网站|大全|日韩|欧美|国产|精品|"
    r"一级|福利|直播|彩票|棋牌|免费|成人|美女|写真|午夜"
)

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# A toned pinyin syllable closed by a bracket: what is left of a ruby annotation `(huì)`.
PINYIN_SYLLABLE = rf"\s?[a-zü]{{0,5}}[{_TONED}][a-zü{_TONED}]{{0,4}}\s?[)）]"
TONED_VOWELS = _TONED
# Sentence ends: a document's last sentence ends with one of these; a long run without any
# punctuation after the last one is what extraction glued on (related titles, tags).
SENTENCE_END = "。！？!?…"
TRAILING_RUN = rf"(?<=[{SENTENCE_END}])[^\W_]{{15,}}"


@dataclass(frozen=True, slots=True)
class Marker:
    """A shape of noise that a stored text must not contain, and the rule's reason for it."""

    name: str
    pattern: str
    reason: str
    whole_text: bool = False  # a shape of a whole document's text (its end), not of a passage


def _words(words: frozenset[str], min_chars: int) -> str:
    return "|".join(sorted((re.escape(w) for w in words if len(w) >= min_chars), key=len, reverse=True))


_BUTTON = _words(BUTTON_WORDS, 2)
MARKERS = (
    Marker("button_row", rf"(?:{_BUTTON})(?:[ \u3000]*[【\[]?(?:{_BUTTON})[】\]]?)*[ \u3000]+(?:{_BUTTON})",
           reasons.SITE_CHROME),
    Marker("breadcrumb", rf"(?:{'|'.join(BREADCRUMB_LABELS)})\s*[:：]\s*(?:首页|主页)", reasons.SITE_CHROME),
    Marker("upload_metadata", r"(?:上传人|文档编号|上传时间|下载积分)\s*[:：]", reasons.SITE_CHROME),
    Marker("registration_footer", r"ICP\s*[备证]\s*\d|公网安备", reasons.SITE_CHROME),
    Marker("withheld_notice", rf"{WITHHELD}|下载完整文档", reasons.SITE_CHROME),
    Marker("spam_keywords", r"免费在线观看|在线观看网站|影视大全|电视剧下载|真人娱乐|百家乐|成人直播|无码",
           reasons.SPAM_LINE),
    Marker("pinyin_garble", rf"[\u3400-\u9fff][（(?？]{PINYIN_SYLLABLE}", reasons.PINYIN_ANNOTATION),
    Marker("page_counter", r"第\s*\d+\s*页\s*[/／,，|]?\s*共\s*\d+\s*页|(?m:^1(?:[ \u3000]+\d{1,3})+$)",
           reasons.PAGE_COUNTER),
    Marker("chunk_marker_glued", rf"(?:{_BUTTON})\d{{1,3}}[、.．]", reasons.PAGE_CHUNK_MARKER),
    Marker("trailing_links", rf"{TRAILING_RUN}\Z", reasons.TRAILING_LINKS, whole_text=True),
)  # fmt: skip


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[Marker, re.Pattern[str]], ...]:
    return tuple((m, re.compile(m.pattern, re.I)) for m in MARKERS)


def noise_markers(text: str, *, passage: bool = False) -> list[tuple[str, str]]:
    """(marker name, the text it matched) for every catalogued marker found in `text`; in a
    `passage` (a reused span, a slot value), the markers of whole texts are not looked for."""
    return [
        (marker.name, found.group())
        for marker, pattern in _compiled()
        if not (passage and marker.whole_text)
        for found in pattern.finditer(text)
    ]
