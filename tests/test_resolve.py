"""Resolution: one node per real thing, stable readable IRIs."""

from __future__ import annotations

from kg.records import Document, Mention
from kg.resolve import Resolver, resolution_key, slug


def test_aliases_share_a_key() -> None:
    assert resolution_key("一汽", "Enterprise") == resolution_key("一汽集团", "Enterprise")
    keys = {resolution_key(x, "Enterprise") for x in ("吉化", "中油吉化", "吉林石化")}
    assert len(keys) == 1
    assert resolution_key("长光卫星公司", "Enterprise") == resolution_key("长光卫星", "Enterprise")
    assert resolution_key("“智改数转”行动", "Programme") == resolution_key("“智改数转”", "Programme")
    assert resolution_key("汽车产业", "Industry") == resolution_key("汽车产业集群", "Industry")


def test_distinct_things_stay_apart() -> None:
    assert resolution_key("新能源汽车产业", "Industry") != resolution_key("汽车产业", "Industry")
    assert resolution_key("一汽解放", "Enterprise") != resolution_key("一汽", "Enterprise")


def test_slug_is_readable_pinyin() -> None:
    assert slug("吉林化纤") == "jilin-huaxian"


def test_resolver_merges_and_labels_with_longest_form() -> None:
    d = Document(id="d1", path="x.txt", raw="", text="", offsets=[], region="220200000000")
    r = Resolver()
    r.add(d, [Mention("d1", 0, 0, 2, "Enterprise", "一汽", "t"), Mention("d1", 1, 0, 4, "Enterprise", "一汽集团", "t")])
    r.add(d, [Mention("d1", 2, 0, 2, "Place", "舒兰", "t")])
    ents = {e.label: e for e in r.entities()}
    assert ents["一汽集团"].alt_labels == {"一汽"}
    assert ents["一汽集团"].iri.startswith("https://w3id.org/policykg/id/enterprise/")
    # 舒兰 is mentioned: labelled by its official name; its ancestors come with it
    assert ents["舒兰市"].code == "220283000000" and ents["舒兰市"].alt_labels == {"舒兰"}
    assert {"吉林市", "吉林省"} <= set(ents)
