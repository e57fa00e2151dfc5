// The deployment's configuration, read from the `ic_env` cookie that the frontend canister sets
// on every HTML response (the dev server sets the same cookie from the local network's files).
// One build therefore runs on every network: nothing here is baked in at build time.
import { safeGetCanisterEnv } from '@icp-sdk/core/agent/canister-env';
import { IC_ROOT_KEY } from '@icp-sdk/core/agent';

export const CANISTER_NAMES = [
  'canister_registry',
  'user_registry',
  'calendar',
  'notification',
  'load_balancer',
  'backup_canister',
  'frontend',
] as const;
export type CanisterName = (typeof CANISTER_NAMES)[number];

export interface AppEnv {
  rootKey: Uint8Array;
  /** Ids by name; `calendar` is the first shard (others come from the load balancer). */
  ids: Partial<Record<CanisterName, string>>;
  /** False when the root key is mainnet's: then the agent must not be given a local key. */
  local: boolean;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The environment, or an explanation of why it is missing. */
export function readEnv(): { ok: true; env: AppEnv } | { ok: false; reason: string } {
  const raw = safeGetCanisterEnv<Record<string, string>>();
  if (!raw) {
    return {
      ok: false,
      reason:
        'The ic_env cookie is missing or invalid: this page must be served by the frontend canister ' +
        '(or the dev server), which sets the network root key and canister ids.',
    };
  }
  const ids: Partial<Record<CanisterName, string>> = {};
  for (const name of CANISTER_NAMES) {
    const id = raw[`PUBLIC_CANISTER_ID:${name}`];
    if (typeof id === 'string' && id) ids[name] = id;
  }
  const missing = (['user_registry', 'load_balancer'] as const).filter((n) => !ids[n]);
  if (missing.length) {
    return { ok: false, reason: `The ic_env cookie names no canister id for: ${missing.join(', ')}.` };
  }
  return { ok: true, env: { rootKey: raw.IC_ROOT_KEY, ids, local: hex(raw.IC_ROOT_KEY) !== IC_ROOT_KEY } };
}
