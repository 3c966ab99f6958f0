// The station page's rescan (issue 14.6): the form starts one (or finds the one running)
// and the page polls its state once a second, showing it in a <progress> element while it
// runs and the scan's summary when it ends. Without scripts the form still works: the
// page comes back with the state as it was then.
(function () {
  "use strict";
  var section = document.getElementById("rescan");
  if (!section) { return; }
  var form = document.getElementById("rescan-form");
  var button = form.querySelector("button[name=action]");
  var box = document.getElementById("rescan-status");
  var bar = document.getElementById("rescan-progress");
  var text = document.getElementById("rescan-message");
  var current = document.getElementById("rescan-current");
  var done = document.getElementById("rescan-done");
  var POLL_MS = 1000;
  var timer = null;

  function show(state) {
    section.dataset.state = state.state;
    if (state.state === "idle") { return; }
    box.hidden = false;
    text.textContent = state.message || "";
    current.textContent = state.state === "running" ? (state.current || "") : "";
    if (state.state === "running") {
      if (state.total === null || state.total === undefined) {
        bar.removeAttribute("value");  // still walking the folders: no total yet
      } else {
        bar.max = Math.max(1, state.total);
        bar.value = state.done;
      }
    } else {
      bar.max = 1;
      bar.value = 1;
    }
    done.hidden = state.state !== "done";
    button.disabled = state.state === "running";
    window.yuanjiaoRescan = state;
  }

  function poll() {
    timer = null;
    window.fetch(section.dataset.status, {credentials: "same-origin",
                                          headers: {accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        show(state);
        if (state.state === "running") { timer = setTimeout(poll, POLL_MS); }
      })
      .catch(function () { timer = setTimeout(poll, POLL_MS * 5); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    var body = new URLSearchParams({action: "start"});
    // (form.action would be the button named "action")
    window.fetch(form.getAttribute("action"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: {accept: "application/json",
                "x-csrf-token": form.querySelector("input[name=csrf]").value}
    }).then(function (response) {
      return response.json().then(function (state) { return {ok: response.ok, state: state}; });
    }).then(function (answer) {
      if (!answer.ok) {
        box.hidden = false;
        text.textContent = answer.state.message || "";
        button.disabled = false;
        return;
      }
      show(answer.state);
      if (answer.state.state === "running" && timer === null) { timer = setTimeout(poll, POLL_MS); }
    }).catch(function () { button.disabled = false; });
  });

  if (section.dataset.state === "running") { poll(); }
}());
