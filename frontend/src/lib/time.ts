// Time-zone arithmetic without a library. Canisters speak instants (nanoseconds since the epoch)
// plus IANA zone names; the grid component (EventCalendar) only understands fixed offsets. So the
// app converts every instant to the wall clock of the display zone itself and hands the grid
// "floating" local times; a week that crosses a DST change is then drawn correctly, because each
// occurrence gets the offset in force at its own instant.

export interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isValidZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `zone` at the instant `ms` (milliseconds since the epoch). */
export function wallAt(ms: number, zone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function wallAsUtc(w: Wall): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/** Minutes east of UTC that `zone` uses at the instant `ms`. */
export function offsetMinutes(ms: number, zone: string): number {
  const w = wallAt(Math.floor(ms / 1000) * 1000, zone);
  return Math.round((wallAsUtc(w) - Math.floor(ms / 1000) * 1000) / 60000);
}

/**
 * The instant at which `zone`'s wall clock shows `w`. A time skipped by a DST gap resolves to
 * the instant after the gap (02:30 on a spring-forward night becomes 03:30), and a repeated time
 * to its first occurrence, as RFC 5545 does.
 */
export function instantOf(w: Wall, zone: string): number {
  const guess = wallAsUtc(w);
  const day = 86_400_000;
  // Offsets change at most once within a day around any instant for real zones: the offsets a
  // day before and after are the only candidates.
  const before = offsetMinutes(guess - day, zone);
  const after = offsetMinutes(guess + day, zone);
  const fits = [before, after]
    .map((o) => guess - o * 60000)
    .filter((t) => wallAsUtc(wallAt(t, zone)) === guess);
  if (fits.length) return Math.min(...fits);
  // In a gap: keep the offset before it, which lands the same distance after the gap.
  return guess - before * 60000;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function isoDate(w: Pick<Wall, 'year' | 'month' | 'day'>): string {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** `YYYY-MM-DDTHH:MM:SS` with no offset: what the grid draws as-is. */
export function floating(w: Wall): string {
  return `${isoDate(w)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

export function parseIsoDate(s: string): { year: number; month: number; day: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

/** Reads the wall clock the grid meant: its callback Dates carry the floating time in their local fields. */
export function wallOfGridDate(d: Date): Wall {
  return {
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hour: d.getHours(),
    minute: d.getMinutes(),
    second: d.getSeconds(),
  };
}

export const nsToMs = (ns: bigint): number => Number(ns / 1_000_000n);
export const msToNs = (ms: number): bigint => BigInt(Math.round(ms)) * 1_000_000n;

/** Adds whole days to a civil date (no zone involved). */
export function addDays(date: string, days: number): string {
  const p = parseIsoDate(date)!;
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
  return isoDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

export function addMonths(date: string, months: number): string {
  const p = parseIsoDate(date)!;
  const last = new Date(Date.UTC(p.year, p.month - 1 + months + 1, 0)).getUTCDate();
  const d = new Date(Date.UTC(p.year, p.month - 1 + months, Math.min(p.day, last)));
  return isoDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

/** Today's date in `zone`. */
export function todayIn(zone: string): string {
  return isoDate(wallAt(Date.now(), zone));
}

/** "+HH:MM" for the grid's `timeZone` option (only "now" and "today" use it: events are floating). */
export function offsetString(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The zones this browser knows, for pickers (falls back to a short list on old engines). */
export function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const list = intl.supportedValuesOf?.('timeZone') ?? [];
  return list.length ? ['UTC', ...list.filter((z) => z !== 'UTC')] : ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo'];
}
