"""`kg serve` over real HTTP on loopback: SPARQLWrapper and raw requests as clients."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph

from benchmarks.common import free_port
from kg.server import Settings, create_app

pytestmark = pytest.mark.slow
Q_SELECT = "SELECT ?e ?l WHERE { ?e a pk:Enterprise ; rdfs:label ?l } ORDER BY ?l"
Q_CONSTRUCT = "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a pk:Product ; rdfs:label ?l }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"


class Server:
    def __init__(self, settings: Settings) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(sample_build: Path):
    s = Server(Settings(sample_build, timeout=1.5, max_rows=500))
    yield s
    s.stop()


def test_sparqlwrapper_select_ask_construct(server) -> None:
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    from kg.query import with_prefixes

    sw = SPARQLWrapper(server.url + "/sparql")
    sw.setQuery(with_prefixes(Q_SELECT))
    sw.setReturnFormat(JSON)
    labels = [b["l"]["value"] for b in sw.queryAndConvert()["results"]["bindings"]]
    assert "吉林化纤" in labels and "一汽集团" in labels
    sw.setQuery(with_prefixes('ASK { ?e rdfs:label "吉林碳谷"@zh ; a pk:Enterprise }'))
    assert sw.queryAndConvert()["boolean"] is True
    sw.setQuery(with_prefixes(Q_CONSTRUCT))
    sw.setReturnFormat(TURTLE)
    g = Graph().parse(data=sw.queryAndConvert(), format="turtle")
    assert any(str(o) == "红旗H9" for o in g.objects())


@pytest.mark.parametrize(
    "accept,check",
    [
        ("application/sparql-results+json", lambda t: "吉林化纤" in json.dumps(json.loads(t), ensure_ascii=False)),
        ("application/sparql-results+xml", lambda t: "<sparql" in t and "吉林化纤" in t),
        ("text/csv", lambda t: t.startswith("e,l\r\n") and "吉林化纤" in t),
        ("text/tab-separated-values", lambda t: t.startswith("?e\t?l") and '"吉林化纤"@zh' in t),
    ],
)
def test_select_in_each_result_format(server, accept: str, check) -> None:
    r = httpx.get(server.url + "/sparql", params={"query": Q_SELECT}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    assert check(r.text)


@pytest.mark.parametrize(
    "accept,fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld")]
)
def test_construct_in_each_rdf_format(server, accept: str, fmt: str) -> None:
    r = httpx.post(
        server.url + "/sparql",
        content=Q_CONSTRUCT.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": accept},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    g = Graph().parse(data=r.text, format=fmt)
    assert len(g) >= 20


def test_form_post_and_cors(server) -> None:
    r = httpx.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}, headers={"Origin": "http://example.org"})
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert r.headers["access-control-allow-origin"] == "*"


def test_update_and_service_are_refused(server) -> None:
    r = httpx.post(server.url + "/sparql", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert r.status_code == 403
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    r = httpx.get(server.url + "/sparql", params={"query": q})
    assert r.status_code == 400 and "SERVICE" in r.text


def test_malformed_query_gets_400_with_the_parser_message(server) -> None:
    r = httpx.get(server.url + "/sparql", params={"query": "SELEC ?x WHERE {"})
    assert r.status_code == 400 and r.text.startswith("malformed SPARQL") and "error at" in r.text


def test_runaway_query_times_out_and_the_server_recovers(server) -> None:
    # three in a row: more than the two workers, so the stopped ones must have been replaced
    for _ in range(3):
        t0 = time.perf_counter()
        r = httpx.get(server.url + "/sparql", params={"query": RUNAWAY}, timeout=30)
        assert r.status_code == 503 and "timed out" in r.text
        assert time.perf_counter() - t0 < 10
        assert httpx.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


def test_row_cap(server) -> None:
    r = httpx.get(server.url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 200 and r.headers["x-result-truncated"] == "true"
    assert len(r.json()["results"]["bindings"]) == 500


def test_entity_page_both_ways(server) -> None:
    path = "/id/enterprise/jilin-huaxian"
    html = httpx.get(server.url + path, headers={"Accept": "text/html"})
    assert html.status_code == 200 and "吉林化纤" in html.text and "<svg" in html.text
    assert "undertakenBy" in html.text or "implements" in html.text
    assert ".txt" in html.text  # evidence names its source file
    ttl = httpx.get(server.url + path, headers={"Accept": "text/turtle"})
    g = Graph().parse(data=ttl.text, format="turtle")
    assert any(str(o) == "吉林化纤" for o in g.objects())
    jl = httpx.get(server.url + path, headers={"Accept": "application/ld+json"})
    assert jl.status_code == 200 and "吉林化纤" in jl.text and isinstance(jl.json(), list)
    assert httpx.get(server.url + "/id/enterprise/no-such-thing").status_code == 404


def test_entity_page_lists_its_figures(server) -> None:
    # the page reads the area's slices: one row per figure and source file, as many as have
    # the area as their refArea (the area with the most figures under the page's 300)
    def select(query: str) -> list[dict]:
        accept = {"Accept": "application/sparql-results+json"}
        r = httpx.get(server.url + "/sparql", params={"query": query}, headers=accept)
        return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]

    [area] = select("""SELECT ?a (COUNT(*) AS ?n) WHERE { ?o a qb:Observation ; sdmx-dimension:refArea ?a }
        GROUP BY ?a HAVING (COUNT(*) < 300) ORDER BY DESC(?n) ?a LIMIT 1""")
    [pairs] = select(f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?o a qb:Observation ; sdmx-dimension:refArea <{area["a"]}> .
        OPTIONAL {{ ?o pk:inDocument/pk:sourceFile ?file }} }}""")
    html = httpx.get(server.url + "/id/" + area["a"].split("/id/", 1)[1], headers={"Accept": "text/html"}).text
    table = html.split("<h2>指标 Observations</h2>", 1)[1].split("</table>", 1)[0]
    assert int(area["n"]) >= 2 and table.count("<tr>") - 1 == int(pairs["n"])  # a header row, then the figures


