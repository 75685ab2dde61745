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
from kg.records import Document, Entity, Observation, Occurrences, Relation, Sentence

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


@lru_cache(maxsize=1 << 16)
def _decimal(x: float | int | str, places: int | None = None) -> str:
    """xsd:decimal in its canonical form (1.0 → "1", 0.850 → "0.85"), as the store keeps
    it: graph.ttl, written from the builder's own triples, then reads the same."""
    d = Decimal(str(round(x, places) if places is not None else x))
    text = format(d.normalize(), "f")
    return literal("0" if text == "-0" else text, datatype=XSD_DECIMAL)


def add_document(ds, doc: Document, region_iri: str | None, used: set[int]) -> None:
    g = ds.graph(doc_graph_iri(doc.id))
    pairs = [
        (RDF.type, PK.Document),
        (DCTERMS.title, zh(doc.title or doc.name)),
        (PK.sourceFile, literal(doc.name)),
        (PK.encoding, literal(doc.encoding)),
        (PK.sentenceTotal, literal(len(doc.sentences))),
    ]
    if region_iri is not None:
        pairs.append((PK.region, region_iri))
    for p, y in (
        (PK.yearDelivered, doc.year_delivered),
        (PK.reviewYear, doc.review_year),
        (PK.planYear, doc.plan_year),
    ):
        if y:
            pairs.append((p, _year(y)))
    g.node(doc_iri(doc.id), pairs)
    for s in doc.sentences:
        if s.index in used:
            add_sentence(g, doc, s)


def add_sentence(g, doc: Document, s: Sentence) -> None:
    start, end = doc.original_span(s.start, s.end)
    g.node(
        sentence_iri(doc.id, s.index),
        [
            (RDF.type, PK.Sentence),
            (RDF.value, zh(s.text)),
            (PK.inDocument, doc_iri(doc.id)),
            (PK.sentenceIndex, literal(s.index)),
            (PK.section, PK[s.section.capitalize() + "Section"]),
            (PK.startOffset, literal(start)),
            (PK.endOffset, literal(end)),
        ],
    )


def add_entity(ds, e: Entity, years: dict[str, int | None]) -> None:
    """`years`: each document's year of delivery, for pk:mentionedInYear."""
    g = ds.graph(SHARED if not e.code else GAZETTEER)
    n = iri(e.iri)
    pairs = [(RDF.type, PK[e.cls]), (RDFS.label, zh(e.label))]
    pairs += [(SKOS.altLabel, zh(alt)) for alt in sorted(e.alt_labels)]
    if e.code:
        pairs.append((PK.adminCode, literal(e.code[:6])))
    geom = None
    if e.lon is not None and e.lat is not None:
        geom = iri(e.iri + "/geometry")
        pairs.append((GEO.hasGeometry, geom))
    # the mentions are in the documents' graphs (`write_document`): one per sentence
    sentences = len({(m.doc_id, m.sentence) for m in e.mentions})
    if sentences:
        pairs.append((PK.mentionCount, literal(sentences)))
    # the years whose reports name it: "named in 2022 and in 2024" is two look-ups on the
    # entity, not a walk through every entity of every report of those years; one triple
    # a year however many reports of the year name it
    found = {y for m in e.mentions if (y := years.get(m.doc_id))}
    pairs += [(PK.mentionedInYear, _year(y)) for y in sorted(found)]
    g.node(n, pairs)
    if geom is not None:
        g.node(geom, [(RDF.type, GEO.Geometry), (GEO.asWKT, literal(f"POINT({e.lon} {e.lat})", datatype=WKT))])


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
        pairs = [
            (RDF.type, PK.Evidence),
            (RDF.subject, triple[0]),
            (RDF.predicate, triple[1]),
            (RDF.object, triple[2]),
            (PK.rule, literal(ev.rule)),
            (PK.confidence, _decimal(ev.confidence, 3)),
        ]
        if ev.doc_id:
            pairs += [(PROV.wasDerivedFrom, sentence_iri(ev.doc_id, ev.sentence)), (PK.inDocument, doc_iri(ev.doc_id))]
        g.node(statement_iri(r, key), pairs)


COMENTIONS = iri(ID + "graph/comentions")
ENTAILED = iri(ID + "graph/entailed")
DATASET = iri(ID + "dataset/observations")
MEASURE = {"level": PK.Level, "growth": PK.Growth, "share": PK.Share, "rank": PK.Rank}
STATUS = {"actual": PK.Actual, "target": PK.Target}


@lru_cache(maxsize=65536)
def indicator_iri(name: str) -> str:
    from kg.resolve import slug

    return f"<{ID}indicator/{slug(name)}-{hashlib.sha1(name.encode()).hexdigest()[:6]}>"


