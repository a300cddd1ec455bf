// Case files open in the drawer beside the page: a plain click on a case link, or a click (Enter, Space) on
// a list's row, hands the code to the server's drawer callback; a new tab or a modified click still
// follows the link to the case's own page. The time left to a running case's deadline counts down in the
// browser (from the milliseconds left when the server drew the case, whatever the browser's clock says).
(function () {
  'use strict';
  function open(code) {
    var dc = window.dash_clientside;
    if (!dc || !dc.set_props || !document.getElementById('case-drawer-host')) { return false; }
    dc.set_props('case-open', {data: {code: code, at: performance.now()}});
    return true;
  }
  document.addEventListener('click', function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) { return; }
    var row = ev.target.closest && ev.target.closest('[data-case-row]');
    if (row && !ev.target.closest('a')) { open(row.getAttribute('data-case-row')); return; }
    var link = ev.target.closest && ev.target.closest('a.case-link');
    if (!link) { return; }
    var m = /^\/case\/([^/?#]+)$/.exec(new URL(link.href, window.location.href).pathname);
    if (m && open(decodeURIComponent(m[1]))) {
      ev.preventDefault();
      ev.stopPropagation();  // Dash's own link would navigate away from the page
    }
  }, true);
  document.addEventListener('keydown', function (ev) {
    var row = ev.target;
    if ((ev.key === 'Enter' || ev.key === ' ') && row && row.hasAttribute && row.hasAttribute('data-case-row')) {
      ev.preventDefault();
      open(row.getAttribute('data-case-row'));
    }
  });
  var drawn = new WeakMap();
  function fill(template, h, m) { return template.replace('{h}', h).replace('{m}', m); }
  function tick() {
    var now = performance.now();
    document.querySelectorAll('.countdown[data-left-ms]').forEach(function (el) {
      if (!drawn.has(el)) { drawn.set(el, now); }
      var left = parseInt(el.getAttribute('data-left-ms'), 10) - (now - drawn.get(el));
      var minutes = Math.floor(left / 60000);
      var abs = Math.abs(minutes);
      var text = fill(el.getAttribute(minutes >= 0 ? 'data-left' : 'data-over'), Math.floor(abs / 60), abs % 60);
      if (el.textContent !== text) { el.textContent = text; }
    });
  }
  setInterval(tick, 15000);
})();
