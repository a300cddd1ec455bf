/* Operator console, in the browser: place a report by clicking the map, refresh the queue on pushes
 * that touch waiting incidents only (the server is asked only when the queue really changed). */
(function () {
  var WAITING = {reported: 1, accepted: 1};
  var ns = {
    queueTouched: function (delta, n) {
      if (!delta) { return window.dash_clientside.no_update; }
      var touched = delta.events.some(function (m) {
        return WAITING[m.to_state] || WAITING[m.from_state];
      });
      return touched ? (n || 0) + 1 : window.dash_clientside.no_update;
    },
    coordsFromClick: function (click) {
      if (!click || !click.points || !click.points.length) { return window.dash_clientside.no_update; }
      var p = click.points[0];
      return [Number(p.lon.toFixed(6)), Number(p.lat.toFixed(6))];
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});

  // Plotly reports clicks on markers only; a report's place is usually empty map. So listen to the
  // map library's own click on the console's map and write the point into the form.
  function hook() {
    var graph = document.querySelector('#intake-map .js-plotly-plot');
    var sub = graph && graph._fullLayout && graph._fullLayout.map && graph._fullLayout.map._subplot;
    if (!sub || !sub.map || graph._cityopsHooked) { return; }
    graph._cityopsHooked = true;
    sub.map.on('click', function (e) {
      window.dash_clientside.set_props('intake-lon', {value: Number(e.lngLat.lng.toFixed(6))});
      window.dash_clientside.set_props('intake-lat', {value: Number(e.lngLat.lat.toFixed(6))});
    });
  }
  new MutationObserver(hook).observe(document.documentElement, {childList: true, subtree: true});
})();
