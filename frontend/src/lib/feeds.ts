// Feed addresses: a calendar shard serves its feeds over HTTP at its own canister address,
// through the same gateway that serves this app. Pure, so scripts/unit.mjs checks it.

/** The page's address parts the gateway is read from (`location` in the browser). */
export interface PageAddress {
  protocol: string;
  host: string;
}

/** Mainnet's HTTP gateway domain (certified responses; not `raw.icp0.io`). */
export const MAINNET_GATEWAY = 'icp0.io';
/** The embedded local network's default port (`LOCAL_NETWORK_PORT` changes it). */
export const LOCAL_NETWORK_PORT = 4943;

/**
 * The address of `path` on canister `shard`. When the page is served by the gateway under the
 * frontend canister's own id (`<frontend-id>.icp0.io`, `<frontend-id>.raw.icp0.io`,
 * `<frontend-id>.localhost:4943`), the shard is the same gateway under its id. Otherwise (a
 * custom domain, or the dev server) the page's host says nothing about the gateway: mainnet's
 * when the environment is mainnet's, else the local network's.
 */
export function shardUrl(
  shard: string,
  path: string,
  page: PageAddress,
  frontendId: string | undefined,
  local: boolean,
): string {
  const labels = page.host.toLowerCase().split('.');
  if (frontendId && labels.length > 1 && labels[0] === frontendId.toLowerCase()) {
    let gateway = labels.slice(1);
    // Feeds are certified responses: never hand out the raw (unverified) domain.
    if (gateway[0] === 'raw' && gateway.length > 1) gateway = gateway.slice(1);
    return `${page.protocol}//${shard}.${gateway.join('.')}${path}`;
  }
  if (!local) return `https://${shard}.${MAINNET_GATEWAY}${path}`;
  return `http://${shard}.localhost:${LOCAL_NETWORK_PORT}${path}`;
}
