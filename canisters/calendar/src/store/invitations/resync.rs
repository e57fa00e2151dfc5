//! Re-synchronising this shard's invitations after a restore: which shards have forgotten what
//! they held from it (only they get its messages until all have), and queuing the invitations
//! of every stored event again, a batch at a time (`crate::jobs::invitations` drives both).

use candid::{CandidType, Deserialize, Principal};
use ic_stable_structures::Memory;

use crate::store::{Ctx, Store};

/// After a restore: which calendar shards have forgotten the invitations they held from this
/// shard. Only they receive its invitations until every shard of the group has.
#[derive(CandidType, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InvitationForget {
    /// The shards (this one included) that confirmed.
    pub forgotten_by: Vec<Principal>,
    /// This shard held no invitations after the restore (restored into a new canister): every
    /// other shard is also asked to send its users' invitations again.
    pub ask_resend: bool,
}

impl<M: Memory> Store<M> {
    /// Whether this shard's invitations may go to `shard`: not to one that has still to forget
    /// what it held from this shard before a restore (it would forget what was just delivered).
    pub fn may_deliver_invitations_to(&self, shard: &Principal) -> bool {
        self.meta()
            .invitation_forget
            .as_ref()
            .is_none_or(|f| f.forgotten_by.contains(shard))
    }

    /// `shard` forgot this shard's invitations; once all of `members` (the group's calendar
    /// shards) have, the restore's forgetting is over.
    pub fn invitations_forgotten_by(&mut self, shard: Principal, members: &[Principal]) {
        self.update_meta(|m| {
            if let Some(f) = m.invitation_forget.as_mut() {
                if !f.forgotten_by.contains(&shard) {
                    f.forgotten_by.push(shard);
                }
                if members.iter().all(|s| f.forgotten_by.contains(s)) {
                    m.invitation_forget = None;
                }
            }
        });
    }

    /// Another calendar shard was restored from a backup into a canister that held no
    /// invitations: queue every invitation of this shard's events again (attendees who still
    /// hold them ignore the repeat). A requeue under way starts over.
    pub fn resend_invitations(&mut self) {
        self.update_meta(|m| m.invitation_requeue_from = Some(0));
    }

    /// Queues the invitations of up to `max` events from the requeue's cursor on, as for new
    /// events. Returns whether events are left to queue.
    pub fn requeue_invitations(&mut self, ctx: &Ctx, max: usize) -> bool {
        let Some(from_id) = self.meta().invitation_requeue_from else {
            return false;
        };
        let (batch, next) = self.batch_from(from_id, max);
        for e in &batch {
            self.queue_invitations(ctx, None, Some(e));
        }
        self.update_meta(|m| m.invitation_requeue_from = next);
        next.is_some()
    }
}
