// The reports' charts (issue 18.6): every .report-chart element's data-chart, the JSON
// of web/reports/exports.py chart_data ({kind: bar|line|pie, title, categories,
// series: [{name, data}], percent}), drawn by the vendored ECharts (vendor/echarts: the
// stations have no internet). SVG, not canvas: light on old PCs, sharp when printed or
// screenshot. No animation: the chart is there at once, and prints as it is shown.
(function () {
  "use strict";
  if (!window.echarts) { return; }

  function percent(value) {
    if (value === null || value === undefined) { return "—"; }
    return (value * 100).toFixed(1).replace(/\.0$/, "") + "%";
  }

  function plain(value) {
    return value === null || value === undefined ? "—" : String(value);
  }

  function pieOption(spec, format) {
    var series = spec.series[0] || {name: "", data: []};
    return [{
      type: "pie", name: series.name, radius: "58%", center: ["50%", "55%"],
      data: spec.categories.map(function (name, i) {
        return {name: name, value: series.data[i]};
      }),
      label: {formatter: function (p) { return p.name + " " + format(p.value); }}
    }];
  }

  function option(spec) {
    var format = spec.percent ? percent : plain;
    var many = spec.series.length > 1;
    var base = {
      animation: false,
      title: {text: spec.title, left: "center", textStyle: {fontSize: 15}},
      tooltip: {trigger: spec.kind === "pie" ? "item" : "axis", valueFormatter: format},
      legend: {show: many || spec.kind === "pie", bottom: 0, type: "scroll"}
    };
    if (spec.kind === "pie") {
      base.series = pieOption(spec, format);
      return base;
    }
    base.grid = {left: 16, right: 24, top: 44, bottom: many ? 40 : 16, containLabel: true};
    base.xAxis = {type: "category", data: spec.categories,
                  axisLabel: {rotate: spec.categories.length > 8 ? 30 : 0}};
    base.yAxis = {type: "value", min: 0, max: spec.percent ? 1 : null,
                  axisLabel: {formatter: format}};
    base.series = spec.series.map(function (s) {
      return {type: spec.kind, name: s.name, data: s.data, barMaxWidth: 48,
              label: {show: spec.categories.length <= 12, position: "top",
                      formatter: function (p) { return format(p.value); }}};
    });
    return base;
  }

  var charts = [];
  Array.prototype.forEach.call(document.querySelectorAll(".report-chart[data-chart]"),
    function (element) {
      var spec;
      try {
        spec = JSON.parse(element.getAttribute("data-chart"));
      } catch (e) {
        return;  // a page without its data says so in its table; no chart is better
      }
      if (!element.clientHeight) { element.style.height = "320px"; }
      var chart = window.echarts.init(element, null, {renderer: "svg"});
      chart.setOption(option(spec));
      charts.push(chart);
    });

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) { chart.resize(); });
    }, 150);
  });
})();
