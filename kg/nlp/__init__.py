"""The recognise stage: a spaCy pipeline (blank zh + jieba + policykg components)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kg.records import Document, Mention

CONFIG = Path(__file__).resolve().parent / "config.cfg"


@lru_cache(maxsize=1)
def load(config: Path = CONFIG):
    """Build the Language from `config.cfg`, once per process."""
    import logging

    import jieba
    import spacy

    import kg.nlp.components  # noqa: F401  (registers the factories)

    jieba.setLogLevel(logging.WARNING)
    cfg = spacy.util.load_config(config)
    return spacy.util.load_model_from_config(cfg, auto_fill=True)


def recognise(doc: Document, nlp=None) -> list[Mention]:
    """Mentions of entities in a document, one per recognised span, in text order."""
    from kg.nlp.components import PROVINCE, SOURCES

    nlp = nlp or load()
    mentions: list[Mention] = []
    bounds = [(s.start, s.end, s.index) for s in doc.sentences]
    province = doc.region[:2] + "0000000000" if doc.region else ""
    pos = 0
    for par in doc.text.split("\n"):
        if par.strip():
            sdoc = nlp.make_doc(par)
            sdoc.user_data[PROVINCE] = province
            for _, proc in nlp.pipeline:
                sdoc = proc(sdoc)
            sources = sdoc.user_data.get(SOURCES, {})
            for ent in sdoc.ents:
                s, e = pos + ent.start_char, pos + ent.end_char
                sent = _sentence_of(bounds, s)
                mentions.append(
                    Mention(doc.id, sent, s, e, ent.label_, ent.text, sources.get((ent.start_char, ent.end_char), ""))
                )
        pos += len(par) + 1
    return mentions


def _sentence_of(bounds: list[tuple[int, int, int]], offset: int) -> int:
    import bisect

    k = bisect.bisect_right([b[0] for b in bounds], offset) - 1
    return bounds[max(k, 0)][2] if bounds else 0
