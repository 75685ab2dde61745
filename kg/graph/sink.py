"""A quad sink that streams N-Quads to a file as the graph is built.

The graph stage used to fill an in-memory rdflib Dataset and serialise it; at ten times
the sample that held a gigabyte. The sink offers the one call the builders use
(`sink.graph(name).add((s, p, o))`) and writes each quad as a line, which Oxigraph then
bulk-loads from the file.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal, URIRef

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def nt_term(t) -> str:
    if isinstance(t, URIRef):
        return f"<{t}>"
    if isinstance(t, Literal):
        v = str(t).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if t.language:
            return f'"{v}"@{t.language}'
        if t.datatype and str(t.datatype) != XSD_STRING:
            return f'"{v}"^^<{t.datatype}>'
        return f'"{v}"'
    raise TypeError(f"cannot write {t!r} as N-Quads (blank nodes are not used in this graph)")


class _GraphView:
    def __init__(self, sink: QuadSink, name: URIRef) -> None:
        self.sink = sink
        self.suffix = f" {nt_term(name)} .\n"

    def add(self, triple: tuple) -> None:
        s, p, o = triple
        self.sink.fh.write(f"{nt_term(s)} {nt_term(p)} {nt_term(o)}{self.suffix}")
        self.sink.count += 1


class QuadSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = path.open("w", encoding="utf-8")
        self.count = 0
        self._views: dict[str, _GraphView] = {}

    def graph(self, name: URIRef) -> _GraphView:
        view = self._views.get(str(name))
        if view is None:
            view = self._views[str(name)] = _GraphView(self, name)
        return view

    def close(self) -> None:
        self.fh.close()
