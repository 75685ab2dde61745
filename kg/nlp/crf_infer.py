"""The CRF's inference in numpy, from the weights of the trained crfsuite model.

python-crfsuite wants every feature as a Python string (twenty per character) and
converts each to C++; that was half of the recognition time. A linear-chain CRF scores
a character's labels by summing the weights of its attributes, so here the weights are
arranged in tables indexed by what the templates look at (the character at an offset,
a pair of characters, the kinds of three characters, the word and its neighbours, the
position in the word), the scores of a paragraph are a few numpy gathers, and Viterbi
runs over a batch of paragraphs at once. Same weights and the same tie-breaking (the
first best label) as crfsuite: tests/test_nlp.py checks the tags on the bundled corpus.
Training still goes through crfsuite with the string features of `kg.nlp.crf.features`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kg.nlp.crf import _candidate_tags, _kind, _quote_depths
from kg.nlp.rules import Candidate

UNIGRAMS = {"c0": 0, "c-1": -1, "c+1": 1, "c-2": -2, "c+2": 2}
BIGRAMS = {"c-1c0": (-1, 0), "c0c+1": (0, 1), "c-2c-1": (-2, -1), "c+1c+2": (1, 2), "c-1c+1": (-1, 1)}
START, END = "<s>", "</s>"  # padding tokens of the character templates
KINDS = "#HDLQSP"  # "#": outside the text
POSITIONS = "BMES"  # of a character in its word
MAX_CELLS = 400_000  # paragraphs × characters decoded together (about 50 MB of scores)


def _split_pair(value: str) -> tuple[str, str] | None:
    """'ab', '<s>a', 'a</s>', '<s><s>'… → the two tokens of a character-pair value."""
    heads = [t for t in (START, END) if value.startswith(t)] + ([value[0]] if value else [])
    for head in heads:
        rest = value[len(head) :]
        if len(rest) == 1 or rest in (START, END):
            return head, rest
    return None


class CompiledCrf:
    def __init__(self, path: Path) -> None:
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        info = tagger.info()
        self.labels: list[str] = tagger.labels()
        label = {name: i for i, name in enumerate(self.labels)}
        size = len(self.labels)
        self.T = np.zeros((size, size))
        for (a, b), w in info.transitions.items():
            self.T[label[a], label[b]] = w
        by_template: dict[str, dict[str, np.ndarray]] = {}
        for (attr, lab), w in info.state_features.items():
            template, _, value = attr.partition("=")
            vec = by_template.setdefault(template, {}).setdefault(value, np.zeros(size))
            vec[label[lab]] += w
        self.size = size
        # tokens of the character templates: 0 = unknown to the model, 1 = <s>, 2 = </s>
        self.token: dict[str, int] = {START: 1, END: 2}
        for t in UNIGRAMS:
            for v in by_template.get(t, {}):
                self.token.setdefault(v, len(self.token) + 1)
        pairs: dict[str, dict[tuple[str, str], np.ndarray]] = {}
        for t in BIGRAMS:
            for v, vec in by_template.get(t, {}).items():
                split = _split_pair(v)
                if split is None:
                    continue
                for tok in split:
                    self.token.setdefault(tok, len(self.token) + 1)
                pairs.setdefault(t, {})[split] = vec
        vocab = len(self.token) + 1
        self.vocab = vocab
        self.unigram = {
            t: self._table(vocab, ((self.token[v], w) for v, w in by_template.get(t, {}).items())) for t in UNIGRAMS
        }
        self.bigram = {}
        for t in BIGRAMS:
            items = sorted((self.token[a] * vocab + self.token[b], w) for (a, b), w in pairs.get(t, {}).items())
            keys = np.array([k for k, _ in items], dtype=np.int64)
            rows = np.vstack([w for _, w in items] + [np.zeros(size)])  # last row: a pair the model never saw
            self.bigram[t] = (keys, rows)
        kinds = {c: i for i, c in enumerate(KINDS)}
        self.kind = self._table(
            len(KINDS) ** 3,
            (
                (kinds[v[0]] * 49 + kinds[v[1]] * 7 + kinds[v[2]], w)
                for v, w in by_template.get("k", {}).items()
                if len(v) == 3 and all(c in kinds for c in v)
            ),
        )
        pos = {c: i for i, c in enumerate(POSITIONS)}
        self.wp = self._table(4, ((pos[v], w) for v, w in by_template.get("wp", {}).items() if v in pos))
        self.wpl = self._table(
            4 * 6, ((pos[v[0]] * 6 + int(v[1:]), w) for v, w in by_template.get("wpl", {}).items() if v[:1] in pos)
        )
        edge = {**pos, "#": 4}
        self.wp_prev = self._table(5, ((edge[v], w) for v, w in by_template.get("wp-1", {}).items() if v in edge))
        self.wp_next = self._table(5, ((edge[v], w) for v, w in by_template.get("wp+1", {}).items() if v in edge))
        self.quote = self._table(2, ((int(v), w) for v, w in by_template.get("q", {}).items() if v in ("0", "1")))
        self.words = {t: self._indexed(by_template.get(t, {})) for t in ("w", "w-1", "w+1", "w+0")}
        self.bias = by_template.get("b", {}).get("", np.zeros(size))
        self.rules = {t: by_template.get(t, {}) for t in ("r", "r+1", "r-1")}
        self._chars: dict[str, tuple[int, int]] = {}

    def _table(self, rows: int, entries) -> np.ndarray:
        table = np.zeros((rows, self.size))
        for k, w in entries:
            table[k] += w
        return table

    def _indexed(self, values: dict[str, np.ndarray]) -> tuple[dict[str, int], np.ndarray]:
        index = {v: i + 1 for i, v in enumerate(values)}
        return index, np.vstack([np.zeros(self.size), *values.values()])

    def _char(self, c: str) -> tuple[int, int]:
        info = self._chars.get(c)
        if info is None:
            info = self._chars[c] = (self.token.get(c, 0), KINDS.index(_kind(c)))
        return info

    def emissions(self, paragraphs: list[tuple[str, list[int], list[Candidate]]]) -> list[np.ndarray]:
        """(characters × labels) per paragraph: the summed weights of each character's
        attributes, the attributes of `kg.nlp.crf.features`. All paragraphs of a document
        are scored together (each padded on both sides), so numpy's per-call cost is paid
        once per document, not once per paragraph."""
        if not paragraphs:
            return []
        texts = [p[0] for p in paragraphs]
        sizes = np.array([len(t) for t in texts], dtype=np.int64)
        n = int(sizes.sum())
        chars = np.array([self._char(c) for t in texts for c in t], dtype=np.int64).reshape(n, 2)
        # padded layout: two pads, the paragraph, two pads; P = where the characters sit
        first = np.cumsum(np.concatenate(([0], sizes[:-1] + 4))) + 2
        para = np.repeat(np.arange(len(texts)), sizes)
        P = first[para] + (np.arange(n) - np.cumsum(np.concatenate(([0], sizes[:-1])))[para])
        tok = np.full(int(sizes.sum() + 4 * len(texts)), 1, dtype=np.int64)
        tok[P] = chars[:, 0]
        tok[first + sizes] = 2
        tok[first + sizes + 1] = 2
        E = np.tile(self.bias, (n, 1))
        for t, off in UNIGRAMS.items():
            E += self.unigram[t][tok[P + off]]
        for t, (a, b) in BIGRAMS.items():
            keys, rows = self.bigram[t]
            if not len(keys):
                continue
            q = tok[P + a] * self.vocab + tok[P + b]
            at = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
            E += rows[np.where(keys[at] == q, at, len(keys))]
        kind = np.zeros_like(tok)
        kind[P] = chars[:, 1]
        E += self.kind[kind[P - 1] * 49 + kind[P] * 7 + kind[P + 1]]
        # words: position in the word (B M E S), capped length, the word and its neighbours
        bases = np.cumsum(np.concatenate(([0], sizes[:-1])))
        starts = np.array([b + s for b, p in zip(bases.tolist(), paragraphs) for s in p[1]] + [n], dtype=np.int64)
        lengths = np.diff(starts)
        widx = np.repeat(np.arange(len(lengths)), lengths)
        length = lengths[widx]
        offset = np.arange(n) - starts[:-1][widx]
        pos = np.where(length == 1, 3, np.where(offset == 0, 0, np.where(offset == length - 1, 2, 1)))
        E += self.wp[pos] + self.wpl[pos * 6 + np.minimum(length, 5)]
        at_start = np.zeros(n, dtype=bool)
        at_start[bases] = True
        at_end = np.zeros(n, dtype=bool)
        at_end[bases + sizes - 1] = True
        E += self.wp_prev[np.where(at_start, 4, np.roll(pos, 1))] + self.wp_next[np.where(at_end, 4, np.roll(pos, -1))]
        E += self.quote[(np.array([d for t in texts for d in _quote_depths(t)]) == "1").astype(np.int64)]
        words, prev, nxt = [], [], []
        for text, ts, _ in paragraphs:
            bounds = [*ts, len(text)]
            ws = [text[bounds[k] : bounds[k + 1]] for k in range(len(ts))]
            words += ws
            prev += [START, *ws[:-1]]
            nxt += [*ws[1:], END]
        (iw, ww), (ib, wb), (ia, wa), (i0, w0) = (self.words[t] for t in ("w", "w-1", "w+1", "w+0"))
        same = w0[[i0.get(w, 0) for w in words]][widx]
        E += ww[[iw.get(w, 0) for w in words]][widx]
        E += np.where(((pos == 0) | (pos == 3))[:, None], wb[[ib.get(w, 0) for w in prev]][widx], same)
        E += np.where(((pos == 2) | (pos == 3))[:, None], wa[[ia.get(w, 0) for w in nxt]][widx], same)
        r, r_next, r_prev = self.rules["r"], self.rules["r+1"], self.rules["r-1"]
        for base, (text, _, cands) in zip(bases.tolist(), paragraphs):
            size = len(text)
            for i, tags in _candidate_tags(size, cands).items():
                for t in tags:
                    if t in r:
                        E[base + i] += r[t]
                    if i and t.startswith("B-") and t in r_next:
                        E[base + i - 1] += r_next[t]
                    if i + 1 < size and t.startswith("E-") and t in r_prev:
                        E[base + i + 1] += r_prev[t]
        return np.split(E, np.cumsum(sizes)[:-1])

    def tag(self, emissions: list[np.ndarray]) -> list[list[str]]:
        """Label sequences of several paragraphs, decoded together: sorted by length, one
        numpy step per character of the longest, finished paragraphs dropping out."""
        out: list[list[str]] = [[] for _ in emissions]
        order = sorted((k for k in range(len(emissions)) if len(emissions[k])), key=lambda k: len(emissions[k]))
        groups: list[list[int]] = [[]]
        for k in order:  # ascending lengths: the newest is the longest of its group
            if groups[-1] and (len(groups[-1]) + 1) * len(emissions[k]) > MAX_CELLS:
                groups.append([])
            groups[-1].append(k)
        for group in groups:
            if group:
                for k, path in zip(group, self._viterbi([emissions[k] for k in group])):
                    out[k] = [self.labels[y] for y in path]
        return out

    def _viterbi(self, seqs: list[np.ndarray]) -> list[np.ndarray]:
        """`seqs` sorted by length: at step t the sequences still running are a tail of the
        batch, so each step works on that tail only."""
        lengths = np.array([len(s) for s in seqs])
        b, n = len(seqs), int(lengths.max())
        E = np.zeros((b, n, self.size))
        for k, s in enumerate(seqs):
            E[k, : len(s)] = s
        back = np.zeros((n, b, self.size), dtype=np.int16)
        delta = E[:, 0, :].copy()
        T = self.T[None, :, :]
        j = 0
        for t in range(1, n):
            while lengths[j] <= t:
                j += 1
            scores = delta[j:, :, None] + T  # running × from × to
            back[t, j:] = scores.argmax(axis=1)  # the first best, as crfsuite
            delta[j:] = scores.max(axis=1) + E[j:, t, :]
        cur = delta.argmax(axis=1)
        paths = np.zeros((b, n), dtype=np.int64)
        j = b
        for t in range(n - 1, -1, -1):
            while j > 0 and lengths[j - 1] > t:
                j -= 1
            paths[j:, t] = cur[j:]
            if t:
                cur[j:] = back[t, np.arange(j, b), cur[j:]]
        return [paths[k, : lengths[k]] for k in range(b)]
