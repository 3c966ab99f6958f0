// How every page plays an item: the file itself when the browser plays it, else HLS
// through hls.js wherever Media Source Extensions exist, and the browser's own HLS only
// where they do not (iOS Safari). Chromium answers canPlayType("…mpegurl") with "maybe"
// and then fails on streams hls.js plays, so that answer is asked last.
// Nothing is fetched before play is pressed: an opened page is no playback.
(function () {
  "use strict";
  var REASONS = {1: "aborted", 2: "network", 3: "decode", 4: "unsupported"};

  function attach(video, source, onFail) {
    var engine = null;
    var done = false;
    function fail(reason) {
      if (done) { return; }
      done = true;
      onFail(reason);
    }
    function onError() {
      var code = video.error ? video.error.code : 0;
      fail(REASONS[code] || "unknown");
    }
    video.addEventListener("error", onError);
    if (source.direct) {
      video.preload = "none";
      video.src = source.direct;
    } else if (window.Hls && window.Hls.isSupported()) {
      engine = new window.Hls({maxBufferLength: 30, autoStartLoad: false});
      engine.on(window.Hls.Events.ERROR, function (_event, data) {
        if (!data.fatal) { return; }
        fail(data.type === window.Hls.ErrorTypes.NETWORK_ERROR ? "network"
          : data.type === window.Hls.ErrorTypes.MEDIA_ERROR ? "decode" : "unknown");
      });
      engine.loadSource(source.hls);
      engine.attachMedia(video);
      // The playlist is read on attach; segments only once the viewer presses play.
      video.addEventListener("play", function () { engine.startLoad(); }, {once: true});
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.preload = "none";
      video.src = source.hls;
    } else {
      setTimeout(function () { fail("unsupported"); }, 0);
    }
    return {
      engine: engine,
      destroy: function () {
        done = true;
        video.removeEventListener("error", onError);
        if (engine) { engine.destroy(); }
        video.removeAttribute("src");
        video.load();
      }
    };
  }

  window.yuanjiaoPlayer = {attach: attach};
}());
