// From list_events' answer to what the grid draws. Timed occurrences become floating wall-clock
// times in the display zone (see time.ts); all-day ones keep their civil dates, which the
// canister anchors at midnight in the event's own zone.
import type { Event, Invitation, Occurrence, Rsvp } from './api/calendar';
import { invitationKey, type Range } from './api/calendar';
import { Principal } from '@icp-sdk/core/principal';
import { floating, isoDate, nsToMs, wallAt } from './time';

export interface OccurrenceRef {
  eventId: bigint;
  originalStartNs: bigint;
  startNs: bigint;
  endNs: bigint;
  recurring: boolean;
  /** Set when the user is invited: the organizer's shard, where the event and its answers live. */
  organizerShard?: string;
}

export interface GridEvent {
  id: string;
  title: string;
  start: string;
  end: string;
  allDay: boolean;
  color?: string;
  textColor: string;
  editable: boolean;
  classNames: string[];
  extendedProps: { ref: OccurrenceRef; event: Event };
}

/** The answer `who` gave for the occurrence the rule put at `originalStartNs` (the one for the
 * whole event unless they answered that occurrence on its own); undefined when not attending. */
export function answerAt(ev: Event, who: string, originalStartNs: bigint | undefined): Rsvp | undefined {
  const own = ev.occurrence_rsvps?.find(
    (a) => a.principal.toText() === who && a.original_start_ns === originalStartNs,
  );
  return own?.rsvp ?? ev.attendees.find((a) => a.principal.toText() === who)?.rsvp;
}

/** Whether `me` may change the event: its owner, or an Editor it is shared with. */
export function canEdit(ev: Event, me: string): boolean {
  if (ev.owner.toText() === me) return true;
  return ev.visibility.__kind__ === 'Shared' && ev.visibility.Shared.some((s) => s.principal.toText() === me && s.role === 'Editor');
}

export function occurrenceKey(o: Pick<Occurrence, 'event_id' | 'original_start_ns' | 'invited'>): string {
  const own = `${o.event_id}:${o.original_start_ns}`;
  return o.invited ? `${o.invited.organizer_shard.toText()}/${own}` : own;
}

/**
 * The event an invitation shows, as the editor and the grid read events: the organizer owns it
 * and `me` is its one attendee, with my answer and my own reminders; what the invitation leaves
 * out stays empty.
 */
export function invitationEvent(i: Invitation, me: Event['owner']): Event {
  const v = i.view;
  return {
    id: i.event_id,
    owner: v.organizer,
    ical_uid: invitationKey(i.organizer_shard.toText(), i.event_id),
    title: v.title,
    description: '',
    location: v.location,
    time: v.time,
    time_zone: v.time_zone,
    recurrence: v.recurrence,
    overrides: v.overrides,
    status: v.status,
    transparency: v.transparency,
    visibility: { __kind__: 'Private', Private: null },
    color: undefined,
    attendees: [{ principal: me, rsvp: v.rsvp }],
    occurrence_rsvps: v.occurrence_rsvps,
    reminders_minutes: new Uint32Array(),
    attendee_reminders: v.reminders_minutes ? [{ principal: me, reminders_minutes: v.reminders_minutes }] : undefined,
    created_at_ns: 0n,
    updated_at_ns: 0n,
    revision: i.revision,
  };
}

export function matches(ev: Event, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [ev.title, ev.description, ev.location].some((s) => s.toLowerCase().includes(q));
}

/** The default event colour: white text on it passes WCAG AA (contrast 6.7:1). */
export const DEFAULT_COLOR = '#1d4ed8';

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). */
export function textOn(hex: string): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#ffffff';
  const lin = (c: string) => {
    const v = parseInt(c, 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin(m[1]!) + 0.7152 * lin(m[2]!) + 0.0722 * lin(m[3]!);
  // Contrast with white is 1.05/(l+0.05), with black (l+0.05)/0.05: pick the larger.
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#ffffff' : '#000000';
}

/** The event behind an occurrence: the calendar's own, or the invitation's (`me` is invited). */
function eventOf(range: Range, o: Occurrence, me: string): Event | undefined {
  if (!o.invited) return range.events.get(o.event_id);
  const i = range.invitations.get(invitationKey(o.invited.organizer_shard.toText(), o.event_id));
  return i && invitationEvent(i, Principal.fromText(me));
}

export function toGridEvents(range: Range, zone: string, me: string, query = ''): GridEvent[] {
  const out: GridEvent[] = [];
  for (const o of range.occurrences) {
    const ev = eventOf(range, o, me);
    if (!ev || !matches(ev, query)) continue;
    const allDay = ev.time.__kind__ === 'AllDay';
    const [start, end] = allDay
      ? [isoDate(wallAt(nsToMs(o.start_ns), ev.time_zone)), isoDate(wallAt(nsToMs(o.end_ns), ev.time_zone))]
      : [floating(wallAt(nsToMs(o.start_ns), zone)), floating(wallAt(nsToMs(o.end_ns), zone))];
    const classNames = [];
    if (ev.status === 'Cancelled') classNames.push('ev-cancelled');
    if (ev.status === 'Tentative') classNames.push('ev-tentative');
    if (ev.owner.toText() !== me) classNames.push('ev-foreign');
    if (o.invited) classNames.push('ev-invited', `ev-rsvp-${o.invited.rsvp.toLowerCase()}`);
    out.push({
      id: occurrenceKey(o),
      title: ev.title,
      start,
      end,
      allDay,
      color: ev.color ?? DEFAULT_COLOR,
      textColor: textOn(ev.color ?? DEFAULT_COLOR),
      editable: !o.invited && canEdit(ev, me),
      classNames,
      extendedProps: {
        ref: {
          eventId: o.event_id,
          originalStartNs: o.original_start_ns,
          startNs: o.start_ns,
          endNs: o.end_ns,
          recurring: ev.recurrence !== undefined,
          organizerShard: o.invited?.organizer_shard.toText(),
        },
        event: ev,
      },
    });
  }
  return out;
}
