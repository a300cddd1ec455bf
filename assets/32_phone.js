/* The grid worker's phone, in the browser: the phone's position, the chosen photo's preview, the camera,
 * and the workbench's cards. No words here: errors go back as codes and the server says them in the
 * user's language. */
(function () {
  'use strict';
  // Only image data URLs become a preview; anything else (a renamed file, text) shows nothing.
  var IMAGE_URL = /^data:image\/(jpeg|png|webp|gif);base64,/;
  var ns = {
    // "Use my location": WGS84, as the Geolocation API gives it (the server converts for the map).
    locate: function (n) {
      var nu = window.dash_clientside.no_update;
      if (!n) { return nu; }
      return new Promise(function (resolve) {
        if (!navigator.geolocation) { resolve({error: 'unavailable', at: Date.now()}); return; }
        navigator.geolocation.getCurrentPosition(function (pos) {
          resolve({lon: Number(pos.coords.longitude.toFixed(6)), lat: Number(pos.coords.latitude.toFixed(6)),
                   accuracy: pos.coords.accuracy, at: Date.now()});
        }, function (err) { resolve({error: String(err && err.code), at: Date.now()}); },
        {enableHighAccuracy: true, timeout: 10000, maximumAge: 30000});
      });
    },
    // The chosen photo, shown before it is sent (it never leaves the phone until the report is sent).
    preview: function (contents) {
      if (typeof contents === 'string' && IMAGE_URL.test(contents)) {
        return [contents, false];
      }
      return [null, true];
    },
    // A workbench card or a grid row picks the same assignment.
    pickCard: function () {
      var nu = window.dash_clientside.no_update;
      var t = (window.dash_clientside.callback_context || {}).triggered || [];
      if (!t.length || !t[0].value) { return nu; }
      try {
        var id = JSON.parse(t[0].prop_id.slice(0, t[0].prop_id.lastIndexOf('.')));
        // on a phone the detail is below the list: bring it up (its top does not move when it fills)
        var detail = document.getElementById('wb-detail');
        if (detail && window.matchMedia('(max-width: 800px)').matches) { detail.scrollIntoView({block: 'start'}); }
        return [{code: id.code}];
      } catch (e) { return nu; }
    },
    // The picked card stands out (the others keep their look).
    markCard: function (picked, cardIds) {
      var code = picked && picked.length ? picked[0].code : null;
      return (cardIds || []).map(function (id) { return id.code === code ? 'wb-card wb-card-picked' : 'wb-card'; });
    },
    // The photos chosen for a resolve, as thumbnails before they are sent.
    previews: function (contents, names) {
      return (contents || []).filter(function (c) { return typeof c === 'string' && IMAGE_URL.test(c); })
        .map(function (c, i) {
          return {type: 'Img', namespace: 'dash_html_components',
                  props: {src: c, alt: (names && names[i]) || '', className: 'wb-preview'}};
        });
    },
    pickRow: function (rows) {
      if (!rows || !rows.length) { return window.dash_clientside.no_update; }
      return [{code: rows[0].code}];
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops_phone: ns});

  // The phone's back camera opens directly for the patrol photo (dcc.Upload has no `capture` prop), and
  // each photo picker's file input is named by the words on its button (for screen readers).
  var PICKERS = [['report-photo', 'report-photo-label'], ['wb-photos', 'wb-photos-label']];
  function hook() {
    var file = document.querySelector('#report-photo input[type=file]');
    if (file && !file.hasAttribute('capture')) { file.setAttribute('capture', 'environment'); }
    PICKERS.forEach(function (p) {
      var input = document.querySelector('#' + p[0] + ' input[type=file]');
      if (input && !input.hasAttribute('aria-labelledby')) { input.setAttribute('aria-labelledby', p[1]); }
    });
  }
  new MutationObserver(hook).observe(document.documentElement, {childList: true, subtree: true});
})();
