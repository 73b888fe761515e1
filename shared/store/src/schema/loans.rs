//! Tables owned by the loans service.

use crate::Migration;

/// Migrations owned by loans, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[];
