// Amend's JSON endpoints for the extensions, called with the customer's Shopify session token.
// The answers are Amend's own: the store's policy decides what the customer may do, until when.
import { AMEND_URL } from "./config";

export interface TokenSource {
  sessionToken: { get(): Promise<string> };
  // The customer's language in Shopify: Amend answers its own words (reasons, why not) in it.
  localization?: { language?: { value?: { isoCode?: string } } };
}

export interface OfferedAction {
  key: string;
  label: string;
  available: boolean;
  needs_approval: boolean;
  until: string | null;
  reasons: string[];
}

export interface Refund {
  method: string;
  choices: string[];
  refundable: string;
  fee: string;
  amount: string;
  store_credit_bonus: string;
  total: string;
}

export interface OrderSummary {
  id: string;
  name: string;
  currency: string;
  total: string;
  cancelled: boolean;
}

export interface OrderAnswer {
  order: OrderSummary;
  can_act: boolean;
  can_change: boolean;
  changeable_until: string | null;
  actions: OfferedAction[];
  cancel: OfferedAction & {
    reason_required: boolean;
    free_text: boolean;
    reason_choices: { code: string; label: string }[];
    refund: Refund;
  };
  open_requests: { id: number; kind: string; status: string; status_label: string }[];
  portal_url: string;
}

export interface CancelAnswer {
  request: { id: number; kind: string; status: string; status_label: string; message: string; outcome: string };
  refund: Refund;
}

export interface ThankYouAnswer {
  order: OrderSummary;
  can_change: boolean;
  changeable_until: string | null;
  portal_url: string;
}

export class AmendError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly attr: string | null = null,
  ) {
    super(message);
  }
}

export const API_PATH = "/api/v1/shopify/extension";

/** The number at the end of a Shopify gid: "gid://shopify/Order/123" -> "123". */
export function numericId(gid: string): string {
  const id = gid.split("/").pop() ?? "";
  if (!/^\d+$/.test(id)) throw new AmendError(0, "bad_order_id", `Not a Shopify order id: ${gid}`);
  return id;
}

async function call<T>(api: TokenSource, path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<T> {
  const token = await api.sessionToken.get();
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  if (init.key) headers["Idempotency-Key"] = init.key;
  const language = api.localization?.language?.value?.isoCode;
  if (language) headers["Accept-Language"] = language;
  const response = await fetch(`${AMEND_URL}${API_PATH}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new AmendError(
      response.status,
      String(body.code ?? "error"),
      String(body.detail ?? response.statusText),
      (body.attr as string | null) ?? null,
    );
  }
  return body as T;
}

export function getOrder(api: TokenSource, orderGid: string, reason = ""): Promise<OrderAnswer> {
  const query = reason ? `?reason=${encodeURIComponent(reason)}` : "";
  return call<OrderAnswer>(api, `/orders/${numericId(orderGid)}/${query}`);
}

export function cancelOrder(
  api: TokenSource,
  orderGid: string,
  body: { reason_code: string; reason_text: string },
  key: string,
): Promise<CancelAnswer> {
  return call<CancelAnswer>(api, `/orders/${numericId(orderGid)}/cancel/`, { method: "POST", body, key });
}

export function getThankYou(api: TokenSource, orderGid: string): Promise<ThankYouAnswer> {
  return call<ThankYouAnswer>(api, `/orders/${numericId(orderGid)}/thank-you/`);
}

/** The value of the field an event came from (a select, a text area). */
export function valueOf(event: Event): string {
  return String((event.currentTarget as { value?: unknown } | null)?.value ?? "");
}

/** The `shopify` global of the target this module runs in. */
export function shopifyApi<T>(): T {
  return (globalThis as unknown as { shopify: T }).shopify;
}