def test_health_void_and_explorer(server) -> None:
    health = httpx.get(server.url + "/health").json()
    assert health["status"] == "ok" and health["store"] == "memory"  # the sample is small
    void = httpx.get(server.url + "/.well-known/void")
    g = Graph().parse(data=void.text, format="turtle")
    from rdflib import Namespace

    void_ns = Namespace("http://rdfs.org/ns/void#")
    ds = next(g.subjects(void_ns.sparqlEndpoint, None))
    assert int(g.value(ds, void_ns.triples)) > 10000 and int(g.value(ds, void_ns.entities)) > 500
    assert len(list(g.objects(ds, void_ns.classPartition))) == 7
    page = httpx.get(server.url + "/explorer")
    assert page.status_code == 200 and "kg-data" in page.text


def test_updates_with_a_token(sample_build: Path, tmp_path: Path) -> None:
    from kg.server import ServeError, memory_source

    build = tmp_path / "build"
    shutil.copytree(sample_build / "store", build / "store")
    for name in ("graph.ttl", "manifest.json"):
        shutil.copy(sample_build / name, build / name)
    assert memory_source(Settings(build)) == build / "graph.ttl"  # small: served from memory
    s = Server(Settings(build, allow_update=True, token="s3cret-token-123"))
    try:
        upd = {"update": 'INSERT DATA { <urn:x> <http://www.w3.org/2000/01/rdf-schema#label> "新增"@zh }'}
        assert httpx.post(s.url + "/sparql", data=upd).status_code == 401
        r = httpx.post(s.url + "/sparql", data=upd, headers={"Authorization": "Bearer s3cret-token-123"})
        assert r.status_code == 204
        ask = httpx.get(s.url + "/sparql", params={"query": 'ASK { <urn:x> ?p "新增"@zh }'})
        assert ask.json()["boolean"] is True
        assert httpx.get(s.url + "/health").json()["store"] == "disk"  # updates go to the store
    finally:
        s.stop()
    # graph.ttl lacks the update now: the next server answers from the store, and --memory is refused
    assert memory_source(Settings(build)) is None
    with pytest.raises(ServeError, match="took SPARQL updates"):
        memory_source(Settings(build, memory=True))


