// The policykg explorer. Data arrives as JSON text; everything from a document is shown
// with textContent, never as HTML.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("kg-data").textContent);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const byId = new Map(DATA.nodes.map((n) => [n.id, n]));
  const state = {
    classes: new Set(Object.keys(DATA.classes)),
    relations: new Set(Object.keys(DATA.relations).filter((r) => r !== "coMentionedWith")),
    comentions: false, doc: "", year: "", industry: "",
  };

  const nodes = new vis.DataSet(DATA.nodes.map((n) => ({
    id: n.id, label: n.label, shape: n.shape, color: n.color, x: n.x, y: n.y, size: n.size,
    font: { size: 12 },
  })));
  const edges = new vis.DataSet(DATA.edges.map((e) => ({
    id: e.id, from: e.from, to: e.to, label: e.label, rel: e.rel, dashes: !!e.dashes,
    arrows: e.rel === "coMentionedWith" ? "" : "to",
    color: e.rel === "coMentionedWith" ? { color: "#bbbbbb" } : undefined,
    font: { size: 9, align: "middle" },
  })));

  function nodeVisible(item) {
    const n = byId.get(item.id);
    if (!state.classes.has(n.cls)) return false;
    if (state.doc && !n.docs.includes(state.doc)) return false;
    if (state.year && !n.years.includes(state.year)) return false;
    if (state.industry && !(n.industries.includes(state.industry) || (n.cls === "Industry" && n.label === state.industry))) return false;
    return true;
  }
  function edgeVisible(item) {
    if (item.rel === "coMentionedWith") return state.comentions;
    return state.relations.has(item.rel);
  }
  const nodeView = new vis.DataView(nodes, { filter: nodeVisible });
  const edgeView = new vis.DataView(edges, { filter: edgeVisible });
  const container = document.getElementById("network");
  const network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, {
    physics: { enabled: false },
    interaction: { hover: true, tooltipDelay: 300, hideEdgesOnDrag: DATA.nodes.length > 1500, hideEdgesOnZoom: DATA.nodes.length > 1500 },
    layout: { improvedLayout: false },
    edges: { smooth: false, width: 1 },
    nodes: { borderWidth: 1 },
  });

  function refresh() {
    nodeView.refresh();
    edgeView.refresh();
    const counts = document.getElementById("counts");
    counts.replaceChildren(el("p", `${nodeView.length} / ${DATA.nodes.length} nodes · ${edgeView.length} edges`));
  }

  // ---- legend and filters
  const legend = document.getElementById("legend");
  for (const [cls, st] of Object.entries(DATA.classes)) {
    const label = el("label");
    const box = el("input"); box.type = "checkbox"; box.checked = true; box.dataset.cls = cls;
    box.addEventListener("change", () => { box.checked ? state.classes.add(cls) : state.classes.delete(cls); refresh(); });
    const sw = el("span", "", "swatch"); sw.style.background = st.color;
    const count = DATA.nodes.filter((n) => n.cls === cls).length;
    label.append(box, sw, el("span", `${st.label} (${count})`));
    legend.append(label);
  }
  const relBox = document.getElementById("relation-filters");
  for (const [rel, zh] of Object.entries(DATA.relations)) {
    if (rel === "coMentionedWith") continue;
    const label = el("label");
    const box = el("input"); box.type = "checkbox"; box.checked = true; box.dataset.rel = rel;
    box.addEventListener("change", () => { box.checked ? state.relations.add(rel) : state.relations.delete(rel); refresh(); });
    label.append(box, el("span", `${zh} ${rel}`));
    relBox.append(label);
  }
  document.getElementById("show-comentions").addEventListener("change", (ev) => { state.comentions = ev.target.checked; refresh(); });
  function fillSelect(id, values, key) {
    const sel = document.getElementById(id);
    for (const v of [...new Set(values)].sort()) { const o = el("option", v); o.value = v; sel.append(o); }
    sel.addEventListener("change", () => { state[key] = sel.value; refresh(); });
  }
  fillSelect("doc-filter", DATA.nodes.flatMap((n) => n.docs), "doc");
  fillSelect("year-filter", DATA.nodes.flatMap((n) => n.years), "year");
  fillSelect("industry-filter", DATA.nodes.filter((n) => n.cls === "Industry").map((n) => n.label), "industry");

  // ---- details panel
  const details = document.getElementById("details");
  function showDetails(id) {
    const n = byId.get(id);
    if (!n) return;
    const d = DATA.details[id] || { relations: [], observations: [] };
    const parts = [el("h2", n.label), el("p", `${DATA.classes[n.cls].label}`), el("p", id, "iri")];
    if (n.alt.length) parts.push(el("p", "别名 also: " + n.alt.join(" · ")));
    if (n.docs.length) parts.push(el("p", "文档 documents: " + n.docs.join(", ")));
    if (d.relations.length) {
      parts.push(el("h2", "关系 Relations"));
      for (const r of d.relations) {
        const head = r.dir === "out" ? `${n.label} —${r.rel}→ ${r.otherLabel}` : `${r.otherLabel} —${r.rel}→ ${n.label}`;
        const p = el("p", head, "relation");
        const link = el("a", " ↗"); link.href = "#"; link.addEventListener("click", (ev) => { ev.preventDefault(); selectNode(r.other); });
        p.append(link);
        parts.push(p);
        for (const ev of r.evidence) {
          const e = el("div", "", "evidence");
          e.append(el("span", ev.text || `(${ev.rule})`), el("span", ev.file ? ` — ${ev.file} · ${ev.rule}` : "", "file"));
          parts.push(e);
        }
      }
    }
    if (d.observations.length) {
      parts.push(el("h2", "指标 Observations"));
      const table = el("table");
      const years = [...new Set(d.observations.map((o) => o.period))].sort();
      const head = el("tr"); head.append(el("th", "indicator"), ...years.map((y) => el("th", y)));
      table.append(head);
      const byInd = new Map();
      for (const o of d.observations) {
        const k = `${o.indicator} (${o.unit})`;
        if (!byInd.has(k)) byInd.set(k, {});
        const cell = byInd.get(k);
        (cell[o.period] = cell[o.period] || []).push(`${o.status === "target" ? "目标" : "实际"} ${o.value}`);
      }
      for (const [k, cells] of byInd) {
        const tr = el("tr"); tr.append(el("td", k), ...years.map((y) => el("td", (cells[y] || []).join(" / "))));
        table.append(tr);
      }
      parts.push(table);
    }
    details.replaceChildren(...parts);
  }
  function selectNode(id) {
    if (!nodeView.get(id)) { state.classes.add(byId.get(id).cls); refresh(); }
    network.selectNodes([id]);
    network.focus(id, { scale: 1.2, animation: false });
    showDetails(id);
  }
  network.on("click", (params) => { if (params.nodes.length) showDetails(params.nodes[0]); });

  // ---- search over labels, alternative labels and pinyin
  const input = document.getElementById("search");
  const results = document.getElementById("search-results");
  function search(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    const scored = [];
    for (const n of DATA.nodes) {
      const exact = n.label === q || n.alt.includes(q);
      const hit = exact || n.label.toLowerCase().includes(q) || n.pinyin.includes(q.replace(/\s+/g, "")) ||
        n.alt.some((a) => a.toLowerCase().includes(q));
      if (hit) scored.push([exact ? 0 : n.label.length, n]);
      if (scored.length > 500) break;
    }
    return scored.sort((a, b) => a[0] - b[0]).slice(0, 20).map((s) => s[1]);
  }
  input.addEventListener("input", () => {
    results.replaceChildren(...search(input.value).map((n) => {
      const li = el("li", `${n.label} · ${DATA.classes[n.cls].label}`);
      li.dataset.id = n.id;
      li.addEventListener("click", () => { selectNode(n.id); results.replaceChildren(); });
      return li;
    }));
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      const first = search(input.value)[0];
      if (first) { selectNode(first.id); results.replaceChildren(); }
    }
  });

  refresh();
  window.kgExplorer = {
    network, nodes, edges, selectNode, search,
    drawnNodeCount: () => network.body.nodeIndices.length,
    selected: () => network.getSelectedNodes(),
    ready: true,
  };
})();
