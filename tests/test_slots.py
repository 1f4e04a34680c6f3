"""Template slots: the swapped names and years of a template cluster, and nothing else."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.errors import Rejected
from dedup.normalize import normalize_text
from dedup.records import NormalizedText
from dedup.slots import Template, template_slots
from synthetic.corpus import CorpusDoc, generate
from tests.plain_norm import plain_norm

TEMPLATE = (
    "{P}{Y}年教育工作会议于3月16日在县一中召开。教育局局长{O}同志作了题为《以立德树人为根本，"
    "以教育质量为核心》的重要讲话。会议全面总结了{Y0}年全{U}教育工作，分析了当前面临的形势和任务，"
    "部署了{Y}年的重点工作。\n"
    "{O}同志指出，过去一年，{P}教育系统坚持以人民为中心的发展思想，办学条件持续改善，"
    "教育质量稳步提升，群众满意度不断提高。全{U}共新建改扩建校舍十二所，新增学位三千余个，"
    "教师队伍建设取得新进展。\n"
    "{O}同志强调，要切实加强党对教育工作的全面领导，深化教育领域综合改革，推动义务教育优质均衡发展，"
    "办好人民满意的教育。\n"
    "会议还表彰了{Y0}年度教育系统先进集体和先进个人，{P}各学校校长、局机关全体干部参加会议。"
)
BINDINGS = {
    "rep": ("巴林左旗", 2019, "王国惠", "旗"),
    "m1": ("蒲县", 2022, "李明", "县"),
    "m2": ("X区", 2021, "张三丰", "区"),
    "m3": ("林西县", 2018, "赵建国", "县"),
    "m4": ("敖汉旗", 2020, "刘洋", "旗"),
    "m5": ("宁城县", 2019, "陈晓东", "县"),
}
LOCAL = "今年我们还将新建一所寄宿制学校，解决偏远牧区学生上学难的问题。"


def _values(member: str) -> list[str]:
    place, year, official, unit = BINDINGS[member]
    return [place, str(year), str(year - 1), official, unit]


def _text(member: str) -> str:
    place, year, official, unit = BINDINGS[member]
    text = TEMPLATE.format(P=place, Y=year, Y0=year - 1, O=official, U=unit)
    paragraphs = text.split("\n")
    if member == "m2":  # drops a paragraph
        del paragraphs[2]
    if member == "m3":  # adds a local paragraph
        paragraphs.insert(2, LOCAL)
    return "\n".join(paragraphs)


def _template():  # type: ignore[no-untyped-def]
    members = [(m, normalize_text(_text(m), m)) for m in BINDINGS if m != "rep"]
    return template_slots(normalize_text(_text("rep"), "rep"), members)


def _only_binding_values(value: str, member: str) -> bool:
    rest = value
    for piece in sorted(_values(member), key=len, reverse=True):
        rest = rest.replace(piece, "")
    return rest.strip(" ，、") == ""


def test_slots_hold_only_the_swapped_names_and_years() -> None:
    template = _template()
    assert len(template.slots) >= 5
    for slot in template.slots:
        assert _only_binding_values(slot.text, "rep"), slot
        for member, value in slot.values:
            assert value is None or _only_binding_values(value, member), (slot, member)


def test_every_swapped_value_shows_up_in_a_slot() -> None:
    template = _template()
    rep_values = _values("rep")
    for member in BINDINGS:
        if member == "rep":
            continue
        seen = "|".join(v or "" for slot in template.slots for m, v in slot.values if m == member)
        for mine, theirs in zip(_values(member), rep_values, strict=True):
            if mine != theirs:
                assert mine in seen, (member, mine)


def test_template_text_keeps_the_shared_text_and_blanks_the_slots() -> None:
    template = _template()
    assert "巴林左旗" not in template.text and "王国惠" not in template.text
    assert "办好人民满意的教育" in template.text
    assert LOCAL not in template.text
    for slot in template.slots:
        assert "{{" + str(slot.index) + "}}" in template.text
    assert template.members == ("m1", "m2", "m3", "m4", "m5")


def test_identical_members_give_no_slots() -> None:
    rep = normalize_text(_text("rep"), "rep")
    template = template_slots(rep, [(f"c{i}", normalize_text(_text("rep"), f"c{i}")) for i in range(5)])
    assert template.slots == ()
    assert template.text == rep.display


def test_a_generated_template_family_gets_its_officials_and_years_as_slots() -> None:
    docs = generate(120, seed=21)
    families: dict[str, list[CorpusDoc]] = {}
    for doc in docs:
        if doc.family and doc.family >= "f00003":  # composed templates (the first are seed pages)
            families.setdefault(doc.family, []).append(doc)
    family = max(families.values(), key=len)
    assert len(family) >= 6
    family.sort(key=lambda d: (d.role != "template", d.published))
    rep, members = family[0], family[1:]
    normalized = [(m.doc_id, normalize_text(m.text, m.doc_id)) for m in members]
    template = template_slots(normalize_text(rep.text, rep.doc_id), normalized)
    values = {m.doc_id: _values_of(template, m.doc_id) for m in members}
    rep_official, rep_year = _title_binding(rep.title)
    checked = 0
    for member in members:
        official, year = _title_binding(member.title)
        # Only values both texts actually contain (a variant may have dropped that paragraph).
        if official != rep_official and rep_official in rep.text and official in member.text:
            assert official in values[member.doc_id], (member.doc_id, official)
            checked += 1
        if year != rep_year and f"{rep_year}年" in rep.text and f"{year}年" in member.text:
            assert year in values[member.doc_id], (member.doc_id, year)
            checked += 1
    assert checked >= 5
    for slot in template.slots:
        for value in [slot.text, *(v for _, v in slot.values if v)]:
            assert len(value) <= 12 and not set(value) & set("，。；：！"), slot  # no shared sentences


def _values_of(template: Template, member: str) -> str:
    return "|".join(value or "" for slot in template.slots for m, value in slot.values if m == member)


def _title_binding(title: str) -> tuple[str, str]:
    found = re.match(r"^(?:副?[局区县市]长|书记)(.+?)在(\d{4})年", title)
    assert found, title
    return found.group(1), found.group(2)


def _assert_consistent(template: Template, rep: NormalizedText) -> None:
    rebuilt = template.text
    for slot in template.slots:
        assert 0 <= slot.start <= slot.end <= len(rep.display)
        assert slot.text == rep.display[slot.start : slot.end]
        rebuilt = rebuilt.replace("{{" + str(slot.index) + "}}", slot.text, 1)
    assert rebuilt == rep.display


def test_members_that_differ_only_in_their_last_line_get_it_as_a_slot() -> None:
    # issue 17 item 4: IndexError in _breaks_before at the end of the key
    base = generate(3, 7)[2].text
    rep = normalize_text(base + "\n张三", "a")
    other = normalize_text(base + "\n李四", "b")
    template = template_slots(rep, [("a", rep), ("b", other)])
    _assert_consistent(template, rep)
    assert [(s.text, dict(s.values)) for s in template.slots] == [("张三", {"a": "张三", "b": "李四"})]


def test_a_member_that_differs_in_its_first_line_gets_it_as_a_slot() -> None:
    base = generate(3, 7)[2].text
    rep = normalize_text("张三\n" + base, "a")
    other = normalize_text("李四\n" + base, "b")
    template = template_slots(rep, [("b", other)])
    _assert_consistent(template, rep)
    assert [(s.text, dict(s.values)) for s in template.slots] == [("张三", {"b": "李四"})]


_EDIT_TEXT = st.text(alphabet="张三李四王五赵六0123456789年。，、；！\n ab", max_size=12)
_EDITS = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 20), _EDIT_TEXT), max_size=4)


def _edited(text: str, edits: list[tuple[float, int, str]]) -> str:
    for where, cut, inserted in edits:
        at = round(where * len(text))
        text = text[:at] + inserted + text[at + cut :]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(_EDITS, min_size=2, max_size=3), real=st.booleans())
def test_any_edited_members_never_crash_the_template(
    edits: list[list[tuple[float, int, str]]], real: bool
) -> None:
    base = _text("rep")
    texts = [_edited(base, e) for e in edits]
    try:
        norms = [normalize_text(t, f"m{i}") if real else plain_norm(t, f"m{i}") for i, t in enumerate(texts)]
    except Rejected:
        return  # too little text left: the normalizer says so, there is no member
    template = template_slots(norms[0], [(n.source_id, n) for n in norms])
    _assert_consistent(template, norms[0])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="张三李四王五0年。，\n a", max_size=60), min_size=2, max_size=3))
def test_any_short_texts_never_crash_the_template(texts: list[str]) -> None:
    norms = [plain_norm(t, f"m{i}") for i, t in enumerate(texts)]
    template = template_slots(norms[0], [(n.source_id, n) for n in norms[1:]])
    _assert_consistent(template, norms[0])
