// How every page plays an item: the file itself when the browser plays it, else HLS
// through hls.js wherever Media Source Extensions exist, and the browser's own HLS only
// where they do not (iOS Safari). Chromium answers canPlayType("…mpegurl") with "maybe"
// and then fails on streams hls.js plays, so that answer is asked last.
// Nothing is fetched before play is pressed: an opened page is no playback.
//
// Each attach makes a view id that every media request carries (?view=…), and reports to
// /api/views/{id} what the element has played and, on failure, why (web/evidence/view_reports.py):
// the server counts no more than what it sent, and no more than what was played.
(function () {
  "use strict";
  var REASONS = {1: "aborted", 2: "network", 3: "decode", 4: "unsupported"};
  var REPORT_EVERY_MS = 15000;

  function newView() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function withView(url, view) {
    return url ? url + (url.indexOf("?") < 0 ? "?" : "&") + "view=" + view : url;
  }

  function attach(video, source, onFail) {
    var engine = null;
    var done = false;
    var view = newView();
    var method = source.direct ? "direct" : "hls";
    var lastReport = 0;

    function report(failed, ended) {
      if (!source.item) { return; }
      var played = [];
      for (var i = 0; i < video.played.length; i++) {
        played.push([video.played.start(i), video.played.end(i)]);
      }
      lastReport = Date.now();
      var body = {item_id: Number(source.item), played: played, method: method,
                  failed: failed || null, ended: !!ended};
      if (source.session) { body.session = String(source.session); }
      // keepalive: the last report still goes out while the page is being closed.
      // (The TV mode's query carries its station token, for a TV that keeps no cookie.)
      window.fetch("/api/views/" + view + (source.query ? "?" + source.query : ""), {
        method: "POST", keepalive: true, credentials: "same-origin",
        headers: {"content-type": "application/json"}, body: JSON.stringify(body)
      }).catch(function () { /* the server's own count stands */ });
    }
    function onProgress() {
      if (Date.now() - lastReport >= REPORT_EVERY_MS) { report(null); }
    }
    function onStop() { report(null); }
    function onHide() { if (!done && video.played.length) { report(null, true); } }
    // Paused too: the server keeps an open page's playback open while it hears from it.
    var heartbeat = setInterval(function () {
      if (!done && video.played.length) { onProgress(); }
    }, REPORT_EVERY_MS);

    function fail(reason) {
      if (done) { return; }
      done = true;
      clearInterval(heartbeat);
      report(reason);
      onFail(reason);
    }
    function onError() {
      var code = video.error ? video.error.code : 0;
      fail(REASONS[code] || "unknown");
    }
    video.addEventListener("error", onError);
    video.addEventListener("timeupdate", onProgress);
    video.addEventListener("pause", onStop);
    video.addEventListener("ended", onStop);
    window.addEventListener("pagehide", onHide);
    if (source.direct) {
      video.preload = "none";
      video.src = withView(source.direct, view);
    } else if (window.Hls && window.Hls.isSupported()) {
      engine = new window.Hls({maxBufferLength: 30, autoStartLoad: false});
      engine.on(window.Hls.Events.ERROR, function (_event, data) {
        if (!data.fatal) { return; }
        fail(data.type === window.Hls.ErrorTypes.NETWORK_ERROR ? "network"
          : data.type === window.Hls.ErrorTypes.MEDIA_ERROR ? "decode" : "unknown");
      });
      engine.loadSource(withView(source.hls, view));
      engine.attachMedia(video);
      // The playlist is read on attach; segments only once the viewer presses play.
      video.addEventListener("play", function () { engine.startLoad(); }, {once: true});
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.preload = "none";
      video.src = withView(source.hls, view);
    } else {
      setTimeout(function () { fail("unsupported"); }, 0);
    }
    return {
      engine: engine,
      view: view,
      destroy: function () {
        if (!done && video.played.length) { report(null, true); }
        done = true;
        clearInterval(heartbeat);
        video.removeEventListener("error", onError);
        video.removeEventListener("timeupdate", onProgress);
        video.removeEventListener("pause", onStop);
        video.removeEventListener("ended", onStop);
        window.removeEventListener("pagehide", onHide);
        if (engine) { engine.destroy(); }
        video.removeAttribute("src");
        video.load();
      }
    };
  }

  window.yuanjiaoPlayer = {attach: attach};
}());
