// The station TV's sign-in screen (issue 16.2, 16.7), driven by a remote control.
// Left: the QR code members scan, renewed as the server's 30-second window turns. Right:
// the roll call. ↑/↓ move between members; 1 present, 2 late, 3 leave (then a reason),
// 4 absent mark the member in focus at once; OK opens the same choice as a menu; 0 (or
// the button) starts a kiosk sign-in by the last four digits of a phone number. The
// roster refreshes every two seconds, so a member who signed in by phone shows at once.
(function () {
  "use strict";
  var main = document.getElementById("tv-signin");
  if (!main) { return; }
  var BACK_KEYS = ["Escape", "Backspace", "BrowserBack", "GoBack"];
  var KEY_STATUS = {"1": "present", "2": "late", "3": "leave", "4": "absent"};
  var clockEl = document.getElementById("clock");
  var offset = Number(main.dataset.now) - Date.now();

  function tick() {
    var now = new Date(Date.now() + offset);
    try {
      clockEl.textContent = now.toLocaleTimeString("zh-CN", {timeZone: main.dataset.zone, hour12: false});
    } catch (e) { clockEl.textContent = now.toLocaleTimeString(); }
  }
  tick();
  setInterval(tick, 1000);

  document.addEventListener("keydown", function (event) {
    if (!main.dataset.session && BACK_KEYS.indexOf(event.key) >= 0) { window.location.href = main.dataset.back; }
  });
  if (!main.dataset.session) { return; }

  var text = JSON.parse(document.getElementById("tv-signin-text").textContent);
  var roll = document.getElementById("roll");
  var qr = document.getElementById("qr");
  var codeEl = document.getElementById("code");
  var codeLeft = document.getElementById("code-left");
  var figuresEl = document.getElementById("figures");
  var statusMenu = document.getElementById("status-menu");
  var leaveMenu = document.getElementById("leave-menu");
  var kiosk = document.getElementById("kiosk");
  var kioskDigits = document.getElementById("kiosk-digits");
  var kioskNames = document.getElementById("kiosk-names");
  var toast = document.getElementById("toast");
  var code = "";
  var expiresAt = 0;
  var focusedMember = null;
  var pendingMember = null;

  function withToken(url) {
    if (!main.dataset.token) { return url; }
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "station_token=" + encodeURIComponent(main.dataset.token);
  }

  function nonce() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function say(message, ok) {
    toast.textContent = message;
    toast.className = "toast " + (ok ? "ok" : "refused");
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { toast.hidden = true; }, 4000);
  }

  function getJson(url) {
    return fetch(withToken(url), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function post(body) {
    var headers = {"Content-Type": "application/json", "Accept": "application/json"};
    if (main.dataset.csrf) { headers["X-CSRF-Token"] = main.dataset.csrf; }
    body.nonce = body.nonce || nonce();
    var attempt = function () {
      return fetch(withToken(main.dataset.signinUrl), {method: "POST", headers: headers,
        credentials: "same-origin", body: JSON.stringify(body)}).then(function (r) { return r.json(); });
    };
    // One retry with the same nonce: the server records it once either way.
    return attempt().catch(function () { return attempt(); })
      .catch(function () { return {ok: false, message: text.offline}; });
  }

  function refreshCode() {
    getJson(main.dataset.codeUrl).then(function (answer) {
      code = answer.code;
      expiresAt = Date.now() + answer.expires_in * 1000;
      qr.src = answer.qr;
      qr.dataset.url = answer.url;
      codeEl.textContent = answer.code;
      document.getElementById("unreachable").hidden = answer.reachable;
      setTimeout(refreshCode, Math.max(500, answer.expires_in * 1000 + 200));
    }).catch(function () { setTimeout(refreshCode, 3000); });
  }

  setInterval(function () {
    var left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    codeLeft.textContent = text.seconds_left.replace("{n}", left);
  }, 500);

  function rowFor(person) {
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "tv-item roll-item";
    button.dataset.member = person.member_id;
    var name = document.createElement("span");
    name.className = "roll-name";
    var chip = document.createElement("span");
    chip.className = "chip";
    var when = document.createElement("small");
    button.appendChild(name);
    button.appendChild(chip);
    button.appendChild(when);
    li.appendChild(button);
    button.addEventListener("focus", function () { focusedMember = button; });
    button.addEventListener("click", function () { openStatusMenu(button); });
    return li;
  }

  function refreshRoll() {
    getJson(main.dataset.attendanceUrl).then(function (answer) {
      var keep = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.member : null;
      var existing = {};
      Array.prototype.forEach.call(roll.querySelectorAll(".roll-item"), function (b) { existing[b.dataset.member] = b; });
      answer.members.forEach(function (person) {
        if (person.member_id === null) { return; }
        var button = existing[person.member_id];
        if (!button) {
          roll.appendChild(rowFor(person));
          button = roll.lastChild.firstChild;
        }
        button.dataset.name = person.name;
        button.dataset.status = person.status;
        button.querySelector(".roll-name").textContent = person.name;
        var chip = button.querySelector(".chip");
        chip.textContent = text.statuses[person.status] || person.status_label;
        chip.className = "chip " + person.status;
        button.querySelector("small").textContent = (person.at ? person.at.slice(11, 16) : "") +
          (person.late_entry ? " " + text.late_entry : "");
      });
      var f = answer.figures;
      figuresEl.textContent = text.figures.replace("{present}", f.present + f.late)
        .replace("{expected}", f.expected)
        .replace("{rate}", f.rate === null ? "—" : Math.round(f.rate * 100) + "%");
      if (!document.activeElement || document.activeElement === document.body) {
        var first = keep ? roll.querySelector('[data-member="' + keep + '"]') : roll.querySelector(".roll-item");
        if (first) { first.focus(); }
      }
    }).catch(function () {});
  }

  function mark(button, status, reason) {
    post({method: "admin", member_id: Number(button.dataset.member), status: status,
          reason: reason || ""}).then(function (answer) {
      say(answer.message, answer.ok);
      refreshRoll();
      button.focus();
    });
  }

  function openStatusMenu(button) {
    pendingMember = button;
    statusMenu.querySelector(".who").textContent = button.dataset.name;
    statusMenu.showModal();
    statusMenu.querySelector("button").focus();
  }

  function askLeave(button) {
    pendingMember = button;
    leaveMenu.showModal();
    leaveMenu.querySelector("button").focus();
  }

  Array.prototype.forEach.call(statusMenu.querySelectorAll("button"), function (b) {
    b.addEventListener("click", function () {
      statusMenu.close();
      if (b.dataset.status === "leave") { askLeave(pendingMember); return; }
      mark(pendingMember, b.dataset.status);
    });
  });
  Array.prototype.forEach.call(leaveMenu.querySelectorAll("button"), function (b) {
    b.addEventListener("click", function () {
      leaveMenu.close();
      mark(pendingMember, "leave", b.dataset.reason);
    });
  });

  function openKiosk() {
    kioskDigits.value = "";
    kioskNames.textContent = "";
    kiosk.showModal();
    kioskDigits.focus();
  }
  document.getElementById("kiosk-open").addEventListener("click", openKiosk);

  kioskDigits.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    event.preventDefault();
    var last4 = kioskDigits.value.trim();
    post({code: code, phone_last4: last4}).then(function (answer) {
      kioskNames.textContent = "";
      if (!answer.choose) { say(answer.message, answer.ok); return; }
      if (!answer.choose.length) { say(text.no_match, false); return; }
      answer.choose.forEach(function (person) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "tv-item";
        b.textContent = person.name;
        b.addEventListener("click", function () {
          post({code: code, phone_last4: last4, member_id: person.member_id}).then(function (done) {
            kiosk.close();
            say(done.message, done.ok);
            refreshRoll();
          });
        });
        li.appendChild(b);
        kioskNames.appendChild(li);
      });
      kioskNames.querySelector("button").focus();
    });
  });

  function moveIn(container, step) {
    var items = Array.prototype.slice.call(container.querySelectorAll("button"));
    var at = items.indexOf(document.activeElement);
    var next = items[Math.min(items.length - 1, Math.max(0, at + step))];
    if (next) { next.focus(); next.scrollIntoView({block: "nearest"}); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var open = document.querySelector("dialog[open]");
    if (open) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        moveIn(open, event.key === "ArrowDown" ? 1 : -1);
      } else if (open === statusMenu && KEY_STATUS[event.key]) {
        event.preventDefault();
        statusMenu.querySelector('[data-status="' + KEY_STATUS[event.key] + '"]').click();
      }
      return;  // Escape closes the dialog (the browser's own)
    }
    var active = document.activeElement;
    var onRoll = active && active.classList && active.classList.contains("roll-item");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      moveIn(document.querySelector(".signin-roll"), event.key === "ArrowDown" ? 1 : -1);
    } else if (KEY_STATUS[event.key] && onRoll) {
      event.preventDefault();
      if (KEY_STATUS[event.key] === "leave") { askLeave(active); } else { mark(active, KEY_STATUS[event.key]); }
    } else if (event.key === "0") {
      event.preventDefault();
      openKiosk();
    } else if (BACK_KEYS.indexOf(event.key) >= 0) {
      event.preventDefault();
      window.location.href = main.dataset.back;
    }
  });

  window.yuanjiaoSignin = {code: function () { return code; }, focused: function () { return focusedMember; }};
  refreshCode();
  refreshRoll();
  setInterval(refreshRoll, 2000);
}());
