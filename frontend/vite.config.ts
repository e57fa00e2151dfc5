// Dev loop against a running embedded network: `/api` is proxied to the network (same origin, so
// no CORS), and the `ic_env` cookie the asset canister sets in production is built here from the
// network's own files. Nothing of this ends up in `build/`.
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig, type Plugin } from 'vite';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The network's state directory: LOCAL_NETWORK_STATE_DIR, else the repository's default. */
function stateDir(): string {
  return process.env.LOCAL_NETWORK_STATE_DIR ?? resolve(import.meta.dirname, '..', '.local-network');
}

function readJson(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

function networkUrl(): string {
  const info = readJson(resolve(stateDir(), 'network.json')) as { url?: string } | undefined;
  return process.env.LOCAL_NETWORK_URL ?? info?.url ?? 'http://127.0.0.1:4943';
}

/** The cookie value exactly as the asset canister sends it (URI-encoded `k=v&k=v`). */
function icEnvCookie(): string | undefined {
  const info = readJson(resolve(stateDir(), 'network.json')) as { root_key?: string } | undefined;
  const ids = readJson(resolve(stateDir(), 'canister_ids.json')) as
    | Record<string, { local?: string }>
    | undefined;
  if (!info?.root_key || !ids) return undefined;
  const parts = [`ic_root_key=${info.root_key}`];
  // Every canister the deployment recorded, as the frontend canister's install argument lists them.
  for (const [name, byNetwork] of Object.entries(ids)) {
    const id = byNetwork?.local;
    if (id) parts.push(`PUBLIC_CANISTER_ID:${name}=${id}`);
  }
  return encodeURIComponent(parts.join('&'));
}

/** Sets `ic_env` on every HTML response of the dev and preview servers (read afresh each time,
 * so a redeploy with new ids needs no restart). */
function icEnv(): Plugin {
  const middleware = (req: { url?: string; headers: Record<string, unknown> }, res: { setHeader(k: string, v: string): void }, next: () => void) => {
    const url = req.url ?? '/';
    const accept = String(req.headers['accept'] ?? '');
    if (!url.startsWith('/api/') && (accept.includes('text/html') || url.endsWith('/'))) {
      const value = icEnvCookie();
      if (value) res.setHeader('Set-Cookie', `ic_env=${value}; Path=/; SameSite=Lax`);
    }
    next();
  };
  return {
    name: 'ic-env-cookie',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

const proxy = { '/api': { target: networkUrl(), changeOrigin: true } };

export default defineConfig({
  plugins: [icEnv(), sveltekit()],
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy },
  build: { target: 'es2022', reportCompressedSize: false },
});
