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
      var p = click.points[0];   // in the map's datum: the server turns it into WGS84 (callbacks/map_click.py)
      return {lon: p.lon, lat: p.lat};
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});

  // Plotly reports clicks on markers only; a report's place is usually empty map. So listen to the
  // map library's own click on the console's map and write the point into the form.
  function hook() {
    hookMap('#intake-map .js-plotly-plot', 'intake-map-click');
  }
  function hookMap(selector, storeId) {
    var graph = document.querySelector(selector);
    var sub = graph && graph._fullLayout && graph._fullLayout.map && graph._fullLayout.map._subplot;
    if (!sub || !sub.map || graph._cityopsHooked) { return; }
    graph._cityopsHooked = true;
    sub.map.on('click', function (e) {
      // the map's datum (GCJ-02 over such tiles): the server converts before the form shows it
      window.dash_clientside.set_props(storeId, {data: {lon: e.lngLat.lng, lat: e.lngLat.lat, at: Date.now()}});
    });
  }
  new MutationObserver(hook).observe(document.documentElement, {childList: true, subtree: true});
})();
