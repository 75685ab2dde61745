"""Parallel and incremental builds give exactly the graph a clean serial build gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.pipeline import CORPUS, build

pytestmark = pytest.mark.slow


def corpus_copy(tmp: Path) -> Path:
    src = tmp / "corpus"
    shutil.copytree(CORPUS, src)
    return src


def test_same_graph_from_one_and_two_processes(sample_build: Path, tmp_path: Path) -> None:
    build(None, tmp_path / "two", jobs=2)
    for name in ("graph.ttl", "graph.nq"):
        assert (tmp_path / "two" / name).read_bytes() == (sample_build / name).read_bytes()


def test_incremental_build_after_an_edit_equals_a_clean_build(tmp_path: Path) -> None:
    src = corpus_copy(tmp_path)
    inc = tmp_path / "incremental"
    build([src], inc)
    doc = next(src.glob("004_*.txt"))
    text = doc.read_text(encoding="utf-8")
    assert "新建高标准农田40.8万亩" in text
    doc.write_text(text.replace("新建高标准农田40.8万亩", "新建高标准农田41.6万亩"), encoding="utf-8")
    report = build([src], inc)
    assert not report.up_to_date
    clean = tmp_path / "clean"
    build([src], clean)
    for name in ("graph.ttl", "graph.nq"):
        assert (inc / name).read_bytes() == (clean / name).read_bytes()
    assert b"41.6" in (inc / "graph.ttl").read_bytes()
    # a removed document takes exactly its own facts with it
    (src / doc.name).unlink()
    build([src], inc)
    clean2 = tmp_path / "clean2"
    build([src], clean2)
    for name in ("graph.ttl", "graph.nq"):
        assert (inc / name).read_bytes() == (clean2 / name).read_bytes()
    from conftest import assert_conforms

    assert_conforms(inc / "graph.ttl")


def test_unchanged_rebuild_is_up_to_date(tmp_path: Path) -> None:
    src = corpus_copy(tmp_path)
    out = tmp_path / "out"
    first = build([src], out)
    before = (out / "graph.ttl").read_bytes()
    again = build([src], out)
    assert again.up_to_date and again.summary() == first.summary()
    assert (out / "graph.ttl").read_bytes() == before


def test_streamed_graph_ttl_is_the_union_of_the_named_graphs(sample_build: Path) -> None:
    """graph.ttl and the store are written from the builder's own union stream, graph.nq
    from its quads: graph.ttl must hold each triple of graph.nq's named graphs exactly
    once, and the store (its default graph) the same triples."""
    import pyoxigraph as ox

    from kg.graph.store import count_union, open_store, union

    with (sample_build / "graph.ttl").open("rb") as fh:
        written = [str(t) for t in ox.parse(fh, format=ox.RdfFormat.TURTLE)]
    quads = list(ox.parse(path=str(sample_build / "graph.nq"), format=ox.RdfFormat.N_QUADS))
    store = open_store(sample_build)
    in_store = {str(t) for t in union(store)}
    assert len(written) == len(set(written)) == count_union(store) == len(store) > 20000
    assert set(written) == in_store == {str(q.triple) for q in quads}
    graphs = {q.graph_name for q in quads}
    # the documents, entities, gazetteer, co-mentions, entailed
    assert len(quads) > len(written) and len(graphs) == 5 + 4
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in store)


def test_a_large_graph_ttl_is_one_triple_per_line_with_the_same_triples(tmp_path: Path, monkeypatch) -> None:
    """Above the compaction limit graph.ttl keeps the union stream as it was written:
    still Turtle (prefix lines, then N-Triples lines), and the same triples as the store."""
    import pyoxigraph as ox
    import rdflib

    import kg.graph.output as output
    from kg.graph.store import count_union, open_store, union

    monkeypatch.setattr(output, "COMPACT_LIMIT", 1000)
    out = tmp_path / "large"
    report = build(None, out)
    text = (out / "graph.ttl").read_text(encoding="utf-8")
    lines = text.splitlines()
    prefixes = [line for line in lines if line.startswith("@prefix")]
    assert prefixes and all(line.endswith(" .") for line in lines)
    assert len(lines) - len(prefixes) == report.triples == count_union(open_store(out))
    written = {str(t) for t in ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE)}
    assert written == {str(t) for t in union(open_store(out))}
    head = rdflib.Graph().parse(data="\n".join(lines[: len(prefixes) + 500]), format="turtle")
    assert len(head) == 500 and dict(head.namespaces())["pk"] == rdflib.URIRef("https://w3id.org/policykg/ontology#")


def test_a_build_that_fails_midway_leaves_the_previous_graph_and_store(tmp_path: Path, monkeypatch) -> None:
    """The store is loaded in the background while the build goes on; a failure after
    loading started must not leave a half store or lose the previous one."""
    import kg.measure.extract as measure_stage
    from kg.graph.store import count_union, open_store

    src = corpus_copy(tmp_path)
    out = tmp_path / "out"
    build([src], out)
    before = (out / "graph.ttl").read_bytes()
    triples = count_union(open_store(out))
    doc = next(src.glob("000_*.txt"))
    doc.write_text(doc.read_text(encoding="utf-8") + "\n新建高标准农田50万亩。\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("figures stage failed")

    monkeypatch.setattr(measure_stage, "measure_document", broken)
    import gc

    thresholds = gc.get_threshold()
    with pytest.raises(RuntimeError):
        build([src], out)
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0  # the collector given back
    assert (out / "graph.ttl").read_bytes() == before
    assert count_union(open_store(out)) == triples
    assert not (out / "store.new").exists()
    assert not list(out.glob("*.tmp*")) and not list(out.glob("*.writing*"))


def test_a_store_load_that_fails_leaves_the_previous_graph_files_and_store(tmp_path: Path, monkeypatch) -> None:
    """graph.ttl and graph.nq are put in place only once the store is: a load that fails
    (a full disk, say) at the end leaves all three as the last good build left them."""
    import kg.graph.store as store_stage
    from kg.graph.store import count_union, open_store

    src = corpus_copy(tmp_path)
    out = tmp_path / "out"
    build([src], out)
    before = {name: (out / name).read_bytes() for name in ("graph.ttl", "graph.nq")}
    triples = count_union(open_store(out))
    doc = next(src.glob("000_*.txt"))
    doc.write_text(doc.read_text(encoding="utf-8") + "\n新建高标准农田50万亩。\n", encoding="utf-8")
    loads = []
    load = store_stage.StoreLoader._load

    def failing(self, chunk, triples, keep):
        loads.append(chunk.name)
        if len(loads) == 2:
            raise OSError(28, "No space left on device")
        return load(self, chunk, triples, keep)

    monkeypatch.setattr(store_stage.StoreLoader, "_load", failing)
    with pytest.raises(OSError, match="No space"):
        build([src], out)
    assert len(loads) >= 2
    assert {name: (out / name).read_bytes() for name in before} == before
    assert count_union(open_store(out)) == triples
    assert not (out / "store.new").exists() and not (out / "parts.tmp").exists()
    assert not list(out.glob("*.tmp*")) and not list(out.glob("*.writing*"))


def test_a_corrupt_cache_entry_is_analysed_again(sample_build: Path, tmp_path: Path) -> None:
    src = corpus_copy(tmp_path)
    out = tmp_path / "out"
    build([src], out, jobs=2)
    entry = next((out / "cache").rglob("*.pickle"))
    entry.write_bytes(b"not a pickle")
    (out / "manifest.json").unlink()
    build([src], out, jobs=2)
    assert (out / "graph.ttl").read_bytes() == (sample_build / "graph.ttl").read_bytes()
    assert entry.read_bytes() != b"not a pickle"


def test_a_figure_job_reads_a_cache_entry_without_its_mentions(sample_build: Path, tmp_path: Path) -> None:
    """A cache entry is the document's pickle, then the mentions': a figure job reads the
    first and stops (whatever follows it); an entry cut after the document counts as
    missing, not as a document without mentions."""
    import io
    import pickle

    from kg.cache import DocumentCache, read_document

    entry = max((sample_build / "cache").rglob("*.pickle"), key=lambda p: p.stat().st_size)
    data = entry.read_bytes()
    doc, mentions = DocumentCache(sample_build / "cache").get(entry.stem)
    assert mentions and all(m.doc_id == doc.id for m in mentions)
    stream = io.BytesIO(data)
    pickle.load(stream)
    boundary = stream.tell()
    assert 0 < boundary < len(data)
    garbled = tmp_path / "garbled.pickle"
    garbled.write_bytes(data[:boundary] + b"not the mentions")
    alone = read_document(garbled)
    assert (alone.id, alone.text, list(alone.offsets)) == (doc.id, doc.text, list(doc.offsets))
    cache = DocumentCache(tmp_path / "cache")
    cache.put_bytes("cut", data[:boundary])
    assert cache.get("cut") is None


def test_a_chunk_split_for_two_loaders_keeps_every_line_whole(tmp_path: Path) -> None:
    from kg.graph.sink import _split_lines

    lines = [f'<urn:s{i}> <urn:p> "{"长" * (i % 7)}" <urn:g> .\n' for i in range(2500)]
    path = tmp_path / "chunk.nq"
    path.write_text("".join(lines), encoding="utf-8")
    pieces = _split_lines(path, 2)
    assert len(pieces) == 2 and not path.exists()
    texts = [p.read_text(encoding="utf-8") for p in pieces]
    assert all(t.endswith(" .\n") for t in texts) and "".join(texts) == "".join(lines)
    assert abs(texts[0].count("\n") - texts[1].count("\n")) < 50


def test_the_parent_takes_back_jobs_no_worker_has_started() -> None:
    """Jobs a worker has not started are done by the parent (from the last one), and
    every result comes back in order whoever did it."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from kg.pipeline import _DocumentJobs

    args = [(range(k * 300_000),) for k in range(12)]
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        jobs = _DocumentJobs(pool, sum, args)
        jobs.help()
        assert jobs.results() == [sum(*a) for a in args]
    assert jobs.taken and max(jobs.taken) == len(args) - 1


