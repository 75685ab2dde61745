"""The recognise stage: a spaCy pipeline (blank zh + jieba-rs words + policykg components)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kg.records import Document, Mention

CONFIG = Path(__file__).resolve().parent / "config.cfg"


@lru_cache(maxsize=4)
def load(config: Path = CONFIG, model: str | None = None):
    """Build the Language from `config.cfg`, once per process.

    `model` replaces the CRF model file named in the config (an absolute path or a
    name under `kg/data/models/`), for training experiments.
    """
    import spacy

    import kg.nlp.components  # noqa: F401  (registers the factories)
    import kg.nlp.tokenizer  # noqa: F401  (registers the tokenizer)

    cfg = spacy.util.load_config(config)
    if model is not None:
        cfg["components"]["policykg_crf"]["model"] = str(model)
    return spacy.util.load_model_from_config(cfg, auto_fill=True)


def recognise(doc: Document, nlp=None) -> list[Mention]:
    """Mentions of entities in a document, one per recognised span, in text order."""
    from kg.nlp.components import PROVINCE, TEXT, entity_spans, nested_spans

    nlp = nlp or load()
    mentions: list[Mention] = []
    starts = [s.start for s in doc.sentences]
    indices = [s.index for s in doc.sentences]
    province = doc.region[:2] + "0000000000" if doc.region else ""
    # every paragraph through each component in turn, so that a component with `pipe`
    # (the CRF) sees the whole document's paragraphs at once
    paragraphs, pos = [], 0  # (offset in the document, text)
    for par in doc.text.split("\n"):
        if par.strip():
            paragraphs.append((pos, par))
        pos += len(par) + 1
    sdocs = []
    for _, par in paragraphs:
        d = nlp.make_doc(par)
        d.user_data[PROVINCE] = province
        d.user_data[TEXT] = par  # the Doc's text, known: spaCy would join it from the tokens
        sdocs.append(d)
    for _, proc in nlp.pipeline:
        sdocs = list(proc.pipe(sdocs)) if hasattr(proc, "pipe") else [proc(d) for d in sdocs]
    for (pos, par), sdoc in zip(paragraphs, sdocs):
        for s, e, label, source in entity_spans(sdoc) + nested_spans(sdoc):
            sentence = _sentence_of(starts, indices, pos + s)
            mentions.append(Mention(doc.id, sentence, pos + s, pos + e, label, par[s:e], source))
    mentions += leading_known_enterprises(doc, mentions)
    return sorted(mentions, key=lambda m: (m.start, -m.end, m.label))


def leading_known_enterprises(doc: Document, mentions: list[Mention]) -> list[Mention]:
    """A project name that begins with an enterprise named elsewhere in the document.

    Places nested inside that enterprise name (吉林 in 吉林化纤) are dropped from `mentions`.
    """
    forms = sorted({m.text for m in mentions if m.label == "Enterprise" and len(m.text) >= 2}, key=len, reverse=True)
    have = {(m.start, m.end) for m in mentions}
    out = []
    for m in mentions:
        if m.label != "Project":
            continue
        for f in forms:
            if m.text.startswith(f) and len(f) < len(m.text):
                inside = [
                    x for x in mentions if x.label == "Place" and m.start <= x.start and x.end <= m.start + len(f)
                ]
                for x in inside:
                    if x.source.startswith("nested:"):
                        mentions.remove(x)
                if (m.start, m.start + len(f)) not in have:
                    out.append(
                        Mention(
                            doc.id, m.sentence, m.start, m.start + len(f), "Enterprise", f, "nested:known-enterprise"
                        )
                    )
                break
    return out


def _sentence_of(starts: list[int], indices: list[int], offset: int) -> int:
    import bisect

    k = bisect.bisect_right(starts, offset) - 1
    return indices[max(k, 0)] if indices else 0
