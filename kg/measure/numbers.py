"""Numbers as reports write them: Arabic with decimals, Chinese numerals, magnitudes.

cn2an converts Chinese numerals; this module adds what it refuses (a bare 百 or 千 as in
百亿斤, 一半) and finds each figure with its unit and qualifiers in a clause.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.nlp.rules import HAN

DATA = Path(__file__).resolve().parent / "units.json"
CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"


@lru_cache(maxsize=1)
def vocab() -> dict:
    d = json.loads(DATA.read_text(encoding="utf-8"))
    d["units"] = sorted(d["units"], key=len, reverse=True)
    return d


@lru_cache(maxsize=4096)
def chinese_to_number(s: str) -> float | None:
    """一百 → 100, 两 → 2, 百 → 100, 十 → 10; None when it is not a numeral.

    Kept per numeral: reports write few distinct ones (一, 两, 三… make most of them) and
    cn2an's reading of one took longer than finding the figures of its clause."""
    import cn2an

    bare = {"百": 100, "千": 1000, "万": 10000, "十": 10, "半": 0.5}
    if s in bare:
        return float(bare[s])
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, IndexError):
        return None


@dataclass
class Figure:
    start: int  # offsets in the clause text
    end: int
    value: float
    unit: str
    qualifier: str = ""
    upper: float | None = None  # a range 6%—7% keeps its upper bound here


NUMERALS = "一二两三四五六七八九十百千"  # Chinese numerals a figure can be written in


@lru_cache(maxsize=1)
def figure_re() -> re.Pattern:
    v = vocab()
    units = "|".join(re.escape(u) for u in v["units"])
    num = rf"(?:\d+(?:\.\d+)?|[{NUMERALS}]+(?:点[一二三四五六七八九〇零]+)?)"
    return re.compile(
        rf"(?P<v>{num})(?P<approx>余|多)?(?P<mag>[万亿]?)(?P<u>{units})?(?:\s*(?:[-—~～至到])\s*(?P<v2>{num})(?P=mag)?(?P=u)?)?"
        rf"(?P<u2>{units})?"
    )


def parse_value(s: str) -> float | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    if "点" in s:
        whole, frac = s.split("点", 1)
        w = chinese_to_number(whole)
        digits = "".join(str(int(chinese_to_number(c) or 0)) for c in frac)
        return None if w is None else float(f"{int(w)}.{digits}")
    return chinese_to_number(s)


HALF = re.compile(r"一半(以上|左右)?")
DATE_AFTER = re.compile(r"[年月日号届]")


@lru_cache(maxsize=1)
def _word_tuples() -> dict[str, tuple[str, ...]]:
    """The word lists of units.json that a figure's context is compared with, as tuples
    for one startswith/endswith call each."""
    v = vocab()
    return {k: tuple(v[k]) for k in ("excluded_after", "qualifiers_after", "qualifiers_before", "slogan_nouns")}


def find_figures(clause: str) -> list[Figure]:
    """Every number in a clause that carries a unit, with its qualifier."""
    v = vocab()
    words = _word_tuples()
    out = []
    for m in HALF.finditer(clause) if "一半" in clause else ():
        # 占比达到一半以上: half, as a share
        out.append(Figure(m.start(), m.end(), 50.0, "%", m.group(1) or ""))
    for m in figure_re().finditer(clause):
        unit = m.group("u") or m.group("u2")
        if not unit:
            continue
        raw = m.group("v")
        if not raw[0].isdigit() and len(raw) == 1 and raw in "十百千" and not m.group("mag"):
            continue  # 百 alone before a unit is a word (百场), not a figure
        value = parse_value(raw)
        if value is None:
            continue
        mag = m.group("mag")
        if mag and not unit.startswith(("万", "亿")):
            unit = mag + unit
        elif mag:
            value *= 10000 if mag == "万" else 1e8
        after = clause[m.end() :]
        if unit in ("个", "周") and after.startswith(words["excluded_after"]):
            continue
        if unit in ("", "个") and DATE_AFTER.match(after):
            continue
        if clause[max(0, m.start() - 1) : m.start()] in ("第", "前") and unit not in ("%",):
            continue
        qual = m.group("approx")
        if not qual and after.startswith(words["qualifiers_after"]):
            qual = next(q for q in v["qualifiers_after"] if after.startswith(q))
        before = clause[max(0, m.start() - 3) : m.start()]
        if not qual and before.endswith(words["qualifiers_before"]):
            qual = next(q for q in v["qualifiers_before"] if before.endswith(q))
        qual = qual or ""
        if m.group("v2"):
            qual = qual or "区间"
        upper = parse_value(m.group("v2")) if m.group("v2") else None
        end = m.end() + (len(qual) if qual and after.startswith(qual) and not m.group("approx") else 0)
        if unit == "百分点":
            unit = "个百分点"
        if unit in ("小时", "天") and HAN.match(after):
            continue  # 24小时供水: a duration that describes a noun
        if not raw[0].isdigit() and after.startswith(words["slogan_nouns"]):
            continue  # 中央八项规定, 四个意识: a set phrase of party language, not a count
        if clause[max(0, m.start() - 1) : m.start()] == "·":
            continue  # 2024·1: an issue number of a gazette
        if after.startswith("数"):
            continue  # 两位数增长: a manner of speaking, not a figure
        if raw == "一" and unit not in ("%",):
            continue  # 一批, 一个, 一项: an article, not a count
        if not raw[0].isdigit() and ("“" in clause[max(0, m.start() - 1) : m.start()] or "”" in after[:4]):
            continue  # “两个维护”, “四个意识”: a numbered slogan, not a figure
        out.append(Figure(m.start(), end, value, unit, qual, upper))
    return sorted(out, key=lambda f: f.start)
