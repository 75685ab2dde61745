"""Document metadata and sections on the bundled corpus and on written text."""

from __future__ import annotations

from pathlib import Path

from kg.ingest import load_document
from kg.ingest.structure import split_sentences

CORPUS = Path(__file__).resolve().parent.parent / "kg" / "data" / "corpus"


def doc(name: str):
    return load_document(next(CORPUS.glob(name + "_*.txt")))


def test_province_report_metadata() -> None:
    d = doc("000")
    assert d.title == "2024年吉林省政府工作报告"
    assert d.region == "220000000000" and d.region_level == "province"
    assert (d.year_delivered, d.review_year, d.plan_year) == (2024, 2023, 2024)


def test_city_reports_are_city_reports() -> None:
    for name, year in (("002", 2024), ("004", 2023)):
        d = doc(name)
        assert d.region == "220200000000", name
        assert d.year_delivered == year and d.review_year == year - 1


def test_newspaper_reprint_of_2022_report() -> None:
    d = doc("003")
    assert (d.year_delivered, d.review_year, d.plan_year) == (2022, 2021, 2022)


def test_sections_follow_headings() -> None:
    d = doc("000")
    by_text = {s.text: s.section for s in d.sentences}
    assert by_text["一是经济运行稳中有进、稳中向好。"] == "review"
    target = next(s for s in d.sentences if "主要预期目标" in s.text)
    assert target.section == "targets"
    later = next(s for s in d.sentences if s.text.startswith("今年是中华人民共和国成立75周年"))
    assert later.section == "plan"


def test_sentence_split_keeps_closing_quotes() -> None:
    text = "实施“智改数转”行动。“吉林一号”卫星发射成功！"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["实施“智改数转”行动。", "“吉林一号”卫星发射成功！"]


def test_unnumbered_call_to_act_heading_opens_the_plan() -> None:
    from kg.ingest.structure import annotate
    from kg.records import Document

    text = (
        "2023年吉林市政府工作报告速览\n关键词1稳定经济\n全年新建高标准农田40万亩。\n"
        "推动高质量发展\n坚持把发展经济的着力点放在实体经济上。\n"
    )
    d = annotate(Document(id="t", path="t.txt", raw=text, text=text, offsets=list(range(len(text)))))
    by_text = {s.text: s.section for s in d.sentences}
    assert by_text["全年新建高标准农田40万亩。"] == "review"
    assert by_text["坚持把发展经济的着力点放在实体经济上。"] == "plan"
