/* The wall's clientside callbacks: pushes are applied here, with no HTTP request per event.
 * State lives in a dcc.Store: {kpi, incidents: {code: view}, ticker: [...]}. A snapshot replaces it
 * (on every (re)connect); a delta updates the incidents it names and prepends ticker lines. */
(function () {
  function tickerFrom(events) {
    return events.map(function (m) {
      return {action: m.action, at: m.at, code: m.incident.code, to_state: m.to_state,
              category: m.incident.category};
    }).reverse();
  }
  function fmtTime(iso, tz) {
    try {
      return new Date(iso).toLocaleTimeString('zh-CN', {timeZone: tz, hour12: false});
    } catch (e) { return iso; }
  }
  var ns = {
    wallState: function (snapshot, delta, state, labels) {
      var ctx = window.dash_clientside.callback_context;
      var trig = (ctx.triggered && ctx.triggered.length) ? ctx.triggered[0].prop_id : '';
      var open = new Set(labels.open_states);
      if (trig.indexOf('data-snapshot') >= 0 || !state) {
        if (!snapshot) { return window.dash_clientside.no_update; }
        var inc = {};
        snapshot.incidents.forEach(function (i) { inc[i.code] = i; });
        return {kpi: snapshot.kpi, incidents: inc, ticker: snapshot.ticker, at: snapshot.at, n: 0};
      }
      if (!delta) { return window.dash_clientside.no_update; }
      // Kept for the browser test and for diagnosing a slow wall: server publish time vs arrival here.
      window.cityopsLastDelta = {at: delta.at, received: Date.now()};
      var next = {kpi: delta.kpi, incidents: Object.assign({}, state.incidents), at: delta.at, n: (state.n || 0) + 1};
      delta.events.forEach(function (m) {
        if (open.has(m.incident.state)) { next.incidents[m.incident.code] = m.incident; }
        else { delete next.incidents[m.incident.code]; }
      });
      next.ticker = tickerFrom(delta.events).concat(state.ticker).slice(0, labels.ticker_size);
      return next;
    },
    wallRender: function (state, labels) {
      var nu = window.dash_clientside.no_update;
      if (!state) { return [nu, nu, nu, nu, nu, nu, nu]; }
      var k = state.kpi;
      var rate = (k.ontime_rate === null || k.ontime_rate === undefined) ? '–' : (k.ontime_rate * 100).toFixed(1) + '%';
      var items = state.ticker.map(function (r) {
        var text = fmtTime(r.at, labels.tz) + '  ' + r.code + '  ' + (labels.categories[r.category] || r.category) +
                   '  ' + (labels.actions[r.action] || r.action);
        return {type: 'Li', namespace: 'dash_html_components',
                props: {children: text, className: 'ticker-line action-' + r.action}};
      });
      var by = {};
      labels.severities.forEach(function (s) { by[s] = {lon: [], lat: [], code: []}; });
      var late = {lon: [], lat: [], code: []};
      Object.values(state.incidents).forEach(function (i) {
        var b = by[i.severity];
        if (!b) { return; }
        b.lon.push(i.lon); b.lat.push(i.lat); b.code.push(i.code);
        if (i.overdue) { late.lon.push(i.lon); late.lat.push(i.lat); late.code.push(i.code); }
      });
      var p = new window.dash_clientside.Patch();
      labels.severities.concat(['overdue']).forEach(function (s, idx) {
        var b = s === 'overdue' ? late : by[s];
        p.assign(['data', idx, 'lon'], b.lon).assign(['data', idx, 'lat'], b.lat)
         .assign(['data', idx, 'customdata'], b.code);
      });
      return [String(k.intake_today), String(k.open), String(k.overdue), String(k.closed_today), rate, items, p.build()];
    },
    connection: function (connected, labels) {
      return connected ? labels.connected : labels.disconnected;
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});

  // The wall clock is a clock, not data: it ticks locally and never polls the server.
  setInterval(function () {
    var el = document.getElementById('wall-clock');
    if (el) { el.textContent = new Date().toLocaleTimeString('zh-CN', {timeZone: 'Asia/Shanghai', hour12: false}); }
  }, 1000);
})();