def _worker_state(_: int) -> tuple[int, int, bool]:
    import gc
    import sys

    from kg.nlp import load

    return load.cache_info().currsize, gc.get_freeze_count(), "kg.forkserver_preload" in sys.modules


def test_build_workers_start_with_the_pipeline_loaded_once() -> None:
    """The workers come from a fork server that loaded and ran the pipeline before any
    job (so a worker pays nothing for it) and set it aside from the collector; starting
    them loads nothing in the parent."""
    import multiprocessing as mp

    from kg.nlp import load
    from kg.pipeline import _worker_pool

    if "forkserver" not in mp.get_all_start_methods():
        pytest.skip("no fork server on this platform: workers are spawned and load the pipeline themselves")
    before = load.cache_info().currsize
    with _worker_pool(2) as pool:
        states = list(pool.map(_worker_state, range(2)))
    assert all(loaded == 1 and frozen > 10_000 and preloaded for loaded, frozen, preloaded in states), states
    assert load.cache_info().currsize == before  # nothing loaded here by starting workers


def test_builds_give_the_collector_back_and_keep_the_hosts_frozen_objects() -> None:
    """A build raises the collector's thresholds and sets its records aside; the last
    build to end restores the host's thresholds and frees what it set aside, but never
    releases objects the host froze itself, and `extract` alone sets nothing aside."""
    import gc

    from kg.pipeline import fewer_collections, keep_for_the_build

    thresholds = gc.get_threshold()
    keep_for_the_build()
    assert gc.get_freeze_count() == 0  # not inside a build
    outer, inner = fewer_collections(), fewer_collections()
    outer.__enter__()
    keep_for_the_build()
    assert gc.get_freeze_count() > 0 and gc.get_threshold() != thresholds
    inner.__enter__()
    outer.__exit__(None, None, None)  # the first to end is not the last one running
    assert gc.get_freeze_count() > 0 and gc.get_threshold() != thresholds
    inner.__exit__(None, None, None)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    gc.freeze()  # a host that froze its own objects before building
    try:
        frozen = gc.get_freeze_count()
        with fewer_collections():
            keep_for_the_build()
        assert gc.get_freeze_count() == frozen and gc.get_threshold() == thresholds
    finally:
        gc.unfreeze()


