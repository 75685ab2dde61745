"""Read and recognise one document: the part of a build that runs per document, in a
worker process, and whose result the build cache keeps (its code is what the cache's
fingerprint covers, with kg/ingest and kg/nlp)."""

from __future__ import annotations

from pathlib import Path


def analyse_file(path: Path, model: str | None = None):
    """One document, read and recognised: (Document, mentions), or the error message.

    A pure function of the file, so it can run in any process and its result be cached.
    """
    from kg.ingest import IngestError, load_document
    from kg.nlp import load, recognise

    try:
        doc = load_document(path)
    except IngestError as exc:
        return str(exc)
    return doc, recognise(doc, load(model=model) if model else load())


def analyse_to_bytes(path: Path, model: str | None = None) -> bytes | str:
    """`analyse_file` in a worker, pickled there once as a cache entry
    (`kg.cache.entry_bytes`): the parent stores these bytes in the cache as they are and
    unpickles them once."""
    from kg.cache import entry_bytes

    result = analyse_file(path, model)
    return result if isinstance(result, str) else entry_bytes(*result)
