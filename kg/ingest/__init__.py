"""Reading, cleaning and structuring documents: files in, `Document` records out."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kg.ingest.read import SUPPORTED, IngestError, discover, read_file
from kg.records import Document


def load_document(path: Path) -> Document:
    """Read, clean and structure one file; raises IngestError with a one-line message.

    Cleaning and structure (numpy, their tables) are imported here, not with the
    package: an unchanged build only lists the files (`discover`), in a tenth of a second
    less without them."""
    from kg.ingest.clean import clean_text
    from kg.ingest.structure import annotate

    raw, encoding = read_file(path)
    text, offsets = clean_text(raw)
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        raise IngestError(f"{path}: empty document after cleaning")
    doc_id = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    doc = Document(id=doc_id, path=str(path), raw=raw, text=text, offsets=offsets, encoding=encoding)
    return annotate(doc)


__all__ = ["IngestError", "SUPPORTED", "discover", "load_document"]
