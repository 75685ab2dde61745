"""build(paths) runs the stages in order: read → clean → structure → recognise →
resolve → relate → graph → store. Each stage is a function of plain records."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kg.records import ENTITY_CLASSES, Document, Entity, Observation, Relation

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


@dataclass
class BuildReport:
    documents: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    co_mentions: dict[tuple[str, str], int] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0
    graph_path: Path | None = None
    cached_summary: list[tuple[str, str]] | None = None  # an unchanged build: nothing was redone
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, in stage order
    output: object | None = field(default=None, repr=False)  # kg.graph.output.GraphOutput being written

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage, so a slow build says where its time went (`kg build --timings`)."""
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t

    @property
    def up_to_date(self) -> bool:
        return self.cached_summary is not None

    def summary(self) -> list[tuple[str, str]]:
        if self.cached_summary is not None:
            return self.cached_summary
        rows = [
            ("documents", str(len(self.documents))),
            ("sentences", str(sum(len(d.sentences) for d in self.documents))),
        ]
        per_class = Counter(e.cls for e in self.entities)
        rows += [(f"entities: {c}", str(per_class.get(c, 0))) for c in ENTITY_CLASSES]
        per_prop = Counter(r.prop for r in self.relations)
        rows += [(f"relations: {p}", str(n)) for p, n in sorted(per_prop.items())]
        rows.append(("co-mention pairs", str(len(self.co_mentions))))
        rows += [
            ("observations", str(len(self.observations))),
            ("triples", str(self.triples)),
            ("seconds", f"{self.seconds:.1f}"),
        ]
        if self.errors:
            rows.append(("skipped files", str(len(self.errors))))
        return rows


def default_paths() -> list[Path]:
    return [CORPUS]


# Python's cyclic collector runs after every 700 allocations, and the older generations
# after 10 of those; a build allocates millions of small records it keeps to the end, so
# the collector traversed them again and again: half of the time of unpickling the
# documents and of indexing their mentions, measured at a hundred reports. A build
# collects after 50,000 (the records hold no cycles to free early).
BUILD_GC_THRESHOLD = (50_000, 20, 100)


class _Collections:
    """How many builds are running in this process (a build may run inside another's
    caller), and whether the outermost one may freeze: not when the host program had
    frozen objects of its own, which unfreezing at the end would release."""

    depth = 0
    may_freeze = False
    threshold: tuple[int, ...] = ()  # the host's, given back when the last build ends
    lock = threading.Lock()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The build's collector thresholds for the duration, the previous ones after; what
    `keep_for_the_build` set aside is given back to the collector when the last build
    ends (also when it fails)."""
    import gc

    with _Collections.lock:
        if _Collections.depth == 0:
            _Collections.may_freeze = gc.get_freeze_count() == 0
            _Collections.threshold = gc.get_threshold()
        _Collections.depth += 1
        gc.set_threshold(*BUILD_GC_THRESHOLD)
    try:
        yield
    finally:
        with _Collections.lock:
            _Collections.depth -= 1
            if _Collections.depth == 0:
                if _Collections.may_freeze:
                    gc.unfreeze()
                _Collections.may_freeze = False
                gc.set_threshold(*_Collections.threshold)


def keep_for_the_build() -> None:
    """Set the objects alive now (the documents, mentions, entities: kept to the end of
    the build anyway) aside from the collector, so that its later passes do not traverse
    them again (gc.freeze; `fewer_collections` unfreezes them). Young garbage is
    collected first, not set aside. Outside a build (a caller of `extract` alone)
    nothing is set aside: nothing would give it back."""
    import gc

    with _Collections.lock:
        if _Collections.depth and _Collections.may_freeze:
            gc.collect(1)
            gc.freeze()


DOCUMENTS_PER_WORKER = 20  # below this, starting a worker (spaCy, the model, numba) costs more than it saves


def auto_jobs(files: int, cores: int | None = None) -> int:
    """Processes when none are asked for (`jobs=None`): one per core the process may run
    on, as long as each gets `DOCUMENTS_PER_WORKER` of the `files` (the bundled five: one)."""
    import os

    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, files // DOCUMENTS_PER_WORKER))


def _worker_started(package: str) -> None:
    """In each worker: the build's collector thresholds, and a check that the worker runs
    the parent's `kg` (the cache records which code made each entry)."""
    import gc

    here = Path(__file__).resolve().parent  # this worker's kg
    if here != Path(package):
        raise RuntimeError(f"a build worker imported kg from {here}, not {package}")
    gc.set_threshold(*BUILD_GC_THRESHOLD)


