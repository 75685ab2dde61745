"""What is done per document once entities are resolved: its figures, and the part of its
named graph that needs nothing from other documents (the document node, the sentences
that name an entity or state a figure, and the mentions).

Both run in the build's worker processes, on the document read back from the build
cache, while the parent finds relations; the worker writes the document's quads and
triples to files that the parent appends to the graph as they arrive. Without workers
the same functions run in the parent, in the same order, so the graph does not depend
on the number of processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kg.records import Document, Entity, Observation


@dataclass
class DocumentPart:
    """A document's figures and its written part: the files (when written by a worker),
    the sentences written, and how many quads and union triples the files hold."""

    doc_id: str
    observations: list[Observation]
    sentences: set[int] = field(default_factory=set)
    quads_path: str = ""
    triples_path: str = ""
    quads: int = 0
    triples: int = 0


def region_term(region: Entity | None) -> str | None:
    from kg.graph.sink import iri

    return iri(region.iri) if region is not None else None


def make_part(doc: Document, region: Entity | None, occurrences, sink=None) -> DocumentPart:
    """Figures of `doc` and, with a `sink`, its part of the graph written into it."""
    from kg.graph.build import write_document
    from kg.measure.extract import measure_document

    observations = measure_document(doc, region, occurrences)
    if sink is None:
        return DocumentPart(doc.id, observations)
    sentences = write_document(sink, doc, region_term(region), occurrences, observations)
    return DocumentPart(doc.id, observations, sentences)


def part_in_worker(entry: str, table: str, region: int | None, indexed, part_dir: str | None) -> DocumentPart:
    """`make_part` in a worker: the document from its cache entry, the entities from the
    build's entity table, the part into two files in `part_dir` (with no `part_dir`,
    figures only)."""
    from kg.cache import read_document
    from kg.graph.sink import QuadSink
    from kg.measure.extract import read_entity_table, with_entities

    doc = read_document(Path(entry))
    region_entity, occurrences = with_entities(read_entity_table(table, Path(table).stat().st_mtime), region, indexed)
    if part_dir is None:
        return make_part(doc, region_entity, occurrences)
    base = Path(part_dir) / doc.id
    sink = QuadSink(base.with_suffix(".nq"), base.with_suffix(".nt"))
    try:
        part = make_part(doc, region_entity, occurrences, sink)
    finally:
        sink.close()
    part.quads_path, part.triples_path = str(sink.path), str(base.with_suffix(".nt"))
    part.quads, part.triples = sink.count, sink.union_count
    return part
