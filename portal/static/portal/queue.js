/* The queue's "choose every request on this page" box and a count of the chosen. Without JavaScript
   the page works the same; each request is chosen by its own box. */
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  var all = document.querySelector("[data-select-all]");
  var count = document.querySelector("[data-bulk-count]");
  if (!form || !all) {
    return;
  }
  var boxes = Array.prototype.slice.call(
    document.querySelectorAll('input[name="request_ids"][form="bulk"]:not([disabled])')
  );
  function update() {
    var chosen = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = chosen > 0 && chosen === boxes.length;
    all.indeterminate = chosen > 0 && chosen < boxes.length;
    if (count) {
      count.hidden = chosen === 0;
      count.textContent = count.getAttribute("data-template-" + (chosen === 1 ? "one" : "other"))
        .replace("%(count)s", String(chosen));
    }
  }
  all.hidden = boxes.length === 0;
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    update();
  });
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
}());