def test_kg_build_takes_one_process_per_core_for_a_large_corpus() -> None:
    """Without --jobs: one process for the bundled five reports (starting workers would
    cost more than they save), one per core once each core gets 20 documents."""
    from kg.pipeline import DOCUMENTS_PER_WORKER, auto_jobs

    assert auto_jobs(5) == 1
    assert auto_jobs(3 * DOCUMENTS_PER_WORKER, cores=8) == 3
    assert auto_jobs(3 * DOCUMENTS_PER_WORKER, cores=2) == 2
    assert auto_jobs(1, cores=2) == 1


def test_records_pickled_by_their_constructor_keep_every_field() -> None:
    """Sentences, mentions and evidence pickle as their constructor's arguments: every
    field comes back in its place (each field a value of its own, unlike its default)."""
    import pickle
    from dataclasses import fields

    from kg.records import Evidence, Mention, Sentence

    def value(k: int, name: str, kind: str):
        return {"str": f"{name}-值", "int": 100 + k, "float": 0.5 + k, "tuple": (name, "二")}[kind.split("[")[0]]

    for cls in (Sentence, Mention, Evidence):
        record = cls(**{f.name: value(k, f.name, f.type) for k, f in enumerate(fields(cls))})
        back = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == record and type(back) is cls and cls.__reduce__ is not object.__reduce__


