//! Tables owned by the loyalty service.

use crate::Migration;

/// Migrations owned by loyalty, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[];
