"""The queries behind `kg stats`: (row title template, SPARQL whose last column is a count)."""

STATS_QUERIES = [
    ("documents", "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a pk:Document }"),
    ("sentences", "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a pk:Sentence }"),
    (
        "entities: {}",
        "SELECT (STRAFTER(STR(?c), '#') AS ?k) (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a ?c "
        "VALUES ?c { pk:Enterprise pk:Organization pk:Project pk:Place pk:Programme pk:Industry pk:Product } }"
        " GROUP BY ?c ORDER BY ?k",
    ),
    (
        "relations: {}",
        "SELECT (STRAFTER(STR(?p), '#') AS ?k) (COUNT(*) AS ?n) WHERE { ?s ?p ?o "
        "VALUES ?p { pk:locatedIn pk:undertakenBy pk:partOf pk:implements pk:inIndustry pk:subsidiaryOf pk:produces } }"
        " GROUP BY ?p ORDER BY ?k",
    ),
    ("observations", "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a qb:Observation }"),
    ("triples", "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"),
]
