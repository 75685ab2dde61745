"""Figures on sentences written for the tests: one test per case the issue lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_kg

from kg.measure.numbers import find_figures, parse_value
from kg.pipeline import extract

PROVINCE = "2024年吉林省政府工作报告\n一、2023年工作回顾\n{review}\n二、2024年工作安排\n{plan}\n"


def observations(tmp_path: Path, review: str = "", plan: str = "") -> list[tuple]:
    p = tmp_path / "r.txt"
    p.write_text(
        PROVINCE.format(review=review or "全省经济平稳运行。", plan=plan or "全省继续推动发展。"), encoding="utf-8"
    )
    report = extract([p])
    label = {e.iri: e.label for e in report.entities}
    return [
        (label[o.area], o.indicator, o.period, o.value, o.unit, o.measure, o.status, o.qualifier)
        for o in report.observations
    ]


def find(obs: list[tuple], value: float, unit: str) -> tuple:
    hits = [o for o in obs if o[3] == value and o[4] == unit]
    assert hits, f"no {value}{unit} in {obs}"
    return hits[0]


def test_chinese_numerals_and_magnitudes() -> None:
    assert parse_value("两") == 2 and parse_value("一百二十") == 120 and parse_value("百") == 100
    figs = find_figures("粮食产量迈上百亿斤台阶,新建十五个站点")
    assert [(f.value, f.unit) for f in figs] == [(100, "亿斤"), (15, "个")]


def test_not_figures_years_streaks_slogans_and_two_digit_growth() -> None:
    assert find_figures("2023年连续7个月保持增长") == []
    assert find_figures("增强“四个意识”") == []
    assert [f.unit for f in find_figures("实现两位数增长")] == []


def test_level_with_actual_status_and_review_year(tmp_path: Path) -> None:
    obs = observations(tmp_path, review="全省粮食产量达到856.2亿斤。")
    assert find(obs, 856.2, "亿斤") == ("吉林省", "粮食产量", 2023, 856.2, "亿斤", "level", "actual", "")


def test_target_with_qualifier_and_plan_year(tmp_path: Path) -> None:
    obs = observations(tmp_path, plan="地区生产总值增长5.5%左右,城镇新增就业不少于22万人。")
    assert find(obs, 5.5, "%")[1:] == ("地区生产总值", 2024, 5.5, "%", "growth", "target", "左右")
    jobs = find(obs, 22, "万人")
    assert jobs[1] == "城镇新增就业" and jobs[7] == "不少于"


def test_range_keeps_lower_bound(tmp_path: Path) -> None:
    obs = observations(tmp_path, plan="固定资产投资增长4%—5%。")
    o = find(obs, 4, "%")
    assert o[5] == "growth" and o[7] == "区间"


def test_decline_is_negative_growth(tmp_path: Path) -> None:
    obs = observations(tmp_path, review="单位地区生产总值能耗下降3.2%。")
    assert find(obs, -3.2, "%")[5] == "growth"


def test_distributive_list(tmp_path: Path) -> None:
    obs = observations(tmp_path, review="汽车、石化、医药产业增加值分别增长8.1%、5.2%、9.4%。")
    assert find(obs, 8.1, "%")[1] == "汽车产业增加值"
    assert find(obs, 5.2, "%")[1] == "石化产业增加值"
    assert find(obs, 9.4, "%")[1:6] == ("医药产业增加值", 2023, 9.4, "%", "growth")


def test_percentage_points_and_comparison_with_nation(tmp_path: Path) -> None:
    obs = observations(tmp_path, review="规模以上工业增加值增长5.9%,高于全国1.3个百分点。")
    o = find(obs, 1.3, "个百分点")
    assert o[5] == "growth" and o[1].startswith("规模以上工业增加值") and "高于全国" in o[1]


def test_ranks(tmp_path: Path) -> None:
    obs = observations(tmp_path, review="社会消费品零售总额增长8.8%,增速居全国第3位。进出口增速保持全国首位。")
    r = find(obs, 3, "位")
    assert r[5] == "rank" and r[1].startswith("社会消费品零售总额") and r[1].endswith("全国排名")
    assert [o for o in obs if o[5] == "rank" and o[3] == 1]


def test_area_other_than_the_region(tmp_path: Path) -> None:
    obs = observations(tmp_path, review="一汽集团整车销量达到188万辆。")
    o = find(obs, 188, "万辆")
    assert o[0] == "一汽集团" and o[5] == "level"


def test_explicit_year_wins(tmp_path: Path) -> None:
    obs = observations(tmp_path, plan="到2027年,全省清洁能源装机达到6000万千瓦。")
    assert find(obs, 6000, "万千瓦")[2] == 2027


def test_counted_object_after_the_figure(tmp_path: Path) -> None:
    obs = observations(tmp_path, plan="新建2000个5G基站,改造老旧小区1200个。")
    assert find(obs, 2000, "个")[1] == "新建5G基站"
    assert find(obs, 1200, "个")[1] == "改造老旧小区"


def test_threshold_in_a_count_is_not_a_figure(tmp_path: Path) -> None:
    obs = observations(tmp_path, review="实施5000万元以上项目1800个。")
    assert find(obs, 1800, "个")
    assert not [o for o in obs if o[3] == 5000]


@pytest.mark.slow
def test_gdp_growth_by_year_from_2022_and_2024_reports(sample_build: Path) -> None:
    from kg.graph.store import open_store
    from kg.query import resolve_query, run_query

    r = run_query(open_store(sample_build), resolve_query("gdp-growth-by-year"))
    rows = {(row[0], row[1], row[2]) for row in r.rows}
    # 003 (2022 report): 地区生产总值增长6%左右 (target 2022); 000 (2024 report): 增长6.3% (2023), 6%左右 (2024)
    assert ("2022", "Target", "6") in rows
    assert ("2023", "Actual", "6.3") in rows
    assert ("2024", "Target", "6") in rows


@pytest.mark.slow
def test_kg_indicators_prints_the_series(sample_build: Path) -> None:
    r = run_kg("indicators", "--dir", str(sample_build), "-a", "吉林省", "-i", "地区生产总值", "-f", "csv")
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("吉林省,地区生产总值,growth"))
    assert "actual 6.3 (000)" in line and "target 6 左右 (000)" in line and "target 6 左右 (003)" in line


def test_a_digest_defers_to_the_full_report(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text(
        PROVINCE.format(review="全省粮食产量达到856.2亿斤。经济平稳运行。就业形势稳定。", plan="全省继续推动发展。"),
        encoding="utf-8",
    )
    # a digest of the same report that lost its structure: the figure lands under the plan heading
    (tmp_path / "digest.txt").write_text(
        "2024年吉林省政府工作报告摘要\n二、2024年工作安排\n粮食产量达到856.2亿斤。\n", encoding="utf-8"
    )
    report = extract([tmp_path])
    grain = [o for o in report.observations if o.value == 856.2]
    assert len(grain) == 1
    assert (grain[0].period, grain[0].status) == (2023, "actual")
    assert len({e.doc_id for e in grain[0].evidence}) == 2


def test_half_is_a_share(tmp_path: Path) -> None:
    obs = observations(tmp_path, plan="产业类项目投资占比达到一半以上。")
    o = find(obs, 50, "%")
    assert o[5] == "share" and o[7] == "以上" and "投资占比" in o[1]


def test_every_rank_contains_a_word_the_gate_looks_for(sample_report) -> None:
    """The rank pattern runs only on sentences holding one of `rank_needs`: each sentence
    (and each case of the pattern) it matches must hold one, or ranks would be lost."""
    from kg.measure.extract import _may_state_a_figure

    _, rank, needs = _may_state_a_figure()
    texts = [s.text for d in sample_report.documents for s in d.sentences]
    texts += ["全省排名第三位", "居全国第5", "保持榜首", "位列东北首位", "东北地级市第一"]
    matched = [t for t in texts if rank.search(t)]
    assert len(matched) > 10 and all(any(w in t for w in needs) for t in matched)
