"""build(paths) runs the stages in order: read → clean → structure → recognise →
resolve → relate → graph → store. Each stage is a function of plain records."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from kg.records import ENTITY_CLASSES, Document, Entity, Observation, Relation

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


@dataclass
class BuildReport:
    documents: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    co_mentions: dict[tuple[str, str], int] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0
    graph_path: Path | None = None

    def summary(self) -> list[tuple[str, str]]:
        rows = [
            ("documents", str(len(self.documents))),
            ("sentences", str(sum(len(d.sentences) for d in self.documents))),
        ]
        per_class = Counter(e.cls for e in self.entities)
        rows += [(f"entities: {c}", str(per_class.get(c, 0))) for c in ENTITY_CLASSES]
        per_prop = Counter(r.prop for r in self.relations)
        rows += [(f"relations: {p}", str(n)) for p, n in sorted(per_prop.items())]
        rows.append(("co-mention pairs", str(len(self.co_mentions))))
        rows += [
            ("observations", str(len(self.observations))),
            ("triples", str(self.triples)),
            ("seconds", f"{self.seconds:.1f}"),
        ]
        if self.errors:
            rows.append(("skipped files", str(len(self.errors))))
        return rows


def default_paths() -> list[Path]:
    return [CORPUS]


def extract(
    paths: list[Path], on_document: Callable[[str, str | None, int], None] | None = None, nlp=None
) -> BuildReport:
    """Read and analyse every document; errors name the file and the batch goes on."""
    from kg.ingest import IngestError, discover, load_document
    from kg.measure.extract import measure
    from kg.nlp import load, recognise
    from kg.relate import co_mentions, relate
    from kg.resolve import Resolver

    t0 = time.perf_counter()
    report = BuildReport()
    files, report.errors = discover(paths)
    nlp = nlp or load()
    resolver = Resolver()
    for f in files:
        try:
            doc = load_document(f)
        except IngestError as exc:
            report.errors.append(str(exc))
            if on_document:
                on_document(str(f), str(exc), len(files))
            continue
        if any(d.id == doc.id for d in report.documents):
            report.errors.append(f"{f}: same content as an earlier file, skipped")
            if on_document:
                on_document(str(f), "duplicate", len(files))
            continue
        mentions = recognise(doc, nlp)
        resolver.add(doc, mentions)
        report.documents.append(doc)
        if on_document:
            on_document(str(f), None, len(files))
    report.entities = resolver.entities()
    report.relations = relate(report.documents, report.entities)
    report.co_mentions = dict(co_mentions(report.documents, report.entities))
    report.observations = measure(report.documents, report.entities)
    report.seconds = time.perf_counter() - t0
    return report


def write_build(report: BuildReport, out_dir: Path) -> BuildReport:
    """Graph the records and write graph.ttl and the Oxigraph store into out_dir."""
    from kg.gazetteer import gazetteer
    from kg.graph.build import build_dataset
    from kg.graph.namespaces import PREFIXES
    from kg.graph.store import open_store, write_store, write_turtle
    from kg.resolve import place_iri

    t0 = time.perf_counter()
    gaz = gazetteer()
    known = {e.iri for e in report.entities}
    regions = {}
    for d in report.documents:
        if d.region:
            iri = place_iri(gaz.by_code[d.region])
            if iri in known:
                regions[d.id] = URIRef(iri)
    ds = build_dataset(
        report.documents, report.entities, report.relations, regions, report.co_mentions, report.observations
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_store(ds.serialize(format="nquads", encoding="utf-8"), out_dir)
    graph_path = out_dir / "graph.ttl"
    prefixes = {p: str(ns) for p, ns in PREFIXES.items() if p not in ("id",)}
    report.triples = write_turtle(open_store(out_dir), graph_path, prefixes)
    from kg.docs import write_ontology_page

    write_ontology_page(out_dir / "ontology.html")
    report.graph_path = graph_path
    report.seconds += time.perf_counter() - t0
    return report


def build(paths: list[Path] | None, out_dir: Path, on_document=None, nlp=None) -> BuildReport:
    report = extract(paths or default_paths(), on_document, nlp)
    if not report.documents:
        return report
    return write_build(report, out_dir)
