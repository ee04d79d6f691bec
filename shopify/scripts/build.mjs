// Bundle every extension target the way Shopify CLI does (esbuild, one ES module per target), into
// dist/: proof that the extensions compile with their dependencies and stay small. `shopify app
// deploy` builds them again itself.
import { build } from "esbuild";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const root = new URL("..", import.meta.url).pathname;
const extensions = join(root, "extensions");
// Shopify refuses, at deploy, an extension whose JavaScript is over 64 KB compressed:
// https://shopify.dev/docs/apps/build/customer-accounts/extension-performance/optimize-bundle-size
const LIMIT = 64 * 1024;

const entries = [];
for (const handle of readdirSync(extensions)) {
  const toml = readFileSync(join(extensions, handle, "shopify.extension.toml"), "utf8");
  for (const match of toml.matchAll(/^module\s*=\s*"\.\/(.+)"$/gm)) {
    entries.push({ handle, module: match[1] });
  }
}
const sizes = {};
for (const { handle, module } of entries) {
  const outfile = join(root, "dist", handle, module.replace(/^src\//, "").replace(/\.tsx?$/, ".js"));
  await build({
    entryPoints: [join(extensions, handle, module)],
    bundle: true,
    format: "esm",
    minify: true,
    target: "es2020",
    jsx: "automatic",
    jsxImportSource: "preact",
    outfile,
    logLevel: "warning",
  });
  const compressed = gzipSync(readFileSync(outfile)).length;
  sizes[handle] = (sizes[handle] ?? 0) + compressed;
  console.log(`${handle}/${module}: ${(compressed / 1024).toFixed(1)} KB compressed`);
}
if (!entries.length) throw new Error("no extension targets found");
let failed = false;
for (const [handle, size] of Object.entries(sizes)) {
  console.log(`${handle}: ${(size / 1024).toFixed(1)} KB compressed in all (limit ${LIMIT / 1024} KB)`);
  if (size > LIMIT) failed = true;
}
if (failed) process.exit(1);
