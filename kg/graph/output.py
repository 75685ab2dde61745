"""The graph of a build, written as the stages finish, and loaded into the store.

The pipeline hands its records over in four steps: the entities as soon as resolution
has made them; each document's own part (`kg.graph.parts`: the document, its sentences
and mentions) as its worker finishes it; the relations when they are found; the
observations when all figures are in.
Each step's quads are bulk-loaded in the background while the next stage runs.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from kg.graph.sink import append_file
from kg.graph.store import LOADER_THREADS

COMPACT_LIMIT = 500_000  # triples: a larger graph.ttl is written one triple per line


def turtle_prefixes() -> dict[str, str]:
    """The prefixes of graph.ttl (all of the ontology's but the entity namespace, whose
    local names have slashes)."""
    from kg.graph.namespaces import PREFIXES

    return {p: str(ns) for p, ns in PREFIXES.items() if p not in ("id",)}


class GraphOutput:
    """The graph of a build, written as the stages finish.

    The union of the named graphs goes to N-Triples chunks that background threads
    bulk-load into a new store (its default graph) and that become graph.ttl at the end;
    the quads, with their named graphs, go to N-Quads files that become graph.nq (for
    TriG and N-Quads exports). Nothing of the graph is held in memory, and the store
    load overlaps the Python stages.

    The store holds the union, not the named graphs: every query sees the union anyway,
    and each relation and figure names its document and sentence in triples (pk:Evidence,
    prov:wasDerivedFrom, pk:inDocument); indexing each quad by graph too (six indexes
    instead of three) took 40% more of the store's loading, a sixth of a large build.

    Two sinks, each written by one thread in a fixed order: `sink` (entities, then
    statements) by the pipeline, `parts` (the documents' parts, in document order) by
    the thread that collects them from the workers.
    """

    def __init__(self, out_dir: Path) -> None:
        from kg.graph.sink import QuadSink
        from kg.graph.store import StoreLoader

        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.loader = StoreLoader(out_dir)
        self.part_dir = out_dir / "parts.tmp"
        shutil.rmtree(self.part_dir, ignore_errors=True)
        self.part_dir.mkdir()
        self.sink = QuadSink(out_dir / "graph.nq.tmp", out_dir / "graph.nt.tmp", on_chunk=self._load)
        self.parts = QuadSink(out_dir / "parts.nq.tmp", out_dir / "parts.nt.tmp", on_chunk=self._load)
        self.written: dict[str, set[int]] = {}
        self.relations_written = False
        self._collector: threading.Thread | None = None
        self._collected: list = []
        self._failure: BaseException | None = None

    def _load(self, chunk: Path) -> None:
        self.loader.load(chunk, triples=True, keep=True)  # kept for graph.ttl

    def entities(self, report) -> None:
        """After resolution: the entities (`report`: a BuildReport)."""
        from kg.graph.build import write_entities

        write_entities(self.sink, report.entities, report.documents)
        self.sink.flush()  # loads while relations and figures are found

    def documents(self, report) -> None:
        """Every document's part from records whose figures are already found (a report
        of `extract()` without a graph); their evidence sentences come with the statements."""
        from kg.graph.build import write_document
        from kg.graph.parts import region_term
        from kg.measure.extract import document_inputs, with_entities

        inputs = document_inputs(report.documents, report.entities)
        for doc in report.documents:
            region, occurrences = with_entities(report.entities, *inputs[doc.id])
            self.written[doc.id] = write_document(self.parts, doc, region_term(region), occurrences, [])

    def write_part(self, doc, region, occurrences):
        """A document's part, found and written here (no workers); returns it."""
        from kg.graph.parts import make_part

        part = make_part(doc, region, occurrences, self.parts)
        self.written[part.doc_id] = part.sentences
        return part

    def collect(self, jobs) -> None:
        """Append the documents' parts (`jobs.result(i)`, from the workers) in document
        order as they finish, in a thread, so they load into the store while relations
        are found."""

        def run() -> None:
            try:
                for i in range(len(jobs)):
                    part = jobs.result(i)
                    self.parts.append(Path(part.quads_path), Path(part.triples_path), part.quads, part.triples)
                    self.written[part.doc_id] = part.sentences
                    self._collected.append(part)
                self.parts.flush()  # all parts: they load while the statements are written
            except BaseException as exc:  # re-raised in the pipeline's thread by `collected`
                self._failure = exc

        self._collector = threading.Thread(target=run, name="graph-parts", daemon=True)
        self._collector.start()

    def collected(self) -> list:
        """The workers' parts, once all are appended."""
        if self._collector is not None:
            self._collector.join()
        if self._failure is not None:
            raise self._failure
        return self._collected

    def relations(self, report) -> None:
        """After relations are found: them and the co-mentions (while figures finish)."""
        from kg.graph.build import write_relations

        write_relations(self.sink, report.relations, report.co_mentions)
        self.relations_written = True
        self.sink.flush()  # loads while the last figures are found

    def statements(self, report) -> None:
        """The rest, once the figures are in: observations and evidence sentences."""
        from kg.graph.build import write_statements

        if not self.relations_written:
            self.relations(report)
        write_statements(self.sink, report.documents, report.relations, report.observations, self.written)
        self.sink.close(last_pieces=LOADER_THREADS)
        self.parts.close(last_pieces=LOADER_THREADS)

    def finish(self) -> tuple[Path, int]:
        """graph.ttl and graph.nq while the last chunks load; then the store.

        graph.ttl is the union's chunks after prefix lines (one triple per line is Turtle
        too). Up to `COMPACT_LIMIT` triples Oxigraph rewrites it compactly (prefixed
        names, one subject's triples together); above, that took a tenth of a large build
        and gives a file that only tools read, so the lines are kept as they are.
        """
        from itertools import chain

        from kg.graph.store import UPDATED_MARK, turtle_file, write_turtle

        graph_path, quads_path = self.out_dir / "graph.ttl", self.out_dir / "graph.nq"
        new_ttl = self.out_dir / "graph.ttl.writing"
        chunks = self.sink.union_files + self.parts.union_files
        triples = self.sink.union_count + self.parts.union_count
        try:
            if triples <= COMPACT_LIMIT:
                write_turtle(chain.from_iterable(turtle_file(c) for c in chunks), new_ttl, turtle_prefixes())
            else:
                _concatenate(new_ttl, chunks, head=_prefix_lines().encode("utf-8"))
            with self.sink.path.open("r+b") as out:  # the parts' quads after the rest (not "ab": see append_file)
                out.seek(0, 2)
                append_file(self.parts.path, out)
            self.loader.finish()
        except BaseException:
            self.abandon()
            raise
        # the store is in place: now the files, so that a failure before leaves all three as they were
        new_ttl.replace(graph_path)
        self.sink.path.replace(quads_path)
        (self.out_dir / UPDATED_MARK).unlink(missing_ok=True)  # graph.ttl and the store agree again
        self._clean()
        return graph_path, triples

    def abandon(self) -> None:
        """A failed build leaves the previous graph and store as they were."""
        if self._collector is not None:
            self._collector.join()
        self.sink.close(hand_over=False)
        self.parts.close(hand_over=False)
        self.loader.abandon()
        self._clean()

    def _clean(self) -> None:
        # the chunks and what a failed build left; not another command's file being written
        # here (an export's graph.trig.writing)
        for pattern in ("*.n[qt].tmp*", "graph.ttl.writing*"):
            for tmp in self.out_dir.glob(pattern):
                tmp.unlink(missing_ok=True)
        shutil.rmtree(self.part_dir, ignore_errors=True)


def _prefix_lines() -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in turtle_prefixes().items())


def _concatenate(path: Path, parts: list[Path], head: bytes = b"") -> None:
    """`path` written with `head` and the files `parts` one after the other (copied by
    the kernel where it can); the parts stay."""
    with path.open("wb") as out:
        out.write(head)
        for part in parts:
            append_file(part, out)
