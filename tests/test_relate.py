"""Relations on sentences written for the tests: the edge where the text states it, and
no edge in a near-miss sentence that names the same things without stating it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_kg

from kg.pipeline import extract

HEAD = "2024年吉林市政府工作报告\n二、2024年工作安排\n"


def edges(tmp_path: Path, body: str, head: str = HEAD) -> set[tuple[str, str, str]]:
    p = tmp_path / "report.txt"
    p.write_text(head + body, encoding="utf-8")
    report = extract([p])
    label = {e.iri: e.label for e in report.entities}
    return {(label[r.head], r.prop, label[r.tail]) for r in report.relations}


def prop(found: set, name: str) -> set[tuple[str, str]]:
    return {(h, t) for h, p, t in found if p == name}


def test_located_in_place_named_inside_a_project(tmp_path: Path) -> None:
    found = edges(tmp_path, "开工建设四平红嘴经济开发区综合管廊项目。\n")
    assert any(h.endswith("综合管廊项目") and t == "四平市" for h, t in prop(found, "locatedIn"))


def test_located_in_city_report_default_and_hierarchy(tmp_path: Path) -> None:
    found = edges(tmp_path, "我市推进舒兰市农产品加工园建设，吉林建龙钢铁扩大产能。\n")
    located = prop(found, "locatedIn")
    assert ("舒兰市", "吉林市") in located and ("吉林市", "吉林省") in located
    assert ("吉林建龙钢铁", "吉林市") in located


def test_street_named_after_a_city_is_not_in_that_city(tmp_path: Path) -> None:
    found = edges(tmp_path, "改造北京路、上海路等街路。\n")
    assert not any(t in ("北京市", "上海市") for _, t in prop(found, "locatedIn"))


def test_route_lies_in_the_common_parent(tmp_path: Path) -> None:
    found = edges(tmp_path, "加快建设集安至通化高速公路。\n", head="2024年吉林省政府工作报告\n二、2024年工作安排\n")
    located = prop(found, "locatedIn")
    route = [(h, t) for h, t in located if h.startswith("集安至通化")]
    assert route and all(t == "通化市" for _, t in route)


def test_undertaken_by_enterprise_at_the_start_of_the_name(tmp_path: Path) -> None:
    found = edges(tmp_path, "吉林建龙120万吨新型钢材项目竣工投产。\n")
    assert ("吉林建龙120万吨新型钢材项目", "吉林建龙") in prop(found, "undertakenBy")


def test_undertaken_by_support_clause_and_near_miss(tmp_path: Path) -> None:
    found = edges(tmp_path, "支持吉林化纤建设3万吨大丝束碳纤维项目。\n")
    assert ("3万吨大丝束碳纤维项目", "吉林化纤") in prop(found, "undertakenBy")
    miss = edges(tmp_path, "吉林化纤产量创历史新高。全年建成3万吨大丝束碳纤维项目。\n")
    assert not prop(miss, "undertakenBy")


def test_subsidiary_of_group_and_near_miss(tmp_path: Path) -> None:
    found = edges(tmp_path, "一汽集团加快转型升级，一汽解放新能源重卡项目开工建设。\n")
    assert ("一汽解放", "一汽集团") in prop(found, "subsidiaryOf")
    miss = edges(tmp_path, "一汽集团与华为签署战略合作协议。\n")
    assert not prop(miss, "subsidiaryOf")


def test_part_of_enumeration_with_a_count_and_near_miss(tmp_path: Path) -> None:
    found = edges(tmp_path, "抓好“一网通办”、“一网统管”、“一网协同”三大工程。\n")
    parts = prop(found, "partOf")
    assert len({h for h, t in parts if "三大工程" in t}) == 3
    miss = edges(tmp_path, "推进“一网通办”和“一网统管”。\n")
    assert not prop(miss, "partOf")


def test_part_of_phase_of_a_project(tmp_path: Path) -> None:
    found = edges(tmp_path, "长春龙嘉国际机场航班量增长，开工建设延吉至长白高速延吉段。\n")
    assert ("延吉至长白高速延吉段", "延吉至长白高速") in prop(found, "partOf")


def test_implements_programme_then_project_and_near_miss(tmp_path: Path) -> None:
    found = edges(tmp_path, "深入实施“数字吉林”建设工程，加快建设吉林市算力中心项目。\n")
    assert any(h == "吉林市算力中心项目" and "数字吉林" in t for h, t in prop(found, "implements"))
    miss = edges(tmp_path, "吉林市算力中心项目完工。\n“数字吉林”建设工程全面启动。\n")
    assert not prop(miss, "implements")


def test_in_industry_topic_sentence_and_near_miss(tmp_path: Path) -> None:
    found = edges(tmp_path, "汽车产业稳步增长。一汽解放新能源重卡项目开工建设。\n")
    assert ("一汽解放新能源重卡项目", "汽车产业") in prop(found, "inIndustry")
    miss = edges(tmp_path, "汽车产业稳步增长。\n一汽解放新能源重卡项目开工建设。\n")
    assert ("一汽解放新能源重卡项目", "汽车产业") not in prop(miss, "inIndustry")


def test_produces_enterprise_makes_product(tmp_path: Path) -> None:
    found = edges(tmp_path, "推动长光卫星发射“吉林一号”高分卫星。\n")
    assert ("长光卫星", "吉林一号") in prop(found, "produces")
    miss = edges(tmp_path, "长光卫星营业收入增长。\n“吉林一号”高分卫星运行平稳。\n")
    assert not prop(miss, "produces")


@pytest.mark.slow
def test_kg_why_prints_the_sentence(sample_build: Path) -> None:
    r = run_kg("why", "吉林碳谷15万吨碳纤维原丝二期项目", "undertakenBy", "吉林碳谷", "--dir", str(sample_build))
    assert r.returncode == 0, r.stderr
    assert "竣工投产" in r.stdout and "002_" in r.stdout
    r = run_kg("why", "吉林碳谷", "produces", "吉林省", "--dir", str(sample_build))
    assert r.returncode == 1 and "no produces edge" in r.stderr
