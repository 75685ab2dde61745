"""Records → RDF: entities, documents, sentences, relations with their evidence.

Provenance mechanism (documented in the README): one named graph per source document
holds what that document says; each relation also has a reified `rdf:Statement` node
(`pk:Evidence`) that points to the sentence (`prov:wasDerivedFrom`), carries the rule
and confidence, and the sentence carries its offsets in the original file.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from functools import lru_cache

from rdflib.namespace import DCTERMS as _DCTERMS
from rdflib.namespace import PROV as _PROV
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SKOS as _SKOS
from rdflib.namespace import XSD as _XSD

from kg.graph import namespaces as ns
from kg.graph.sink import Vocabulary, iri, literal, zh
from kg.records import Document, Entity, Observation, Relation, Sentence

ID = str(ns.ID)
PK, QB, GEO = Vocabulary(ns.PK), Vocabulary(ns.QB), Vocabulary(ns.GEO)
SDMX_DIM, SDMX_MEAS, SDMX_ATTR = Vocabulary(ns.SDMX_DIM), Vocabulary(ns.SDMX_MEAS), Vocabulary(ns.SDMX_ATTR)
RDF, RDFS, SKOS, PROV, DCTERMS = (Vocabulary(v) for v in (_RDF, _RDFS, _SKOS, _PROV, _DCTERMS))
XSD_DECIMAL, XSD_GYEAR = str(_XSD.decimal), str(_XSD.gYear)
WKT = str(ns.GEO.wktLiteral)

SHARED = iri(ID + "graph/entities")
GAZETTEER = iri(ID + "graph/gazetteer")


def doc_iri(doc_id: str) -> str:
    return f"<{ID}doc/{doc_id}>"


def doc_graph_iri(doc_id: str) -> str:
    return f"<{ID}graph/{doc_id}>"


def sentence_iri(doc_id: str, index: int) -> str:
    return f"<{ID}doc/{doc_id}/s{index}>"


def _year(y: int | None) -> str | None:
    return literal(str(y), datatype=XSD_GYEAR) if y else None


def _decimal(x: float | int | str, places: int | None = None) -> str:
    """xsd:decimal in its canonical form (1.0 → "1", 0.850 → "0.85"), as the store keeps
    it: graph.ttl, written from the builder's own triples, then reads the same."""
    d = Decimal(str(round(x, places) if places is not None else x))
    text = format(d.normalize(), "f")
    return literal("0" if text == "-0" else text, datatype=XSD_DECIMAL)


def add_document(ds, doc: Document, region_iri: str | None, used: set[int]) -> None:
    g = ds.graph(doc_graph_iri(doc.id))
    d = doc_iri(doc.id)
    g.add((d, RDF.type, PK.Document))
    g.add((d, DCTERMS.title, zh(doc.title or doc.name)))
    g.add((d, PK.sourceFile, literal(doc.name)))
    g.add((d, PK.encoding, literal(doc.encoding)))
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


def add_sentence(g, doc: Document, s: Sentence) -> None:
    node = sentence_iri(doc.id, s.index)
    start, end = doc.original_span(s.start, s.end)
    g.add((node, RDF.type, PK.Sentence))
    g.add((node, RDF.value, zh(s.text)))
    g.add((node, PK.inDocument, doc_iri(doc.id)))
    g.add((node, PK.sentenceIndex, literal(s.index)))
    g.add((node, PK.section, PK[s.section.capitalize() + "Section"]))
    g.add((node, PK.startOffset, literal(start)))
    g.add((node, PK.endOffset, literal(end)))


