// Typed wrappers over one calendar shard. Every method returns plain values or throws ApiError.
import type {
  Calendar,
  Event,
  EventInput,
  EventPatch,
  InstanceEdit,
  Occurrence,
  BookingPolicy,
  Slot,
  IcsImportReport,
  ListCursor,
  SplitOutcome,
  Rsvp,
  Feed,
  NewFeed,
  Invitation,
} from '$lib/bindings/calendar/calendar';
import { FreeBusyAudience } from '$lib/bindings/calendar/calendar';
import { Principal } from '@icp-sdk/core/principal';
import { asApiError, unwrap } from './errors';

export { FreeBusyAudience };
export type { Event, EventInput, EventPatch, Occurrence, BookingPolicy, Slot, Rsvp, Feed, NewFeed, Invitation };

/** Page size for list_events (the canister allows at most 500). */
const PAGE = 500;
/** Safety cap: a view never needs more than this many occurrences. */
const MAX_OCCURRENCES = 5000;

export interface Range {
  occurrences: Occurrence[];
  /** The listed calendar's own events by id. */
  events: Map<bigint, Event>;
  /** What the caller is invited to, by `invitationKey` (event ids are per shard). */
  invitations: Map<string, Invitation>;
  /** True if the cap stopped the listing early (the UI says so). */
  truncated: boolean;
}

/** Names an invitation: its organizer's shard and the event id there. */
export function invitationKey(organizerShard: string, eventId: bigint): string {
  return `${organizerShard}/${eventId}`;
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw asApiError(e);
  }
}

export class CalendarApi {
  constructor(
    private readonly actor: Calendar,
    readonly shard: string,
  ) {}

  /** Every occurrence overlapping [fromNs, toNs) that the caller may read, following the cursor. */
  async listRange(fromNs: bigint, toNs: bigint, owner?: string): Promise<Range> {
    const occurrences: Occurrence[] = [];
    const events = new Map<bigint, Event>();
    const invitations = new Map<string, Invitation>();
    let cursor: ListCursor | undefined;
    for (;;) {
      const page = unwrap(
        await call(() =>
          this.actor.list_events({
            from_ns: fromNs,
            to_ns: toNs,
            owner: owner ? Principal.fromText(owner) : undefined,
            cursor,
            limit: PAGE,
          }),
        ),
      );
      occurrences.push(...page.occurrences);
      for (const e of page.events) events.set(e.id, e);
      for (const i of page.invitations ?? []) invitations.set(invitationKey(i.organizer_shard.toText(), i.event_id), i);
      cursor = page.next_cursor;
      if (!cursor) return { occurrences, events, invitations, truncated: false };
      if (occurrences.length >= MAX_OCCURRENCES) return { occurrences, events, invitations, truncated: true };
    }
  }

  async get(id: bigint): Promise<Event> {
    return unwrap(await call(() => this.actor.get_event(id)));
  }

  async create(input: EventInput): Promise<Event> {
    return unwrap(await call(() => this.actor.create_event(input)));
  }

  /** A partial update made from `revision`; throws ApiError kind StaleRevision if it moved. */
  async update(id: bigint, revision: bigint, patch: EventPatch): Promise<Event> {
    return unwrap(await call(() => this.actor.update_event(id, revision, patch)));
  }

  async remove(id: bigint, revision: bigint | null): Promise<void> {
    unwrap(await call(() => this.actor.delete_event(id, revision)));
  }

  /** Moves, cancels or restores the occurrence the rule put at `originalStartNs`. */
  async editInstance(id: bigint, revision: bigint, originalStartNs: bigint, edit: InstanceEdit): Promise<Event> {
    return unwrap(await call(() => this.actor.edit_instance(id, revision, originalStartNs, edit)));
  }

