// The watch page: one item, played as web/static/player.js decides; a failure shows its
// reason under the player.
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) { return; }
  var box = document.getElementById("player-error");
  var attached = window.yuanjiaoPlayer.attach(player, {
    direct: player.dataset.direct, hls: player.dataset.hls, item: player.dataset.item
  }, function (reason) {
    var why = box.querySelector(".reason");
    why.textContent = box.dataset["reason" + reason.charAt(0).toUpperCase() +
                                  reason.slice(1)] || reason;
    box.dataset.reason = reason;
    box.hidden = false;
  });
  window.yuanjiaoHls = attached.engine;
  window.yuanjiaoView = attached.view;
}());
