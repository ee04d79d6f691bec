// Writes what a test rendered into preview/out/<name>.html: the extension's elements as Shopify would
// lay them out, inside a plain customer account page. `make extension-screenshot` photographs these
// pages in Chromium for docs/screenshots/.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function writePreview(name: string, title: string, page: string) {
  // What the customer picked shows as the select's text (a real select does that itself).
  for (const select of document.querySelectorAll("s-select")) {
    const value = String((select as unknown as { value?: string }).value ?? select.getAttribute("value") ?? "");
    for (const option of select.querySelectorAll("s-option")) {
      if ((option.getAttribute("value") ?? "") === value) option.setAttribute("selected", "");
    }
  }
  const css = readFileSync(join(process.cwd(), "preview", "preview.css"), "utf8");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>${css}</style></head>
<body><div class="account"><header>My Store · Orders</header>${page.replace("{{extension}}", document.body.innerHTML)}</div></body></html>`;
  const out = join(process.cwd(), "preview", "out");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.html`), html);
}
