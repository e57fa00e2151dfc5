// Time-zone arithmetic without a library. Canisters speak instants (nanoseconds since the epoch)
// plus zone names (IANA, or a POSIX rule for a zone only an imported file defined); the grid
// component (EventCalendar) only understands fixed offsets. So the app converts every instant to
// the wall clock of the display zone itself and hands the grid "floating" local times; a week
// that crosses a DST change is then drawn correctly, because each occurrence gets the offset in
// force at its own instant.

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
  if (posixRule(zone)) return true;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `zone` at the instant `ms` (milliseconds since the epoch). */
export function wallAt(ms: number, zone: string): Wall {
  const rule = posixRule(zone);
  if (rule) {
    const d = new Date(ms + posixOffset(rule, ms) * 1000);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  }
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

// POSIX TZ rules such as `<+01>-1<+02>,M3.5.0,M10.5.0/3`, which Intl does not accept. The subset is
// the one the canisters accept (libs/recurrence/src/tz/posix.rs): names in angle brackets, offsets
// west of UTC as POSIX writes them, changes as `Mm.w.d[/time]` (week 5 = the last; a time up to
// 167 hours after that day's midnight, RFC 8536).
interface PosixChange {
  month: number;
  week: number;
  weekday: number;
  seconds: number;
}
export interface PosixRule {
  /** Seconds east of UTC. */
  standard: number;
  daylight?: { offset: number; start: PosixChange; end: PosixChange };
}

const NAME = '<[A-Za-z0-9+-]{3,}>';
const CLOCK = '(\\d{1,3})(?::(\\d{2}))?(?::(\\d{2}))?';
const OFFSET = `([+-]?)${CLOCK}`;
const CHANGE = `,M(\\d{1,2})\\.(\\d)\\.(\\d)(?:/${CLOCK})?`;
const POSIX = new RegExp(`^${NAME}${OFFSET}(?:${NAME}(?:${OFFSET})?${CHANGE}${CHANGE})?$`);
const posixRules = new Map<string, PosixRule | null>();

/** Seconds of `h[:mm[:ss]]`, NaN when minutes or seconds pass 59. */
const clock = (h?: string, m?: string, s?: string) =>
  Number(m ?? 0) > 59 || Number(s ?? 0) > 59 ? NaN : Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);

/** The rule `zone` states, or undefined when it is not one (an IANA name, or nothing valid). */
export function posixRule(zone: string): PosixRule | undefined {
  if (!zone.startsWith('<')) return undefined;
  if (!posixRules.has(zone)) posixRules.set(zone, parsePosix(zone));
  return posixRules.get(zone) ?? undefined;
}

function parsePosix(zone: string): PosixRule | null {
  const m = POSIX.exec(zone);
  if (!m) return null;
  const offset = (sign?: string, h?: string, mm?: string, ss?: string) => (sign === '-' ? 1 : -1) * clock(h, mm, ss);
  const standard = offset(m[1], m[2], m[3], m[4]);
  if (!(Math.abs(standard) <= 86_400)) return null;
  if (m[9] === undefined) return { standard };
  const dst = m[6] === undefined ? standard + 3600 : offset(m[5], m[6], m[7], m[8]);
  const change = (i: number): PosixChange | null => {
    const [month, week, weekday] = [Number(m[i]), Number(m[i + 1]), Number(m[i + 2])];
    const seconds = m[i + 3] === undefined ? 7200 : clock(m[i + 3], m[i + 4], m[i + 5]);
    const ok = month >= 1 && month <= 12 && week >= 1 && week <= 5 && weekday <= 6 && seconds < 168 * 3600;
    return ok ? { month, week, weekday, seconds } : null;
  };
  const [start, end] = [change(9), change(15)];
  if (!start || !end || !(Math.abs(dst) <= 86_400)) return null;
  return { standard, daylight: { offset: dst, start, end } };
}

/** The instant of `c` in `year`, its time read on the clock `before` (seconds east) shows. */
function changeAt(year: number, c: PosixChange, before: number): number {
  const first = new Date(Date.UTC(year, c.month - 1, 1)).getUTCDay();
  let day = 1 + ((c.weekday - first + 7) % 7) + (c.week - 1) * 7;
  const days = new Date(Date.UTC(year, c.month, 0)).getUTCDate();
  while (day > days) day -= 7;
  return Date.UTC(year, c.month - 1, day) + (c.seconds - before) * 1000;
}

/** Seconds east of UTC that `rule` gives at the instant `ms`. */
export function posixOffset(rule: PosixRule, ms: number): number {
  const d = rule.daylight;
  if (!d) return rule.standard;
  const year = new Date(ms).getUTCFullYear();
  // The last change at or before `ms`, among those of the years around it.
  let at = -Infinity;
  let offset = rule.standard;
  for (let y = year - 1; y <= year + 1; y++) {
    for (const [t, after] of [
      [changeAt(y, d.start, rule.standard), d.offset],
      [changeAt(y, d.end, d.offset), rule.standard],
    ] as const) {
      if (t <= ms && t > at) [at, offset] = [t, after];
    }
  }
  return offset;
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
