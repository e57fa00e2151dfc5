// Display helpers shared by pages.
import { nsToMs, posixOffset, posixRule } from './time';

const cache = new Map<string, Intl.DateTimeFormat>();

/** "Wed, 2 Dec 2026, 09:00" in `zone`. */
export function formatInstant(ns: bigint, zone: string): string {
  const ms = nsToMs(ns);
  // Intl knows IANA names only: a POSIX rule's wall clock is UTC's, shifted by its offset.
  const rule = posixRule(zone);
  const [name, shown] = rule ? ['UTC', ms + posixOffset(rule, ms) * 1000] : [zone, ms];
  let f = cache.get(name);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: name,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    cache.set(name, f);
  }
  return f.format(new Date(shown));
}

export function formatBytes(n: bigint | number): string {
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  if (v < 1024 ** 2) return `${(v / 1024).toFixed(1)} KiB`;
  if (v < 1024 ** 3) return `${(v / 1024 ** 2).toFixed(1)} MiB`;
  return `${(v / 1024 ** 3).toFixed(2)} GiB`;
}

/** "3 min ago" from nanoseconds. */
export function ago(ns: bigint, nowMs = Date.now()): string {
  const s = Math.max(0, Math.round((nowMs - nsToMs(ns)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
