"""A character-level CRF tagger for entity boundaries and classes.

Chinese names have no spaces and rarely align with word segmentation, so the tagger
works on characters (BIO tags) and sees the word segmentation, the gazetteer and the
rule candidates as features. It learns where a name begins, which the rules only guess.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.nlp.rules import Candidate

HAN = re.compile(r"[\u4e00-\u9fff]")
MODELS = Path(__file__).resolve().parent.parent / "data" / "models"


def char_kind(c: str) -> str:
    if HAN.match(c):
        return "H"
    if c.isdigit():
        return "D"
    if c.isascii() and c.isalpha():
        return "L"
    if c in '“”‘’「」『』"':
        return "Q"
    if c.isspace():
        return "S"
    return "P"


def _word_tags(text: str, token_starts: list[int]) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """Per character: position in its jieba word, word length, the word, and its neighbours."""
    n = len(text)
    pos = ["S"] * n
    wlen = [""] * n
    word = [""] * n
    prev = [""] * n
    nxt = [""] * n
    bounds = list(token_starts) + [n]
    words = [text[bounds[k] : bounds[k + 1]] for k in range(len(bounds) - 1)]
    for k in range(len(bounds) - 1):
        s, e = bounds[k], bounds[k + 1]
        for i in range(s, e):
            pos[i] = "S" if e - s == 1 else ("B" if i == s else ("E" if i == e - 1 else "M"))
            wlen[i] = str(min(e - s, 5))
            word[i] = words[k]
            prev[i] = words[k - 1] if k else "<s>"
            nxt[i] = words[k + 1] if k + 1 < len(words) else "</s>"
    return pos, wlen, word, prev, nxt


def _candidate_tags(n: int, cands: list[Candidate]) -> list[set[str]]:
    tags: list[set[str]] = [set() for _ in range(n)]
    for c in cands:
        key = f"{c.source}:{c.label}"
        for i in range(c.start, min(c.end, n)):
            tags[i].add(("B-" if i == c.start else "I-") + key)
        if c.end - 1 < n:
            tags[c.end - 1].add("E-" + key)
    return tags


def features(text: str, token_starts: list[int], cands: list[Candidate]) -> list[list[str]]:
    """One feature list per character."""
    n = len(text)
    pos, wlen, word, wprev, wnext = _word_tags(text, token_starts)
    ctags = _candidate_tags(n, cands)
    kinds = [char_kind(c) for c in text]
    quote_depth = [0] * n
    depth = 0
    for i, c in enumerate(text):
        if c in "“「『":
            depth = 1
        quote_depth[i] = depth
        if c in "”」』":
            depth = 0

    def ch(i: int) -> str:
        return text[i] if 0 <= i < n else ("<s>" if i < 0 else "</s>")

    def kd(i: int) -> str:
        return kinds[i] if 0 <= i < n else "#"

    out = []
    for i in range(n):
        f = [
            "b",
            "c0=" + ch(i),
            "c-1=" + ch(i - 1),
            "c+1=" + ch(i + 1),
            "c-2=" + ch(i - 2),
            "c+2=" + ch(i + 2),
            "c-1c0=" + ch(i - 1) + ch(i),
            "c0c+1=" + ch(i) + ch(i + 1),
            "c-2c-1=" + ch(i - 2) + ch(i - 1),
            "c+1c+2=" + ch(i + 1) + ch(i + 2),
            "c-1c+1=" + ch(i - 1) + ch(i + 1),
            "k=" + kd(i - 1) + kd(i) + kd(i + 1),
            "wp=" + pos[i],
            "wpl=" + pos[i] + wlen[i],
            "wp-1=" + (pos[i - 1] if i else "#"),
            "wp+1=" + (pos[i + 1] if i + 1 < n else "#"),
            "q=" + str(quote_depth[i]),
            "w=" + word[i],
            "w-1=" + wprev[i] if pos[i] in "BS" else "w+0=" + word[i],
            "w+1=" + wnext[i] if pos[i] in "ES" else "w+0=" + word[i],
        ]
        f.extend("r=" + t for t in ctags[i])
        if i + 1 < n:
            f.extend("r+1=" + t for t in ctags[i + 1] if t.startswith("B-"))
        if i:
            f.extend("r-1=" + t for t in ctags[i - 1] if t.startswith("E-"))
        out.append(f)
    return out


def decode_bio(text: str, tags: list[str]) -> list[tuple[int, int, str]]:
    """BIO tags to (start, end, label) spans; a stray I- starts a span."""
    spans = []
    cur = None
    for i, t in enumerate(tags + ["O"]):
        if t == "O" or t.startswith("B-") or (cur and t[2:] != cur[2]):
            if cur:
                spans.append((cur[0], i, cur[2]))
                cur = None
        if t.startswith("B-") or (t.startswith("I-") and cur is None):
            cur = [i, i + 1, t[2:]]
    return [s for s in spans if s[1] - s[0] >= 2 and HAN.search(text[s[0] : s[1]])]


def encode_bio(n: int, spans: list[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * n
    for s, e, label in spans:
        tags[s] = "B-" + label
        for i in range(s + 1, e):
            tags[i] = "I-" + label
    return tags


class CrfTagger:
    """Loads a trained crfsuite model; absent model means no predictions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tagger = None
        if path.exists():
            import pycrfsuite

            self.tagger = pycrfsuite.Tagger()
            self.tagger.open(str(path))

    def predict(self, text: str, token_starts: list[int], cands: list[Candidate]) -> list[tuple[int, int, str]]:
        if self.tagger is None or not text:
            return []
        spans = []
        # tag paragraph by paragraph: CRF cost is linear, but smaller sequences keep memory low
        pos = 0
        for par in text.split("\n"):
            if par:
                lo, hi = pos, pos + len(par)
                ts = [t - lo for t in token_starts if lo <= t < hi]
                if not ts or ts[0] != 0:
                    ts = [0] + ts
                cs = [
                    Candidate(c.start - lo, c.end - lo, c.label, c.source)
                    for c in cands
                    if lo <= c.start and c.end <= hi
                ]
                tags = self.tagger.tag(features(par, ts, cs))
                spans.extend((s + lo, e + lo, label) for s, e, label in decode_bio(par, tags))
            pos += len(par) + 1
        return spans


def train_crf(
    sequences: list[tuple[str, list[int], list[Candidate], list[tuple[int, int, str]]]],
    out: Path,
    c1: float = 0.05,
    c2: float = 0.01,
    max_iterations: int = 150,
) -> Path:
    """Train on (text, token_starts, candidates, gold spans) sequences; write the model."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for text, ts, cands, spans in sequences:
        trainer.append(features(text, ts, cands), encode_bio(len(text), spans))
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations, "feature.possible_transitions": True})
    out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out))
    return out
