// irflow's only script: it keeps the countdowns on the board and the incident page
// ticking between page loads. Each <time class="countdown" data-due="RFC 3339">
// shows the time left (or overdue) and its row's urgency colour follows it. The
// page works without it; the server renders the same text at load.
(function () {
  "use strict";
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + "d " + h + "h " + m + "m " + sec + "s";
    if (h > 0) return h + "h " + m + "m " + sec + "s";
    return m + "m " + sec + "s";
  }
  function urgency(ms) {
    if (ms < 0) return "u-overdue";
    if (ms < 24 * 3600e3) return "u-urgent";
    if (ms < 72 * 3600e3) return "u-soon";
    return "u-later";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var ms = due - now;
      el.textContent = span(ms) + (ms < 0 ? " overdue" : " left");
      var row = el.closest("tr");
      if (row && /\bu-(overdue|urgent|soon|later)\b/.test(row.className)) {
        row.className = row.className.replace(/\bu-(overdue|urgent|soon|later)\b/, urgency(ms));
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll("input.copy").forEach(function (el) {
      el.addEventListener("focus", function () { el.select(); });
    });
  });
})();