class _ForkServer:
    """What this process's fork server was started with: the recognition code's
    fingerprint and the import path. A build whose code or path differ (a retrained model,
    a notebook that changed sys.path) starts a new server rather than fork stale workers."""

    started_with: tuple | None = None


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    import os

    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _fork_server_context():
    """The forkserver context, its server started now with the preloaded pipeline
    (`kg.forkserver_preload`), or None where the build spawns its workers instead (not
    Linux: macOS's frameworks do not survive a fork once numpy and numba are loaded).

    Started now, not at the first job: the server loads the pipeline while the parent
    readies itself (starting a worker waits until the server has loaded it). The server
    imports the preload module by the parent's import path exactly (PYTHONPATH, and
    PYTHONSAFEPATH so that its working directory does not come first): Python 3.11's
    fork server does not apply the parent's path itself."""
    import multiprocessing as mp
    import os
    import sys
    from multiprocessing import forkserver

    from kg.cache import fingerprint

    if sys.platform != "linux" or "forkserver" not in mp.get_all_start_methods():
        return None
    state = (fingerprint.__wrapped__(), tuple(sys.path))
    if _ForkServer.started_with != state:
        if _ForkServer.started_with is not None:
            forkserver._forkserver._stop()  # the old code's server: its workers would be stale
        mp.get_context("forkserver").set_forkserver_preload(["kg.forkserver_preload"])
        path = os.pathsep.join(p or os.getcwd() for p in sys.path)
        with _environment(PYTHONPATH=path, PYTHONSAFEPATH="1"):
            forkserver.ensure_running()
        _ForkServer.started_with = state
    return mp.get_context("forkserver")


def _worker_pool(jobs: int):
    """Processes for documents (recognition, then figures), never forked from the parent
    (it may hold threads and open stores): forked from a fork server that has loaded the
    pipeline once, or spawned where there is none."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    context = _fork_server_context() or mp.get_context("spawn")
    package = str(Path(__file__).resolve().parent)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_started, initargs=(package,))


def _warm_up_resolution() -> None:
    """Load what resolution needs the first time (pypinyin's phrase dictionary, jieba-rs,
    about a second) while the fork server loads the pipeline: starting a worker waits for
    the server, so done after that, it would delay the first documents."""
    from kg.resolve import slug

    slug("吉林省长春市")


def _analyse_all(files: list[Path], pool, cache, model: str | None, on_result) -> dict[Path, str]:
    """Analyse what the cache lacks, in the worker `pool` (or here), and report results in
    file order as they arrive (the parent's share, caching and resolution, overlaps the
    workers). Returns each file's content key."""
    from kg.analyse import analyse_to_bytes
    from kg.cache import content_key, read_entry

    keys = {f: content_key(f) for f in files}
    todo = [f for f in files if cache is None or not cache.has(keys[f])]

    if pool is not None and len(todo) > 1:
        _warm_up_resolution()  # here, while the fork server loads the pipeline
        results = pool.map(analyse_to_bytes, todo, [model] * len(todo))
    else:
        results = (analyse_to_bytes(f, model) for f in todo)
    pending = set(todo)
    try:
        for f in files:
            result = cache.get(keys[f]) if f not in pending else None
            if f in pending:
                data = next(results)
                if isinstance(data, bytes):
                    if cache is not None:
                        cache.put_bytes(keys[f], data)
                    result = read_entry(data)
                else:
                    result = data
            elif result is None:  # an unreadable cache entry: analysed again, and replaced
                data = analyse_to_bytes(f, model)
                result = data if isinstance(data, str) else read_entry(data)
                if isinstance(data, bytes):
                    cache.put_bytes(keys[f], data)
            if not isinstance(result, str):
                result[0].path = str(f)  # the same content may have moved
            on_result(f, result)
    finally:
        results.close()
    return keys


