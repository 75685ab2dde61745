"""The on-disk Oxigraph store that every command after `kg build` reads.

rdflib builds the graph; Oxigraph answers SPARQL (orders of magnitude faster than
rdflib's engine on joins). Named graphs are kept; queries see their union.
"""

from __future__ import annotations

import shutil
from pathlib import Path

STORE_DIR = "store"


class StoreError(Exception):
    """A build directory without a usable store; the message says what to run."""


def write_store(nquads: bytes | Path, build_dir: Path) -> Path:
    """A fresh store from N-Quads (bytes, or a file streamed from disk)."""
    import pyoxigraph as ox

    path = build_dir / STORE_DIR
    if path.exists():
        shutil.rmtree(path)
    store = ox.Store(str(path))
    if isinstance(nquads, Path):
        store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    else:
        store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    return path


DISTINCT_TRIPLES = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"
UNION = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {DISTINCT_TRIPLES} }}"


def union(store):
    """The union of the named graphs, each triple once, as Oxigraph streams it.

    The order is the store's (by graph, then by term): reproducible for the same content,
    whatever the number of build processes. Sorting 2 million triples took longer than
    the rest of graph.ttl, so the output is not sorted.
    """
    return store.query(UNION, use_default_graph_as_union=True)


def union_triples(store) -> list:
    """The union as a list (for callers that need it in memory: JSON-LD, benchmarks)."""
    return list(union(store))


def count_union(store) -> int:
    result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {DISTINCT_TRIPLES} }}", use_default_graph_as_union=True)
    return int(next(iter(result))["n"].value)


def write_turtle(triples, path: Path, prefixes: dict[str, str]) -> int:
    """Turtle by Oxigraph's serialiser (far faster than rdflib's), streamed from an
    iterable of triples (a store's union, a parsed N-Triples file) to a file."""
    import pyoxigraph as ox

    count = 0

    def counted():
        nonlocal count
        for t in triples:
            count += 1
            yield t

    tmp = path.with_suffix(".ttl.tmp")
    ox.serialize(counted(), str(tmp), ox.RdfFormat.TURTLE, prefixes=prefixes)
    tmp.replace(path)
    return count


def ntriples_file(path: Path):
    """The triples of an N-Triples file, parsed as they are read."""
    import pyoxigraph as ox

    return ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)


def write_ntriples(store, out) -> int:
    """N-Triples of the union, streamed to a path or a binary file."""
    import pyoxigraph as ox

    union(store).serialize(out, ox.RdfFormat.N_TRIPLES)
    return count_union(store)


def open_store(build_dir: Path, read_only: bool = True):
    import pyoxigraph as ox

    path = build_dir / STORE_DIR
    if not path.is_dir():
        raise StoreError(f"no build in {build_dir}: run 'kg build --dir {build_dir}' first")
    try:
        return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except OSError as exc:
        raise StoreError(f"cannot open the store in {path}: {exc}") from None
