"""The CRF's inference, from the weights of the trained crfsuite model.

python-crfsuite wants every feature as a Python string (twenty per character) and
converts each to C++; that was half of the recognition time. A linear-chain CRF scores
a character's labels by summing the weights of its attributes, so here every attribute
(the character at an offset, a pair of characters, the kinds of three characters, the
word and its neighbours, the position in the word, the rule candidates) becomes a row
index into one weight table, computed for a whole document with array operations; the
rows are summed and Viterbi is run by the compiled loops of `kg.nlp.crf_kernels`. Same
weights and the same tie-breaking (the first best label) as crfsuite: tests/test_nlp.py
checks the tags on the bundled corpus. Training still goes through crfsuite with the
string features of `kg.nlp.crf.features`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kg.nlp.crf import QUOTE_CLOSERS, QUOTE_OPENERS, _kind
from kg.nlp.rules import HAN_FIRST, HAN_LAST

UNIGRAMS = {"c0": 0, "c-1": -1, "c+1": 1, "c-2": -2, "c+2": 2}
BIGRAMS = {"c-1c0": (-1, 0), "c0c+1": (0, 1), "c-2c-1": (-2, -1), "c+1c+2": (1, 2), "c-1c+1": (-1, 1)}
START, END = "<s>", "</s>"  # padding tokens of the character templates
KINDS = "#HDLQSP"  # "#": outside the text
POSITIONS = "BMES"  # of a character in its word
OPENING = np.array([ord(c) for c in QUOTE_OPENERS])
CLOSING = np.array([ord(c) for c in QUOTE_CLOSERS])


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
        from spacy.strings import get_string_id

        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        info = tagger.info()
        self.labels: list[str] = tagger.labels()
        label = {name: i for i, name in enumerate(self.labels)}
        size = self.size = len(self.labels)
        self.T = np.zeros((size, size))
        for (a, b), w in info.transitions.items():
            self.T[label[a], label[b]] = w
        by_template: dict[str, dict[str, np.ndarray]] = {}
        for (attr, lab), w in info.state_features.items():
            template, _, value = attr.partition("=")
            vec = by_template.setdefault(template, {}).setdefault(value, np.zeros(size))
            vec[label[lab]] += w
        self.bias = by_template.get("b", {}).get("", np.zeros(size))
        rows = _Rows(size)
        # tokens of the character templates: 0 = unknown to the model, 1 = <s>, 2 = </s>
        token: dict[str, int] = {START: 1, END: 2}
        for t in UNIGRAMS:
            for v in by_template.get(t, {}):
                token.setdefault(v, len(token) + 1)
        pairs: dict[str, dict[tuple[str, str], np.ndarray]] = {}
        for t in BIGRAMS:
            for v, vec in by_template.get(t, {}).items():
                split = _split_pair(v)
                if split is None:
                    continue
                for tok in split:
                    token.setdefault(tok, len(token) + 1)
                pairs.setdefault(t, {})[split] = vec
        self.vocab = vocab = len(token) + 1
        chars = sorted((ord(v), i) for v, i in token.items() if len(v) == 1)
        # the token of each code point, looked up by index (0: unknown to the model, as is
        # every code point above the last known one, clipped to the table's last entry)
        self.char_tokens = np.zeros(max((c for c, _ in chars), default=0) + 2, dtype=np.int64)
        for c, i in chars:
            self.char_tokens[c] = i
        self.unigram = {
            t: rows.table(vocab, ((token[v], w) for v, w in by_template.get(t, {}).items())) for t in UNIGRAMS
        }
        self.bigram = {}
        for t in BIGRAMS:
            items = sorted((token[a] * vocab + token[b], w) for (a, b), w in pairs.get(t, {}).items())
            keys = np.array([k for k, _ in items], dtype=np.int64)
            self.bigram[t] = _PairRows(keys, rows.stack([w for _, w in items]), vocab)
        kinds = {c: i for i, c in enumerate(KINDS)}
        self.kind = rows.table(
            len(KINDS) ** 3,
            (
                (kinds[v[0]] * 49 + kinds[v[1]] * 7 + kinds[v[2]], w)
                for v, w in by_template.get("k", {}).items()
                if len(v) == 3 and all(c in kinds for c in v)
            ),
        )
        pos = {c: i for i, c in enumerate(POSITIONS)}
        self.wp = rows.table(4, ((pos[v], w) for v, w in by_template.get("wp", {}).items() if v in pos))
        self.wpl = rows.table(
            4 * 6, ((pos[v[0]] * 6 + int(v[1:]), w) for v, w in by_template.get("wpl", {}).items() if v[:1] in pos)
        )
        edge = {**pos, "#": 4}
        self.wp_prev = rows.table(5, ((edge[v], w) for v, w in by_template.get("wp-1", {}).items() if v in edge))
        self.wp_next = rows.table(5, ((edge[v], w) for v, w in by_template.get("wp+1", {}).items() if v in edge))
        self.quote = rows.table(2, ((int(v), w) for v, w in by_template.get("q", {}).items() if v in ("0", "1")))
        # the word templates, looked up by the word's string hash (spaCy's ORTH): one
        # sorted array of hashes, and each template's row of every hashed word
        word_templates = ("w", "w-1", "w+1", "w+0")
        hashed = sorted({get_string_id(v) for t in word_templates for v in by_template.get(t, {})})
        self.word_hashes = np.array(hashed, dtype=np.uint64)
        at = {h: i for i, h in enumerate(hashed)}
        self.word_rows = np.zeros((len(hashed), len(word_templates)), dtype=np.int64)
        for j, t in enumerate(word_templates):
            values = by_template.get(t, {})
            first = rows.stack(list(values.values()))
            for k, v in enumerate(values):
                self.word_rows[at[get_string_id(v)], j] = first + k
        self.edge_words = (  # <s> before the first word, </s> after the last
            self._word_row(get_string_id(START), 1),
            self._word_row(get_string_id(END), 2),
        )
        self.rule_rows: dict[str, tuple[int, int, int]] = {}  # tag → rows of r, r+1 (B- tags), r-1 (E- tags)
        for t in {v for k in ("r", "r+1", "r-1") for v in by_template.get(k, {})}:
            self.rule_rows[t] = tuple(
                rows.stack([by_template[k][t]]) if t in by_template.get(k, {}) else 0 for k in ("r", "r+1", "r-1")
            )
        self.W = rows.done()
        self._kinds = np.zeros(0x110000, dtype=np.int8)  # code point → KINDS index, 0: not yet met
        # for decoding: each label's kind (O, B-, I-, other) and class (the name after "X-")
        self.classes = sorted({name[2:] for name in self.labels})
        self.label_kinds = np.array(
            [0 if name == "O" else 1 if name[:2] == "B-" else 2 if name[:2] == "I-" else 3 for name in self.labels]
        )
        self.label_classes = np.array([self.classes.index(name[2:]) for name in self.labels])

    def _word_row(self, h: int, column: int) -> int:
        i = int(np.searchsorted(self.word_hashes, np.uint64(h)))
        found = i < len(self.word_hashes) and self.word_hashes[i] == h
        return int(self.word_rows[i, column]) if found else 0

    def _kind_of(self, codepoints: np.ndarray) -> np.ndarray:
        """KINDS index of each character (never 0, which is outside the text), from a
        table of every code point met so far: only new characters are classified."""
        table = self._kinds
        kinds = table[codepoints]
        new = kinds == 0
        if new.any():
            for c in np.unique(codepoints[new]).tolist():
                table[c] = KINDS.index(_kind(chr(c)))
            kinds = table[codepoints]
        return kinds.astype(np.int64)

    def _rule_entries(self, bases: np.ndarray, paragraphs) -> tuple[np.ndarray, np.ndarray]:
        """(character, row) of the rule-candidate attributes (r, r+1, r-1 of
        `kg.nlp.crf.features`): each (character, tag) once, however many candidates give it."""
        tag_ids: dict[str, int] = {}
        names: list[str] = []
        spans = []  # per candidate: paragraph start and end, start, stop, B I E tag ids, has E
        for base, (text, _, cands, *_) in zip(bases.tolist(), paragraphs):
            n = len(text)
            for c in cands:
                key = f"{c.source}:{c.label}"
                ids = tag_ids.get(key)
                if ids is None:
                    ids = tag_ids[key] = len(names)
                    names += ["B-" + key, "I-" + key, "E-" + key]
                spans.append((base, base + n, base + c.start, base + min(c.end, n), ids, c.end - 1 < n))
        if not spans:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lo, hi, start, stop, ids, has_end = (np.array(col, dtype=np.int64) for col in zip(*spans))
        width = np.maximum(stop - start, 0)
        inside = np.repeat(np.arange(len(spans)), width)
        offset = np.arange(len(inside)) - np.repeat(np.cumsum(width) - width, width)
        last = has_end.astype(bool)
        ch = np.concatenate([start[inside] + offset, stop[last] - 1])  # an E- tag only where end ≤ n: stop = end
        tg = np.concatenate([ids[inside] + np.where(offset == 0, 0, 1), ids[last] + 2])
        lo = np.concatenate([lo[inside], lo[last]])
        hi = np.concatenate([hi[inside], hi[last]])
        table = np.array([self.rule_rows.get(t, (0, 0, 0)) for t in names], dtype=np.int64).reshape(-1, 3)
        kind = np.arange(len(names)) % 3  # 0 B-, 1 I-, 2 E-
        _, first = np.unique(ch * len(names) + tg, return_index=True)
        ch, tg, lo, hi = ch[first], tg[first], lo[first], hi[first]
        nxt = (kind[tg] == 0) & (ch > lo)
        prev = (kind[tg] == 2) & (ch + 1 < hi)
        at = np.concatenate([ch, ch[nxt] - 1, ch[prev] + 1])
        rows = np.concatenate([table[tg, 0], table[tg[nxt], 1], table[tg[prev], 2]])
        keep = rows > 0
        return at[keep], rows[keep]

    def emissions(self, paragraphs: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
        """The scores (characters × labels) of all the paragraphs one after another, and
        the paragraph bounds: the summed weights of each character's attributes, the
        attributes of `kg.nlp.crf.features`.

        A paragraph is (text, token starts, rule candidates[, word hashes]): the hashes
        are spaCy's ORTH of the tokens when the caller has them (else they are made from
        the text). Every attribute becomes a row index into one weight table, computed
        for the whole document with array operations; numba sums the rows.
        """
        return self._scores(paragraphs)[:2]

    def _scores(self, paragraphs: list[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`emissions`, and the code points of the texts (decoding reads them too)."""
        from spacy.strings import get_string_id

        from kg.nlp.crf_kernels import sum_rows

        sizes = np.array([len(p[0]) for p in paragraphs], dtype=np.int64)
        bounds = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        n = int(bounds[-1])
        if not n:
            return np.zeros((0, self.size)), bounds, np.zeros(0, dtype=np.int64)
        texts = [p[0] for p in paragraphs]
        cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        chars = self.char_tokens[np.minimum(cps, len(self.char_tokens) - 1)]
        bases = bounds[:-1]
        para = np.repeat(np.arange(len(texts)), sizes)
        # padded layout: two pads, the paragraph, two pads; P = where the characters sit
        first = bases + 4 * np.arange(len(texts)) + 2
        P = np.arange(n) + 4 * para + 2
        tok = np.full(n + 4 * len(texts), 1, dtype=np.int64)
        tok[P] = chars
        tok[first + sizes] = 2
        tok[first + sizes + 1] = 2
        columns = [self.unigram[t] + tok[P + off] for t, off in UNIGRAMS.items()]
        for t, (a, b) in BIGRAMS.items():
            pair_rows = self.bigram[t]
            if pair_rows.known:
                columns.append(pair_rows.of(tok[P + a] * self.vocab + tok[P + b]))
        kind = np.zeros_like(tok)
        kind[P] = self._kind_of(cps)
        columns.append(self.kind + kind[P - 1] * 49 + kind[P] * 7 + kind[P + 1])
        # words: position in the word (B M E S), capped length, the word and its neighbours
        starts, hashes = [], []
        for base, p in zip(bases.tolist(), paragraphs):
            text, ts = p[0], p[1]
            if not len(ts) or ts[0] != 0:
                ts = [0, *ts]
            given = p[3] if len(p) > 3 else None
            if given is None or len(given) != len(ts):
                ends = [*ts[1:], len(text)]
                given = [get_string_id(text[s:e]) for s, e in zip(ts, ends)]
            starts.append(np.asarray(ts, dtype=np.int64) + base)
            hashes.append(np.asarray(given, dtype=np.uint64))
        word_start = np.concatenate([*starts, [n]])
        lengths = np.diff(word_start)
        widx = np.repeat(np.arange(len(lengths)), lengths)
        length = lengths[widx]
        offset = np.arange(n) - word_start[:-1][widx]
        pos = np.where(length == 1, 3, np.where(offset == 0, 0, np.where(offset == length - 1, 2, 1)))
        columns.append(self.wp + pos)
        columns.append(self.wpl + pos * 6 + np.minimum(length, 5))
        at_start = np.zeros(n, dtype=bool)
        at_start[bases] = True
        at_end = np.zeros(n, dtype=bool)
        at_end[bounds[1:] - 1] = True
        columns.append(self.wp_prev + np.where(at_start, 4, np.roll(pos, 1)))
        columns.append(self.wp_next + np.where(at_end, 4, np.roll(pos, -1)))
        columns.append(self.quote + _in_quotes(cps, bases[para]))
        h = np.concatenate(hashes)
        k = np.minimum(np.searchsorted(self.word_hashes, h), len(self.word_hashes) - 1)
        rows = np.where((self.word_hashes[k] == h)[:, None], self.word_rows[k], 0)  # words × (w, w-1, w+1, w+0)
        first_word = np.zeros(len(lengths), dtype=bool)
        first_word[np.searchsorted(word_start, bases)] = True
        last_word = np.roll(first_word, -1)
        last_word[-1] = True
        before = np.where(first_word, self.edge_words[0], np.roll(rows[:, 1], 1))
        after = np.where(last_word, self.edge_words[1], np.roll(rows[:, 2], -1))
        same = rows[widx, 3]
        columns.append(rows[widx, 0])
        columns.append(np.where((pos == 0) | (pos == 3), before[widx], same))
        columns.append(np.where((pos == 2) | (pos == 3), after[widx], same))
        rule_at, rule_rows = self._rule_entries(bases, paragraphs)
        E = sum_rows(self.W, self.bias, np.stack(columns, axis=1, dtype=np.int32), rule_at, rule_rows)
        return E, bounds, cps

    def tag(self, scores: tuple[np.ndarray, np.ndarray]) -> list[list[str]]:
        """The label sequence of each paragraph of `emissions` (what crfsuite's tagger
        returns, for the tests that compare the two; recognition decodes with `spans`)."""
        from kg.nlp.crf_kernels import viterbi

        E, bounds = scores
        path = viterbi(E, bounds, self.T).tolist() if len(E) else []
        labels = self.labels
        return [[labels[y] for y in path[bounds[k] : bounds[k + 1]]] for k in range(len(bounds) - 1)]

    def spans(self, paragraphs: list[tuple]) -> list[list[tuple[int, int, str]]]:
        """The (start, end, class) spans of each paragraph: `tag` then
        `kg.nlp.crf.decode_bio`, decoded by a compiled loop instead of one string per
        character."""
        from kg.nlp.crf_kernels import bio_spans, viterbi

        out: list[list[tuple[int, int, str]]] = [[] for _ in paragraphs]
        E, bounds, cps = self._scores(paragraphs)
        if not len(E):
            return out
        han = np.concatenate(([0], np.cumsum((cps >= HAN_FIRST) & (cps <= HAN_LAST))))
        found = bio_spans(viterbi(E, bounds, self.T), bounds, self.label_kinds, self.label_classes, han)
        classes = self.classes
        for k, s, e, c in found.tolist():
            out[k].append((s, e, classes[c]))
        return out


