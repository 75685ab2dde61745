"""End to end: the bundled corpus in, a valid, queryable, reproducible graph out."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kg.graph.store import open_store
from kg.query import resolve_query, run_query, saved_queries

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def rows(build: Path, name: str) -> list[dict[str, str]]:
    r = run_query(open_store(build), resolve_query(name))
    return [dict(zip(r.columns, row)) for row in r.rows]


def column(build: Path, name: str, col: str) -> set[str]:
    return {r[col] for r in rows(build, name)}


def test_graph_conforms_to_the_shapes(sample_build: Path) -> None:
    from conftest import assert_conforms

    assert_conforms(sample_build / "graph.ttl")


def test_contract_classes_and_labels(sample_build: Path) -> None:
    g = Graph().parse(sample_build / "graph.ttl")
    q = """PREFIX pk: <https://w3id.org/policykg/ontology#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?c (COUNT(?e) AS ?n) WHERE { ?e a ?c ; rdfs:label ?l . FILTER(LANG(?l) = "zh") } GROUP BY ?c"""
    counts = {str(r.c).split("#")[1]: int(r.n) for r in g.query(q)}
    for cls in ("Enterprise", "Organization", "Project", "Place", "Programme", "Industry", "Product"):
        assert counts.get(cls, 0) >= 10, (cls, counts)


def test_rebuild_is_byte_identical_and_keeps_iris(sample_build: Path, tmp_path: Path) -> None:
    from kg.pipeline import build

    export_in_progress = tmp_path / "graph.trig.writing"  # another command writing here meanwhile
    export_in_progress.write_text("@prefix", encoding="utf-8")
    (tmp_path / "store.updated").touch()  # as kg serve --allow-update leaves it
    build(None, tmp_path)
    assert not (tmp_path / "store.updated").exists()  # the new store and graph.ttl agree
    assert (tmp_path / "graph.ttl").read_bytes() == (sample_build / "graph.ttl").read_bytes()
    assert export_in_progress.read_text(encoding="utf-8") == "@prefix"  # the build's clean-up left it


def test_at_least_twelve_saved_queries_all_run(sample_build: Path) -> None:
    names = saved_queries()
    assert len(names) >= 12
    for name in names:
        assert rows(sample_build, name), f"saved query {name} returned nothing"


def test_enterprises_in_jilin_city_include_sub_places(sample_build: Path) -> None:
    # 002 and 004 are 吉林市 reports: 吉林化纤, 吉林建龙 and 吉林石化 are its enterprises
    labels = column(sample_build, "enterprises-in-place", "label")
    assert {"吉林化纤", "吉林建龙", "吉林石化"} <= labels


def test_projects_of_jilin_huaxian(sample_build: Path) -> None:
    labels = column(sample_build, "enterprise-projects", "label")
    assert "吉林化纤6万吨碳纤维项目" in labels  # 000: 吉林化纤6万吨碳纤维项目部分产线进入设备安装阶段


def test_projects_in_province_with_specific_places(sample_build: Path) -> None:
    found = {(r["label"], r["place"]) for r in rows(sample_build, "projects-in-place")}
    assert ("长春龙嘉国际机场三期", "长春市") in found  # place named in the project's name
    assert ("吉林碳谷15万吨碳纤维原丝二期项目", "吉林市") in found  # a city report's own project


def test_place_hierarchy_of_shulan(sample_build: Path) -> None:
    assert column(sample_build, "place-hierarchy", "label") == {"吉林市", "吉林省"}


def test_entities_in_2022_and_2024_reports(sample_build: Path) -> None:
    # 003 (2022): “吉林一号”在轨卫星达到31颗, 长光卫星公司; 000 (2024): 长光卫星, “吉林一号”卫星
    labels = column(sample_build, "entities-in-2022-and-2024", "label")
    assert {"一汽集团", "长光卫星公司"} <= labels


