"""N-Quads terms as strings, and a quad sink that streams them to a file.

The graph stage used to fill an in-memory rdflib Dataset and serialise it; at ten times
the sample that held a gigabyte, and making rdflib terms alone took a third of the
graph stage. Terms here are their N-Quads text (`<iri>`, `"text"@zh`, …), the sink
offers the calls the builders use (`sink.graph(name).node(s, pairs)` for a subject's
triples, `.add((s, p, o))` for one) and writes each quad as a line, which Oxigraph then
bulk-loads from the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

XSD = "http://www.w3.org/2001/XMLSchema#"


class Vocabulary:
    """`PK.Document` → `<https://w3id.org/policykg/ontology#Document>`, made once per name."""

    def __init__(self, base: str) -> None:
        self.base = str(base)
        self._terms: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        term = self._terms.get(name)
        if term is None:
            term = self._terms[name] = f"<{self.base}{name}>"
        return term

    def __getattr__(self, name: str) -> str:
        """Only for a name not met before: the term is then kept as an attribute, which
        Python finds without calling this again (the builders read millions of them)."""
        if name.startswith("_"):
            raise AttributeError(name)
        term = self[name]
        setattr(self, name, term)
        return term


_NOT_IN_IRI = re.compile(r'[<>" {}|\\^`\n]')


def iri(value: str) -> str:
    if _NOT_IN_IRI.search(value):
        raise ValueError(f"not an IRI that N-Quads can carry: {value!r}")
    return f"<{value}>"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def literal(value: object, lang: str = "", datatype: str = "") -> str:
    """A literal; ints are xsd:integer, strings plain unless a language or datatype is given."""
    if isinstance(value, bool):
        raise TypeError("booleans are not written in this graph")
    if isinstance(value, int) and not datatype:
        return f'"{value}"^^<{XSD}integer>'
    text = f'"{_escape(str(value))}"'
    if lang:
        return f"{text}@{lang}"
    if datatype and datatype != XSD + "string":
        return f"{text}^^<{datatype}>"
    return text


def zh(text: str) -> str:
    return literal(text, lang="zh")


class _GraphView:
    def __init__(self, sink: QuadSink, name: str) -> None:
        self.sink = sink
        self.suffix = f" {name} .\n"

    def add(self, triple: tuple[str, str, str], union: bool = True) -> None:
        """A quad in this graph; `union=False` for a triple already written to another graph."""
        self.sink.write([f"{triple[0]} {triple[1]} {triple[2]}"], self.suffix, union)

    def node(self, subject: str, pairs: list[tuple[str, str]]) -> None:
        """The triples of one subject (predicate, object pairs), written in one go: a call
        and a write per node, not per quad, which was most of the graph stage's time."""
        self.sink.write([f"{subject} {p} {o}" for p, o in pairs], self.suffix)


