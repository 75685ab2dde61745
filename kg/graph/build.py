"""Records → RDF: entities, documents, sentences, relations with their evidence.

Provenance mechanism (documented in the README): one named graph per source document
holds what that document says; each relation also has a reified `rdf:Statement` node
(`pk:Evidence`) that points to the sentence (`prov:wasDerivedFrom`), carries the rule
and confidence, and the sentence carries its offsets in the original file.
"""

from __future__ import annotations

import hashlib

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kg.graph.namespaces import GEO, ID, PK, QB, SDMX_ATTR, SDMX_DIM, SDMX_MEAS
from kg.records import Document, Entity, Observation, Relation, Sentence

SHARED = URIRef(ID + "graph/entities")
GAZETTEER = URIRef(ID + "graph/gazetteer")


def doc_iri(doc_id: str) -> URIRef:
    return URIRef(f"{ID}doc/{doc_id}")


def doc_graph_iri(doc_id: str) -> URIRef:
    return URIRef(f"{ID}graph/{doc_id}")


def sentence_iri(doc_id: str, index: int) -> URIRef:
    return URIRef(f"{ID}doc/{doc_id}/s{index}")


def zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def _year(y: int | None) -> Literal | None:
    return Literal(str(y), datatype=XSD.gYear) if y else None


def add_document(ds, doc: Document, region_iri: URIRef | None, used: set[int]) -> None:
    g = ds.graph(doc_graph_iri(doc.id))
    d = doc_iri(doc.id)
    g.add((d, RDF.type, PK.Document))
    g.add((d, DCTERMS.title, zh(doc.title or doc.name)))
    g.add((d, PK.sourceFile, Literal(doc.name)))
    g.add((d, PK.encoding, Literal(doc.encoding)))
    if region_iri is not None:
        g.add((d, PK.region, region_iri))
    for p, y in (
        (PK.yearDelivered, doc.year_delivered),
        (PK.reviewYear, doc.review_year),
        (PK.planYear, doc.plan_year),
    ):
        if _year(y) is not None:
            g.add((d, p, _year(y)))
    for s in doc.sentences:
        if s.index in used:
            add_sentence(g, doc, s)


def add_sentence(g: Graph, doc: Document, s: Sentence) -> None:
    node = sentence_iri(doc.id, s.index)
    start, end = doc.original_span(s.start, s.end)
    g.add((node, RDF.type, PK.Sentence))
    g.add((node, RDF.value, zh(s.text)))
    g.add((node, PK.inDocument, doc_iri(doc.id)))
    g.add((node, PK.sentenceIndex, Literal(s.index)))
    g.add((node, PK.section, PK[s.section.capitalize() + "Section"]))
    g.add((node, PK.startOffset, Literal(start)))
    g.add((node, PK.endOffset, Literal(end)))


def add_entity(ds, e: Entity, slug_pinyin: str = "") -> None:
    g = ds.graph(SHARED if not e.code else GAZETTEER)
    n = URIRef(e.iri)
    g.add((n, RDF.type, PK[e.cls]))
    g.add((n, RDFS.label, zh(e.label)))
    for alt in sorted(e.alt_labels):
        g.add((n, SKOS.altLabel, zh(alt)))
    if e.code:
        g.add((n, PK.adminCode, Literal(e.code[:6])))
    if e.lon is not None and e.lat is not None:
        geom = URIRef(e.iri + "/geometry")
        g.add((n, GEO.hasGeometry, geom))
        g.add((geom, RDF.type, GEO.Geometry))
        g.add((geom, GEO.asWKT, Literal(f"POINT({e.lon} {e.lat})", datatype=GEO.wktLiteral)))
    for m in e.mentions:
        dg = ds.graph(doc_graph_iri(m.doc_id))
        dg.add((n, PK.mentionedIn, sentence_iri(m.doc_id, m.sentence)))
        dg.add((n, PK.mentionedInDocument, doc_iri(m.doc_id)))


def statement_iri(r: Relation, key: str) -> URIRef:
    h = hashlib.sha1(f"{r.head}|{r.prop}|{r.tail}|{key}".encode()).hexdigest()[:16]
    return URIRef(f"{ID}evidence/{h}")


def add_relation(ds, r: Relation) -> None:
    triple = (URIRef(r.head), PK[r.prop], URIRef(r.tail))
    if not r.evidence or all(ev.doc_id == "" for ev in r.evidence):
        g = ds.graph(GAZETTEER)
        g.add(triple)
    for ev in r.evidence:
        g = ds.graph(doc_graph_iri(ev.doc_id) if ev.doc_id else GAZETTEER)
        g.add(triple)
        st = statement_iri(r, f"{ev.doc_id}|{ev.sentence}|{ev.rule}")
        g.add((st, RDF.type, PK.Evidence))
        g.add((st, RDF.subject, triple[0]))
        g.add((st, RDF.predicate, triple[1]))
        g.add((st, RDF.object, triple[2]))
        g.add((st, PK.rule, Literal(ev.rule)))
        g.add((st, PK.confidence, Literal(round(ev.confidence, 3), datatype=XSD.decimal)))
        if ev.doc_id:
            g.add((st, PROV.wasDerivedFrom, sentence_iri(ev.doc_id, ev.sentence)))
            g.add((st, PK.inDocument, doc_iri(ev.doc_id)))


