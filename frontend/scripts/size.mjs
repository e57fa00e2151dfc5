// Gzipped JavaScript (and CSS) a browser loads before the first render of a route, by default the
// week view: the static import closure of kit's start + app entries, the root layout (node 0) and
// the route's node, read from Vite's manifest of the last `npm run build`. Dynamic imports (the
// Internet Identity client, other routes) are excluded, because they are not loaded first.
//   node scripts/size.mjs ["/[view=view]/[date]"] [--max-kb 150]
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const route = args.find((a) => a.startsWith('/')) ?? '/[view=view]/[date]';
const maxIdx = args.indexOf('--max-kb');
const maxKb = maxIdx >= 0 ? Number(args[maxIdx + 1]) : undefined;

const manifestPath = join(root, '.svelte-kit/output/client/.vite/manifest.json');
if (!existsSync(manifestPath)) {
  console.error('no build found: run `npm run build` first');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const app = readFileSync(join(root, '.svelte-kit/generated/client-optimized/app.js'), 'utf8');
const dict = /export const dictionary = (\{[\s\S]*?\});/.exec(app)?.[1] ?? '{}';
const nodes = eval(`(${dict})`)[route];
if (!nodes) {
  console.error(`unknown route ${route}`);
  process.exit(2);
}
const leaf = nodes[nodes.length - 1];
const entries = [
  'node_modules/@sveltejs/kit/src/runtime/client/entry.js',
  '.svelte-kit/generated/client-optimized/app.js',
  '.svelte-kit/generated/client-optimized/nodes/0.js',
  `.svelte-kit/generated/client-optimized/nodes/${leaf}.js`,
];

const seen = new Set();
const files = new Set();
function walk(key) {
  if (seen.has(key)) return;
  seen.add(key);
  const chunk = manifest[key];
  if (!chunk) throw new Error(`manifest has no ${key}`);
  files.add(chunk.file);
  for (const css of chunk.css ?? []) files.add(css);
  for (const imp of chunk.imports ?? []) walk(imp);
}
for (const e of entries) walk(e);

let js = 0;
let css = 0;
const rows = [];
for (const f of files) {
  const body = readFileSync(join(root, 'build', f));
  const gz = gzipSync(body, { level: 9 }).length;
  if (f.endsWith('.css')) css += gz;
  else js += gz;
  rows.push([f, body.length, gz]);
}
rows.sort((a, b) => b[2] - a[2]);
for (const [f, raw, gz] of rows) console.log(`${(gz / 1024).toFixed(1).padStart(7)} KiB gz ${(raw / 1024).toFixed(1).padStart(8)} KiB  ${f}`);
console.log(`route ${route}: ${files.size} files, JavaScript ${(js / 1024).toFixed(1)} KiB gzipped, CSS ${(css / 1024).toFixed(1)} KiB gzipped`);
if (maxKb !== undefined && js / 1024 > maxKb) {
  console.error(`over budget: ${(js / 1024).toFixed(1)} KiB > ${maxKb} KiB`);
  process.exit(1);
}
