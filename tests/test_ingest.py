"""Reading and cleaning: real files of every supported kind, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.ingest import IngestError, discover, load_document
from kg.ingest.clean import clean_text
from kg.ingest.read import read_file

TEXT = (
    "2024年吉林市政府工作报告\n一、2023年工作回顾\n吉林化纤6万吨碳纤维项目开工建设。\n"
    "二、2024年工作安排\n我市将加快建设沈白高铁。\n"
)


def test_gbk_file_is_decoded(tmp_path: Path) -> None:
    p = tmp_path / "gbk.txt"
    p.write_bytes(TEXT.encode("gbk"))
    text, enc = read_file(p)
    assert enc == "gb18030"
    assert "吉林化纤" in text


def test_utf8_bom_file(tmp_path: Path) -> None:
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    text, enc = read_file(p)
    assert enc == "utf-8-sig" and text.startswith("2024年")


def test_empty_file_is_an_error_naming_it(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_text("  \n", encoding="utf-8")
    with pytest.raises(IngestError, match="empty.txt: empty document"):
        read_file(p)


def test_binary_file_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "blob.txt"
    p.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(IngestError, match="binary"):
        read_file(p)


def test_pdf_made_here_is_read(tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    p = tmp_path / "report.pdf"
    c = canvas.Canvas(str(p))
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(TEXT.splitlines()):
        c.drawString(50, 800 - 20 * i, line)
    c.save()
    doc = load_document(p)
    assert "吉林化纤6万吨碳纤维项目" in doc.text
    assert doc.region.startswith("2202")


def test_docx_made_here_is_read(tmp_path: Path) -> None:
    import docx

    p = tmp_path / "report.docx"
    d = docx.Document()
    for line in TEXT.splitlines():
        d.add_paragraph(line)
    d.save(str(p))
    doc = load_document(p)
    assert "沈白高铁" in doc.text
    assert doc.year_delivered == 2024 and doc.review_year == 2023 and doc.plan_year == 2024


def test_html_file_drops_script(tmp_path: Path) -> None:
    p = tmp_path / "r.html"
    p.write_text(f"<html><script>alert('吉林')</script><body><p>{TEXT}</p></body></html>", encoding="utf-8")
    doc = load_document(p)
    assert "alert" not in doc.text and "沈白高铁" in doc.text


def test_broken_pdf_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "broken.pdf"
    p.write_bytes(b"%PDF-1.4\n garbage")
    with pytest.raises(IngestError, match="broken.pdf"):
        load_document(p)


def test_folder_with_a_mix_keeps_going(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "notes.xyz").write_text("ignored", encoding="utf-8")
    from kg.pipeline import extract

    report = extract([tmp_path])
    assert [Path(d.path).name for d in report.documents] == ["good.txt"]
    assert len(report.errors) == 2 and all(": " in e for e in report.errors)


def test_missing_path_is_reported() -> None:
    files, errors = discover([Path("/nonexistent/report.txt")])
    assert files == [] and "no such file" in errors[0]


def test_clean_joins_pdf_lines_and_drops_spaces() -> None:
    raw = "吉林化纤 6 万吨碳纤维项\n\n目部分产线进入设备安\n\n装阶段。\n- 19 -\n"
    text, offsets = clean_text(raw)
    assert text == "吉林化纤6万吨碳纤维项目部分产线进入设备安装阶段。"
    # every clean character maps back to the same character in the original
    assert all(raw[o] == c for c, o in zip(text, offsets) if c not in "\n")


def test_clean_strips_artefacts_and_normalises() -> None:
    raw = "[bookmark: _GoBack]地区生产总值增长6.3％。\n(上接第一版)粮食产量837.3亿斤。"
    text, _ = clean_text(raw)
    assert text == "地区生产总值增长6.3%。\n粮食产量837.3亿斤。"


def test_clean_keeps_space_between_latin_words() -> None:
    text, _ = clean_text("奥迪 Q6 e-tron 车型 下线。")
    assert text == "奥迪Q6 e-tron车型下线。"


def test_clean_expands_compatibility_characters_and_drops_invisible_ones() -> None:
    """㎡ becomes two characters that both point at it; a zero-width space, a BOM and a
    soft hyphen vanish; a run of spaces between Latin words becomes one space."""
    raw = "\ufeff新建厂房12㎡，\u200bABC \u3000\t DEF公\u00ad司①号。"
    text, offsets = clean_text(raw)
    assert text == "新建厂房12m2,ABC DEF公司1号。"
    assert len(offsets) == len(text)
    assert [raw[o] for o in offsets[6:8]] == ["㎡", "㎡"]
    assert raw[offsets[text.index(" ")]] == " " and raw[offsets[text.index("1号")]] == "①"


def test_lines_lose_their_spaces_as_one_line_at_a_time_would() -> None:
    """The whole-text substitution gives each line what a substitution of that line gives,
    also where taking spaces out would join \\r and \\n into one break."""
    import random
    import re

    from kg.ingest.clean import _line_spans, _lines_without_spaces

    rng = random.Random(7)
    alphabet = list("ab吉林 \t\r\n\x0c\u2028\u2029\u3000\xa0\x85\x1c\v")
    texts = ["吉林省 人民政府\r \n工作 报告\n", "\r\t\n", ""]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(2000)]
    for text in texts:
        spans = _line_spans(text)
        assert _lines_without_spaces(text, spans) == [re.sub(r"\s+", "", text[s:e]) for s, e in spans], repr(text)
