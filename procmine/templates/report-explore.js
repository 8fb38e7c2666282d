// procmine report explorer: filters, drill-down and a Disco-style map, from the embedded data.
(function () {
  "use strict";
  var holder = document.getElementById("explore-data");
  if (!holder) { return; }
  var D = JSON.parse(holder.value);
  var W = D.words, C = D.cases, N = C.id.length, ZH = D.lang === "zh";
  var SVG = "http://www.w3.org/2000/svg";
  var state = { from: 0, to: D.periods.length - 1, c: -1, s: -1, u: -1 };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function pct(x) { return x === null || isNaN(x) ? "–" : (100 * x).toFixed(1) + "%"; }
  function int(x) { return Number(x).toLocaleString("en-US"); }
  function duration(hours) {        // as procmine.output.human_duration
    if (hours === null || hours === undefined || isNaN(hours)) { return "–"; }
    var units = ZH ? ["秒", "分钟", "小时", "天"] : [" s", " min", " h", " d"];
    var s = hours * 3600;
    if (s < 60) { return s.toFixed(0) + units[0]; }
    if (s < 3600) { return (s / 60).toFixed(0) + units[1]; }
    if (s < 86400) { return (s / 3600).toFixed(1) + units[2]; }
    return (s / 86400).toFixed(1) + units[3];
  }
  function median(values) {
    var v = values.filter(function (x) { return x !== null; }).sort(function (a, b) { return a - b; });
    if (!v.length) { return null; }
    var m = Math.floor(v.length / 2);
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  }
  function selected() {
    var out = [];
    for (var i = 0; i < N; i++) {
      var p = C.p[i];
      if (p < state.from || p > state.to) { continue; }
      if (state.c >= 0 && C.c[i] !== state.c) { continue; }
      if (state.s >= 0 && C.s[i] !== state.s) { continue; }
      if (state.u >= 0 && C.u[i] !== state.u) { continue; }
      out.push(i);
    }
    return out;
  }
  function stats(idx) {
    var timed = 0, onTime = 0, durations = [];
    idx.forEach(function (i) {
      durations.push(C.d[i]);
      if (C.o[i] >= 0) { timed++; onTime += C.o[i]; }
    });
    return { cases: idx.length, median: median(durations), onTime: timed ? onTime / timed : null,
             timed: timed, overdue: timed - onTime };
  }
  function patternCount(idx, bit) {
    var n = 0;
    idx.forEach(function (i) { if (C.f[i] & (1 << bit)) { n++; } });
    return n;
  }

  // ---------------------------------------------------------------- tables and lists
  function table(name, cols, rows, onRow) {
    var t = el("table", { "class": "explore", "data-table": "explore." + name });
    var head = el("tr");
    cols.forEach(function (c) { head.appendChild(el("th", c.num ? { "class": "num" } : {}, c.label)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (r) {
      var tr = el("tr", onRow ? { "class": "click", tabindex: "0" } : {});
      cols.forEach(function (c) {
        var raw = r[c.key];
        tr.appendChild(el("td", { "class": c.num ? "num" : "wrap",
                                   "data-value": raw === null || raw === undefined ? "" : String(raw) },
                          c.show ? c.show(raw) : raw));
      });
      if (onRow) {
        tr.addEventListener("click", function () { onRow(r); });
        tr.addEventListener("keydown", function (e) { if (e.key === "Enter") { onRow(r); } });
      }
      body.appendChild(tr);
    });
    var wrap = el("div", { "class": "scroll" });
    wrap.appendChild(t);
    return wrap;
  }
  function fill(id, title, content) {
    var box = document.getElementById(id);
    box.textContent = "";
    if (title) { box.appendChild(el("h3", {}, title)); }
    if (content) { box.appendChild(content); }
    return box;
  }
  function groupRows(idx, dim, names) {
    var groups = {};
    idx.forEach(function (i) {
      var k = C[dim][i];
      if (k < 0) { return; }
      (groups[k] = groups[k] || []).push(i);
    });
    return Object.keys(groups).map(function (k) {
      var s = stats(groups[k]);
      return { code: Number(k), name: names[k], cases: s.cases, median: s.median,
               on_time: s.onTime, overdue: s.timed ? s.overdue : null, idx: groups[k] };
    }).sort(function (a, b) { return b.cases - a.cases || (a.name < b.name ? -1 : 1); });
  }
  var timedLog = C.o.some(function (o) { return o >= 0; });
  var groupCols = function (label) {
    var cols = [{ key: "name", label: label }, { key: "cases", label: W.ex_cases, num: true, show: int },
                { key: "median", label: W.ex_median, num: true, show: duration }];
    if (timedLog) { cols.push({ key: "on_time", label: W.ex_on_time, num: true, show: pct }); }
    return cols;
  };
  function listCases(title, idx) {
    var rows = idx.slice(0, 200).map(function (i) {
      return { i: i, case: C.id[i], category: C.c[i] >= 0 ? D.dims.c[C.c[i]] : "–",
               unit: C.u[i] >= 0 ? D.dims.u[C.u[i]] : "–", duration: C.d[i] };
    });
    var box = fill("ex-list", title + " · " + int(idx.length) + " " + W.ex_cases,
                   table("cases", [{ key: "case", label: W.ex_case }, { key: "category", label: W.ex_category },
                                   { key: "unit", label: W.ex_unit },
                                   { key: "duration", label: W.ex_duration, num: true, show: duration }],
                         rows, function (r) { timeline(r.i); }));
    if (idx.length > 200) { box.appendChild(el("p", { "class": "note" }, W.ex_more)); }
    box.setAttribute("data-count", String(idx.length));
  }
  function timeline(i) {
    var steps = D.variants[C.v[i]], times = D.times ? D.times[i] : null;
    var list = el("ol", { "class": "timeline", "data-case": C.id[i] });
    steps.forEach(function (a, k) {
      var when = times ? " · +" + duration(times[k] / 60) : "";
      list.appendChild(el("li", {}, D.activities[a] + when));
    });
    var box = fill("ex-timeline", W.ex_timeline + ": " + C.id[i], list);
    if (!times) { box.appendChild(el("p", { "class": "note" }, W.ex_no_times)); }
  }

  // ---------------------------------------------------------------- charts
  function columns(idx) {
    var counts = D.periods.map(function () { return 0; });
    idx.forEach(function (i) { counts[C.p[i]]++; });
    var n = D.periods.length, width = 520, height = 150, left = 36, bottom = 40;
    var top = Math.max.apply(null, counts.concat([1]));
    var bar = (width - left) / n;
    var room = 7 * Math.max.apply(null, D.periods.map(function (p) { return p.length; })) + 12;
    var step = Math.max(1, Math.ceil(room / bar));                            // labels that fit
    var chart = svg("svg", { width: width, height: height + bottom, "class": "chart",
                             "data-total": String(idx.length) });
    counts.forEach(function (c, k) {
      var h = height * c / top;
      var r = svg("rect", { x: left + k * bar + 1, y: height - h, width: Math.max(1, bar - 2), height: h,
                            fill: k >= state.from && k <= state.to ? "#2f5d8c" : "#c9d3de",
                            "data-value": String(c) });
      r.appendChild(svg("title", {}, D.periods[k] + ": " + int(c)));
      chart.appendChild(r);
      if (k % step === 0) {
        chart.appendChild(svg("text", { x: left + k * bar + bar / 2, y: height + 14, "font-size": 10,
                                        "text-anchor": "middle" }, D.periods[k]));
      }
    });
    chart.appendChild(svg("text", { x: 0, y: 10, "font-size": 10 }, int(top)));
    return chart;
  }

  // ---------------------------------------------------------------- the map
  function mapCounts(idx) {
    var perVariant = {};
    idx.forEach(function (i) { perVariant[C.v[i]] = (perVariant[C.v[i]] || 0) + 1; });
    var acts = D.activities.map(function () { return 0; });
    Object.keys(perVariant).forEach(function (v) {
      D.variants[v].forEach(function (a) { acts[a] += perVariant[v]; });
    });
    return { perVariant: perVariant, acts: acts };
  }
  function drawMap(idx) {
    var counts = mapCounts(idx), acts = counts.acts;
    var present = acts.map(function (n, a) { return a; }).filter(function (a) { return acts[a] > 0; })
      .sort(function (a, b) { return acts[b] - acts[a] || a - b; });
    var actsKept = Number(document.getElementById("ex-acts").value);
    var keepN = Math.max(1, Math.ceil(present.length * actsKept / 100));
    var kept = {};
    present.slice(0, keepN).forEach(function (a) { kept[a] = true; });
    // the cases' steps projected onto the kept activities, as Disco does
    var edges = {};
    Object.keys(counts.perVariant).forEach(function (v) {
      var n = counts.perVariant[v], prev = "start";
      D.variants[v].forEach(function (a) {
        if (!kept[a]) { return; }
        edges[prev + ">" + a] = (edges[prev + ">" + a] || 0) + n;
        prev = a;
      });
      if (prev !== "start") { edges[prev + ">end"] = (edges[prev + ">end"] || 0) + n; }
    });
    var list = Object.keys(edges).map(function (k) {
      var p = k.split(">");
      return { from: p[0], to: p[1], n: edges[k] };
    }).sort(function (a, b) { return b.n - a.n || (a.from + a.to < b.from + b.to ? -1 : 1); });
    var pathsKept = Number(document.getElementById("ex-paths").value);
    var keepE = Math.max(1, Math.ceil(list.length * pathsKept / 100));
    var show = {}, strongestOut = {}, strongestIn = {};
    list.forEach(function (e, k) {
      if (k < keepE) { show[k] = true; }
      if (!(e.from in strongestOut)) { strongestOut[e.from] = k; }
      if (!(e.to in strongestIn)) { strongestIn[e.to] = k; }
    });
    // every activity kept keeps its strongest arrow in and out: the map stays connected
    Object.keys(strongestOut).forEach(function (a) { show[strongestOut[a]] = true; });
    Object.keys(strongestIn).forEach(function (a) { show[strongestIn[a]] = true; });
    var shown = list.filter(function (e, k) { return show[k]; });
    document.getElementById("ex-acts-out").textContent = Object.keys(kept).length + "/" + present.length;
    document.getElementById("ex-paths-out").textContent = shown.length + "/" + list.length;
    renderMap(kept, acts, shown);
  }
  function textWidth(text, size) {        // CJK glyphs are square, others about 0.6 em
    return String(text).split("").reduce(function (w, ch) {
      return w + (ch.charCodeAt(0) > 0x2e80 ? size : 0.6 * size);
    }, 0);
  }
  function boxWidth(activity) { return Math.max(100, textWidth(activity, 11) + 14); }
  function overlaps(p, q) { return p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3]; }
  function renderMap(kept, acts, shown) {
    var pos = {}, minY = Infinity, maxY = 0, maxX = 0, sumX = 0, n = 0;
    Object.keys(kept).forEach(function (a) {
      var p = D.layout[a];
      pos[a] = { x: p[0] + 20, y: p[1] + 60 };
      minY = Math.min(minY, pos[a].y); maxY = Math.max(maxY, pos[a].y);
      maxX = Math.max(maxX, pos[a].x); sumX += pos[a].x; n++;
    });
    var mid = n ? sumX / n : 100;
    pos.start = { x: mid, y: minY - 50 };
    pos.end = { x: mid, y: maxY + 50 };
    var top = Math.max.apply(null, shown.map(function (e) { return e.n; }).concat([1]));
    var topAct = Math.max.apply(null, acts.concat([1]));
    var g = svg("svg", { width: maxX + 90, height: maxY + 90, viewBox: "0 0 " + (maxX + 90) + " " + (maxY + 90),
                         "class": "exmap", "data-activities": String(n), "data-paths": String(shown.length) });
    // the boxes of the activities and of the numbers drawn so far: a number that would
    // overlap one is left to its path's tooltip
    var taken = Object.keys(kept).map(function (a) {
      var half = boxWidth(D.activities[a]) / 2;
      return [pos[a].x - half, pos[a].y - 16, pos[a].x + half, pos[a].y + 16];
    });
    var defs = g.appendChild(svg("defs"));
    var marker = defs.appendChild(svg("marker", { id: "ex-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
                                                  markerWidth: "6", markerHeight: "6", orient: "auto" }));
    marker.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#5a6b80" }));
    shown.forEach(function (e, k) {
      var a = pos[e.from], b = pos[e.to];
      var y1 = a.y + (e.from === "start" ? 10 : 16), y2 = b.y - (e.to === "end" ? 10 : 16);
      var back = y2 < y1;
      var bend = back ? 60 + 10 * (k % 4) : (a.x === b.x ? 0 : 0.15 * (b.x - a.x));
      var cx = (a.x + b.x) / 2 + bend, cy = (y1 + y2) / 2;
      var path = svg("path", { d: "M" + a.x + "," + y1 + " Q" + cx + "," + cy + " " + b.x + "," + y2,
                               "class": "ex-edge", fill: "none", stroke: back ? "#b3471d" : "#5a6b80",
                               "stroke-width": (0.8 + 5 * e.n / top).toFixed(2),
                               "marker-end": "url(#ex-arrow)", "data-value": String(e.n) });
      path.appendChild(svg("title", {}, name(e.from) + " → " + name(e.to) + ": " + int(e.n)));
      g.appendChild(path);
      var label = int(e.n), lx = (a.x + b.x) / 2 + bend / 2 + 4;
      var where = [lx, cy - 10, lx + textWidth(label, 10), cy + 2];
      // the numbers of the widest paths, where they have room; the rest in their tooltips
      if (k < 12 && !taken.some(function (t) { return overlaps(t, where); })) {
        taken.push(where);
        g.appendChild(svg("text", { x: lx, y: cy, "font-size": 10, fill: "#33414f" }, label));
      }
    });
    Object.keys(kept).forEach(function (a) {
      var p = pos[a], share = acts[a] / topAct;
      var node = svg("g", { "class": "ex-node", "data-activity": D.activities[a], tabindex: "0" });
      var w = boxWidth(D.activities[a]);
      node.appendChild(svg("rect", { x: p.x - w / 2, y: p.y - 16, width: w, height: 32, rx: 6,
                                     fill: share > 0.6 ? "#2f5d8c" : share > 0.3 ? "#9ecae1" : "#deebf7",
                                     stroke: "#4d4d4d" }));
      var colour = share > 0.6 ? "#fff" : "#111";
      node.appendChild(svg("text", { x: p.x, y: p.y - 2, "text-anchor": "middle", "font-size": 11,
                                     fill: colour }, D.activities[a]));
      node.appendChild(svg("text", { x: p.x, y: p.y + 11, "text-anchor": "middle", "font-size": 10,
                                     fill: colour }, int(acts[a])));
      node.addEventListener("click", function () { listActivity(Number(a)); });
      g.appendChild(node);
    });
    [["start", "#2e7d32", "▶"], ["end", "#b71c1c", "■"]].forEach(function (s) {
      g.appendChild(svg("circle", { cx: pos[s[0]].x, cy: pos[s[0]].y, r: 10, fill: s[1] }));
    });
    var box = document.getElementById("ex-map");
    box.textContent = "";
    box.appendChild(g);
  }
  function name(a) { return a === "start" ? "▶" : a === "end" ? "■" : D.activities[a]; }
  function listActivity(a) {
    var idx = selected().filter(function (i) { return D.variants[C.v[i]].indexOf(a) >= 0; });
    listCases(W.ex_activity + " " + D.activities[a], idx);
  }

  // ---------------------------------------------------------------- the whole explorer
  function render() {
    var idx = selected(), s = stats(idx);
    var cards = document.getElementById("ex-cards");
    cards.textContent = "";
    var items = [["cases", W.ex_cases, s.cases, int(s.cases)],
                 ["median", W.ex_median, s.median, duration(s.median)]];
    if (s.timed) { items.push(["on_time", W.ex_on_time, s.onTime, pct(s.onTime)]); }
    D.patterns.forEach(function (p, bit) {
      var n = patternCount(idx, bit);
      items.push(["pattern." + p, D.patternNames[bit], n, int(n) + " · " + pct(idx.length ? n / idx.length : null)]);
    });
    items.forEach(function (it) {
      var card = el("div", { "class": "card", "data-key": "explore." + it[0],
                             "data-value": it[2] === null ? "" : String(it[2]) });
      card.appendChild(el("div", { "class": "v" }, it[3]));
      card.appendChild(el("div", { "class": "k" }, it[1]));
      cards.appendChild(card);
    });
    fill("ex-periods", W.ex_by_period, columns(idx));
    var patternRows = D.patterns.map(function (p, bit) {
      var n = patternCount(idx, bit);
      return { bit: bit, name: D.patternNames[bit], cases: n, share: idx.length ? n / idx.length : null };
    }).filter(function (r) { return r.cases > 0; });
    fill("ex-patterns", W.ex_patterns, patternRows.length ? table("patterns", [
      { key: "name", label: W.ex_pattern }, { key: "cases", label: W.ex_cases, num: true, show: int },
      { key: "share", label: W.ex_share, num: true, show: pct }], patternRows, function (r) {
      listCases(r.name, idx.filter(function (i) { return C.f[i] & (1 << r.bit); }));
    }) : null);
    var units = groupRows(idx, "u", D.dims.u);
    fill("ex-units", W.ex_by_unit, units.length ? table("units", groupCols(W.ex_unit), units.slice(0, 15),
      function (r) { listCases(r.name, r.idx); }) : null);
    var cats = groupRows(idx, "c", D.dims.c);
    fill("ex-categories", cats.length ? W.ex_by_category : null, cats.length ? table("categories", groupCols(W.ex_category),
      cats.slice(0, 15), function (r) { listCases(r.name, r.idx); }) : null);
    var perVariant = {};
    idx.forEach(function (i) { (perVariant[C.v[i]] = perVariant[C.v[i]] || []).push(i); });
    var variants = Object.keys(perVariant).map(function (v) {
      return { v: Number(v), cases: perVariant[v].length, share: perVariant[v].length / idx.length,
               steps: D.variants[v].map(function (a) { return D.activities[a]; }).join(" → "),
               idx: perVariant[v] };
    }).sort(function (a, b) { return b.cases - a.cases || a.v - b.v; }).slice(0, 10);
    fill("ex-variants", W.ex_variants, table("variants", [
      { key: "cases", label: W.ex_cases, num: true, show: int },
      { key: "share", label: W.ex_share, num: true, show: pct }, { key: "steps", label: W.ex_steps }],
      variants, function (r) { listCases(W.ex_variants, r.idx); }));
    drawMap(idx);
    document.getElementById("explore").setAttribute("data-cases", String(idx.length));
  }
  function options(select, names, all) {
    if (all) { select.appendChild(el("option", { value: "-1" }, W.ex_all)); }
    names.forEach(function (n, k) { select.appendChild(el("option", { value: String(k) }, n)); });
  }
  ["c", "s", "u"].forEach(function (dim) {
    var select = document.getElementById("ex-" + dim);
    options(select, D.dims[dim], true);
    if (!D.dims[dim].length) { select.parentNode.style.display = "none"; }
    select.addEventListener("change", function () { state[dim] = Number(select.value); render(); });
  });
  var from = document.getElementById("ex-from"), to = document.getElementById("ex-to");
  options(from, D.periods, false);
  options(to, D.periods, false);
  to.value = String(D.periods.length - 1);
  from.addEventListener("change", function () { state.from = Number(from.value); render(); });
  to.addEventListener("change", function () { state.to = Number(to.value); render(); });
  ["ex-acts", "ex-paths"].forEach(function (id) {
    document.getElementById(id).addEventListener("input", function () { drawMap(selected()); });
  });
  document.getElementById("ex-reset").addEventListener("click", function () {
    state = { from: 0, to: D.periods.length - 1, c: -1, s: -1, u: -1 };
    from.value = "0"; to.value = String(D.periods.length - 1);
    ["c", "s", "u"].forEach(function (dim) { document.getElementById("ex-" + dim).value = "-1"; });
    render();
  });
  render();
  document.getElementById("explore").setAttribute("data-ready", "1");
})();