def test_mentions_carry_offsets_into_the_original_file(sample_build: Path) -> None:
    found = rows(sample_build, "entity-mentions")
    assert any("碳纤维产量增长60%" in r["text"] for r in found)
    for r in found:
        raw = (ROOT / "kg" / "data" / "corpus" / r["file"]).read_text(encoding="utf-8")
        chunk = "".join(raw[int(r["start"]) : int(r["end"])].split())
        assert "吉林化纤" in chunk or "吉林" in chunk, (r, chunk[:80])


def test_relation_evidence_query(sample_build: Path) -> None:
    found = rows(sample_build, "relation-evidence")
    assert any(r["place"] == "吉林市" and r["rule"] == "document-region" for r in found)
    assert all(r["text"] and r["file"].endswith(".txt") for r in found)


def test_an_entity_keeps_few_triples_however_often_it_is_named(sample_build: Path) -> None:
    """Mentions and co-mentions hang on sentences and co-mention nodes: the province named
    in the most sentences has about as many triples of its own as a rare name (Oxigraph's
    in-memory store walks them on every look-up of it)."""
    own = pairs(sample_build, 'SELECT ?p (COUNT(*) AS ?n) WHERE { ?e rdfs:label "吉林省"@zh ; ?p ?o } GROUP BY ?p')
    count = {p.rsplit("#", 1)[-1]: int(n) for p, n in own}
    [(named,)] = pairs(sample_build, 'SELECT ?m WHERE { ?e rdfs:label "吉林省"@zh ; pk:mentionCount ?m }')
    # links that grow with the documents (at most three each) and with the years (two each), not the sentences
    per_document = sum(count.pop(p, 0) for p in ("mentionedInDocument", "plannedIn", "reviewedIn"))
    per_year = sum(count.pop(p, 0) for p in ("mentionedInYear", "observationSlice"))
    [(years,)] = pairs(sample_build, "SELECT (COUNT(DISTINCT ?y) AS ?n) WHERE { ?x sdmx-dimension:refPeriod ?y }")
    assert int(named) > 100 and sum(count.values()) < 15, own
    assert 0 < per_document <= 3 * 5 and 0 < per_year <= 2 * int(years), own
    assert not pairs(sample_build, "SELECT ?a ?b WHERE { { ?a pk:mentionedIn ?b } UNION { ?a pk:coMentionedWith ?b } }")
    comentions = pairs(
        sample_build,
        "SELECT ?a ?b WHERE { ?c a pk:CoMention ; rdf:subject ?a ; rdf:predicate pk:coMentionedWith ; rdf:object ?b }",
    )
    together = pairs(sample_build, "SELECT DISTINCT ?a ?b WHERE { ?s pk:mentions ?a , ?b . FILTER(STR(?a) < STR(?b)) }")
    assert comentions and {tuple(sorted(p)) for p in comentions} <= together


def test_documents_metadata(sample_build: Path) -> None:
    docs = {r["file"][:3]: r for r in rows(sample_build, "documents")}
    assert docs["000"]["region"] == "吉林省" and docs["000"]["delivered"] == "2024"
    assert docs["002"]["region"] == "吉林市" and docs["003"]["review"] == "2021"


def test_most_mentioned_and_aliases(sample_build: Path) -> None:
    top = rows(sample_build, "most-mentioned")
    assert top[0]["label"] == "吉林省"
    # the stored count is the number of distinct sentences that name the entity
    from kg.graph.store import open_store
    from kg.query import run_query, with_prefixes

    counted = run_query(
        open_store(sample_build),
        with_prefixes(
            'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?e rdfs:label "吉林省"@zh ; a pk:Place . ?s pk:mentions ?e }'
        ),
    )
    assert int(top[0]["sentences"]) == int(counted.rows[0][0]) > 100
    aliases = {r["label"]: r["aliases"] for r in rows(sample_build, "aliases")}
    assert "一汽" in aliases["一汽集团"].split(" | ")


