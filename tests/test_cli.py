"""The `kg` command as a user runs it: a real process, real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_conforms
from conftest import run_kg as kg


def test_help_lists_commands() -> None:
    r = kg("--help")
    assert r.returncode == 0
    for cmd in ("build", "query", "stats", "queries"):
        assert cmd in r.stdout


def test_every_command_has_help() -> None:
    for cmd in ("build", "query", "stats", "queries"):
        r = kg(cmd, "--help")
        assert r.returncode == 0 and "--" in r.stdout, cmd


def test_query_without_a_build_is_one_line_error(tmp_path: Path) -> None:
    r = kg("query", "SELECT * WHERE { ?s ?p ?o }", "--dir", str(tmp_path / "nothing"))
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "kg build" in r.stderr
    assert "Traceback" not in r.stderr


def test_build_of_missing_file_fails_cleanly(tmp_path: Path) -> None:
    r = kg("build", str(tmp_path / "missing.txt"), "--dir", str(tmp_path / "out"))
    assert r.returncode == 1 and "no such file" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_build_query_and_stats_on_written_reports(tmp_path: Path) -> None:
    src = tmp_path / "reports"
    src.mkdir()
    (src / "r.txt").write_text(
        "2024年吉林市政府工作报告\n一、2023年工作回顾\n吉林化纤6万吨碳纤维项目开工建设。\n"
        "二、2024年工作安排\n我市将推进舒兰市新型工业化示范区建设。\n",
        encoding="gb18030",
    )
    (src / "empty.txt").write_text("", encoding="utf-8")
    out = tmp_path / "out"
    r = kg("build", str(src), "--dir", str(out))
    assert r.returncode == 0, r.stderr
    assert "triples" in r.stdout  # the summary, written out before the process ends at once
    assert "empty.txt: empty document" in r.stderr and (out / "graph.ttl").exists()
    assert_conforms(out / "graph.ttl")
    r = kg("query", "SELECT ?l WHERE { ?e a pk:Place ; rdfs:label ?l } ORDER BY ?l", "--dir", str(out), "-f", "csv")
    assert r.returncode == 0 and "舒兰市" in r.stdout and "吉林省" in r.stdout
    r = kg("query", "SELEC ?x WHERE {", "--dir", str(out))
    assert r.returncode == 1 and r.stderr.startswith("error: malformed SPARQL") and r.stderr.count("\n") == 1
    r = kg("stats", "--dir", str(out))
    assert r.returncode == 0 and "documents" in r.stdout
    r = kg("query", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "--dir", str(out), "-f", "xml")
    assert r.returncode == 2 and "unknown format" in r.stderr


@pytest.mark.slow
def test_a_parallel_build_ends_at_once_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """With workers, `kg build` ends its process without the interpreter's teardown but
    after the exit handlers: the summary is out, the store answers, and the fork server's
    temporary folder is gone."""
    src = tmp_path / "reports"
    src.mkdir()
    for k, city in enumerate(["吉林市", "长春市"]):
        (src / f"r{k}.txt").write_text(
            f"2024年{city}政府工作报告\n一、2023年工作回顾\n吉林化纤6万吨碳纤维项目开工建设。\n", encoding="utf-8"
        )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    r = kg("build", str(src), "--dir", str(tmp_path / "out"), "-j", "2", env={"TMPDIR": str(scratch)})
    assert r.returncode == 0, r.stderr
    assert "triples" in r.stdout and "Traceback" not in r.stderr
    assert not list(scratch.glob("pymp-*")), list(scratch.iterdir())
    r = kg("query", "SELECT ?l WHERE { ?e a pk:Project ; rdfs:label ?l }", "--dir", str(tmp_path / "out"), "-f", "csv")
    assert r.returncode == 0 and "碳纤维" in r.stdout