class _DocumentJobs:
    """One job per document in the worker pool, in document order. The parent, once it
    has nothing else to do, takes back the jobs no worker has started (from the last one)
    and does them itself: the same function, so the same result."""

    def __init__(self, pool, fn, args: list[tuple]) -> None:
        self.fn, self.args = fn, args
        self.futures = [pool.submit(fn, *a) for a in args]
        self.taken: dict[int, Future] = {}  # registered before the worker's job is cancelled

    def __len__(self) -> int:
        return len(self.futures)

    def result(self, i: int):
        try:
            return self.futures[i].result()
        except CancelledError:
            return self.taken[i].result()

    def help(self) -> None:
        for i in reversed(range(len(self.futures))):
            mine: Future = Future()
            self.taken[i] = mine
            if not self.futures[i].cancel():  # started: so have all before it
                del self.taken[i]
                return
            try:
                mine.set_result(self.fn(*self.args[i]))
            except BaseException as exc:  # raised where the result is asked for
                mine.set_exception(exc)

    def results(self) -> list:
        return [self.result(i) for i in range(len(self.futures))]


def _submit_parts(report: BuildReport, pool, cache, keys: dict[Path, str], inputs, part_dir: Path | None):
    """Figures and each document's part of the graph need only the document and the
    resolved entities: the workers do them (reading each document back from the cache,
    and the entities once from a table file) while relations are found here."""
    from kg.graph.parts import part_in_worker
    from kg.measure.extract import write_entity_table

    table = cache.folder.parent / "entities.table.tmp"
    write_entity_table(report.entities, table)
    where = str(part_dir) if part_dir is not None else None
    args = [(str(cache.path(keys[Path(d.path)])), str(table), *inputs[d.id], where) for d in report.documents]
    return table, _DocumentJobs(pool, part_in_worker, args)


def _finish_parts(report: BuildReport, inputs, submitted) -> list:
    """Every document's part (figures, and its graph part when a graph is written), in
    document order: from the workers, or made here."""
    from kg.graph.parts import make_part
    from kg.measure.extract import with_entities

    if submitted is not None:
        table, jobs = submitted
        try:
            jobs.help()
            return report.output.collected() if report.output is not None else jobs.results()
        finally:
            table.unlink(missing_ok=True)
    parts = []
    for doc in report.documents:
        region, occurrences = with_entities(report.entities, *inputs[doc.id])
        if report.output is not None:
            parts.append(report.output.write_part(doc, region, occurrences))
        else:
            parts.append(make_part(doc, region, occurrences))
    if report.output is not None:
        report.output.parts.flush()  # all parts: they load while the statements are written
    return parts


def extract(
    paths: list[Path],
    on_document: Callable[[str, str | None, int], None] | None = None,
    nlp=None,
    jobs: int | None = 1,
    cache_dir: Path | None = None,
    model: str | None = None,
    graph_dir: Path | None = None,
) -> BuildReport:
    """Read and analyse every document; errors name the file and the batch goes on.

    The result does not depend on `jobs` (None: `auto_jobs`): documents are merged in file order. With
    `graph_dir`, the graph of what resolution decides is written (and loaded into the
    store, in the background) while relations and figures are still being found;
    `write_build` completes it.
    """
    from kg.cache import DocumentCache
    from kg.ingest import discover
    from kg.measure.extract import document_inputs, merge_observations
    from kg.nlp import recognise
    from kg.relate import co_mentions, relate
    from kg.relate.context import Context
    from kg.resolve import Resolver

    t0 = time.perf_counter()
    report = BuildReport()
    files, report.errors = discover(paths)
    jobs = auto_jobs(len(files)) if jobs is None else jobs
    resolver: Resolver  # made once the workers are starting (its gazetteer takes a moment)
    cache = DocumentCache(cache_dir) if cache_dir else None
    seen_ids: set[str] = set()

    def on_result(f: Path, result) -> None:
        if isinstance(result, str):
            report.errors.append(result)
            if on_document:
                on_document(str(f), result, len(files))
            return
        doc, mentions = result
        if doc.id in seen_ids:
            report.errors.append(f"{f}: same content as an earlier file, skipped")
            if on_document:
                on_document(str(f), "duplicate", len(files))
            return
        if nlp is not None:
            mentions = recognise(doc, nlp)
        resolver.add(doc, mentions)
        report.documents.append(doc)
        seen_ids.add(doc.id)
        if on_document:
            on_document(str(f), None, len(files))

    with ExitStack() as stack:
        pool = stack.enter_context(_worker_pool(jobs)) if jobs > 1 and nlp is None else None
        resolver = Resolver()  # its gazetteer loads while the fork server loads the pipeline
        keys: dict[Path, str] = {}
        with report.stage("read and recognise"):
            if nlp is not None:  # a caller's own pipeline (training experiments): no cache, one process
                from kg.ingest import IngestError, load_document

                for f in files:
                    try:
                        on_result(f, (load_document(f), []))
                    except IngestError as exc:
                        on_result(f, str(exc))
            else:
                keys = _analyse_all(files, pool, cache, model, on_result)
        keep_for_the_build()
        with report.stage("resolve"):
            report.entities = resolver.entities()
            inputs = document_inputs(report.documents, report.entities)
        keep_for_the_build()
        if graph_dir is not None and report.documents:
            from kg.graph.output import GraphOutput

            report.output = GraphOutput(graph_dir)
        try:
            submitted = None
            if pool is not None and cache is not None and len(report.documents) >= 2 * jobs:
                part_dir = report.output.part_dir if report.output is not None else None
                submitted = _submit_parts(report, pool, cache, keys, inputs, part_dir)
            if report.output is not None:
                with report.stage("graph: entities"):
                    report.output.entities(report)
                    if submitted is not None:
                        report.output.collect(submitted[1])
            with report.stage("relate"):
                ctx = Context(report.documents, report.entities)
                report.relations = relate(report.documents, report.entities, ctx)
                report.co_mentions = dict(co_mentions(report.documents, report.entities, ctx))
            keep_for_the_build()
            if report.output is not None:
                with report.stage("graph: relations"):
                    report.output.relations(report)
            with report.stage("measure"):
                parts = _finish_parts(report, inputs, submitted)
                report.observations = merge_observations(report.documents, [p.observations for p in parts])
        except BaseException:
            if report.output is not None:
                report.output.abandon()
            raise
    report.seconds = time.perf_counter() - t0
    return report


