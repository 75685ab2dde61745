"""Repair extracted layout: drop artefacts, join broken lines, normalise characters.

PDF and newspaper extraction breaks sentences into lines of a few characters, puts
spaces between numbers and units and leaves page furniture in the text. Names that span
a line break would be lost to every later stage, so this runs first. Each output
character keeps the offset of the character it came from, for provenance.
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "cleaning.json"
TERMINAL = set("。！？!?；;：:")
CLOSERS = set("”’」』）)】》\"'")
PUNCT = set("，。、；：！？,.;:!?")


@dataclass(frozen=True)
class CleanRules:
    artefacts: tuple[re.Pattern, ...]
    headings: tuple[re.Pattern, ...]
    bullet: re.Pattern
    repeated_max: int
    repeated_min: int


@lru_cache(maxsize=1)
def load_rules(path: Path = DATA) -> CleanRules:
    d = json.loads(path.read_text(encoding="utf-8"))
    return CleanRules(
        artefacts=tuple(re.compile(p, re.M) for p in d["artefacts"]),
        headings=tuple(re.compile(p) for p in d["heading_patterns"]),
        bullet=re.compile(d["bullet_pattern"]),
        repeated_max=int(d["repeated_line_max_chars"]),
        repeated_min=int(d["repeated_line_min_count"]),
    )


@dataclass
class _Line:
    chars: list[tuple[int, str]]
    bullet: bool = False
    heading: bool = False

    @cached_property
    def text(self) -> str:
        """Read several times by the heading and joining rules; `chars` is final by then."""
        return "".join(c for _, c in self.chars)


def _artefact_mask(raw: str, rules: CleanRules) -> bytearray:
    keep = bytearray(b"\x01") * len(raw)
    for pat in rules.artefacts:
        for m in pat.finditer(raw):
            keep[m.start() : m.end()] = b"\x00" * (m.end() - m.start())
    return keep


def _line_spans(raw: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"\r\n|\r|\n|\u2028|\u2029|\x0c", raw):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(raw)))
    return spans


def _drop_repeated_lines(raw: str, spans: list[tuple[int, int]], keep: bytearray, rules: CleanRules) -> None:
    """Running page headers and footers repeat verbatim; body text does not."""
    texts = [re.sub(r"\s+", "", raw[s:e]) for s, e in spans]
    counts = Counter(t for t in texts if t)
    for (s, e), t in zip(spans, texts):
        if (
            6 <= len(t) <= rules.repeated_max
            and counts[t] >= rules.repeated_min
            and not (set(t) & PUNCT)
            and "%" not in t
        ):
            keep[s:e] = b"\x00" * (e - s)


def _build_lines(raw: str, rules: CleanRules) -> list[_Line]:
    keep = _artefact_mask(raw, rules)
    spans = _line_spans(raw)
    _drop_repeated_lines(raw, spans, keep, rules)
    lines: list[_Line] = []
    for s, e in spans:
        if 0 in keep[s:e]:
            chars = [(i, raw[i]) for i in range(s, e) if keep[i]]
            text = "".join(c for _, c in chars)
        else:  # nothing dropped from the line (the usual case)
            chars, text = list(zip(range(s, e), raw[s:e])), raw[s:e]
        m = rules.bullet.match(text)
        bullet = bool(m and m.end() > 0)
        if bullet:
            chars = chars[m.end() :]
        while chars and chars[0][1].isspace():
            chars.pop(0)
        while chars and chars[-1][1].isspace():
            chars.pop()
        if chars:
            lines.append(_Line(chars, bullet=bullet))
    return lines


def _mark_headings(lines: list[_Line], rules: CleanRules) -> None:
    lengths = [len(ln.chars) for ln in lines]
    median = statistics.median(lengths) if lengths else 0
    for i, ln in enumerate(lines):
        t = ln.text
        if any(p.match(t) for p in rules.headings):
            ln.heading = len(t) <= 60 or not (set(t[:-1]) & TERMINAL)
            continue
        prev_ends = i == 0 or _ends_sentence(lines[i - 1].text)
        short = len(t) <= 20 and len(t) < 0.7 * median
        if prev_ends and short and not (set(t) & PUNCT):
            ln.heading = True


def _ends_sentence(text: str) -> bool:
    t = text.rstrip("".join(CLOSERS))
    return bool(t) and t[-1] in TERMINAL


def _join_lines(lines: list[_Line]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for i, ln in enumerate(lines):
        if i > 0:
            prev = lines[i - 1]
            brk = _ends_sentence(prev.text) or prev.heading or prev.bullet or ln.heading or ln.bullet
            if brk:
                out.append((prev.chars[-1][0] + 1, "\n"))
        out.extend(ln.chars)
    return out


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


_NFKC: dict[str, str] = {}  # character → its NFKC form, filled as characters are met


def _normalise(chars: list[tuple[int, str]]) -> tuple[str, list[int]]:
    """NFKC each character, then drop spaces except between two Latin words."""
    expanded: list[tuple[int, str]] = []
    for i, ch in chars:
        norm = _NFKC.get(ch)
        if norm is None:
            norm = _NFKC[ch] = unicodedata.normalize("NFKC", ch)
        if len(norm) == 1:
            expanded.append((i, norm))
        else:
            expanded.extend((i, c) for c in norm)
    text: list[str] = []
    offsets: list[int] = []
    n = len(expanded)
    for k, (i, c) in enumerate(expanded):
        if c != "\n" and c.isspace():
            left = text[-1] if text else ""
            j = k + 1
            while j < n and expanded[j][1] != "\n" and expanded[j][1].isspace():
                j += 1
            right = expanded[j][1] if j < n else ""
            if _is_ascii_alnum(left) and _is_ascii_alnum(right) and text[-1] != " ":
                text.append(" ")
                offsets.append(i)
            continue
        if c in "\u200b\ufeff\u00ad":
            continue
        text.append(c)
        offsets.append(i)
    return "".join(text), offsets


def clean_text(raw: str) -> tuple[str, list[int]]:
    """Return the clean text and, for each of its characters, the original offset."""
    rules = load_rules()
    lines = _build_lines(raw, rules)
    _mark_headings(lines, rules)
    return _normalise(_join_lines(lines))