def add_entity(ds, e: Entity, slug_pinyin: str = "") -> None:
    g = ds.graph(SHARED if not e.code else GAZETTEER)
    n = iri(e.iri)
    g.add((n, RDF.type, PK[e.cls]))
    g.add((n, RDFS.label, zh(e.label)))
    for alt in sorted(e.alt_labels):
        g.add((n, SKOS.altLabel, zh(alt)))
    if e.code:
        g.add((n, PK.adminCode, literal(e.code[:6])))
    if e.lon is not None and e.lat is not None:
        geom = iri(e.iri + "/geometry")
        g.add((n, GEO.hasGeometry, geom))
        g.add((geom, RDF.type, GEO.Geometry))
        g.add((geom, GEO.asWKT, literal(f"POINT({e.lon} {e.lat})", datatype=WKT)))
    # several mentions in one sentence or document make one triple each, not one per mention
    sentences = sorted({(m.doc_id, m.sentence) for m in e.mentions})
    if sentences:
        g.add((n, PK.mentionCount, literal(len(sentences))))
    for doc_id, sentence in sentences:
        ds.graph(doc_graph_iri(doc_id)).add((n, PK.mentionedIn, sentence_iri(doc_id, sentence)))
    for doc_id in sorted({m.doc_id for m in e.mentions}):
        ds.graph(doc_graph_iri(doc_id)).add((n, PK.mentionedInDocument, doc_iri(doc_id)))


def statement_iri(r: Relation, key: str) -> str:
    h = hashlib.sha1(f"{r.head}|{r.prop}|{r.tail}|{key}".encode()).hexdigest()[:16]
    return f"<{ID}evidence/{h}>"


def add_relation(ds, r: Relation) -> None:
    """The relation in the graph of each document that states it (once in the union) and
    one evidence node per distinct (document, sentence, rule)."""
    triple = (iri(r.head), PK[r.prop], iri(r.tail))
    graphs = sorted({doc_graph_iri(ev.doc_id) if ev.doc_id else GAZETTEER for ev in r.evidence}) or [GAZETTEER]
    for k, name in enumerate(graphs):
        ds.graph(name).add(triple, union=k == 0)
    seen: set[str] = set()
    for ev in r.evidence:
        key = f"{ev.doc_id}|{ev.sentence}|{ev.rule}"
        if key in seen:
            continue
        seen.add(key)
        g = ds.graph(doc_graph_iri(ev.doc_id) if ev.doc_id else GAZETTEER)
        st = statement_iri(r, key)
        g.add((st, RDF.type, PK.Evidence))
        g.add((st, RDF.subject, triple[0]))
        g.add((st, RDF.predicate, triple[1]))
        g.add((st, RDF.object, triple[2]))
        g.add((st, PK.rule, literal(ev.rule)))
        g.add((st, PK.confidence, _decimal(ev.confidence, 3)))
        if ev.doc_id:
            g.add((st, PROV.wasDerivedFrom, sentence_iri(ev.doc_id, ev.sentence)))
            g.add((st, PK.inDocument, doc_iri(ev.doc_id)))


COMENTIONS = iri(ID + "graph/comentions")
DATASET = iri(ID + "dataset/observations")
MEASURE = {"level": PK.Level, "growth": PK.Growth, "share": PK.Share, "rank": PK.Rank}
STATUS = {"actual": PK.Actual, "target": PK.Target}


@lru_cache(maxsize=65536)
def indicator_iri(name: str) -> str:
    from kg.resolve import slug

    return f"<{ID}indicator/{slug(name)}-{hashlib.sha1(name.encode()).hexdigest()[:6]}>"


def add_observations(ds, observations: list[Observation]) -> None:
    """qb:Observation nodes in the graph of their first document; indicators are shared."""
    from kg.measure.extract import observation_key
    from kg.measure.registry import english_label

    shared = ds.graph(SHARED)
    shared.add((DATASET, RDF.type, QB.DataSet))
    shared.add((DATASET, RDFS.label, literal("Figures of the reports", lang="en")))
    seen_indicators: set[str] = set()
    for o in observations:
        ind = indicator_iri(o.indicator)
        if o.indicator not in seen_indicators:
            seen_indicators.add(o.indicator)
            shared.add((ind, RDF.type, PK.Indicator))
            shared.add((ind, RDFS.label, zh(o.indicator)))
            if english_label(o.indicator):
                shared.add((ind, RDFS.label, literal(english_label(o.indicator), lang="en")))
        first = o.evidence[0]
        g = ds.graph(doc_graph_iri(first.doc_id))
        n = f"<{ID}obs/{observation_key(o)}>"
        g.add((n, RDF.type, QB.Observation))
        g.add((n, QB.dataSet, DATASET))
        g.add((n, SDMX_DIM.refArea, iri(o.area)))
        g.add((n, SDMX_DIM.refPeriod, literal(str(o.period), datatype=XSD_GYEAR)))
        g.add((n, SDMX_MEAS.obsValue, _decimal(o.value)))
        g.add((n, SDMX_ATTR.unitMeasure, literal(o.unit)))
        g.add((n, PK.indicator, ind))
        g.add((n, PK.measureType, MEASURE[o.measure]))
        g.add((n, PK.status, STATUS[o.status]))
        if o.qualifier:
            g.add((n, PK.qualifier, zh(o.qualifier)))
        g.add((n, PK.evidenceText, zh(o.text)))
        for doc_id, sentence in sorted({(ev.doc_id, ev.sentence) for ev in o.evidence}):
            g.add((n, PROV.wasDerivedFrom, sentence_iri(doc_id, sentence)))
        for doc_id in sorted({ev.doc_id for ev in o.evidence}):
            g.add((n, PK.inDocument, doc_iri(doc_id)))
        g.add((n, PK.startOffset, literal(first.start)))
        g.add((n, PK.endOffset, literal(first.end)))
        g.add((n, PK.rule, literal(first.rule)))
        g.add((n, PK.confidence, _decimal(first.confidence, 3)))


