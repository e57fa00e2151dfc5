// Recurrence presets and a small RRULE builder. The canister parses and expands rules (the
// RRULE subset in libs/recurrence); the client only composes the text.

export const BYDAY = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;
export type ByDay = (typeof BYDAY)[number];

export interface Preset {
  id: string;
  label: string;
  rule: string;
}

/** Presets for an event starting on `date` (YYYY-MM-DD). */
export function presets(date: string): Preset[] {
  const d = new Date(`${date}T00:00:00Z`);
  const wd = BYDAY[d.getUTCDay()]!;
  const dayName = d.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  const mday = d.getUTCDate();
  const monthName = d.toLocaleDateString('en-US', { month: 'long', timeZone: 'UTC' });
  return [
    { id: 'none', label: 'Does not repeat', rule: '' },
    { id: 'daily', label: 'Every day', rule: 'FREQ=DAILY' },
    { id: 'weekdays', label: 'Every weekday (Mon–Fri)', rule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR' },
    { id: 'weekly', label: `Every week on ${dayName}`, rule: `FREQ=WEEKLY;BYDAY=${wd}` },
    { id: 'monthly', label: `Every month on day ${mday}`, rule: `FREQ=MONTHLY;BYMONTHDAY=${mday}` },
    { id: 'yearly', label: `Every year on ${monthName} ${mday}`, rule: 'FREQ=YEARLY' },
    { id: 'custom', label: 'Custom…', rule: '' },
  ];
}

export interface Custom {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
  interval: number;
  days: ByDay[];
  end: 'never' | 'count' | 'until';
  count: number;
  until: string; // YYYY-MM-DD
}

export function buildRule(c: Custom): string {
  const parts = [`FREQ=${c.freq}`];
  if (c.interval > 1) parts.push(`INTERVAL=${c.interval}`);
  if (c.freq === 'WEEKLY' && c.days.length) parts.push(`BYDAY=${BYDAY.filter((d) => c.days.includes(d)).join(',')}`);
  if (c.end === 'count') parts.push(`COUNT=${Math.max(1, c.count)}`);
  if (c.end === 'until' && c.until) parts.push(`UNTIL=${c.until.replaceAll('-', '')}`);
  return parts.join(';');
}

/** Reads a rule back into the builder where it can; unknown parts stay in the text field. */
export function parseRule(rule: string): Custom {
  const map = new Map(
    rule
      .replace(/^RRULE:/, '')
      .split(';')
      .map((p) => p.split('=') as [string, string]),
  );
  const until = map.get('UNTIL');
  return {
    freq: (['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(map.get('FREQ') ?? '') ? map.get('FREQ') : 'WEEKLY') as Custom['freq'],
    interval: Number(map.get('INTERVAL') ?? 1) || 1,
    days: (map.get('BYDAY') ?? '').split(',').filter((d): d is ByDay => (BYDAY as readonly string[]).includes(d)),
    end: map.has('COUNT') ? 'count' : until ? 'until' : 'never',
    count: Number(map.get('COUNT') ?? 10) || 10,
    until: until ? `${until.slice(0, 4)}-${until.slice(4, 6)}-${until.slice(6, 8)}` : '',
  };
}

export function describeRule(rule: string): string {
  return rule ? rule.replace(/^RRULE:/, '') : 'Does not repeat';
}
