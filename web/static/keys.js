// Remote controls of station TVs and PCs send arrow keys and Enter: the arrows move the
// focus from link to link (Enter then opens it), as Tab and Shift-Tab do on a keyboard.
// Their Back key (Escape or Backspace to the browser, or BrowserBack) returns to the page
// before, outside text fields (issue 14.6).
(function () {
  "use strict";
  var BACK_KEYS = ["Escape", "Backspace", "BrowserBack", "GoBack"];
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    if (BACK_KEYS.indexOf(event.key) < 0) return;
    var active = document.activeElement;
    var tag = active ? active.tagName : "";
    // Typing, choosing in a list, or leaving full screen: the key is theirs.
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" ||
        (active && active.isContentEditable) || document.fullscreenElement) return;
    if (document.querySelector("dialog[open], .menu-open")) return;  // Escape closes it
    if (window.history.length < 2) return;
    event.preventDefault();
    window.history.back();
  });
  var SELECTOR = "header input, header button, header a[href], main a[href], main button, " +
                 "main input, main select, main video";
  function focusables() {
    return Array.prototype.filter.call(document.querySelectorAll(SELECTOR), function (el) {
      return el.offsetParent !== null && !el.disabled;
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var forward = event.key === "ArrowDown" || event.key === "ArrowRight";
    var backward = event.key === "ArrowUp" || event.key === "ArrowLeft";
    if (!forward && !backward) return;
    var active = document.activeElement;
    var typing = active && (active.tagName === "INPUT" || active.tagName === "SELECT");
    // In a text field left/right move the cursor, and a player uses its own arrows.
    if (typing && event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    if (active && active.tagName === "VIDEO") return;
    var list = focusables();
    var at = list.indexOf(active);
    var next = at < 0 ? (forward ? 0 : list.length - 1) : at + (forward ? 1 : -1);
    if (next < 0 || next >= list.length) return;
    event.preventDefault();
    list[next].focus();
  });
})();
