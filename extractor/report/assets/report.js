/* contracts report: the graph (cytoscape.js), the findings table and the details panel, built from
   the JSON embedded in the page (#report-data). Text is always set with textContent: names and
   paths come from the scanned repository. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var graphDoc = data.graph;
  var findingsDoc = data.findings;
  var findings = findingsDoc.findings;
  var history = data.history;
  var SEVERITIES = ["error", "warning", "info"];
  var COLOURS = { error: "#c62828", warning: "#ef8c00", info: "#1e88e5", none: "#9e9e9e" };
  var byId = {};
  findings.forEach(function (f) { byId[f.id] = f; });
  var edgeDocs = {};
  graphDoc.edges.forEach(function (e) { edgeDocs[e.id] = e; });
  var nodeNames = {};
  graphDoc.nodes.forEach(function (n) { nodeNames[n.id] = n.name; });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function where(loc) {
    return loc.file + ":" + loc.line;
  }

  function locationItem(loc) {
    var origin = loc.origin || "";
    return el("li", { className: "loc " + origin }, [
      el("span", { className: "origin origin-" + origin, text: origin }),
      " ",
      el("code", { className: "where", text: where(loc) }),
      loc.rule ? el("span", { className: "rule", text: " " + loc.rule }) : null,
    ]);
  }

  // -- header ---------------------------------------------------------------------------------------
  (function header() {
    var run = findingsDoc.run || {};
    var parts = [];
    if (run.tool) parts.push(run.tool + " " + (run.version || ""));
    if (run.time) parts.push(run.time);
    if (run.commit) parts.push("commit " + run.commit.slice(0, 12));
    if (run.branch) parts.push("branch " + run.branch);
    document.getElementById("run").textContent = parts.join(" · ");
    var s = findingsDoc.summary;
    var counts = graphDoc.nodes.length + " nodes, " + graphDoc.edges.length + " edges; " + s.findings + " findings (" +
      SEVERITIES.map(function (k) { return s[k] + " " + k; }).join(", ") + ")" + (s.contract_errors ? "; " + s.contract_errors + " contract file errors" : "");
    document.getElementById("summary").textContent = counts;
    document.getElementById("footer").textContent = "Graph drawn with cytoscape.js " + data.cytoscape + " (MIT licence), bundled in this file.";
  })();

  // -- graph ----------------------------------------------------------------------------------------
  function nodeKind(n) {
    return n.kind === "service" && n.role === "proxy" ? "proxy" : n.kind;
  }

  var elements = [];
  graphDoc.nodes.forEach(function (n) {
    elements.push({ group: "nodes", data: { id: n.id, label: n.name, kind: nodeKind(n) } });
  });
  graphDoc.edges.forEach(function (e) {
    if (!(e.source in nodeNames) || !(e.target in nodeNames)) return;
    var extra = data.edges[e.id] || {};
    elements.push({
      group: "edges",
      data: {
        id: e.id, source: e.source, target: e.target, kind: e.kind,
        label: (extra.label || []).join("\n"), worst: extra.worst || "none",
        codeless: e.in_code ? 0 : 1,
      },
    });
  });

  function nodeWidth(n) {
    return Math.max(70, n.data("label").length * 7.6 + 20);
  }

  /* Left to right in layers: cycles broken by a depth-first search from the nodes nothing points
     to, each node one layer right of its furthest predecessor, then each layer ordered by the mean
     position of its neighbours (a few sweeps each way) to cut crossings. Deterministic. */
  function layered(items) {
    var ids = [], label = {}, succ = {}, pred = {};
    items.forEach(function (it) {
      if (it.group === "nodes") { ids.push(it.data.id); label[it.data.id] = it.data.label; succ[it.data.id] = []; pred[it.data.id] = []; }
    });
    items.forEach(function (it) {
      if (it.group === "edges" && it.data.source !== it.data.target && succ[it.data.source].indexOf(it.data.target) < 0) {
        succ[it.data.source].push(it.data.target);
        pred[it.data.target].push(it.data.source);
      }
    });
    var state = {}, forward = {};
    ids.forEach(function (id) { forward[id] = []; });
    function visit(start) {
      var stack = [[start, 0]];
      state[start] = 1;
      while (stack.length) {
        var top = stack[stack.length - 1], id = top[0];
        if (top[1] < succ[id].length) {
          var next = succ[id][top[1]++];
          if (state[next] === 1) continue;
          forward[id].push(next);
          if (!state[next]) { state[next] = 1; stack.push([next, 0]); }
        } else { state[id] = 2; stack.pop(); }
      }
    }
    ids.forEach(function (id) { if (!pred[id].length && !state[id]) visit(id); });
    ids.forEach(function (id) { if (!state[id]) visit(id); });
    var depth = {}, indeg = {}, queue = [];
    ids.forEach(function (id) { depth[id] = 0; indeg[id] = 0; });
    ids.forEach(function (id) { forward[id].forEach(function (t) { indeg[t] += 1; }); });
    ids.forEach(function (id) { if (!indeg[id]) queue.push(id); });
    while (queue.length) {
      var id = queue.shift();
      forward[id].forEach(function (t) {
        depth[t] = Math.max(depth[t], depth[id] + 1);
        indeg[t] -= 1;
        if (!indeg[t]) queue.push(t);
      });
    }
    var layers = [];
    ids.forEach(function (id) { (layers[depth[id]] = layers[depth[id]] || []).push(id); });
    layers = layers.filter(function (l) { return l && l.length; });
    var rank = {};
    function number() { layers.forEach(function (l) { l.forEach(function (id, i) { rank[id] = (i + 0.5) / l.length; }); }); }
    function sweep(layer, neighbours) {
      var keyed = layer.map(function (id, i) {
        var ns = neighbours[id].filter(function (n) { return n in rank && depth[n] !== depth[id]; });
        var key = ns.length ? ns.reduce(function (a, n) { return a + rank[n]; }, 0) / ns.length : rank[id];
        return [key, i, id];
      });
      keyed.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
      return keyed.map(function (k) { return k[2]; });
    }
    number();
    for (var round = 0; round < 4; round++) {
      for (var d = 1; d < layers.length; d++) { layers[d] = sweep(layers[d], pred); number(); }
      for (d = layers.length - 2; d >= 0; d--) { layers[d] = sweep(layers[d], succ); number(); }
    }
    // the gap between layers shrinks as layers add up; the rows spread to the drawing's proportions
    var positions = {}, x = 0, previous = 0, xs = [];
    var gap = Math.max(150, 250 - 40 * Math.max(0, layers.length - 3));
    layers.forEach(function (l, d) {
      var widest = Math.max.apply(null, l.map(function (id) { return Math.max(70, label[id].length * 7.6 + 20); }));
      x += d ? previous / 2 + widest / 2 + gap : 0;
      previous = widest;
      xs.push(x);
    });
    var box = document.getElementById("graph");
    var tallest = Math.max.apply(null, layers.map(function (l) { return l.length; }));
    var row = Math.min(150, Math.max(90, ((x + previous) * box.clientHeight) / Math.max(1, box.clientWidth) / Math.max(1, tallest)));
    layers.forEach(function (l, d) {
      l.forEach(function (id, i) { positions[id] = { x: xs[d], y: (i - (l.length - 1) / 2) * row }; });
    });
    return positions;
  }

  var style = [
    { selector: "node", style: {
      "label": "data(label)", "text-valign": "center", "text-halign": "center", "font-size": 13,
      "font-family": "system-ui, sans-serif", "width": nodeWidth, "height": 32, "shape": "round-rectangle",
      "background-color": "#e3f2fd", "border-width": 1.5, "border-color": "#1565c0", "color": "#0d2a4a" } },
    { selector: "node[kind = 'proxy']", style: { "shape": "hexagon", "background-color": "#ede7f6", "border-color": "#5e35b1" } },
    { selector: "node[kind = 'dataset']", style: { "shape": "barrel", "background-color": "#e8f5e9", "border-color": "#2e7d32" } },
    { selector: "node[kind = 'external']", style: { "background-color": "#fafafa", "border-style": "dashed", "border-color": "#616161" } },
    { selector: "node[kind = 'topic']", style: { "shape": "tag", "background-color": "#e1f5fe", "border-color": "#0277bd" } },
    { selector: "node[kind = 'store']", style: { "shape": "barrel", "background-color": "#fff8e1", "border-color": "#f9a825" } },
    { selector: "node[kind = 'infrastructure']", style: { "shape": "cut-rectangle", "background-color": "#f5f5f5", "border-color": "#757575", "border-style": "dashed" } },
    { selector: "edge", style: {
      "curve-style": "bezier", "target-arrow-shape": "triangle", "arrow-scale": 0.9, "width": 2,
      "line-color": COLOURS.none, "target-arrow-color": COLOURS.none,
      "label": "data(label)", "font-size": 11, "control-point-step-size": 70, "font-family": "system-ui, sans-serif", "text-wrap": "wrap",
      "text-background-color": "#ffffff", "text-background-opacity": 0.7, "text-background-padding": 2, "color": "#333" } },
    { selector: "edge[codeless = 1]", style: { "line-style": "dashed" } },
    { selector: "edge[kind = 'read'], edge[kind = 'store'], edge[kind = 'infrastructure']", style: { "line-style": "dotted" } },
  ];
  SEVERITIES.forEach(function (s) {
    style.push({ selector: "edge[worst = '" + s + "']", style: { "line-color": COLOURS[s], "target-arrow-color": COLOURS[s], "width": 3 } });
  });
  style.push({ selector: "edge:selected, edge.lit", style: { "width": 5, "overlay-opacity": 0, "underlay-color": "#ffca28", "underlay-opacity": 0.7, "underlay-padding": 5 } });
  style.push({ selector: "node:selected, node.lit", style: { "border-width": 3, "overlay-opacity": 0, "underlay-color": "#ffca28", "underlay-opacity": 0.7, "underlay-padding": 5 } });

  var cy = cytoscape({
    container: document.getElementById("graph"),
    elements: elements,
    style: style,
    layout: { name: "preset", positions: layered(elements), padding: 16, fit: true },
    minZoom: 0.2, maxZoom: 3,
  });

  if (cy.zoom() > 1.1) {
    cy.zoom(1.1);
    cy.center();
  }

  (function legend() {
    var box = document.getElementById("legend");
    var items = [["error", "an error finding"], ["warning", "a warning"], ["info", "info"], ["none", "no finding"]];
    items.forEach(function (it) {
      var swatch = el("span", { className: "swatch" });
      swatch.style.backgroundColor = COLOURS[it[0]];
      box.appendChild(el("span", { className: "legend-item" }, [swatch, it[1]]));
    });
    box.appendChild(el("span", { className: "legend-item", text: "dashed: declared only, not in code · dotted: data and infrastructure" }));
  })();

  // -- details --------------------------------------------------------------------------------------
  var details = document.getElementById("details");

  function clearDetails(heading) {
    while (details.firstChild) details.removeChild(details.firstChild);
    details.appendChild(el("h2", { text: heading }));
  }

  function light(ids) {
    cy.elements().removeClass("lit");
    ids.forEach(function (id) { cy.getElementById(id).addClass("lit"); });
  }

  function findingLink(f) {
    var a = el("a", { href: "#", className: "finding-link sev-" + f.severity, "data-finding": f.id, text: f.title + " (" + f.status + ")" });
    a.addEventListener("click", function (ev) { ev.preventDefault(); showFinding(f.id); });
    return a;
  }

  function showEdge(id) {
    var e = edgeDocs[id];
    if (!e) return;
    var extra = data.edges[id] || {};
    clearDetails("Edge");
    details.setAttribute("data-shown", id);
    details.appendChild(el("p", { className: "edge-title" }, [
      el("strong", { text: nodeNames[e.source] + " → " + nodeNames[e.target] }),
      " " + e.kind + (e.operation ? " " + e.operation : ""),
    ]));
    details.appendChild(el("p", { className: "badges", text:
      (e.declared ? "declared" : "not declared") + " · " + (e.in_code ? "in code" : "not in code") + (e.match ? " · matched by " + e.match : "") }));
    var ids = extra.findings || [];
    if (ids.length) {
      details.appendChild(el("h3", { text: "Findings (" + ids.length + ")" }));
      details.appendChild(el("ul", { className: "edge-findings" }, ids.map(function (fid) { return el("li", {}, [findingLink(byId[fid])]); })));
    }
    var table = el("table", { className: "attributes" }, [el("tr", {}, [el("th", { text: "attribute" }), el("th", { text: "value, file:line" }), el("th", { text: "from" })])]);
    var attrs = Object.assign({}, e.attributes);
    if (extra.breakers && extra.breakers.length) attrs.circuit_breaker = extra.breakers;
    Object.keys(attrs).sort().forEach(function (name) {
      attrs[name].forEach(function (v) {
        var value = v.value === null ? "none" : String(v.value);
        if (name === "timeout_ms" && typeof v.value === "number") value = v.value + " ms";
        table.appendChild(el("tr", { className: "origin-row " + v.origin }, [
          el("td", { text: name }),
          el("td", {}, [
            el("div", { text: value + (v.note ? " (" + v.note + ")" : "") + (v.fallback ? " → " + v.fallback : "") }),
            el("code", { className: "where", text: where(v) }),
            v.rule ? el("span", { className: "rule", text: " " + v.rule }) : null,
          ]),
          el("td", {}, [el("span", { className: "origin origin-" + v.origin, text: v.origin })]),
        ]));
      });
    });
    details.appendChild(el("h3", { text: "Declared and in code" }));
    details.appendChild(table);
    light([id]);
  }

  function showFinding(id) {
    var f = byId[id];
    if (!f) return;
    clearDetails("Finding");
    details.setAttribute("data-shown", id);
    details.appendChild(el("p", {}, [el("span", { className: "sev sev-" + f.severity, text: f.severity }), " ", el("strong", { text: f.title })]));
    details.appendChild(el("p", { className: "badges", text: f.check + " · " + f.status + " · " + f.services.join(" → ") + " · " + f.subject }));
    details.appendChild(el("p", { className: "message", text: f.message }));
    details.appendChild(el("h3", { text: "Both sides" }));
    f.sides.forEach(function (s) {
      details.appendChild(el("div", { className: "side" }, [
        el("p", {}, [el("strong", { text: s.service }), " " + s.role + ": " + s.text]),
        el("ul", { className: "locations" }, s.locations.map(locationItem)),
      ]));
    });
    if (f.impact) details.appendChild(el("p", { className: "impact", text: "Impact: " + f.impact }));
    if (f.resolutions.length) {
      details.appendChild(el("h3", { text: "Resolutions" }));
      details.appendChild(el("ul", {}, f.resolutions.map(function (r) { return el("li", { text: r.action }); })));
    }
    var edges = data.finding_edges[id] || [];
    if (edges.length) {
      details.appendChild(el("h3", { text: "Edges" }));
      details.appendChild(el("ul", {}, edges.map(function (eid) {
        var a = el("a", { href: "#", className: "edge-link", "data-edge": eid, text: eid });
        a.addEventListener("click", function (ev) { ev.preventDefault(); showEdge(eid); });
        return el("li", {}, [a]);
      })));
      light(edges);
    } else {
      light(f.services.map(function (s) { return "service:" + s; }));
    }
    var seen = history && history.first_seen[id];
    if (seen) details.appendChild(el("p", { className: "first-seen", text: "First recorded " + seen }));
  }

  cy.on("tap", "edge", function (ev) { showEdge(ev.target.id()); });

  // -- findings table -------------------------------------------------------------------------------
  var head = document.querySelector("#findings thead");
  var body = document.querySelector("#findings tbody");
  var columns = ["severity", "status", "check", "services", "subject", "title", "where"].concat(history ? ["first seen"] : []);
  head.appendChild(el("tr", {}, columns.map(function (c) { return el("th", { text: c }); })));
  findings.forEach(function (f) {
    var first = f.locations[0];
    var cells = [
      el("td", {}, [el("span", { className: "sev sev-" + f.severity, text: f.severity })]),
      el("td", { text: f.status }),
      el("td", { text: f.check }),
      el("td", { text: f.services.join(" → ") }),
      el("td", { text: f.subject }),
      el("td", { text: f.title }),
      el("td", {}, [first ? el("code", { text: where(first) }) : null]),
    ];
    if (history) cells.push(el("td", { text: history.first_seen[f.id] || "" }));
    var row = el("tr", { "data-finding": f.id, "data-services": JSON.stringify(f.services), "data-check": f.check, "data-status": f.status, tabindex: "0" }, cells);
    row.addEventListener("click", function () { showFinding(f.id); });
    row.addEventListener("keydown", function (ev) { if (ev.key === "Enter") showFinding(f.id); });
    body.appendChild(row);
  });

  function uniq(values) {
    return values.filter(function (v, i) { return values.indexOf(v) === i; }).sort();
  }

  var filters = document.getElementById("filters");
  var counter = el("span", { id: "shown-count" });

  function select(id, label, values) {
    var s = el("select", { id: id }, [el("option", { value: "", text: "every " + label })].concat(values.map(function (v) { return el("option", { value: v, text: v }); })));
    s.addEventListener("change", applyFilters);
    filters.appendChild(el("label", {}, [label + " ", s]));
    return s;
  }

  var byService = select("filter-service", "service", uniq([].concat.apply([], findings.map(function (f) { return f.services; }))));
  var byCheck = select("filter-check", "check", uniq(findings.map(function (f) { return f.check; })));
  var byStatus = select("filter-status", "status", uniq(findings.map(function (f) { return f.status; })));
  filters.appendChild(counter);

  function applyFilters() {
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var ok = (!byService.value || JSON.parse(row.getAttribute("data-services")).indexOf(byService.value) >= 0) &&
        (!byCheck.value || row.getAttribute("data-check") === byCheck.value) &&
        (!byStatus.value || row.getAttribute("data-status") === byStatus.value);
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    counter.textContent = shown + " of " + findings.length + " findings shown";
  }
  applyFilters();

  if (findingsDoc.contract_errors.length) {
    var section = document.getElementById("findings-section");
    section.appendChild(el("h3", { text: "Contract file errors" }));
    section.appendChild(el("ul", { id: "contract-errors" }, findingsDoc.contract_errors.map(function (e) {
      return el("li", {}, [el("code", { text: where(e) }), " " + e.kind + ": " + e.message]);
    })));
  }

  // -- drift trend ----------------------------------------------------------------------------------
  if (history && history.trend.length) {
    document.getElementById("trend-section").hidden = false;
    document.getElementById("trend-where").textContent = "Findings per check family in the last " + history.trend.length +
      " recorded runs (oldest first), from " + history.where + ".";
    var table = document.getElementById("trend");
    table.appendChild(el("tr", {}, [el("th", { text: "family" })].concat(history.trend.map(function (p) {
      return el("th", { title: p.commit || "", text: "#" + p.run + " " + p.recorded_at.slice(0, 10) });
    })).concat([el("th", { text: "" })])));
    var peak = 1;
    history.kinds.forEach(function (k) { history.trend.forEach(function (p) { peak = Math.max(peak, p.counts[k] || 0); }); });
    history.kinds.forEach(function (k) {
      var bars = el("td", { className: "spark" }, history.trend.map(function (p) {
        var bar = el("span", { className: "bar", title: String(p.counts[k] || 0) });
        bar.style.height = Math.round(((p.counts[k] || 0) / peak) * 24) + "px";
        return bar;
      }));
      table.appendChild(el("tr", { "data-kind": k }, [el("td", { text: k })].concat(history.trend.map(function (p) {
        return el("td", { className: "count", text: String(p.counts[k] || 0) });
      })).concat([bars])));
    });
  } else if (history) {
    document.getElementById("trend-section").hidden = false;
    document.getElementById("trend-where").textContent = "No run recorded yet in " + history.where + ".";
  }

  window.contractsReport = { cy: cy, showEdge: showEdge, showFinding: showFinding, applyFilters: applyFilters, data: data };
})();
