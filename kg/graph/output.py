"""The graph of a build, written as the stages finish, and loaded into the store.

The pipeline hands its records over in two steps: what resolution decides (documents,
entities, mentions) as soon as it is known, the relations and figures when they are;
each step's quads are bulk-loaded in the background while the next stage runs.
"""

from __future__ import annotations

from pathlib import Path

from kg.records import Document, Entity


class GraphOutput:
    """The graph of a build, written as the stages finish.

    Quads go to N-Quads chunks that a background thread bulk-loads into a new store;
    the union goes to an N-Triples file that becomes graph.ttl at the end. Nothing of
    the graph is held in memory, and the store load overlaps the Python stages.
    """

    def __init__(self, out_dir: Path) -> None:
        from kg.graph.sink import QuadSink
        from kg.graph.store import StoreLoader

        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.loader = StoreLoader(out_dir)
        self.union = out_dir / "graph.nt.tmp"
        self.sink = QuadSink(out_dir / "graph.nq.tmp", self.union, on_chunk=self.loader.load)
        self.written: dict[str, set[int]] | None = None

    def entities(self, report) -> None:
        """After resolution: documents, mention sentences, entities (`report`: a BuildReport)."""
        from kg.graph.build import write_entities

        self.written = write_entities(
            self.sink, report.documents, report.entities, region_iris(report.documents, report.entities)
        )
        self.sink.flush()  # loads while relations and figures are found

    def statements(self, report) -> None:
        from kg.graph.build import write_statements

        if self.written is None:
            self.entities(report)
        write_statements(
            self.sink, report.documents, report.relations, report.co_mentions, report.observations, self.written
        )
        self.sink.close()

    def finish(self) -> tuple[Path, int]:
        """graph.ttl from the union stream while the last chunks load; then the store."""
        from kg.graph.namespaces import PREFIXES
        from kg.graph.store import ntriples_file, write_turtle

        graph_path = self.out_dir / "graph.ttl"
        prefixes = {p: str(ns) for p, ns in PREFIXES.items() if p not in ("id",)}
        try:
            triples = write_turtle(ntriples_file(self.union), graph_path, prefixes)
            self.loader.finish()
        except BaseException:
            self.abandon()
            raise
        self.union.unlink(missing_ok=True)
        return graph_path, triples

    def abandon(self) -> None:
        """A failed build leaves the previous graph and store as they were."""
        self.sink.close()
        self.loader.abandon()
        self.union.unlink(missing_ok=True)


def region_iris(docs: list[Document], entities: list[Entity]) -> dict[str, str]:
    """Document id → the N-Quads term of its region's place node (when it is in the graph)."""
    from kg.gazetteer import gazetteer
    from kg.resolve import place_iri

    gaz = gazetteer()
    known = {e.iri for e in entities}
    regions = {}
    for d in docs:
        if d.region:
            iri = place_iri(gaz.by_code[d.region])
            if iri in known:
                regions[d.id] = f"<{iri}>"
    return regions
