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
    // The patrol page asks the phone for its position (WGS84, as the Geolocation API gives it).
    geolocate: function (n) {
      var nu = window.dash_clientside.no_update;
      if (!n) { return [nu, nu, nu]; }
      return new Promise(function (resolve) {
        if (!navigator.geolocation) { resolve([nu, nu, document.documentElement.lang === 'en' ? 'Location unavailable' : '无法获取位置']); return; }
        navigator.geolocation.getCurrentPosition(function (pos) {
          resolve([Number(pos.coords.longitude.toFixed(6)), Number(pos.coords.latitude.toFixed(6)), '']);
        }, function (err) { resolve([nu, nu, String(err.message || err)]); }, {enableHighAccuracy: true, timeout: 10000});
      });
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
    // The phone's camera opens directly for the patrol photo (dcc.Upload has no `capture` prop).
    var file = document.querySelector('#report-photo input[type=file]');
    if (file && !file.hasAttribute('capture')) { file.setAttribute('capture', 'environment'); }
    hookMap('#intake-map .js-plotly-plot', 'intake-map-click');
    hookMap('#report-map .js-plotly-plot', 'report-map-click');
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
