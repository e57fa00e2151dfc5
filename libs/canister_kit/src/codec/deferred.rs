//! Arguments read only when the endpoint asks for them (see [`Deferred`]): an endpoint that
//! refuses the call first (an anonymous write, a stale revision) spends nothing on reading
//! them.

use candid::types::Type;
use candid::utils::ArgumentDecoder;
use candid::{CandidType, Deserialize};

use super::{arg, args, exact, kept_after_this_message, profile, ExactArgs};

/// An argument read only when the endpoint asks for it ([`Deferred::read`]), so that an
/// endpoint that refuses the call first (an anonymous write, a stale revision) spends nothing
/// on it. Its Candid type is `T`'s, so the `.did` and every client are unchanged.
pub struct Deferred<T>(Pending<T>);

enum Pending<T> {
    /// The message, and how to read the argument from it.
    Unread(Vec<u8>, fn(Vec<u8>) -> T),
    /// Read already (a message left to candid is read whole).
    Read(T),
}

impl<T> Deferred<T> {
    /// The argument (trapping, as [`args`] does, on bytes that are not a `T`).
    pub fn read(self) -> T {
        match self.0 {
            Pending::Unread(bytes, read) => read(bytes),
            Pending::Read(value) => value,
        }
    }
}

/// An argument already read (a store called by tests or by other logic with a value).
impl<T> From<T> for Deferred<T> {
    fn from(value: T) -> Self {
        Deferred(Pending::Read(value))
    }
}

impl<T: CandidType> CandidType for Deferred<T> {
    fn id() -> candid::types::TypeId {
        T::id()
    }

    fn _ty() -> Type {
        T::_ty()
    }

    fn idl_serialize<S: candid::types::Serializer>(&self, _: S) -> Result<(), S::Error> {
        unreachable!("a deferred argument is only read")
    }
}

/// The argument of a one-argument endpoint, left unread (see [`Deferred`]).
pub fn deferred<T>(bytes: Vec<u8>) -> Deferred<T>
where
    T: CandidType + for<'a> Deserialize<'a> + 'static,
{
    Deferred(Pending::Unread(bytes, arg::<T>))
}

/// The arguments of a three-argument endpoint, the last one left unread (see [`Deferred`]):
/// the first two are read now. A message whose types are not exactly the declared ones is read
/// whole by candid, as [`args`] reads it.
pub fn deferred_last<A, B, C>(bytes: Vec<u8>) -> (A, B, Deferred<C>)
where
    (A, B, C): for<'a> ArgumentDecoder<'a> + ExactArgs + 'static,
    (A, B): ExactArgs,
{
    profile::mark("entry", || ());
    let leading = profile::mark("args decoded", || {
        exact::decode_leading::<(A, B, C), (A, B)>(&bytes, kept_after_this_message())
    });
    match leading {
        Some((a, b)) => (a, b, Deferred(Pending::Unread(bytes, last_of::<A, B, C>))),
        None => {
            let (a, b, c) = args::<(A, B, C)>(bytes);
            (a, b, Deferred(Pending::Read(c)))
        }
    }
}

fn last_of<A, B, C>(bytes: Vec<u8>) -> C
where
    (A, B, C): for<'a> ArgumentDecoder<'a> + ExactArgs + 'static,
{
    args::<(A, B, C)>(bytes).2
}
