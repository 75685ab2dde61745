"""A character-level CRF tagger for entity boundaries and classes.

Chinese names have no spaces and rarely align with word segmentation, so the tagger
works on characters (BIO tags) and sees the word segmentation, the gazetteer and the
rule candidates as features. It learns where a name begins, which the rules only guess.
"""

from __future__ import annotations

from pathlib import Path

from kg.nlp.rules import HAN, Candidate

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


_KINDS: dict[str, str] = {}


def _kind(c: str) -> str:
    k = _KINDS.get(c)
    if k is None:
        k = _KINDS[c] = char_kind(c)
    return k


def _word_columns(text: str, token_starts: list[int]) -> tuple[list[str], ...]:
    """Per character: position in its jieba word (B/M/E/S), the capped word length, the
    word, and the words before and after; built word by word, as runs."""
    n = len(text)
    bounds = list(token_starts) + [n]
    words = [text[bounds[k] : bounds[k + 1]] for k in range(len(bounds) - 1)]
    pos: list[str] = []
    wlen: list[str] = []
    word: list[str] = []
    prev: list[str] = []
    nxt: list[str] = []
    last = len(words) - 1
    for k, w in enumerate(words):
        size = len(w)
        pos += ["S"] if size == 1 else ["B"] + ["M"] * (size - 2) + ["E"]
        wlen += [str(min(size, 5))] * size
        word += [w] * size
        prev += [words[k - 1] if k else "<s>"] * size
        nxt += [words[k + 1] if k < last else "</s>"] * size
    return pos, wlen, word, prev, nxt


def _candidate_tags(n: int, cands: list[Candidate]) -> dict[int, set[str]]:
    tags: dict[int, set[str]] = {}
    for c in cands:
        key = f"{c.source}:{c.label}"
        for i in range(c.start, min(c.end, n)):
            tags.setdefault(i, set()).add(("B-" if i == c.start else "I-") + key)
        if c.end - 1 < n:
            tags.setdefault(c.end - 1, set()).add("E-" + key)
    return tags


QUOTE_OPENERS, QUOTE_CLOSERS = "“「『", "”」』"  # the quote-depth attribute (q)


def _quote_depths(text: str) -> list[str]:
    out = []
    depth = "0"
    for c in text:
        if c in QUOTE_OPENERS:
            depth = "1"
        out.append(depth)
        if c in QUOTE_CLOSERS:
            depth = "0"
    return out


def features(text: str, token_starts: list[int], cands: list[Candidate]) -> list[list[str]]:
    """One feature list per character.

    Built column by column (one list comprehension per feature template, then rows by
    zip): the same strings as a loop over characters, in a third of the time.
    """
    n = len(text)
    if not n:
        return []
    pos, wlen, word, wprev, wnext = _word_columns(text, token_starts)
    padded = ["<s>", "<s>", *text, "</s>", "</s>"]
    m2, m1, c0, p1, p2 = padded[0:n], padded[1 : n + 1], padded[2 : n + 2], padded[3 : n + 3], padded[4 : n + 4]
    kinds = ["#", *map(_kind, text), "#"]
    columns = [
        ["b"] * n,
        ["c0=" + c for c in c0],
        ["c-1=" + c for c in m1],
        ["c+1=" + c for c in p1],
        ["c-2=" + c for c in m2],
        ["c+2=" + c for c in p2],
        ["c-1c0=" + a + b for a, b in zip(m1, c0)],
        ["c0c+1=" + a + b for a, b in zip(c0, p1)],
        ["c-2c-1=" + a + b for a, b in zip(m2, m1)],
        ["c+1c+2=" + a + b for a, b in zip(p1, p2)],
        ["c-1c+1=" + a + b for a, b in zip(m1, p1)],
        ["k=" + a + b + c for a, b, c in zip(kinds, kinds[1:], kinds[2:])],
        ["wp=" + p for p in pos],
        ["wpl=" + p + w for p, w in zip(pos, wlen)],
        ["wp-1=" + p for p in ["#", *pos[:-1]]],
        ["wp+1=" + p for p in [*pos[1:], "#"]],
        ["q=" + q for q in _quote_depths(text)],
        ["w=" + w for w in word],
        [("w-1=" + b) if p in "BS" else ("w+0=" + w) for p, w, b in zip(pos, word, wprev)],
        [("w+1=" + a) if p in "ES" else ("w+0=" + w) for p, w, a in zip(pos, word, wnext)],
    ]
    out = [list(row) for row in zip(*columns)]
    ctags = _candidate_tags(n, cands)
    for i, tags in ctags.items():
        out[i].extend("r=" + t for t in tags)
        if i:
            out[i - 1].extend("r+1=" + t for t in tags if t.startswith("B-"))
        if i + 1 < n:
            out[i + 1].extend("r-1=" + t for t in tags if t.startswith("E-"))
    return out


def decode_bio(text: str, tags: list[str]) -> list[tuple[int, int, str]]:
    """BIO tags to (start, end, label) spans; a stray I- starts a span.

    The definition of the decoding: recognition runs its compiled form
    (`kg.nlp.crf_kernels.bio_spans`), which the tests check against this."""
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
    """A trained crfsuite model, run by `kg.nlp.crf_infer` (same tags, a fraction of the
    time); an absent model means no predictions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.model = None
        if path.exists():
            from kg.nlp.crf_infer import CompiledCrf

            self.model = CompiledCrf(path)

    @property
    def has_model(self) -> bool:
        return self.model is not None

    def predict_batch(self, paragraphs: list[tuple]) -> list[list[tuple[int, int, str]]]:
        """(start, end, label) spans of each paragraph: (text without line breaks, the
        offsets of its tokens, the rule candidates[, the tokens' string hashes])."""
        if self.model is None:
            return [[] for _ in paragraphs]
        todo = [k for k, p in enumerate(paragraphs) if p[0]]
        out: list[list[tuple[int, int, str]]] = [[] for _ in paragraphs]
        for k, spans in zip(todo, self.model.spans([paragraphs[k] for k in todo])):
            out[k] = spans
        return out


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
