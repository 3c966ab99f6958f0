// The header's menu on narrow screens (issue 14.7): the links fold behind one button so
// the header keeps to one row. Loaded in <head> (not deferred) so the "js" class is set
// before the first paint; without scripts the links stay in the header, wrapped.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("header.top .menu-toggle");
    var header = document.querySelector("header.top");
    if (!button || !header) return;
    button.addEventListener("click", function () {
      var open = header.classList.toggle("menu-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        header.classList.remove("menu-open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  });
})();
