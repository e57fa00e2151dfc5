// The agent and one typed actor per canister, all built from the generated bindings.
// Same origin: the network (or the dev proxy) serves `/api/...` on the page's host and port.
import { HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { createActor as calendarActor, type Calendar } from '$lib/bindings/calendar/calendar';
import { createActor as usersActor, type User_registry } from '$lib/bindings/user_registry/user_registry';
import { createActor as balancerActor, type Load_balancer } from '$lib/bindings/load_balancer/load_balancer';
import { createActor as notificationActor, type Notification } from '$lib/bindings/notification/notification';
import type { Backup_canister } from '$lib/bindings/backup_canister/backup_canister';
import type { Canister_registry } from '$lib/bindings/canister_registry/canister_registry';
import type { AppEnv } from '$lib/env';

export interface Actors {
  agent: HttpAgent;
  users: User_registry;
  balancer: Load_balancer;
  notification: Notification | undefined;
  /** Loaded on demand: only the operations page needs them (keeps the first load small). */
  backup(): Promise<Backup_canister | undefined>;
  registry(): Promise<Canister_registry | undefined>;
  /** A calendar shard by id (shards come from the load balancer, not from the cookie). */
  calendar(shard: string): Calendar;
}

export function connect(env: AppEnv, identity: Identity): Actors {
  const agent = HttpAgent.createSync({
    host: location.origin,
    identity,
    // On mainnet agent-js uses its built-in key; the cookie's key is only trusted locally.
    rootKey: env.local ? env.rootKey : undefined,
  });
  const ids = env.ids;
  const shards = new Map<string, Calendar>();
  return {
    agent,
    users: usersActor(ids.user_registry!, { agent }),
    balancer: balancerActor(ids.load_balancer!, { agent }),
    notification: ids.notification ? notificationActor(ids.notification, { agent }) : undefined,
    async backup() {
      if (!ids.backup_canister) return undefined;
      const { createActor } = await import('$lib/bindings/backup_canister/backup_canister');
      return createActor(ids.backup_canister, { agent });
    },
    async registry() {
      if (!ids.canister_registry) return undefined;
      const { createActor } = await import('$lib/bindings/canister_registry/canister_registry');
      return createActor(ids.canister_registry, { agent });
    },
    calendar(shard: string) {
      let actor = shards.get(shard);
      if (!actor) {
        actor = calendarActor(shard, { agent });
        shards.set(shard, actor);
      }
      return actor;
    },
  };
}
