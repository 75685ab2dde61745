"""Imported by the build's fork server only: importing it loads the pipeline, runs it once
and sets what is alive aside from the collector (gc.freeze), in the importing process.

A worker spent about two seconds before its first document: importing spaCy, building
the pipeline from config.cfg (the CRF's tables, the gazetteer) and loading numba's
compiled kernels. The build's workers are forked from a fork server that imports this
module first (`multiprocessing`'s forkserver preload, `kg.pipeline._fork_server_context`),
so that work is done once and each worker starts with it in memory, shared with the
server until written to. The server is a clean process, not the parent, which may hold
threads and open stores.
"""

from __future__ import annotations

import sys

WARM_UP_CHARACTERS = 1_500  # enough text to reach every component and kernel once


def warm_up() -> None:
    """The default pipeline loaded and run once on the head of a bundled report (the
    first call of each component loads its lazy tables and numba's compiled code); then
    what is alive is set aside from the collector, which the workers' passes need not
    traverse again. A failure is reported in one line and leaves the workers to load what
    they need themselves, at their first document."""
    import gc

    try:
        from kg.ingest.clean import clean_text
        from kg.ingest.structure import annotate
        from kg.measure.extract import measure_document  # noqa: F401  (the figure jobs' imports)
        from kg.nlp import load, recognise
        from kg.pipeline import CORPUS
        from kg.records import Document

        nlp = load()
        sample = min(CORPUS.glob("*.txt"), default=None)
        if sample is not None:
            raw = sample.read_text(encoding="utf-8")[:WARM_UP_CHARACTERS]
            text, offsets = clean_text(raw)
            recognise(annotate(Document(id="warm-up", path=str(sample), raw=raw, text=text, offsets=offsets)), nlp)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        print(f"warning: build workers start without a preloaded pipeline: {reason}", file=sys.stderr)
        return
    gc.collect()
    gc.freeze()


warm_up()
