"""Small helpers the benchmark scripts share."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable


def free_port() -> int:
    """A port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of a non-empty list."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def segmenter(name: str) -> Callable[[str], object]:
    """`jieba` (the Python reference the issue measures against) or `jieba-rs` (the
    segmenter the pipeline uses); initialised before any timing."""
    if name == "jieba":
        import jieba

        jieba.initialize()
        return jieba.lcut
    import rjieba

    return rjieba.cut


def time_segmentation(texts: list[str], name: str = "jieba", repeat: int = 1) -> float:
    """Median seconds to segment all `texts` with `segmenter(name)`."""
    cut = segmenter(name)
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        for text in texts:
            cut(text)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


# The machine the budgets were first set on segmented the bundled corpus with bare jieba in
# 0.15 s (benchmarks/bench_scale.py, 1×). A machine's slowness is its jieba time on the same
# text over that, measured in the same run: the figures of a benchmark or a test's time
# budget scale with it.
REFERENCE_JIEBA_SECONDS = 0.15


def jieba_on_corpus(repeat: int = 3) -> float:
    """Median seconds bare jieba takes to segment the bundled corpus here."""
    from kg.pipeline import CORPUS

    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    return time_segmentation(texts, "jieba", repeat=repeat)
