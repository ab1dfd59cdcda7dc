// qamqor-map.js: the base layer of every Leaflet map (dispatcher, hotline,
// team, registry), as window.qamqorMap. It needs vendor/leaflet and
// qamqor-common.js loaded first.
//
//   var base = qamqorMap.baseLayer(map, tileTemplate, {onOffline: fn(on)});
//
// adds the tile layer ("© OpenStreetMap contributors") and watches it: when
// tiles cannot load (no internet: 3 failures and more failures than loads)
// the map draws our own roads instead, from GET /api/roads for the current
// view, reloaded after the map stops moving; when tiles load again the
// roads go away. An empty tileTemplate draws the roads at once. onOffline is
// told each change, e.g. to show a notice. It returns {tiles, roads (the
// GeoJSON layer, for a layers control), offline() → bool}.
(function () {
  "use strict";

  var ATTRIBUTION = "© OpenStreetMap contributors";
  // GET /api/roads answers boxes up to 1° a side and up to 20000 edges.
  var MAX_DEG = 0.99, LIMIT = 20000;
  // RELOAD_MS: roads load once the map has stayed still this long.
  var RELOAD_MS = 400;

  function roadStyle(f) {
    var h = f.properties.highway;
    var w = h === "trunk" || h === "primary" ? 3 : h === "secondary" ? 2.2 : h === "tertiary" ? 1.6 : 1;
    return { color: h === "trunk" || h === "primary" ? "#e8a33d" : "#8a96a3", weight: w, opacity: 0.9 };
  }

  function baseLayer(map, tileTemplate, opts) {
    opts = opts || {};
    var roads = L.geoJSON(null, { style: roadStyle, renderer: L.canvas({ padding: 0.3 }), interactive: false, attribution: ATTRIBUTION });
    var tiles = null, errors = 0, loads = 0, on = false, timer = 0, seq = 0;
    var loaded = null; // {bounds, complete}: what the roads layer holds

    // load fetches the roads of the view plus a margin, so short pans need
    // no new request; the box is cut to what the API allows, around the
    // view's centre.
    function load() {
      if (!on) return;
      var view = map.getBounds();
      if (loaded && loaded.complete && loaded.bounds.contains(view)) return;
      var b = view.pad(0.25), c = b.getCenter();
      var hx = Math.min((b.getEast() - b.getWest()) / 2, MAX_DEG / 2);
      var hy = Math.min((b.getNorth() - b.getSouth()) / 2, MAX_DEG / 2);
      var w = Math.max(c.lng - hx, -180), e = Math.min(c.lng + hx, 180);
      var s = Math.max(c.lat - hy, -90), n = Math.min(c.lat + hy, 90);
      if (!(e > w && n > s)) return;
      var my = ++seq;
      var bbox = [w, s, e, n].map(function (x) { return x.toFixed(5); }).join(",");
      window.qamqor.api("GET", "/api/roads?limit=" + LIMIT + "&bbox=" + bbox).then(function (fc) {
        if (my !== seq) return; // a newer view is being loaded
        roads.clearLayers();
        if (fc) roads.addData(fc);
        loaded = { bounds: L.latLngBounds([s, w], [n, e]), complete: !fc || (fc.features || []).length < LIMIT };
      }).catch(function () { /* nothing to draw; the next move tries again */ });
    }

    function setOffline(v) {
      if (v === on) return;
      on = v;
      if (on) {
        roads.addTo(map);
        load();
      } else {
        map.removeLayer(roads);
      }
      if (opts.onOffline) opts.onOffline(on);
    }

    map.on("moveend", function () {
      if (!on) return;
      clearTimeout(timer);
      timer = setTimeout(load, RELOAD_MS);
    });
    if (tileTemplate) {
      tiles = L.tileLayer(tileTemplate, { maxZoom: 19, attribution: ATTRIBUTION }).addTo(map);
      tiles.on("tileerror", function () {
        errors++;
        if (errors >= 3 && errors > loads) setOffline(true);
      });
      tiles.on("tileload", function () {
        loads++;
        if (on && loads > errors) setOffline(false);
      });
    } else {
      setOffline(true);
    }
    return { tiles: tiles, roads: roads, offline: function () { return on; } };
  }

  window.qamqorMap = { baseLayer: baseLayer, roadStyle: roadStyle };
})();
