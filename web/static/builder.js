// The playlist builder: pick items by search or theme, drag them in and around, remove
// them; every change is saved at once and the server answers with the totals and the
// rule checks, which are shown as they come. Text goes in with textContent only.
(function () {
  "use strict";
  var root = document.getElementById("builder");
  if (!root) { return; }
  var text = JSON.parse(document.getElementById("builder-text").textContent);
  var study = JSON.parse(document.getElementById("session-data").textContent);
  var editable = root.dataset.editable === "yes";
  var api = "/api/sessions/" + root.dataset.session;
  var csrfToken = null;
  var dragged = null; // {item} from the results, or {index} within the playlist

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function clock(seconds) {
    if (!seconds) { return "—"; }
    var s = Math.round(seconds), m = Math.floor(s / 60);
    return m >= 60 ? Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0") + ":" +
      String(s % 60).padStart(2, "0") : m + ":" + String(s % 60).padStart(2, "0");
  }

  function token() {
    if (csrfToken) { return Promise.resolve(csrfToken); }
    return fetch("/api/me").then(function (r) { return r.json(); })
      .then(function (me) { csrfToken = me.csrf; return csrfToken; });
  }

  function save(body) {
    return token().then(function (csrf) {
      return fetch(api, {method: "PUT", headers: {"content-type": "application/json",
        "x-csrf-token": csrf}, body: JSON.stringify(body)});
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) { showError(data.message); return; }
      study = data; render();
    });
  }

  function showError(message) {
    var checks = document.getElementById("checks");
    checks.textContent = "";
    checks.appendChild(el("li", "error", message));
  }

  function saveItems(items, notes) {
    var body = {items: items.map(function (i) { return i.id; })};
    if (notes) { body.notes = notes; }
    return save(body);
  }

  function insertAt(item, index) {
    var items = study.items.slice();
    if (items.some(function (i) { return i.id === item.id; })) { return; }
    items.splice(index === undefined ? items.length : index, 0, item);
    saveItems(items);
  }

  function renderPlaylist() {
    var list = document.getElementById("playlist");
    list.textContent = "";
    if (!study.items.length) { list.appendChild(el("li", "empty", text.empty)); }
    study.items.forEach(function (item, index) {
      var row = el("li", "entry theme-edge-" + item.theme);
      row.dataset.id = item.id;
      row.draggable = editable;
      row.appendChild(el("span", "title", item.title));
      row.appendChild(el("span", "theme theme-" + item.theme, item.theme_label));
      row.appendChild(el("span", "duration", clock(item.duration)));
      if (editable) {
        var remove = el("button", "remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", text.remove + " " + item.title);
        remove.addEventListener("click", function () {
          var items = study.items.slice();
          items.splice(index, 1);
          saveItems(items);
        });
        row.appendChild(remove);
        row.addEventListener("dragstart", function (event) {
          dragged = {index: index};
          event.dataTransfer.setData("text/plain", String(item.id));
          event.dataTransfer.effectAllowed = "move";
        });
        row.addEventListener("dragover", function (event) { event.preventDefault(); });
        row.addEventListener("drop", function (event) {
          event.preventDefault();
          event.stopPropagation();
          dropAt(index);
        });
      }
      list.appendChild(row);
    });
  }

  function dropAt(index) {
    if (!dragged) { return; }
    if (dragged.item) {
      insertAt(dragged.item, index);
    } else if (dragged.index !== index) {
      var items = study.items.slice();
      var moved = items.splice(dragged.index, 1)[0];
      items.splice(index, 0, moved);
      saveItems(items);
    }
    dragged = null;
  }

  function renderTotals() {
    document.getElementById("total-text").textContent = text.minutes
      .replace("{playback}", Math.round(study.playback_minutes))
      .replace("{total}", Math.round(study.total_minutes))
      .replace("{min}", study.min_minutes);
    var fill = document.querySelector("#length-bar div");
    fill.style.width = Math.min(100, 100 * study.total_minutes / study.min_minutes) + "%";
    fill.className = study.total_minutes >= study.min_minutes ? "ok" : "short";
    var bars = document.getElementById("theme-bars");
    bars.textContent = "";
    var most = Math.max.apply(null, Object.values(study.theme_minutes).concat([1]));
    Object.keys(study.theme_minutes).forEach(function (theme) {
      var minutes = study.theme_minutes[theme];
      var row = el("li", "theme-bar");
      row.dataset.theme = theme;
      row.appendChild(el("span", "label", text.labels[theme]));
      var bar = el("span", "bar theme-" + theme);
      bar.style.width = (minutes / most * 60) + "%";
      row.appendChild(bar);
      row.appendChild(el("span", "minutes", Math.round(minutes) + "′"));
      bars.appendChild(row);
    });
  }

  function renderDue() {
    var list = document.getElementById("due");
    list.textContent = "";
    study.due.forEach(function (due) {
      var row = el("li", due.listed || due.scheduled_elsewhere ? "done" : "pending");
      row.dataset.id = due.item_id;
      row.appendChild(el("span", "title", "《" + due.title + "》 " + due.deadline));
      if (editable && !due.listed && !due.scheduled_elsewhere) {
        var add = el("button", "add", text.add);
        add.type = "button";
        add.addEventListener("click", function () {
          insertAt({id: due.item_id, title: due.title});
        });
        row.appendChild(add);
      } else if (due.listed) {
        row.appendChild(el("small", "", text.listed));
      }
      list.appendChild(row);
    });
  }

  function renderChecks() {
    var list = document.getElementById("checks");
    list.textContent = "";
    if (!study.checks.length) { list.appendChild(el("li", "ok", text.none)); }
    study.checks.forEach(function (check) {
      var row = el("li", check.severity, check.message);
      row.dataset.code = check.code;
      list.appendChild(row);
    });
  }

  function render() { renderPlaylist(); renderTotals(); renderDue(); renderChecks(); }

  function showResults(items, query) {
    var list = document.getElementById("pick-results");
    list.textContent = "";
    list.dataset.query = query; // what these results answer (tests wait on it)
    items.forEach(function (item) {
      var row = el("li", "result");
      row.draggable = true;
      row.dataset.id = item.id;
      row.appendChild(el("span", "title", item.title));
      row.appendChild(el("span", "theme theme-" + item.theme, item.theme_label || ""));
      row.appendChild(el("span", "duration", clock(item.duration)));
      var add = el("button", "add", text.add);
      add.type = "button";
      add.addEventListener("click", function () { insertAt(item); });
      row.appendChild(add);
      row.addEventListener("dragstart", function (event) {
        dragged = {item: item};
        event.dataTransfer.setData("text/plain", String(item.id));
        event.dataTransfer.effectAllowed = "copy";
      });
      list.appendChild(row);
    });
  }

  function pick() {
    var q = document.getElementById("pick-query").value.trim();
    var theme = document.getElementById("pick-theme").value;
    var url = q ? "/api/search?q=" + encodeURIComponent(q) +
      (theme ? "&theme=" + theme : "") : "/api/items?per_page=50" + (theme ? "&theme=" + theme : "");
    fetch(url).then(function (r) { return r.json(); }).then(function (data) {
      showResults((data.results || data.items || []).filter(function (i) {
        return i.kind !== "document";
      }), q);
    });
  }

  if (editable) {
    var list = document.getElementById("playlist");
    list.addEventListener("dragover", function (event) { event.preventDefault(); });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
      dropAt(study.items.length);
    });
    var timer = null;
    document.getElementById("pick-query").addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(pick, 250);
    });
    document.getElementById("pick-theme").addEventListener("change", pick);
    document.getElementById("discussion").addEventListener("change", function (event) {
      save({discussion_minutes: parseInt(event.target.value, 10) || 0});
    });
    // Auto-compose proposes; the playlist changes only when the organizer accepts.
    var proposal = null;
    var preview = document.getElementById("compose-preview");
    function closePreview() {
      proposal = null;
      preview.hidden = true;
      document.getElementById("compose-items").textContent = "";
    }
    document.getElementById("compose").addEventListener("click", function () {
      token().then(function (csrf) {
        return fetch(api + "/compose", {method: "POST", headers: {"x-csrf-token": csrf,
          "content-type": "application/json"}, body: "{}"});
      }).then(function (r) { return r.json(); }).then(function (found) {
        if (found.error) { showError(found.message); return; }
        proposal = found;
        var items = document.getElementById("compose-items");
        items.textContent = "";
        found.items.forEach(function (item) {
          var row = el("li", "entry theme-edge-" + item.theme);
          row.dataset.id = item.id;
          row.appendChild(el("span", "title", item.title));
          row.appendChild(el("span", "theme theme-" + item.theme, item.theme_label));
          row.appendChild(el("span", "duration", clock(item.duration)));
          row.appendChild(el("small", "reason", item.reason));
          items.appendChild(row);
        });
        document.getElementById("compose-summary").textContent = text.preview
          .replace("{n}", found.items.length).replace("{minutes}", Math.round(found.minutes))
          .replace("{target}", Math.round(found.target_minutes));
        preview.hidden = false;
      });
    });
    document.getElementById("compose-accept").addEventListener("click", function () {
      if (!proposal) { return; }
      var chosen = proposal.items;
      closePreview();
      saveItems(chosen, chosen.map(function (i) { return i.reason; }));
    });
    document.getElementById("compose-discard").addEventListener("click", closePreview);
    pick();
  }
  render();
}());
