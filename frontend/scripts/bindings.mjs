// Generates the TypeScript bindings from the committed Candid files (never edited by hand; the
// output directory is gitignored). Runs before `build`, `check` and `dev`.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const canisters = [
  'calendar',
  'user_registry',
  'load_balancer',
  'notification',
  'backup_canister',
  'canister_registry',
];
const bin = join(root, 'node_modules', '.bin', 'icp-bindgen');

for (const name of canisters) {
  const did = join(root, '..', 'canisters', name, `${name}.did`);
  const out = join(root, 'src', 'lib', 'bindings', name);
  // Skip when the output is newer than the .did: saves ~1.5 s per canister on every check.
  const marker = join(out, `${name}.ts`);
  if (existsSync(marker) && statSync(marker).mtimeMs > statSync(did).mtimeMs) continue;
  execFileSync(bin, ['--did-file', did, '--out-dir', out, '--force'], { stdio: 'inherit' });
}
