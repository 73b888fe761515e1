//! Tables owned by the interactions service.

use crate::Migration;

/// Migrations owned by interactions, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[];
