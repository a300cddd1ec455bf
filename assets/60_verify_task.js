// 核查任务: the device's position when the grid worker picks the photo, if the browser gives it. A refused
// permission, no GPS or a slow fix answer null: the photo is still sent, with the server's receipt time only.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  verifyTask: {
    position: function (contents) {
      if (!contents || !navigator.geolocation) { return null; }
      return new Promise(function (resolve) {
        navigator.geolocation.getCurrentPosition(function (p) {
          resolve({lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy});
        }, function () { resolve(null); }, {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
      });
    }
  }
});
