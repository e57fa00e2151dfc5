// Who the user is. On the embedded local network there is no Internet Identity, so the app offers
// a clearly labelled *development* identity: an Ed25519 key generated in this browser and kept in
// localStorage, one per named user so two people can be simulated side by side. The network
// verifies every signature, but the key sits unencrypted in this browser's storage and anyone
// using the browser may switch users: a convenience for development, never a security boundary.
// On IC networks the user signs in with Internet Identity through @icp-sdk/auth (imported lazily
// so the local bundle does not carry it).
import type { Identity } from '@icp-sdk/core/agent';
import { AnonymousIdentity } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';

export const DEV_USERS = ['Alice', 'Bob', 'Carol'] as const;
export type DevUser = (typeof DEV_USERS)[number];

const KEY_PREFIX = 'icp-calendar.dev-key.';
const CURRENT = 'icp-calendar.dev-user';

export function currentDevUser(): DevUser {
  const stored = localStorage.getItem(CURRENT);
  return (DEV_USERS as readonly string[]).includes(stored ?? '') ? (stored as DevUser) : 'Alice';
}

export function setCurrentDevUser(name: DevUser): void {
  localStorage.setItem(CURRENT, name);
}

/** The named development identity, created on first use and then kept in this browser. */
export function devIdentity(name: DevUser): Ed25519KeyIdentity {
  const key = KEY_PREFIX + name;
  const stored = localStorage.getItem(key);
  if (stored) {
    try {
      return Ed25519KeyIdentity.fromJSON(stored);
    } catch {
      // A corrupt entry: replace it with a fresh key rather than failing forever.
    }
  }
  const fresh = Ed25519KeyIdentity.generate();
  localStorage.setItem(key, JSON.stringify(fresh.toJSON()));
  return fresh;
}

export const anonymous: Identity = new AnonymousIdentity();

type AuthClientT = import('@icp-sdk/auth/client').AuthClient;
let authClient: Promise<AuthClientT> | undefined;

async function client(): Promise<AuthClientT> {
  authClient ??= import('@icp-sdk/auth/client').then(({ AuthClient }) => new AuthClient());
  return authClient;
}

/** The Internet Identity session if one is stored, else undefined (IC networks only). */
export async function restoreIiIdentity(): Promise<Identity | undefined> {
  const c = await client();
  const identity = await c.getIdentity();
  return c.isAuthenticated() ? identity : undefined;
}

/** Opens Internet Identity. No `targets`: shards created later must accept the delegation. */
export async function signInWithIi(): Promise<Identity> {
  const c = await client();
  return c.signIn({ maxTimeToLive: BigInt(8 * 3600) * 1_000_000_000n });
}

export async function signOutIi(): Promise<void> {
  const c = await client();
  await c.signOut();
}
