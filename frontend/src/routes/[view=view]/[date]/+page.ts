// Any date in any view: not enumerable at build time, so served by the SPA fallback.
export const prerender = false;
