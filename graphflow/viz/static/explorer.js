/* graphflow explorer (see graphflow/viz/explorer.py): draws the graph in the page's JSON
 * with dagre, expands/collapses name scopes in place, pans/zooms, searches, shows the
 * selected node's details and steps through the forward and backward passes.
 * Plain ES2017, no network access, every text set through textContent (no HTML injection). */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("graph-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var svg = document.getElementById("graph");
  var canvas = document.getElementById("canvas");
  var details = document.getElementById("details");
  var stepInfo = document.getElementById("step-info");
  var nodeBy = {}, scopeBy = {};
  D.nodes.forEach(function (n) { nodeBy[n.name] = n; });
  D.scopes.forEach(function (s) { scopeBy[s.name] = s; });
  var expanded = new Set(D.expanded ? D.scopes.map(function (s) { return s.name; }) : []);
  var state = { selected: null, step: -1, matches: new Set(), view: { x: 0, y: 0, k: 1 },
                layout: null };
  var measure = document.createElement("canvas").getContext("2d");

  function textWidth(text, size, bold) {
    measure.font = (bold ? "bold " : "") + size + "px Helvetica, Arial, sans-serif";
    return measure.measureText(text).width;
  }
  function el(tag, attrs, parent) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function html(tag, text, cls, parent) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function chain(scope) { // "a/b/c" -> ["a", "a/b", "a/b/c"]
    if (!scope) { return []; }
    var parts = scope.split("/"), out = [];
    for (var i = 1; i <= parts.length; i++) { out.push(parts.slice(0, i).join("/")); }
    return out;
  }
  function repOf(name) { // the drawn thing standing for node `name`
    var scopes = chain(nodeBy[name].scope);
    for (var i = 0; i < scopes.length; i++) {
      if (!expanded.has(scopes[i])) { return "scope:" + scopes[i]; }
    }
    return name;
  }
  function reveal(name) { // expand every scope around node `name`; true if anything changed
    var changed = false;
    chain(nodeBy[name] ? nodeBy[name].scope : "").forEach(function (s) {
      if (!expanded.has(s)) { expanded.add(s); changed = true; }
    });
    return changed;
  }

  // -- what the current step has revealed --------------------------------------------------
  function progress() {
    var p = { all: state.step < 0, fwd: new Set(), bwd: new Set(), edges: new Set(),
              current: null, active: new Set() };
    for (var i = 0; i <= state.step && i < D.steps.length; i++) {
      var s = D.steps[i];
      (s.phase === "forward" ? p.fwd : p.bwd).add(s.node);
      if (s.phase === "backward") { s.edges.forEach(function (e) { p.edges.add(e); }); }
    }
    if (state.step >= 0) {
      p.current = D.steps[state.step].node;
      D.steps[state.step].edges.forEach(function (e) { p.active.add(e); });
    }
    return p;
  }

  // -- layout and drawing ------------------------------------------------------------------
  function nodeLines(n, p) {
    var lines = [{ text: n.label, cls: "name", size: 12, bold: true },
                 { text: n.op, cls: "op", size: 10 }];
    n.notes.forEach(function (t) { lines.push({ text: t, cls: "note", size: 10 }); });
    var out = n.outputs[0];
    if (D.hasValues && out) {
      if (out.short !== undefined && (p.all || p.fwd.has(n.name))) {
        lines.push({ text: "= " + out.short, cls: "val", size: 10 });
      }
      if (out.gshort !== undefined && (p.all || p.bwd.has(n.name))) {
        lines.push({ text: "\u2207 " + out.gshort, cls: "gval", size: 10 });
      }
    }
    return lines;
  }
  function edgeLines(group, p) {
    if (group.items.length > 1) {
      return [{ text: group.items.length + " tensors", cls: "" }];
    }
    var i = group.items[0], e = D.edges[i], lines = [];
    if (e.control) { return lines; }
    if (e.value !== undefined && (p.all || p.fwd.has(e.src))) {
      lines.push({ text: e.value, cls: "val" });
    }
    if (e.grad !== undefined && (p.all || p.edges.has(i))) {
      lines.push({ text: e.grad, cls: "gval" });
    }
    if (!lines.length && e.shape && !D.hasValues) { lines.push({ text: e.shape, cls: "" }); }
    if (!lines.length && e.shape && D.hasValues && p.all) {
      lines.push({ text: e.shape, cls: "" });
    }
    return lines;
  }

  // Hierarchical layout, as TensorBoard does it: every expanded scope is laid out on its own
  // (a small flat dagre graph of its direct children: nodes, collapsed scopes, and expanded
  // child scopes as boxes of their own laid-out size), then placed inside its parent. Flat
  // graphs of a few dozen items keep dagre fast; one compound layout of a training graph
  // would take minutes.
  var PAD = 10, TITLE = 18;
  function containerOf(rep) {
    return rep.indexOf("scope:") === 0 ? scopeBy[rep.slice(6)].parent : nodeBy[rep].scope;
  }
  function itemOf(name, scope) { // the direct child of `scope` holding node `name`, or null
    var s = nodeBy[name].scope;
    if (s === scope) { return name; }
    if (scope && s.indexOf(scope + "/") !== 0) { return null; }
    var rest = scope ? s.slice(scope.length + 1) : s;
    return "scope:" + (scope ? scope + "/" : "") + rest.split("/")[0];
  }
  function itemBox(item, p) {
    if (item.indexOf("scope:") !== 0) {
      var n = nodeBy[item], lines = nodeLines(n, p);
      var w = Math.max.apply(null, lines.map(function (l) {
        return textWidth(l.text, l.size, l.bold); }));
      return { kind: "node", node: n, lines: lines, width: Math.ceil(w) + 18,
               height: lines.length * 14 + 10 };
    }
    var scope = scopeBy[item.slice(6)];
    if (expanded.has(scope.name)) {
      var inner = layoutScope(scope.name, p);
      return { kind: "cluster", scope: scope, inner: inner,
               width: Math.max(inner.width, textWidth(scope.label + "/", 11, true) + 24) +
                 2 * PAD, height: inner.height + TITLE + PAD };
    }
    var title = scope.label + "/", sub = scope.count + (scope.count === 1 ? " op" : " ops");
    return { kind: "scope", scope: scope, title: title, sub: sub, height: 38,
             width: Math.ceil(Math.max(textWidth(title, 12, true), textWidth(sub, 10))) + 26 };
  }
  function layoutScope(scope, p) {
    var items = {};
    D.nodes.forEach(function (n) {
      var it = itemOf(n.name, scope);
      if (it !== null && !items[it]) { items[it] = itemBox(it, p); }
    });
    var g = new dagre.graphlib.Graph({ multigraph: true });
    var margin = scope ? 8 : 24;
    g.setGraph({ rankdir: D.rankdir, nodesep: 22, ranksep: 34, edgesep: 8,
                 marginx: margin, marginy: margin });
    g.setDefaultEdgeLabel(function () { return {}; });
    Object.keys(items).forEach(function (it) {
      g.setNode(it, { width: items[it].width, height: items[it].height }); });
    var groups = {};
    D.edges.forEach(function (e, i) {
      var a = itemOf(e.src, scope), b = itemOf(e.dst, scope);
      if (a === null || b === null || a === b) { return; }
      var key = a + "\u0000" + b;
      if (!groups[key]) { groups[key] = { src: a, dst: b, items: [] }; }
      groups[key].items.push(i);
    });
    var edges = {};
    Object.keys(groups).forEach(function (key) {
      var grp = groups[key];
      var reps = grp.items.length === 1 && repOf(D.edges[grp.items[0]].src) === grp.src &&
        repOf(D.edges[grp.items[0]].dst) === grp.dst;
      var lines = edgeLines(grp, p), label = {};
      if (lines.length && (reps || grp.items.length > 1)) {
        label = { width: Math.max.apply(null, lines.map(function (l) {
          return textWidth(l.text, 9.5); })) + 6, height: lines.length * 12, labelpos: "c" };
      }
      g.setEdge(grp.src, grp.dst, label, key);
      edges[key] = grp;
    });
    dagre.layout(g);
    Object.keys(items).forEach(function (it) {
      var b = g.node(it); items[it].x = b.x; items[it].y = b.y; });
    Object.keys(edges).forEach(function (key) {
      var e = g.edge(edges[key].src, edges[key].dst, key);
      edges[key].points = e ? e.points : [];
    });
    var gg = g.graph();
    var empty = !Object.keys(items).length; // dagre's size of an empty graph is NaN
    return { items: items, edges: edges, width: empty ? 2 * margin : gg.width,
             height: empty ? 2 * margin : gg.height };
  }
  function place(inner, ox, oy, out) { // absolute boxes of every drawn item, recursively
    Object.keys(inner.items).forEach(function (it) {
      var b = inner.items[it];
      var box = { x: ox + b.x, y: oy + b.y, width: b.width, height: b.height, item: b };
      out.boxes[it] = box;
      if (b.kind === "cluster") {
        out.clusters.push(box);
        place(b.inner, box.x - b.width / 2 + PAD, box.y - b.height / 2 + TITLE, out);
      }
    });
    Object.keys(inner.edges).forEach(function (key) {
      var e = inner.edges[key];
      out.routes[key] = e.points.map(function (pt) { return { x: ox + pt.x, y: oy + pt.y }; });
    });
  }
  function layout(p) {
    var root = layoutScope("", p);
    var L = { boxes: {}, clusters: [], routes: {}, width: root.width, height: root.height };
    place(root, 0, 0, L);
    var groups = {}; // the edges drawn: between the things drawn for their ends
    D.edges.forEach(function (e, i) {
      var a = repOf(e.src), b = repOf(e.dst);
      if (a === b) { return; }
      var key = a + "\u0000" + b + "\u0000" + (e.control ? 1 : 0);
      if (!groups[key]) { groups[key] = { src: a, dst: b, control: e.control, items: [] }; }
      groups[key].items.push(i);
    });
    Object.keys(groups).forEach(function (key) {
      var grp = groups[key];
      grp.lines = edgeLines(grp, p);
      var same = containerOf(grp.src) === containerOf(grp.dst);
      var route = same ? L.routes[grp.src + "\u0000" + grp.dst] : null;
      grp.points = route && route.length ? route : curve(L.boxes[grp.src], L.boxes[grp.dst]);
    });
    L.groups = groups;
    return L;
  }
  function border(box, toward) { // where the line from box's centre toward a point leaves it
    var dx = toward.x - box.x, dy = toward.y - box.y;
    if (!dx && !dy) { return { x: box.x, y: box.y }; }
    var sx = dx ? (box.width / 2) / Math.abs(dx) : Infinity;
    var sy = dy ? (box.height / 2) / Math.abs(dy) : Infinity;
    var s = Math.min(sx, sy);
    return { x: box.x + dx * s, y: box.y + dy * s };
  }
  function curve(a, b) { // a three-point route between two boxes in different scopes
    var a1 = border(a, b), b1 = border(b, a);
    var lr = D.rankdir === "LR" || D.rankdir === "RL";
    var mid = lr ? { x: (a1.x + b1.x) / 2, y: (a1.y + b1.y) / 2 + 12 } :
      { x: (a1.x + b1.x) / 2 + 12, y: (a1.y + b1.y) / 2 };
    return [a1, mid, b1];
  }
  function pathOf(pts) {
    var d = "M " + pts[0].x + " " + pts[0].y;
    if (pts.length === 2) { return d + " L " + pts[1].x + " " + pts[1].y; }
    for (var i = 1; i < pts.length - 1; i++) {
      var end = i === pts.length - 2 ? pts[i + 1] :
        { x: (pts[i].x + pts[i + 1].x) / 2, y: (pts[i].y + pts[i + 1].y) / 2 };
      d += " Q " + pts[i].x + " " + pts[i].y + " " + end.x + " " + end.y;
    }
    return d;
  }

  function draw(refit) {
    var p = progress();
    var L = layout(p);
    state.layout = L;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var defs = el("defs", {}, svg);
    [["arrow", "#374151"], ["arrow-g", "#b91c1c"], ["arrow-c", "#9ca3af"],
     ["arrow-a", "#f59e0b"]].forEach(function (m) {
      var mk = el("marker", { id: m[0], viewBox: "0 0 10 10", refX: 9, refY: 5,
                              markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
                  defs);
      el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: m[1] }, mk);
    });
    var root = el("g", { id: "viewport" }, svg);
    L.clusters.forEach(function (c) {
      var s = c.item.scope.name, scope = c.item.scope;
      var grp = el("g", { "class": "cluster" + (scope.gradient ? " gradient" : ""),
                          "data-scope": s }, root);
      el("rect", { x: c.x - c.width / 2, y: c.y - c.height / 2, width: c.width,
                   height: c.height, rx: 6 }, grp);
      var t = el("text", { x: c.x - c.width / 2 + 6, y: c.y - c.height / 2 + 13,
                           "class": "cluster-title", "data-collapse": s }, grp);
      t.textContent = "\u25be " + scope.label + "/";
      t.addEventListener("click", function (ev) {
        ev.stopPropagation(); expanded.delete(s);
        Array.from(expanded).forEach(function (x) {
          if (x.indexOf(s + "/") === 0) { expanded.delete(x); } });
        draw(true);
      });
    });
    Object.keys(L.groups).forEach(function (key) {
      var grp = L.groups[key], pts = grp.points;
      if (!pts || pts.length < 2) { return; }
      var first = D.edges[grp.items[0]];
      var gradient = grp.items.some(function (i) {
        var x = D.edges[i]; return nodeBy[x.src].gradient || nodeBy[x.dst].gradient; });
      var active = grp.items.some(function (i) { return p.active.has(i); });
      var cls = "edge" + (grp.control ? " control" : "") + (gradient ? " gradient" : "") +
                (active ? " active" : "");
      var ge = el("g", { "class": cls, "data-src": grp.src, "data-dst": grp.dst,
                         "data-tensor": grp.items.length === 1 ? first.tensor : "" }, root);
      var marker = active ? "arrow-a" : (grp.control ? "arrow-c" : (gradient ? "arrow-g" :
                                                                       "arrow"));
      el("path", { d: pathOf(pts), "marker-end": "url(#" + marker + ")" }, ge);
      var mid = pts[Math.floor(pts.length / 2)];
      grp.lines.forEach(function (l, k) {
        var t = el("text", { x: mid.x, y: mid.y - (grp.lines.length * 12) / 2 + 10 + k * 12,
                             "text-anchor": "middle", "class": l.cls }, ge);
        t.textContent = l.text;
      });
    });
    Object.keys(L.boxes).forEach(function (rep) {
      var box = L.boxes[rep], item = box.item;
      var x0 = box.x - box.width / 2, y0 = box.y - box.height / 2;
      if (item.kind === "cluster") { return; }
      if (item.kind === "scope") {
        var s = item.scope;
        var gs = el("g", { "class": "scope-node" + (matchesIn(s.name) ? " match" : ""),
                           "data-scope": s.name }, root);
        el("rect", { x: x0 + 4, y: y0 + 4, width: box.width, height: box.height, rx: 4,
                     fill: s.gradient ? "#fca5a5" : "#c7d2fe",
                     stroke: s.gradient ? "#b91c1c" : "#4338ca" }, gs);
        el("rect", { x: x0, y: y0, width: box.width, height: box.height, rx: 4,
                     fill: s.gradient ? "#fecaca" : "#e0e7ff",
                     stroke: s.gradient ? "#b91c1c" : "#4338ca" }, gs);
        var t1 = el("text", { x: box.x, y: y0 + 16, "text-anchor": "middle", "class": "name" },
                    gs);
        t1.textContent = "\u25b8 " + item.title;
        var t2 = el("text", { x: box.x, y: y0 + 30, "text-anchor": "middle", "class": "op" },
                    gs);
        t2.textContent = item.sub;
        gs.addEventListener("click", function (ev) {
          if (moved) { return; }
          ev.stopPropagation(); expanded.add(s.name); selectScope(s.name); draw(true);
        });
        return;
      }
      var n = item.node;
      var cls = "node kind-" + n.kind + (n.name === state.selected ? " selected" : "") +
                (state.matches.has(n.name) ? " match" : "") +
                (n.name === p.current ? " current" : "");
      if (!p.all && n.name !== p.current) {
        if (p.bwd.has(n.name)) { cls += " done-backward"; }
        else if (p.fwd.has(n.name)) { cls += " done-forward"; }
        else { cls += " pending"; }
      }
      var gn = el("g", { "class": cls, "data-node": n.name }, root);
      var rx = n.kind === "op" || n.kind === "unknown" ? 12 : (n.kind === "variable" ? 8 : 2);
      var rect = el("rect", { x: x0, y: y0, width: box.width, height: box.height, rx: rx,
                              fill: n.fill, stroke: n.stroke }, gn);
      if (n.dashed) { rect.setAttribute("stroke-dasharray", "4 3"); }
      item.lines.forEach(function (l, k) {
        var t = el("text", { x: box.x, y: y0 + 16 + k * 14, "text-anchor": "middle",
                             "class": l.cls }, gn);
        t.textContent = l.text;
      });
      var tip = el("title", {}, gn);
      tip.textContent = n.name + " (" + n.op + ")";
      gn.addEventListener("click", function (ev) {
        if (moved) { return; }
        ev.stopPropagation(); select(n.name);
      });
    });
    if (refit) { fit(); } else { applyView(); }
  }

  function matchesIn(scope) {
    var found = false;
    state.matches.forEach(function (m) {
      var s = nodeBy[m].scope;
      if (s === scope || s.indexOf(scope + "/") === 0) { found = true; }
    });
    return found;
  }

  // -- pan and zoom ------------------------------------------------------------------------
  function applyView() {
    var v = state.view, vp = document.getElementById("viewport");
    if (vp) { vp.setAttribute("transform", "translate(" + v.x + "," + v.y + ") scale(" +
                              v.k + ")"); }
  }
  function fit() {
    var gg = state.layout, w = canvas.clientWidth || 800, h = canvas.clientHeight || 600;
    var k = Math.min(1.4, w / (gg.width || 1), h / (gg.height || 1));
    state.view = { k: k, x: (w - gg.width * k) / 2, y: Math.max(0, (h - gg.height * k) / 2) };
    applyView();
  }
  function center(name) {
    var rep = repOf(name), box = state.layout.boxes[rep];
    if (!box) { return; }
    var v = state.view;
    v.x = canvas.clientWidth / 2 - box.x * v.k;
    v.y = canvas.clientHeight / 2 - box.y * v.k;
    applyView();
  }
  var drag = null, moved = false;
  svg.addEventListener("mousedown", function (ev) {
    drag = { x: ev.clientX, y: ev.clientY, vx: state.view.x, vy: state.view.y };
    moved = false;
    canvas.classList.add("panning");
  });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) { return; }
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { moved = true; }
    state.view.x = drag.vx + dx; state.view.y = drag.vy + dy;
    applyView();
  });
  window.addEventListener("mouseup", function () {
    drag = null; canvas.classList.remove("panning");
    setTimeout(function () { moved = false; }, 0);
  });
  svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var r = svg.getBoundingClientRect(), px = ev.clientX - r.left, py = ev.clientY - r.top;
    var v = state.view, k = Math.min(4, Math.max(0.05, v.k * Math.exp(-ev.deltaY * 0.0015)));
    v.x = px - (px - v.x) * k / v.k; v.y = py - (py - v.y) * k / v.k; v.k = k;
    applyView();
  }, { passive: false });

  // -- details panel -----------------------------------------------------------------------
  function row(table, key, value, cls) {
    var tr = html("tr", null, null, table);
    html("td", key, "key", tr);
    html("td", value, cls, tr);
  }
  function select(name) {
    state.selected = name;
    var n = nodeBy[name];
    details.textContent = "";
    html("h2", n.name, null, details);
    var t = html("table", null, null, details);
    row(t, "op", n.op + (n.kind === "unknown" ? " (unknown op)" : ""));
    row(t, "kind", n.kind + (n.gradient ? " (gradient subgraph)" : ""));
    if (n.scope) { row(t, "scope", n.scope); }
    if (n.notes.length) {
      html("h3", "constants (folded in)", null, details);
      var ul = html("ul", null, null, details);
      n.notes.forEach(function (x) { html("li", x, "mono", ul); });
    }
    if (n.absorbed.length) {
      html("h3", "also stands for", null, details);
      html("p", n.absorbed.join(", "), "mono", details);
    }
    var keys = Object.keys(n.attrs);
    if (keys.length) {
      html("h3", "attributes", null, details);
      var ta = html("table", null, null, details);
      keys.forEach(function (k) { row(ta, k, n.attrs[k], "mono"); });
    }
    if (n.inputs.length) {
      html("h3", "inputs", null, details);
      var ti = html("table", null, null, details);
      n.inputs.forEach(function (inp, i) {
        row(ti, inp.control ? "control" : String(i), inp.tensor + (inp.spec ? "  " +
            inp.spec : ""), "mono");
      });
    }
    if (n.outputs.length) {
      html("h3", "outputs", null, details);
      var to = html("table", null, null, details);
      n.outputs.forEach(function (o) {
        row(to, o.tensor, o.spec || "(shape unknown)", "mono");
        if (o.value !== undefined) { row(to, "value", o.value, "value"); }
        if (o.grad !== undefined) {
          row(to, "gradient", o.grad + (D.target ? "   (d " + D.target + " / d " + o.tensor +
              ")" : ""), "grad");
        }
      });
    }
    if (n.ruleDoc) {
      html("h3", "gradient rule", null, details);
      var box = html("div", null, "rule", details);
      if (n.rule && n.rule.replace(/\.$/, "") !== n.ruleDoc.replace(/\.$/, "")) {
        html("p", n.rule, null, box);
      }
      html("p", n.ruleDoc, "mono", box);
    }
    draw(false);
  }
  function selectScope(name) {
    var s = scopeBy[name];
    state.selected = null;
    details.textContent = "";
    html("h2", name + "/", null, details);
    var counts = {};
    D.nodes.forEach(function (n) {
      if (n.scope === name || n.scope.indexOf(name + "/") === 0) {
        counts[n.op] = (counts[n.op] || 0) + 1; }
    });
    var t = html("table", null, null, details);
    row(t, "nodes", String(s.count));
    Object.keys(counts).sort().forEach(function (op) { row(t, op, "x" + counts[op]); });
  }

  // -- search ------------------------------------------------------------------------------
  var search = document.getElementById("search");
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    state.matches = new Set(q ? D.nodes.filter(function (n) {
      return n.name.toLowerCase().indexOf(q) >= 0 || n.op.toLowerCase() === q; })
      .map(function (n) { return n.name; }) : []);
    document.getElementById("search-count").textContent = q ?
      state.matches.size + (state.matches.size === 1 ? " match" : " matches") : "";
    var changed = false;
    if (state.matches.size <= 40) {
      state.matches.forEach(function (m) { changed = reveal(m) || changed; });
    }
    draw(changed);
  });
  search.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || !state.matches.size) { return; }
    var first = Array.from(state.matches)[0];
    var changed = reveal(first);
    select(first);
    if (changed) { draw(false); }
    center(first);
  });

  // -- step-through ------------------------------------------------------------------------
  var next = document.getElementById("step-next"), back = document.getElementById("step-back");
  var reset = document.getElementById("step-reset");
  function showStep() {
    stepInfo.textContent = "";
    var count = document.getElementById("step-count");
    if (!D.steps.length) {
      html("p", D.hasValues ? "No steps: nothing was evaluated." :
        "Step-through needs values: gf.viz.to_html(gf.viz.compute_values(graph, feeds, " +
        "grad_of=loss), path) or graphflow render --feed ... --grad-of ... -o out.html.",
        "hint", stepInfo);
      next.disabled = back.disabled = reset.disabled = true;
      count.textContent = "";
      return;
    }
    next.disabled = state.step >= D.steps.length - 1;
    back.disabled = state.step < 0;
    reset.disabled = state.step < 0;
    count.textContent = state.step < 0 ? D.steps.length + " steps" :
      (state.step + 1) + " / " + D.steps.length;
    if (state.step < 0) {
      html("p", "Next walks the forward pass node by node, then the backward pass" +
           (D.target ? " of " + D.target : "") + ".", "hint", stepInfo);
      return;
    }
    var s = D.steps[state.step];
    html("div", s.title, "step-title phase-" + s.phase, stepInfo);
    var ul = html("ul", null, null, stepInfo);
    s.lines.forEach(function (line) { html("li", line, null, ul); });
  }
  function goto(k) {
    state.step = k;
    var changed = false;
    if (k >= 0) {
      var s = D.steps[k];
      changed = reveal(s.node);
      s.edges.forEach(function (i) {
        changed = reveal(D.edges[i].src) || changed;
      });
      showStep();
      select(s.node);
    } else {
      showStep();
      draw(false);
    }
    if (changed) { draw(true); }
  }
  next.addEventListener("click", function () {
    if (state.step < D.steps.length - 1) { goto(state.step + 1); } });
  back.addEventListener("click", function () { if (state.step >= 0) { goto(state.step - 1); } });
  reset.addEventListener("click", function () { goto(-1); });
  document.getElementById("expand-all").addEventListener("click", function () {
    D.scopes.forEach(function (s) { expanded.add(s.name); }); draw(true); });
  document.getElementById("collapse-all").addEventListener("click", function () {
    expanded.clear(); draw(true); });
  document.getElementById("fit").addEventListener("click", fit);
  document.addEventListener("keydown", function (ev) {
    if (ev.target === search) { return; }
    if (ev.key === "ArrowRight") { next.click(); }
    if (ev.key === "ArrowLeft") { back.click(); }
  });

  showStep();
  draw(true);
  window.graphflowExplorer = { data: D, expanded: expanded, state: state, draw: draw };
})();
