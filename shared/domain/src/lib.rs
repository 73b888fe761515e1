//! Domain types every CRM service shares: identifiers, money, time and pagination.
//!
//! Plain Rust with no I/O and no Spin dependency, so that business rules compile and
//! are tested natively. Values of these types are valid by construction: parse at the
//! edge, then trust the type.
#![warn(missing_docs)]

pub mod customer;
pub mod engagement;
pub mod enums;
pub mod figures;
#[cfg(test)]
mod fuzz;
pub mod id;
pub mod interaction;
pub mod invalid;
pub mod loan;
pub mod loyalty;
pub mod money;
pub mod page;
pub mod recommendation;
pub mod security;
pub mod time;

pub use id::{Ulid, UlidError};
pub use invalid::Invalid;
pub use money::{Currency, Money, MoneyError};
pub use page::{Cursor, Limit, PageError};
pub use time::{Date, TimeError, Timestamp};
