//! Team availability (`team_free_busy`): the merged busy time of up to
//! [`interfaces::calendar::MAX_TEAM`] people at once, whichever shards they live on.
//!
//! It runs as a composite query: each person's home shard comes from the directory cache the
//! invitations fill, or from one `lookup_shards` call to the load balancer; the people of this
//! shard are read here, and every other person's shard is asked its `member_free_busy` query
//! with this shard's access key, naming the caller, so each person's free/busy privacy is
//! decided by their own shard for the person who asked. A composite query keeps no state, so
//! nothing here writes. One person's failure (never signed up, their shard stopped, not
//! shared with the caller) is that person's answer, not the request's.

use candid::Principal;
use interfaces::calendar::{FreeBusyRequest, PersonBusy, TeamFreeBusyRequest, MAX_TEAM};
use interfaces::clients::calendar;
use interfaces::{Error, InputProblem};

use crate::state;
use crate::store::{self, Ctx};

/// The people asked for, each once in the order given, after the request passed every check
/// (signed-in caller, 1 to [`MAX_TEAM`] people, a valid range).
pub fn people(ctx: &Ctx, req: &TeamFreeBusyRequest) -> Result<Vec<Principal>, Error> {
    crate::access::require_user(&ctx.caller)?;
    if req.users.is_empty() {
        return Err(Error::invalid("users", InputProblem::Empty));
    }
    if req.users.len() > MAX_TEAM {
        return Err(Error::invalid(
            "users",
            InputProblem::TooMany {
                max: MAX_TEAM as u64,
                actual: req.users.len() as u64,
            },
        ));
    }
    store::check_range(req.from_ns, req.to_ns)?;
    let mut people: Vec<Principal> = Vec::with_capacity(req.users.len());
    for user in &req.users {
        if !people.contains(user) {
            people.push(*user);
        }
    }
    Ok(people)
}

/// Every person's busy time, in the order asked.
pub async fn free_busy(ctx: Ctx, req: TeamFreeBusyRequest) -> Result<Vec<PersonBusy>, Error> {
    let people = people(&ctx, &req)?;
    // Sticky assignments: a home found here stays right while the calls below await.
    let homes = super::invitations::homes(&people).await?;
    let mut answers = Vec::with_capacity(people.len());
    for (user, home) in people.into_iter().zip(homes) {
        let asked = FreeBusyRequest {
            user,
            from_ns: req.from_ns,
            to_ns: req.to_ns,
        };
        let busy = match home {
            None => Err(Error::not_found("calendar of this user")),
            Some(shard) if shard == ctx.shard => state::read(|s| s.free_busy(&ctx.caller, &asked)),
            // Another shard: its own free/busy for the caller, one person at a time (at most
            // 20 calls), with this shard's access key (none before the group gave it).
            Some(shard) => match canister_kit::auth::own_key() {
                Ok(key) => {
                    calendar::member_free_busy(shard, key.expose_bytes(), ctx.caller, &asked).await
                }
                Err(e) => Err(e),
            },
        };
        answers.push(PersonBusy { user, busy });
    }
    Ok(answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{ctx, user, DAY, MONDAY};

    fn request(users: Vec<Principal>, from_ns: u64, to_ns: u64) -> TeamFreeBusyRequest {
        TeamFreeBusyRequest {
            users,
            from_ns,
            to_ns,
        }
    }

    #[test]
    fn a_team_request_is_checked_whole_and_names_each_person_once() {
        let asker = ctx(user(1));
        let team = vec![user(2), user(3), user(2)];
        let ok = people(&asker, &request(team, MONDAY, MONDAY + DAY));
        assert_eq!(ok, Ok(vec![user(2), user(3)]));
        let anonymous = ctx(Principal::anonymous());
        let refused = people(&anonymous, &request(vec![user(2)], MONDAY, MONDAY + DAY));
        assert_eq!(refused, Err(Error::AnonymousCaller));
        let nobody = people(&asker, &request(vec![], MONDAY, MONDAY + DAY));
        assert!(matches!(nobody, Err(Error::InvalidInput { .. })));
        let crowd: Vec<_> = (0..=MAX_TEAM as u8).map(user).collect();
        let too_many = people(&asker, &request(crowd, MONDAY, MONDAY + DAY));
        assert!(matches!(
            too_many,
            Err(Error::InvalidInput {
                problem: InputProblem::TooMany {
                    max: 20,
                    actual: 21
                },
                ..
            })
        ));
        let backwards = people(&asker, &request(vec![user(2)], MONDAY + DAY, MONDAY));
        assert!(matches!(backwards, Err(Error::InvalidInput { .. })));
        let long = people(&asker, &request(vec![user(2)], MONDAY, MONDAY + 400 * DAY));
        assert!(matches!(long, Err(Error::InvalidInput { .. })));
    }
}
