"""The build cache: a document whose content is unchanged is not analysed again.

Entries are keyed by the file's bytes and a fingerprint of the pipeline (code, patterns,
gazetteers, model), so a change to either invalidates exactly what it should. The global
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


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A hash of everything that decides what the pipeline extracts."""
    h = hashlib.sha256()
    for p in sorted(PACKAGE.rglob("*")):
        if (
            p.is_file()
            and p.suffix in (".py", ".json", ".tsv", ".txt", ".cfg", ".crfsuite")
            and "corpus" not in p.parts
        ):
            h.update(str(p.relative_to(PACKAGE)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def content_key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:24]


class DocumentCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder / fingerprint()
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"

    def get(self, key: str):
        p = self._path(key)
        if not p.exists():
            return None
        try:
            return pickle.loads(p.read_bytes())
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def put(self, key: str, value) -> None:
        tmp = self._path(key).with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(self._path(key))
