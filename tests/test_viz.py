"""The explorer in a real headless Chromium (Debian's package), driven by Playwright.

Every request that leaves the file is blocked; screenshots go to output/.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

from kg.graph.store import open_store, write_store
from kg.viz import write_explorer

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "output"
PK = "https://w3id.org/policykg/ontology#"
ID = "https://w3id.org/policykg/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

pytestmark = pytest.mark.slow


class Page:
    """A page with outbound requests blocked and errors, dialogs and blocked URLs recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        t0 = time.perf_counter()
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.kgExplorer && window.kgExplorer.ready", timeout=30000)
        self.load_seconds = time.perf_counter() - t0

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def click_node(self, iri: str) -> None:
        xy = self.page.evaluate(
            "(id) => { const n = kgExplorer.network; const p = n.getPositions([id])[id]; return n.canvasToDOM(p); }",
            iri,
        )
        box = self.page.locator("#network").bounding_box()
        self.page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])

    def shot(self, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SHOTS / name))


@pytest.fixture(scope="module")
def sample_page(browser, sample_build):
    path, n_nodes, _ = write_explorer(open_store(sample_build), sample_build / "explorer.html")
    page = Page(browser, path)
    yield page, n_nodes
    page.page.close()


def test_page_loads_offline_without_errors(sample_page) -> None:
    page, n_nodes = sample_page
    assert page.blocked == [] and page.errors == []
    assert page.page.evaluate("kgExplorer.drawnNodeCount()") == n_nodes
    assert page.page.evaluate("JSON.parse(document.getElementById('kg-data').textContent).nodes.length") == n_nodes
    page.shot("explorer-sample.png")


def test_search_selects_and_click_shows_evidence(sample_page) -> None:
    page, _ = sample_page
    page.page.fill("#search", "吉林化纤")
    page.page.press("#search", "Enter")
    selected = page.page.evaluate("kgExplorer.selected()")
    assert selected == [ID + "enterprise/jilin-huaxian"]
    page.page.evaluate("document.getElementById('details').replaceChildren()")
    page.click_node(selected[0])
    details = page.page.inner_text("#details")
    assert details.startswith("吉林化纤")
    assert "吉林化纤" in details and ".txt" in details and "。" in details  # an evidence sentence and its file
    page.shot("explorer-search.png")


def test_pinyin_search_and_class_filter(sample_page) -> None:
    page, _ = sample_page
    hits = page.page.evaluate("kgExplorer.search('jilinhuaxian').map(n => n.label)")
    assert "吉林化纤" in hits
    before = page.page.evaluate("kgExplorer.drawnNodeCount()")
    page.page.uncheck("input[data-cls='Programme']")
    after = page.page.evaluate("kgExplorer.drawnNodeCount()")
    assert after < before
    page.page.check("input[data-cls='Programme']")
    assert page.page.evaluate("kgExplorer.drawnNodeCount()") == before


def _synthetic_build(tmp: Path, n: int, extra_label: str | None = None, seed: int = 3) -> Path:
    rng = random.Random(seed)
    classes = ["Enterprise", "Project", "Place", "Programme", "Industry", "Organization", "Product"]
    lines = []
    for i in range(n):
        iri = f"<{ID}test/n{i}>"
        label = extra_label if (extra_label and i == 0) else f"节点{i}"
        esc = label.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f"{iri} <{RDF_TYPE}> <{PK}{classes[i % len(classes)]}> .")
        lines.append(f'{iri} <{RDFS_LABEL}> "{esc}"@zh .')
    for i in range(1, n):
        j = rng.randrange(0, i)
        lines.append(f"<{ID}test/n{i}> <{PK}partOf> <{ID}test/n{j}> .")
        k = rng.randrange(0, n)
        if k != i:
            lines.append(f"<{ID}test/n{i}> <{PK}implements> <{ID}test/n{k}> .")
    out = tmp / f"synthetic-{n}"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    write_store("\n".join(lines).encode("utf-8"), out)
    return out


