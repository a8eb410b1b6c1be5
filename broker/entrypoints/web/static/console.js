// The console's only script (the CSP allows no inline script): maps, upload progress, and
// errors of partial updates shown instead of swallowed.
"use strict";
(function () {
  function json(el, name, fallback) {
    try { return JSON.parse(el.getAttribute(name)) || fallback; } catch (e) { return fallback; }
  }

  function grid(map) {
    // Offline default: no tiles, a light graticule so distances and places still read.
    var layer = L.layerGroup().addTo(map);
    function draw() {
      layer.clearLayers();
      var b = map.getBounds(), step = Math.pow(10, Math.floor(Math.log10((b.getEast() - b.getWest()) / 4)));
      for (var x = Math.floor(b.getWest() / step) * step; x < b.getEast(); x += step) {
        L.polyline([[b.getSouth(), x], [b.getNorth(), x]], {color: "#9aa5b4", weight: 1, interactive: false}).addTo(layer);
      }
      for (var y = Math.floor(b.getSouth() / step) * step; y < b.getNorth(); y += step) {
        L.polyline([[y, b.getWest()], [y, b.getEast()]], {color: "#9aa5b4", weight: 1, interactive: false}).addTo(layer);
      }
    }
    map.on("moveend zoomend", draw);
    draw();
  }

  function setUp(el) {
    if (!window.L || el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var markers = json(el, "data-markers", []), labels = json(el, "data-labels", []);
    var center = json(el, "data-center", null);
    var map = L.map(el, {keyboard: true});
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, {maxZoom: 19, attribution: el.getAttribute("data-attribution") || ""}).addTo(map);
    }
    var points = [];
    markers.forEach(function (m, i) {
      if (!m) { return; }
      points.push([m.lat, m.lon]);
      L.circleMarker([m.lat, m.lon], {radius: 7, color: "#0b4f9c", fillOpacity: 0.8})
        .bindTooltip(String(labels[i] || "")).addTo(map);
    });
    if (points.length > 1) { map.fitBounds(points, {padding: [24, 24], maxZoom: 17}); }
    else if (points.length === 1) { map.setView(points[0], 16); }
    else if (center) { map.setView([center.lat, center.lon], 15); }
    else { map.setView([36.35, 127.38], 12); }
    if (!tiles) { grid(map); }
    var pick = el.getAttribute("data-pick");
    if (pick) {
      var ids = pick.split(","), chosen = null;
      map.on("click", function (e) {
        document.getElementById(ids[0]).value = e.latlng.lat.toFixed(6);
        document.getElementById(ids[1]).value = e.latlng.lng.toFixed(6);
        if (chosen) { chosen.setLatLng(e.latlng); } else { chosen = L.marker(e.latlng).addTo(map); }
      });
    }
  }

  function init(root) {
    (root || document).querySelectorAll(".map").forEach(setUp);
  }

  function showError(e) {
    // htmx swaps nothing on an error status: say what the server said (its error page's
    // title and detail) in the page's alert region, instead of leaving the page unchanged.
    var notice = document.getElementById("notice"), xhr = e.detail.xhr;
    if (!notice || !xhr) { return; }
    var found = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var title = found.querySelector("main h1"), detail = found.querySelector("main .error");
    notice.textContent = "";
    var heading = document.createElement("strong");
    heading.textContent = title ? title.textContent : String(xhr.status);
    notice.appendChild(heading);
    if (detail) { notice.appendChild(document.createTextNode(" " + detail.textContent)); }
    notice.hidden = false;
    notice.scrollIntoView({block: "nearest"});
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    var back = document.getElementById("go-back");
    if (back && window.history.length > 1) {
      back.hidden = false;
      back.addEventListener("click", function () { window.history.back(); });
    }
  });
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:beforeRequest", function () {
    var notice = document.getElementById("notice");
    if (notice) { notice.hidden = true; }
  });
  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); });
  document.addEventListener("htmx:xhr:progress", function (e) {
    var bar = document.getElementById("import-progress");
    if (bar && e.detail.lengthComputable) {
      bar.value = Math.round(100 * e.detail.loaded / e.detail.total);
      bar.textContent = bar.value + "%";
    }
  });
})();
