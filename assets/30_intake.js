/* Operator console, in the browser: a click on the map (its click layer's point) becomes the report's place; refresh the queue on pushes
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

})();
