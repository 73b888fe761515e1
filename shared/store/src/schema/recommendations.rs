//! Tables owned by the recommendations service.

use crate::Migration;

/// Migrations owned by recommendations, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[];
