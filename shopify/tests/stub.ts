// A small stand-in for what Shopify gives an extension: the `shopify` global (session token, i18n
// with the extension's own locale file, the order it runs for, close()) and a fetch that plays Amend.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { render } from "preact";
import { vi } from "vitest";

import { AMEND_URL } from "../shared/config";
import { API_PATH } from "../shared/amend";

export const TOKEN = "header.payload.signature";

type Translations = Record<string, string>;

function translations(extension: string, locale = "en.default"): Translations {
  // Vitest runs from the app's root (shopify/), where the extensions are.
  const file = join(process.cwd(), "extensions", extension, "locales", `${locale}.json`);
  return JSON.parse(readFileSync(file, "utf8")) as Translations;
}

export interface StubOptions {
  extension: "amend-customer-account" | "amend-thank-you";
  orderId?: string;
  locale?: string;
}

export function installShopify({ extension, orderId = "gid://shopify/Order/5551", locale }: StubOptions) {
  const messages = translations(extension, locale);
  const shopify = {
    orderId,
    order: { value: { id: orderId } },
    orderConfirmation: { value: { order: { id: orderId }, number: "ABC123", isFirstOrder: false } },
    sessionToken: { get: vi.fn(async () => TOKEN) },
    localization: { language: { value: { isoCode: locale === "sv" ? "sv-SE" : "en-US" } } },
    close: vi.fn(),
    i18n: {
      translate: (key: string, options: Record<string, string> = {}) => {
        const text = messages[key];
        if (text === undefined) throw new Error(`no translation for ${key}`);
        return text.replace(/\{\{(\w+)\}\}/g, (_all, name: string) => options[name] ?? "");
      },
      formatDate: (date: Date, options?: Intl.DateTimeFormatOptions) =>
        new Intl.DateTimeFormat("en-US", { timeZone: "UTC", ...options }).format(date),
      formatCurrency: (amount: number, options?: { currency?: string }) =>
        new Intl.NumberFormat("en-US", { style: "currency", currency: options?.currency ?? "USD" }).format(amount),
    },
  };
  (globalThis as unknown as { shopify: typeof shopify }).shopify = shopify;
  return shopify;
}

export interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

type Route = (call: Call) => { status: number; body: unknown };

/** Replace fetch with Amend's answers by "METHOD path"; every call is recorded. */
export function playAmend(routes: Record<string, Route | { status: number; body: unknown }>) {
  const calls: Call[] = [];
  const fetchStub = vi.fn(async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    if (url.origin !== AMEND_URL || !url.pathname.startsWith(API_PATH)) throw new TypeError(`unexpected fetch ${url}`);
    const call: Call = {
      method: init.method ?? "GET",
      path: url.pathname.slice(API_PATH.length) + url.search,
      headers: Object.fromEntries(
        Object.entries((init.headers ?? {}) as Record<string, string>).map(([name, value]) => [name.toLowerCase(), value]),
      ),
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    const route = routes[`${call.method} ${call.path}`] ?? routes[`${call.method} ${url.pathname.slice(API_PATH.length)}`];
    const answer = typeof route === "function" ? route(call) : (route ?? { status: 404, body: { code: "not_found", detail: "Not found." } });
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchStub);
  return calls;
}

export function orderAnswer(overrides: Record<string, unknown> = {}, cancel: Record<string, unknown> = {}) {
  return {
    order: { id: "gid://shopify/Order/5551", name: "#1001", currency: "USD", total: "39.80", cancelled: false },
    can_act: true,
    can_change: true,
    changeable_until: "2026-12-03T17:05:00Z",
    actions: [],
    cancel: {
      key: "cancel",
      label: "Cancel order",
      available: true,
      needs_approval: false,
      until: "2026-12-03T17:05:00Z",
      reasons: [],
      reason_required: true,
      free_text: true,
      reason_choices: [
        { code: "changed_mind", label: "I changed my mind" },
        { code: "ordered_by_mistake", label: "I ordered by mistake" },
      ],
      refund: {
        method: "original",
        choices: ["original"],
        refundable: "39.80",
        fee: "0.00",
        amount: "39.80",
        store_credit_bonus: "0.00",
        total: "39.80",
      },
      ...cancel,
    },
    open_requests: [],
    portal_url: "https://amend.example.com/s/alpha/o/signed/",
    ...overrides,
  };
}

/** Let effects and answered fetches settle. */
export async function settle() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Unmount what the last test rendered, as Shopify does when the extension goes away. */
export function clearBody() {
  render(null, document.body);
  document.body.innerHTML = "";
}