def add_observations(ds, observations: list[Observation]) -> None:
    """qb:Observation nodes in the graph of their first document; indicators are shared."""
    from kg.measure.registry import english_label

    shared = ds.graph(SHARED)
    shared.add((DATASET, RDF.type, QB.DataSet))
    shared.add((DATASET, QB.structure, PK.FiguresStructure))
    shared.add((DATASET, RDFS.label, literal("Figures of the reports", lang="en")))
    seen_indicators: set[str] = set()
    for o in observations:
        ind = indicator_iri(o.indicator)
        if o.indicator not in seen_indicators:
            seen_indicators.add(o.indicator)
            labels = [(RDF.type, PK.Indicator), (RDFS.label, zh(o.indicator))]
            if english_label(o.indicator):
                labels.append((RDFS.label, literal(english_label(o.indicator), lang="en")))
            shared.node(ind, labels)
        first = o.evidence[0]
        pairs = [
            (RDF.type, QB.Observation),
            (QB.dataSet, DATASET),
            (SDMX_DIM.refArea, iri(o.area)),
            (SDMX_DIM.refPeriod, literal(str(o.period), datatype=XSD_GYEAR)),
            (SDMX_MEAS.obsValue, _decimal(o.value)),
            (SDMX_ATTR.unitMeasure, literal(o.unit)),
            (PK.indicator, ind),
            (PK.measureType, MEASURE[o.measure]),
            (PK.status, STATUS[o.status]),
        ]
        if o.qualifier:
            pairs.append((PK.qualifier, zh(o.qualifier)))
        pairs.append((PK.evidenceText, zh(o.text)))
        pairs += [
            (PROV.wasDerivedFrom, sentence_iri(d, k)) for d, k in sorted({(e.doc_id, e.sentence) for e in o.evidence})
        ]
        pairs += [(PK.inDocument, doc_iri(d)) for d in sorted({e.doc_id for e in o.evidence})]
        pairs += [
            (PK.startOffset, literal(first.start)),
            (PK.endOffset, literal(first.end)),
            (PK.rule, literal(first.rule)),
            (PK.confidence, _decimal(first.confidence, 3)),
        ]
        ds.graph(doc_graph_iri(first.doc_id)).node(observation_iri(o), pairs)
    add_slices(shared, observations)


def observation_iri(o: Observation) -> str:
    return f"<{ID}obs/{o.key}>"


def slice_iri(area: str, period: int) -> str:
    """Stable as the area's IRI is: `…/id/slice/place/jilinshi-220200/2024`."""
    return iri(f"{ID}slice/{area.removeprefix(ID)}/{period}")


def add_slices(shared, observations: list[Observation]) -> None:
    """A qb:Slice per area and year (pk:AreaYearSlice), linked from the area by
    pk:observationSlice: "the figures about 吉林市 for 2024" reads the area's few slices and
    the one slice's observations, instead of testing the year of every figure ever given
    about the area (one look-up each, and a province gains a hundred figures a report)."""
    members: dict[tuple[str, int], list[str]] = {}
    for o in observations:
        members.setdefault((o.area, o.period), []).append(observation_iri(o))
    by_area: dict[str, list[str]] = {}
    for (area, period), obs in sorted(members.items()):
        node = slice_iri(area, period)
        pairs = [
            (RDF.type, QB.Slice),
            (QB.sliceStructure, PK.AreaYearSlice),
            (SDMX_DIM.refArea, iri(area)),
            (SDMX_DIM.refPeriod, _year(period)),
        ]
        shared.node(node, pairs + [(QB.observation, x) for x in sorted(obs)])
        by_area.setdefault(area, []).append(node)
    if by_area:
        shared.node(DATASET, [(QB.slice, n) for area in sorted(by_area) for n in by_area[area]])
    for area, nodes in sorted(by_area.items()):
        shared.node(iri(area), [(PK.observationSlice, n) for n in nodes])


def add_co_mentions(ds, counts: dict[tuple[str, str], int]) -> None:
    """Weaker than any contract relation: a counted pk:CoMention node per pair, the
    reified (not asserted) pk:coMentionedWith. A direct triple would hang on the entity
    itself, and a province co-mentioned in every report would carry tens of thousands of
    them: Oxigraph's in-memory store walks an entity's whole list of triples for any
    look-up on it, so its label would cost a millisecond to read."""
    g = ds.graph(COMENTIONS)
    for (a, b), n in sorted(counts.items()):
        head, tail = iri(a), iri(b)
        node = f"<{ID}comention/" + hashlib.sha1(f"{a}|{b}".encode()).hexdigest()[:16] + ">"
        pairs = [(RDF.type, PK.CoMention), (RDF.subject, head), (RDF.predicate, PK.coMentionedWith)]
        g.node(node, pairs + [(RDF.object, tail), (PK.sentenceCount, literal(n))])


