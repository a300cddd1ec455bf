// Case files: rows that open a case answer Enter and Space as they answer a click, and the time left to a
// running case's deadline counts down in the browser (the server gave the milliseconds left when it drew
// the case, so the browser's own clock setting does not matter).
(function () {
  'use strict';
  document.addEventListener('keydown', function (ev) {
    var row = ev.target;
    if ((ev.key === 'Enter' || ev.key === ' ') && row && row.hasAttribute && row.hasAttribute('data-case-row')) {
      ev.preventDefault();
      row.click();
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
