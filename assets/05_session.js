// A Dash request refused for want of a login (the session sat idle too long, the user logged out elsewhere,
// a password reset, a revoked kiosk) sends the page to the login form instead of leaving it silently stale.
(function () {
  'use strict';
  var fetch0 = window.fetch;
  if (!fetch0) { return; }
  window.fetch = function () {
    return fetch0.apply(this, arguments).then(function (resp) {
      try {
        if (resp.status === 401 && new URL(resp.url, window.location.href).pathname.indexOf('/_dash-') === 0) {
          window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname));
        }
      } catch (e) { /* an odd URL: leave the answer to Dash */ }
      return resp;
    });
  };
})();
