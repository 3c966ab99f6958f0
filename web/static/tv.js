// The station's TV mode, driven by a remote control: arrow keys move between items,
// Enter plays the chosen one full screen; each item, when it ends, hands over to the
// next; after the last, the discussion topics. Escape goes back to the list.
(function () {
  "use strict";
  var main = document.getElementById("tv");
  if (!main) { return; }
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".tv-item"));
  var player = document.getElementById("tv-player");
  var topics = document.getElementById("topics");
  var query = "session=" + main.dataset.session +
    (main.dataset.token ? "&station_token=" + encodeURIComponent(main.dataset.token) : "");
  var current = -1;
  var attached = null;
  var failure = document.getElementById("tv-error");
  var failures = [];
  var FAILURE_SHOWN_MS = 5000;
  var pendingNext = null;

  function stop() {
    if (pendingNext) { clearTimeout(pendingNext); pendingNext = null; }
    if (attached) { attached.destroy(); attached = null; }
    failure.hidden = true;
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
      if (current === index) { play(index + 1); }
    }, FAILURE_SHOWN_MS);
  }

  function focusItem(index) {
    if (!buttons.length) { return; }
    index = Math.max(0, Math.min(buttons.length - 1, index));
    buttons[index].focus();
  }

  function play(index) {
    if (index >= buttons.length) { finish(); return; }
    current = index;
    var button = buttons[index];
    var id = button.dataset.id;
    stop();
    topics.hidden = true;
    player.hidden = false;
    window.yuanjiaoTv = {index: index, item: id, failures: failures};
    attached = window.yuanjiaoPlayer.attach(player, {
      direct: button.dataset.direct ? "/stream/" + id + "?" + query : "",
      hls: "/hls/" + id + "/main.m3u8?" + query,
      item: id, session: main.dataset.session, query: query
    }, function (reason) { failed(index, reason); });
    window.yuanjiaoTv.view = attached.view;
    player.play().catch(function () { /* the next key press starts it */ });
  }

  function finish() {
    stop();
    player.pause();
    player.hidden = true;
    topics.hidden = false;
    current = -1;
    window.yuanjiaoTv = {index: buttons.length, item: null, failures: failures};
  }

  function back() {
    stop();
    player.pause();
    player.hidden = true;
    topics.hidden = true;
    focusItem(current < 0 ? 0 : current);
    current = -1;
  }

  player.addEventListener("ended", function () { play(current + 1); });

  document.addEventListener("keydown", function (event) {
    var playing = !player.hidden;
    var at = buttons.indexOf(document.activeElement);
    switch (event.key) {
      case "ArrowDown": case "ArrowRight":
        event.preventDefault();
        if (playing) { play(current + 1); } else { focusItem(at + 1); }
        break;
      case "ArrowUp": case "ArrowLeft":
        event.preventDefault();
        if (playing) { play(Math.max(0, current - 1)); } else { focusItem(at - 1); }
        break;
      case "Enter": case " ":
        event.preventDefault();
        if (playing) {
          if (player.paused) { player.play(); } else { player.pause(); }
        } else {
          play(at < 0 ? 0 : at);
        }
        break;
      case "Escape": case "Backspace":
        event.preventDefault();
        back();
        break;
    }
  });

  var clock = document.getElementById("clock");
  function tick() {
    var now = new Date();
    clock.textContent = String(now.getHours()).padStart(2, "0") + ":" +
      String(now.getMinutes()).padStart(2, "0");
  }
  tick();
  setInterval(tick, 10000);
  focusItem(0);
}());
