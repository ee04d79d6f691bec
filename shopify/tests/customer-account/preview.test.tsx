// The order action as a customer sees it, written to preview/out/ for the README's screenshot.
import { afterEach, expect, it } from "vitest";

import { writePreview } from "../preview";
import { clearBody, installShopify, orderAnswer, playAmend, settle } from "../stub";

afterEach(clearBody);

it("renders the cancel modal with a reason picked and the refund", async () => {
  installShopify({ extension: "amend-customer-account" });
  const withFee = {
    ...orderAnswer().cancel.refund,
    fee: "4.00",
    amount: "35.80",
    total: "35.80",
  };
  playAmend({
    "GET /orders/5551/": { status: 200, body: orderAnswer() },
    "GET /orders/5551/?reason=changed_mind": { status: 200, body: orderAnswer({}, { refund: withFee }) },
  });
  const module = await import("../../extensions/amend-customer-account/src/OrderAction");
  await module.default();
  await settle();
  const select = document.querySelector("s-select") as HTMLElement & { value: string };
  select.value = "changed_mind";
  select.dispatchEvent(new Event("change"));
  await settle();

  expect(document.body.textContent).toContain("Cancellation fee: $4.00");
  writePreview(
    "order-action",
    "Cancel or change order",
    `<main class="order"><h1>Order #1001</h1><p class="muted">Confirmed · Dec 3, 2026</p>
     <div class="menu"><s-button>Cancel or change order</s-button></div></main>
     <div class="overlay">{{extension}}</div>`,
  );
});
