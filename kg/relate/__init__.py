"""The relate stage: entity-to-entity relations with evidence.

For now: `pk:locatedIn` from the administrative hierarchy, from a place named inside a
name (长春龙嘉国际机场 → 长春市) and, as the gold guideline says, from the document's own
region for its enterprises, projects, organisations and zones. Only the most specific
target of an entity is kept.
"""

from __future__ import annotations

from collections import defaultdict

from kg.gazetteer import gazetteer
from kg.nlp.rules import Trie
from kg.records import Document, Entity, Evidence, Relation
from kg.resolve import normalise, place_iri

LOCATABLE = {"Enterprise", "Project", "Organization", "Place"}


def relate(docs: list[Document], entities: list[Entity]) -> list[Relation]:
    gaz = gazetteer()
    by_iri = {e.iri: e for e in entities}
    docs_by_id = {d.id: d for d in docs}
    edges: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    ancestors: dict[str, set[str]] = {}
    for e in entities:
        if e.code:
            d = gaz.by_code[e.code]
            chain = gaz.ancestors(d)
            ancestors[e.iri] = {place_iri(a) for a in chain}
            if chain:
                edges[(e.iri, place_iri(chain[0]))].append(Evidence("", -1, rule="gazetteer:hierarchy"))
    place_trie = Trie({n: "Place" for n in gaz.names() if len(n) >= 2})
    for e in entities:
        if e.cls not in LOCATABLE or e.code:
            continue
        for m in e.mentions:
            doc = docs_by_id[m.doc_id]
            named = _places_in_name(e, doc, place_trie, by_iri)
            region = place_iri(gaz.by_code[doc.region]) if doc.region else None
            for target in named:
                edges[(e.iri, target)].append(_evidence(doc, m, "name-contains-place", 0.8))
            # the document's own region, unless the name places it elsewhere
            if region and region in by_iri and region != e.iri:
                if not named or all(t == region or t in ancestors.get(region, set()) for t in named):
                    edges[(e.iri, region)].append(_evidence(doc, m, "document-region", 0.6))
    return _most_specific(edges, ancestors)


def _places_in_name(e: Entity, doc: Document, trie: Trie, known: dict[str, Entity]) -> set[str]:
    """Divisions named inside the entity's own name (长春龙嘉国际机场 → 长春市)."""
    gaz = gazetteer()
    province = doc.region[:2] + "0000000000" if doc.region else ""
    out: set[str] = set()
    form = normalise(e.label)
    for s, t, _ in trie.scan(form):
        if t - s == len(form):
            continue  # the whole name is a place name: not a containment
        d = gaz.lookup(form[s:t], province)
        if d and place_iri(d) in known:
            out.add(place_iri(d))
    return out


def _evidence(doc: Document, m, rule: str, confidence: float) -> Evidence:
    sent = doc.sentences[m.sentence] if doc.sentences else None
    s, e = doc.original_span(sent.start, sent.end) if sent else (0, 0)
    return Evidence(doc.id, m.sentence, s, e, rule, confidence)


def _most_specific(edges: dict[tuple[str, str], list[Evidence]], ancestors: dict[str, set[str]]) -> list[Relation]:
    targets: dict[str, set[str]] = defaultdict(set)
    for h, t in edges:
        targets[h].add(t)
    out = []
    for (h, t), ev in sorted(edges.items()):
        if any(t in ancestors.get(o, set()) for o in targets[h] if o != t):
            continue
        seen = set()
        unique = []
        for x in ev:
            k = (x.doc_id, x.sentence, x.rule)
            if k not in seen:
                seen.add(k)
                unique.append(x)
        out.append(Relation(h, "locatedIn", t, unique[:20]))
    return out
