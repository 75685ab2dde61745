"""Train the CRF tagger from hand annotations, and measure it leave-one-document-out.

The annotations (`eval/gold_seeds.json`) name entities per corpus, not per position, so
each name and alias is projected onto the clean text of every document (longest first,
quotation marks ignored as the scorer ignores them). Only the trained weights ship; the
names themselves never enter the package.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from kg.nlp.crf import train_crf
from kg.nlp.rules import Candidate

QUOTES = "“”‘’\"'「」『』《》"


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    return re.sub("[%s\\s]" % re.escape(QUOTES), "", s)


def load_gold_names(gold_path: Path) -> dict[str, str]:
    """Normalised name or alias → class (the first class the annotators gave)."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for e in gold["entities"]:
        for n in [e["name"], *e.get("aliases", [])]:
            n = _norm(n)
            if len(n) >= 2:
                names.setdefault(n, e["types"][0])
    return names


def project_names(text: str, names: dict[str, str]) -> list[tuple[int, int, str]]:
    """Spans of the text where a name occurs, longest first, never overlapping."""
    keep = [i for i, c in enumerate(text) if c not in QUOTES and not c.isspace()]
    stripped = "".join(text[i] for i in keep)
    taken = bytearray(len(stripped))
    spans = []
    for name in sorted(names, key=lambda n: (-len(n), n)):
        start = 0
        while True:
            k = stripped.find(name, start)
            if k < 0:
                break
            start = k + 1
            if any(taken[k : k + len(name)]):
                continue
            taken[k : k + len(name)] = b"\x01" * len(name)
            s, e = keep[k], keep[k + len(name) - 1] + 1
            inner = text[s:e]
            # a name that closes a quote it opened outside starts at that quote
            if s > 0 and text[s - 1] in "“「『" and any(c in inner for c in "”」』"):
                s -= 1
            if e < len(text) and text[e] in "”」』" and any(c in inner for c in "“「『"):
                e += 1
            spans.append((s, e, names[name]))
    return sorted(spans)


def sequences_for(docs, names: dict[str, str], nlp) -> list[tuple[str, list[int], list[Candidate], list]]:
    """(paragraph, token starts, rule candidates, gold spans) for every paragraph."""
    from kg.nlp.components import CANDS, PROVINCE

    rules = nlp.get_pipe("policykg_rules")
    out = []
    for doc in docs:
        province = doc.region[:2] + "0000000000" if doc.region else ""
        for par in doc.text.split("\n"):
            if not par.strip():
                continue
            sdoc = nlp.make_doc(par)
            sdoc.user_data[PROVINCE] = province
            sdoc = rules(sdoc)
            out.append((par, [t.idx for t in sdoc], sdoc.user_data[CANDS], project_names(par, names)))
    return out


def train(docs, gold_path: Path, out: Path, nlp=None, **params) -> Path:
    """Train on the given documents; `params` go to crfsuite (c1, c2, max_iterations)."""
    from kg.nlp import load

    nlp = nlp or load()
    return train_crf(sequences_for(docs, load_gold_names(gold_path), nlp), out, **params)
