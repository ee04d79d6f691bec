// The thank-you page block as a customer sees it, written to preview/out/ for the README's screenshot.
import { afterEach, expect, it } from "vitest";

import { writePreview } from "../preview";
import { clearBody, installShopify, playAmend, settle } from "../stub";

afterEach(clearBody);

it("renders the thank-you block", async () => {
  installShopify({ extension: "amend-thank-you" });
  playAmend({
    "GET /orders/5551/thank-you/": {
      status: 200,
      body: {
        order: { id: "gid://shopify/Order/5551", name: "#1001", currency: "USD", total: "39.80", cancelled: false },
        can_change: true,
        changeable_until: "2026-12-03T17:05:00Z",
        portal_url: "https://amend.example.com/s/alpha/o/signed/",
      },
    },
  });
  const module = await import("../../extensions/amend-thank-you/src/ThankYouBlock");
  await module.default();
  await settle();

  expect(document.body.textContent).toContain("until Dec 3, 2026");
  writePreview(
    "thank-you",
    "Thank you",
    `<main class="order"><h1>Thank you, Ann!</h1><p class="muted">Order #1001 is confirmed.</p>{{extension}}</main>`,
  );
});