class QuadSink:
    """Quads to an N-Quads file and, optionally, the union of the graphs to N-Triples.

    `graph(name)` takes the graph's N-Quads term (`<iri>`). The builders write each
    triple once per graph and once in all (with `union=False` for the repeats), so the
    N-Triples is the union without a set of every triple in memory; the build's tests
    check it against the named graphs of the N-Quads.

    With `on_chunk`, the union goes to chunk files: every `chunk_triples` triples the
    current one is closed and handed over (to a loader that puts it into the store while
    the graph is still being built) and a new one begun; `union_files` lists them in
    order, for graph.ttl. Memory stays bounded by a chunk whatever the corpus.
    """

    def __init__(
        self,
        path: Path,
        union_path: Path | None = None,
        on_chunk: Callable[[Path], None] | None = None,
        chunk_triples: int = 250_000,
    ) -> None:
        self.path = path
        self.union_path = union_path
        if on_chunk is not None and union_path is None:
            raise ValueError("chunks are of the union: give union_path with on_chunk")
        self.on_chunk = on_chunk
        self.chunk_triples = chunk_triples
        self.quads = path.open("w", encoding="utf-8", buffering=1 << 20)
        self.union_files: list[Path] = []
        self.chunks = 0
        self.triples = self._open_chunk() if union_path is not None else None
        self.in_chunk = 0
        self.count = 0
        self.union_count = 0
        self._views: dict[str, _GraphView] = {}

    def _chunk_path(self, k: int) -> Path:
        assert self.union_path is not None
        return self.union_path if self.on_chunk is None else self.union_path.with_name(f"{self.union_path.name}.{k}")

    def _open_chunk(self):
        return self._chunk_path(self.chunks).open("w", encoding="utf-8", buffering=1 << 20)

    def graph(self, name: str) -> _GraphView:
        view = self._views.get(name)
        if view is None:
            view = self._views[name] = _GraphView(self, name)
        return view

    def write(self, triples: list[str], suffix: str, union: bool = True) -> None:
        """Triples (`s p o` without the final dot) into the graph whose quad ending is
        `suffix`, and into the union unless `union` is false."""
        if not triples:
            return
        self.quads.write(suffix.join(triples) + suffix)
        self.count += len(triples)
        if union and self.triples is not None:
            self.triples.write(" .\n".join(triples) + " .\n")
            self._wrote(len(triples))

    def append(self, quads: Path, triples: Path, quad_count: int, triple_count: int) -> None:
        """Another sink's files (a document part from a worker), appended as bytes and removed."""
        _copy_bytes(quads, self.quads)
        self.count += quad_count
        if self.triples is not None:
            _copy_bytes(triples, self.triples)
            self._wrote(triple_count)
        quads.unlink(missing_ok=True)
        triples.unlink(missing_ok=True)

    def _wrote(self, triples: int) -> None:
        self.union_count += triples
        self.in_chunk += triples
        if self.on_chunk is not None and self.in_chunk >= self.chunk_triples:
            self.flush()

    def flush(self, pieces: int = 1) -> None:
        """Hand the current union chunk over now (at a stage boundary) and begin a new one;
        in `pieces` files of whole lines, for loaders that take them side by side."""
        if self.on_chunk is None or not self.in_chunk:
            return
        self.triples.close()
        path = self._chunk_path(self.chunks)
        for piece in _split_lines(path, pieces if self.in_chunk >= 1000 * pieces else 1):
            self.union_files.append(piece)
            self.on_chunk(piece)
        self.chunks += 1
        self.triples = self._open_chunk()
        self.in_chunk = 0

    def close(self, last_pieces: int = 1, hand_over: bool = True) -> None:
        """Hand over the last chunk (in `last_pieces`: nothing else is left to overlap its
        loading with, so several loaders share it; not at all unless `hand_over`, when
        the build is abandoned) and close the files."""
        if hand_over:
            self.flush(last_pieces)
        self.quads.close()
        if self.triples is not None:
            self.triples.close()
            if self.on_chunk is not None:
                self._chunk_path(self.chunks).unlink(missing_ok=True)  # begun, left empty or abandoned
            else:
                self.union_files = [self._chunk_path(0)]


def _copy_bytes(src: Path, text_file) -> None:
    """`src` appended to an open text file without decoding it (both are UTF-8)."""
    text_file.flush()
    append_file(src, text_file.buffer)


def append_file(src: Path, out) -> None:
    """The bytes of `src` appended to the open binary file `out`, copied by the kernel
    where it can (copy_file_range: no trip through this process's memory), else read and
    written here."""
    import os
    import shutil

    out.flush()
    with src.open("rb") as f:
        if hasattr(os, "copy_file_range"):
            try:
                left = os.fstat(f.fileno()).st_size
                while left > 0:
                    n = os.copy_file_range(f.fileno(), out.fileno(), left)
                    if n == 0:
                        break
                    left -= n
                if left == 0:
                    out.seek(0, os.SEEK_END)  # the buffered file learns where the kernel left it
                    return
            except OSError:
                pass  # a file system without it: copied below from where it stopped
        shutil.copyfileobj(f, out, 1 << 20)
        out.seek(0, os.SEEK_END)


def _split_lines(path: Path, pieces: int) -> list[Path]:
    """`path` cut into `pieces` files at line ends (the original removed), or `[path]`."""
    if pieces <= 1:
        return [path]
    data = path.read_bytes()
    out, start = [], 0
    for k in range(1, pieces + 1):
        end = len(data) if k == pieces else data.find(b"\n", len(data) * k // pieces) + 1 or len(data)
        if end > start:
            piece = path.with_name(f"{path.name}.{k}")
            piece.write_bytes(data[start:end])
            out.append(piece)
        start = end
    path.unlink()
    return out
