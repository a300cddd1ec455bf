/* Every map's browser side (layouts/map.py): zoom classes, place-name labels, the pin's drag, clusters.
 * Only Leaflet's public API (``L``, the event's target map or marker) and Dash's ``set_props``. */
(function () {
  var ZOOMS = [];
  for (var z = 6; z <= 18; z++) { ZOOMS.push(z); }
  function zoomed(e) {   // keep ``zoom-ge-N`` on the map's container: the CSS shows layers and names by zoom
    var map = e.target, zoom = map.getZoom(), c = map.getContainer().classList;
    ZOOMS.forEach(function (n) { c.toggle('zoom-ge-' + n, n <= zoom); });
    follow(map);
  }
  // A map made while its box was still being laid out (a grid card, a drawer sliding in) fitted its view to
  // that box. When the box's size changes, the map is told (Leaflet only watches the window) and, the first
  // time, its zoom follows the change of size, so what it fitted still fills it; later (a window resized)
  // only the centre is kept.
  var followed = new WeakSet();
  function follow(map) {
    var el = map.getContainer();
    if (followed.has(el) || !window.ResizeObserver) { return; }
    followed.add(el);
    if (el.id) { window.cityopsMaps = Object.assign(window.cityopsMaps || {}, {[el.id]: map}); }   // for tests
    var first = true;
    new ResizeObserver(function () {
      var was = map.getSize(), w = el.clientWidth, h = el.clientHeight;
      if (!w || !h || (w === was.x && h === was.y)) { return; }
      var centre = map.getCenter(), zoom = map.getZoom();
      var ratio = was.x && was.y ? Math.min(w / was.x, h / was.y) : 1;
      map.invalidateSize({pan: false});
      map.setView(centre, first && ratio > 0 ? zoom + Math.log2(ratio) : zoom, {animate: false});
      first = false;
    }).observe(el);
  }
  function text(tag, value, cls) {   // names are data: set as text, never parsed as HTML
    var el = document.createElement(tag);
    el.textContent = value == null ? '' : String(value);
    if (cls) { el.className = cls; }
    return el;
  }
  function paneOf(context) {   // the pane of the layer the point belongs to (layouts/map.py puts each in one)
    return (context && context.pane) || 'markerPane';
  }
  function label(feature, latlng, context) {
    var p = feature.properties || {};
    return L.marker(latlng, {pane: paneOf(context),
      icon: L.divIcon({className: 'map-label map-label-' + (p.level || 'place') + (p.kind ? ' map-label-' + p.kind : ''),
                       html: text('span', p.name), iconSize: null}),
      interactive: false, keyboard: false});
  }
  function pinMoved(e, ctx) {   // a dragged pin: the new point goes where a click on the map goes
    var p = e.target.getLatLng(), id = ctx && ctx.id ? String(ctx.id) : '';
    if (!id) { return; }
    window.dash_clientside.set_props(id.replace(/-pin$/, '-click'), {data: {lon: p.lng, lat: p.lat, dragged: Date.now()}});
  }
  // A cluster of incidents: a disc with its count, sized by it (log scale), coloured by the worst
  // severity inside (the ``worst`` the supercluster's reduce keeps).
  function cluster(feature, latlng, index, context) {
    var p = feature.properties || {}, n = p.point_count || 0;
    var size = Math.round(28 + 10 * Math.log10(Math.max(1, n)));
    var scale = ((context && context.hideout) || {}).scale || 1;
    size = Math.round(size * scale);
    var el = text('span', p.point_count_abbreviated || String(n));
    return L.marker(latlng, {icon: L.divIcon({className: 'map-cluster', html: el, iconSize: [size, size]}),
                             keyboard: false, pane: paneOf(context)});
  }
  function incident(feature, latlng, context) {   // an open incident: a dot by severity, rings for overdue / risk
    var p = feature.properties || {}, h = (context && context.hideout) || {}, s = h.scale || 1;
    var colors = h.colors || {}, urgent = p.severity === 'urgent';
    var ring = p.overdue ? (h.overdue_color || '#CC79A7') : (p.atrisk ? (h.risk_color || '#F0E442') : null);
    return L.circleMarker(latlng, {pane: paneOf(context), radius: (urgent ? 7 : 5.5) * s, fillColor: colors[p.severity] || '#56B4E9',
      fillOpacity: 0.95, color: ring || '#0b1220', weight: (ring ? 3 : 1) * s, opacity: 1,
      className: 'map-incident sev-' + p.severity + (p.overdue ? ' overdue' : '') + (p.atrisk ? ' atrisk' : '')});
  }
  function cellStyle(feature, context) {   // a cell shaded by its share of the busiest cell's open cases
    var t = (feature.properties || {}).t || 0, ramp = ((context && context.hideout) || {}).ramp || ['#1d3557', '#8fd0f5'];
    return {fillColor: mix(ramp[0], ramp[1], t), fillOpacity: 0.35 + 0.5 * t, weight: 0.8, color: ramp[1], opacity: 0.7};
  }
  // A choropleth (the analytics page): each area shaded by its value in ``hideout.values`` (by code) on a
  // light sequential scale from ``hideout.min`` to ``hideout.max`` (the lowest and highest shown, so close
  // values still read apart); areas without a value stay unshaded.
  var BLUES = ['#eff3ff', '#6baed6', '#08519c'];
  function shade(feature, context) {
    var h = (context && context.hideout) || {}, code = (feature.properties || {}).code;
    var v = (h.values || {})[code];
    if (v === undefined || v === null) { return {fillOpacity: 0, weight: h.outline ? 1 : 0, color: '#8d9bb0', opacity: 0.6}; }
    var low = h.min || 0, span = (h.max || 0) - low;
    var t = span > 0 ? Math.max(0, Math.min(1, (v - low) / span)) : 1;
    var fill = t < 0.5 ? mix(BLUES[0], BLUES[1], t * 2) : mix(BLUES[1], BLUES[2], t * 2 - 1);
    return {fillColor: fill, fillOpacity: 0.8, weight: 1, color: '#5b6b80', opacity: 0.8};
  }
  // Its tooltip: the area's name and the value as the page wrote it (``hideout.text`` by code), as text.
  function shadeTip(feature, layer, context) {
    var shown = (((context && context.hideout) || {}).text || {}), p = feature.properties || {};
    var name = p.name || p.code;
    layer.bindTooltip(text('div', shown[p.code] ? name + ' · ' + shown[p.code] : name), {sticky: true});
  }
  // A recurring-problem place (the analytics page's hotspot map): an orange disc that names itself on hover.
  function mark(feature, latlng, context) {
    return L.circleMarker(latlng, {pane: paneOf(context), radius: 8, fillColor: '#D55E00', fillOpacity: 0.85,
                                   color: '#ffffff', weight: 1.5, className: 'map-mark'});
  }
  function markTip(feature, layer) {
    layer.bindTooltip(text('div', (feature.properties || {}).name || ''), {sticky: true});
  }
  function mix(a, b, t) {
    var x = parseInt(a.slice(1), 16), y = parseInt(b.slice(1), 16), out = '#';
    [16, 8, 0].forEach(function (sh) {
      var c = Math.round(((x >> sh) & 255) * (1 - t) + ((y >> sh) & 255) * t);
      out += (c < 16 ? '0' : '') + c.toString(16);
    });
    return out;
  }
  window.cityops = Object.assign({}, window.cityops, {map: {zoomed: zoomed, label: label, pinMoved: pinMoved,
    cluster: cluster, incident: incident, cellStyle: cellStyle, shade: shade, shadeTip: shadeTip, mark: mark, markTip: markTip,
    text: text}});

  var ns = {
    // A click on a map → ``{lon, lat}`` in the map's datum (the server turns it into WGS84, names the place).
    // A shading's values, handed to its layer once the layer has drawn its areas (see callbacks/analytics.py).
    shadeWhenLoaded: function (hideout, layerId, mapId) {
      var tries = 0;
      (function hand() {
        var map = document.getElementById(mapId);
        if ((map && map.querySelector('.leaflet-overlay-pane path')) || tries++ > 200) {
          window.dash_clientside.set_props(layerId, {hideout: hideout});
        } else { setTimeout(hand, 150); }
      })();
      return window.dash_clientside.no_update;
    },
    mapClick: function (click) {
      var p = click && click.latlng;
      if (!p) { return window.dash_clientside.no_update; }
      return {lon: p.lng, lat: p.lat};
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});
})();
