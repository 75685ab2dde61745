"""Ontology documentation: one HTML page generated from `ontology/policykg.ttl`.

pyLODE would be the natural tool, but its current release fails to import once installed
(it reads a pyproject.toml that the wheel does not ship); this small generator reads the
same OWL and writes classes and properties with their Chinese and English labels,
comments, domains, ranges and alignments.
"""

from __future__ import annotations

from pathlib import Path

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology" / "policykg.ttl"
HERE = Path(__file__).resolve().parent


def _short(g, term) -> str:
    try:
        return g.namespace_manager.normalizeUri(term)
    except Exception:  # rdflib raises several types for IRIs it cannot shorten
        return str(term)


def ontology_page(path: Path = ONTOLOGY) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from rdflib import Graph
    from rdflib.namespace import OWL, RDF, RDFS

    g = Graph().parse(path)

    def describe(term) -> dict:
        labels = {str(lit.language or ""): str(lit) for lit in g.objects(term, RDFS.label)}
        comments = {str(lit.language or ""): str(lit) for lit in g.objects(term, RDFS.comment)}
        return {
            "id": _short(g, term).replace(":", "_"),
            "name": _short(g, term),
            "iri": str(term),
            "zh": labels.get("zh", ""),
            "en": labels.get("en", ""),
            "comment": comments.get("en", "") or comments.get("zh", ""),
            "comment_zh": comments.get("zh", "") if comments.get("en") else "",
            "parents": sorted(_short(g, o) for o in g.objects(term, RDFS.subClassOf)),
            "super": sorted(_short(g, o) for o in g.objects(term, RDFS.subPropertyOf)),
            "domain": sorted(_short(g, o) for o in g.objects(term, RDFS.domain)),
            "range": sorted(_short(g, o) for o in g.objects(term, RDFS.range)),
        }

    ns = "https://w3id.org/policykg/ontology#"
    classes = sorted(
        (describe(c) for c in g.subjects(RDF.type, OWL.Class) if str(c).startswith(ns)), key=lambda d: d["name"]
    )
    props = sorted(
        (
            describe(p)
            for t in (OWL.ObjectProperty, OWL.DatatypeProperty)
            for p in g.subjects(RDF.type, t)
            if str(p).startswith(ns)
        ),
        key=lambda d: d["name"],
    )
    meta = describe(next(g.subjects(RDF.type, OWL.Ontology)))
    env = Environment(loader=FileSystemLoader(HERE / "viz"), autoescape=select_autoescape(["html"]))
    return env.get_template("ontology.html").render(meta=meta, classes=classes, properties=props)


def write_ontology_page(out: Path) -> Path:
    out.write_text(ontology_page(), encoding="utf-8")
    return out
