// impact report: draws each chart with plotly.js from the data table under it, draws the index sparklines as
// they scroll into view, sorts and filters the index tables. Reads text and data-* attributes only; never writes
// markup from data.
(function () {
  "use strict";

  var ACCENT = "#2b6cb0";
  var PARTIAL = "#c05621";

  function number(text) {
    return text === null || text === "" ? null : Number(text);
  }

  function drawChart(figure) {
    var plot = figure.querySelector(".plot");
    var rows = figure.querySelectorAll("table.data tbody tr");
    var x = [], y = [], px = [], py = [];
    rows.forEach(function (row) {
      var day = row.querySelector("th").textContent;
      var cell = row.querySelector("td");
      var value = number(cell.getAttribute("data-value"));
      x.push(day);
      y.push(value);
      if (cell.hasAttribute("data-partial")) {
        px.push(day);
        py.push(value);
      }
    });
    // Markers where a line alone could hide a value: short series, and series with gaps (an isolated value).
    var gaps = y.some(function (value) { return value === null; });
    var traces = [{
      x: x, y: y, type: "scatter", mode: x.length > 60 && !gaps ? "lines" : "lines+markers",
      marker: { size: x.length > 60 ? 4 : 6, color: ACCENT },
      name: figure.getAttribute("data-label"), line: { color: ACCENT, width: 2 }, connectgaps: false,
      hovertemplate: "%{x}: %{y}<extra></extra>"
    }];
    if (px.length) {
      traces.push({
        x: px, y: py, type: "scatter", mode: "markers", name: "partial (*)",
        marker: { symbol: "circle-open", size: 9, color: PARTIAL, line: { width: 2 } },
        hovertemplate: "%{x}: %{y}* partial<extra></extra>"
      });
    }
    var layout = {
      height: 240, margin: { l: 56, r: 16, t: 8, b: 36 }, showlegend: px.length > 0,
      legend: { orientation: "h", x: 0, y: 1.12 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { type: "date", gridcolor: "#edf2f7" },
      yaxis: { rangemode: "tozero", gridcolor: "#edf2f7", title: { text: figure.getAttribute("data-unit") } }
    };
    return Plotly.newPlot(plot, traces, layout, { displayModeBar: false, responsive: true }).then(function () {
      plot.setAttribute("data-rendered", "1");
    });
  }

  function drawSpark(span) {
    if (span.hasAttribute("data-rendered")) {
      return;
    }
    var values = span.getAttribute("data-series").split(" ").map(number);
    var x = values.map(function (_, i) { return i; });
    Plotly.newPlot(span, [{
      x: x, y: values, type: "scatter", mode: "lines", line: { color: ACCENT, width: 1.5 },
      fill: "tozeroy", fillcolor: "rgba(43,108,176,0.15)", connectgaps: false
    }], {
      width: 130, height: 30, margin: { l: 0, r: 0, t: 2, b: 2 }, showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { visible: false, fixedrange: true }, yaxis: { visible: false, fixedrange: true, rangemode: "tozero" }
    }, { staticPlot: true }).then(function () {
      span.setAttribute("data-rendered", "1");
    });
  }

  function watchSparks() {
    var sparks = document.querySelectorAll(".spark");
    if (!("IntersectionObserver" in window)) {
      sparks.forEach(drawSpark);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          drawSpark(entry.target);
        }
      });
    }, { rootMargin: "200px" });
    sparks.forEach(function (span) { observer.observe(span); });
  }

  function sortKey(row, column) {
    var cell = row.children[column];
    var raw = cell.getAttribute("data-value");
    var value = number(raw);
    return { empty: raw === null || raw === "", numeric: value !== null && !isNaN(value), value: value, text: raw || "" };
  }

  function makeSortable(table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, column) {
      var button = th.querySelector("button");
      if (!button) {
        return;
      }
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var ka = sortKey(a, column), kb = sortKey(b, column);
          if (ka.empty !== kb.empty) {
            return ka.empty ? 1 : -1;  // no value last, either way
          }
          var order = ka.numeric && kb.numeric ? ka.value - kb.value : ka.text.localeCompare(kb.text);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function makeFilter(input) {
    var tables = input.getAttribute("data-filter").split(" ").map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean);
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      tables.forEach(function (table) {
        Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
          row.hidden = query !== "" && row.getAttribute("data-search").indexOf(query) === -1;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.sortable").forEach(makeSortable);
    document.querySelectorAll("input[data-filter]").forEach(makeFilter);
    if (typeof Plotly === "undefined") {
      console.error("plotly.js did not load: assets/plotly.min.js is missing");
      return;
    }
    document.querySelectorAll("figure.chart").forEach(drawChart);
    watchSparks();
  });
})();
