"""The administrative-division gazetteer: names, codes, hierarchy and coordinates.

A look-up, not content: only the divisions a document mentions (and their ancestors)
enter the graph. The table is the GB/T 2260-based one that ships with cpca, corrected by
`data/gazetteer/division_changes.tsv` for changes newer than it.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "gazetteer"
LEVELS = ("province", "prefecture", "county")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent: str
    lon: float | None
    lat: float | None

    @property
    def province(self) -> str:
        return self.code[:2] + "0000000000"


def _level(code: str) -> str:
    if code[2:] == "0000000000":
        return "province"
    if code[4:] == "00000000":
        return "prefecture"
    return "county"


def _cpca_file(name: str) -> Path:
    """A data file of the cpca package, found without importing cpca (its import loads
    its own address tables and pkg_resources: a tenth of a second in every process)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cpca (the division table's package) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / name


def _rows(path: Path) -> list[list[str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(line.split("\t"))
    return out


class Gazetteer:
    """Divisions by code and by every name a report may use for them."""

    def __init__(self) -> None:
        self.by_code: dict[str, Division] = {}
        self.by_name: dict[str, list[Division]] = {}
        self._load()

    def _load(self) -> None:
        table = _cpca_file("resources/adcodes.csv")
        raw: dict[str, tuple[str, float | None, float | None]] = {}
        with table.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                name = row["name"].strip()
                if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                    continue
                lon = float(row["longitude"]) if row["longitude"] else None
                lat = float(row["latitude"]) if row["latitude"] else None
                raw[row["adcode"]] = (name, lon, lat)
        parents: dict[str, str] = {}
        for old, new, name, parent, *_ in _rows(DATA / "division_changes.tsv"):
            if old in raw:
                raw[new] = (name, raw[old][1], raw[old][2])
                del raw[old]
            parents[new] = parent
        for code, (name, lon, lat) in raw.items():
            level = _level(code)
            parent = parents.get(code, "")
            if not parent and level == "county":
                parent = code[:4] + "00000000"
                if parent not in raw:
                    parent = code[:2] + "0000000000"
            elif not parent and level == "prefecture":
                parent = code[:2] + "0000000000"
            self.by_code[code] = Division(code, name, level, parent, lon, lat)
        stop = {
            w for w in (DATA / "short_form_stoplist.txt").read_text(encoding="utf-8").split() if not w.startswith("#")
        }
        suffixes = [(r[0], int(r[1]), r[2] if len(r) > 2 else "") for r in _rows(DATA / "place_short_forms.tsv")]
        for d in sorted(self.by_code.values(), key=lambda d: d.code):
            for form in {d.name} | self._short_forms(d, suffixes, stop):
                self.by_name.setdefault(form, []).append(d)
        self.nicknames: set[str] = set()
        for nick, code, *_ in _rows(DATA / "nicknames.tsv"):
            if code in self.by_code:
                self.by_name.setdefault(nick, []).append(self.by_code[code])
                self.nicknames.add(nick)

    @staticmethod
    def _short_forms(d: Division, suffixes: list[tuple[str, int, str]], stop: set[str]) -> set[str]:
        forms: set[str] = set()
        for suffix, min_rest, also in suffixes:
            if d.name.endswith(suffix) and len(d.name) - len(suffix) >= min_rest:
                rest = d.name[: -len(suffix)]
                if rest not in stop:
                    forms.add(rest)
                if also:
                    forms.add(rest + also)
                break
        return forms

    def candidates(self, name: str) -> list[Division]:
        return self.by_name.get(name, [])

    def lookup(self, name: str, province: str = "") -> Division | None:
        """The division a name most likely means in a document of the given province.

        Short county names are only trusted inside the document's own province, where
        a report uses them; elsewhere a name must be the full official one.
        """
        cands = self.candidates(name)
        if not cands:
            return None

        def rank(d: Division) -> tuple:
            home = bool(province) and d.province == province
            exact = d.name == name
            return (not home, LEVELS.index(d.level), not exact, d.code)

        best = sorted(cands, key=rank)[0]
        home = bool(province) and best.province == province
        if best.level == "county" and best.name != name and not home:
            return None
        if name in self.nicknames and not home:
            return None  # a nickname means a city only in its own province's reports
        return best

    def ancestors(self, d: Division) -> list[Division]:
        out = []
        cur = d
        while cur.parent and cur.parent in self.by_code and cur.parent != cur.code:
            cur = self.by_code[cur.parent]
            out.append(cur)
        return out

    def names(self) -> list[str]:
        return sorted(self.by_name)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()
