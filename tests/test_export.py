"""Every export written, read back by other tools, and a push to a real Oxigraph server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.common import free_port
from kg.export import ExportError, export, push

pytestmark = pytest.mark.slow
RDF_FORMATS = {"ttl": ("turtle", "TURTLE"), "nt": ("nt", "N_TRIPLES"), "jsonld": ("json-ld", "JSON_LD")}


def oxigraph_triples(path: Path, fmt: str) -> set[str]:
    import pyoxigraph as ox

    with path.open("rb") as fh:
        return {
            str(ox.Triple(t.subject, t.predicate, t.object)) for t in ox.parse(fh, format=getattr(ox.RdfFormat, fmt))
        }


def rdflib_triples(path: Path, fmt: str) -> set[str]:
    import pyoxigraph as ox
    from rdflib import Graph

    nt = Graph().parse(path, format=fmt).serialize(format="nt", encoding="utf-8")
    return {str(t) for t in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)}


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_rdf_exports_round_trip_in_rdflib_and_oxigraph(sample_build: Path, tmp_path: Path, fmt: str) -> None:
    out, n = export(sample_build, fmt, tmp_path / f"g.{fmt}")
    rdflib_fmt, ox_fmt = RDF_FORMATS[fmt]
    a, b = rdflib_triples(out, rdflib_fmt), oxigraph_triples(out, ox_fmt)
    assert a == b and len(a) == n > 20000


def test_trig_keeps_one_named_graph_per_document(sample_build: Path, tmp_path: Path) -> None:
    import pyoxigraph as ox
    from rdflib import Dataset

    out, n = export(sample_build, "trig", tmp_path / "g.trig")
    with out.open("rb") as fh:
        quads = list(ox.parse(fh, format=ox.RdfFormat.TRIG))
    graphs = {str(q.graph_name) for q in quads}
    shared = ("entities>", "gazetteer>", "comentions>", "entailed>")
    docs = {g for g in graphs if "/graph/" in g and not g.endswith(shared)}
    assert len(docs) == 5 and len(quads) == n
    ds = Dataset()
    ds.parse(out, format="trig")
    assert sum(1 for _ in ds.quads((None, None, None, None))) == n


def test_nquads_export_is_the_builds_named_graphs(sample_build: Path, tmp_path: Path) -> None:
    import pyoxigraph as ox

    out, n = export(sample_build, "nq", tmp_path / "g.nq")
    quads = {str(q) for q in ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS)}
    trig, m = export(sample_build, "trig", tmp_path / "g.trig")
    assert len(quads) == n == m > 20000
    assert quads == {str(q) for q in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG)}
    before = (sample_build / "graph.nq").read_bytes()
    assert export(sample_build, "nq") == (sample_build / "graph.nq", n)  # its default path is graph.nq itself
    assert (sample_build / "graph.nq").read_bytes() == before


def test_named_graph_exports_of_a_build_without_graph_nq_say_to_rebuild(sample_build: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(sample_build, old)
    (old / "graph.nq").unlink()
    for fmt in ("trig", "nq"):
        with pytest.raises(ExportError, match="kg build"):
            export(old, fmt, tmp_path / f"g.{fmt}")


def test_graphml_and_gexf_read_back_by_networkx(sample_build: Path, tmp_path: Path) -> None:
    import networkx as nx

    gm, n = export(sample_build, "graphml", tmp_path / "g.graphml")
    g = nx.read_graphml(gm)
    assert g.number_of_nodes() == n > 500
    node = next(d for _, d in g.nodes(data=True) if d["label"] == "吉林化纤")
    assert node["cls"] == "Enterprise" and node["color"].startswith("#") and "x" in node and "y" in node
    gx, n2 = export(sample_build, "gexf", tmp_path / "g.gexf")
    h = nx.read_gexf(gx)
    assert h.number_of_nodes() == n2 == n and h.number_of_edges() == g.number_of_edges()
    d = next(d for _, d in h.nodes(data=True) if d["label"] == "吉林化纤")
    assert "position" in d["viz"] and "color" in d["viz"]


def test_csv_tables_with_bom(sample_build: Path, tmp_path: Path) -> None:
    import csv

    out, rows = export(sample_build, "csv", tmp_path / "csv")
    for name, header in (("entities", "iri"), ("relations", "head"), ("observations", "observation")):
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        table = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
        assert table and next(iter(table[0])) == header
    rel = list(csv.DictReader((out / "relations.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert any(
        r["head_label"].startswith("吉林碳谷") and r["relation"] == "undertakenBy" and r["sentence"] for r in rel
    )


def test_unknown_format_and_folder_errors(sample_build: Path, tmp_path: Path) -> None:
    from kg.export import ExportError

    with pytest.raises(ExportError, match="unknown format"):
        export(sample_build, "xlsx")
    with pytest.raises(ExportError, match="is a folder"):
        export(sample_build, "nt", tmp_path)


def test_ontology_page_written_by_build_and_linked_from_explorer(sample_build: Path) -> None:
    html = (sample_build / "ontology.html").read_text(encoding="utf-8")
    assert "pk:Enterprise" in html and "pk:locatedIn" in html and "企业" in html
    from kg.graph.store import open_store
    from kg.viz import write_explorer

    page, _, _ = write_explorer(open_store(sample_build), sample_build / "explorer.html")
    assert 'href="ontology.html"' in page.read_text(encoding="utf-8")


def test_push_to_a_real_oxigraph_server(sample_build: Path, tmp_path: Path) -> None:
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--location", str(tmp_path / "ox"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/query", params={"query": "ASK {}"}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        graph = "https://w3id.org/policykg/graph/pushed"
        n = push(sample_build, base + "/store", graph)
        q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        r = httpx.get(base + "/query", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
        assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == n > 20000
        push(sample_build, base + "/store")  # the default graph
        r = httpx.get(
            base + "/query",
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == n
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_push_to_nowhere_is_a_clean_error(sample_build: Path) -> None:
    from kg.export import ExportError

    with pytest.raises(ExportError, match="cannot reach"):
        push(sample_build, f"http://127.0.0.1:{free_port()}/store")
