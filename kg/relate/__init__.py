"""The relate stage: the seven contract relations, each edge with its evidence.

`relate()` runs the rules in `locate`, `names` and `sentences` over a shared
`Context`; `co_mentions()` counts entities named in one sentence, a weaker signal kept
apart from the contract relations.
"""

from __future__ import annotations

from collections import Counter

from kg.records import Document, Entity, Relation
from kg.relate import names, sentences
from kg.relate.context import Context, Edges
from kg.relate.locate import locate

RULES = (
    names.undertaken_by_name,
    sentences.undertaken_by_clause,
    names.subsidiary_by_name,
    names.produces_by_name,
    sentences.produces_clause,
    names.part_of_by_name,
    sentences.part_of_enumeration,
    names.part_of_by_component,
    sentences.part_of_clause,
    sentences.part_of_by_joining,
    sentences.implements_after_programme,
    sentences.implements_by_joining,
    names.industry_by_name,
    sentences.industry_topics,
    sentences.industry_clause,
    sentences.industry_of_undertaker,
)


def relate(docs: list[Document], entities: list[Entity], ctx: Context | None = None) -> list[Relation]:
    ctx = ctx or Context(docs, entities)
    edges = Edges()
    locate(ctx, edges)
    for rule in RULES:
        rule(ctx, edges)
    return edges.relations()


def co_mentions(docs: list[Document], entities: list[Entity], ctx: Context | None = None) -> Counter:
    """(iri, iri) → number of sentences naming both, the smaller IRI first."""
    ctx = ctx or Context(docs, entities)
    counts: Counter = Counter()
    for occs in ctx.occ.values():
        iris = sorted({o.entity.iri for o in occs})
        for i, a in enumerate(iris):
            for b in iris[i + 1 :]:
                counts[(a, b)] += 1
    return counts
