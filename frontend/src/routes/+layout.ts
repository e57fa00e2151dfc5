// A single-page app: the shell is prerendered (empty, ssr off) and every route renders in the
// browser, where the ic_env cookie and the user's key are.
export const ssr = false;
export const prerender = true;
export const trailingSlash = 'always';