def test_industries_co_mentions_coordinates_programmes(sample_build: Path) -> None:
    assert any(
        r["region"] == "吉林市" and "碳纤维" in r["industry"] for r in rows(sample_build, "industries-by-region")
    )
    assert "吉林石化" in column(sample_build, "co-mentioned", "other")
    points = {r["label"]: r["wkt"] for r in rows(sample_build, "places-with-coordinates")}
    assert points["吉林市"].startswith("POINT(126.5")
    assert any("一主六双" in p for p in column(sample_build, "programmes-by-section", "programme"))


def test_statements_on_their_own_write_every_evidence_sentence(sample_report, tmp_path: Path) -> None:
    """Without document parts written before, the statements still carry the sentences
    their evidence points to (each once), so the provenance chain is never broken."""
    from kg.graph.build import sentence_iri, write_statements
    from kg.graph.sink import QuadSink

    sink = QuadSink(tmp_path / "q.nq", tmp_path / "t.nt")
    written: dict[str, set[int]] = {}
    rep = sample_report
    write_statements(sink, rep.documents, rep.relations, rep.observations, written)
    sink.close()
    text = (tmp_path / "t.nt").read_text(encoding="utf-8")
    wanted = {(ev.doc_id, ev.sentence) for r in rep.relations for ev in r.evidence if ev.doc_id}
    wanted |= {(ev.doc_id, ev.sentence) for o in rep.observations for ev in o.evidence}
    assert wanted and {(d, k) for d, ks in written.items() for k in ks} == wanted
    typed = [line for line in text.splitlines() if line.endswith("<https://w3id.org/policykg/ontology#Sentence> .")]
    assert len(typed) == len(wanted)
    assert all(f"{sentence_iri(d, k)} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>" in text for d, k in wanted)


def test_records_of_extract_then_write_build_give_the_built_graph(sample_build: Path, tmp_path: Path) -> None:
    """`extract()` without a graph, then `write_build`: the same quads as `kg build`."""
    import pyoxigraph as ox

    from kg.pipeline import CORPUS, extract, write_build

    report = write_build(extract([CORPUS]), tmp_path / "later")
    later = {str(q) for q in ox.Store.read_only(str(tmp_path / "later" / "store"))}
    built = {str(q) for q in ox.Store.read_only(str(sample_build / "store"))}
    assert report.triples > 20000 and later == built


def pairs(build: Path, query: str) -> set[tuple[str, ...]]:
    from kg.query import with_prefixes

    r = run_query(open_store(build), with_prefixes(query))
    return {tuple(row) for row in r.rows}


def test_within_is_the_transitive_closure_of_located_in(sample_build: Path) -> None:
    within = pairs(sample_build, "SELECT ?x ?y WHERE { ?x pk:within ?y }")
    assert within == pairs(sample_build, "SELECT ?x ?y WHERE { ?x pk:locatedIn+ ?y }")
    # 吉林化纤 is in 吉林市 (stated), so within 吉林省 (entailed) too
    assert pairs(
        sample_build,
        'SELECT ?p WHERE { ?e rdfs:label "吉林化纤"@zh ; pk:within ?p . ?p rdfs:label "吉林省"@zh }',
    )


def test_plan_and_review_links_follow_the_sections_of_the_mentions(sample_build: Path) -> None:
    for prop, sections in (("plannedIn", "pk:PlanSection pk:TargetsSection"), ("reviewedIn", "pk:ReviewSection")):
        linked = pairs(sample_build, f"SELECT ?e ?d WHERE {{ ?e pk:{prop} ?d }}")
        derived = pairs(
            sample_build,
            f"SELECT DISTINCT ?e ?d WHERE {{ VALUES ?section {{ {sections} }}"
            " ?s pk:mentions ?e ; pk:section ?section ; pk:inDocument ?d }",
        )
        assert linked == derived and len(linked) > 100, prop


