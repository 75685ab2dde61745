"""Train the CRF on the sample corpus, and measure leave-one-document-out.

    python -m benchmarks.train_and_evaluate --train   # kg/data/models/ner.crfsuite
    python -m benchmarks.train_and_evaluate --loo     # per held-out document: entity P/R/F1

For each held-out document the CRF is trained on the other four, the document is built
alone, and the graph is scored with ../shared/eval/score.py against the gold entities
whose name or alias occurs in that document (and the relations and observations whose
evidence does). Document 001 digests 000, so its held-out figure is optimistic.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
GOLD = SHARED / "eval" / "gold_seeds.json"
SCORER = SHARED / "eval" / "score.py"
CORPUS = ROOT / "kg" / "data" / "corpus"
MODEL = ROOT / "kg" / "data" / "models" / "ner.crfsuite"
QUOTES = "“”‘’\"'「」『』《》"


def norm(s: str) -> str:
    return re.sub("[%s\\s]" % re.escape(QUOTES), "", unicodedata.normalize("NFKC", s))


def gold_for(text: str, gold: dict) -> dict:
    t = norm(text)
    ents = [e for e in gold["entities"] if any(norm(n) in t for n in [e["name"], *e.get("aliases", [])])]
    names = {e["name"] for e in ents}
    rels = [r for r in gold["relations"] if r["head"] in names and r["tail"] in names and norm(r["evidence"]) in t]
    obs = [o for o in gold["observations"] if o["area"] in names and norm(o["evidence"]) in t]
    return {"entities": ents, "relations": rels, "observations": obs}


def score(gold_file: Path, graph: Path) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    subprocess.run(
        [
            sys.executable,
            str(SCORER),
            str(gold_file),
            str(graph),
            *map(str, sorted((ROOT / "ontology").glob("*.ttl"))),
            "--json",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def docs():
    from kg.ingest import load_document

    return [load_document(p) for p in sorted(CORPUS.glob("*.txt"))]


def train_full() -> None:
    from kg.nlp.train import train

    train(docs(), GOLD, MODEL)
    print(f"wrote {MODEL}")


def leave_one_out(classes: list[str], **params) -> list[dict]:
    from kg.nlp import load
    from kg.nlp.train import train
    from kg.pipeline import build

    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    all_docs = docs()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for held in all_docs:
            model = tmp / f"crf-{held.name}.crfsuite"
            train([d for d in all_docs if d.id != held.id], GOLD, model, **params)
            nlp = load(model=str(model))
            out = tmp / held.name
            build([Path(held.path)], out, nlp=nlp)
            g = tmp / f"gold-{held.name}.json"
            g.write_text(json.dumps(gold_for(held.text, gold), ensure_ascii=False), encoding="utf-8")
            rep = score(g, out / "graph.ttl")
            row = {
                "doc": held.name,
                **{c: rep["entities"][c] for c in classes + ["ALL"]},
                "relations": rep["relations"]["ALL"],
                **{f"rel:{k}": v for k, v in rep["relations"].items()},
                "observations": rep["observations"]["full"],
            }
            rows.append(row)
            a = row["ALL"]
            head = f"{held.name}: entities F1 {a['f1']:.3f} (P {a['precision']:.3f} R {a['recall']:.3f})"
            print(head + "  " + "  ".join(f"{c} {row[c]['f1']:.2f}" for c in classes), flush=True)
    keys = classes + ["ALL"] + [k for k in rows[0] if k.startswith("rel:")] + ["observations"]
    for c in keys:
        p, r = micro(rows, c)
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"micro over held-out documents, {c:18s}: P {p:.3f} R {r:.3f} F1 {f:.3f}")
    return rows


def micro(rows: list[dict], key: str) -> tuple[float, float]:
    tp_p = sum(r[key]["precision"] * r[key]["predicted"] for r in rows)
    n_p = sum(r[key]["predicted"] for r in rows)
    tp_r = sum(r[key]["recall"] * r[key]["gold"] for r in rows)
    n_r = sum(r[key]["gold"] for r in rows)
    return (tp_p / n_p if n_p else 0.0, tp_r / n_r if n_r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="train on all five documents and write the shipped model")
    ap.add_argument("--loo", action="store_true", help="leave-one-document-out evaluation")
    ap.add_argument("--json", help="write the leave-one-out rows here")
    ap.add_argument("--c1", type=float, default=None, help="L1 regularisation (default: the shipped setting)")
    ap.add_argument("--c2", type=float, default=None, help="L2 regularisation")
    a = ap.parse_args()
    if not GOLD.exists():
        sys.exit(f"no gold file at {GOLD}")
    if a.train:
        train_full()
    if a.loo:
        params = {k: v for k, v in (("c1", a.c1), ("c2", a.c2)) if v is not None}
        classes = ["Enterprise", "Organization", "Project", "Place", "Programme", "Industry", "Product"]
        rows = leave_one_out(classes, **params)
        if a.json:
            Path(a.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    if not (a.train or a.loo):
        ap.print_help()


if __name__ == "__main__":
    main()
