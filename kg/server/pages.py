"""Linked Data pages: an entity IRI as HTML for people and as RDF for programs."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path

from kg.query import with_prefixes
from kg.server.worker import QueryPool

HERE = Path(__file__).resolve().parent
ID = "https://w3id.org/policykg/id/"
RELATIONS = "pk:locatedIn pk:undertakenBy pk:partOf pk:implements pk:inIndustry pk:subsidiaryOf pk:produces"


def _rows(pool: QueryPool, query: str) -> list[dict[str, str]]:
    ans = pool.query(with_prefixes(query), "json", "turtle")
    if ans.status != 200:
        return []
    data = json.loads(ans.body)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def _iri(iri: str) -> str:
    return "<" + iri.replace(">", "%3E").replace(" ", "%20") + ">"


def entity_rdf(pool: QueryPool, iri: str, fmt: str) -> tuple[bytes, int]:
    """The entity's own triples, the statements pointing at it and their evidence nodes
    (not the sentences that mention it nor the stored pk:within of everything inside a
    place: a province would list its whole province; the page shows the first mentions)."""
    q = f"""CONSTRUCT {{ ?s ?p ?o . ?ev ?ep ?eo }} WHERE {{
      {{ BIND({_iri(iri)} AS ?s) ?s ?p ?o }}
      UNION {{ ?s ?p ?o . FILTER(?o = {_iri(iri)} && ?p NOT IN (pk:mentions, pk:within)) }}
      UNION {{ ?ev rdf:subject {_iri(iri)} ; a pk:Evidence ; ?ep ?eo }}
    }}"""
    ans = pool.query(with_prefixes(q), "json", fmt)
    if ans.status == 200 and not ans.body.strip(b"[]{} \n"):
        return b"", 404
    return ans.body, ans.status


def _svg(center: str, neighbours: list[tuple[str, str, str]]) -> str:
    """A small circular network view drawn on the server; every label is escaped."""
    if not neighbours:
        return ""
    w, h, r = 640, 360, 140
    parts = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">']
    cx, cy = w / 2, h / 2
    shown = neighbours[:24]
    for i, (rel, label, _) in enumerate(shown):
        a = 2 * math.pi * i / len(shown)
        x, y = cx + r * 1.6 * math.cos(a), cy + r * math.sin(a)
        parts.append(f'<line x1="{cx:.0f}" y1="{cy:.0f}" x2="{x:.0f}" y2="{y:.0f}" stroke="#aaa"/>')
        parts.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="5" fill="#2e86ab"/>')
        parts.append(f'<text x="{x + 7:.0f}" y="{y + 4:.0f}">{escape(label)} ({escape(rel)})</text>')
    parts.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="9" fill="#e4572e"/>')
    parts.append(f'<text x="{cx + 12:.0f}" y="{cy + 4:.0f}" font-weight="bold">{escape(center)}</text></svg>')
    return "".join(parts)


def entity_page(pool: QueryPool, iri: str) -> tuple[str, int]:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    node = _iri(iri)
    labels = _rows(pool, f"SELECT ?l WHERE {{ {node} rdfs:label ?l }}")
    types = _rows(pool, f"SELECT ?c WHERE {{ {node} a ?c }}")
    if not labels and not types:
        return env.get_template("entity.html").render(label="not found", iri=iri, classes=[], path=""), 404
    label = next((x["l"] for x in labels), iri.rsplit("/", 1)[-1])
    alts = [x["a"] for x in _rows(pool, f"SELECT ?a WHERE {{ {node} skos:altLabel ?a }} ORDER BY ?a")]
    rels = _rows(
        pool,
        f"""SELECT ?dir ?p ?other ?label WHERE {{
          {{ {node} ?pp ?other . BIND("out" AS ?dir) }} UNION {{ ?other ?pp {node} . BIND("in" AS ?dir) }}
          VALUES ?pp {{ {RELATIONS} }}
          ?other rdfs:label ?label . FILTER(LANG(?label) = "zh")
          BIND(STRAFTER(STR(?pp), "#") AS ?p) }} ORDER BY ?p ?label""",
    )
    evidence = _rows(
        pool,
        f"""SELECT ?s ?p ?o ?text ?file ?rule WHERE {{
          ?ev a pk:Evidence ; rdf:subject ?s ; rdf:predicate ?pp ; rdf:object ?o ; pk:rule ?rule .
          FILTER(?s = {node} || ?o = {node})
          OPTIONAL {{ ?ev prov:wasDerivedFrom ?sent . ?sent rdf:value ?text ; pk:inDocument/pk:sourceFile ?file }}
          BIND(STRAFTER(STR(?pp), "#") AS ?p) }}""",
    )
    ev_by = {}
    for e in evidence:
        key = (e["s"], e["p"], e["o"])
        lst = ev_by.setdefault(key, [])
        if len(lst) < 3 and not any(x.get("text") == e.get("text") for x in lst):
            lst.append({"text": e.get("text", ""), "file": e.get("file", ""), "rule": e["rule"]})
    relations = []
    for r in rels:
        key = (iri, r["p"], r["other"]) if r["dir"] == "out" else (r["other"], r["p"], iri)
        href = "/id/" + r["other"][len(ID) :] if r["other"].startswith(ID) else r["other"]
        relations.append(
            {
                "arrow": "→" if r["dir"] == "out" else "←",
                "rel": r["p"],
                "label": r["label"],
                "href": href,
                "evidence": ev_by.get(key, []),
            }
        )
    observations = _rows(
        pool,
        f"""SELECT ?indicator ?period ?status ?value ?unit ?file WHERE {{
          {node} pk:observationSlice/qb:observation ?o .  # its slices: not every figure's area tested
          ?o pk:indicator/rdfs:label ?indicator ;
             sdmx-dimension:refPeriod ?period ; pk:status ?s ; sdmx-measure:obsValue ?value ;
             sdmx-attribute:unitMeasure ?unit .
          FILTER(LANG(?indicator) = "zh") OPTIONAL {{ ?o pk:inDocument/pk:sourceFile ?file }}
          BIND(LCASE(STRAFTER(STR(?s), "#")) AS ?status) }} ORDER BY ?indicator ?period ?status LIMIT 300""",
    )
    mentions = _rows(
        pool,
        f"""SELECT ?text ?file WHERE {{ ?s pk:mentions {node} .
          ?s rdf:value ?text ; pk:inDocument/pk:sourceFile ?file }} ORDER BY ?file LIMIT 20""",
    )
    html = env.get_template("entity.html").render(
        label=label,
        iri=iri,
        path="/id/" + iri[len(ID) :],
        alts=alts,
        classes=[t["c"].rsplit("#", 1)[-1] for t in types],
        relations=relations,
        observations=observations,
        mentions=mentions,
        svg=_svg(label, [(r["p"], r["label"], r["other"]) for r in rels]),
    )
    return html, 200