def test_labels_are_text_never_html(browser, tmp_path: Path) -> None:
    evil = "<img src=x onerror=alert(1)>吉林</script><script>alert(2)</script>"
    build = _synthetic_build(tmp_path, 20, extra_label=evil)
    path, _, _ = write_explorer(open_store(build), build / "explorer.html")
    page = Page(browser, path)
    page.page.evaluate(f"kgExplorer.selectNode('{ID}test/n0')")
    assert page.page.inner_text("#details").startswith(evil)
    page.page.fill("#search", "吉林")
    assert evil in page.page.inner_text("#search-results")
    assert page.page.locator("img").count() == 0
    assert page.dialogs == [] and page.errors == [] and page.blocked == []
    page.shot("explorer-escaping.png")
    page.page.close()


# The explorer's budget was set on the reference machine (benchmarks/common.py): 3 s to load
# 5,000 nodes and answer a search and a click. The page's time scales with the machine like
# jieba's, so the budget is 3 s times this machine's slowness, measured in the same run
# (never less than 3 s).
def machine_slowness() -> float:
    from benchmarks.common import REFERENCE_JIEBA_SECONDS, jieba_on_corpus

    return max(1.0, jieba_on_corpus() / REFERENCE_JIEBA_SECONDS)


def test_five_thousand_nodes_interactive_within_three_seconds(browser, tmp_path: Path) -> None:
    """Within 3 s on the reference machine (`machine_slowness`)."""
    slowness = machine_slowness()
    build = _synthetic_build(tmp_path, 5000)
    path, n_nodes, _ = write_explorer(open_store(build), build / "explorer.html")
    assert n_nodes == 5000
    page = Page(browser, path)
    t0 = time.perf_counter()
    page.page.fill("#search", "节点4321")
    page.page.press("#search", "Enter")
    assert page.page.evaluate("kgExplorer.selected()") == [ID + "test/n4321"]
    page.click_node(ID + "test/n4321")
    assert page.page.inner_text("#details").startswith("节点4321")
    respond = time.perf_counter() - t0
    assert page.page.evaluate("kgExplorer.drawnNodeCount()") == 5000
    assert page.load_seconds + respond < 3.0 * slowness, (page.load_seconds, respond, slowness)
    assert page.errors == [] and page.blocked == []
    page.shot("explorer-5000.png")
    page.page.close()


def test_focused_views_select_the_right_parts(sample_build: Path) -> None:
    from kg.viz import VizError, load_data, select

    data = load_data(open_store(sample_build))
    label = {iri: n["label"] for iri, n in data.nodes.items()}
    near = {label[i] for i in select(data, focus="吉林化纤", depth=1)}
    assert {"吉林化纤", "吉林市"} <= near and len(near) < len(data.nodes) / 4
    in_city = {label[i] for i in select(data, place="吉林市")}
    assert {"吉林市", "舒兰市", "吉林化纤"} <= in_city and "长春市" not in in_city
    projects = select(data, cls="Project")
    assert projects and all(data.nodes[i]["cls"] == "Project" for i in projects)
    with pytest.raises(VizError, match="no entity named"):
        select(data, focus="不存在的企业")


def test_kg_viz_command(sample_build: Path, tmp_path: Path) -> None:
    from conftest import run_kg

    out = tmp_path / "focus.html"
    r = run_kg("viz", "--dir", str(sample_build), "--focus", "吉林化纤", "--depth", "2", "-o", str(out))
    assert r.returncode == 0 and out.exists() and "nodes" in r.stdout
    html = out.read_text(encoding="utf-8")
    assert "https://cdn" not in html and "<link" not in html and 'src="http' not in html
    r = run_kg("viz", "--dir", str(sample_build), "--focus", "不存在的企业")
    assert r.returncode == 1 and "no entity named" in r.stderr and "Traceback" not in r.stderr