def test_pool_survives_a_lost_worker_and_a_failed_replacement(sample_build: Path, tmp_path: Path) -> None:
    import multiprocessing

    from kg.server.worker import QueryPool

    graph = tmp_path / "graph.ttl"
    shutil.copy(sample_build / "graph.ttl", graph)
    before = set(multiprocessing.active_children())  # the module's server has its own workers
    pool = QueryPool(sample_build / "store", workers=1, timeout=1.0, memory_source=graph)
    ask = "ASK { ?s ?p ?o }"
    try:
        assert pool.query(ask, "json", "turtle").status == 200
        pool.idle[0][0].kill()  # the worker dies between queries
        lost = pool.query(ask, "json", "turtle")
        assert lost.status == 500 and b"worker stopped" in lost.body
        assert pool.query(ask, "json", "turtle").status == 200  # its replacement answers
        graph.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")  # replacements cannot load now
        assert pool.query(RUNAWAY, "json", "turtle").status == 503
        pool.wait = 1.0
        busy = pool.query(ask, "json", "turtle")
        assert busy.status == 503 and b"no query worker is free" in busy.body  # not a hang
        shutil.copy(sample_build / "graph.ttl", graph)  # the replacement's next try succeeds
        pool.wait = 30.0
        assert pool.query(ask, "json", "turtle").status == 200
    finally:
        pool.close()
    assert not [p for p in set(multiprocessing.active_children()) - before if p.is_alive()]


def _comparable(row: dict) -> str:
    """A result row as text, with GROUP_CONCAT lists sorted (SPARQL leaves their order open)."""
    for term in row.values():
        if " | " in term["value"]:
            term["value"] = " | ".join(sorted(term["value"].split(" | ")))
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def test_memory_and_disk_give_the_same_answers(server, sample_build: Path) -> None:
    from kg.query import saved_queries, with_prefixes

    disk = Server(Settings(sample_build, memory=False))
    try:
        assert httpx.get(disk.url + "/health").json()["store"] == "disk"
        for name, path in saved_queries().items():
            q = {"query": with_prefixes(path.read_text(encoding="utf-8"))}
            a, b = (httpx.get(s.url + "/sparql", params=q, timeout=30).json() for s in (server, disk))
            assert a["head"] == b["head"], name
            rows_a, rows_b = (sorted(_comparable(row) for row in x["results"]["bindings"]) for x in (a, b))
            assert rows_a == rows_b and rows_a, name
    finally:
        disk.stop()


def test_a_graph_that_cannot_be_loaded_is_a_clear_error(sample_build: Path, tmp_path: Path) -> None:
    from conftest import run_kg

    from kg.server.worker import WorkerError

    build = tmp_path / "build"
    shutil.copytree(sample_build / "store", build / "store")
    shutil.copy(sample_build / "manifest.json", build / "manifest.json")
    (build / "graph.ttl").write_text("<urn:a> <urn:b> .\n", encoding="utf-8")  # no object
    with pytest.raises(WorkerError, match="could not open the store"):
        create_app(Settings(build))
    r = run_kg("serve", "--dir", str(build), "--port", str(free_port()))
    assert r.returncode == 1 and "could not open the store" in r.stderr and "Traceback" not in r.stderr
    r = run_kg("serve", "--dir", str(build), "--memory", "--allow-update", "--token", "s3cret-token-123")
    assert r.returncode == 2 and "cannot be used with --memory" in r.stderr