def test_years_mentioned_are_those_of_the_reports_that_name_the_entity(sample_build: Path) -> None:
    stored = pairs(sample_build, "SELECT ?e ?y WHERE { ?e pk:mentionedInYear ?y }")
    derived = pairs(
        sample_build,
        "SELECT DISTINCT ?e ?y WHERE { ?s pk:mentions ?e ; pk:inDocument ?d . ?d pk:yearDelivered ?y }",
    )
    assert stored == derived
    years = {y for _, y in stored}
    assert years >= {"2022", "2024"}, years  # the sample's reports were delivered in 2022–2024
    # one triple a year: 吉林省 is named in several reports of the same year, not once per report
    jilin = pairs(sample_build, 'SELECT ?y WHERE { ?e rdfs:label "吉林省"@zh ; pk:mentionedInYear ?y }')
    reports = pairs(sample_build, 'SELECT ?d WHERE { ?e rdfs:label "吉林省"@zh ; pk:mentionedInDocument ?d }')
    assert len(jilin) < len(reports)


def test_each_observation_is_in_the_one_slice_of_its_area_and_year(sample_build: Path) -> None:
    observations = pairs(sample_build, "SELECT ?o WHERE { ?o a qb:Observation }")
    sliced = pairs(
        sample_build,
        """SELECT ?o ?slice WHERE { ?area pk:observationSlice ?slice .
           ?slice a qb:Slice ; qb:sliceStructure pk:AreaYearSlice ; sdmx-dimension:refArea ?area ;
                  sdmx-dimension:refPeriod ?year ; qb:observation ?o .
           ?o sdmx-dimension:refArea ?area ; sdmx-dimension:refPeriod ?year .
           <https://w3id.org/policykg/id/dataset/observations> qb:slice ?slice }""",
    )
    assert len(observations) > 500
    assert {o for o, _ in sliced} == {o for (o,) in observations}  # every observation, by its own area and year
    assert len(sliced) == len(observations)  # in one slice only
    members = pairs(sample_build, "SELECT ?s ?o WHERE { ?s qb:observation ?o }")
    assert len(members) == len(observations)  # and in no other slice
    wrong = "SELECT ?a ?s WHERE { ?a pk:observationSlice ?s . ?s sdmx-dimension:refArea ?b . FILTER(?a != ?b) }"
    assert not pairs(sample_build, wrong)  # linked from its own area only
    slices = pairs(sample_build, "SELECT ?s WHERE { ?s a qb:Slice }")
    assert len(slices) == len({s for _, s in sliced}) < len(observations) / 3


def test_documents_count_all_their_sentences(sample_build: Path, sample_report) -> None:
    counted = {r["file"]: int(r["sentences"]) for r in rows(sample_build, "documents")}
    assert counted == {d.name: len(d.sentences) for d in sample_report.documents}


