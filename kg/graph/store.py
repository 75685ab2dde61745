"""The on-disk Oxigraph store that every command after `kg build` reads.

rdflib builds the graph; Oxigraph answers SPARQL (orders of magnitude faster than
rdflib's engine on joins). A build's store holds the union of the named graphs, in the
default graph (`kg.graph.output`): the named graphs themselves are in graph.nq, for
TriG and N-Quads exports. A store loaded from N-Quads (`write_store`) keeps them;
queries see their union.
"""

from __future__ import annotations

import shutil
from pathlib import Path

STORE_DIR = "store"
# Marks a build whose store took SPARQL updates (kg serve --allow-update) after graph.ttl
# was written: it is then served from the store only; the next build removes it.
UPDATED_MARK = "store.updated"
LOADER_THREADS = 2


class StoreError(Exception):
    """A build directory without a usable store; the message says what to run."""


def write_store(nquads: bytes | Path, build_dir: Path) -> Path:
    """A fresh store from N-Quads (bytes, or a file, which is consumed), by the loader the
    build uses."""
    loader = StoreLoader(build_dir)
    if isinstance(nquads, Path):
        loader.load(nquads)
    else:
        chunk = build_dir / "store.nq.tmp"
        chunk.write_bytes(nquads)
        loader.load(chunk)
    return loader.finish()


DISTINCT_TRIPLES = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"
UNION = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {DISTINCT_TRIPLES} }}"


class StoreLoader:
    """Loads N-Triples or N-Quads chunks into a new store in background threads, then puts
    it in place.

    Oxigraph's bulk loader runs in Rust and releases the GIL, so chunks load on other
    cores while Python builds the rest of the graph; one bulk load per chunk keeps its
    memory to a chunk's worth (one load of 2.9M quads peaked at 1.7 GB, chunks of 250k
    at 0.3 GB). The old store stays until the new one is complete.
    """

    def __init__(self, build_dir: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import pyoxigraph as ox

        self.build_dir = build_dir
        self.path = build_dir / (STORE_DIR + ".new")
        if self.path.exists():
            shutil.rmtree(self.path)
        self.store = ox.Store(str(self.path))
        # two chunks at a time: Oxigraph's bulk loads into one store can run side by side,
        # and two took less than half the time of one after the other (and less CPU)
        self.pool = ThreadPoolExecutor(LOADER_THREADS, thread_name_prefix="store-loader")
        self.pending: list = []

    def _load(self, chunk: Path, triples: bool, keep: bool) -> None:
        import pyoxigraph as ox

        fmt = ox.RdfFormat.N_TRIPLES if triples else ox.RdfFormat.N_QUADS
        try:
            self.store.bulk_load(path=str(chunk), format=fmt, lenient=True)
        finally:
            if not keep:
                chunk.unlink(missing_ok=True)

    def load(self, chunk: Path, triples: bool = False, keep: bool = False) -> None:
        """Load an N-Quads file (N-Triples with `triples`: into the default graph) in the
        background; removed once loaded unless `keep`."""
        self.pending.append(self.pool.submit(self._load, chunk, triples, keep))

    def finish(self) -> Path:
        """Wait for every chunk (re-raising a loader error), then replace the old store."""
        try:
            for f in self.pending:
                f.result()
        finally:
            self.pool.shutdown()
        self.store.flush()
        del self.store
        final = self.build_dir / STORE_DIR
        if final.exists():
            shutil.rmtree(final)
        self.path.rename(final)
        return final

    def abandon(self) -> None:
        self.pool.shutdown(cancel_futures=True)
        self.store = None
        shutil.rmtree(self.path, ignore_errors=True)


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


def write_turtle(triples, path: Path, prefixes: dict[str, str]) -> None:
    """Turtle by Oxigraph's serialiser (far faster than rdflib's), streamed from an
    iterable of triples (a store's union, a parsed N-Triples file) to a file."""
    import pyoxigraph as ox

    tmp = path.with_name(path.name + ".tmp")
    ox.serialize(triples, str(tmp), ox.RdfFormat.TURTLE, prefixes=prefixes)
    tmp.replace(path)


def turtle_file(path: Path):
    """The triples of a Turtle file (N-Triples is Turtle too), parsed as they are read."""
    import pyoxigraph as ox

    return ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)


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