def test_a_part_file_is_appended_whole_by_the_kernel_or_by_hand(tmp_path: Path, monkeypatch) -> None:
    """Appending a worker's part keeps what the sink wrote before and after it: copied by
    the kernel, by hand where the kernel refuses (an O_APPEND file), and by hand from where
    the kernel stopped when it fails midway."""
    import os

    from kg.graph.sink import append_file

    part = tmp_path / "part.nt"
    part.write_bytes("".join(f'<urn:s{i}> <urn:p> "长{i}" .\n' for i in range(50_000)).encode())
    real = os.copy_file_range
    calls = []

    def counted(src, dst, count, *rest):
        calls.append(count)
        if failing and len(calls) > 1:
            raise OSError("the kernel gave up")
        return real(src, dst, min(count, 100_000), *rest)

    monkeypatch.setattr(os, "copy_file_range", counted)
    for mode, failing in (("wb", False), ("ab", False), ("wb", True)):
        calls.clear()
        out_path = tmp_path / f"out-{mode}-{failing}.nt"
        with out_path.open(mode) as out:
            out.write(b"head\n")
            append_file(part, out)
            out.write(b"tail\n")
        assert out_path.read_bytes() == b"head\n" + part.read_bytes() + b"tail\n", (mode, failing)
        assert calls, "the kernel copy was tried"
    assert len(calls) == 2  # the failing case: one part copied, then the rest by hand


def test_the_fork_server_is_started_again_when_the_import_path_changes(monkeypatch) -> None:
    """Workers fork from a server that has the parent's code: the same path keeps the
    server, another path starts a new one; a worker that imported another kg refuses to run."""
    import sys
    from multiprocessing import forkserver

    from kg.pipeline import _fork_server_context, _worker_started

    if _fork_server_context() is None:
        pytest.skip("no fork server here: workers are spawned")
    first = forkserver._forkserver._forkserver_pid
    _fork_server_context()
    assert forkserver._forkserver._forkserver_pid == first
    monkeypatch.setattr(sys, "path", [*sys.path, "/nonexistent-policykg-path"])
    _fork_server_context()
    assert forkserver._forkserver._forkserver_pid not in (None, first)
    with pytest.raises(RuntimeError, match="imported kg from"):
        _worker_started("/somewhere/else/kg")
