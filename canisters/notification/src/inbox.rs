//! Users' inboxes: delivery, reading, marking read, retention and account deletion, as plain
//! rules over the [`Store`].
//!
//! Each inbox is bounded twice: at most [`MAX_INBOX`] notifications per user (delivering one
//! more drops the oldest) and none older than [`RETENTION_NS`] (removed by the maintenance
//! timer in bounded steps). Ids grow with delivery, so "newest first" is descending id order.

use candid::Principal;
use ic_stable_structures::Memory;
use interfaces::calendar::DeletedData;
use interfaces::notification::{Notification, NotificationPage, NotificationQuery};
use interfaces::Error;
use security_base::limits;

use crate::model::*;
use crate::store::*;

/// Notifications kept per user.
pub const MAX_INBOX: u64 = 1_000;
/// Notifications older than this (since delivery) are removed, read or not.
pub const RETENTION_NS: u64 = 30 * NS_PER_DAY;
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;
/// Ids in one `mark_read` call.
pub const MAX_MARK_IDS: usize = 1_000;

impl<M: Memory> Store<M> {
    /// Puts a notification in `user`'s inbox, dropping the oldest beyond [`MAX_INBOX`].
    pub(crate) fn deliver(&mut self, user: Principal, notification: StoredNotification) -> u64 {
        self.counters.next_notification_id += 1;
        self.counters.notifications_delivered += 1;
        let id = self.counters.next_notification_id;
        self.inbox.insert((user, id), notification);
        self.delivery_order.insert(id, user);
        let (mut held, mut unread) = self.counts(user).unwrap_or((0, 0));
        held += 1;
        unread += 1;
        while held > MAX_INBOX {
            let Some(((_, oldest), n)) =
                self.inbox.range((user, 0)..).next().map(|e| e.into_pair())
            else {
                break;
            };
            self.inbox.remove(&(user, oldest));
            self.delivery_order.remove(&oldest);
            self.counters.expired_notifications += 1;
            held -= 1;
            if !n.read {
                unread -= 1;
            }
        }
        // Written back once per message by `flush`.
        self.counts_cache.insert(user, (held, unread));
        id
    }

    /// `user`'s (held, unread), the running message's changes included.
    fn counts(&self, user: Principal) -> Option<(u64, u64)> {
        self.counts_cache
            .get(&user)
            .copied()
            .or_else(|| self.inbox_counts.get(&user))
    }

    /// Sets `user`'s counts; `None` forgets the user (no inbox left, no trace either).
    fn set_counts(&mut self, user: Principal, counts: Option<(u64, u64)>) {
        match counts {
            Some(counts) => {
                self.counts_cache.insert(user, counts);
            }
            None => {
                self.counts_cache.remove(&user);
                self.inbox_counts.remove(&user);
            }
        }
    }

    /// A page of `user`'s inbox, newest first.
    pub fn notifications(
        &self,
        user: Principal,
        query: &NotificationQuery,
    ) -> Result<NotificationPage, Error> {
        let limit = limits::page_size(query.limit, DEFAULT_PAGE, MAX_PAGE)? as usize;
        let below = query.cursor.unwrap_or(u64::MAX);
        let mut page: Vec<Notification> = self
            .inbox
            .range((user, 0)..(user, below))
            .rev()
            .map(|e| {
                let ((_, id), n) = e.into_pair();
                to_wire(id, n)
            })
            .filter(|n| !query.unread_only || !n.read)
            .take(limit + 1)
            .collect();
        let next_cursor = if page.len() > limit {
            page.truncate(limit);
            page.last().map(|n| n.id)
        } else {
            None
        };
        Ok(NotificationPage {
            notifications: page,
            next_cursor,
        })
    }

    pub fn unread_count(&self, user: Principal) -> u64 {
        self.counts(user).map_or(0, |(_, unread)| unread)
    }

    /// Marks the caller's notifications `ids` read; ids that are not theirs (or no longer
    /// held) are skipped. Returns how many changed from unread to read.
    pub fn mark_read(&mut self, user: Principal, ids: &[u64]) -> Result<u64, Error> {
        limits::count("ids", ids.len(), MAX_MARK_IDS)?;
        let mut changed = 0;
        for &id in ids {
            if let Some(mut n) = self.inbox.get(&(user, id)) {
                if !n.read {
                    n.read = true;
                    self.inbox.insert((user, id), n);
                    changed += 1;
                }
            }
        }
        self.subtract_unread(user, changed);
        self.flush();
        Ok(changed)
    }

