"""What every relation rule reads: entities by sentence, places by name, the rule data.

Rules are small functions of a `Context` that add edges to an `Edges` collector; the
collector enforces the contract's domains and ranges, so a rule cannot write an edge
the ontology forbids.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from kg.gazetteer import gazetteer
from kg.records import Document, Entity, Evidence, Mention, Relation

RULES = Path(__file__).resolve().parent / "rules.json"

DOMAINS = {
    "locatedIn": ({"Enterprise", "Project", "Organization", "Place"}, {"Place"}),
    "undertakenBy": ({"Project"}, {"Enterprise", "Organization"}),
    "partOf": ({"Programme", "Project"}, {"Programme", "Project"}),
    "implements": ({"Project", "Enterprise"}, {"Programme"}),
    "inIndustry": ({"Enterprise", "Project"}, {"Industry"}),
    "subsidiaryOf": ({"Enterprise"}, {"Enterprise"}),
    "produces": ({"Enterprise"}, {"Product"}),
}


@lru_cache(maxsize=1)
def rules() -> dict:
    return json.loads(RULES.read_text(encoding="utf-8"))


class Occ:
    """An entity occurring in a sentence (with its mention's span and the entity's class
    copied in: the rules read them millions of times at a hundred reports).

    A plain class with slots: a frozen dataclass paid three object.__setattr__ calls for
    each of the hundreds of thousands made. Equal when entity and mention are.
    """

    __slots__ = ("entity", "mention", "start", "end", "cls")

    def __init__(self, entity: Entity, mention: Mention) -> None:
        self.entity = entity
        self.mention = mention
        self.start = mention.start
        self.end = mention.end
        self.cls = entity.cls

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Occ):
            return NotImplemented
        return self.entity == other.entity and self.mention == other.mention

    __hash__ = None  # type: ignore[assignment]  (entities are not hashable either)

    def __repr__(self) -> str:
        return f"Occ({self.entity.iri!r}, {self.mention.text!r}, {self.start}, {self.end})"


def _not_nested(occs: list[Occ]) -> list[Occ]:
    """The occurrences that no longer one contains, in their order.

    In (start, longest first) order, only an earlier occurrence can contain a later one,
    and it does when it ends at or after it and is not the same span; so one pass that
    keeps the furthest end of the earlier spans decides each, instead of comparing all
    pairs (a hundred reports made that a million comparisons).
    """
    order = sorted(range(len(occs)), key=lambda k: (occs[k].start, -occs[k].end))
    nested = [False] * len(occs)
    furthest = -1  # the furthest end of the spans before the current one
    group_end = -1  # ... and of the spans equal to it, not counted until it changes
    span = None
    for k in order:
        o = occs[k]
        if (o.start, o.end) != span:
            furthest = max(furthest, group_end)
            span, group_end = (o.start, o.end), o.end
        nested[k] = furthest >= o.end
    return [o for k, o in enumerate(occs) if not nested[k]]


def _occ_order(o: Occ) -> tuple[int, int, str]:
    return (o.start, -o.end, o.entity.iri)


class Context:
    def __init__(self, docs: list[Document], entities: list[Entity]) -> None:
        self.docs = {d.id: d for d in docs}
        self.entities = entities
        self.by_iri = {e.iri: e for e in entities}
        self.gaz = gazetteer()
        self.rules = rules()
        occ: dict[tuple[str, int], list[Occ]] = defaultdict(list)
        for e in entities:
            for m in e.mentions:
                occ[(m.doc_id, m.sentence)].append(Occ(e, m))
        # by start, longest first, then IRI; the sort is stable, so ties stay in the order found
        self.occ = {k: sorted(v, key=_occ_order) for k, v in occ.items()}
        self._top: dict[int, tuple[list[Occ], list[Occ]]] = {}
        self.memo: dict[str, object] = {}  # what several rules derive alike, derived once

    def top_level(self, occs: list[Occ]) -> list[Occ]:
        """Occurrences of a sentence not nested inside another (asked by several rules)."""
        key = id(occs)
        top = self._top.get(key)
        if top is None or top[0] is not occs:
            top = self._top[key] = (occs, _not_nested(occs))
        return top[1]

    def sentence_text(self, doc_id: str, index: int) -> str:
        return self.docs[doc_id].sentences[index].text

    def evidence(self, m: Mention, rule: str, confidence: float) -> Evidence:
        doc = self.docs[m.doc_id]
        sent = doc.sentences[m.sentence] if doc.sentences else None
        s, e = doc.original_span(sent.start, sent.end) if sent else (0, 0)
        return Evidence(doc.id, m.sentence, s, e, rule, confidence)

    def evidence_like(self, ev: Evidence, rule: str, confidence: float) -> Evidence:
        """The same sentence as `ev`, credited to another rule."""
        from dataclasses import replace

        return replace(ev, rule=rule, confidence=confidence)

    def first_mention(self, e: Entity) -> Mention | None:
        return min(e.mentions, key=lambda m: (m.doc_id, m.sentence, m.start)) if e.mentions else None

    def between(self, a: Occ, b: Occ) -> str:
        """The text between two occurrences of one sentence (a before b)."""
        doc = self.docs[a.mention.doc_id]
        return doc.text[a.end : b.start] if a.end <= b.start else ""


class Edges:
    """Collects edges with evidence; refuses what the contract's domains forbid."""

    def __init__(self) -> None:
        self.edges: dict[tuple[str, str, str], list[Evidence]] = defaultdict(list)
        self.heads: set[tuple[str, str]] = set()
        self.keys: dict[tuple[str, str, str], set[tuple[str, int, str]]] = defaultdict(set)  # evidence kept
        self.next: dict[tuple[str, str], set[str]] = defaultdict(set)  # (head, prop) → tails

    def add(self, head: Entity, prop: str, tail: Entity, ev: Evidence | None) -> bool:
        dom, rng = DOMAINS[prop]
        if head.iri == tail.iri or head.cls not in dom or tail.cls not in rng:
            return False
        if prop == "partOf" and (head.cls != tail.cls or self.reaches(tail.iri, "partOf", head.iri)):
            return False  # parts and wholes are of one class, and never a cycle
        self.heads.add((head.iri, prop))
        self.next[(head.iri, prop)].add(tail.iri)
        edge = (head.iri, prop, tail.iri)
        lst = self.edges[edge]
        if ev is not None and (ev.doc_id, ev.sentence, ev.rule) not in self.keys[edge]:
            self.keys[edge].add((ev.doc_id, ev.sentence, ev.rule))
            lst.append(ev)
        return True

    def remove(self, head: str, prop: str, tail: str) -> None:
        del self.edges[(head, prop, tail)]
        self.keys.pop((head, prop, tail), None)
        self.next[(head, prop)].discard(tail)

    def reaches(self, start: str, prop: str, goal: str) -> bool:
        """Whether `goal` is reachable from `start` along `prop` edges."""
        todo, seen = [start], {start}
        while todo:
            cur = todo.pop()
            if cur == goal:
                return True
            for t in self.next.get((cur, prop), ()):
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return False

    def has(self, head: str, prop: str) -> bool:
        return (head, prop) in self.heads

    def relations(self) -> list[Relation]:
        return [Relation(h, p, t, ev[:20]) for (h, p, t), ev in sorted(self.edges.items())]
