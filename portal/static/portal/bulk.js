/* A bulk cancellation's page follows the job: every two seconds it reads progress.json and updates the
   counts, the progress bar and which buttons show, until the job is finished. Without JavaScript the
   page refreshes itself (a <noscript> refresh) and works the same. */
(function () {
  "use strict";
  var panel = document.querySelector("[data-progress-url]");
  if (!panel || !window.fetch) {
    return;
  }
  var url = panel.getAttribute("data-progress-url");
  var every = 2000;
  var money = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2
  });

  function field(name) {
    return panel.querySelector('[data-field="' + name + '"]');
  }
  function setText(name, value) {
    var element = field(name);
    if (element) {
      element.textContent = String(value);
    }
  }
  function show(control, visible) {
    var button = panel.querySelector('[data-control="' + control + '"]');
    if (button) {
      button.hidden = !visible;
    }
  }
  function render(data) {
    ["status_label", "processed", "total", "done", "skipped", "failed", "pending"].forEach(function (name) {
      setText(name, data[name]);
    });
    setText("refunded", money.format(Number(data.refunded)) + " " + data.currency);
    var bar = field("progress");
    if (bar) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.processed;
      bar.textContent = data.percent + "%";
    }
    var error = field("last_error");
    if (error) {
      error.textContent = data.last_error || "";
      error.hidden = !data.last_error;
    }
    show("pause", data.can_pause);
    show("resume", data.can_resume);
    show("cancel", data.can_cancel);
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
        if (!data.finished) {
          window.setTimeout(poll, every);
        }
      })
      .catch(function () {
        // A network blip: look again a little later; the Refresh link still works.
        window.setTimeout(poll, every * 3);
      });
  }
  if (panel.getAttribute("data-finished") !== "true") {
    window.setTimeout(poll, every);
  }
}());
