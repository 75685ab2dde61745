"""SPARQL over the Oxigraph store of a build, and the saved queries."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from kg.graph.namespaces import sparql_prefixes

QUERIES = Path(__file__).resolve().parent.parent / "ontology" / "queries"


class QueryError(Exception):
    """A query that cannot run; the message is the parser's, on one line."""


@dataclass
class Result:
    kind: str  # select | ask | graph
    columns: list[str]
    rows: list[list[str]]
    boolean: bool | None = None
    triples: str = ""


def saved_queries() -> dict[str, Path]:
    return {p.stem: p for p in sorted(QUERIES.glob("*.rq"))}


def resolve_query(text_or_path: str) -> str:
    """A query string, a path to a .rq file, or the name of a saved query."""
    p = Path(text_or_path)
    if text_or_path.endswith(".rq") or (len(text_or_path) < 200 and p.is_file()):
        if not p.is_file():
            saved = saved_queries().get(p.stem)
            if saved is None:
                raise QueryError(f"no such query file: {text_or_path}")
            p = saved
        return p.read_text(encoding="utf-8")
    if text_or_path in saved_queries():
        return saved_queries()[text_or_path].read_text(encoding="utf-8")
    return text_or_path


def with_prefixes(q: str) -> str:
    """Add the standard prefixes a query does not declare itself."""
    declared = {
        line.split()[1].rstrip(":").lower()
        for line in q.splitlines()
        if line.strip().upper().startswith("PREFIX") and len(line.split()) > 1
    }
    extra = "".join(
        line
        for line in sparql_prefixes().splitlines(keepends=True)
        if line.split()[1].rstrip(":").lower() not in declared
    )
    return extra + q


def term_text(t) -> str:
    if t is None:
        return ""
    return t.value if hasattr(t, "value") else str(t)


def run_query(store, query: str) -> Result:
    import pyoxigraph as ox

    q = with_prefixes(query)
    try:
        res = store.query(q, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise QueryError("malformed SPARQL: " + " ".join(str(exc).split())) from None
    except OSError as exc:
        raise QueryError("query failed: " + " ".join(str(exc).split())) from None
    if isinstance(res, ox.QuerySolutions):
        cols = [v.value for v in res.variables]
        rows = [[term_text(sol[c]) for c in cols] for sol in res]
        return Result("select", cols, rows)
    if isinstance(res, ox.QueryBoolean):
        return Result("ask", ["boolean"], [[str(bool(res)).lower()]], boolean=bool(res))
    buf = io.BytesIO()
    ox.serialize(res, buf, format=ox.RdfFormat.TURTLE)
    return Result("graph", [], [], triples=buf.getvalue().decode("utf-8"))


def format_result(r: Result, fmt: str) -> str:
    if r.kind == "graph":
        return r.triples
    if fmt == "json":
        if r.kind == "ask":
            return json.dumps({"boolean": r.boolean})
        return json.dumps([dict(zip(r.columns, row)) for row in r.rows], ensure_ascii=False, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(r.columns)
        w.writerows(r.rows)
        return buf.getvalue()
    raise ValueError(fmt)


RELATIONS = ("locatedIn", "undertakenBy", "partOf", "implements", "inIndustry", "subsidiaryOf", "produces")


def _node_pattern(var: str, ref: str) -> str:
    if ref.startswith(("http://", "https://")):
        return f"VALUES ?{var} {{ <{ref}> }}"
    lit = ref.replace("\\", "\\\\").replace('"', '\\"')
    return f'?{var} rdfs:label|skos:altLabel ?{var}Label . FILTER(STR(?{var}Label) = "{lit}")'


def why_query(head: str, relation: str, tail: str) -> str:
    """The SPARQL behind `kg why`: every evidence node of head —relation→ tail."""
    prop = relation.split(":")[-1].split("#")[-1]
    if prop not in RELATIONS:
        raise QueryError(f"unknown relation '{relation}' (use one of {', '.join(RELATIONS)})")
    return f"""SELECT DISTINCT ?head ?tail ?rule ?confidence ?file ?start ?end ?sentence WHERE {{
  {_node_pattern("h", head)}
  {_node_pattern("t", tail)}
  ?h pk:{prop} ?t ; rdfs:label ?head . ?t rdfs:label ?tail .
  ?ev a pk:Evidence ; rdf:subject ?h ; rdf:predicate pk:{prop} ; rdf:object ?t ;
      pk:rule ?rule ; pk:confidence ?confidence .
  OPTIONAL {{ ?ev prov:wasDerivedFrom ?s . ?s rdf:value ?sentence ; pk:startOffset ?start ; pk:endOffset ?end ;
              pk:inDocument/pk:sourceFile ?file . }}
}} ORDER BY DESC(?confidence) ?file ?start"""


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def indicator_series_query(area: str | None = None, indicator: str | None = None) -> str:
    """Observations for `kg indicators`, optionally for one area and one indicator (labels)."""
    filters = []
    if area:
        alt = f"EXISTS {{ ?a skos:altLabel ?alt . FILTER(STR(?alt) = {_lit(area)}) }}"
        filters.append(f"FILTER(STR(?area) = {_lit(area)} || {alt})")
    if indicator:
        filters.append(f"FILTER(CONTAINS(STR(?indicator), {_lit(indicator)}))")
    return f"""SELECT ?area ?indicator ?measure ?unit ?period ?status ?value ?qualifier ?file WHERE {{
  ?o a qb:Observation ; sdmx-dimension:refArea ?a ; pk:indicator ?i ; pk:measureType ?m ; pk:status ?s ;
     sdmx-dimension:refPeriod ?period ; sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?unit ;
     pk:inDocument/pk:sourceFile ?file .
  ?a rdfs:label ?area . ?i rdfs:label ?indicator . FILTER(LANG(?indicator) = "zh")
  OPTIONAL {{ ?o pk:qualifier ?qualifier }}
  BIND(LCASE(STRAFTER(STR(?m), "#")) AS ?measure)
  BIND(LCASE(STRAFTER(STR(?s), "#")) AS ?status)
  {" ".join(filters)}
}} ORDER BY ?area ?indicator ?measure ?unit ?period ?status ?file"""


def pivot_series(result: Result) -> tuple[list[str], list[list[str]]]:
    """Rows (area, indicator, measure, unit) × one column per year: 'actual 6.3 (000…) | target 6 左右 (000…)'."""
    cells: dict[tuple[str, str, str, str], dict[str, list[str]]] = {}
    years: set[str] = set()
    for row in result.rows:
        r = dict(zip(result.columns, row))
        key = (r["area"], r["indicator"], r["measure"], r["unit"])
        years.add(r["period"])
        text = f"{r['status']} {r['value']}{(' ' + r['qualifier']) if r['qualifier'] else ''} ({r['file'][:3]})"
        cell = cells.setdefault(key, {}).setdefault(r["period"], [])
        if text not in cell:
            cell.append(text)
    cols = ["area", "indicator", "measure", "unit", *sorted(years)]
    rows = [[*k, *(" | ".join(v.get(y, [])) for y in sorted(years))] for k, v in sorted(cells.items())]
    return cols, rows
