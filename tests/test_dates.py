"""Chinese publication dates, read whole (htmldate reads 2023年5月6日 as 2023-01-01)."""

from __future__ import annotations

from datetime import date

import pytest

from dedup.dates import find_published, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年3月16日上午", date(2019, 3, 16)),
        ("2023年5月6日", date(2023, 5, 6)),
        ("2023 年 05 月 06 日", date(2023, 5, 6)),
        ("发布时间：2018-08-02 10:21", date(2018, 8, 2)),
        ("2020/1/2", date(2020, 1, 2)),
        ("2021.12.31", date(2021, 12, 31)),
        ("２０２１年１２月３１日", date(2021, 12, 31)),
        ("二〇一九年三月十六日", date(2019, 3, 16)),
        ("二〇二〇年十二月三十一日", date(2020, 12, 31)),
        ("二〇二〇年十月二十日", date(2020, 10, 20)),
        ("2019年2月30日 and then 2019年3月1日", date(2019, 3, 1)),
        ("1899年1月1日", None),
        ("编号 20190316", None),
        ("no date here", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>2010年1月1日 会议</p><span>发布时间：2018-08-02 10:21</span>", date(2018, 8, 2)),
        ("<span>时间:</span><span>2019-04-08 14:31:23</span>", date(2019, 4, 8)),
        ("<div>發佈時間：2020年7月9日</div>", date(2020, 7, 9)),
        ("<div>上传时间:2022-04-28 格式:DOC</div>", date(2022, 4, 28)),
        ('<meta property="article:published_time" content="2021-06-01T08:00:00+08:00">', date(2021, 6, 1)),
        ("<p>2019年3月16日上午召开</p>", None),
        ("<span>日期：2019-13-40</span>", None),
    ],
)
def test_find_published_prefers_labelled_dates(html: str, expected: date | None) -> None:
    assert find_published(html) == expected
