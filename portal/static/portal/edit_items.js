// The running total of the item-change form: as the customer edits, the form is posted to the
// preview endpoint and its answer (a fragment rendered by the server) replaces the total shown.
// Without this script the form works the same, with a review step before sending.
(function () {
  "use strict";
  var form = document.querySelector("form[data-edit-items]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var target = form.querySelector("[data-edit-total]");
  var send = form.querySelector("[data-send]");
  var review = form.querySelector("[data-review]");
  var timer = null;
  var latest = 0;
  if (send) {
    send.hidden = false;
  }
  if (review) {
    // The total is shown as the customer edits: the review step is for browsers without this script.
    review.hidden = true;
  }

  function refresh() {
    var asked = ++latest;
    var body = new FormData(form);
    body.delete("step");
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        if (asked === latest && typeof answer.html === "string") {
          target.innerHTML = answer.html;
        }
      })
      .catch(function () {
        // The review step still shows the total: nothing to do if one preview is lost.
      });
  }

  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
