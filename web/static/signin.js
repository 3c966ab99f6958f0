// The phone's sign-in page (issue 16.2): opened from the TV's QR code. A member signed in
// to his account signs in with one tap; without an account he types the last four digits
// of the phone number on the roster, then chooses his name. Each attempt carries a nonce,
// kept across retries, so a request sent twice on a weak signal is recorded once.
(function () {
  "use strict";
  var root = document.getElementById("signin");
  if (!root) { return; }
  var result = document.getElementById("signin-result");
  var names = document.getElementById("signin-names");
  var digits = document.getElementById("last4");
  var nonces = {};

  function nonceFor(key) {
    if (!nonces[key]) {
      var bytes = new Uint8Array(12);
      window.crypto.getRandomValues(bytes);
      nonces[key] = Array.prototype.map.call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    }
    return nonces[key];
  }

  function show(text, ok) {
    result.textContent = text;
    result.className = "signin-result " + (ok ? "ok" : "refused");
    result.hidden = false;
  }

  function send(body, key) {
    body.code = root.dataset.code;
    if (key) { body.nonce = nonceFor(key); }
    var headers = {"Content-Type": "application/json", "Accept": "application/json"};
    if (root.dataset.csrf) { headers["X-CSRF-Token"] = root.dataset.csrf; }
    return fetch(root.dataset.url, {method: "POST", headers: headers, credentials: "same-origin",
                                    body: JSON.stringify(body)})
      .then(function (response) { return response.json(); })
      .catch(function () { return {ok: false, message: root.dataset.offline || "网络错误，请重试 / network error, try again"}; });
  }

  function answered(answer) {
    show(answer.message, answer.ok);
    if (answer.ok || answer.refusal === "signin_already") {
      names.hidden = true;
      var forms = root.querySelectorAll("form, details, #signin-self");
      Array.prototype.forEach.call(forms, function (el) { el.hidden = true; });
    }
  }

  var self = document.getElementById("signin-self");
  if (self) {
    self.addEventListener("click", function () {
      send({member_id: Number(root.dataset.own)}, "self").then(answered);
    });
  }

  var digitsForm = document.getElementById("signin-digits");
  if (digitsForm) {
    digitsForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var last4 = digits.value.trim();
      send({phone_last4: last4}).then(function (answer) {
        if (!answer.choose) { answered(answer); return; }
        names.textContent = "";
        if (!answer.choose.length) {
          show(root.dataset.none || answer.message, false);
          return;
        }
        result.hidden = true;
        answer.choose.forEach(function (person) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "big";
          button.textContent = person.name;
          button.addEventListener("click", function () {
            send({phone_last4: last4, member_id: person.member_id},
                 "m" + person.member_id).then(answered);
          });
          li.appendChild(button);
          names.appendChild(li);
        });
        names.hidden = false;
        names.querySelector("button").focus();
      });
    });
  }

  var guestForm = document.getElementById("signin-guest");
  if (guestForm) {
    guestForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = document.getElementById("guest-name").value.trim();
      send({guest_name: name}, "g" + name).then(answered);
    });
  }
}());
