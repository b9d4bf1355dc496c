/* The situation page's map and details panel.
 *
 * Reads the map data and the page settings the server put in <script type="application/json">
 * (Django's json_script), draws the regions, corridors and outages with the vendored Leaflet (no
 * tiles, nothing fetched from elsewhere) and, when a region is selected, fetches its details as JSON.
 * Text from the database is only ever set as text (textContent, text nodes), never as HTML.
 * Its own words come from Django's JavaScriptCatalog (situation:jsi18n, loaded before this script):
 * gettext() and interpolate() with named placeholders, extracted into the djangojs catalogue.
 */
(function () {
  "use strict";

  const mapData = JSON.parse(document.getElementById("map-data").textContent);
  const config = JSON.parse(document.getElementById("page-config").textContent);
  const detailsBody = document.getElementById("details-body");
  const SVG_NS = "http://www.w3.org/2000/svg";
  // Colours are defined once, as CSS custom properties in situation.css.
  const styles = getComputedStyle(document.documentElement);
  const colour = (name) => styles.getPropertyValue("--" + name).trim();
  const CORRIDOR_DASHES = { open: null, restricted: "10 6", closed: "1 8" };
  // The page's language and direction (<html lang dir>, set by the server from the active language).
  const rtl = document.documentElement.dir === "rtl";
  const language = document.documentElement.lang || "en";
  // Gregorian dates in the language's words and digits ("1 Sept 2021" in English, as en-GB writes it).
  const locale = (language === "en" ? "en-GB" : language) + "-u-ca-gregory";
  const lower = (text) => text.toLocaleLowerCase(language);
  /* A translated text with its named values: format("%(name)s …", { name: … }). */
  const format = (text, values) => interpolate(text, values, true);

  /* An element with attributes and children; strings become text nodes. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const dateTime = new Intl.DateTimeFormat(locale, {
    timeZone: "UTC", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  });
  const dateOnly = new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
  const when = (iso) => (iso ? format(gettext("%(time)s UTC"), { time: dateTime.format(new Date(iso)) }) : "—");
  const day = (iso) => (iso ? dateOnly.format(new Date(iso)) : "");

  /* ---- The map ---------------------------------------------------------------------------- */

  const mapElement = document.getElementById("map");
  const phone = window.matchMedia("screen and (max-width: 800px)");  // as situation.css has it
  // Right to left, the controls move to the other side: zoom top left in LTR, top right in RTL, and
  // the attribution the other way round (Leaflet's control positions).
  const map = L.map(mapElement, { zoomSnap: 0.25, scrollWheelZoom: false, zoomControl: false, attributionControl: false });
  L.control.zoom({
    position: rtl ? "topright" : "topleft",
    zoomInTitle: gettext("Zoom in"),
    zoomOutTitle: gettext("Zoom out"),
  }).addTo(map);
  const attribution = L.control.attribution({ position: rtl ? "bottomleft" : "bottomright" }).addTo(map);
  attribution.setPrefix("Leaflet");
  attribution.addAttribution(mapElement.dataset.attribution);
  const drawn = L.featureGroup().addTo(map);
  const regionLayers = {};
  const overlays = []; // drawn above the outlines, in order: corridors, then regions drawn as points

  /* The effective status: its own colour when recorded; hatched in the colour of the ancestor it comes
   * from when inherited (the patterns are in the page's <svg class="map-patterns">); the pale "no
   * information recorded" fill when there is none, distinct from the recorded Unknown's grey. */
  function regionFill(region) {
    if (region.status_basis === "inherited") return "url(#hatch-" + region.status + ")";
    return colour(region.status ? "status-" + region.status : "status-unrecorded");
  }

  function statusText(region) {
    return format(gettext("%(region)s: %(status)s"), { region: region.name, status: region.status_text });
  }

  // Outlines first; corridors and the regions drawn as points (districts inside provinces) go on top.
  const withOutline = mapData.regions.filter((region) => mapData.boundaries[region.pcode]);
  const asPoints = mapData.regions.filter(
    (region) => !mapData.boundaries[region.pcode] && region.centroid && region.level > 0
  );
  for (const region of withOutline) {
    const layer = L.geoJSON(mapData.boundaries[region.pcode], {
      style: {
        fillColor: regionFill(region), fillOpacity: 0.85, color: "#3d4350", weight: 1,
        className: "region region-" + region.pcode + " status-basis-" + region.status_basis,
      },
    });
    addRegionLayer(region, layer);
  }

  function addRegionLayer(region, layer) {
    layer.bindTooltip(el("span", {}, statusText(region)), { sticky: true });
    layer.on("click", () => select(region.pcode));
    layer.addTo(drawn);
    regionLayers[region.pcode] = layer;
  }

  for (const corridor of mapData.corridors) {
    if (corridor.points.length < 2) continue;
    // A white casing keeps the line readable on any fill colour.
    const casing = L.polyline(corridor.points, { color: "#ffffff", weight: 8, opacity: 0.9, interactive: false });
    overlays.push(casing.addTo(drawn));
    const line = L.polyline(corridor.points, {
      color: colour("corridor-" + corridor.status) || "#555555",
      weight: 4,
      dashArray: CORRIDOR_DASHES[corridor.status] || "4 4",
      lineCap: "round",
      className: "corridor corridor-" + (corridor.status || "none"),
    });
    const corridorText = format(gettext("Corridor %(name)s: %(status)s"), { name: corridor.name, status: corridor.status_label });
    line.bindTooltip(el("span", {}, corridorText), { sticky: true });
    overlays.push(line.addTo(drawn));
  }

  // Regions drawn as points go above the outlines and the corridors, where they can be clicked.
  for (const region of asPoints) {
    const layer = L.circleMarker(region.centroid, {
      radius: 7, fillColor: regionFill(region), fillOpacity: 1, color: "#1b1b1b", weight: 1.5,
      className: "region region-point region-" + region.pcode + " status-basis-" + region.status_basis,
    });
    addRegionLayer(region, layer);
    overlays.push(layer);
  }

  // Outage markers in a pane above the labels' (Leaflet's tooltipPane is 650): a label never hides one,
  // and placeLabels below moves the labels off them besides.
  map.createPane("alerts").style.zIndex = 660;
  for (const region of mapData.regions) {
    if (!region.outages.length || !region.centroid) continue;
    const description = format(gettext("Active outages in %(region)s: %(outages)s"), {
      region: region.name, outages: region.outages.join(gettext(", ")),
    });
    const marker = L.marker(region.centroid, {
      pane: "alerts",
      icon: L.divIcon({
        className: "outage-marker outage-marker-" + region.pcode,
        html: el("span", {}, "⚡ " + region.outages.length),
        iconSize: null,
        iconAnchor: [14, 30],  // above the region's point, where the labels do not go first
      }),
      title: description,
      alt: description,
      riseOnHover: true,
    });
    marker.on("click", () => select(region.pcode));
    marker.addTo(drawn);
    marker.getElement()?.setAttribute("aria-label", description);
  }

  if (drawn.getLayers().length) {
    map.fitBounds(drawn.getBounds(), { padding: [12, 12] });
  } else {
    map.setView([20, 0], 2);
  }

  /* ---- Labels: names and statuses beside the points, never over a marker ------------------------ */

  // Every province named at any zoom, in the page's language; those with something recorded (a status
  // of their own, a restriction, an outage) say their status too and are placed first. A label tries
  // below, above, then the sides of its point, further out each round, and takes the first place that
  // covers no marker (outage markers, districts drawn as points) and no label already placed; a
  // name-only label that finds none is left out at this zoom rather than hide something.
  const labels = [];
  for (const region of mapData.regions) {
    const layer = regionLayers[region.pcode];
    const point = region.centroid || (layer && layer.getBounds ? layer.getBounds().getCenter() : null);
    const notable = region.status_basis === "recorded" || region.restriction_count > 0 || region.outages.length > 0;
    // Provinces: by name, or name and status; the country only when it has something to say.
    if (!point || region.level > 1 || (region.level === 0 && !notable)) continue;
    if (!notable && !mapData.boundaries[region.pcode]) continue;
    const tooltip = L.tooltip(point, {
      permanent: true, direction: "bottom", offset: [0, 8], interactive: false,
      className: "region-label region-label-" + region.pcode + (notable ? " region-label-status" : " region-label-name"),
    }).setContent(el("span", {}, notable ? statusText(region) : region.name));
    labels.push({ tooltip, notable, pcode: region.pcode });
  }
  labels.sort((a, b) => Number(b.notable) - Number(a.notable));
  labels.forEach((label) => label.tooltip.addTo(map));

  const LABEL_DISTANCES = [8, 18, 30, 46, 66];
  const LABEL_DIRECTIONS = ["bottom", "top", rtl ? "left" : "right", rtl ? "right" : "left"];
  const LABEL_OFFSETS = { bottom: [0, 1], top: [0, -1], right: [1, 0], left: [-1, 0] };
  const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const inside = (a, b) => a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom;

  function placeLabels() {
    const frame = mapElement.getBoundingClientRect();
    const markers = [...mapElement.querySelectorAll(".outage-marker, path.region-point")].map((node) => node.getBoundingClientRect());
    const placed = [];
    for (const { tooltip, notable } of labels) {
      const element = tooltip.getElement();
      if (!element) continue;
      element.hidden = false;
      let found = false;
      search: for (const distance of LABEL_DISTANCES) {
        for (const direction of LABEL_DIRECTIONS) {
          const [x, y] = LABEL_OFFSETS[direction];
          tooltip.options.direction = direction;
          tooltip.options.offset = [x * distance, y * distance];
          tooltip.update();
          const box = element.getBoundingClientRect();
          if (markers.some((marker) => overlaps(box, marker)) || placed.some((other) => overlaps(box, other))) continue;
          if (!notable && !inside(box, frame)) continue;
          placed.push(box);
          found = true;
          break search;
        }
      }
      // A status label is never dropped: at worst it sits furthest out, still beneath the markers' pane.
      if (!found && !notable) element.hidden = true;
      if (!found && notable) placed.push(element.getBoundingClientRect());
    }
  }
  map.on("moveend", placeLabels);  // after a zoom too
  placeLabels();

  /* ---- The regions from the keyboard ------------------------------------------------------------ */

  // One tab stop for the map's regions, not one per outline: the arrow keys move between them (in the
  // order of the table of regions), Enter or Space selects. Each is a button named by its name and status.
  const keyboardOrder = [...withOutline, ...asPoints].map((region) => region.pcode).filter((pcode) => regionLayers[pcode]);
  const regionByPcode = Object.fromEntries(mapData.regions.map((region) => [region.pcode, region]));
  const NEXT_KEYS = rtl ? ["ArrowLeft", "ArrowDown"] : ["ArrowRight", "ArrowDown"];
  const PREVIOUS_KEYS = rtl ? ["ArrowRight", "ArrowUp"] : ["ArrowLeft", "ArrowUp"];
  const layerElements = (layer) => (layer.getLayers ? layer.getLayers() : [layer]).map((part) => part.getElement()).filter(Boolean);

  function rove(pcode, focus) {
    for (const other of keyboardOrder) {
      layerElements(regionLayers[other]).forEach((node, index) => {
        node.setAttribute("tabindex", other === pcode && index === 0 ? "0" : "-1");
      });
    }
    if (focus) layerElements(regionLayers[pcode])[0]?.focus();
  }

  keyboardOrder.forEach((pcode, position) => {
    layerElements(regionLayers[pcode]).forEach((node, index) => {
      node.setAttribute("role", "button");
      node.setAttribute("aria-label", statusText(regionByPcode[pcode]));
      node.setAttribute("aria-describedby", "map-keys");
      if (index > 0) node.setAttribute("aria-hidden", "true");  // a multipolygon's other parts: one name
      node.addEventListener("keydown", (event) => {
        let target = null;
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          event.stopPropagation();
          select(pcode);
          // Selecting brings the outline to the front (moves it in the SVG), which drops the focus: put it back.
          rove(pcode, true);
          return;
        }
        if (NEXT_KEYS.includes(event.key)) target = keyboardOrder[(position + 1) % keyboardOrder.length];
        if (PREVIOUS_KEYS.includes(event.key)) target = keyboardOrder[(position - 1 + keyboardOrder.length) % keyboardOrder.length];
        if (event.key === "Home") target = keyboardOrder[0];
        if (event.key === "End") target = keyboardOrder[keyboardOrder.length - 1];
        if (target === null) return;
        event.preventDefault();
        event.stopPropagation();  // not Leaflet's keyboard panning
        rove(target, true);
      });
    });
  });
  if (keyboardOrder.length) rove(keyboardOrder[0], false);
  // Corridors and their casings are drawn, not operated: the legend lists them by name.
  mapElement.querySelectorAll("path.corridor, path:not(.region)").forEach((node) => node.setAttribute("tabindex", "-1"));

  /* Zoom to a region: its outline, else its point (a district inside its province), else its nearest
   * ancestor's outline. */
  function zoomTo(pcode) {
    const region = regionByPcode[pcode];
    const layer = regionLayers[pcode];
    if (layer && layer.getBounds) {
      map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 10 });
    } else if (region && region.centroid) {
      map.setView(region.centroid, Math.max(map.getZoom(), 9));
    } else {
      const ancestor = (region ? region.ancestors : []).slice().reverse().find((code) => regionLayers[code]?.getBounds);
      if (ancestor) map.fitBounds(regionLayers[ancestor].getBounds(), { padding: [24, 24], maxZoom: 10 });
    }
  }

  // Printing lays the map out at the paper's width: Leaflet measures it again and fits the picture.
  const fitForPrint = () => {
    map.invalidateSize({ animate: false });
    if (drawn.getLayers().length) map.fitBounds(selected && regionLayers[selected]?.getBounds ? regionLayers[selected].getBounds() : drawn.getBounds(), { animate: false });
  };
  window.addEventListener("beforeprint", () => {
    document.querySelectorAll("details.fold").forEach((fold) => { fold.open = true; });
    fitForPrint();
  });
  window.addEventListener("afterprint", () => map.invalidateSize({ animate: false }));

  /* ---- The selected region ------------------------------------------------------------------ */

  let selected = null;

  function highlight(pcode) {
    document.querySelectorAll(".leaflet-interactive.selected, tr.selected").forEach((node) => {
      node.classList.remove("selected");
    });
    const layer = regionLayers[pcode];
    if (layer) {
      const parts = layer.getLayers ? layer.getLayers() : [layer];
      parts.forEach((part) => part.getElement()?.classList.add("selected"));
      // The selected outline on top of its neighbours', with the corridors and points still above it.
      layer.bringToFront();
      overlays.forEach((overlay) => overlay.bringToFront());
    }
    document.querySelector('tr[data-pcode="' + CSS.escape(pcode) + '"]')?.classList.add("selected");
  }

  async function select(pcode) {
    selected = pcode;
    highlight(pcode);
    zoomTo(pcode);
    if (regionLayers[pcode] && keyboardOrder.includes(pcode)) rove(pcode, false);
    document.getElementById("details").classList.add("has-region");
    history.replaceState(null, "", "#region=" + encodeURIComponent(pcode));
    detailsBody.replaceChildren(el("p", { class: "hint" }, gettext("Loading…")));
    let url = config.details_url.replace(config.placeholder, encodeURIComponent(pcode));
    if (config.as_of) url += "?as_of=" + encodeURIComponent(config.as_of);
    let response, details;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      details = await response.json();
    } catch (error) {
      if (selected === pcode) detailsBody.replaceChildren(el("p", { class: "errors" }, gettext("Could not load the region.")));
      return;
    }
    if (selected !== pcode) return; // a later selection won
    if (!response.ok) {
      detailsBody.replaceChildren(el("p", { class: "errors" }, details.detail || gettext("Could not load the region.")));
      return;
    }
    detailsBody.replaceChildren(...regionDetails(details));
  }

  function sourceNode(source) {
    if (!source) return el("span", { class: "source" }, gettext("no source"));
    const title = /^https?:\/\//i.test(source.url)
      ? el("a", { href: source.url, rel: "noopener noreferrer" }, source.title)
      : el("cite", {}, source.title);
    return el("span", { class: "source" }, format(gettext("%(publisher)s: "), { publisher: source.publisher }), title,
      source.published_at ? format(gettext(" (%(date)s)"), { date: day(source.published_at) }) : "",
      format(gettext("; reliability %(grade)s"), { grade: source.reliability }));
  }

  function terms(pairs) {
    const list = el("dl", {});
    for (const [term, description] of pairs) list.append(el("dt", {}, term), el("dd", {}, description));
    return list;
  }

  function regionDetails(details) {
    const status = details.status;
    const parts = [
      el("h3", { id: "details-region" }, details.name, " ", el("span", { class: "pcode" }, details.pcode)),
      el("p", { class: "note" }, levelText(details)),
      el("p", { class: "details-status", id: "details-status", "data-status-basis": status.basis },
        el("span", {
          class: "swatch " + (status.value ? "status-" + status.value : "status-unrecorded")
            + (status.basis === "inherited" ? " hatched" : ""),
          "aria-hidden": "true",
        }),
        status.text,
        details.stale ? el("span", { class: "badge badge-stale" }, gettext("Stale")) : null),
    ];
    if (details.review) {
      parts.push(el("p", { class: "flagged-for-review", id: "details-review" },
        el("strong", {}, gettext("Flagged for review")), " — ", details.review.text));
    }
    const statusTerms = status.value
      ? [[gettext("Since"), when(status.since)], [gettext("Why"), status.reason],
        [gettext("Confidence"), status.confidence], [gettext("Source"), sourceNode(status.source)]]
      : [[gettext("Since"), details.as_of ? gettext("Nothing recorded on it or above it by then")
        : gettext("Nothing recorded on it or above it yet")]];
    if (status.basis === "inherited") {
      statusTerms.unshift([gettext("Recorded for"), format(gettext("%(name)s (%(pcode)s); none of its own"), status.from)]);
    }
    if (details.stale) {
      const days = { days: config.stale_after_days };
      statusTerms.push([gettext("Updates"), details.as_of
        ? format(ngettext("No confirmed update in the %(days)s day before that day",
          "No confirmed update in the %(days)s days before that day", days.days), days)
        : format(ngettext("No confirmed update in the %(days)s day before now",
          "No confirmed update in the %(days)s days before now", days.days), days)]);
    }
    parts.push(terms(statusTerms));

    parts.push(el("h3", {}, format(gettext("Active restrictions (%(count)s)"), { count: details.restrictions.length })));
    parts.push(factList(details.restrictions, gettext("No active restrictions."), (restriction) => [
      el("p", {}, el("strong", {}, restriction.category), format(gettext(", %(severity)s"), { severity: lower(restriction.severity) }),
        restriction.region_pcode !== details.pcode ? format(gettext(" — in %(region)s"), { region: restriction.region }) : ""),
      restriction.description ? el("p", {}, restriction.description) : null,
      el("p", { class: "note" }, restrictionNote(restriction)),
      el("p", { class: "note" }, el("span", { class: "confidence" }, restriction.confidence), " — ", sourceNode(restriction.source)),
    ]));

    parts.push(el("h3", {}, format(gettext("Active outages (%(count)s)"), { count: details.outages.length })));
    parts.push(factList(details.outages, gettext("No active outages."), (outage) => [
      el("p", {}, el("strong", {}, outage.utility), format(gettext(" cut (%(extent)s, %(cause)s) since %(since)s"), {
        extent: lower(outage.extent), cause: lower(outage.cause), since: when(outage.started_at),
      }), outage.region_pcode !== details.pcode ? format(gettext(" — in %(region)s"), { region: outage.region }) : ""),
      outage.cause_detail ? el("p", {}, outage.cause_detail) : null,
      el("p", { class: "note" }, el("span", { class: "confidence" }, outage.confidence), " — ", sourceNode(outage.source)),
    ]));

    parts.push(el("h3", {}, format(gettext("Needs against reach: %(region)s and the regions under it"), { region: details.name })));
    // Folded on a phone, as the page's own long panels are: the card's status and facts come first.
    const needsFold = el("details", { class: "fold" },
      el("summary", {}, gettext("People in need, targeted and reached, by sector")), needsChart(details.needs));
    needsFold.open = !phone.matches;
    parts.push(needsFold);
    return parts;
  }

  /* "Province in Afghanistan, now" / "District in Panjsher, at the end of 1 Sep 2021". */
  function levelText(details) {
    const values = { level: details.level, parent: details.parent, date: day(details.as_of) };
    if (details.parent) {
      return format(details.as_of ? gettext("%(level)s in %(parent)s, at the end of %(date)s")
        : gettext("%(level)s in %(parent)s, now"), values);
    }
    return format(details.as_of ? gettext("%(level)s, at the end of %(date)s") : gettext("%(level)s, now"), values);
  }

  /* "Affects all aid workers; imposed by …; since …". */
  function restrictionNote(restriction) {
    const values = {
      groups: lower(restriction.affected_groups.join(gettext(", "))) || "—",
      imposed_by: restriction.imposed_by,
      since: when(restriction.starts_at),
    };
    return format(restriction.imposed_by ? gettext("Affects %(groups)s; imposed by %(imposed_by)s; since %(since)s")
      : gettext("Affects %(groups)s; since %(since)s"), values);
  }

  function factList(facts, empty, render) {
    if (!facts.length) return el("p", { class: "empty" }, empty);
    return el("ul", { class: "facts" }, ...facts.map((fact) => el("li", {}, ...render(fact))));
  }

  /* The same chart as situation/_needs_chart.html, for the selected region. */
  function needsChart(needs) {
    const chart = el("div", { class: "needs-chart", "data-area": needs.area.pcode });
    if (!needs.has_figures) {
      chart.append(el("p", { class: "empty" }, needs.period_start
        ? format(gettext("No need figures for %(region)s or the regions under it covering %(date)s."),
          { region: needs.area.name, date: day(needs.period_start) })
        : format(gettext("No need figures for %(region)s or the regions under it."), { region: needs.area.name })));
      return chart;
    }
    chart.append(
      el("p", { class: "chart-key", "aria-hidden": "true" },
        el("span", { class: "key key-people_in_need" }, gettext("People in need")),
        el("span", { class: "key key-targeted" }, gettext("Targeted")),
        el("span", { class: "key key-reached" }, gettext("Reached"))),
      el("section", { class: "sector intersectoral" },
        el("h4", {}, gettext("Intersectoral"), " ", el("small", {}, gettext("each person counted once"))),
        bars(needs.intersectoral, true)),
    );
    for (const sector of needs.sectors) {
      chart.append(el("section", { class: "sector" },
        el("h4", {}, sector.name, sector.urgent ? " " : null,
          sector.urgent ? el("span", { class: "badge badge-urgent" }, gettext("Urgent")) : null),
        bars(sector.metrics, false)));
    }
    return chart;
  }

  function bars(metrics, showRule) {
    return el("ul", { class: "bars" }, ...metrics.map((item) => {
      const row = el("li", { class: "bar-row" }, el("span", { class: "bar-label" }, item.label));
      if (!item.figure) {
        row.append(el("span", { class: "bar bar-empty", "aria-hidden": "true" }),
          el("span", { class: "bar-value bar-none" }, gettext("no figure")));
        return row;
      }
      const svg = document.createElementNS(SVG_NS, "svg");
      svg.setAttribute("class", "bar");
      svg.setAttribute("viewBox", "0 0 100 1");
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("aria-hidden", "true");
      const rect = document.createElementNS(SVG_NS, "rect");
      rect.setAttribute("class", "bar-" + item.metric);
      rect.setAttribute("width", String(item.figure.percent));
      rect.setAttribute("height", "1");
      svg.append(rect);
      row.append(svg, el("span", { class: "bar-value" + (item.figure.lower_bound ? " bar-lower-bound" : "") }, item.figure.display));
      const saysReported = item.figure.rule === "reported" && item.figure.detail;  // the detail says "reported …"
      if (!saysReported && (showRule || item.figure.rule !== "reported")) row.append(el("span", { class: "bar-rule" }, item.figure.rule_label));
      // "reported 14,500,000 · provinces: 12,000 from 1 of 34": worked out in presenters.figure_detail.
      if (item.figure.detail) row.append(el("span", { class: "bar-rule bar-detail" }, item.figure.detail));
      return row;
    }));
  }

  // Region names in the lists and the table select the region too (and work from the keyboard).
  document.addEventListener("click", (event) => {
    const link = event.target.closest(".region-link");
    if (!link) return;
    select(link.dataset.pcode);
    document.getElementById("details").scrollIntoView({ block: "start" });
  });

  // On a phone the long panels start folded: the selected region, today's changes and the map come first.
  if (phone.matches) {
    document.querySelectorAll("details.fold").forEach((fold) => { fold.open = false; });
  }

  // Changing the filters keeps the selected region open: the form's address carries the #region=….
  document.querySelector("form.filters").addEventListener("submit", (event) => {
    event.currentTarget.action = window.location.pathname + window.location.hash;
  });

  // A link to the page may name the region to open: /situation/#region=AF08.
  function selectFromHash() {
    const named = /^#region=([A-Za-z0-9]+)$/.exec(window.location.hash);
    if (named && named[1].toUpperCase() !== selected) select(named[1].toUpperCase());
    return Boolean(named);
  }
  window.addEventListener("hashchange", selectFromHash);
  if (!selectFromHash() && config.selected) select(config.selected);
})();
