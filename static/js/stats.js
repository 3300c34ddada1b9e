/* Statistics page: draws the charts with uPlot from the page's JSON data block.
 *
 * The figures come from <script type="application/json" id="st-data"> (a data block is never
 * run, so the Content-Security-Policy allows it). Each chart is decorative: its container is
 * aria-hidden and the table that follows it holds the same figures. uPlot styles elements
 * through the CSSOM only, which the policy allows (no style attribute, no <style> element).
 */
(function () {
  "use strict";

  var block = document.getElementById("st-data");
  if (!block || typeof window.uPlot !== "function") {
    return;
  }
  var data = JSON.parse(block.textContent);
  var styles = getComputedStyle(document.documentElement);

  function cssColour(name, fallback) {
    var value = styles.getPropertyValue(name).trim();
    return value || fallback;
  }

  var COLOURS = [cssColour("--brand", "#0b5394"), cssColour("--accent", "#b35c00"),
                 cssColour("--success", "#1e6b34")];
  var INK = cssColour("--ink", "#1b1b1b");
  var GRID = cssColour("--line", "#d0d0d0");
  var FONT = "14px system-ui, sans-serif";
  var WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

  function niceMax(u, min, max) {
    // A round top for the value axis, so its last gridline is labelled: 51 -> 60, 14 -> 15.
    if (!(max > 4)) { return [0, 4]; }
    var raw = max / 4;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; })
      .filter(function (s) { return s >= raw; })[0];
    return [0, Math.ceil(max / step) * step];
  }

  function wholeNumbers(u, splits) {
    return splits.map(function (v) { return Number.isInteger(v) ? String(v) : ""; });
  }

  function valueAxis(side) {
    return {side: side, stroke: INK, font: FONT, incrs: WHOLE, values: wholeNumbers,
            grid: {stroke: GRID, width: 1}, ticks: {stroke: GRID, width: 1}, size: 44};
  }

  function labelAxis(labels, side, size, space) {
    return {side: side, stroke: INK, font: FONT, incrs: [1, 2, 3, 4, 6, 12], space: space, size: size,
            grid: {show: false}, ticks: {stroke: GRID, width: 1},
            values: function (u, splits) {
              return splits.map(function (i) { return labels[i] === undefined ? "" : labels[i]; });
            }};
  }

  function bars(count, index) {
    // Several series side by side: each bar takes its share of the month's slot.
    var share = 0.8 / count;
    var start = -0.4 + index * share;
    return window.uPlot.paths.bars({disp: {
      x0: {unit: 1, values: function (u) {
        return u.data[0].map(function (x) { return x + start; });
      }},
      // As a share of the plot (unit 2): right in both orientations of the chart.
      size: {unit: 2, values: function (u) {
        var x = u.scales.x;
        return [share / (x.max - x.min)];
      }}
    }});
  }

  function barSeries(label, count, index) {
    return {label: label, stroke: COLOURS[index], fill: COLOURS[index], width: 0,
            paths: bars(count, index), points: {show: false}};
  }

  function xValues(n) {
    var xs = [];
    for (var i = 0; i < n; i++) { xs.push(i); }
    return xs;
  }

  function draw(el, options, columns, heightFor) {
    var width = Math.max(el.clientWidth, 240);
    options.width = width;
    options.height = heightFor(width);
    var plot = new window.uPlot(options, columns, el);
    if (typeof ResizeObserver === "function") {
      var last = width;
      new ResizeObserver(function () {
        var now = Math.max(el.clientWidth, 240);
        if (now !== last) {
          last = now;
          plot.setSize({width: now, height: heightFor(now)});
        }
      }).observe(el);
    }
    return plot;
  }

  function monthly(el, keys, kind) {
    var months = data.months;
    var xs = xValues(months.length);
    var series = [{}];
    var columns = [xs];
    keys.forEach(function (key, index) {
      var values = key === "median_days" ? data.median_days : data.series[key];
      columns.push(values);
      if (kind === "points") {
        series.push({label: data.labels[key], stroke: COLOURS[index], width: 2, spanGaps: false,
                     points: {show: true, size: 9, fill: COLOURS[index]}});
      } else {
        series.push(barSeries(data.labels[key], keys.length, index));
      }
    });
    var options = {
      series: series,
      legend: {show: keys.length > 1, live: false},
      cursor: {show: false},
      scales: {x: {time: false, range: [-0.6, months.length - 0.4]},
               y: {range: niceMax}},
      axes: [labelAxis(months, 2, 36, 56), valueAxis(3)]
    };
    return draw(el, options, columns, function (w) { return w < 480 ? 220 : 280; });
  }

  function places(el) {
    var keys = ["waiting", "pairs"];
    var rows = [];
    data.places.forEach(function (label, i) {
      if (keys.some(function (k) { return data.place_series[k][i] > 0; })) { rows.push(i); }
    });
    if (rows.length === 0) {
      el.hidden = true;
      return null;
    }
    var labels = rows.map(function (i) { return data.places[i]; });
    var columns = [xValues(rows.length)];
    var series = [{}];
    keys.forEach(function (key, index) {
      var values = rows.map(function (i) { return data.place_series[key][i]; });
      columns.push(values);
      series.push(barSeries(data.labels[key], keys.length, index));
    });
    var longest = labels.reduce(function (m, l) { return Math.max(m, l.length); }, 0);
    var options = {
      series: series,
      legend: {show: true, live: false},
      cursor: {show: false},
      scales: {x: {time: false, ori: 1, dir: -1, range: [-0.6, rows.length - 0.4]},
               y: {ori: 0, dir: 1, range: niceMax}},
      axes: [labelAxis(labels, 3, function (u) {
        return Math.min(Math.round(u.width * 0.45), 16 + longest * 7.5);
      }, 20), valueAxis(2)]
    };
    return draw(el, options, columns, function () { return 70 + rows.length * 36; });
  }

  function build() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var name = el.getAttribute("data-chart");
      if (name === "signups") { monthly(el, ["residents", "volunteers"], "bars"); }
      else if (name === "matches") { monthly(el, ["matches"], "bars"); }
      else if (name === "visits") { monthly(el, ["visits"], "bars"); }
      else if (name === "delay") { monthly(el, ["median_days"], "points"); }
      else if (name === "places") { places(el); }
    });
  }

  build();
}());