def test_yasgui_runs_a_query_offline(server, browser) -> None:
    blocked = []
    page = browser.new_page(viewport={"width": 1300, "height": 850})

    def route(r):
        if r.request.url.startswith(server.url):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(server.url + "/sparql")
    page.wait_for_function("window.kgYasgui !== undefined", timeout=20000)
    page.evaluate(
        "q => { const t = kgYasgui.getTab(); t.setQuery(q); t.query(); }",
        "PREFIX pk: <https://w3id.org/policykg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        + Q_SELECT,
    )
    page.wait_for_selector("text=吉林化纤", timeout=20000)
    page.screenshot(path=str(Path(__file__).resolve().parent.parent / "output" / "yasgui.png"))
    page.close()
    assert all(not u.startswith("http://127.0.0.1") for u in blocked)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_oxigraph_serialised_answers_are_capped_as_the_row_by_row_ones(fmt: str) -> None:
    """Solutions are serialised by Oxigraph and cut to the row cap as text; an answer too
    big for the buffer is read again row by row. Both give the same rows (read back by
    rdflib's result parsers) in the same order, and the same truncation flag."""
    import io

    import pyoxigraph as ox
    from rdflib.query import Result

    from kg.server.worker import execute

    store = ox.Store()
    awkward = ['a,b "c"\nd', "tab\there", "<result>", "普通"]
    for i, text in enumerate(awkward * 5):
        s = ox.NamedNode(f"urn:x:{i:02d}")
        store.add(ox.Quad(s, ox.NamedNode("urn:p"), ox.Literal(text, language="zh")))
        if i % 2:
            store.add(ox.Quad(s, ox.NamedNode("urn:n"), ox.Literal(str(i), datatype=ox.NamedNode(str(XSD_INT)))))
    q = "SELECT ?s ?t ?n WHERE { ?s <urn:p> ?t OPTIONAL { ?s <urn:n> ?n } } ORDER BY ?s"
    for cap in (0, 3, 19, 20, 100):
        fast = execute(store, q, fmt, "turtle", cap)
        slow = execute(store, q, fmt, "turtle", cap, native_bytes=0)
        rows = [[tuple(r) for r in Result.parse(io.BytesIO(a.body), format=fmt)] for a in (fast, slow)]
        assert rows[0] == rows[1] and len(rows[0]) == min(cap, 20), cap
        assert fast.truncated == slow.truncated == (cap < 20)


def test_memory_or_disk_follows_the_memory_available(sample_build: Path, tmp_path: Path, monkeypatch) -> None:
    import kg.server
    from kg.server import memory_budget, memory_source

    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(sample_build / "graph.ttl", build / "graph.ttl")
    manifest = json.loads((sample_build / "manifest.json").read_text(encoding="utf-8"))
    manifest["summary"] = [[k, "3100000" if k == "triples" else v] for k, v in manifest["summary"]]
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    meminfo = tmp_path / "meminfo"
    monkeypatch.setattr(kg.server, "MEMINFO", meminfo)
    meminfo.write_text("MemTotal:       24000000 kB\nMemAvailable:   23000000 kB\n", encoding="ascii")
    assert memory_budget() == 23000000 * 1024 // 2 // 500
    # 3.1M triples (the 100x corpus) in each of two workers: 3.1 GB of 11.5, in memory
    assert memory_source(Settings(build, workers=2)) == build / "graph.ttl"
    meminfo.write_text("MemTotal:       8000000 kB\nMemAvailable:    4000000 kB\n", encoding="ascii")
    assert memory_source(Settings(build, workers=2)) is None  # 3.1 GB of 2: on disk
    meminfo.unlink()  # not Linux: the fixed 4M triples in all
    assert memory_budget() == kg.server.MEMORY_TRIPLES and memory_source(Settings(build, workers=2)) is None
