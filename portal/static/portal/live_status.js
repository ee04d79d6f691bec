/* A request's page follows its status: every few seconds (slower as time passes) it reads the
   store-scoped status.json and updates the status badge, until the request is final. Parts of the
   page that only fit one status (data-while-status="pending_review") hide when it moves on, and a
   note offers to show what happened. Without JavaScript the page shows the status it was served with. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-status-url]");
  if (!holder || !window.fetch || holder.getAttribute("data-final") === "true") {
    return;
  }
  var url = holder.getAttribute("data-status-url");
  var first = holder.getAttribute("data-status");
  var every = 3000;
  var longest = 30000;

  function render(data) {
    var badge = holder.querySelector(".badge");
    if (badge) {
      badge.textContent = data.label;
      badge.className = "badge" + (data.tone ? " badge--" + data.tone : "");
    }
    holder.setAttribute("data-status", data.status);
    document.querySelectorAll("[data-while-status]").forEach(function (element) {
      element.hidden = element.getAttribute("data-while-status") !== data.status;
    });
    var changed = document.querySelector("[data-status-changed]");
    if (changed) {
      changed.hidden = data.status === first;
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        render(data);
        if (!data.final) {
          every = Math.min(Math.round(every * 1.2), longest);
          window.setTimeout(poll, every);
        }
      })
      .catch(function () {
        every = Math.min(every * 2, longest);
        window.setTimeout(poll, every);
      });
  }
  window.setTimeout(poll, every);
})();
