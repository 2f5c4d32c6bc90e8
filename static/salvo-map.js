/*
 * Salvo map layers for Leaflet: the one place the map's JavaScript lives.
 *
 * Python (geo/maps.py) sends plain JSON built from a map plan and calls
 *   SalvoMap.basemap(map, data, options)   oblasts, neighbours, labels, fit to Ukraine
 *   SalvoMap.points(parent, data)          one symbol per event; shared spots as a badge
 *   SalvoMap.grid(parent, data)            aggregated circles with counts
 *   SalvoMap.areas(parent, data)           oblasts shaded by their dominant origin
 *   SalvoMap.legend(parent, data)          the collapsible legend over a narrow map
 * Every text in the layers' JSON was escaped in Python (geo.escape.for_map), so it is set as
 * HTML here and shows as the original text; nothing from the data is evaluated. The
 * legend's texts are plain and only ever set with textContent.
 *
 * A click on an event tells the Streamlit page which event it was (its id, not a position:
 * several events can share a settlement centre) through streamlit-folium's returned
 * values: `last_object_clicked_popup` = "salvo:" + JSON list of ids.
 */
(function () {
  "use strict";

  var SEP = " \u00b7 ";
  var oblastShapes = {};   // ISO code -> latlngs of the basemap polygon (areas reuse them)
  var spider = null;       // the spread-out group, if any

  function html(text) {
    var div = L.DomUtil.create("div");
    div.innerHTML = text;
    return div;
  }

  function panes(map) {
    if (map.getPane("salvoShapes")) return;
    map.createPane("salvoShapes").style.zIndex = 350;   // below the event symbols (400)
    var labels = map.createPane("salvoLabels");
    labels.style.zIndex = 380;
    labels.style.pointerEvents = "none";
  }

  /* Report the selection to the page (see the header). st_folium's own click handler runs
     after ours and writes its guess: ours goes in on the next tick and sends. */
  function report(map, ids, latlng) {
    window.setTimeout(function () {
      var g = window.__GLOBAL_DATA__;
      if (!g) return;
      g.last_object_clicked = latlng;
      g.last_object_clicked_popup = "salvo:" + JSON.stringify(ids);
      g.last_object_clicked_count = (g.last_object_clicked_count || 0) + 1;
      map.fire("moveend");  // st_folium sends its values after a move event
    }, 0);
  }

  // ---- basemap ---------------------------------------------------------------------------

  function labelMarker(lat, lon, text, cls) {
    return L.marker([lat, lon], {
      pane: "salvoLabels", interactive: false, keyboard: false,
      icon: L.divIcon({className: "salvo-label " + cls, html: "<span>" + text + "</span>",
                       iconSize: null})
    });
  }

  function labels(map, data) {
    var layers = [];
    data.oblasts.forEach(function (o) {
      layers.push({min: data.oblast_min_zoom, layer: labelMarker(o[0], o[1], o[2],
                                                                  "salvo-label-oblast")});
    });
    data.cities.forEach(function (c) {
      var tier = data.city_tiers.filter(function (t) { return c[3] >= t[0]; })[0];
      var big = tier === data.city_tiers[0];
      layers.push({min: tier[1],
                   layer: labelMarker(c[0], c[1], c[2],
                                      big ? "salvo-label-city salvo-big" : "salvo-label-city")});
    });
    function update() {
      var z = map.getZoom();
      layers.forEach(function (l) {
        if (z >= l.min) { if (!map.hasLayer(l.layer)) l.layer.addTo(map); }
        else if (map.hasLayer(l.layer)) map.removeLayer(l.layer);
      });
    }
    map.on("zoomend", update);
    update();
  }

  /* Leaflet focuses the map on every press (for its keyboard controls). In Streamlit's
     iframe, when the map is taller than the screen (a 390 px phone), that scrolls the page
     between press and release, so the release lands on another shape and a click on a
     badge is lost. Same focus, without the scroll. */
  function focusWithoutScrolling(map) {
    var keyboard = map.keyboard;
    if (!keyboard || !keyboard._onMouseDown) return;
    L.DomEvent.off(map.getContainer(), "mousedown", keyboard._onMouseDown, keyboard);
    map.on("mousedown", function () {
      if (!keyboard._focused) map.getContainer().focus({preventScroll: true});
    });
  }

  /* The shapes come inline (an exported HTML map) or from data.src, a static file the
     browser caches (the live map: each rerun then carries a few kB, not the shapes).
     Oblast shading (areas) waits for them: it reuses their polygons. */
  var shapesReady = false, whenShapes = [];

  function onShapes(fn) {
    if (shapesReady) fn(); else whenShapes.push(fn);
  }

  function drawShapes(map, data, shapes, group) {
    if (shapes.neighbours) {
      L.geoJson(shapes.neighbours, {pane: "salvoShapes", interactive: false,
                                    style: function () { return data.neighbour_style; }})
        .addTo(group);
    }
    var oblasts = L.geoJson(shapes.oblasts, {
      pane: "salvoShapes",
      style: function () { return data.oblast_style; }
    });
    oblasts.bindTooltip(function (l) { return html(l.feature.properties.label); },
                        {sticky: true, className: "foliumtooltip"});
    oblasts.eachLayer(function (l) { oblastShapes[l.feature.properties.iso] = l.getLatLngs(); });
    oblasts.addTo(group);
    labels(map, shapes.labels);
    shapesReady = true;
    whenShapes.splice(0).forEach(function (fn) { fn(); });
  }

  function basemap(map, data, options) {
    panes(map);
    // Kilometres only: Leaflet's default adds a miles line our readers do not use.
    L.control.scale({imperial: false}).addTo(map);
    var group = L.featureGroup().addTo(map);
    if (data.src) {
      fetch(data.src, {credentials: "same-origin"})
        .then(function (r) {
          if (!r.ok) throw new Error("basemap " + data.src + ": HTTP " + r.status);
          return r.json();
        })
        .then(function (shapes) { drawShapes(map, data, shapes, group); })
        .catch(function (err) { console.error(err); });
    } else {
      drawShapes(map, data, data.shapes, group);
    }
    if (data.credits && map.attributionControl) map.attributionControl.addAttribution(data.credits);
    var fit = options && options.fit;
    function fitUkraine() { map.fitBounds(data.bounds, {padding: [4, 4], animate: false}); }
    // A frame still laid out at zero size (a fast load from the browser cache) cannot be
    // fitted: Leaflet computes NaN. The ResizeObserver below fits it once it has a size.
    var size = map.getSize();
    if (fit && size.x > 0 && size.y > 0) fitUkraine();
    // The page's CSS may resize the frame after the map was made (shorter on a phone): Leaflet
    // learns the new size and, until the reader touches the map, fits Ukraine again.
    if (window.ResizeObserver) {
      var container = map.getContainer();
      ["pointerdown", "wheel", "keydown"].forEach(function (name) {
        container.addEventListener(name, function () { fit = false; }, {passive: true});
      });
      new ResizeObserver(function () {
        var box = container.getBoundingClientRect();
        if (box.width < 1 || box.height < 1) return;  // hidden or unloading: nothing to fit
        map.invalidateSize({pan: false});
        if (fit) fitUkraine();
      }).observe(container);
    }
    map.on("zoomstart", collapse);
    map.on("click", collapse);
    focusWithoutScrolling(map);
    return group;
  }

  // ---- events ----------------------------------------------------------------------------

  function texts(t) {
    return {
      tip: function (v) { return [v[0], v[2] || t.none, v[4]].filter(Boolean).join(SEP); },
      pop: function (v) {
        var links = v[7].map(function (u) {
          return "<a href=\"" + u[0] + "\" target=\"_blank\" " +
                 "rel=\"noopener noreferrer nofollow\">" + u[1] + "</a>";
        }).join(", ");
        return [
          "<b>" + v[0] + "</b>" + SEP + t.type[v[1]],
          (v[2] || t.none) + " \u2014 " + t.origin[v[3]] +
            " <span class=\"salvo-certainty\">(" + t.certainty[v[9]] + ")</span>",
          v[10] ? "<span class=\"salvo-certainty\">" + v[10] + "</span>" : "",
          v[4],
          "<i>" + t.precision[v[5]] + "</i>" + SEP + t.verification[v[6]],
          links ? t.sources + " " + links : "",
          "<small>" + v[8] + "</small>"
        ].filter(Boolean).join("<br>");
      }
    };
  }

  var POPUP = {maxWidth: 260, minWidth: 160, autoPan: false, className: "salvo-popup"};

  function symbol(map, latlng, item, t, f, at) {
    var marker = L.circleMarker(latlng, t.style[item[2]]);
    marker.bindTooltip(html(f.tip(item[3])), {sticky: true, className: "foliumtooltip"});
    marker.bindPopup(function () { return html(f.pop(item[3])); }, POPUP);
    // The sticky tooltip would sit on the open popup: hide it until the popup closes.
    marker.on("popupopen", function () {
      marker._salvoTip = marker.getTooltip();
      marker.unbindTooltip();
    });
    marker.on("popupclose", function () {
      if (marker._salvoTip) marker.bindTooltip(marker._salvoTip);
    });
    marker.on("click", function (e) {
      L.DomEvent.stopPropagation(e);  // a map click would fold the spread-out group
      report(map, [item[3][8]], at || latlng);
    });
    return marker;
  }

  function collapse() {
    if (!spider) return;
    spider.map.removeLayer(spider.legs);
    spider.hidden.forEach(function (l) { l.setStyle({opacity: 1, fillOpacity: l._salvoFill}); });
    spider.badge.setOpacity(1);
    spider = null;
  }

  /* Spread a shared spot's events around it (like Leaflet.markercluster's spiderfy):
     a ring for a few, a spiral for many; each leg is the event's own symbol. */
  function spiderfy(map, parent, spot, t, f) {
    var same = spider && spider.spot === spot;
    collapse();
    if (same) return;
    var n = spot.items.length, centre = map.latLngToLayerPoint(spot.latlng);
    var legs = L.featureGroup(), i, angle = 0, radius, offset;
    for (i = 0; i < n; i++) {
      if (n <= 9) {
        radius = Math.max(26, n * 8);
        angle = 2 * Math.PI * i / n - Math.PI / 2;
      } else {  // a spiral: legs about 24 px apart along it
        radius = 24 + 4 * i;
        angle += 24 / radius;
      }
      offset = L.point(Math.cos(angle) * radius, Math.sin(angle) * radius);
      var at = map.layerPointToLatLng(centre.add(offset));
      L.polyline([spot.latlng, at], {color: "#333", weight: 1, opacity: 0.8,
                                     interactive: false}).addTo(legs);
      symbol(map, at, spot.items[i], t, f, spot.latlng).addTo(legs);
    }
    spot.base._salvoFill = spot.base.options.fillOpacity;
    spot.base.setStyle({opacity: 0.25, fillOpacity: 0.1});
    spot.badge.setOpacity(0.25);
    legs.addTo(parent);
    spider = {map: map, spot: spot, legs: legs, hidden: [spot.base], badge: spot.badge};
  }

  function points(parent, data) {
    var group = L.featureGroup(), f = texts(data), spots = {}, order = [];
    data.points.forEach(function (item) {
      var key = item[0].toFixed(5) + "," + item[1].toFixed(5);
      if (!spots[key]) {
        spots[key] = {latlng: L.latLng(item[0], item[1]), items: []};
        order.push(key);
      }
      spots[key].items.push(item);
    });
    group.on("add", function () {
      var map = group._map;
      order.forEach(function (key) {
        var spot = spots[key], first = spot.items[0];
        if (spot.items.length === 1) {
          symbol(map, spot.latlng, first, data, f).addTo(group);
          return;
        }
        var ids = spot.items.map(function (it) { return it[3][8]; });
        var tip = html(data.here.replace("{n}", spot.items.length));
        spot.base = L.circleMarker(spot.latlng, data.style[first[2]]).addTo(group);
        spot.badge = L.marker(spot.latlng, {
          keyboard: false, riseOnHover: true,
          icon: L.divIcon({className: "salvo-badge-icon", iconSize: [20, 20],
                           iconAnchor: [24, 22],  // above left: city names run right
                           html: "<span class=\"salvo-badge\">" + spot.items.length +
                                 "</span>"})
        }).addTo(group);
        [spot.base, spot.badge].forEach(function (layer) {
          layer.bindTooltip(tip, {sticky: true, className: "foliumtooltip"});
          layer.on("click", function (e) {
            L.DomEvent.stopPropagation(e);
            spiderfy(map, group, spot, data, f);
            report(map, ids, spot.latlng);
          });
        });
      });
    });
    group.on("remove", collapse);
    group.addTo(parent);
    return group;
  }

  function grid(parent, data) {
    var group = L.featureGroup();
    data.cells.forEach(function (c) {
      // c = [lat, lon, radius, style, events, [[label, events, [[certainty, events]…]]…]]:
      // the circle is drawn by how most of its main origin's events are known.
      var style = L.extend({}, data.styles[c[3]], {radius: c[2]});
      var tip = data.here.replace("{n}", c[4].toLocaleString(data.locale)) + " \u2014 " +
        c[5].map(function (b) {
          return data.labels[b[0]] + ": " + b[1].toLocaleString(data.locale) + " (" +
            b[2].map(function (k) {
              return data.certainties[k[0]] + " " + k[1].toLocaleString(data.locale);
            }).join(SEP) + ")";
        }).join(", ");
      L.circleMarker([c[0], c[1]], style)
        .bindTooltip(html(tip), {sticky: true, className: "foliumtooltip"}).addTo(group);
    });
    data.marks.forEach(function (m) {
      L.marker([m[0], m[1]], {
        interactive: false, keyboard: false,
        icon: L.divIcon({html: "<div class=\"salvo-count\">" + m[2] + "</div>",
                         iconSize: [40, 16], iconAnchor: [20, 8],
                         className: "salvo-count-icon"})
      }).addTo(group);
    });
    group.addTo(parent);
    return group;
  }

  function areas(parent, data) {
    var group = L.featureGroup();
    onShapes(function () {
      data.forEach(function (a) {
        var shape = oblastShapes[a[0]];
        if (!shape) return;
        L.polygon(shape, L.extend({pane: "salvoShapes"}, a[2]))
          .bindTooltip(html(a[1]), {sticky: true, className: "foliumtooltip"}).addTo(group);
      });
    });
    group.addTo(parent);
    return group;
  }


  // ---- legend over the map (a phone's; the page shows a legend column on a desktop) ------

  var SVG = "http://www.w3.org/2000/svg";
  var legendOpen = false;  // the reader's choice, kept when a filter change redraws it

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  /* A swatch from geo/map_legend.py: the map's own circle (SVG, same stroke and dash), a
     count badge, or a shaded square. Only numbers and colours from our palette. */
  function legendSwatch(s) {
    var box = el("span", "salvo-maplegend-swatch");
    if (!s) return box;
    if (s.badge) {
      // Looks like a badge on the map; another class, so it is never taken for one.
      box.appendChild(el("span", "salvo-maplegend-badge", s.badge));
      return box;
    }
    if (s.shade) {
      var square = el("span", "salvo-maplegend-shade");
      square.style.background = s.shade;
      box.appendChild(square);
      return box;
    }
    var size = 2 * s.r + 2 * s.weight + 2;
    var svg = svgNode("svg", {width: size, height: size, "aria-hidden": "true"});
    svg.appendChild(svgNode("circle", {
      cx: size / 2, cy: size / 2, r: s.r, fill: s.fill, "fill-opacity": s.fill_opacity,
      stroke: s.ring, "stroke-width": s.weight, "stroke-dasharray": s.dash || "none"}));
    box.appendChild(svg);
    return box;
  }

  function svgNode(tag, attributes) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    return node;
  }

  function legendPanel(data, id) {
    var panel = el("div", "salvo-maplegend-panel");
    panel.id = id;
    panel.setAttribute("role", "region");
    panel.setAttribute("aria-label", data.label);
    panel.tabIndex = -1;  // a click inside keeps the focus here (Escape folds it), not the map
    data.sections.forEach(function (section) {
      var part = el("div", "salvo-maplegend-section");
      if (section.title) {
        var head = el("div", "salvo-maplegend-title", section.title);
        if (section.note) head.appendChild(el("span", "salvo-maplegend-note",
                                              " " + section.note));
        part.appendChild(head);
      }
      section.rows.forEach(function (row) {
        var line = el("div", row.muted ? "salvo-maplegend-row salvo-muted"
                                       : "salvo-maplegend-row");
        line.appendChild(legendSwatch(row.swatch));
        line.appendChild(el("span", "salvo-maplegend-text", row.text));
        part.appendChild(line);
      });
      if (section.foot) {
        var foot = el("div", "salvo-maplegend-foot", section.foot[0] + " ");
        foot.appendChild(el("b", "", section.foot[1]));
        if (section.foot[2]) foot.appendChild(document.createTextNode(" \u2014 " +
                                                                      section.foot[2]));
        part.appendChild(foot);
      }
      panel.appendChild(part);
    });
    panel.appendChild(el("div", "salvo-maplegend-counts", data.counts));
    return panel;
  }

  /* The page holding this frame (st_folium's iframe is same-origin), or this window when
     the map stands alone or the parent is out of reach. */
  function pageWindow() {
    try {
      if (window.parent !== window && window.parent.matchMedia) return window.parent;
    } catch (err) { /* cross-origin parent */ }
    return window;
  }

  /* The page's legend column sits beside the map unless the *page* is a phone's
     (static/salvo-app.css hides that column at <= 640 px): following this frame's width
     instead showed both legends in a 641-800 px window, where the map column is narrow. */
  var PHONE_PAGE = "(max-width: 640px)";

  function legendControl(data) {
    var control = L.control({position: "topright"});
    var phone = pageWindow().matchMedia(PHONE_PAGE), follow = null;
    control.onAdd = function () {
      var box = el("div", "leaflet-control salvo-maplegend");
      follow = function () { box.classList.toggle("salvo-hidden", !phone.matches); };
      follow();
      phone.addEventListener("change", follow);
      var id = "salvo-maplegend-panel";
      var button = el("button", "salvo-maplegend-toggle", data.button);
      button.type = "button";
      button.setAttribute("aria-controls", id);
      var panel = legendPanel(data, id);
      function show(open) {
        legendOpen = open;
        button.setAttribute("aria-expanded", open ? "true" : "false");
        panel.hidden = !open;
      }
      button.addEventListener("click", function () { show(!legendOpen); });
      // Keys pressed in the legend are the legend's: Leaflet's keyboard handler on the map
      // would pan or zoom on arrows and +/-. Escape folds it and gives the button focus.
      box.addEventListener("keydown", function (e) {
        e.stopPropagation();
        if (e.key === "Escape" && legendOpen) {
          show(false);
          button.focus();
        }
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      box.appendChild(button);
      box.appendChild(panel);
      show(legendOpen);
      return box;
    };
    control.onRemove = function () { phone.removeEventListener("change", follow); };
    return control;
  }

  /* A layer holding the control: added and removed with its feature group, which
     streamlit-folium replaces when the filters change. */
  function legend(parent, data) {
    var control = null, layer = new L.Layer();
    layer.onAdd = function (map) { control = legendControl(data).addTo(map); };
    layer.onRemove = function () {
      if (control) control.remove();
      control = null;
    };
    parent.addLayer(layer);
    return layer;
  }

  window.SalvoMap = {basemap: basemap, points: points, grid: grid, areas: areas,
                     legend: legend, collapse: collapse};
}());
