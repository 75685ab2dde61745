"""Time `kg build` on the bundled corpus against bare jieba segmentation of the same text.

    python -m benchmarks.bench_build [--repeat 3]

Both are measured in the same run on the same machine, so the ratio is what to compare
across machines; the absolute seconds are this machine's. The build is timed cold (a new
process loads the spaCy pipeline, then reads, recognises, resolves, graphs and writes
graph.ttl and the store) and warm (pipeline already loaded).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import time_segmentation

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "kg" / "data" / "corpus"


def corpus_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]


def time_warm_build(repeat: int) -> float:
    from kg.nlp import load
    from kg.pipeline import build

    load()
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            build(None, Path(out))
            runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def time_cold_build() -> float:
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kg.cli", "build", "--dir", out], check=True, capture_output=True)
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=str(ROOT / "output" / "bench_build.json"))
    a = ap.parse_args()
    texts = corpus_texts()
    chars = sum(len(t) for t in texts)
    jieba_s = time_segmentation(texts, "jieba", a.repeat)
    warm_s = time_warm_build(a.repeat)
    cold_s = time_cold_build()
    result = {
        "documents": len(texts),
        "characters": chars,
        "jieba_seconds": round(jieba_s, 3),
        "build_warm_seconds": round(warm_s, 3),
        "build_cold_seconds": round(cold_s, 3),
        "jieba_chars_per_second": round(chars / jieba_s),
        "build_chars_per_second": round(chars / warm_s),
        "build_over_jieba_time_ratio": round(warm_s / jieba_s, 2),
    }
    for k, v in result.items():
        print(f"{k:30s} {v}")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
