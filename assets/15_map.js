/* Every map's browser side (layouts/map.py): zoom classes, place-name labels, the pin's drag, clusters.
 * Only Leaflet's public API (``L``, the event's target map or marker) and Dash's ``set_props``. */
(function () {
  var ZOOMS = [];
  for (var z = 6; z <= 18; z++) { ZOOMS.push(z); }
  function zoomed(e) {   // keep ``zoom-ge-N`` on the map's container: the CSS shows layers and names by zoom
    var map = e.target, zoom = map.getZoom(), c = map.getContainer().classList;
    ZOOMS.forEach(function (n) { c.toggle('zoom-ge-' + n, n <= zoom); });
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
  function mix(a, b, t) {
    var x = parseInt(a.slice(1), 16), y = parseInt(b.slice(1), 16), out = '#';
    [16, 8, 0].forEach(function (sh) {
      var c = Math.round(((x >> sh) & 255) * (1 - t) + ((y >> sh) & 255) * t);
      out += (c < 16 ? '0' : '') + c.toString(16);
    });
    return out;
  }
  window.cityops = Object.assign({}, window.cityops, {map: {zoomed: zoomed, label: label, pinMoved: pinMoved,
    cluster: cluster, incident: incident, cellStyle: cellStyle, text: text}});

  var ns = {
    // A click on a map → ``{lon, lat}`` in the map's datum (the server turns it into WGS84, names the place).
    mapClick: function (click) {
      var p = click && click.latlng;
      if (!p) { return window.dash_clientside.no_update; }
      return {lon: p.lng, lat: p.lat};
    }
  };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {cityops: Object.assign({}, (window.dash_clientside || {}).cityops, ns)});
})();
