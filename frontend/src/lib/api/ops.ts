// Operations: every canister's health_check, the balancer's shard table, backups and alerts.
// Everything shown comes from these calls; the charts plot samples this page took itself.
import type { HealthReport } from '$lib/bindings/calendar/calendar';
import type { LoadBalancerStats } from '$lib/bindings/load_balancer/load_balancer';
import type { SnapshotInfo } from '$lib/bindings/backup_canister/backup_canister';
import type { Alert } from '$lib/bindings/notification/notification';
import type { CalendarMetrics } from '$lib/bindings/calendar/calendar';
import type { CanisterKind } from '$lib/bindings/backup_canister/backup_canister';
import { Principal } from '@icp-sdk/core/principal';
import type { Actors } from './client';
import type { AppEnv } from '$lib/env';
import { asApiError, unwrap } from './errors';

export type { HealthReport, LoadBalancerStats, SnapshotInfo, Alert, CalendarMetrics };

export interface Target {
  name: string;
  id: string;
  kind: 'calendar' | 'other';
}

export interface Probe {
  target: Target;
  at: number;
  report?: HealthReport;
  error?: string;
  latencyMs: number;
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw asApiError(e);
  }
}

export class OpsApi {
  constructor(
    private readonly actors: Actors,
    private readonly env: AppEnv,
  ) {}

  /** The six canisters from the cookie plus every shard the balancer knows. */
  targets(stats: LoadBalancerStats | undefined): Target[] {
    const list: Target[] = [];
    for (const name of ['canister_registry', 'user_registry', 'load_balancer', 'notification', 'backup_canister'] as const) {
      const id = this.env.ids[name];
      if (id) list.push({ name, id, kind: 'other' });
    }
    const shards = new Set<string>(stats?.shards.map((s) => s.shard.toText()) ?? []);
    if (this.env.ids.calendar) shards.add(this.env.ids.calendar);
    [...shards].forEach((id, i) => list.push({ name: `calendar shard ${i + 1}`, id, kind: 'calendar' }));
    return list;
  }

  async probe(t: Target): Promise<Probe> {
    const started = performance.now();
    const at = Date.now();
    try {
      const report = await call(() => this.health(t));
      return { target: t, at, report, latencyMs: performance.now() - started };
    } catch (e) {
      return { target: t, at, error: asApiError(e).message, latencyMs: performance.now() - started };
    }
  }

  private health(t: Target): Promise<HealthReport> {
    const a = this.actors;
    if (t.kind === 'calendar') return a.calendar(t.id).health_check();
    switch (t.name) {
      case 'user_registry':
        return a.users.health_check() as Promise<HealthReport>;
      case 'load_balancer':
        return a.balancer.health_check() as Promise<HealthReport>;
      case 'notification':
        return a.notification!.health_check() as Promise<HealthReport>;
      case 'backup_canister':
        return a.backup().then((b) => b!.health_check() as Promise<HealthReport>);
      default:
        return a.registry().then((r) => r!.health_check() as Promise<HealthReport>);
    }
  }

  async balancer(): Promise<LoadBalancerStats> {
    return call(() => this.actors.balancer.get_load_balancer_stats());
  }

  async metrics(shard: string): Promise<CalendarMetrics> {
    return call(() => this.actors.calendar(shard).get_metrics());
  }

  async snapshots(): Promise<SnapshotInfo[]> {
    const backup = await this.actors.backup();
    if (!backup) return [];
    return unwrap(await call(() => backup.list_snapshots({ limit: 50 }))).snapshots;
  }

  async verify(id: bigint): Promise<{ ok: boolean; chunks: number }> {
    const backup = (await this.actors.backup())!;
    const r = unwrap(await call(() => backup.verify_snapshot(id)));
    return { ok: r.ok, chunks: r.chunks_checked };
  }

  async emergencyBackup(canister: string, kind: string): Promise<bigint> {
    const backup = (await this.actors.backup())!;
    return unwrap(await call(() => backup.emergency_backup(Principal.fromText(canister), kind as CanisterKind)));
  }

  async alerts(): Promise<Alert[]> {
    if (!this.actors.notification) return [];
    return unwrap(await call(() => this.actors.notification!.list_alerts({ include_acknowledged: false, limit: 50 }))).alerts;
  }
}
