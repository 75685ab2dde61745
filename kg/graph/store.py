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


def union_triples(store) -> list:
    """Each triple of the union of the named graphs once, sorted, so output is reproducible."""
    import pyoxigraph as ox

    seen: dict[str, object] = {}
    for q in store.quads_for_pattern(None, None, None, None):
        t = ox.Triple(q.subject, q.predicate, q.object)
        seen.setdefault(str(t), t)
    return [seen[k] for k in sorted(seen)]


def write_turtle(store, path: Path, prefixes: dict[str, str]) -> int:
    """graph.ttl from the store: Oxigraph's serialiser is far faster than rdflib's."""
    import pyoxigraph as ox

    triples = union_triples(store)
    tmp = path.with_suffix(".ttl.tmp")
    ox.serialize(triples, str(tmp), ox.RdfFormat.TURTLE, prefixes=prefixes)
    tmp.replace(path)
    return len(triples)


def open_store(build_dir: Path, read_only: bool = True):
    import pyoxigraph as ox

    path = build_dir / STORE_DIR
    if not path.is_dir():
        raise StoreError(f"no build in {build_dir}: run 'kg build --dir {build_dir}' first")
    try:
        return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except OSError as exc:
        raise StoreError(f"cannot open the store in {path}: {exc}") from None
