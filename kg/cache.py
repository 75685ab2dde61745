"""The build cache: a document whose content is unchanged is not analysed again.

Entries are keyed by the file's bytes and a fingerprint of the recognition stages (code,
patterns, gazetteers, model), so a change to either invalidates exactly what it should. The global
stages (resolution, relations, figures, graph) always run on the cached records, so a
changed or removed document replaces or removes exactly its own facts, and IRIs, minted
from resolution keys, stay the same.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ONTOLOGY = PACKAGE.parent / "ontology"


# What decides a cached entry, (Document, mentions): reading, cleaning, structure and the
# recognisers with their data. Relations, figures and the graph are recomputed at every
# build, so editing their rules does not throw the cache away.
RECOGNITION = ("ingest", "nlp", "data", "analyse.py", "gazetteer.py", "records.py", "cache.py")


@lru_cache(maxsize=2)
def fingerprint(whole: bool = False) -> str:
    """A hash of the code and data that decide what is cached (`whole`: of everything the
    build writes, for the up-to-date check)."""
    h = hashlib.sha256()
    if whole and ONTOLOGY.is_dir():  # ontology.html is written from it
        for p in sorted(ONTOLOGY.glob("*.ttl")):
            h.update(p.read_bytes())
    for p in sorted(PACKAGE.rglob("*")):
        rel = p.relative_to(PACKAGE)
        if (
            p.is_file()
            and p.suffix in (".py", ".json", ".tsv", ".txt", ".cfg", ".crfsuite", ".rq", ".ttl", ".html", ".js", ".css")
            and "corpus" not in p.parts
            and (whole or rel.parts[0] in RECOGNITION)
        ):
            h.update(str(rel).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def content_key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:24]


class DocumentCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder / fingerprint()
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"

    def get(self, key: str):
        p = self.path(key)
        if not p.exists():
            return None
        try:
            return read_entry(p.read_bytes())
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            return None

    def has(self, key: str) -> bool:
        return self.path(key).exists()

    def put_bytes(self, key: str, data: bytes) -> None:
        """An entry already pickled (by the worker that made it)."""
        tmp = self.path(key).with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(self.path(key))


def entry_bytes(doc, mentions: list) -> bytes:
    """A cache entry: the document's pickle, then the mentions' pickle, one after the
    other, so that a reader of the document alone (a figure job) stops after it."""
    protocol = pickle.HIGHEST_PROTOCOL
    return pickle.dumps(doc, protocol=protocol) + pickle.dumps(mentions, protocol=protocol)


def read_entry(data: bytes) -> tuple:
    """(Document, mentions) of an entry's bytes."""
    import io

    stream = io.BytesIO(data)
    return pickle.load(stream), pickle.load(stream)


def read_document(path: Path):
    """The Document of the entry at `path`, without reading its mentions."""
    with path.open("rb") as f:
        return pickle.load(f)