# The saved queries that read stored shortcuts (pk:within) or start from a plain step are
# written for speed; here each is checked against the plain form of the same question.
PLAIN = {
    "aliases": """SELECT ?class ?label (GROUP_CONCAT(?alt; separator=" | ") AS ?aliases) WHERE {
        ?e rdfs:label ?label ; skos:altLabel ?alt ; a ?c . FILTER(STRSTARTS(STR(?c), STR(pk:)))
        BIND(STRAFTER(STR(?c), "#") AS ?class) } GROUP BY ?class ?label""",
    "projects-in-place": """SELECT DISTINCT ?project ?label ?place WHERE {
        ?root rdfs:label "吉林省"@zh . ?project a pk:Project ; rdfs:label ?label ; pk:locatedIn ?p .
        ?p pk:locatedIn* ?root ; rdfs:label ?place . }""",
    "enterprises-in-place": """SELECT DISTINCT ?enterprise ?label ?place WHERE {
        ?root rdfs:label "吉林市"@zh . ?enterprise a pk:Enterprise ; rdfs:label ?label ; pk:locatedIn ?p .
        ?p pk:locatedIn* ?root ; rdfs:label ?place . }""",
    "places-with-coordinates": """SELECT ?label ?code ?wkt WHERE {
        ?root rdfs:label "吉林省"@zh .
        ?p a pk:Place ; rdfs:label ?label ; pk:adminCode ?code ; pk:locatedIn+ ?root ;
           geo:hasGeometry/geo:asWKT ?wkt . }""",
    "cluster-enterprises": """SELECT DISTINCT ?enterprise ?industry ?place WHERE {
        ?root rdfs:label "吉林市"@zh . ?i a pk:Industry ; rdfs:label ?industry .
        FILTER(CONTAINS(STR(?industry), "碳纤维"))
        ?e a pk:Enterprise ; rdfs:label ?enterprise ; pk:inIndustry ?i ; pk:locatedIn ?p .
        ?p pk:locatedIn* ?root ; rdfs:label ?place . }""",
    "programme-parts": """SELECT ?whole ?part ?class WHERE {
        ?p pk:partOf+ ?w . ?p rdfs:label ?part . ?w rdfs:label ?whole ; a ?c .
        FILTER(?c IN (pk:Programme, pk:Project)) BIND(STRAFTER(STR(?c), "#") AS ?class) }""",
    "programme-implementers": """SELECT DISTINCT ?programme ?implementer ?class WHERE {
        ?g a pk:Programme ; rdfs:label ?programme .
        ?x pk:implements/pk:partOf* ?g ; rdfs:label ?implementer ; a ?c .
        FILTER(?c IN (pk:Project, pk:Enterprise)) BIND(STRAFTER(STR(?c), "#") AS ?class) }""",
    "gdp-growth-by-year": """SELECT ?period ?status ?value ?unit ?qualifier ?file WHERE {
        ?area rdfs:label "吉林省"@zh . ?ind rdfs:label "地区生产总值"@zh .
        ?o a qb:Observation ; sdmx-dimension:refArea ?area ; pk:indicator ?ind ; pk:measureType pk:Growth ;
           sdmx-dimension:refPeriod ?period ; sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?unit ;
           pk:status ?s ; pk:inDocument/pk:sourceFile ?file .
        OPTIONAL { ?o pk:qualifier ?qualifier } BIND(STRAFTER(STR(?s), "#") AS ?status) }""",
    "entities-in-2022-and-2024": """SELECT DISTINCT ?entity ?label ?class WHERE {
        ?entity pk:mentionedInDocument ?d1 , ?d2 ; rdfs:label ?label ; a ?class .
        ?d1 pk:yearDelivered "2022"^^xsd:gYear . ?d2 pk:yearDelivered "2024"^^xsd:gYear .
        FILTER(STRSTARTS(STR(?class), STR(pk:))) }""",
    "observations-of-area": """SELECT ?indicator ?value ?unit ?measure ?status ?text WHERE {
        ?area rdfs:label "吉林市"@zh .
        ?o a qb:Observation ; sdmx-dimension:refArea ?area ; sdmx-dimension:refPeriod "2024"^^xsd:gYear ;
           pk:indicator/rdfs:label ?indicator ; sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?unit ;
           pk:measureType ?m ; pk:status ?s ; pk:evidenceText ?text .
        FILTER(LANG(?indicator) = "zh")
        BIND(STRAFTER(STR(?m), "#") AS ?measure) BIND(STRAFTER(STR(?s), "#") AS ?status) }""",
    "industries-by-region": """SELECT ?region ?industry (COUNT(DISTINCT ?d) AS ?reports) WHERE {
        ?i a pk:Industry ; rdfs:label ?industry ; pk:mentionedInDocument ?d .
        ?d pk:region/rdfs:label ?region . } GROUP BY ?region ?industry""",
    "programmes-by-section": """SELECT ?programme (COUNT(DISTINCT ?d) AS ?reports) (MAX(?n) AS ?mentions) WHERE {
        ?d pk:planYear "2024"^^xsd:gYear . ?p pk:plannedIn ?d ; a pk:Programme ; rdfs:label ?programme ;
        pk:mentionCount ?n . } GROUP BY ?programme""",
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fast_saved_query_answers_as_its_plain_form(sample_build: Path, name: str) -> None:
    from kg.query import with_prefixes

    fast = run_query(open_store(sample_build), resolve_query(name))
    plain = run_query(open_store(sample_build), with_prefixes(PLAIN[name]))
    assert fast.columns == plain.columns
    assert sorted(fast.rows) == sorted(plain.rows) and fast.rows, name


PLACE_QUERIES = ("projects-in-place", "enterprises-in-place", "cluster-enterprises", "places-with-coordinates")


def crafted_places():
    """A small graph where the shortcut could mislead: a project and an enterprise each
    located in two places of different provinces, with pk:within from `containment`."""
    import pyoxigraph as ox

    from kg.graph.build import containment
    from kg.records import Relation

    pk, rdfs = "https://w3id.org/policykg/ontology#", "http://www.w3.org/2000/01/rdf-schema#"
    geo = "http://www.opengis.net/ont/geosparql#"
    places = {"jl": "吉林省", "jlc": "吉林市", "sl": "舒兰市", "ln": "辽宁省", "sy": "沈阳市", "cc": "长春市"}
    located = [("jlc", "jl"), ("sl", "jlc"), ("sy", "ln"), ("cc", "jl"), ("x", "sl"), ("x", "sy"), ("e", "jlc")]
    located += [("e", "sy"), ("f", "cc")]
    store = ox.Store()

    def add(s: str, p: str, o) -> None:
        o = o if isinstance(o, ox.Literal) else ox.NamedNode(f"urn:t:{o}" if ":" not in o else o)
        store.add(ox.Quad(ox.NamedNode(f"urn:t:{s}"), ox.NamedNode(p), o))

    for key, label in places.items():
        add(key, RDF_TYPE, pk + "Place")
        add(key, rdfs + "label", ox.Literal(label, language="zh"))
        add(key, pk + "adminCode", ox.Literal(str(len(key))))
        add(key, geo + "hasGeometry", f"{key}-geom")
        add(f"{key}-geom", geo + "asWKT", ox.Literal("POINT(126 44)", datatype=ox.NamedNode(geo + "wktLiteral")))
    things = (("x", "Project", "两地项目"), ("e", "Enterprise", "两地公司"), ("f", "Enterprise", "长春公司"))
    for key, cls, label in things:
        add(key, RDF_TYPE, pk + cls)
        add(key, rdfs + "label", ox.Literal(label, language="zh"))
    add("i", RDF_TYPE, pk + "Industry")
    add("i", rdfs + "label", ox.Literal("碳纤维产业", language="zh"))
    for key in ("e", "f"):
        add(key, pk + "inIndustry", "i")
    relations = [Relation(f"urn:t:{h}", "locatedIn", f"urn:t:{t}") for h, t in located]
    for r in relations:
        store.add(ox.Quad(ox.NamedNode(r.head), ox.NamedNode(pk + "locatedIn"), ox.NamedNode(r.tail)))
    for head, above in containment(relations).items():
        for place in above:
            store.add(ox.Quad(ox.NamedNode(head), ox.NamedNode(pk + "within"), ox.NamedNode(place)))
    return store


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.mark.parametrize("name", PLACE_QUERIES)
@pytest.mark.parametrize("anchor", ["吉林省", "吉林市", "辽宁省", "长春市"])
def test_place_shortcut_answers_as_the_path_for_any_anchor(sample_build: Path, name: str, anchor: str) -> None:
    """On the sample and on a graph made for the trap (an entity located in two
    provinces), the pk:within form gives the rows of the pk:locatedIn* form."""
    from kg.query import with_prefixes

    fast_q = resolve_query(name).replace('"吉林省"@zh', f'"{anchor}"@zh').replace('"吉林市"@zh', f'"{anchor}"@zh')
    plain_q = PLAIN[name].replace('"吉林省"@zh', f'"{anchor}"@zh').replace('"吉林市"@zh', f'"{anchor}"@zh')
    for store in (open_store(sample_build), crafted_places()):
        fast = run_query(store, fast_q)
        plain = run_query(store, with_prefixes(plain_q))
        assert sorted(fast.rows) == sorted(plain.rows), (name, anchor)
    if name == "projects-in-place" and anchor == "辽宁省":
        assert [r[1:] for r in fast.rows] == [["两地项目", "沈阳市"]]  # not 舒兰市 as well
