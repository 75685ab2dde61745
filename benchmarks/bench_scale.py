"""Build throughput on synthetic corpora of 1×, 10× (and 100×) the sample.

    python -m benchmarks.bench_scale [--scales 1 10] [--jobs 2] [--repeat 3]

Each synthetic corpus is made of the sample's documents recombined: sentences are shuffled
between documents of the same kind and the names of enterprises are renamed per copy (吉林
→ a different two-character prefix), so the recogniser meets new names. For each scale:
characters per second of a cold build (a new process, empty cache), of a warm rebuild
(nothing changed), peak memory (max RSS of the build process), triples, and the ratio to
bare jieba segmentation of the same text measured in the same run (and to jieba-rs, the
segmenter the pipeline uses, which gives jieba's words about twenty times faster); the
seconds of each stage come from the build's manifest.

The machine's speed drifts (a fixed loop took 1.4–2.3 s within an hour here), so each
cold build is timed between two jieba runs and its ratio taken against their mean; with
`--repeat N` the builds and jieba runs alternate N times and the medians are reported,
with the spread of the ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import time_segmentation

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "kg" / "data" / "corpus"
PREFIXES = ["松江", "长白", "辽河", "黑水", "龙泉", "青山", "红岩", "金川", "白云", "东湖", "西岭", "南湖"]


def synthesise(out: Path, scale: int, seed: int = 11) -> int:
    rng = random.Random(seed)
    docs = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))]
    chars = 0
    for copy in range(scale):
        prefix = PREFIXES[copy % len(PREFIXES)] + (str(copy // len(PREFIXES)) if copy >= len(PREFIXES) else "")
        for name, text in docs:
            lines = text.split("\n")
            head, body = lines[:3], lines[3:]
            if copy:
                rng.shuffle(body)
                body = [ln.replace("吉林化纤", prefix + "化纤").replace("吉林碳谷", prefix + "碳谷") for ln in body]
            new = "\n".join(head + body)
            (out / f"{copy:03d}_{name}").write_text(new, encoding="utf-8")
            chars += len(new)
    return chars


def texts_of(folder: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]


def timed_build(src: Path, out: Path, jobs: int) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", str(src), "--dir", str(out), "--jobs", str(jobs)],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - t
    peak_kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return seconds, peak_kb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="cold builds per scale, alternating with jieba")
    ap.add_argument("--json", default=str(ROOT / "output" / "bench_scale.json"))
    a = ap.parse_args()
    rows = []
    for scale in a.scales:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            src = tmp / "corpus"
            src.mkdir()
            chars = synthesise(src, scale)
            texts = texts_of(src)
            jieba_runs = [time_segmentation(texts, "jieba")]
            jieba_rs_s = time_segmentation(texts, "jieba-rs")
            colds, ratios, peak = [], [], 0
            for k in range(a.repeat):
                out = tmp / f"out{k}"
                cold, peak_k = timed_build(src, out, a.jobs)
                jieba_runs.append(time_segmentation(texts, "jieba"))
                colds.append(cold)
                ratios.append(cold / ((jieba_runs[-2] + jieba_runs[-1]) / 2))
                peak = max(peak, peak_k)
            del texts
            cold, jieba_s = statistics.median(colds), statistics.median(jieba_runs)
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            warm, _ = timed_build(src, out, a.jobs)
            triples = int(dict(manifest["summary"])["triples"])
            row = {
                "scale": scale,
                "documents": scale * 5,
                "characters": chars,
                "jieba_s": round(jieba_s, 2),
                "jieba_rs_s": round(jieba_rs_s, 3),
                "cold_s": round(cold, 2),
                "warm_s": round(warm, 2),
                "chars_per_s": round(chars / cold),
                "jieba_chars_per_s": round(chars / jieba_s),
                "build_over_jieba": round(statistics.median(ratios), 2),
                "build_over_jieba_range": [round(min(ratios), 2), round(max(ratios), 2)],
                "cold_runs_s": [round(c, 2) for c in colds],
                "jieba_runs_s": [round(j, 2) for j in jieba_runs],
                "build_over_jieba_rs": round(cold / jieba_rs_s),
                "warm_over_cold": round(warm / cold, 3),
                "peak_rss_mb": round(peak / 1024),
                "triples": triples,
                "stages_s": manifest.get("timings", {}),
            }
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    if len(rows) > 1:
        base = rows[0]
        for r in rows[1:]:
            print(f"{r['scale']}× takes {r['cold_s'] / base['cold_s']:.1f}× the time of 1×")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
