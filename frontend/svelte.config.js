import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    // A single-page app: every unknown path is answered with index.html by the asset canister
    // (and by `vite preview`), then the client router takes over.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', precompress: true, strict: true }),
    // No inline scripts in an SPA shell would be nicer for a strict CSP; kit needs one bootstrap
    // script, so the asset canister's CSP must allow it (hash-based).
    output: { bundleStrategy: 'split' },
  },
};

export default config;