def containment(relations: list[Relation]) -> dict[str, set[str]]:
    """Every place each entity lies in, through any chain of pk:locatedIn: the transitive
    pk:within the ontology entails, kept so that "in 吉林省 or anywhere inside it" is one
    look-up and not a path search per candidate (the path made such queries slow at 1M
    triples). A cycle of wrong relations is followed once round."""
    parents: dict[str, set[str]] = {}
    for r in relations:
        if r.prop == "locatedIn":
            parents.setdefault(r.head, set()).add(r.tail)
    closure: dict[str, set[str]] = {}
    for start in parents:
        seen: set[str] = set()
        todo = list(parents[start])
        while todo:
            place = todo.pop()
            if place not in seen:
                seen.add(place)
                todo.extend(parents.get(place, ()))
        closure[start] = seen
    return closure


def add_containment(ds, relations: list[Relation]) -> None:
    g = ds.graph(ENTAILED)
    for head, places in sorted(containment(relations).items()):
        if places:
            g.node(iri(head), [(PK.within, iri(p)) for p in sorted(places)])


def write_entities(ds, entities: list[Entity], docs: list[Document]) -> None:
    """The entities' own triples: all that resolution decides beyond the documents,
    written while the relations are still being found."""
    years = {d.id: d.year_delivered for d in docs}
    for e in entities:
        add_entity(ds, e, years)


# an entity named in a document's review, or its plan (工作安排 and the targets, 主要预期目标,
# it opens with): what the report says was done, and what it promises, one look-up away
# (not a join through every sentence)
SECTION_LINKS = {"review": PK.reviewedIn, "plan": PK.plannedIn, "targets": PK.plannedIn}


def write_document(
    ds, doc: Document, region_iri: str | None, occurrences: Occurrences, observations: list[Observation]
) -> set[int]:
    """The part of a document's graph that needs nothing from other documents: the
    document, the sentences that name an entity (`occurrences`: sentence → (start, end,
    entity)) or state one of its figures, and the entities' mentions, one triple per
    sentence and one per document, not one per mention.

    Returns the sentences written, so `write_statements` adds only the rest.
    """
    used = set(occurrences) | {ev.sentence for o in observations for ev in o.evidence if ev.doc_id == doc.id}
    add_document(ds, doc, region_iri, used)
    sentences: dict[str, set[int]] = {}
    for k, found in occurrences.items():
        for _, _, e in found:
            sentences.setdefault(e.iri, set()).add(k)
    g = ds.graph(doc_graph_iri(doc.id))
    # the sentence names the entity (pk:mentions), not the other way round: the links stay
    # on the sentences, and an entity named in every report keeps a short list of triples
    for k in sorted(occurrences):
        g.node(sentence_iri(doc.id, k), [(PK.mentions, iri(e)) for e in sorted({e.iri for _, _, e in occurrences[k]})])
    d = doc_iri(doc.id)
    for e_iri in sorted(sentences):
        pairs = [(PK.mentionedInDocument, d)]
        links = {SECTION_LINKS.get(doc.sentences[k].section) for k in sentences[e_iri]} - {None}
        pairs += [(p, d) for p in sorted(links)]
        g.node(iri(e_iri), pairs)
    return used


def write_relations(ds, relations: list[Relation], co_mentions: dict[tuple[str, str], int] | None) -> None:
    """Relations with their evidence nodes, and co-mentions: written as soon as relations
    are found, while the documents' figures are still being finished."""
    for r in relations:
        add_relation(ds, r)
    add_containment(ds, relations)
    add_co_mentions(ds, co_mentions or {})


def write_statements(
    ds,
    docs: list[Document],
    relations: list[Relation],
    observations: list[Observation] | None,
    written: dict[str, set[int]],
) -> None:
    """Observations, and the evidence sentences (of relations and observations) that
    `write_document` did not write (`written`: by document)."""
    by_id = {d.id: d for d in docs}
    extra: dict[str, set[int]] = {d.id: set() for d in docs}
    for r in relations:
        for ev in r.evidence:
            if ev.doc_id and ev.sentence not in written.setdefault(ev.doc_id, set()):
                extra[ev.doc_id].add(ev.sentence)
    for o in observations or []:
        for ev in o.evidence:
            if ev.sentence not in written.setdefault(ev.doc_id, set()):
                extra[ev.doc_id].add(ev.sentence)
    for doc_id, indices in extra.items():
        doc = by_id[doc_id]
        g = ds.graph(doc_graph_iri(doc_id))
        for i in sorted(indices):
            add_sentence(g, doc, doc.sentences[i])
        written.setdefault(doc_id, set()).update(indices)
    add_observations(ds, observations or [])
