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
  var engine = null;

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
    if (engine) { engine.destroy(); engine = null; }
    topics.hidden = true;
    player.hidden = false;
    if (button.dataset.direct) {
      player.src = "/stream/" + id + "?" + query;
    } else if (player.canPlayType("application/vnd.apple.mpegurl")) {
      player.src = "/hls/" + id + "/main.m3u8?" + query;
    } else if (window.Hls && window.Hls.isSupported()) {
      engine = new window.Hls({maxBufferLength: 30});
      engine.loadSource("/hls/" + id + "/main.m3u8?" + query);
      engine.attachMedia(player);
    }
    window.yuanjiaoTv = {index: index, item: id};
    player.play().catch(function () { /* the next key press starts it */ });
  }

  function finish() {
    if (engine) { engine.destroy(); engine = null; }
    player.pause();
    player.hidden = true;
    topics.hidden = false;
    current = -1;
    window.yuanjiaoTv = {index: buttons.length, item: null};
  }

  function back() {
    if (engine) { engine.destroy(); engine = null; }
    player.pause();
    player.hidden = true;
    topics.hidden = true;
    focusItem(current < 0 ? 0 : current);
    current = -1;
  }

  player.addEventListener("ended", function () { play(current + 1); });
  player.addEventListener("error", function () { play(current + 1); });

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