COMENTIONS = URIRef(ID + "graph/comentions")
DATASET = URIRef(ID + "dataset/observations")
MEASURE = {"level": PK.Level, "growth": PK.Growth, "share": PK.Share, "rank": PK.Rank}
STATUS = {"actual": PK.Actual, "target": PK.Target}


def indicator_iri(name: str) -> URIRef:
    from kg.resolve import slug

    return URIRef(f"{ID}indicator/{slug(name)}-{hashlib.sha1(name.encode()).hexdigest()[:6]}")


def add_observations(ds, observations: list[Observation]) -> None:
    """qb:Observation nodes in the graph of their first document; indicators are shared."""
    from kg.measure.extract import observation_key
    from kg.measure.registry import english_label

    shared = ds.graph(SHARED)
    shared.add((DATASET, RDF.type, QB.DataSet))
    shared.add((DATASET, RDFS.label, Literal("Figures of the reports", lang="en")))
    seen_indicators: set[str] = set()
    for o in observations:
        ind = indicator_iri(o.indicator)
        if o.indicator not in seen_indicators:
            seen_indicators.add(o.indicator)
            shared.add((ind, RDF.type, PK.Indicator))
            shared.add((ind, RDFS.label, zh(o.indicator)))
            if english_label(o.indicator):
                shared.add((ind, RDFS.label, Literal(english_label(o.indicator), lang="en")))
        first = o.evidence[0]
        g = ds.graph(doc_graph_iri(first.doc_id))
        n = URIRef(f"{ID}obs/{observation_key(o)}")
        g.add((n, RDF.type, QB.Observation))
        g.add((n, QB.dataSet, DATASET))
        g.add((n, SDMX_DIM.refArea, URIRef(o.area)))
        g.add((n, SDMX_DIM.refPeriod, Literal(str(o.period), datatype=XSD.gYear)))
        g.add((n, SDMX_MEAS.obsValue, Literal(str(o.value), datatype=XSD.decimal)))
        g.add((n, SDMX_ATTR.unitMeasure, Literal(o.unit)))
        g.add((n, PK.indicator, ind))
        g.add((n, PK.measureType, MEASURE[o.measure]))
        g.add((n, PK.status, STATUS[o.status]))
        if o.qualifier:
            g.add((n, PK.qualifier, zh(o.qualifier)))
        g.add((n, PK.evidenceText, zh(o.text)))
        for ev in o.evidence:
            g.add((n, PROV.wasDerivedFrom, sentence_iri(ev.doc_id, ev.sentence)))
            g.add((n, PK.inDocument, doc_iri(ev.doc_id)))
        g.add((n, PK.startOffset, Literal(first.start)))
        g.add((n, PK.endOffset, Literal(first.end)))
        g.add((n, PK.rule, Literal(first.rule)))
        g.add((n, PK.confidence, Literal(round(first.confidence, 3), datatype=XSD.decimal)))


def add_co_mentions(ds, counts: dict[tuple[str, str], int]) -> None:
    """Weaker than any contract relation: a direct pk:coMentionedWith and a counted node."""
    g = ds.graph(COMENTIONS)
    for (a, b), n in sorted(counts.items()):
        g.add((URIRef(a), PK.coMentionedWith, URIRef(b)))
        node = URIRef(f"{ID}comention/" + hashlib.sha1(f"{a}|{b}".encode()).hexdigest()[:16])
        g.add((node, RDF.type, PK.CoMention))
        g.add((node, RDF.subject, URIRef(a)))
        g.add((node, RDF.object, URIRef(b)))
        g.add((node, PK.sentenceCount, Literal(n)))


def build_dataset(
    ds,
    docs: list[Document],
    entities: list[Entity],
    relations: list[Relation],
    region_iris: dict[str, URIRef],
    co_mentions: dict[tuple[str, str], int] | None = None,
    observations: list[Observation] | None = None,
):
    """Write every record into `ds`: anything with `graph(name).add(triple)` (a QuadSink, an rdflib Dataset)."""
    used: dict[str, set[int]] = {d.id: set() for d in docs}
    for e in entities:
        for m in e.mentions:
            used[m.doc_id].add(m.sentence)
    for r in relations:
        for ev in r.evidence:
            if ev.doc_id:
                used[ev.doc_id].add(ev.sentence)
    for o in observations or []:
        for ev in o.evidence:
            used[ev.doc_id].add(ev.sentence)
    for doc in docs:
        add_document(ds, doc, region_iris.get(doc.id), used[doc.id])
    for e in entities:
        add_entity(ds, e)
    for r in relations:
        add_relation(ds, r)
    add_co_mentions(ds, co_mentions or {})
    add_observations(ds, observations or [])
    return ds
