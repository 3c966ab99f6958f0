// The session page's attendance table (issue 16.4): a line with a row is corrected (a
// new row naming the old, with a reason); a line without one is marked. The page then
// reloads, showing both rows in the line's history.
(function () {
  "use strict";
  var root = document.getElementById("attendance");
  if (!root) { return; }
  var result = document.getElementById("attendance-result");
  Array.prototype.forEach.call(root.querySelectorAll("form.attendance-edit"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.elements.status.value;
      var reason = form.elements.reason.value.trim();
      var url, body;
      if (form.dataset.seq) {
        url = "/api/signins/" + form.dataset.seq + "/correct";
        body = {status: status, reason: reason};
      } else {
        url = root.dataset.signinUrl;
        body = {method: "admin", member_id: Number(form.dataset.member), status: status, reason: reason};
      }
      body.nonce = form.dataset.nonce = form.dataset.nonce || String(Date.now()) + Math.random().toString(16).slice(2);
      fetch(url, {method: "POST", credentials: "same-origin", body: JSON.stringify(body),
                  headers: {"Content-Type": "application/json", "Accept": "application/json",
                            "X-CSRF-Token": root.dataset.csrf}})
        .then(function (r) { return r.json().then(function (answer) { return [r.ok, answer]; }); })
        .then(function (pair) {
          result.textContent = pair[1].message;
          if (pair[0]) { window.location.reload(); }
        });
    });
  });
}());
