"""Shared fixtures: a build of the bundled corpus, made once per test session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    from kg.pipeline import build

    out = tmp_path_factory.mktemp("build")
    report = build(None, out)
    assert report.documents, report.errors
    return out


@pytest.fixture(scope="session")
def sample_report(sample_build):
    from kg.pipeline import extract

    return extract([ROOT / "kg" / "data" / "corpus"])


def run_kg(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The `kg` command as a user runs it: a new process, text output captured (`env`:
    variables added to this process's environment)."""
    import os

    environment = {**os.environ, **env} if env else None
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, cwd=cwd, env=environment
    )


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    import os

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed here (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


def assert_conforms(graph_ttl: Path) -> None:
    """Validate a built graph against ontology/shapes.ttl with pyshacl."""
    from pyshacl import validate
    from rdflib import Graph

    data = Graph().parse(graph_ttl)
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    ontology = Graph().parse(ROOT / "ontology" / "policykg.ttl")
    conforms, _, text = validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none")
    assert conforms, text[:2000]
