// Picks how to play: the file itself when the browser plays it, else HLS — natively
// (Safari, iOS) or through hls.js (everything else with Media Source Extensions).
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) { return; }
  var direct = player.dataset.direct;
  var hls = player.dataset.hls;
  function failed() { document.getElementById("player-error").hidden = false; }
  player.addEventListener("error", failed);
  if (direct) {
    player.src = direct;
  } else if (player.canPlayType("application/vnd.apple.mpegurl")) {
    player.src = hls;
  } else if (window.Hls && window.Hls.isSupported()) {
    var engine = new window.Hls({ maxBufferLength: 30 });
    engine.on(window.Hls.Events.ERROR, function (_event, data) {
      if (data.fatal) { failed(); }
    });
    engine.loadSource(hls);
    engine.attachMedia(player);
    window.yuanjiaoHls = engine;
  } else {
    failed();
  }
}());
