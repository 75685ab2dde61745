"""Plain records that flow between the pipeline stages.

Each stage takes and returns these dataclasses, so a stage can be tested alone and
replaced without touching the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import attrgetter

ENTITY_CLASSES = (
    "Enterprise",
    "Organization",
    "Project",
    "Place",
    "Programme",
    "Industry",
    "Product",
)


def pickled_by_constructor(cls):
    """Pickle the dataclass `cls` as its constructor's arguments, not as a dict per object:
    a build pickles hundreds of thousands of sentences and mentions (the cache, and the
    workers' results) and unpickles them twice, and this takes half the time."""
    names = [f.name for f in fields(cls) if f.init]
    values = attrgetter(*names) if len(names) > 1 else (lambda record: (getattr(record, names[0]),))

    def __reduce__(self):
        return type(self), values(self)

    cls.__reduce__ = __reduce__
    return cls


@dataclass
class Document:
    """One source file after reading and cleaning.

    `offsets[i]` is the character offset in the original decoded file of `text[i]`;
    provenance is carried from here, never reconstructed afterwards.
    """

    id: str
    path: str
    raw: str
    text: str
    offsets: Sequence[int]  # an array('i') from kg.ingest; any sequence of ints will do
    encoding: str = "utf-8"
    title: str = ""
    region: str = ""
    region_level: str = ""
    year_delivered: int | None = None
    review_year: int | None = None
    plan_year: int | None = None
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def name(self) -> str:
        from pathlib import Path

        return Path(self.path).name

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a clean-text span back to offsets in the original file."""
        if not self.offsets:
            return (start, end)
        s = self.offsets[min(start, len(self.offsets) - 1)]
        e = self.offsets[min(max(end - 1, 0), len(self.offsets) - 1)] + 1
        return (s, e)


@pickled_by_constructor
@dataclass
class Sentence:
    """A sentence of a document with the structure above it."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    section: str = "other"  # review | plan | targets | other
    headings: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.doc_id}-s{self.index}"


@pickled_by_constructor
@dataclass
class Mention:
    """A recognised span: its sentence, class, surface form and the rule that found it."""

    doc_id: str
    sentence: int
    start: int  # offsets in the document's clean text
    end: int
    label: str
    text: str
    source: str


@dataclass
class Entity:
    """One real thing across sentences and documents."""

    iri: str
    label: str  # canonical name
    cls: str
    alt_labels: set[str] = field(default_factory=set)
    mentions: list[Mention] = field(default_factory=list)
    code: str = ""  # administrative division code for places
    lon: float | None = None
    lat: float | None = None


@pickled_by_constructor
@dataclass
class Evidence:
    """Where a fact comes from: document, sentence, offsets, the rule and its confidence."""

    doc_id: str
    sentence: int
    start: int = 0  # offsets in the original file
    end: int = 0
    rule: str = ""
    confidence: float = 1.0


@dataclass
class Relation:
    head: str
    prop: str
    tail: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Observation:
    """One figure: RDF Data Cube dimensions, measure and attributes, with its evidence."""

    area: str  # IRI of a place, enterprise or project
    indicator: str  # normalised Chinese name
    period: int
    value: float
    unit: str
    measure: str  # level | growth | share | rank
    status: str  # actual | target
    qualifier: str = ""  # 以上, 左右, 不少于, 区间 …
    evidence: list[Evidence] = field(default_factory=list)
    text: str = ""  # the words around the figure

    @cached_property
    def key(self) -> str:
        """Its identity, the local name of its IRI: the same figure stated twice has one
        key. Kept once computed (merging, sorting and the graph each read it; nothing
        changes the fields it reads once the figure is found)."""
        raw = f"{self.area}|{self.indicator}|{self.period}|{self.value}|{self.unit}|{self.measure}|{self.status}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]


# what a document's figures and its graph part read of resolution: sentence index →
# (start, end, entity) of each entity occurring in the sentence
Occurrences = dict[int, list[tuple[int, int, Entity]]]
