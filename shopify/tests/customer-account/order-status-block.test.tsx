import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { clearBody, installShopify, orderAnswer, playAmend, settle } from "../stub";

async function renderBlock() {
  const module = await import("../../extensions/amend-customer-account/src/OrderStatusBlock");
  await module.default();
  await settle();
}

describe("the order status block", () => {
  beforeEach(() => installShopify({ extension: "amend-customer-account" }));
  afterEach(clearBody);

  it("says until when the order can change and links to the portal", async () => {
    playAmend({ "GET /orders/5551/": { status: 200, body: orderAnswer() } });

    await renderBlock();

    expect(document.body.textContent).toContain("You can cancel or change this order until Dec 3, 2026, 5:05 PM.");
    expect(document.querySelector("s-link")?.getAttribute("href")).toContain("/o/");
  });

  it("shows nothing when nothing can be changed", async () => {
    playAmend({ "GET /orders/5551/": { status: 200, body: orderAnswer({ can_change: false }) } });

    await renderBlock();

    expect(document.body.textContent).toBe("");
  });
});
