// The interactive plot of a resource page: scalar features from plot.json,
// drawn with plotly.js (WebGL scatter), coloured by a 2D-histogram density.
// plotly.js (3.5 MB) is loaded when the user opens the plot; after that once, the
// plot opens by itself on every resource page (remembered in localStorage).
(function () {
  "use strict";
  var app = document.getElementById("plot-app");
  if (!app) { return; }
  var REMEMBER = "dcorlite.plot";
  var url = app.getAttribute("data-url");
  var el = {
    form: app.querySelector(".plot-controls"), kind: document.getElementById("plot-kind"),
    x: document.getElementById("plot-x"), y: document.getElementById("plot-y"),
    xlog: document.getElementById("plot-xlog"), ylog: document.getElementById("plot-ylog"),
    max: document.getElementById("plot-max"), png: document.getElementById("plot-png"),
    status: document.getElementById("plot-status"), plot: document.getElementById("plot"),
    yControls: app.querySelector(".y-controls"), open: document.getElementById("plot-open")
  };
  // texts in the page's language (data-texts, from the server's catalogue)
  var texts = JSON.parse(app.getAttribute("data-texts") || "{}");
  function text(key, values) {
    return (texts[key] || key).replace(/\{(\w+)\}/g, function (all, name) {
      return values && name in values ? values[name] : all;
    });
  }
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var labels = {};
  var hinted = {};  // features whose log hint was applied once

  function status(text) { el.status.textContent = text; }

  function fill(select, names, chosen) {
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = labels[name];
      option.selected = name === chosen;
      select.appendChild(option);
    });
  }

  // density of each point: the count of its cell in a 120x120 histogram
  function density(xs, ys, logx, logy) {
    var bins = 120, n = xs.length, tx = [], ty = [], i;
    function t(v, log) { return log ? Math.log10(v) : v; }
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (i = 0; i < n; i++) {
      tx[i] = t(xs[i], logx); ty[i] = t(ys[i], logy);
      if (isFinite(tx[i])) { x0 = Math.min(x0, tx[i]); x1 = Math.max(x1, tx[i]); }
      if (isFinite(ty[i])) { y0 = Math.min(y0, ty[i]); y1 = Math.max(y1, ty[i]); }
    }
    var counts = new Uint32Array(bins * bins), cell = new Int32Array(n);
    var sx = (bins - 1) / ((x1 - x0) || 1), sy = (bins - 1) / ((y1 - y0) || 1);
    for (i = 0; i < n; i++) {
      if (!isFinite(tx[i]) || !isFinite(ty[i])) { cell[i] = -1; continue; }
      cell[i] = Math.floor((tx[i] - x0) * sx) * bins + Math.floor((ty[i] - y0) * sy);
      counts[cell[i]]++;
    }
    var out = new Float32Array(n);
    for (i = 0; i < n; i++) { out[i] = cell[i] < 0 ? 0 : counts[cell[i]]; }
    return out;
  }

  function axis(name, log) {
    return {title: {text: labels[name] || name}, type: log ? "log" : "linear",
            zeroline: false, automargin: true};
  }

  function draw() {
    var histogram = el.kind.value === "histogram";
    var x = el.x.value, y = el.y.value;
    el.yControls.hidden = histogram;
    var query = "?x=" + encodeURIComponent(x) + (histogram ? "" : "&y=" + encodeURIComponent(y)) +
      "&max=" + encodeURIComponent(el.max.value);
    status(text("loading"));
    fetch(url + query, {credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (answer) {
      if (!answer.ok) { status(answer.body.error || text("failed")); return; }
      var f = answer.body.features;
      [[x, el.xlog], [y, el.ylog]].forEach(function (pair) {
        if (f[pair[0]] && !hinted[pair[0]]) { pair[1].checked = f[pair[0]].log; hinted[pair[0]] = true; }
      });
      var xs = f[x].values, layout = {margin: {t: 10, r: 10}, height: 460,
        xaxis: axis(x, el.xlog.checked), dragmode: "zoom", paper_bgcolor: "#fff",
        plot_bgcolor: "#fff", font: {family: "system-ui, sans-serif", size: 13}};
      var trace;
      if (histogram) {
        trace = {type: "histogram", x: xs, nbinsx: 100, marker: {color: "#155e75"}};
        layout.yaxis = {title: {text: text("events")}};
      } else {
        var ys = f[y].values;
        trace = {type: "scattergl", mode: "markers", x: xs, y: ys,
                 marker: {size: 3, color: density(xs, ys, el.xlog.checked, el.ylog.checked),
                          colorscale: "Viridis", showscale: false}, hoverinfo: "x+y"};
        layout.yaxis = axis(y, el.ylog.checked);
      }
      app.setAttribute("data-drawn", x + "|" + (histogram ? "" : y) + "|" + el.kind.value);
      return Plotly.react(el.plot, [trace], layout, {responsive: true, displaylogo: false,
        toImageButtonOptions: {format: "png", filename: "plot"}}).then(function () {
        status(text("count", {count: numberFormat.format(answer.body.count),
                              total: numberFormat.format(answer.body.total)}));
        el.plot.setAttribute("aria-label", text(histogram ? "histogram_label" : "scatter_label",
                                                {x: labels[x] || x, y: labels[y] || y}));
      });
    }).catch(function () { status(text("failed")); });
  }

  function start() {
    fetch(url, {credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (answer) {
      if (!answer.ok) { status(answer.body.error || text("not_yet")); return; }
      labels = answer.body.features;
      var names = Object.keys(labels);
      if (!names.length) { status(text("no_features")); return; }
      var dx = app.getAttribute("data-x"), dy = app.getAttribute("data-y");
      fill(el.x, names, labels[dx] ? dx : names[0]);
      fill(el.y, names, labels[dy] ? dy : names[Math.min(1, names.length - 1)]);
      el.form.hidden = false;
      [el.kind, el.x, el.y, el.xlog, el.ylog, el.max].forEach(function (control) {
        control.addEventListener("change", draw);
      });
      el.png.addEventListener("click", function () {
        Plotly.downloadImage(el.plot, {format: "png", filename: "plot", width: 1200, height: 800});
      });
      draw();
    }).catch(function () { status(text("unavailable")); });
  }

  function open() {
    el.open.parentNode.hidden = true;  // its row, which kept the space for it
    el.plot.hidden = false;
    try { window.localStorage.setItem(REMEMBER, "open"); } catch (e) { /* private mode */ }
    status(text("loading"));
    if (window.Plotly) { start(); return; }
    var script = document.createElement("script");
    script.src = app.getAttribute("data-plotly");
    script.onload = start;
    script.onerror = function () { status(text("unavailable")); };
    document.head.appendChild(script);
  }

  var remembered = false;
  try { remembered = window.localStorage.getItem(REMEMBER) === "open"; } catch (e) { /* none */ }
  if (remembered) { open(); } else {
    el.open.hidden = false;
    el.open.addEventListener("click", open);
  }
})();