def write_build(report: BuildReport, out_dir: Path) -> BuildReport:
    """Complete the graph (started by `extract(graph_dir=…)`, or all of it now) and write
    graph.ttl, graph.nq, the Oxigraph store and ontology.html into out_dir."""
    from kg.docs import write_ontology_page
    from kg.graph.output import GraphOutput

    t0 = time.perf_counter()
    output = report.output
    try:
        with report.stage("graph"):
            if output is None:  # records from `extract()` without a graph: all of it now
                output = GraphOutput(out_dir)
                output.entities(report)
                output.documents(report)
            output.statements(report)
    except BaseException:
        if output is not None:
            output.abandon()
        raise
    with report.stage("store and graph.ttl"):
        report.graph_path, report.triples = output.finish()
    report.output = None
    write_ontology_page(out_dir / "ontology.html")
    report.seconds += time.perf_counter() - t0
    return report


def _manifest(paths: list[Path]) -> dict:
    from kg.cache import content_key, fingerprint
    from kg.ingest import discover

    files, errors = discover(paths)
    files_keys = [[str(f), content_key(f)] for f in files]
    return {"fingerprint": fingerprint(whole=True), "files": files_keys, "errors": errors}


def build(paths: list[Path] | None, out_dir: Path, on_document=None, nlp=None, jobs: int | None = 1) -> BuildReport:
    """Extract (with the document cache in out_dir/cache) and write the graph and the store.

    When the inputs and the pipeline are exactly those of the last build in out_dir,
    nothing is redone: the build is already there.
    """
    import json

    paths = paths or default_paths()
    manifest_path = out_dir / "manifest.json"
    manifest = _manifest(paths) if nlp is None else None
    outputs = [out_dir / "graph.ttl", out_dir / "graph.nq"]
    if manifest and manifest_path.exists() and all(p.is_file() for p in outputs) and (out_dir / "store").is_dir():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        if {k: old.get(k) for k in manifest} == manifest:
            report = BuildReport(errors=list(manifest["errors"]), graph_path=out_dir / "graph.ttl")
            report.cached_summary = [tuple(r) for r in old["summary"]]
            if on_document:
                for f, _ in manifest["files"]:
                    on_document(f, None, len(manifest["files"]))
            return report
    with fewer_collections():
        report = extract(
            paths, on_document, nlp, jobs=jobs, cache_dir=None if nlp else out_dir / "cache", graph_dir=out_dir
        )
        if not report.documents:
            return report
        report = write_build(report, out_dir)
    if manifest:
        manifest["summary"] = report.summary()
        manifest["timings"] = {k: round(v, 3) for k, v in report.timings.items()}
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return report
