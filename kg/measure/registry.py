"""The indicator registry (`indicators.tsv`): one node per indicator across documents."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "indicators.tsv"


@dataclass(frozen=True)
class Indicator:
    name: str
    english: str
    aliases: tuple[str, ...]
    units: tuple[str, ...]


@lru_cache(maxsize=1)
def registry() -> dict[str, Indicator]:
    """Canonical name and every alias → the indicator."""
    out: dict[str, Indicator] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, english, aliases, units = (line.split("\t") + ["", "", ""])[:4]
        ind = Indicator(
            name, english, tuple(a for a in aliases.split(",") if a), tuple(u for u in units.split(",") if u)
        )
        for n in (name, *ind.aliases):
            out[n] = ind
    return out


def canonical_indicator(name: str) -> str:
    """The registry's name for a known indicator; other names pass through unchanged."""
    ind = registry().get(name)
    return ind.name if ind else name


def english_label(name: str) -> str:
    ind = registry().get(name)
    return ind.english if ind else ""
