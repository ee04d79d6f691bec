import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { TOKEN, clearBody, installShopify, orderAnswer, playAmend, settle } from "../stub";

async function renderModal() {
  const module = await import("../../extensions/amend-customer-account/src/OrderAction");
  await module.default();
  await settle();
}

function pick(selector: string, value: string, event = "change") {
  const field = document.querySelector(selector) as HTMLElement & { value: string };
  field.value = value;
  field.dispatchEvent(new Event(event));
}

function button(slot: string) {
  return document.querySelector(`s-button[slot="${slot}"]`) as HTMLElement;
}

describe("the cancel modal", () => {
  let shopify: ReturnType<typeof installShopify>;
  beforeEach(() => {
    shopify = installShopify({ extension: "amend-customer-account" });
  });
  afterEach(clearBody);

  it("shows until when, the reasons and the refund", async () => {
    playAmend({ "GET /orders/5551/": { status: 200, body: orderAnswer() } });

    await renderModal();

    const modal = document.querySelector("s-customer-account-action");
    expect(modal?.getAttribute("heading")).toBe("Cancel order #1001");
    const text = modal?.textContent ?? "";
    expect(text).toContain("You can cancel this order until Dec 3, 2026, 5:05 PM.");
    expect([...document.querySelectorAll("s-option")].map((o) => o.textContent)).toEqual([
      "Choose a reason",
      "I changed my mind",
      "I ordered by mistake",
    ]);
    expect(text).toContain("You get back $39.80 to your original payment method");
    expect(document.querySelector("s-link")?.getAttribute("href")).toBe("https://amend.example.com/s/alpha/o/signed/");
  });

  it("posts the cancel with the bearer token, the reason and one idempotency key", async () => {
    const calls = playAmend({
      "GET /orders/5551/": { status: 200, body: orderAnswer() },
      "GET /orders/5551/?reason=changed_mind": { status: 200, body: orderAnswer() },
      "POST /orders/5551/cancel/": {
        status: 201,
        body: {
          request: {
            id: 9,
            kind: "cancel",
            status: "auto_approved",
            status_label: "Approved",
            message: "Your order is being cancelled. We will email you when it is done.",
            outcome: "allowed",
          },
          refund: orderAnswer().cancel.refund,
        },
      },
    });
    await renderModal();

    pick("s-select", "changed_mind");
    pick("s-text-area", "Bought it twice", "input");
    await settle();
    button("primary-action").click();
    button("primary-action")?.click(); // a double click sends the same key
    await settle();

    const posts = calls.filter((call) => call.method === "POST");
    expect(posts[0].path).toBe("/orders/5551/cancel/");
    expect(posts[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(posts[0].body).toEqual({ reason_code: "changed_mind", reason_text: "Bought it twice" });
    expect(new Set(posts.map((post) => post.headers["idempotency-key"])).size).toBe(1);
    expect(document.querySelector("s-banner")?.textContent).toBe(
      "Your order is being cancelled. We will email you when it is done.",
    );
  });

  it("shows Amend's word on a missing reason beside the field and keeps what was typed", async () => {
    playAmend({
      "GET /orders/5551/": { status: 200, body: orderAnswer() },
      "POST /orders/5551/cancel/": {
        status: 400,
        body: { type: "validation_error", code: "required", detail: "Please tell us why you are cancelling.", attr: "reason" },
      },
    });
    await renderModal();
    pick("s-text-area", "No reason picked", "input");
    await settle();

    button("primary-action").click();
    await settle();

    expect(document.querySelector("s-select")?.getAttribute("error")).toBe("Please tell us why you are cancelling.");
    expect((document.querySelector("s-text-area") as HTMLElement & { value: string }).value).toBe("No reason picked");
  });

  it("says why not, and offers the portal, when the policy no longer allows a cancel", async () => {
    const answer = orderAnswer({}, { available: false, until: null, reasons: ["The order is already being packed."] });
    playAmend({ "GET /orders/5551/": { status: 200, body: answer } });

    await renderModal();

    expect(document.querySelector("s-banner")?.textContent).toBe("The order is already being packed.");
    expect(document.querySelector('s-button[slot="primary-action"]')).toBeNull();
    expect(document.querySelector("s-link")).not.toBeNull();
    button("secondary-actions").click();
    expect(shopify.close).toHaveBeenCalled();
  });
});
