// The queue inside the Shopify admin: decisions are sent with fetch and the Shopify session token
// (App Bridge's shopify.idToken()) as "Authorization: Bearer"; no cookie is involved. When Amend answers
// 401 with X-Shopify-Retry-Invalid-Session-Request, the token had expired: ask for a new one, once.
(function () {
  "use strict";

  async function sessionToken() {
    if (window.shopify && typeof window.shopify.idToken === "function") {
      return window.shopify.idToken();
    }
    return "";
  }

  async function post(url, body, retry) {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        Authorization: "Bearer " + (await sessionToken()),
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      body: JSON.stringify(body),
    });
    if (response.status === 401 && retry && response.headers.get("X-Shopify-Retry-Invalid-Session-Request")) {
      return post(url, body, false);
    }
    return response;
  }

  function setBusy(cell, busy) {
    cell.querySelectorAll("button, textarea").forEach(function (element) {
      element.disabled = busy;
    });
  }

  document.addEventListener("submit", async function (event) {
    const form = event.target.closest("form[data-embedded-action]");
    if (!form) {
      return;
    }
    event.preventDefault();
    const cell = form.closest(".embedded-decision");
    const status = cell.querySelector("[data-status]");
    const body = Object.fromEntries(new FormData(form).entries());
    status.textContent = status.dataset.pending;
    setBusy(cell, true);
    let answer = {};
    let done = false;
    try {
      const response = await post(form.action, body, true);
      answer = await response.json().catch(function () {
        return {};
      });
      done = response.ok;
    } catch (error) {
      answer = {};
    }
    status.textContent = answer.message || answer.detail || status.dataset.failed;
    if (done) {
      // The decided row keeps its size (its forms hidden, not removed): an answer that comes back
      // slowly must not move the page under the merchant's pointer (Cumulative Layout Shift).
      cell.closest("tr").classList.add("queue-row--decided");
    } else {
      setBusy(cell, false);
    }
  });
})();
