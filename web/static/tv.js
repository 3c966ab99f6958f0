// The station's TV mode, driven by a remote control (issue 14.6).
// In the list: the arrows move the focus (to the tile nearest in that direction), OK/Enter
// plays the chosen item or opens the chosen theme. While playing: ←/→ seek 10 seconds,
// ↑/↓ go to the previous/next item, OK pauses and resumes; below the picture the title,
// the progress with elapsed and total time, and the clock. In a session each item hands
// over to the next and the discussion topics follow the last; in open viewing the list
// comes back. Back (Escape, Backspace, the remote's Back) stops playing and returns to
// the list, and from the list of an open-viewing page returns to the TV page.
(function () {
  "use strict";
  var main = document.getElementById("tv");
  if (!main) { return; }
  var SEEK_SECONDS = 10;
  var FAILURE_SHOWN_MS = 5000;
  var BACK_KEYS = ["Escape", "Backspace", "BrowserBack", "GoBack"];
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".tv-item"));
  var stage = document.getElementById("tv-stage");
  var player = document.getElementById("tv-player");
  var topics = document.getElementById("topics");
  var failure = document.getElementById("tv-error");
  var osdTitle = document.getElementById("tv-osd-title");
  var osdTime = document.getElementById("tv-time");
  var osdPaused = document.getElementById("tv-paused");
  var progress = document.getElementById("tv-progress");
  var session = main.dataset.session || "";
  var parts = [];
  if (session) { parts.push("session=" + encodeURIComponent(session)); }
  if (main.dataset.token) { parts.push("station_token=" + encodeURIComponent(main.dataset.token)); }
  var query = parts.join("&");
  var current = -1;
  var attached = null;
  var failures = [];
  var pendingNext = null;

  function withQuery(path) { return query ? path + "?" + query : path; }

  function playing() { return !stage.hidden; }

  function stop() {
    if (pendingNext) { clearTimeout(pendingNext); pendingNext = null; }
    if (attached) { attached.destroy(); attached = null; }
    failure.hidden = true;
  }

  function clockText(seconds) {
    if (!isFinite(seconds) || seconds < 0) { seconds = 0; }
    var whole = Math.floor(seconds);
    var h = Math.floor(whole / 3600), m = Math.floor(whole / 60) % 60, s = whole % 60;
    var mm = (h && m < 10 ? "0" : "") + m;
    return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  function total() {
    // The element's duration once known; until then (or for a live-like stream) the
    // catalog's.
    if (isFinite(player.duration) && player.duration > 0) { return player.duration; }
    var listed = current >= 0 ? Number(buttons[current].dataset.duration) : 0;
    return listed > 0 ? listed : 0;
  }

  function showProgress() {
    var length = total();
    var at = player.currentTime || 0;
    osdTime.textContent = clockText(at) + " / " + clockText(length);
    progress.value = length ? Math.min(1000, Math.round(1000 * at / length)) : 0;
    osdPaused.hidden = !player.paused || player.ended;
  }

  function failed(index, reason) {
    // Said on the screen for a few seconds, then the next item: a hall full of people
    // must know why the item did not play, and must not wait for someone with a remote.
    var name = "reason" + reason.charAt(0).toUpperCase() + reason.slice(1);
    failure.querySelector(".title").textContent = buttons[index].dataset.title;
    failure.querySelector(".reason").textContent = failure.dataset[name] || reason;
    failure.hidden = false;
    failures.push({index: index, item: buttons[index].dataset.id, reason: reason});
    window.yuanjiaoTv.failures = failures;
    pendingNext = setTimeout(function () {
      pendingNext = null;
      if (current === index) { after(index); }
    }, FAILURE_SHOWN_MS);
  }

  // ---- the focus: the nearest tile in the direction pressed, else the next in order

  function tiles() {
    return Array.prototype.filter.call(document.querySelectorAll(".tv-item, .tv-theme, .tv-link"),
      function (el) { return el.offsetParent !== null; });
  }

  function centre(el) {
    var r = el.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2};
  }

  function nearest(from, dx, dy, list) {
    var a = centre(from);
    var best = null, bestScore = Infinity;
    list.forEach(function (el) {
      if (el === from) { return; }
      var b = centre(el);
      var along = (b.x - a.x) * dx + (b.y - a.y) * dy;
      if (along <= 1) { return; }
      var across = Math.abs((b.x - a.x) * dy) + Math.abs((b.y - a.y) * dx);
      var score = along + 2 * across;
      if (score < bestScore) { bestScore = score; best = el; }
    });
    return best;
  }

  function move(dx, dy) {
    var list = tiles();
    if (!list.length) { return; }
    var at = list.indexOf(document.activeElement);
    if (at < 0) { list[0].focus(); return; }
    var target = nearest(list[at], dx, dy, list) ||
      list[Math.max(0, Math.min(list.length - 1, at + (dx + dy > 0 ? 1 : -1)))];
    target.focus();
  }

  function focusItem(index) {
    if (buttons.length) {
      buttons[Math.max(0, Math.min(buttons.length - 1, index))].focus();
    } else if (tiles().length) {
      tiles()[0].focus();
    }
  }

  // ---- playing

  function play(index) {
    if (index >= buttons.length) { finish(); return; }
    current = index;
    var button = buttons[index];
    var id = button.dataset.id;
    stop();
    if (topics) { topics.hidden = true; }
    stage.hidden = false;
    osdTitle.textContent = button.dataset.title;
    window.yuanjiaoTv = {index: index, item: id, failures: failures};
    attached = window.yuanjiaoPlayer.attach(player, {
      direct: button.dataset.direct ? withQuery("/stream/" + id) : "",
      hls: withQuery("/hls/" + id + "/main.m3u8"),
      item: id, session: session, query: query
    }, function (reason) { failed(index, reason); });
    window.yuanjiaoTv.view = attached.view;
    showProgress();
    player.play().catch(function () { /* the next key press starts it */ });
  }

  function after(index) {
    // A playlist goes on to its next item; open viewing returns to the list, on the next.
    if (main.dataset.playlist) { play(index + 1); } else { back(); focusItem(index + 1); }
  }

  function seek(seconds) {
    var length = total();
    var target = (player.currentTime || 0) + seconds;
    if (length) { target = Math.min(target, length); }
    player.currentTime = Math.max(0, target);
    showProgress();
  }

  function finish() {
    stop();
    player.pause();
    stage.hidden = true;
    current = -1;
    window.yuanjiaoTv = {index: buttons.length, item: null, failures: failures};
    if (topics) { topics.hidden = false; } else { focusItem(0); }
  }

  function back() {
    var was = current;
    stop();
    player.pause();
    stage.hidden = true;
    if (topics) { topics.hidden = true; }
    current = -1;
    focusItem(was < 0 ? 0 : was);
    if (window.yuanjiaoTv) { window.yuanjiaoTv.index = -1; window.yuanjiaoTv.item = null; }
  }

  player.addEventListener("ended", function () { after(current); });
  ["timeupdate", "durationchange", "play", "pause", "seeked", "loadedmetadata"].forEach(
    function (name) { player.addEventListener(name, showProgress); });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var showingTopics = topics && !topics.hidden;
    if (BACK_KEYS.indexOf(event.key) >= 0) {
      event.preventDefault();
      if (playing() || showingTopics) { back(); } else if (main.dataset.back) {
        window.location.assign(main.dataset.back);
      }
      return;
    }
    switch (event.key) {
      case "ArrowLeft": case "ArrowRight":
        event.preventDefault();
        if (playing()) { seek(event.key === "ArrowRight" ? SEEK_SECONDS : -SEEK_SECONDS); }
        else { move(event.key === "ArrowRight" ? 1 : -1, 0); }
        break;
      case "ArrowUp": case "ArrowDown":
        event.preventDefault();
        if (playing()) {
          play(event.key === "ArrowDown" ? current + 1 : Math.max(0, current - 1));
        } else { move(0, event.key === "ArrowDown" ? 1 : -1); }
        break;
      case "Enter": case " ":
        if (playing()) {
          event.preventDefault();
          if (player.paused) { player.play(); } else { player.pause(); }
          return;
        }
        var at = buttons.indexOf(document.activeElement);
        if (at >= 0 || (buttons.length && tiles().indexOf(document.activeElement) < 0)) {
          event.preventDefault();
          play(at < 0 ? 0 : at);
        }
        // else a theme's link is focused: Enter opens it.
        break;
    }
  });

  // The server's time in the server's zone: a TV's own clock is often wrong or unset.
  var clocks = Array.prototype.slice.call(document.querySelectorAll(".tv-clock"));
  var offset = main.dataset.now ? Number(main.dataset.now) - Date.now() : 0;
  var format = null;
  try {
    format = new Intl.DateTimeFormat("zh-CN", {timeZone: main.dataset.zone || undefined,
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
  } catch (e) { format = null; }  // an unknown zone: the TV's own
  function tick() {
    var now = new Date(Date.now() + offset);
    var text = format ? format.format(now) : String(now.getHours()).padStart(2, "0") +
      ":" + String(now.getMinutes()).padStart(2, "0");
    clocks.forEach(function (el) { el.textContent = text; });
  }
  tick();
  setInterval(tick, 5000);
  focusItem(0);
}());
