/* The wall's ticker and its alert lane: what the wall says in words, paced so a person at 5 m can read it.
 *
 * The ticker is a paced queue. A line, once shown, stays at least ``dwell`` ms (10 s) before it may leave
 * the screen; lines that arrive faster than the rows free up wait in a short queue (the newest ones), and
 * those pushed out of it are not shown at all but counted, so the panel's heading says "+k 件新案件": how
 * many cases of the last ``dwell`` ms are not on screen. At 50 events/s the rows change as a page every 10 s
 * instead of scrolling each case away within a fraction of a second.
 *
 * The pacing is one pure function, ``tickerPace(state, incoming, now, opts)`` → a new state (the clock is
 * its ``now`` argument, so a test drives it at any rate without waiting); the page feeds it from the
 * socket's deltas (assets/20_wall.js, wallApply) and steps it on a timer. The rows are written when they
 * change (at most ``rows`` times per dwell under load), "+k" at most twice a second: each write is a
 * render of its own on a wall's busy main thread.
 *
 * The alert lane: the major incidents no operator has acknowledged, stacked in a column of their own
 * beside the map (the map narrows, the KPI row stays in sight), newest first, "+k" for those that do not
 * fit; the wall's frame flashes while one is up (assets/10_wall.css). */
(function () {
  var DEFAULTS = {rows: 6, dwell: 10000, queue: 6};

  function opts(o) { return Object.assign({}, DEFAULTS, o || {}); }

  // ---- the paced ticker (pure) ------------------------------------------------------------------
  /** An empty ticker, or one showing ``lines`` (newest first) from ``now``. */
  function tickerStart(lines, now, o) {
    var p = opts(o);
    var rows = (lines || []).slice(0, p.rows).map(function (line) { return {line: line, since: now}; });
    return {rows: rows, queue: [], skipped: [], received: rows.length, shown: rows.length, dropped: 0};
  }

  /** The ticker at ``now`` after ``incoming`` (oldest first) arrived, plus ``unseen`` events of the same
   * batch that came without their lines (the server sends at most its ticker size per batch). Returns a
   * new state; the argument is left as it was. A row leaves only once shown for ``dwell`` ms. */
  function tickerPace(state, incoming, now, o, unseen) {
    var p = opts(o);
    var s = {rows: state.rows.slice(), queue: state.queue.concat(incoming || []),
             skipped: state.skipped.filter(function (x) { return x[0] > now - p.dwell; }),
             received: state.received + (incoming || []).length + (unseen || 0),
             shown: state.shown, dropped: state.dropped + (unseen || 0)};
    if (unseen) { s.skipped.push([now, unseen]); }
    // A row frees up when the ticker is not full or its oldest row has had its time.
    while (s.queue.length && (s.rows.length < p.rows || s.rows[s.rows.length - 1].since + p.dwell <= now)) {
      // oldest waiting line first, on top: the rows read newest first, as the queue holds only newer lines
      s.rows.unshift({line: s.queue.shift(), since: now});
      s.shown += 1;
      if (s.rows.length > p.rows) { s.rows.pop(); }
    }
    if (s.queue.length > p.queue) {   // keep the newest waiting lines; the older ones are passed over
      var gone = s.queue.length - p.queue;
      s.queue = s.queue.slice(gone);
      s.dropped += gone;
      s.skipped.push([now, gone]);
    }
    return s;
  }

  /** k of "+k": the cases of the last ``dwell`` ms not on screen (passed over) plus those still waiting. */
  function tickerMore(state, now, o) {
    var p = opts(o), k = state.queue.length;
    state.skipped.forEach(function (x) { if (x[0] > now - p.dwell) { k += x[1]; } });
    return k;
  }

  // ---- the page's ticker -------------------------------------------------------------------------
  var T = null, LABELS = null, drawnRows = null, drawnMore = null, renderPending = false;

  function fmtTime(iso, tz) {
    try { return new Date(iso).toLocaleTimeString('zh-CN', {timeZone: tz, hour12: false}); }
    catch (e) { return iso; }
  }
  function el(type, children, cls) {
    return {type: type, namespace: 'dash_html_components', props: {children: children, className: cls}};
  }
  function pace(labels) { return {rows: labels.ticker_rows, dwell: 1000 * labels.ticker_dwell_s, queue: labels.ticker_rows}; }

  function lineText(r, labels) {
    if (r.t === undefined) { r.t = fmtTime(r.at, labels.tz); }   // once per line: toLocaleTimeString is slow
    return r.t + '  ' + r.code + '  ' + (labels.categories[r.category] || r.category) + '  ' +
           (labels.actions[r.action] || r.action);
  }
  /** The ticker's rows: always ``ticker_rows`` items, so the panel never changes height. */
  function tickerItems(state, labels) {
    var items = state.rows.map(function (x) {
      var r = x.line;
      return el('Li', lineText(r, labels), 'ticker-line action-' + r.action + (r.severity ? ' sev-' + r.severity : ''));
    });
    while (items.length < labels.ticker_rows) { items.push(el('Li', '', 'ticker-line ticker-empty')); }
    return items;
  }
  /** Steps the ticker to now and writes its rows if they changed; ``withMore``: "+k" too, if it changed. */
  function render(withMore) {
    if (!T || !LABELS || !document.getElementById('wall-ticker')) { return; }
    var now = Date.now();
    T = tickerPace(T, [], now, pace(LABELS));
    var rows = T.rows.map(function (x) { return x.line.code + x.line.action + x.line.at; }).join('|');
    if (rows !== drawnRows) {
      drawnRows = rows;
      window.dash_clientside.set_props('wall-ticker', {children: tickerItems(T, LABELS)});
    }
    var k = tickerMore(T, now, pace(LABELS));
    var more = k ? LABELS.ticker_more.replace('{k}', String(k)) : '';
    if (withMore && more !== drawnMore) {
      drawnMore = more;
      window.dash_clientside.set_props('wall-ticker-more', {children: more});
    }
  }
  function soon() {
    if (!renderPending) { renderPending = true; setTimeout(function () { renderPending = false; render(false); }, 0); }
  }

  // ---- the alert lane ----------------------------------------------------------------------------
  var audio = null, beepTimer = null;
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
    } catch (e) { /* no audio device: the lane still shows */ }
  }
  function startBeep() { if (!beepTimer) { beep(); beepTimer = setInterval(beep, 2500); } }
  function stopBeep() { if (beepTimer) { clearInterval(beepTimer); beepTimer = null; } }
  document.addEventListener('click', function () { if (audio && audio.state === 'suspended') { audio.resume(); } });

  // The lane narrows the map while it is up and gives the width back after: Leaflet measures its box only
  // when told (window resizes aside), so the map is told whenever its frame's width changed, through the
  // map component's own ``invalidateSize`` prop.
  var frame = null, frameWidth = 0;
  function watchMapFrame() {
    var f = document.querySelector('#wall .wall-map');
    if (!f || f === frame || !window.ResizeObserver) { return; }
    frame = f;
    frameWidth = f.clientWidth;
    new ResizeObserver(function () {
      if (f.clientWidth === frameWidth || !document.getElementById('wall-map')) { return; }
      frameWidth = f.clientWidth;
      window.cityopsMapResized = (window.cityopsMapResized || 0) + 1;   // for the browser test
      window.dash_clientside.set_props('wall-map', {invalidateSize: Date.now()});
    }).observe(f);
  }

  /** The lane's children and class for the unacknowledged alerts (in arrival order): newest on top, as
   * many as ``labels.alert_lane_size``, then "+k" for the rest. */
  function alertView(alerts, labels) {
    watchMapFrame();
    if (!alerts.length) { stopBeep(); return [[], 'wall-alert hidden']; }
    startBeep();
    var n = labels.alert_lane_size, newest = alerts.slice().reverse();
    var cards = newest.slice(0, n).map(function (a) {
      return el('Div', [
        el('Div', fmtTime(a.at, labels.tz) + '  ' + (labels.severity_names[a.severity] || a.severity), 'alert-when'),
        el('Div', labels.categories[a.category] || a.category, 'alert-what'),
        el('Div', a.address || '', 'alert-where'),
        el('Div', a.code, 'alert-code')], 'alert-line');
    });
    var head = [el('Div', labels.alert_title + (alerts.length > 1 ? ' ×' + alerts.length : ''), 'alert-title')];
    var more = alerts.length > n ? [el('Div', labels.alert_more.replace('{k}', String(alerts.length - n)), 'alert-more')] : [];
    return [head.concat(cards).concat(more).concat([el('Div', labels.alert_hint, 'alert-hint')]), 'wall-alert'];
  }

  window.cityopsLane = {
    tickerStart: tickerStart, tickerPace: tickerPace, tickerMore: tickerMore, alertView: alertView,
    /** The page's labels (wallApply hands them over before feeding). */
    use: function (labels) { LABELS = labels; },
    /** A snapshot's ticker lines (newest first) replace what the ticker shows. */
    reset: function (lines) {
      T = tickerStart(lines, Date.now(), LABELS ? pace(LABELS) : DEFAULTS);
      drawnRows = drawnMore = null;
      soon();
    },
    /** One delta's ticker lines (oldest first) and its event count ``n`` (lines beyond the server's
     * ticker size come uncounted otherwise). */
    feed: function (lines, n) {
      if (!T || !LABELS) { return; }
      var unseen = Math.max(0, (n || 0) - (lines || []).length);
      T = tickerPace(T, lines || [], Date.now(), pace(LABELS), unseen);
      soon();
    }
  };
  // Rows whose time is up give way (and "+k" forgets what is older than the dwell) without waiting for an event.
  setInterval(function () { render(true); }, 500);
})();
