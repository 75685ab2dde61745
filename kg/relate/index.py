"""Lookups of names inside names, in time linear in the name, not in the number of names.

The name rules ask "which enterprise's name begins this project's name?" and "which
industry's name occurs inside this one?". Scanning every candidate for every name grew
with the square of the corpus (a fifth of the build at 100× the sample); these indexes
answer from a dictionary keyed by the candidate's text, and give the candidates in the
order the rules were written for, so the edges are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class PrefixIndex(Generic[T]):
    """Forms → the values that have them, in the order given."""

    def __init__(self, pairs: Iterable[tuple[str, T]]) -> None:
        self.by_form: dict[str, list[T]] = {}
        for form, value in pairs:
            self.by_form.setdefault(form, []).append(value)

    def prefixes(self, text: str, longest: int, shortest: int) -> Iterator[tuple[str, list[T]]]:
        """(prefix, values) for the prefixes of `text` that are forms, longest first."""
        for n in range(min(longest, len(text)), shortest - 1, -1):
            values = self.by_form.get(text[:n])
            if values:
                yield text[:n], values

    def get(self, form: str) -> list[T]:
        return self.by_form.get(form, [])


class SubstringIndex:
    """Which of a list of keys occur inside a text: positions in the list, ascending."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.by_head: dict[str, list[int]] = {}
        self.short: list[int] = []
        for i, k in enumerate(keys):
            if len(k) >= 2:
                self.by_head.setdefault(k[:2], []).append(i)
            else:
                self.short.append(i)

    def within(self, text: str) -> list[int]:
        hits = {i for i in self.short if self.keys[i] in text}
        for p in range(len(text) - 1):
            for i in self.by_head.get(text[p : p + 2], ()):
                if text.startswith(self.keys[i], p):
                    hits.add(i)
        return sorted(hits)
