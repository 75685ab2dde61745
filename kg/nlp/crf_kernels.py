"""The CRF's inner loops, compiled by numba: Viterbi over the characters of many
paragraphs, and the sum of attribute weights per character.

In numpy, Viterbi is one step per character of the longest paragraph of a batch, each
step a few array operations of a few hundred numbers: the cost per call, not the
arithmetic, was the time (half of the CRF's). Here each paragraph is one loop of plain
arithmetic. Ties go to the first best label, as crfsuite does, and the tags are the same
as crfsuite's (tests/test_nlp.py).

Compiled code is cached beside this file (numba's `cache=True`), so a process after
the first loads it instead of compiling it again.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def viterbi(E: np.ndarray, bounds: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The best label of every character: E (characters × labels) holds the scores of
    all paragraphs one after another, paragraph k being rows bounds[k]:bounds[k + 1]."""
    n, size = E.shape
    out = np.zeros(n, dtype=np.int64)
    longest = 0
    for k in range(len(bounds) - 1):
        longest = max(longest, bounds[k + 1] - bounds[k])
    back = np.zeros((max(longest, 1), size), dtype=np.int64)
    delta = np.empty(size)
    nxt = np.empty(size)
    for k in range(len(bounds) - 1):
        s, e = bounds[k], bounds[k + 1]
        if e <= s:
            continue
        for y in range(size):
            delta[y] = E[s, y]
        for t in range(s + 1, e):
            for y in range(size):
                best = delta[0] + T[0, y]
                arg = 0
                for x in range(1, size):
                    v = delta[x] + T[x, y]
                    if v > best:
                        best = v
                        arg = x
                back[t - s, y] = arg
                nxt[y] = best + E[t, y]
            for y in range(size):
                delta[y] = nxt[y]
        cur = 0
        for y in range(1, size):
            if delta[y] > delta[cur]:
                cur = y
        out[e - 1] = cur
        for t in range(e - 1, s, -1):
            cur = back[t - s, cur]
            out[t - 1] = cur
    return out


@njit(cache=True, nogil=True)
def sum_rows(
    W: np.ndarray, bias: np.ndarray, rows: np.ndarray, extra_at: np.ndarray, extra_rows: np.ndarray
) -> np.ndarray:
    """Scores (characters × labels): the bias plus, for each character, the rows of W its
    attributes name (rows[i], 0 naming no weight), plus W[extra_rows[k]] at extra_at[k]."""
    n, columns = rows.shape
    size = W.shape[1]
    E = np.empty((n, size))
    for i in range(n):
        for y in range(size):
            E[i, y] = bias[y]
        for f in range(columns):
            r = rows[i, f]
            if r:
                for y in range(size):
                    E[i, y] += W[r, y]
    for k in range(len(extra_at)):
        i = extra_at[k]
        r = extra_rows[k]
        for y in range(size):
            E[i, y] += W[r, y]
    return E