  /** "This and following": the series ends before `originalStartNs`, a new one starts there. */
  async split(id: bigint, revision: bigint, originalStartNs: bigint, patch: EventPatch): Promise<SplitOutcome> {
    return unwrap(await call(() => this.actor.split_event(id, revision, originalStartNs, patch)));
  }

  /** The caller's answer for the whole event (it replaces their answers for single occurrences). */
  async rsvp(id: bigint, answer: Rsvp): Promise<Event> {
    return unwrap(await call(() => this.actor.rsvp(id, answer)));
  }

  /** The caller's answer for the one occurrence the rule put at `originalStartNs`. */
  async rsvpOccurrence(id: bigint, originalStartNs: bigint, answer: Rsvp): Promise<Event> {
    return unwrap(await call(() => this.actor.rsvp_occurrence(id, originalStartNs, answer)));
  }

  /** The caller's own reminders for an event they attend; `null` follows the organizer's again. */
  async setAttendeeReminders(id: bigint, minutes: Uint32Array | null): Promise<Event> {
    return unwrap(await call(() => this.actor.set_attendee_reminders(id, minutes)));
  }

  async exportIcs(): Promise<string> {
    // Pages are complete VCALENDARs; concatenating their VEVENTs into one calendar keeps it valid.
    let cursor: bigint | undefined;
    const bodies: string[] = [];
    let header = '';
    for (;;) {
      const page = unwrap(await call(() => this.actor.export_ics({ cursor, limit: 200 })));
      const ics = page.ics.replace(/\r\n/g, '\n');
      const begin = ics.indexOf('BEGIN:VEVENT');
      const end = ics.lastIndexOf('END:VCALENDAR');
      if (!header) header = begin >= 0 ? ics.slice(0, begin) : ics.slice(0, end);
      if (begin >= 0) bodies.push(ics.slice(begin, end));
      cursor = page.next_cursor;
      if (cursor === undefined) break;
    }
    return (header + bodies.join('') + 'END:VCALENDAR\n').replace(/\n/g, '\r\n');
  }

  /** Imports a file; floating times are read in `floatingTimeZone` (the user's zone). */
  async importIcs(text: string, floatingTimeZone?: string): Promise<IcsImportReport> {
    return unwrap(await call(() => this.actor.import_ics(text, { floating_time_zone: floatingTimeZone })));
  }

  /** The caller's secret feed addresses (a token is shown only when its feed is created). */
  async feeds(): Promise<Feed[]> {
    return unwrap(await call(() => this.actor.list_feeds()));
  }

  async createFeed(name: string): Promise<NewFeed> {
    return unwrap(await call(() => this.actor.create_feed(name)));
  }

  /** The feed's address answers 404 from now on. */
  async revokeFeed(id: bigint): Promise<void> {
    unwrap(await call(() => this.actor.revoke_feed(id)));
  }

  async bookingPolicy(host: string): Promise<BookingPolicy | null> {
    return call(() => this.actor.get_booking_policy(Principal.fromText(host)));
  }

  async setBookingPolicy(policy: BookingPolicy | null): Promise<void> {
    unwrap(await call(() => this.actor.set_booking_policy(policy)));
  }

  /** Who may see the caller's busy times (their own shard decides it for each asker). */
  async freeBusyAudience(): Promise<FreeBusyAudience> {
    return call(() => this.actor.get_free_busy_audience());
  }

  async setFreeBusyAudience(audience: FreeBusyAudience): Promise<void> {
    unwrap(await call(() => this.actor.set_free_busy_audience(audience)));
  }

  async availableSlots(host: string, fromNs: bigint, toNs: bigint): Promise<Slot[]> {
    return unwrap(
      await call(() => this.actor.available_slots({ host: Principal.fromText(host), from_ns: fromNs, to_ns: toNs, limit: 200 })),
    );
  }

  async book(host: string, startNs: bigint, note?: string): Promise<Event> {
    return unwrap(await call(() => this.actor.book_slot({ host: Principal.fromText(host), start_ns: startNs, note })));
  }
}
