// The must-watch form: the item is found by searching its title or pinyin and chosen
// from the results, never typed as a number. Without scripts the typed title is sent and
// the server takes the one item with exactly that title. Text goes in with textContent.
(function () {
  "use strict";
  var query = document.getElementById("must-watch-query");
  if (!query) { return; }
  var hidden = document.getElementById("must-watch-item");
  var results = document.getElementById("must-watch-results");
  var chosen = document.getElementById("must-watch-chosen");
  var text = JSON.parse(document.getElementById("must-watch-text").textContent);
  var timer = null;

  function choose(item) {
    hidden.value = item.id;
    query.value = item.title;
    chosen.textContent = text.chosen.replace("{title}", item.title);
    results.textContent = "";
  }

  function search() {
    var q = query.value.trim();
    results.dataset.query = q;
    if (!q) { results.textContent = ""; return; }
    fetch("/api/search?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); })
      .then(function (data) {
        if (results.dataset.query !== q) { return; } // a later search is on its way
        results.textContent = "";
        var found = (data.results || []).filter(function (i) { return i.kind !== "document"; });
        if (!found.length) {
          var none = document.createElement("li");
          none.textContent = text.none.replace("{q}", q);
          results.appendChild(none);
        }
        found.slice(0, 8).forEach(function (item) {
          var row = document.createElement("li");
          row.className = "result";
          var title = document.createElement("span");
          title.className = "title";
          title.textContent = item.title;
          var pick = document.createElement("button");
          pick.type = "button";
          pick.className = "choose";
          pick.textContent = text.choose;
          pick.addEventListener("click", function () { choose(item); });
          row.appendChild(title);
          row.appendChild(pick);
          results.appendChild(row);
        });
        results.dataset.answered = q; // (tests wait on it)
      });
  }

  query.addEventListener("input", function () {
    hidden.value = ""; // a title typed anew is no longer the item chosen
    chosen.textContent = "";
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
}());
