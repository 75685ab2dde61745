"""Rule recognisers: gazetteer look-up, quoted names and the suffix grammar.

These patterns hold in any report: administrative names come from the division table,
programmes are quoted and end in 战略/行动/工程, projects end in 项目/工程/高铁,
enterprises in 集团/公司. They propose candidates; the CRF and the merger decide.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import NamedTuple

NLP_DIR = Path(__file__).resolve().parent
PATTERNS = NLP_DIR / "patterns"
GAZ_DIR = NLP_DIR.parent / "data" / "gazetteer"
HAN_FIRST, HAN_LAST = 0x4E00, 0x9FFF  # the CJK Unified Ideographs: what counts as Han
HAN = re.compile(f"[{chr(HAN_FIRST)}-{chr(HAN_LAST)}]")
NAME_PUNCT = set("·•-—")
OPEN_Q, CLOSE_Q = '“‘「『"', '”’」』"'
# a token a name can extend over: Han characters, letters and digits (str.isalnum: \w
# without the underscore), name punctuation and quotation marks
NAME_TOKEN = re.compile("(?:[^\\W_]|[\u4e00-\u9fff" + re.escape("".join(sorted(NAME_PUNCT)) + OPEN_Q + CLOSE_Q) + "])+")


class Candidate(NamedTuple):
    """A span a recogniser proposes; ordered by position, then label and source (a tuple:
    a paragraph's candidates are sorted, and tuples compare without Python code)."""

    start: int
    end: int
    label: str
    source: str


def read_table(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append([c.strip() for c in line.split("\t")])
    return rows


def read_words(path: Path) -> set[str]:
    out: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            out.update(line.split())
    return out


class Trie:
    """Longest-match dictionary scan over characters: at each position the longest word
    that starts there, then on after it.

    Kept as arrays and scanned by a compiled loop (`kg.nlp.crf_kernels.trie_scan`) for
    recognition, which scans every paragraph twice (places and enterprises): a step of
    Python per character was a good part of the rules' time. `compiled=False` keeps the
    nested dicts and scans in Python: for a few short names (relations' place look-ups),
    in a process that then never loads numba (about 0.75 s and 80 MB).
    """

    END = "\0"  # the key of a word's value in the nested dicts

    def __init__(self, words: dict[str, str], compiled: bool = True) -> None:
        self.compiled = compiled
        self.root: dict = {}
        for w, value in words.items():
            node = self.root
            for ch in w:
                node = node.setdefault(ch, {})
            node[self.END] = value
        if compiled:
            self._to_arrays()

    def _to_arrays(self) -> None:
        """Nodes numbered breadth-first; node k's children are chars[first[k]:first[k+1]]
        (sorted code points) leading to nodes[…]; values[k] the word's value id or -1."""
        import numpy as np

        self.values: list[str] = []
        ids: dict[str, int] = {}
        first, chars, nodes, values = [0], [], [], []
        queue = [self.root]
        for node in queue:  # grows as children are numbered
            value = node.get(self.END)
            if value is not None and value not in ids:
                ids[value] = len(self.values)
                self.values.append(value)
            values.append(ids[value] if value is not None else -1)
            for ch in sorted((c for c in node if c != self.END), key=ord):
                chars.append(ord(ch))
                nodes.append(len(queue))
                queue.append(node[ch])
            first.append(len(chars))
        self.arrays = tuple(np.array(a, dtype=np.int64) for a in (first, chars, nodes, values))

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        if not self.compiled:
            return self._scan_dicts(text)
        import numpy as np

        from kg.nlp.crf_kernels import trie_scan

        if not text:
            return []
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        values = self.values
        return [(s, e, values[v]) for s, e, v in trie_scan(codes, *self.arrays).tolist()]

    def _scan_dicts(self, text: str) -> list[tuple[int, int, str]]:
        out = []
        n, i = len(text), 0
        while i < n:
            node, j, best = self.root, i, None
            while j < n and text[j] != self.END and text[j] in node:
                node = node[text[j]]
                j += 1
                if self.END in node:
                    best = (i, j, node[self.END])
            if best:
                out.append(best)
                i = best[1]
            else:
                i += 1
        return out


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each “…” including the marks, for names up to 24 characters."""
    out = []
    for m in re.finditer(r"[“「『]([^“”「」『』\n]{1,24})[”」』]", text):
        out.append((m.start(), m.end()))
    return out


class RuleRecogniser:
    """Proposes entity candidates from data files; see `patterns/` and `data/gazetteer/`."""

    def __init__(
        self,
        suffixes: str,
        quoted: str,
        boundary_words: str,
        enterprises: str,
        max_name_chars: int,
    ) -> None:
        from kg.gazetteer import gazetteer

        self.max_chars = max_name_chars
        self.suffixes = sorted(
            ((r[0], r[1], int(r[2])) for r in read_table(PATTERNS / suffixes)), key=lambda r: -len(r[0])
        )
        self.suffix_re = re.compile("(?=(" + "|".join(re.escape(s) for s, _, _ in self.suffixes) + "))")
        self.suffix_info = {s: (label, n) for s, label, n in self.suffixes}
        tails = sorted(((r[0], r[1]) for r in read_table(PATTERNS / quoted)), key=lambda r: -len(r[0]))
        self.quoted_tails = tails
        self.boundary = read_words(PATTERNS / boundary_words)
        counted = json.loads((PATTERNS / "counted.json").read_text(encoding="utf-8"))
        self.counted_re = re.compile(counted["pattern"])
        self.gaz = gazetteer()
        self.place_trie = Trie({n: "Place" for n in self.gaz.names() if len(n) >= 2})
        forms: dict[str, str] = {}
        for row in read_table(GAZ_DIR / enterprises):
            for f in row:
                if f and not f.startswith("@"):
                    forms[f] = "Enterprise"
        for children, _parent in read_table(GAZ_DIR / "subsidiaries.tsv"):
            for f in children.split(","):
                forms[f] = "Enterprise"
        self.enterprise_trie = Trie(forms)

    # -- gazetteers
    def gazetteer_candidates(self, text: str, province: str) -> list[Candidate]:
        out = []
        for s, e, _ in self.place_trie.scan(text):
            if self.gaz.lookup(text[s:e], province):
                out.append(Candidate(s, e, "Place", "gazetteer"))
        for s, e, label in self.enterprise_trie.scan(text):
            out.append(Candidate(s, e, label, "enterprise_gazetteer"))
        return out

    # -- quoted names
    def quoted_candidates(self, text: str, token_starts: list[int]) -> list[Candidate]:
        out = []
        for qs, qe in quoted_spans(text):
            tail_label = None
            end = qe
            for tail, label in self.quoted_tails:
                if text.startswith(tail, qe):
                    tail_label, end = label, qe + len(tail)
                    break
            start = self._extend_left(text, qs, token_starts, limit=end - self.max_chars)
            if tail_label:
                out.append(Candidate(start, end, tail_label, "quoted"))
            else:
                inner = text[qs + 1 : qe - 1]
                if 2 <= len(inner) <= 12 and HAN.search(inner) and not re.search(r"[,，。;；:：!！?？]", inner):
                    out.append(Candidate(qs, qe, "Programme", "quoted_bare"))
        return out

    # -- suffix grammar
    def suffix_candidates(self, text: str, token_starts: list[int]) -> list[Candidate]:
        bounds = set(token_starts) | {len(text)}
        out = []
        for m in self.suffix_re.finditer(text):
            suffix = m.group(1)
            s_start, s_end = m.start(), m.start() + len(suffix)
            if s_end not in bounds and not (s_end < len(text) and not HAN.match(text[s_end])):
                continue
            label, min_chars = self.suffix_info[suffix]
            start = self._extend_left(text, s_start, token_starts, limit=s_end - self.max_chars)
            if s_end - start < min_chars:
                continue
            name = text[start:s_end]
            if name[: len(name) - len(suffix)] in self.boundary:
                continue
            out.append(Candidate(start, s_end, label, "suffix"))
        return out

    def _extend_left(self, text: str, pos: int, token_starts: list[int], limit: int) -> int:
        """Walk left over whole tokens until a boundary word, punctuation or the limit."""
        start = pos
        k = bisect.bisect_right(token_starts, pos - 1) - 1
        # the token that contains pos-1 may straddle pos: a suffix inside a word
        while k >= 0:
            ts = token_starts[k]
            tok = text[ts:start]
            if ts < limit or not tok:
                break
            if tok in self.boundary:
                break
            if not NAME_TOKEN.fullmatch(tok):
                break
            start = ts
            k -= 1
        # never start a name with a closing quote or a dangling mark
        while start < pos and text[start] in CLOSE_Q + "·-—":
            start += 1
        return start

    def counted_candidates(self, text: str) -> list[Candidate]:
        """三大工程, 十大行动, 四大集群: a numbered set of programmes."""
        return [Candidate(m.start(), m.end(), "Programme", "counted") for m in self.counted_re.finditer(text)]

    def candidates(self, text: str, token_starts: list[int], province: str) -> list[Candidate]:
        cands = self.gazetteer_candidates(text, province)
        cands += self.counted_candidates(text)
        cands += self.quoted_candidates(text, token_starts)
        cands += self.suffix_candidates(text, token_starts)
        return sorted(set(cands))
