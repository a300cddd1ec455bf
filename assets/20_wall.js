/* The wall's clientside callbacks: pushes are applied here, with no HTTP request per event.
 *
 * The wall's model lives in this closure (not in a dcc.Store, which would re-serialise every open
 * incident on every delta): a snapshot replaces it (on every (re)connect), a delta upserts/removes map
 * features, replaces the KPIs and prepends ticker lines. The outputs are small dash_clientside.Patch
 * objects and fixed-length lists, so the DOM and the traces stay bounded however long the wall runs.
 * A "replay" stream (only this socket's) takes over the same model, marked REPLAY, until it ends and
 * the server sends a fresh snapshot. */
(function () {
  var W = null;
  var TAP = [];
  var DRAW_MS = 1000, lastDraw = 0, drawN = 0, drawTimer = null;
  function requestDraw() {
    // window.cityopsDrawMs: benchmarks/push.py --draw-ms (how often the heavy figures may redraw)
    var wait = (window.cityopsDrawMs || DRAW_MS) - (Date.now() - lastDraw);
    if (W.scale || wait <= 0) { return ++drawN; }
    if (!drawTimer) {
      drawTimer = setTimeout(function () {
        drawTimer = null;
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
  }          // {kpi, incidents: Map code → feature, ticker: [], spark: {k: []}, ranking, alerts: Map}
  var replaying = false;
  var audio = null, beepTimer = null;

  function fmtTime(iso, tz) {
    try { return new Date(iso).toLocaleTimeString('zh-CN', {timeZone: tz, hour12: false}); }
    catch (e) { return iso; }
  }
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
    return {kpi: snapshot.kpi || {}, incidents: inc, ticker: (snapshot.ticker || []).slice(), spark: snapshot.spark || {},
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
    var lines = (d.events || []).slice().reverse();
    W.ticker = lines.concat(W.ticker).slice(0, labels.ticker_size);
    if (d.ranking) { W.ranking = d.ranking; W.rankingDirty = true; }
    (d.alerts || []).forEach(function (a) { W.alerts.set(a.code, a); W.alertsDirty = true; });
    (d.acks || []).forEach(function (c) { if (W.alerts.delete(c)) { W.alertsDirty = true; } });
  }
  function li(text, cls) {
    return {type: 'Li', namespace: 'dash_html_components', props: {children: text, className: cls}};
  }
  function div(children, cls) {
    return {type: 'Div', namespace: 'dash_html_components', props: {children: children, className: cls}};
  }
  function tickerItems(labels) {
    return W.ticker.map(function (r) {
      var text = fmtTime(r.at, labels.tz) + '  ' + r.code + '  ' + (labels.categories[r.category] || r.category) +
                 '  ' + (labels.actions[r.action] || r.action);
      return li(text, 'ticker-line action-' + r.action + (r.severity ? ' sev-' + r.severity : ''));
    });
  }
  // The map: Plotly renders the figure once (base layers, legend, view); the incidents and the cells'
  // open counts are then drawn as the underlying MapLibre map's own layers and updated with
  // ``setData`` / ``setFeatureState``. A Plotly figure patch re-renders every trace of the map (hundreds of
  // ms of main thread on a GPU-less screen, delaying every socket message behind it); setData hands the
  // GeoJSON to MapLibre's worker and repaints one canvas.
  var SRC = 'cityops-incidents', CELLS = 'cityops-cells', cellsShown = {}, cellsMax = 0;
  function maplibreOf() {
    var g = document.querySelector('#wall-map .js-plotly-plot');
    var sub = g && g._fullLayout && g._fullLayout.map && g._fullLayout.map._subplot;
    return sub && sub.map && sub.map.isStyleLoaded() ? sub.map : null;
  }
  // Plotly (re)inserts its own layers (the dark ground, outlines, its traces) whenever it draws the
  // figure, above anything else; ours are moved back on top after each of its draws.
  function raise(map) {
    var order = map.style && map.style._order, n = order ? order.length : 0;
    if (!map.getLayer(SRC)) { return; }
    if (!order || order[n - 1] !== SRC || order[n - 2] !== SRC + '-overdue' || order[n - 3] !== CELLS) {
      [CELLS, SRC + '-overdue', SRC].forEach(function (id) { map.moveLayer(id); });
    }
  }
  function ensureLayers(map, labels) {
    if (map.getSource(SRC)) { return true; }
    var g = document.querySelector('#wall-map .js-plotly-plot');
    if (g && g.on) { g.on('plotly_afterplot', function () { raise(map); }); }
    map.on('idle', function () { raise(map); });
    var f = window.innerWidth / 1920, sc = labels.cell_scale || [[0, '#1d3557'], [1, '#8fd0f5']];
    var colors = labels.severity_colors || {};
    map.addSource(CELLS, {type: 'geojson', data: labels.cells_url, promoteId: 'code'});
    var ramp = ['interpolate', ['linear'], ['coalesce', ['feature-state', 'n'], 0]];
    sc.forEach(function (s) { ramp.push(s[0] * 5, s[1]); });
    map.addLayer({id: CELLS, type: 'fill', source: CELLS, paint: {'fill-color': ramp,
      'fill-opacity': ['case', ['>', ['coalesce', ['feature-state', 'n'], 0], 0], 0.55, 0]}});
    map.addSource(SRC, {type: 'geojson', data: {type: 'FeatureCollection', features: []}});
    map.addLayer({id: SRC + '-overdue', type: 'circle', source: SRC, filter: ['==', ['get', 'overdue'], true],
      paint: {'circle-radius': 10 * f, 'circle-color': labels.overdue_color || '#CC79A7', 'circle-opacity': 0.55}});
    var match = ['match', ['get', 'severity']];
    labels.severities.forEach(function (s) { match.push(s, colors[s] || '#56B4E9'); });
    match.push('#56B4E9');
    map.addLayer({id: SRC, type: 'circle', source: SRC, layout: {'circle-sort-key':
        ['match', ['get', 'severity'], 'urgent', 2, 'high', 1, 0]},
      paint: {'circle-radius': ['case', ['==', ['get', 'severity'], 'urgent'], 6 * f, 4.5 * f], 'circle-color': match,
              'circle-opacity': 0.9}});
    map.on('click', SRC, function (e) {   // the wall's incident card (Plotly's clickData sees no MapLibre layer)
      var code = e.features && e.features.length && e.features[0].properties.code;
      var card = code && cardView(code, LABELS);
      if (card) { window.dash_clientside.set_props('wall-card', {children: card[0], className: card[1]}); }
    });
    map.on('mouseenter', SRC, function () { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', SRC, function () { map.getCanvas().style.cursor = ''; });
    cellsShown = {}; cellsMax = 0;
    return true;
  }
  var LABELS = null, mapPending = false;
  function drawMap(labels) {
    var map = maplibreOf();
    if (!map) {   // not rendered yet: try again shortly (the first snapshot may beat the map's style)
      if (!mapPending) { mapPending = true; setTimeout(function () { mapPending = false; if (W) { drawMap(labels); } }, 200); }
      return false;
    }
    ensureLayers(map, labels);
    raise(map);
    var features = [], cells = {};
    W.incidents.forEach(function (i) {
      if (i.lon === null || i.lon === undefined) { return; }
      features.push({type: 'Feature', geometry: {type: 'Point', coordinates: [i.lon, i.lat]},
                     properties: {code: i.code, severity: i.severity, overdue: !!i.overdue}});
      if (i.grid) { cells[i.grid] = (cells[i.grid] || 0) + 1; }
    });
    map.getSource(SRC).setData({type: 'FeatureCollection', features: features});
    Object.keys(cellsShown).forEach(function (c) {
      if (!cells[c]) { map.setFeatureState({source: CELLS, id: c}, {n: 0}); }
    });
    var top = 5;
    Object.keys(cells).forEach(function (c) {
      if (cellsShown[c] !== cells[c]) { map.setFeatureState({source: CELLS, id: c}, {n: cells[c]}); }
      top = Math.max(top, cells[c]);
    });
    if (top !== cellsMax) {   // the colour ramp spans 0…max(5, the busiest cell), like the figure's zmax did
      var ramp = ['interpolate', ['linear'], ['coalesce', ['feature-state', 'n'], 0]];
      (labels.cell_scale || [[0, '#1d3557'], [1, '#8fd0f5']]).forEach(function (s) { ramp.push(s[0] * top, s[1]); });
      map.setPaintProperty(CELLS, 'fill-color', ramp);
      cellsMax = top;
    }
    cellsShown = cells;
    window.cityopsMapDrawn = features.length;   // for the browser tests: what the map layer holds
    return true;
  }
  function mapPatch(labels) {
    drawMap(labels);
    if (!W.scale) { return window.dash_clientside.no_update; }
    var p = new window.dash_clientside.Patch();   // a 4K wall: one zoom step closer and a legend as big as the rest
    var f = window.innerWidth / 1920;
    p.assign(['layout', 'map', 'zoom'], labels.zoom + Math.log2(f)).assign(['layout', 'legend', 'font', 'size'], Math.round(18 * f));
    return p.build();
  }
  function sparkPatch(k) {
    var y = W.spark[k] || [];
    var p = new window.dash_clientside.Patch();
    p.assign(['data', 0, 'x'], y.map(function (_, i) { return i; })).assign(['data', 0, 'y'], y);
    return p.build();
  }
  function mixPatch(labels) {
    var counts = {};
    W.incidents.forEach(function (i) { counts[i.category] = (counts[i.category] || 0) + 1; });
    var top = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; }).slice(0, labels.mix_size);
    var p = new window.dash_clientside.Patch();
    if (W.scale) {
      var f = window.innerWidth / 1920;
      p.assign(['layout', 'yaxis', 'tickfont', 'size'], Math.round(18 * f)).assign(['layout', 'font', 'size'], Math.round(18 * f));
    }
    p.assign(['data', 0, 'y'], top.map(function (c) { return labels.categories[c] || c; }))
     .assign(['data', 0, 'x'], top.map(function (c) { return counts[c]; }))
     .assign(['data', 0, 'text'], top.map(function (c) { return String(counts[c]); }));
    return p.build();
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
  function alertView(labels) {
    var list = Array.from(W.alerts.values());
    if (!list.length) { stopBeep(); return [[], 'wall-alert hidden']; }
    startBeep();
    var lines = list.slice(-3).map(function (a) {
      return div(fmtTime(a.at, labels.tz) + '  ' + a.code + '  ' + (labels.severity_names[a.severity] || a.severity) +
                 '  ' + (labels.categories[a.category] || a.category) + '  ' + (a.address || ''), 'alert-line');
    });
    return [[div(labels.alert_title + (list.length > 1 ? ' ×' + list.length : ''), 'alert-title')].concat(lines)
            .concat([div(labels.alert_hint, 'alert-hint')]), 'wall-alert'];
  }
  // The alert's sound is made here (WebAudio), never fetched. A kiosk browser should run with
  // --autoplay-policy=no-user-gesture-required; otherwise the first touch of the page unlocks it.
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') { audio.resume(); }
      [0, 0.35].forEach(function (t0) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = 'square'; o.frequency.value = 880;
        g.gain.setValueAtTime(0.0001, audio.currentTime + t0);
        g.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + t0 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + t0 + 0.3);
        o.connect(g).connect(audio.destination);
        o.start(audio.currentTime + t0); o.stop(audio.currentTime + t0 + 0.32);
      });
      window.cityopsBeeps = (window.cityopsBeeps || 0) + 1;
    } catch (e) { /* no audio device: the banner still shows */ }
  }
  function startBeep() { if (!beepTimer) { beep(); beepTimer = setInterval(beep, 2500); } }
  function stopBeep() { if (beepTimer) { clearInterval(beepTimer); beepTimer = null; } }
  document.addEventListener('click', function () { if (audio && audio.state === 'suspended') { audio.resume(); } });

  // For the browser tests: how many incidents the wall draws (must equal the "open" tile).
  window.cityopsWallCount = function () { return W ? W.incidents.size : -1; };
  var ns = {
    wallApply: function (snapshot, delta, replay, labels) {
      var nu = window.dash_clientside.no_update;
      var ctx = window.dash_clientside.callback_context;
      var trig = (ctx.triggered && ctx.triggered.length) ? ctx.triggered[0].prop_id : '';
      LABELS = labels;
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
      if (!changed || !W) { return Array(nk + 6).fill(nu); }
      if (items.some(function (it) { return it[0] !== 'delta'; })) { W.scale = true; }
      var out = labels.kpi_keys.map(function (k) { return kpiText(k, W.kpi[k]); });
      out.push(tickerItems(labels));
      out.push(W.rankingDirty ? rankingItems(labels) : nu);
      W.rankingDirty = false;
      if (W.alertsDirty) { out = out.concat(alertView(labels)); } else { out.push(nu, nu); }
      W.alertsDirty = false;
      out.push(replaying ? 'wall-replay-badge' : 'wall-replay-badge hidden');
      out.push(requestDraw());
      return out;
    },
    // The map, the category mix and the sparklines are redrawn at most once per DRAW_MS (1 s): the
    // numbers and the ticker follow every 50 ms window, while a WebGL map redraw can hold the page's main
    // thread for a few hundred ms on a GPU-less screen (measured in headless Chromium, benchmarks/push.py),
    // delaying every socket message behind it.
    wallDraw: function (n, labels) {
      var nu = window.dash_clientside.no_update;
      if (!W) { return Array(labels.kpi_keys.length + 2).fill(nu); }
      lastDraw = Date.now();
      var out = labels.kpi_keys.map(function (k) { return sparkPatch(k); });
      out.push(mapPatch(labels), mixPatch(labels));
      W.scale = false;
      return out;
    },
    wallCard: function (click, labels) {
      var nu = window.dash_clientside.no_update;
      if (!click || !click.points || !click.points.length || !W) { return [nu, nu]; }
      return cardView(click.points[0].customdata, labels);
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
        [c.state, (labels.states[i.state] || i.state) + (i.overdue ? ' · ' + labels.overdue : '')],
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

  // The wall clock is a clock, not data: it ticks locally and never polls the server.
  setInterval(function () {
    var el = document.getElementById('wall-clock');
    if (el) { el.textContent = new Date().toLocaleTimeString('zh-CN', {timeZone: 'Asia/Shanghai', hour12: false}); }
  }, 1000);
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
