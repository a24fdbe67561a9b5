//! Authentication: password hashing, tokens, login throttling, and the
//! extractors that say in a handler's signature who may call it.

pub mod extract;
pub mod password;
pub mod rate_limit;
pub mod session;
pub mod tokens;

pub use crate::domain::Role;
