// The notification canister: the caller's inbox of delivered reminders.
import type { Notification as NotificationActor, NotificationPage } from '$lib/bindings/notification/notification';
import { asApiError, unwrap } from './errors';

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw asApiError(e);
  }
}

export type InboxItem = NotificationPage['notifications'][number];

export class InboxApi {
  constructor(private readonly actor: NotificationActor) {}

  async unreadCount(): Promise<number> {
    return Number(unwrap(await call(() => this.actor.unread_count())));
  }

  async page(unreadOnly: boolean, cursor?: bigint): Promise<{ items: InboxItem[]; next?: bigint }> {
    const p = unwrap(await call(() => this.actor.get_notifications({ unread_only: unreadOnly, cursor, limit: 50 })));
    return { items: p.notifications, next: p.next_cursor };
  }

  async markRead(ids: bigint[]): Promise<number> {
    return Number(unwrap(await call(() => this.actor.mark_read(BigUint64Array.from(ids)))));
  }

  async markAllRead(): Promise<number> {
    return Number(unwrap(await call(() => this.actor.mark_all_read())));
  }
}