def _in_quotes(cps: np.ndarray, paragraph_start: np.ndarray) -> np.ndarray:
    """1 from an opening quotation mark to its closing one (both included), else 0; each
    paragraph starts outside quotes."""
    index = np.arange(len(cps))
    opens = np.isin(cps, OPENING)
    closes = np.isin(cps, CLOSING)
    last_open = np.maximum.accumulate(np.where(opens, index, -1))
    last_close = np.maximum.accumulate(np.where(closes, index, -1))
    closed_before = np.concatenate(([-1], last_close[:-1]))
    return ((last_open >= paragraph_start) & (last_open > closed_before)).astype(np.int64)


class _PairRows:
    """The weight row of each character pair a template knows (keys: token pairs as
    a * vocab + b, sorted; their rows follow `first`), 0 for the others.

    Looked up by index in a table of every pair while that stays small (the model knows
    some 800 characters: 640k pairs, 2.6 MB), which was a tenth of the CRF's time
    against a binary search; by the search for a model that knows many more."""

    DENSE_LIMIT = 1 << 22  # pairs: 16 MB of int32 per template

    def __init__(self, keys: np.ndarray, first: int, vocab: int) -> None:
        self.known = len(keys)
        self.keys = keys
        self.first = first
        self.table = None
        if self.known and vocab * vocab <= self.DENSE_LIMIT:
            self.table = np.zeros(vocab * vocab, dtype=np.int32)
            self.table[keys] = first + np.arange(len(keys))

    def of(self, pairs: np.ndarray) -> np.ndarray:
        if self.table is not None:
            return self.table[pairs]
        k = np.minimum(np.searchsorted(self.keys, pairs), len(self.keys) - 1)
        return np.where(self.keys[k] == pairs, self.first + k, 0)


class _Rows:
    """One weight table for every attribute: row 0 is zeros (an attribute the model has
    no weight for), each template a block of rows."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.blocks: list[np.ndarray] = [np.zeros((1, size))]
        self.count = 1

    def table(self, rows: int, entries) -> int:
        block = np.zeros((rows, self.size))
        for k, w in entries:
            block[k] += w
        return self._add(block)

    def stack(self, vectors: list[np.ndarray]) -> int:
        return self._add(np.vstack(vectors) if vectors else np.zeros((0, self.size)))

    def _add(self, block: np.ndarray) -> int:
        first = self.count
        self.blocks.append(block)
        self.count += len(block)
        return first

    def done(self) -> np.ndarray:
        return np.ascontiguousarray(np.vstack(self.blocks))