def add_co_mentions(ds, counts: dict[tuple[str, str], int]) -> None:
    """Weaker than any contract relation: a direct pk:coMentionedWith and a counted node."""
    g = ds.graph(COMENTIONS)
    for (a, b), n in sorted(counts.items()):
        g.add((iri(a), PK.coMentionedWith, iri(b)))
        node = f"<{ID}comention/" + hashlib.sha1(f"{a}|{b}".encode()).hexdigest()[:16] + ">"
        g.add((node, RDF.type, PK.CoMention))
        g.add((node, RDF.subject, iri(a)))
        g.add((node, RDF.object, iri(b)))
        g.add((node, PK.sentenceCount, literal(n)))


def write_entities(
    ds, docs: list[Document], entities: list[Entity], region_iris: dict[str, str]
) -> dict[str, set[int]]:
    """Documents, the sentences that name entities, entities and their mentions: all that
    resolution decides, written while the relations are still being found.

    Returns the sentences written, by document, so `write_statements` adds only the rest.
    """
    used: dict[str, set[int]] = {d.id: set() for d in docs}
    for e in entities:
        for m in e.mentions:
            used[m.doc_id].add(m.sentence)
    for doc in docs:
        add_document(ds, doc, region_iris.get(doc.id), used[doc.id])
    for e in entities:
        add_entity(ds, e)
    return used


def write_statements(
    ds,
    docs: list[Document],
    relations: list[Relation],
    co_mentions: dict[tuple[str, str], int] | None,
    observations: list[Observation] | None,
    written: dict[str, set[int]],
) -> None:
    """Relations with their evidence, co-mentions, observations, and the evidence sentences
    that `write_entities` did not write."""
    by_id = {d.id: d for d in docs}
    extra: dict[str, set[int]] = {d.id: set() for d in docs}
    for r in relations:
        for ev in r.evidence:
            if ev.doc_id and ev.sentence not in written[ev.doc_id]:
                extra[ev.doc_id].add(ev.sentence)
    for o in observations or []:
        for ev in o.evidence:
            if ev.sentence not in written[ev.doc_id]:
                extra[ev.doc_id].add(ev.sentence)
    for doc_id, indices in extra.items():
        doc = by_id[doc_id]
        g = ds.graph(doc_graph_iri(doc_id))
        for i in sorted(indices):
            add_sentence(g, doc, doc.sentences[i])
        written[doc_id] |= indices
    for r in relations:
        add_relation(ds, r)
    add_co_mentions(ds, co_mentions or {})
    add_observations(ds, observations or [])


def build_dataset(
    ds,
    docs: list[Document],
    entities: list[Entity],
    relations: list[Relation],
    region_iris: dict[str, str],
    co_mentions: dict[tuple[str, str], int] | None = None,
    observations: list[Observation] | None = None,
):
    """Write every record into `ds` (a QuadSink: `graph(name).add(triple)` with N-Quads terms)."""
    written = write_entities(ds, docs, entities, region_iris)
    write_statements(ds, docs, relations, co_mentions, observations, written)
    return ds
