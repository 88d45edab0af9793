// Live panel of a mine (/monitoring/mines/<pk>/): every 10 s fetch data.json and redraw each sensor's
// chart (the geometry is computed on the server, queries.line_chart; this only rebuilds the SVG the
// same way monitoring/_line_chart.html draws it), its last value and alarm level, and the active alarms.
// Text goes in through textContent only. No library, nothing from a CDN.
(function () {
  "use strict";
  var panel = document.getElementById("monitoring-panel");
  if (!panel || !window.fetch) return;
  var SVG = "http://www.w3.org/2000/svg";
  var interval = parseInt(panel.getAttribute("data-interval"), 10) || 10000;
  var known = panel.getAttribute("data-sensors") || "";
  var timer = null;

  function svgEl(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function htmlEl(name, text, cls) {
    var node = document.createElement(name);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function emptied(svg, cls) {
    var g = svg.querySelector("g." + cls);
    while (g.firstChild) g.removeChild(g.firstChild);
    return g;
  }

  function draw(svg, c) {
    svg.setAttribute("viewBox", "0 0 " + c.width + " " + c.height);
    var spans = emptied(svg, "spans");
    c.spans.forEach(function (s) {
      spans.appendChild(svgEl("rect", {x: s[0], y: c.top, width: s[1], height: c.plot_height, fill: "#fed7d7",
                                       "fill-opacity": "0.6"}));
    });
    var yaxis = emptied(svg, "yaxis");
    c.y_ticks.forEach(function (t) {
      yaxis.appendChild(svgEl("line", {x1: c.left, x2: c.right, y1: t[0], y2: t[0], stroke: "#e2e8f0"}));
      yaxis.appendChild(svgEl("text", {x: c.left - 4, y: t[0], "text-anchor": "end", "dominant-baseline": "middle",
                                       "font-size": 10, fill: "#616e7c"}, t[1]));
    });
    var xaxis = emptied(svg, "xaxis");
    c.x_ticks.forEach(function (t) {
      xaxis.appendChild(svgEl("line", {x1: t[0], x2: t[0], y1: c.bottom, y2: c.bottom + 4, stroke: "#a0aec0"}));
      xaxis.appendChild(svgEl("text", {x: t[0], y: c.height - 4, "text-anchor": "middle", "font-size": 10,
                                       fill: "#616e7c"}, t[1]));
    });
    svg.querySelector("path.band").setAttribute("d", c.band);
    svg.querySelector("path.line").setAttribute("d", c.line);
    var lines = emptied(svg, "thresholds");
    c.thresholds.forEach(function (t) {
      lines.appendChild(svgEl("line", {x1: c.left, x2: c.right, y1: t.y, y2: t.y, stroke: t.colour,
                                       "stroke-dasharray": "6 3", "data-kind": t.kind}));
      if (t.text) {
        lines.appendChild(svgEl("text", {x: c.right - 2, y: t.y, dy: t.dy, "text-anchor": "end", "font-size": 10,
                                         fill: t.colour}, t.text));
      }
    });
    var empty = emptied(svg, "empty");
    if (c.empty) {
      empty.appendChild(svgEl("text", {x: "50%", y: "50%", "text-anchor": "middle", "font-size": 12, fill: "#a0aec0"},
                              svg.getAttribute("data-empty-text")));
    }
  }

  function sensorCard(s) {
    var card = document.getElementById("sensor-" + s.id);
    if (!card) return;
    var level = card.querySelector("[data-role=level]");
    level.className = "badge " + s.colour;
    level.setAttribute("data-level", s.level);
    level.textContent = s.level_label;
    card.querySelector("[data-role=last]").textContent = s.last ? s.last.text : "—";
    var svg = card.querySelector("svg[data-sensor]");
    if (svg) draw(svg, s.chart);
  }

  function alarmRows(rows) {
    var body = document.getElementById("panel-alarms");
    if (!body) return;
    while (body.firstChild) body.removeChild(body.firstChild);
    if (!rows.length) {
      var none = htmlEl("td", body.getAttribute("data-none"), "muted");
      none.colSpan = 7;
      body.appendChild(htmlEl("tr")).appendChild(none);
      return;
    }
    rows.forEach(function (a) {
      var tr = htmlEl("tr");
      var id = htmlEl("a", String(a.id));
      id.href = a.url;
      tr.appendChild(htmlEl("td")).appendChild(id);
      tr.appendChild(htmlEl("td", a.started_label));
      tr.appendChild(htmlEl("td", a.sensor_code || "—", "mono"));
      var kind = htmlEl("a", a.kind_label);
      kind.href = a.url;
      tr.appendChild(htmlEl("td")).appendChild(kind);
      tr.appendChild(htmlEl("td")).appendChild(htmlEl("span", a.severity_label, "badge " + a.colour));
      tr.appendChild(htmlEl("td", (a.last_value === null ? "—" : a.last_value) + " / " +
                                  (a.threshold === null ? "—" : a.threshold)));
      var handling = body.getAttribute(a.acknowledged ? "data-ack" : "data-unack");
      tr.appendChild(htmlEl("td", handling + (a.assigned_to ? " · " + a.assigned_to : "")));
      body.appendChild(tr);
    });
  }

  function update(data) {
    var ids = data.sensors.map(function (s) { return s.id; }).join(",");
    if (ids !== known) { window.location.reload(); return; }  // sensors added or removed: draw the page anew
    data.sensors.forEach(sensorCard);
    alarmRows(data.alarms);
    var stamp = document.getElementById("panel-updated");
    if (stamp) stamp.textContent = data.generated_label;
  }

  function schedule(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }
  function poll() {
    if (document.hidden) { schedule(interval); return; }  // no polling in a background tab
    fetch(panel.getAttribute("data-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) { update(data); schedule(interval); })
      .catch(function () { schedule(interval * 3); });  // signed out or server away: try again later
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) schedule(0); });
  schedule(interval);
})();
