/* Operator console, in the browser: refresh the queue on pushes that touch waiting incidents only (the server is
 * asked only when the queue really changed). A click on the map is the map component's (assets/15_map.js). */
(function () {
  var WAITING = {reported: 1, accepted: 1};
  var ns = {
    queueTouched: function (delta, n) {
      if (!delta) { return window.dash_clientside.no_update; }
      var touched = delta.events.some(function (m) {
        return WAITING[m.to_state] || WAITING[m.from_state];
      });
      return touched ? (n || 0) + 1 : window.dash_clientside.no_update;
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});

})();
