/* The wall's clientside callbacks: pushes are applied here, with no HTTP request per event.
 *
 * The wall's model lives in this closure (not in a dcc.Store, which would re-serialise every open
 * incident on every delta): a snapshot replaces it (on every (re)connect), a delta upserts/removes map
 * features, replaces the KPIs and hands ticker lines to assets/21_wall_lane.js (which paces them and
 * draws the alert lane). The outputs are small dash_clientside.Patch objects and fixed-length lists, so
 * the DOM and the traces stay bounded however long the wall runs.
 * A "replay" stream (only this socket's) takes over the same model, marked REPLAY, until it ends and
 * the server sends a fresh snapshot. */
(function () {
  var W = null;
  var TAP = [];
  var DRAW_MS = 1000, lastDraw = 0, drawN = 0, drawTimer = null, drawWanted = false;
  var cycle = null, contPending = false, sparkShown = {};   // the draw cycle in progress (wallDraw)
  var shown = {};                                 // output key → the value last sent (wallApply)
  function once(key, value) {
    if (shown[key] === value) { return window.dash_clientside.no_update; }
    shown[key] = value;
    return value;
  }
  function newCycle(labels) {
    lastDraw = Date.now();
    var c = {parts: ['map', 'mix', 'sparks'], i: 0, scale: !!W.scale, again: false};
    W.scale = false;
    return c;
  }
  function requestDraw() {
    // window.cityopsDrawMs: benchmarks/push.py --draw-ms (how often the heavy figures may redraw)
    var wait = (window.cityopsDrawMs || DRAW_MS) - (Date.now() - lastDraw);
    // The request itself is this flag, not the number sent: Dash may coalesce it with a continuation of
    // a cycle in progress (one call, the later number), and a request lost that way left the map behind.
    if (W.scale || wait <= 0) { drawWanted = true; return ++drawN; }
    if (!drawTimer) {
      drawTimer = setTimeout(function () {
        drawTimer = null; drawWanted = true;
        window.dash_clientside.set_props('wall-state', {data: ++drawN});
      }, wait);
    }
    return window.dash_clientside.no_update;
  }          // [event name, payload, arrival ms] in arrival order, drained by wallApply

  // Dash coalesces prop changes that arrive while a callback is still running, so a burst of deltas
  // would reach wallApply as "the last one" only. The socket's frames are therefore also read here, as
  // they arrive, into TAP; the prop change only says "something came". Only on the wall page.
  // The socket library keeps its own reference to the WebSocket class (loaded before this file), so the
  // tap sits on the prototype's ``onmessage`` setter, which every instance shares.
  function tap(ws, ev) {
    if (typeof ev.data !== 'string' || ev.data.slice(0, 2) !== '42' || !document.getElementById('wall') ||
        String(ws.url).indexOf('/socket.io/') < 0) { return; }
    try {
      var arr = JSON.parse(ev.data.slice(2));
      if (arr[0] === 'delta' || arr[0] === 'snapshot' || arr[0] === 'replay') { TAP.push([arr[0], arr[1], Date.now()]); }
    } catch (e) { /* not ours */ }
  }
  var proto = window.WebSocket && window.WebSocket.prototype;
  var desc = proto && Object.getOwnPropertyDescriptor(proto, 'onmessage');
  if (desc && desc.set && !proto.cityopsTapped) {
    Object.defineProperty(proto, 'onmessage', {
      configurable: true, enumerable: desc.enumerable, get: desc.get,
      set: function (h) {
        var ws = this;
        desc.set.call(this, typeof h === 'function' ? function (ev) { tap(ws, ev); return h.call(ws, ev); } : h);
      }
    });
    proto.cityopsTapped = true;
  }          // {kpi, incidents: Map code → feature, spark: {k: []}, ranking, alerts: Map}
  var replaying = false;

  function fmtDateTime(iso, tz) {
    if (!iso) { return '–'; }
    try { return new Date(iso).toLocaleString('zh-CN', {timeZone: tz, hour12: false}); } catch (e) { return iso; }
  }
  function kpiText(k, v) {
    if (k === 'ontime_rate') { return (v === null || v === undefined) ? '–' : (v * 100).toFixed(1) + '%'; }
    return (v === null || v === undefined) ? '–' : String(v);
  }
  function fresh(snapshot) {
    var inc = new Map();
    (snapshot.incidents || []).forEach(function (i) { inc.set(i.code, i); });
    var alerts = new Map();
    (snapshot.alerts || []).forEach(function (a) { alerts.set(a.code, a); });
    window.cityopsLane.reset(snapshot.ticker || []);
    return {kpi: snapshot.kpi || {}, incidents: inc, spark: snapshot.spark || {},
            ranking: snapshot.ranking || [], alerts: alerts, rankingDirty: true, alertsDirty: true};
  }
  function applyDelta(d, labels) {
    (d.upsert || []).forEach(function (i) { W.incidents.set(i.code, i); });
    (d.remove || []).forEach(function (c) { W.incidents.delete(c); });
    if (d.kpi) {
      W.kpi = Object.assign({}, W.kpi, d.kpi);
      labels.kpi_keys.forEach(function (k) {   // the sparkline's last point is "now"
        var s = W.spark[k];
        if (s && s.length && d.kpi[k] !== undefined) { s[s.length - 1] = d.kpi[k]; }
      });
    }
    if ((d.events && d.events.length) || d.n) { window.cityopsLane.feed(d.events || [], d.n); }
    if (d.ranking) { W.ranking = d.ranking; W.rankingDirty = true; }
    (d.alerts || []).forEach(function (a) { W.alerts.set(a.code, a); W.alertsDirty = true; });
    (d.acks || []).forEach(function (c) { if (W.alerts.delete(c)) { W.alertsDirty = true; } });
  }
  function li(text, cls) {
    return {type: 'Li', namespace: 'dash_html_components', props: {children: text, className: cls}};
  }
  // The map (layouts/map.py, a Leaflet map through dash-leaflet): the open incidents are one GeoJSON layer,
  // clustered where dense (supercluster inside dash-leaflet: only the clusters and points in view are
  // drawn), and the cells that hold any are a second layer shaded by their share of the busiest cell's
  // count; the prefecture's inset gets the same points. One draw is three ``set_props`` of the layers'
  // ``data`` — the map library's own API, in the browser, with no server round trip.
  // The cells' polygons come once from our own GeoJSON (labels.cells_url), then only the active ones are
  // drawn: an empty cell costs nothing per frame.
  var cellGeom = null, cellGeomLoading = false, scaled = false;
  function loadCells(labels) {
    if (cellGeom || cellGeomLoading || !labels.cells_url) { return; }
    cellGeomLoading = true;
    fetch(labels.cells_url, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (fc) {
      var g = {};
      (fc.features || []).forEach(function (f) { if (f.properties && f.properties.code) { g[f.properties.code] = f.geometry; } });
      cellGeom = g;
      if (W && LABELS) { drawMap(LABELS); }
    }).catch(function () { cellGeomLoading = false; });
  }
  var LABELS = null;
  function atRisk(i, now) {   // risk_at ≤ now < deadline, and not already overdue
    return !i.overdue && !!i.risk_at && Date.parse(i.risk_at) <= now && (!i.deadline || Date.parse(i.deadline) > now);
  }
  function drawMap(labels) {
    if (!document.getElementById('wall-map')) { return false; }
    loadCells(labels);
    var points = [], cells = {}, now = Date.now(), nRisk = 0;
    W.incidents.forEach(function (i) {
      if (i.lon === null || i.lon === undefined) { return; }
      var atrisk = atRisk(i, now);
      nRisk += atrisk ? 1 : 0;
      points.push({type: 'Feature', geometry: {type: 'Point', coordinates: [i.lon, i.lat]},
                   properties: {code: i.code, severity: i.severity, overdue: !!i.overdue, atrisk: atrisk}});
      if (i.grid) { cells[i.grid] = (cells[i.grid] || 0) + 1; }
    });
    var top = 5, shaded = [];
    Object.keys(cells).forEach(function (c) { top = Math.max(top, cells[c]); });
    Object.keys(cellGeom ? cells : {}).forEach(function (c) {
      if (cellGeom[c]) { shaded.push({type: 'Feature', geometry: cellGeom[c], properties: {code: c, n: cells[c], t: cells[c] / top}}); }
    });
    var fc = {type: 'FeatureCollection', features: points};
    window.dash_clientside.set_props('wall-incidents', {data: fc});
    window.dash_clientside.set_props('wall-inset-incidents', {data: fc});
    window.dash_clientside.set_props('wall-cells', {data: {type: 'FeatureCollection', features: shaded}});
    window.cityopsMapDrawn = points.length;   // for the browser tests: what the map layer holds
    window.cityopsCellsDrawn = shaded.length;
    window.cityopsAtRisk = nRisk;
    var rc = document.getElementById('wall-risk-count');
    if (rc) { rc.textContent = String(nRisk); }
    return true;
  }
  function mapPatch(labels, scale) {   // one draw of the map (sized for a 4K wall on the first)
    if (scale && !scaled) {   // a 4K wall: dots, rings and clusters as big as the rest of the wall
      scaled = true;
      var f = Math.max(1, window.innerWidth / 1920);
      var hide = {colors: labels.severity_colors, overdue_color: labels.overdue_color, risk_color: labels.risk_color,
                  ramp: labels.cell_ramp, scale: f};
      window.dash_clientside.set_props('wall-incidents', {hideout: hide});
      window.dash_clientside.set_props('wall-inset-incidents', {hideout: Object.assign({}, hide, {scale: 0.7 * f})});
    }
    drawMap(labels);
  }
  // Sparklines and the category mix are drawn straight into a canvas / as a short list of bars: a Plotly
  // figure's redraw held a GPU-less wall's main thread for 50–100 ms each (benchmarks/push.py long_tasks).
  function drawSpark(k) {
    var c = document.getElementById('spark-' + k), y = W.spark[k] || [];
    if (!c) { return; }
    var dpr = window.devicePixelRatio || 1, w = Math.max(1, Math.round(c.clientWidth * dpr)),
        h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    var g = c.getContext('2d');
    g.clearRect(0, 0, w, h);
    if (y.length < 2) { return; }
    var top = Math.max.apply(null, y.map(function (v) { return +v || 0; })) || 1, lw = 3 * dpr;
    var px = function (i) { return i * (w - lw) / (y.length - 1) + lw / 2; };
    var py = function (v) { return h - lw / 2 - (+v || 0) / top * (h - lw - 2 * dpr); };
    g.beginPath();
    y.forEach(function (v, i) { if (i) { g.lineTo(px(i), py(v)); } else { g.moveTo(px(i), py(v)); } });
    g.lineWidth = lw; g.lineJoin = 'round'; g.strokeStyle = '#56B4E9'; g.stroke();
    g.lineTo(px(y.length - 1), h); g.lineTo(px(0), h); g.closePath();
    g.fillStyle = 'rgba(86,180,233,0.18)'; g.fill();
  }
  function mixItems(labels) {
    var counts = {};
    W.incidents.forEach(function (i) { counts[i.category] = (counts[i.category] || 0) + 1; });
    var top = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); })
      .slice(0, labels.mix_size);
    var most = top.length ? counts[top[0]] : 1;
    return once('mix', top.map(function (c) { return c + ':' + counts[c]; }).join(',')) === window.dash_clientside.no_update
      ? window.dash_clientside.no_update : top.map(function (c) {
        var name = labels.categories[c] || c;
        return {type: 'Li', namespace: 'dash_html_components', props: {className: 'mix-row', children: [
          {type: 'Span', namespace: 'dash_html_components', props: {className: 'mix-name', title: name, children: name}},
          {type: 'Span', namespace: 'dash_html_components', props: {className: 'mix-track', children:
            {type: 'Span', namespace: 'dash_html_components', props: {className: 'mix-bar',
              style: {width: (100 * counts[c] / most).toFixed(1) + '%'}}}}},
          {type: 'Span', namespace: 'dash_html_components', props: {className: 'mix-n', children: String(counts[c])}}]}};
      });
  }
  function rankingItems(labels) {
    if (!W.ranking.length) { return [li(labels.ranking_empty, 'ranking-empty')]; }
    return W.ranking.slice(0, labels.ranking_size).map(function (r) {
      return {type: 'Li', namespace: 'dash_html_components', props: {children: [
        {type: 'Span', namespace: 'dash_html_components', props: {children: labels.departments[r.department] || r.department}},
        {type: 'Span', namespace: 'dash_html_components', props: {className: 'rate',
          children: (r.rate * 100).toFixed(0) + '%  ' + r.ontime + '/' + r.closed}}
      ]}};
    });
  }
  // For the browser tests: how many incidents the wall draws (must equal the "open" tile).
  window.cityopsWallCount = function () { return W ? W.incidents.size : -1; };
  var ns = {
    wallApply: function (snapshot, delta, replay, labels) {
      if (window.cityopsDrawLog) { window.cityopsDrawLog.push([performance.now(), 'apply']); }
      var nu = window.dash_clientside.no_update;
      var ctx = window.dash_clientside.callback_context;
      var trig = (ctx.triggered && ctx.triggered.length) ? ctx.triggered[0].prop_id : '';
      LABELS = labels;
      window.cityopsLane.use(labels);
      var nk = labels.kpi_keys.length;
      // Everything that arrived since the last run, in order (see the tap below); the triggering prop
      // alone when the tap saw nothing (e.g. a long-polling fallback).
      var items = TAP.splice(0, TAP.length);
      if (!items.length) {
        var name = trig.indexOf('data-snapshot') >= 0 ? 'snapshot' : trig.indexOf('data-replay') >= 0 ? 'replay' : 'delta';
        items = [[name, name === 'snapshot' ? snapshot : name === 'replay' ? replay : delta]];
      }
      var changed = false;
      items.forEach(function (it) {
        var name = it[0], msg = it[1];
        if (!msg) { return; }
        if (name === 'snapshot') { replaying = false; W = fresh(msg); changed = true; }
        else if (name === 'replay') {
          if (msg.phase === 'start') { replaying = true; W = fresh(msg); } else if (W) { applyDelta(msg, labels); }
          window.cityopsReplay = {phase: msg.phase, at: msg.at, n: (window.cityopsReplay || {n: 0}).n + 1};
          replayAt = msg.at;   // the replayed day's clock (the focus panels measure overdue against it)
          changed = true;
        } else if (W && !replaying) {
          // Kept for the browser tests and the benchmark: server publish time vs arrival here.
          window.cityopsLastDelta = {at: msg.at, received: it[2] || Date.now(), n: msg.n};
          var lag = window.cityopsLag = window.cityopsLag || [];   // [server → socket, socket → applied] ms
          if (lag.length < 5000) { lag.push([(it[2] || Date.now()) - Date.parse(msg.at), Date.now() - (it[2] || Date.now())]); }
          window.cityopsDeltas = (window.cityopsDeltas || 0) + 1;
          applyDelta(msg, labels);
          changed = true;
        }
      });
      if (!changed || !W) { return Array(nk + 5).fill(nu); }
      if (items.some(function (it) { return it[0] !== 'delta'; })) { W.scale = true; shown = {}; }
      // Only what changed leaves this callback: every output Dash updates notifies the whole page's
      // components, so an unchanged tile costs as much as a changed one.
      var out = labels.kpi_keys.map(function (k) { return once('kpi:' + k, kpiText(k, W.kpi[k])); });
      out.push(W.rankingDirty ? rankingItems(labels) : nu);
      W.rankingDirty = false;
      if (W.alertsDirty) { out = out.concat(window.cityopsLane.alertView(Array.from(W.alerts.values()), labels)); } else { out.push(nu, nu); }
      W.alertsDirty = false;
      out.push(once('badge', replaying ? 'wall-replay-badge' : 'wall-replay-badge hidden'));
      out.push(requestDraw());
      return out;
    },
    // The map, the category mix and the sparklines are redrawn at most once per DRAW_MS (1 s): the
    // numbers follow every 50 ms window (the ticker its own pace: 21_wall_lane.js), while a map redraw can hold the page's main
    // thread for a few hundred ms on a GPU-less screen (measured in headless Chromium, benchmarks/push.py),
    // delaying every socket message behind it.
    // One figure per call: a draw cycle (map, mix, then each sparkline whose data changed) continues
    // in a later task, so a socket message waits at most for one figure's render, never for all seven.
    wallDraw: function (n, labels) {
      var nu = window.dash_clientside.no_update;
      var out = nu;   // the mix's bars (the map's layers are set directly: drawMap)
      if (!W) { return out; }
      // A request during a cycle asks for one more cycle after it; every call while a cycle runs draws
      // its next part (a continuation and a request coalesced by Dash are one call: the cycle never stalls).
      if (drawWanted) {
        drawWanted = false;
        if (cycle) { cycle.again = true; } else { cycle = newCycle(labels); }
      }
      if (!cycle) { return out; }
      var part = cycle.parts[cycle.i++];
      if (window.cityopsDrawLog) { window.cityopsDrawLog.push([performance.now(), String(part)]); }   // benchmarks/push.py
      if (part === 'map') { mapPatch(labels, cycle.scale); }
      else if (part === 'mix') { out = mixItems(labels); }
      else {
        labels.kpi_keys.forEach(function (k) {
          var y = (W.spark[k] || []).join(',');
          if (sparkShown[k] !== y || cycle.scale) { sparkShown[k] = y; drawSpark(k); }
        });
      }
      if (cycle.i >= cycle.parts.length) {
        var again = cycle.again;
        cycle = again ? newCycle(labels) : null;
      }
      if (cycle && !contPending) {
        contPending = true;
        setTimeout(function () {
          contPending = false;
          window.dash_clientside.set_props('wall-state', {data: ++drawN});
        }, 0);
      }
      return out;
    },
    wallCard: function (feature, labels) {   // a clicked dot's card (a clicked cluster zooms in instead)
      var nu = window.dash_clientside.no_update, p = feature && feature.properties;
      if (!p || p.cluster || !p.code || !W) { return [nu, nu]; }
      return cardView(p.code, labels);
    },
    connection: function (connected, labels) {
      return connected ? labels.connected : labels.disconnected;
    }
  };
  function cardView(code, labels) {
      var i = W && W.incidents.get(code);
      if (!i) { return [[], 'wall-card hidden']; }
      var c = labels.card, rows = [
        [c.category, labels.categories[i.category] || i.category], [c.severity, labels.severity_names[i.severity]],
        [c.state, (labels.states[i.state] || i.state) + (i.overdue ? ' · ' + labels.overdue :
          atRisk(i, Date.now()) ? ' · ' + labels.at_risk + ' ' + (i.risk >= 0.5 ? Math.round(100 * i.risk) + '%' : '≥50%') : '')],
        [c.department, labels.departments[i.department] || i.department || '–'],
        [c.deadline, fmtDateTime(i.deadline, labels.tz)], [c.reported_at, fmtDateTime(i.reported_at, labels.tz)],
        [c.address, i.address || '–']];
      var dl = [];
      rows.forEach(function (r) {
        dl.push({type: 'Dt', namespace: 'dash_html_components', props: {children: r[0]}});
        dl.push({type: 'Dd', namespace: 'dash_html_components', props: {children: r[1]}});
      });
      return [[{type: 'H3', namespace: 'dash_html_components', props: {children: i.code}},
               {type: 'Dl', namespace: 'dash_html_components', props: {children: dl}}],
              'wall-card' + (i.overdue ? ' overdue' : '')];
  }
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});

  // Breach risk turns with time, not only with events (risk_at): a quiet night redraws the map once a minute.
  setInterval(function () { if (W && LABELS && !replaying) { drawMap(LABELS); } }, 60000);
  // The wall clock is a clock, not data: it ticks locally and never polls the server.
  setInterval(function () {
    var el = document.getElementById('wall-clock');
    if (el) { el.textContent = new Date().toLocaleTimeString('zh-CN', {timeZone: 'Asia/Shanghai', hour12: false}); }
  }, 1000);
  // The focus slot: the configured panels take turns in the side column's lower panel, each for
  // labels.focus.cycle_s seconds (0: the first one stays). Each panel is computed here from W, so a turn
  // costs no request; the slot is ONE output (its children and class), written only when its text changed
  // (a turn, a pushed change in the rows, a duration's minute), at most once a second, with a fixed
  // number of rows. In a replay the panels show the replayed day as of the replay's own clock (what the
  // wall showed at that moment, for a drill's review) and the rotation goes on.
  var focusIdx = 0, focusSince = 0, focusKey = null, focusEl = null, replayAt = null;
  var RUNNING = {dispatched: true, in_progress: true};
  function fill(tpl, params) {
    return String(tpl).replace(/\{(\w+)\}/g, function (m, k) { return params[k] === undefined ? m : String(params[k]); });
  }
  function el(type, children, cls) {
    return {type: type, namespace: 'dash_html_components', props: {children: children, className: cls}};
  }
  function duration(ms, tx) {
    var m = Math.max(0, Math.floor(ms / 60000)), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (d) { return fill(tx.days, {d: d, h: h % 24}); }
    return h ? fill(tx.hours, {h: h, m: m % 60}) : fill(tx.minutes, {m: m});
  }
  function overdueNow(i, now) {   // DESIGN "Deadline and overdue": running and past its deadline, when read
    return !!i.overdue || (!!RUNNING[i.state] && !!i.deadline && Date.parse(i.deadline) < now);
  }
  function byDeadline(a, b) {   // earliest deadline first (longest overdue / soonest breach); none last
    var x = a.deadline ? Date.parse(a.deadline) : Infinity, y = b.deadline ? Date.parse(b.deadline) : Infinity;
    return x - y || (a.code < b.code ? -1 : 1);
  }
  // A panel's rows as [main text, value text, row class], with the count behind them (n, for the title).
  function focusRows(panel, labels, now) {
    var f = labels.focus, tx = f.text, list = [];
    if (panel === 'cells') {
      var open = {}, late = {};
      W.incidents.forEach(function (i) {
        if (!i.grid) { return; }
        open[i.grid] = (open[i.grid] || 0) + 1;
        if (overdueNow(i, now)) { late[i.grid] = (late[i.grid] || 0) + 1; }
      });
      var codes = Object.keys(open).sort(function (a, b) { return open[b] - open[a] || (a < b ? -1 : 1); });
      return {n: codes.length, rows: codes.slice(0, f.size).map(function (c) {
        return [fill(tx.cell_name, {district: f.districts[c.slice(0, 6)] || c.slice(0, 6), code: c}),
                fill(tx.cell_open, {n: open[c]}) + (late[c] ? ' · ' + fill(tx.cell_overdue, {n: late[c]}) : ''),
                late[c] ? 'late' : ''];
      })};
    }
    W.incidents.forEach(function (i) { if (panel === 'overdue' ? overdueNow(i, now) : atRisk(i, now)) { list.push(i); } });
    list.sort(byDeadline);
    return {n: list.length, rows: list.slice(0, f.size).map(function (i) {
      var main = i.code + ' · ' + (labels.categories[i.category] || i.category) + ' · ' +
                 (labels.departments[i.department] || i.department || '–');
      var left = i.deadline ? Date.parse(i.deadline) - now : null;
      if (panel === 'overdue') { return [main, fill(tx.overdue_by, {t: duration(-(left || 0), tx)}), '']; }
      var p = i.risk >= 0.5 ? Math.round(100 * i.risk) : '≥50';
      return [main, left === null ? fill(tx.risk_past, {p: p}) : fill(tx.risk_left, {p: p, t: duration(left, tx)}), ''];
    })};
  }
  function focusView(labels, idx, now) {
    var f = labels.focus, panel = f.panels[idx];
    var r = panel === 'ranking' ? null : focusRows(panel, labels, now);
    var title = fill(f.titles[panel], {n: r ? r.n : ''});
    var turning = f.cycle_s > 0 && f.panels.length > 1;
    var dots = turning ? f.panels.map(function (_, j) { return el('Span', null, j === idx ? 'focus-dot on' : 'focus-dot'); }) : [];
    var children = [el('Div', [el('H2', title), el('Span', dots, 'focus-dots')], 'focus-head')];
    var key = idx + '|' + title;
    if (r) {
      var rows = r.rows.map(function (x) {
        key += '|' + x.join('/');
        return el('Li', [el('Span', x[0], 'focus-main'), el('Span', x[1], 'focus-value')], x[2]);
      });
      children.push(el('Ol', rows.length ? rows : [el('Li', f.text.none, 'focus-empty')], 'focus-list'));
    }
    return {key: key, children: children, className: 'wall-focus focus-' + panel + (r ? ' on-list' : ' on-ranking')};
  }
  function focusTick() {
    var f = LABELS && LABELS.focus, slot = document.getElementById('wall-focus');
    if (!W || !f || !f.panels || !f.panels.length || !slot) { return; }
    if (slot !== focusEl) { focusEl = slot; focusKey = null; focusIdx = 0; focusSince = 0; }   // a fresh page
    var t = Date.now();
    if (!focusSince) { focusSince = t; }
    if (f.cycle_s > 0 && f.panels.length > 1 && t - focusSince >= f.cycle_s * 1000 - 100) {
      focusIdx = (focusIdx + 1) % f.panels.length;
      focusSince = t;
    }
    var v = focusView(LABELS, focusIdx % f.panels.length, replaying && replayAt ? Date.parse(replayAt) : t);
    if (v.key === focusKey) { return; }
    focusKey = v.key;
    window.dash_clientside.set_props('wall-focus', {children: v.children, className: v.className});
  }
  setInterval(focusTick, 1000);
  // A click anywhere on an open card closes it (the wall has no keyboard).
  document.addEventListener('click', function (e) {
    var card = e.target.closest && e.target.closest('#wall-card');
    if (card) { card.classList.add('hidden'); }
  });
})();

/* The operator console asks the server for its alert list only when a push raised or lowered one. */
(function () {
  var ns = {
    alertsTouched: function (delta, n) {
      if (!delta || !((delta.alerts && delta.alerts.length) || (delta.acks && delta.acks.length))) {
        return window.dash_clientside.no_update;
      }
      return (n || 0) + 1;
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});
})();
