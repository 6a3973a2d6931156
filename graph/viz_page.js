// paperkg graph page: draws the inline data on a canvas (positions come from Python's
// ForceAtlas2 layout), with pan and zoom, a search box, type filters and a side panel.
// No dependency and no network: everything it needs is in this file and #paperkg-data.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("paperkg-data").textContent);
  var nodes = data.nodes, links = data.links, colours = data.colours;
  var canvas = document.getElementById("graph");
  var ctx = canvas.getContext("2d");
  var panel = document.getElementById("panel");
  var searchInput = document.getElementById("search");
  var suggestions = document.getElementById("suggestions");

  var WORLD = 500;  // layout [-1, 1] -> world units
  var maxPapers = Math.max.apply(null, [1].concat(nodes.map(function (n) { return n.papers; })));
  var neighbours = nodes.map(function () { return new Set(); });
  links.forEach(function (l) { neighbours[l.source].add(l.target); neighbours[l.target].add(l.source); });
  nodes.forEach(function (n, i) {
    n.index = i;
    n.wx = n.x * WORLD;
    n.wy = -n.y * WORLD;
    n.r = n.type === "Paper" ? 5 : 6 + 24 * Math.sqrt(n.papers / maxPapers);
    n.names = [n.name].concat(n.details.aliases || []).map(function (s) { return s.toLowerCase(); });
    n.keys = n.keys.concat(n.names.map(searchKey));
  });

  // Close to paperkg.extractors.normalize.canonical_key: case, accents, spaces and punctuation do not count.
  function searchKey(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  }

  var hiddenTypes = new Set();
  var view = { scale: 1, x: 0, y: 0 };  // screen = world * scale + (x, y), in CSS pixels
  var dpr = 1, selected = -1, hovered = -1, drawnCount = 0;
  var moved = false;  // until the view is panned, zoomed or centred, a resize fits the graph again

  function shown(n) { return !hiddenTypes.has(n.type); }
  function toScreen(n) { return [n.wx * view.scale + view.x, n.wy * view.scale + view.y]; }
  function radius(n) { return Math.max(3, n.r * Math.sqrt(view.scale)); }

  function fit() {
    var visible = nodes.filter(shown);
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (!visible.length || !w || !h) { view = { scale: 1, x: w / 2, y: h / 2 }; return; }
    var xs = visible.map(function (n) { return n.wx; }), ys = visible.map(function (n) { return n.wy; });
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    var scale = Math.min((w - 80) / Math.max(maxX - minX, 1), (h - 80) / Math.max(maxY - minY, 1), 4);
    view = { scale: scale, x: w / 2 - (minX + maxX) / 2 * scale, y: h / 2 - (minY + maxY) / 2 * scale };
  }

  function resize() {
    dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * dpr);
    canvas.height = Math.round(canvas.clientHeight * dpr);
    if (!moved) fit();
    draw();
  }

  function draw() {
    var w = canvas.clientWidth, h = canvas.clientHeight;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var focus = selected >= 0 ? selected : hovered;
    var near = focus >= 0 ? neighbours[focus] : null;
    ctx.lineWidth = 1;
    links.forEach(function (l) {
      var a = nodes[l.source], b = nodes[l.target];
      if (!shown(a) || !shown(b)) return;
      var lit = focus >= 0 && (l.source === focus || l.target === focus);
      ctx.strokeStyle = lit ? "rgba(36,41,47,0.75)" : (focus >= 0 ? "rgba(140,149,159,0.15)" : "rgba(140,149,159,0.45)");
      ctx.setLineDash(l.types[0] === "CO_MENTIONED" ? [4, 4] : []);  // no paper drawn between them: dashed
      var p = toScreen(a), q = toScreen(b);
      ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); ctx.stroke();
    });
    ctx.setLineDash([]);
    drawnCount = 0;
    var labels = [];
    // Small nodes first so the big ones stay on top.
    nodes.slice().sort(function (a, b) { return a.r - b.r; }).forEach(function (n) {
      if (!shown(n)) return;
      var p = toScreen(n), r = radius(n);
      if (p[0] < -r || p[1] < -r || p[0] > w + r || p[1] > h + r) return;
      drawnCount++;
      var dim = focus >= 0 && n.index !== focus && !near.has(n.index);
      ctx.globalAlpha = dim ? 0.25 : 1;
      ctx.beginPath(); ctx.arc(p[0], p[1], r, 0, 2 * Math.PI);
      ctx.fillStyle = colours[n.type] || "#888"; ctx.fill();
      ctx.lineWidth = n.index === selected ? 3 : 1;
      ctx.strokeStyle = n.index === selected ? "#1f2328" : "#fff"; ctx.stroke();
      ctx.globalAlpha = 1;
      if (n.index === focus || (near && near.has(n.index)) || (n.type !== "Paper" && r >= 9)) labels.push([n, p, r, dim]);
    });
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.lineJoin = "round";
    labels.forEach(function (item) {
      var n = item[0], p = item[1], text = n.name.length > 40 ? n.name.slice(0, 39) + "\u2026" : n.name;
      ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(text, p[0], p[1] - item[2] - 4);
      ctx.fillStyle = item[3] ? "#8c959f" : "#1f2328"; ctx.fillText(text, p[0], p[1] - item[2] - 4);
    });
  }

  function nodeAt(x, y) {
    var best = -1, bestDistance = Infinity;
    nodes.forEach(function (n) {
      if (!shown(n)) return;
      var p = toScreen(n), d = Math.hypot(p[0] - x, p[1] - y);
      if (d <= radius(n) + 3 && d < bestDistance) { best = n.index; bestDistance = d; }
    });
    return best;
  }

  // -- side panel (text only through textContent: names and titles are data, never HTML) --
  function el(tag, text, className) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  function paperTitle(p) {
    if (p.url && /^https?:\/\//i.test(p.url)) {
      var a = el("a", p.title);
      a.href = p.url; a.target = "_blank"; a.rel = "noopener noreferrer";
      return a;
    }
    return el("span", p.title);
  }

  function evidenceList(items) {
    var box = document.createDocumentFragment();
    items.forEach(function (ev) {
      var q = el("blockquote");
      q.appendChild(el("span", ev.relation, "relation"));
      q.appendChild(document.createTextNode(ev.text));
      box.appendChild(q);
    });
    return box;
  }

  // Papers using or evaluating on the entity per year (as `paperkg trends` counts them): a bar per year.
  function usageChart(usage) {
    var box = el("div", null, "usage");
    box.appendChild(el("h3", "Use per year"));
    var most = Math.max.apply(null, [1].concat(usage.map(function (u) { return u.papers; })));
    usage.forEach(function (u) {
      var row = el("div", null, "usage-row");
      row.appendChild(el("span", u.year, "usage-year"));
      var bar = el("span", null, "usage-bar");
      bar.style.width = Math.round(120 * u.papers / most) + "px";
      row.appendChild(bar);
      row.appendChild(el("span", String(u.papers), "usage-count"));
      box.appendChild(row);
    });
    return box;
  }

  // The best scores on the entity (as `paperkg leaderboard` ranks them): a few rows of its main metrics.
  function leaderboardTable(rows) {
    var box = el("div", null, "leaderboard");
    box.appendChild(el("h3", "Leaderboard"));
    var metric = null;
    rows.forEach(function (r) {
      if (r.metric.toLowerCase() !== metric) {  // a metric's rows are those of its name in any case
        metric = r.metric.toLowerCase();
        box.appendChild(el("div", r.metric + " (" + r.better + " is better)", "leaderboard-metric"));
      }
      var row = el("div", null, "leaderboard-row");
      row.appendChild(el("span", r.value, "leaderboard-value"));
      row.appendChild(el("span", [r.model, r.setting, r.task].filter(Boolean).join(" \u00b7 ")));
      row.title = r.title;
      box.appendChild(row);
    });
    return box;
  }

  function showPanel(n) {
    panel.textContent = "";
    if (!n) {
      panel.appendChild(el("p", "Click a node to see its papers and the sentences that state each relation.", "hint"));
      return;
    }
    var d = n.details;
    panel.appendChild(el("h2", n.name));
    var swatch = el("span", null, "swatch"); swatch.style.background = colours[n.type];
    var meta = el("div", null, "meta");
    meta.appendChild(swatch);
    if (n.type === "Paper") {
      meta.appendChild(document.createTextNode(" Paper " + n.id + (d.venue ? " \u00b7 " + d.venue : "")));
      panel.appendChild(meta);
      if (d.authors && d.authors.length) panel.appendChild(el("p", d.authors.slice(0, 8).join(", ") + (d.authors.length > 8 ? ", \u2026" : ""), "meta"));
      if (d.mentions.length) {
        panel.appendChild(el("h3", "Names " + d.mentions.length));
        panel.appendChild(el("p", d.mentions.join(" \u00b7 ")));
      }
      panel.appendChild(el("h3", "Evidence"));
      if (!d.evidence.length) panel.appendChild(el("p", "No relation stated with evidence.", "hint"));
      panel.appendChild(evidenceList(d.evidence));
      return;
    }
    meta.appendChild(document.createTextNode(" " + n.type + " \u00b7 " + n.papers + " paper" + (n.papers === 1 ? "" : "s")));
    panel.appendChild(meta);
    if (d.aliases && d.aliases.length) panel.appendChild(el("p", "Also: " + d.aliases.join(", "), "meta"));
    if (d.usage && d.usage.length) panel.appendChild(usageChart(d.usage));
    if (d.leaderboard && d.leaderboard.length) panel.appendChild(leaderboardTable(d.leaderboard));
    panel.appendChild(el("h3", "Papers" + (d.papers.length < n.papers ? " (" + d.papers.length + " of " + n.papers + ")" : "")));
    var list = el("ol");
    d.papers.forEach(function (p) {
      var li = el("li");
      li.appendChild(paperTitle(p));
      if (p.date) li.appendChild(el("span", " " + p.date, "meta"));
      li.appendChild(evidenceList(p.evidence));
      list.appendChild(li);
    });
    panel.appendChild(list);
  }

  function select(index, centre) {
    selected = index;
    showPanel(index >= 0 ? nodes[index] : null);
    if (index >= 0 && centre) {
      var n = nodes[index], w = canvas.clientWidth, h = canvas.clientHeight;
      moved = true;
      view.x = w / 2 - n.wx * view.scale;
      view.y = h / 2 - n.wy * view.scale;
    }
    draw();
  }

  // -- search --------------------------------------------------------------------
  function matches(query, limit) {
    var q = query.trim().toLowerCase(), qk = searchKey(q);
    if (!q) return [];
    var scored = [];
    nodes.forEach(function (n) {
      var rank = 3;
      function rate(k, text) {
        if (!text) return;
        var at = k.indexOf(text);
        if (at >= 0) rank = Math.min(rank, k === text ? 0 : at === 0 ? 1 : 2);
      }
      n.names.forEach(function (k) { rate(k, q); });
      n.keys.forEach(function (k) { rate(k, qk); });
      if (rank < 3) scored.push([rank, -n.papers, n.name, n.index]);
    });
    scored.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0); });
    return scored.slice(0, limit).map(function (s) { return s[3]; });
  }

  function search(query) {
    var found = matches(query, 1);
    if (!found.length) return null;
    var n = nodes[found[0]];
    if (hiddenTypes.has(n.type)) { hiddenTypes.delete(n.type); renderFilters(); }
    select(n.index, true);
    return n.name;
  }

  var active = -1;
  function renderSuggestions() {
    suggestions.textContent = "";
    active = -1;
    matches(searchInput.value, 8).forEach(function (i) {
      var n = nodes[i], li = el("li", n.name + "  \u00b7 " + n.type);
      li.setAttribute("role", "option");
      li.addEventListener("mousedown", function (e) { e.preventDefault(); searchInput.value = n.name; suggestions.textContent = ""; select(i, true); });
      suggestions.appendChild(li);
    });
  }
  searchInput.addEventListener("input", renderSuggestions);
  searchInput.addEventListener("blur", function () { suggestions.textContent = ""; });
  searchInput.addEventListener("keydown", function (e) {
    var items = suggestions.children;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!items.length) return;
      e.preventDefault();
      if (active >= 0) items[active].classList.remove("active");
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items[active].classList.add("active");
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (active >= 0) items[active].dispatchEvent(new MouseEvent("mousedown"));
      else { search(searchInput.value); suggestions.textContent = ""; }
    } else if (e.key === "Escape") {
      suggestions.textContent = "";
    }
  });

  // -- type filters ----------------------------------------------------------------
  var filterBox = document.getElementById("filters");
  function renderFilters() {
    filterBox.textContent = "";
    Object.keys(colours).forEach(function (type) {
      var count = nodes.filter(function (n) { return n.type === type; }).length;
      if (!count) return;
      var label = el("label"), box = el("input"), swatch = el("span", null, "swatch");
      box.type = "checkbox"; box.checked = !hiddenTypes.has(type); box.dataset.type = type;
      box.addEventListener("change", function () {
        if (box.checked) hiddenTypes.delete(type); else hiddenTypes.add(type);
        if (selected >= 0 && hiddenTypes.has(nodes[selected].type)) select(-1);
        draw();
      });
      swatch.style.background = colours[type];
      label.appendChild(box); label.appendChild(swatch); label.appendChild(document.createTextNode(type + " " + count));
      filterBox.appendChild(label);
    });
  }

  // -- pan, zoom, hover, click ------------------------------------------------------------
  var drag = null;
  canvas.addEventListener("mousedown", function (e) {
    drag = { x: e.offsetX, y: e.offsetY, vx: view.x, vy: view.y, moved: false };
    canvas.classList.add("dragging");
  });
  window.addEventListener("mouseup", function (e) {
    if (drag && !drag.moved && e.target === canvas) select(nodeAt(e.offsetX, e.offsetY), false);
    drag = null;
    canvas.classList.remove("dragging");
  });
  canvas.addEventListener("mousemove", function (e) {
    if (drag) {
      var dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = moved = true;
      view.x = drag.vx + dx; view.y = drag.vy + dy;
      draw();
      return;
    }
    var over = nodeAt(e.offsetX, e.offsetY);
    canvas.style.cursor = over >= 0 ? "pointer" : "";
    canvas.title = over >= 0 ? nodes[over].name : "";
    if (over !== hovered) { hovered = over; draw(); }
  });
  canvas.addEventListener("mouseleave", function () { if (hovered >= 0) { hovered = -1; draw(); } });
  canvas.addEventListener("wheel", function (e) {
    e.preventDefault();
    var factor = Math.exp(-e.deltaY * 0.0015);
    var scale = Math.min(Math.max(view.scale * factor, 0.05), 40);
    view.x = e.offsetX - (e.offsetX - view.x) * scale / view.scale;
    view.y = e.offsetY - (e.offsetY - view.y) * scale / view.scale;
    view.scale = scale;
    moved = true;
    draw();
  }, { passive: false });
  window.addEventListener("keydown", function (e) { if (e.key === "Escape" && e.target !== searchInput) select(-1); });
  window.addEventListener("resize", function () { resize(); });

  var g = data.graph;
  document.getElementById("summary").textContent =
    nodes.length + " of " + (g.papers + g.entities) + " nodes shown \u00b7 graph: " + g.papers + " papers, " +
    g.entities + " entities";
  renderFilters();
  resize();
  addEventListener("load", resize);  // the layout may settle after this script runs
  if (data.focus !== null && data.focus !== undefined) select(data.focus, false);  // a neighbourhood's centre

  // What tests and the console can read: the data, how many nodes the last frame drew, and the search.
  window.paperkg = {
    data: data,
    drawnCount: function () { return drawnCount; },
    search: search,
    select: function (id) { select(nodes.findIndex(function (n) { return n.id === id; }), true); },
  };

  // #selftest=NAME: once loaded (so late errors and blocked fetches are in), search NAME and write
  // what happened into #paperkg-selftest, which `chromium --headless --dump-dom` prints.
  var hash = location.hash.match(/^#selftest=(.*)$/);
  if (hash) {
    addEventListener("load", function () {
      setTimeout(function () {
        // Through the page's own controls: untick and tick Paper, then type the name and press Enter.
        var drawnOnLoad = drawnCount, drawnWithoutPapers = null;
        var paperBox = filterBox.querySelector('input[data-type="Paper"]');
        if (paperBox) { paperBox.click(); drawnWithoutPapers = drawnCount; paperBox.click(); }
        searchInput.value = decodeURIComponent(hash[1]);
        searchInput.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
        document.getElementById("paperkg-selftest").textContent = JSON.stringify({
          errors: window.paperkgErrors, nodes: nodes.length, links: links.length, drawn: drawnOnLoad,
          drawnWithoutPapers: drawnWithoutPapers, canvas: [canvas.width, canvas.height],
          found: selected >= 0 ? nodes[selected].name : null,
          selected: selected >= 0 ? nodes[selected].id : null, panel: panel.textContent,
        });
      }, 100);
    });
  }
})();
