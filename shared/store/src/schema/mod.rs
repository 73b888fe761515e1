//! Every service's migrations. Each file belongs to the service it names; only that
//! service's code writes the tables created there (others read them via read models).

pub mod audit;
pub mod customers;
pub mod engagement;
pub mod interactions;
pub mod loans;
pub mod loyalty;
pub mod recommendations;
pub mod shared;

use crate::Migration;

/// Each owner's list, in the order they are applied.
pub const ALL: &[&[Migration]] = &[
    shared::MIGRATIONS,
    customers::MIGRATIONS,
    interactions::MIGRATIONS,
    loyalty::MIGRATIONS,
    loans::MIGRATIONS,
    recommendations::MIGRATIONS,
    audit::MIGRATIONS,
    engagement::MIGRATIONS,
];
