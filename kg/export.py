"""Exports of a build for the tools people already use, and push to a triple store.

RDF: Turtle and N-Triples (the union of the graphs), TriG and N-Quads (one named graph
per source document, from the build's graph.nq), JSON-LD compacted with
`ontology/context.jsonld`. Networks: GraphML and GEXF (networkx) with labels, classes,
colours and layout positions, ready for Gephi. Tables: entities, relations (with
evidence) and observations as CSV in UTF-8 with a BOM, so that spreadsheet programs show
the Chinese.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

from kg.graph.store import count_union, union_triples, write_ntriples

FORMATS = ("ttl", "nt", "trig", "nq", "jsonld", "graphml", "gexf", "csv")
ROOT = Path(__file__).resolve().parent.parent
CONTEXT = ROOT / "ontology" / "context.jsonld"
QUERIES = Path(__file__).resolve().parent / "export.json"


class ExportError(Exception):
    """A format or a target that cannot be written; the message says which."""


def default_output(build_dir: Path, fmt: str) -> Path:
    return build_dir / ("export-csv" if fmt == "csv" else f"graph.{fmt}")


def write_rdf(store, build_dir: Path, fmt: str, out: Path) -> int:
    import pyoxigraph as ox

    if fmt == "ttl":
        src = build_dir / "graph.ttl"
        if src.resolve() != out.resolve():
            out.write_bytes(src.read_bytes())
        return count_union(store)
    if fmt in ("trig", "nq"):
        return write_named_graphs(build_dir, fmt, out)
    if fmt == "nt":
        return write_ntriples(store, str(out))
    triples = union_triples(store)
    from rdflib import Graph

    g = Graph()
    g.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")
    context = json.loads(CONTEXT.read_text(encoding="utf-8"))["@context"]
    out.write_text(g.serialize(format="json-ld", context=context, auto_compact=True), encoding="utf-8")
    return len(g)


def write_named_graphs(build_dir: Path, fmt: str, out: Path) -> int:
    """TriG or N-Quads of the build's named graphs (graph.nq: the store holds their
    union only); returns the number of quads. For TriG, graph.nq is loaded into a
    temporary store first, so that each graph is one block (graph.nq interleaves them)."""
    import pyoxigraph as ox

    from kg.graph.output import turtle_prefixes

    src = build_dir / "graph.nq"
    if not src.is_file():
        raise ExportError(f"{build_dir} has no graph.nq (a build before named graphs were kept): run 'kg build' again")
    if fmt == "nq":
        return _copy_counting_lines(src, out)
    tmp = out.with_name(out.name + ".writing")
    try:
        with tempfile.TemporaryDirectory(dir=build_dir, prefix="trig-") as folder:
            store = ox.Store(folder)
            store.bulk_load(path=str(src), format=ox.RdfFormat.N_QUADS, lenient=True)
            ox.serialize(store, str(tmp), ox.RdfFormat.TRIG, prefixes=turtle_prefixes())
            count = len(store)
            del store
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def _copy_counting_lines(src: Path, out: Path) -> int:
    """`src` copied to `out` (unless they are one file) in one pass that counts its lines."""
    same = out.exists() and src.resolve() == out.resolve()
    lines = 0
    with src.open("rb") as fh, (open(os.devnull, "wb") if same else out.open("wb")) as dst:
        for chunk in _chunks(fh):
            lines += chunk.count(b"\n")
            dst.write(chunk)
    return lines


def _hex_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def network(store):
    """A networkx DiGraph of the entities and contract relations, with drawing attributes."""
    import networkx as nx

    from kg.viz import layout, load_data, style

    data = load_data(store)
    pos = layout(data, set(data.nodes))
    classes = style()["classes"]
    g = nx.DiGraph()
    degree: dict[str, int] = {}
    for h, _, t in data.edges:
        degree[h] = degree.get(h, 0) + 1
        degree[t] = degree.get(t, 0) + 1
    for iri, n in sorted(data.nodes.items()):
        r, gr, b = _hex_rgb(classes[n["cls"]]["color"])
        x, y = pos[iri]
        g.add_node(
            iri,
            label=n["label"],
            cls=n["cls"],
            alt_labels=" | ".join(n["alt"]),
            color=classes[n["cls"]]["color"],
            r=r,
            g=gr,
            b=b,
            x=float(x),
            y=float(y),
            size=float(8 + 4 * degree.get(iri, 0) ** 0.5),
        )
    for h, p, t in data.edges:
        g.add_edge(h, t, relation=p, label=p)
    return g


def write_network(store, fmt: str, out: Path) -> int:
    import networkx as nx

    g = network(store)
    if fmt == "graphml":
        nx.write_graphml(g, out, encoding="utf-8")
    else:
        for _, d in g.nodes(data=True):
            d["viz"] = {
                "color": {"r": d["r"], "g": d["g"], "b": d["b"], "a": 1.0},
                "position": {"x": d["x"], "y": d["y"], "z": 0.0},
                "size": d["size"],
            }
        nx.write_gexf(g, out, encoding="utf-8")
    return g.number_of_nodes()


def write_csv(store, out_dir: Path) -> int:
    from kg.query import run_query

    queries = json.loads(QUERIES.read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for name in ("entities", "relations", "observations"):
        result = run_query(store, queries[name])
        with (out_dir / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(result.columns)
            w.writerows(result.rows)
        total += len(result.rows)
    return total


def export(build_dir: Path, fmt: str, out: Path | None = None) -> tuple[Path, int]:
    """Write one export; returns the path and how many triples, nodes or rows it holds."""
    from kg.graph.store import open_store

    if fmt not in FORMATS:
        raise ExportError(f"unknown format '{fmt}' (use {', '.join(FORMATS)})")
    store = open_store(build_dir)
    out = out or default_output(build_dir, fmt)
    if fmt == "csv":
        return out, write_csv(store, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file path with -o")
    if fmt in ("graphml", "gexf"):
        return out, write_network(store, fmt, out)
    return out, write_rdf(store, build_dir, fmt, out)


def _chunks(fh, size: int = 1 << 20):
    while chunk := fh.read(size):
        yield chunk


def push(build_dir: Path, endpoint: str, graph: str | None = None, timeout: float = 120.0) -> int:
    """PUT the union graph into a store by the SPARQL 1.1 Graph Store HTTP Protocol.

    `endpoint` is the store's graph-store URL (Oxigraph server: http://host:port/store;
    Fuseki: http://host:port/dataset/data); the target is `?graph=IRI`, or `?default`.
    """
    import httpx

    from kg.graph.store import open_store

    store = open_store(build_dir)
    from urllib.parse import quote

    url = endpoint + ("&" if "?" in endpoint else "?") + (f"graph={quote(graph, safe='')}" if graph else "default")
    with tempfile.TemporaryFile() as body:  # streamed from disk: a large graph is not held in memory
        n = write_ntriples(store, body)
        size = body.tell()
        body.seek(0)
        headers = {"Content-Type": "application/n-triples", "Content-Length": str(size)}
        try:
            r = httpx.put(url, content=_chunks(body), headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise ExportError(f"cannot reach {endpoint}: {exc}") from None
    if r.status_code not in (200, 201, 204):
        raise ExportError(f"{endpoint} answered {r.status_code}: {r.text[:200]}")
    return n
