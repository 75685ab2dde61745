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
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

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


@dataclass(eq=False)  # an array field: compared by identity
class _Line:
    """A line's text and, per character, its offset in the raw text (a string and an
    integer array rather than a (offset, character) pair per character: the text is
    sliced and joined by str methods, the offsets by array views, not a Python loop or
    a Python int per character)."""

    text: str
    offsets: np.ndarray
    bullet: bool = False
    heading: bool = False


def _artefact_mask(raw: str, rules: CleanRules) -> bytearray:
    keep = bytearray(b"\x01") * len(raw)
    for pat in rules.artefacts:
        for m in pat.finditer(raw):
            keep[m.start() : m.end()] = b"\x00" * (m.end() - m.start())
    return keep


LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x0c")
SPACE_IN_LINE = re.compile(r"[^\S\r\n\u2028\u2029\x0c]+")  # whitespace but a line break


def _line_spans(raw: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in LINE_BREAK.finditer(raw):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(raw)))
    return spans


def _lines_without_spaces(raw: str, spans: list[tuple[int, int]]) -> list[str]:
    """Each line's text without its whitespace: one substitution over the whole text, then
    cut at the line breaks (a substitution per line took a third of the cleaning). Should
    taking the spaces out join two breaks into one (\r then \n), line by line instead."""
    texts = LINE_BREAK.split(SPACE_IN_LINE.sub("", raw))
    if len(texts) != len(spans):
        texts = [re.sub(r"\s+", "", raw[s:e]) for s, e in spans]
    return texts


def _drop_repeated_lines(raw: str, spans: list[tuple[int, int]], keep: bytearray, rules: CleanRules) -> None:
    """Running page headers and footers repeat verbatim; body text does not."""
    texts = _lines_without_spaces(raw, spans)
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
    every = np.arange(len(raw), dtype=np.int64)  # the offsets of a line are a view of it
    kept = np.frombuffer(bytes(keep), dtype=np.uint8)
    lines: list[_Line] = []
    for s, e in spans:
        if 0 in keep[s:e]:
            offsets = np.flatnonzero(kept[s:e]) + s
            text = "".join([raw[i] for i in offsets.tolist()])
        else:  # nothing dropped from the line (the usual case)
            offsets, text = every[s:e], raw[s:e]
        m = rules.bullet.match(text)
        bullet = bool(m and m.end() > 0)
        if bullet:
            text, offsets = text[m.end() :], offsets[m.end() :]
        lead = len(text) - len(text.lstrip())
        stripped = text.strip()
        if stripped:
            lines.append(_Line(stripped, offsets[lead : lead + len(stripped)], bullet=bullet))
    return lines


def _mark_headings(lines: list[_Line], rules: CleanRules) -> None:
    lengths = [len(ln.text) for ln in lines]
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


def _join_lines(lines: list[_Line]) -> tuple[str, np.ndarray]:
    pieces: list[str] = []
    offsets: list[np.ndarray] = []
    for i, ln in enumerate(lines):
        if i > 0:
            prev = lines[i - 1]
            brk = _ends_sentence(prev.text) or prev.heading or prev.bullet or ln.heading or ln.bullet
            if brk:
                pieces.append("\n")
                offsets.append(prev.offsets[-1:] + 1)
        pieces.append(ln.text)
        offsets.append(ln.offsets)
    return "".join(pieces), _concatenate(offsets)


def _concatenate(offsets: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64)


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


_NFKC: dict[str, str] = {}  # character → its NFKC form, filled as characters are met
INVISIBLE = "\u200b\ufeff\u00ad"  # zero-width space, BOM, soft hyphen: dropped
_SPACES_OR_INVISIBLE = re.compile(f"[^\\S\n]+|[{INVISIBLE}]")


def _nfkc_each(text: str, offsets: np.ndarray) -> tuple[str, np.ndarray]:
    """NFKC of each character on its own (not of the text: that would compose across
    characters); a character that becomes several keeps its offset for each."""
    chars = set(text)
    for ch in chars - _NFKC.keys():
        _NFKC[ch] = unicodedata.normalize("NFKC", ch)
    changed = {ch: _NFKC[ch] for ch in chars if _NFKC[ch] != ch}
    if not changed:
        return text, offsets
    if all(len(v) == 1 for v in changed.values()):
        return text.translate(str.maketrans(changed)), offsets
    pieces: list[str] = []
    out: list[np.ndarray] = []
    pos = 0
    for m in re.finditer("|".join(map(re.escape, (c for c, v in changed.items() if len(v) != 1))), text):
        pieces.append(text[pos : m.start()])
        out.append(offsets[pos : m.start()])
        pieces.append(changed[m.group()])
        out.append(np.full(len(changed[m.group()]), offsets[m.start()]))
        pos = m.end()
    pieces.append(text[pos:])
    out.append(offsets[pos:])
    return "".join(pieces).translate(str.maketrans({c: v for c, v in changed.items() if len(v) == 1})), _concatenate(
        out
    )


def _normalise(text: str, offsets: np.ndarray) -> tuple[str, np.ndarray]:
    """NFKC each character, then drop spaces except between two Latin words (a run of
    spaces becomes one) and the invisible characters (zero-width space, BOM, soft hyphen)."""
    text, offsets = _nfkc_each(text, offsets)
    pieces: list[str] = []
    out: list[np.ndarray] = []
    pos = 0
    left = ""  # the last character kept
    for m in _SPACES_OR_INVISIBLE.finditer(text):
        if m.start() > pos:
            pieces.append(text[pos : m.start()])
            out.append(offsets[pos : m.start()])
            left = text[m.start() - 1]
        pos = m.end()
        if m.group()[0] in INVISIBLE:
            continue
        right = text[m.end()] if m.end() < len(text) else ""
        if _is_ascii_alnum(left) and _is_ascii_alnum(right):
            pieces.append(" ")
            out.append(offsets[m.start() : m.start() + 1])
            left = " "
    if pos == 0:
        return text, offsets
    pieces.append(text[pos:])
    out.append(offsets[pos:])
    return "".join(pieces), _concatenate(out)


def clean_text(raw: str) -> tuple[str, array]:
    """Return the clean text and, for each of its characters, the original offset.

    The offsets are an array('i'), not a list: 4 bytes a character instead of about 36,
    and one block to pickle for the cache and the worker processes."""
    rules = load_rules()
    lines = _build_lines(raw, rules)
    _mark_headings(lines, rules)
    text, offsets = _normalise(*_join_lines(lines))
    return text, array("i", offsets.astype(np.int32).tobytes())
