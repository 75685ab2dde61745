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


@njit(cache=True, nogil=True)
def bio_spans(path: np.ndarray, bounds: np.ndarray, kind: np.ndarray, cls: np.ndarray, han: np.ndarray) -> np.ndarray:
    """The spans of a label path as rows (paragraph, start, end, class), offsets within
    the paragraph: `kg.nlp.crf.decode_bio` over every paragraph at once.

    kind[y] is 0 for O, 1 for B-, 2 for I-, 3 for any other label, cls[y] the label's
    class; han[i] counts the Han characters before character i (han has one more item
    than path). A span is kept when it has two characters or more and one of them is Han.
    """
    out = np.empty((len(path), 4), dtype=np.int64)
    count = 0
    for k in range(len(bounds) - 1):
        s, e = bounds[k], bounds[k + 1]
        start = -1
        label = -1
        for i in range(s, e + 1):
            t_kind = 0
            t_cls = -1
            if i < e:
                t_kind = kind[path[i]]
                t_cls = cls[path[i]]
            if t_kind == 0 or t_kind == 1 or (start >= 0 and t_cls != label):
                if start >= 0 and i - start >= 2 and han[i] > han[start]:
                    out[count, 0] = k
                    out[count, 1] = start - s
                    out[count, 2] = i - s
                    out[count, 3] = label
                    count += 1
                start = -1
            if t_kind == 1 or (t_kind == 2 and start < 0):
                start = i
                label = t_cls
    return out[:count]


@njit(cache=True, nogil=True)
def trie_scan(
    text: np.ndarray, first: np.ndarray, chars: np.ndarray, nodes: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Longest dictionary words, left to right, not overlapping: rows (start, end, value).

    The trie is in arrays: the children of node k are chars[first[k]:first[k + 1]]
    (sorted code points) leading to nodes[…]; values[k] is the word's value id, or -1.
    """
    out = np.empty((len(text), 3), dtype=np.int64)
    count = 0
    n = len(text)
    i = 0
    while i < n:
        node = 0
        j = i
        best_end = -1
        best_value = -1
        while j < n:
            lo = first[node]
            hi = first[node + 1]
            c = text[j]
            while lo < hi:  # binary search of the character among the node's children
                mid = (lo + hi) // 2
                if chars[mid] < c:
                    lo = mid + 1
                else:
                    hi = mid
            if lo == first[node + 1] or chars[lo] != c:
                break
            node = nodes[lo]
            j += 1
            if values[node] >= 0:
                best_end = j
                best_value = values[node]
        if best_end > 0:
            out[count, 0] = i
            out[count, 1] = best_end
            out[count, 2] = best_value
            count += 1
            i = best_end
        else:
            i += 1
    return out[:count]
