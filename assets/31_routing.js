/* Operator console: refresh the redispatch list and the extension requests only on pushes that touch
 * running incidents or extension requests (the server is asked only when those lists may have changed). */
(function () {
  var RUNNING = {dispatched: 1, in_progress: 1};
  var ns = {
    routingTouched: function (delta, n) {
      if (!delta) { return window.dash_clientside.no_update; }
      var touched = delta.events.some(function (m) {
        if (m.action === 'escalate') { return false; }  // annotations that change no list
        return RUNNING[m.to_state] || RUNNING[m.from_state] || String(m.action).indexOf('extension_') === 0;
      });
      return touched ? (n || 0) + 1 : window.dash_clientside.no_update;
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});
})();
