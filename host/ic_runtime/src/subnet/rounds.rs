//! One round (`tick`): time, expired bounded-wait calls, due timers and heartbeats, the
//! message queue within the round's budget, and stopping canisters that became idle.

use candid::Principal;

use crate::canister::Status;
use crate::errors::{ErrorCode, Reject};

use super::{Message, Response, Subnet};

impl Subnet {
    pub fn tick(&mut self) {
        if !self.time_set {
            self.time += 1;
        }
        self.time_set = false;
        self.prune_ingress();
        self.expire_deadlines();
        self.schedule_system_tasks();
        let mut executed = 0;
        while executed < self.limits.messages_per_tick {
            let Some(message) = self.queue.pop_front() else {
                break;
            };
            self.note_change(&message);
            match message {
                Message::Request(r) => self.handle_request(r),
                Message::Response(r) => self.handle_response(r),
                Message::Task { canister, export } => self.handle_task(canister, export),
            }
            self.complete_stops();
            executed += 1;
        }
        self.activity += executed as u64;
        self.complete_stops();
    }

    /// Marks the canister a message may change. A management message may change any canister
    /// (create, install, settings, status), so it marks them all.
    fn note_change(&mut self, message: &Message) {
        let target = match message {
            Message::Request(r) if r.receiver == Principal::management_canister() => None,
            Message::Request(r) => Some(r.receiver),
            Message::Response(r) => Some(r.canister),
            Message::Task { canister, .. } => Some(*canister),
        };
        match target {
            Some(id) => {
                if let Some(c) = self.canisters.get_mut(&id) {
                    c.changes += 1;
                }
            }
            None => self.canisters.values_mut().for_each(|c| c.changes += 1),
        }
    }

    fn expire_deadlines(&mut self) {
        let now = self.time;
        for c in self.canisters.values_mut() {
            for (id, cb) in c.callbacks.iter_mut() {
                if cb.deadline != 0 && cb.deadline <= now {
                    cb.deadline = 0;
                    // Whichever of this reject and the real response is processed first wins;
                    // the later one finds no callback and is dropped.
                    self.queue.push_front(Message::Response(Response {
                        canister: c.id,
                        callback_id: *id,
                        result: Err(Reject::new(
                            ErrorCode::DeadlineExpired,
                            "Call deadline has expired.",
                        )),
                        refund: 0,
                    }));
                }
            }
        }
    }

    fn schedule_system_tasks(&mut self) {
        let now = self.time;
        for c in self.canisters.values_mut() {
            let Some(code) = c.code.as_ref() else {
                continue;
            };
            if c.status != Status::Running {
                continue;
            }
            if c.global_timer != 0 && c.global_timer <= now && code.exports("canister_global_timer")
            {
                // The timer is deactivated when it fires; the canister re-arms it if it wants.
                c.global_timer = 0;
                self.queue.push_back(Message::Task {
                    canister: c.id,
                    export: "canister_global_timer",
                });
            }
            if code.exports("canister_heartbeat") {
                self.queue.push_back(Message::Task {
                    canister: c.id,
                    export: "canister_heartbeat",
                });
            }
        }
    }

    /// Stopping canisters with no open call context become stopped; their stop calls reply.
    fn complete_stops(&mut self) {
        if self.pending_stops.is_empty() {
            return;
        }
        let mut done = Vec::new();
        for c in self.canisters.values_mut() {
            if c.status == Status::Stopping && c.call_contexts.is_empty() {
                c.status = Status::Stopped;
                done.push(c.id);
            }
        }
        if done.is_empty() {
            return;
        }
        let (finished, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_stops)
            .into_iter()
            .partition(|(id, _)| done.contains(id));
        self.pending_stops = waiting;
        for (_, origin) in finished {
            self.respond(
                origin,
                Ok(candid::encode_args(()).expect("empty args encode")),
                0,
            );
        }
    }
}
