import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { TOKEN, clearBody, installShopify, playAmend, settle } from "../stub";

const answer = {
  order: { id: "gid://shopify/Order/5551", name: "#1001", currency: "USD", total: "39.80", cancelled: false },
  can_change: true,
  changeable_until: "2026-12-03T17:05:00Z",
  portal_url: "https://amend.example.com/s/alpha/o/signed/",
};

describe("the thank-you block", () => {
  beforeEach(() => installShopify({ extension: "amend-thank-you" }));
  afterEach(clearBody);

  it("shows until when the new order can be changed", async () => {
    const calls = playAmend({ "GET /orders/5551/thank-you/": { status: 200, body: answer } });
    const module = await import("../../extensions/amend-thank-you/src/ThankYouBlock");

    await module.default();
    await settle();

    expect(document.querySelector("s-banner")?.getAttribute("heading")).toBe("Changed your mind?");
    expect(document.body.textContent).toContain("You can cancel or change this order until Dec 3, 2026, 5:05 PM.");
    expect(calls[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("asks again while Amend has not yet heard of the order, then gives up quietly", async () => {
    let asked = 0;
    playAmend({
      "GET /orders/5551/thank-you/": () => {
        asked += 1;
        return asked < 3 ? { status: 404, body: { code: "not_found" } } : { status: 200, body: answer };
      },
    });
    const { askAmend } = await import("../../extensions/amend-thank-you/src/ThankYouBlock");
    const shopify = (globalThis as unknown as { shopify: Parameters<typeof askAmend>[0] }).shopify;

    expect(await askAmend(shopify, "gid://shopify/Order/5551", [0, 0, 0])).toEqual(answer);
    expect(asked).toBe(3);

    playAmend({}); // never synced
    expect(await askAmend(shopify, "gid://shopify/Order/5551", [0, 0])).toBeNull();
  });

  it("shows nothing for a token Amend refuses", async () => {
    playAmend({ "GET /orders/5551/thank-you/": { status: 401, body: { code: "session_token_invalid" } } });
    const module = await import("../../extensions/amend-thank-you/src/ThankYouBlock");

    await module.default();
    await settle();

    expect(document.body.textContent).toBe("");
  });
});
