import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { TOKEN, clearBody, installShopify, orderAnswer, playAmend, settle } from "../stub";

async function renderMenuItem() {
  const module = await import("../../extensions/amend-customer-account/src/MenuItem");
  await module.default();
  await settle();
  return document.querySelector("s-button");
}

describe("the order action menu item", () => {
  beforeEach(() => installShopify({ extension: "amend-customer-account" }));
  afterEach(clearBody);

  it("shows 'Cancel or change order' when Amend says the order can be cancelled", async () => {
    const calls = playAmend({ "GET /orders/5551/": { status: 200, body: orderAnswer() } });

    const button = await renderMenuItem();

    expect(button?.textContent).toBe("Cancel or change order");
    expect(button?.getAttribute("href")).toBeNull(); // opens the modal
    expect(calls).toHaveLength(1);
    expect(calls[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(calls[0].headers["accept-language"]).toBe("en-US");
  });

  it("speaks the customer's language", async () => {
    clearBody();
    installShopify({ extension: "amend-customer-account", locale: "sv" });
    const calls = playAmend({ "GET /orders/5551/": { status: 200, body: orderAnswer() } });

    const button = await renderMenuItem();

    expect(button?.textContent).toBe("Avbryt eller ändra beställningen");
    expect(calls[0].headers["accept-language"]).toBe("sv-SE");
  });

  it("links to Amend's portal when only other changes are on offer", async () => {
    const answer = orderAnswer({}, { available: false, until: null, reasons: ["The order is being packed."] });
    playAmend({ "GET /orders/5551/": { status: 200, body: answer } });

    const button = await renderMenuItem();

    expect(button?.textContent).toBe("Cancel or change order");
    expect(button?.getAttribute("href")).toBe(answer.portal_url);
  });

  it("shows nothing when nothing but ordering again is allowed", async () => {
    const answer = orderAnswer({ can_change: false, changeable_until: null }, { available: false, until: null });
    playAmend({ "GET /orders/5551/": { status: 200, body: answer } });

    expect(await renderMenuItem()).toBeNull();
  });

  it("shows nothing when Amend refuses the token or does not know the order", async () => {
    playAmend({
      "GET /orders/5551/": { status: 401, body: { type: "authentication_error", code: "session_token_invalid" } },
    });
    expect(await renderMenuItem()).toBeNull();
    clearBody();

    playAmend({}); // every path a 404
    expect(await renderMenuItem()).toBeNull();
  });
});