    /// Marks every notification of `user` read (at most [`MAX_INBOX`] are held).
    pub fn mark_all_read(&mut self, user: Principal) -> u64 {
        let unread: Vec<(u64, StoredNotification)> = self
            .inbox
            .range((user, 0)..=(user, u64::MAX))
            .map(|e| {
                let ((_, id), n) = e.into_pair();
                (id, n)
            })
            .filter(|(_, n)| !n.read)
            .collect();
        let changed = unread.len() as u64;
        for (id, mut n) in unread {
            n.read = true;
            self.inbox.insert((user, id), n);
        }
        self.subtract_unread(user, changed);
        self.flush();
        changed
    }

    fn subtract_unread(&mut self, user: Principal, n: u64) {
        if n == 0 {
            return;
        }
        if let Some((held, unread)) = self.counts(user) {
            self.set_counts(user, Some((held, unread.saturating_sub(n))));
        }
    }

    /// Removes notifications delivered before `now - RETENTION_NS`, oldest first, at most
    /// `max`. Says whether more are due.
    pub fn expire_notifications(&mut self, now_ns: u64, max: usize) -> bool {
        let cutoff = now_ns.saturating_sub(RETENTION_NS);
        let mut removed = 0;
        while let Some((id, user)) = self.delivery_order.first_key_value() {
            let Some(n) = self.inbox.get(&(user, id)) else {
                // Cannot happen (both are removed together); drop the dangling entry.
                self.delivery_order.remove(&id);
                continue;
            };
            if n.delivered_at_ns >= cutoff {
                break;
            }
            if removed == max {
                self.flush();
                return true;
            }
            self.remove_notification(user, id, !n.read);
            self.counters.expired_notifications += 1;
            removed += 1;
        }
        self.flush();
        false
    }

    fn remove_notification(&mut self, user: Principal, id: u64, unread: bool) {
        self.inbox.remove(&(user, id));
        self.delivery_order.remove(&id);
        let (held, unread_held) = self.counts(user).unwrap_or((1, 0));
        let held = held.saturating_sub(1);
        let unread_held = unread_held.saturating_sub(u64::from(unread));
        self.set_counts(user, (held > 0).then_some((held, unread_held)));
    }

    /// Account deletion, a bounded batch per call: up to `max` of the user's notifications,
    /// then up to the rest of `max` plans that address them; the inbox counts go with the last
    /// notification. `done` once nothing about the user is left.
    pub fn delete_user(&mut self, user: Principal, max: u64, now_ns: u64) -> DeletedData {
        let ids: Vec<u64> = self
            .inbox
            .keys_range((user, 0)..=(user, u64::MAX))
            .take(max as usize)
            .map(|(_, id)| id)
            .collect();
        for &id in &ids {
            self.inbox.remove(&(user, id));
            self.delivery_order.remove(&id);
        }
        let mut items = ids.len() as u64;
        let inbox_empty = self
            .inbox
            .keys_range((user, 0)..=(user, u64::MAX))
            .next()
            .is_none();
        if inbox_empty {
            self.set_counts(user, None);
            items += self.remove_recipient(user, max - items, now_ns);
        }
        self.flush();
        let plans_left = self
            .recipients
            .keys_range((user, MIN_PRINCIPAL, 0)..=(user, MAX_PRINCIPAL, u64::MAX))
            .next()
            .is_some();
        DeletedData {
            items,
            done: inbox_empty && !plans_left,
        }
    }

    /// Whether anything about `user` is stored (for tests of account deletion).
    #[cfg(test)]
    pub fn holds_user(&self, user: Principal) -> bool {
        self.counts(user).is_some()
            || self
                .inbox
                .keys_range((user, 0)..=(user, u64::MAX))
                .next()
                .is_some()
            || self
                .recipients
                .keys_range((user, MIN_PRINCIPAL, 0)..=(user, MAX_PRINCIPAL, u64::MAX))
                .next()
                .is_some()
    }
}

fn to_wire(id: u64, n: StoredNotification) -> Notification {
    Notification {
        id,
        event: event_ref(n.event),
        title: n.title,
        occurrence_start_ns: n.occurrence_start_ns,
        minutes_before: n.minutes_before,
        due_at_ns: n.due_at_ns,
        delivered_at_ns: n.delivered_at_ns,
        read: n.read,
    }
}

#[cfg(test)]
mod tests;
