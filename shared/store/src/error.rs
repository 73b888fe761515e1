//! One error type for both adapters, classified from SQLite's own messages so that
//! Spin (which hands us the message as text) and rusqlite agree.

use std::fmt;

/// What went wrong talking to a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database is locked by another writer past the busy timeout; retry later.
    Busy,
    /// A constraint refused the statement; the text names it (`UNIQUE constraint failed: t.c`).
    Constraint(String),
    /// The component was not granted this store or database in `spin.toml`.
    AccessDenied,
    /// The store or database label is not known to the runtime.
    NoSuchStore,
    /// A value read back did not have the type the code expected.
    Decode(String),
    /// Anything else the backend reported (I/O, SQL errors).
    Backend(String),
}

impl StoreError {
    /// Classifies a SQLite error message as reported by rusqlite or by Spin's `io(string)`.
    pub fn from_sqlite_message(message: String) -> StoreError {
        let lower = message.to_ascii_lowercase();
        if lower.contains("database is locked") || lower.contains("database is busy") {
            StoreError::Busy
        } else if lower.contains("constraint failed") {
            StoreError::Constraint(message)
        } else {
            StoreError::Backend(message)
        }
    }

    /// True for a `UNIQUE` (or primary key) violation on `table.column`.
    pub fn is_unique_violation(&self, table_column: &str) -> bool {
        matches!(self, StoreError::Constraint(m)
            if (m.contains("UNIQUE constraint failed") || m.contains("PRIMARY KEY"))
                && m.contains(table_column))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Busy => write!(f, "database busy"),
            StoreError::Constraint(m) => write!(f, "constraint violated: {m}"),
            StoreError::AccessDenied => write!(f, "store access denied"),
            StoreError::NoSuchStore => write!(f, "no such store"),
            StoreError::Decode(m) => write!(f, "unexpected stored value: {m}"),
            StoreError::Backend(m) => write!(f, "store error: {m}"),
        }
    }
}

impl std::error::Error for StoreError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_are_classified() {
        assert_eq!(
            StoreError::from_sqlite_message("database is locked".into()),
            StoreError::Busy
        );
        let unique = StoreError::from_sqlite_message(
            "UNIQUE constraint failed: customers.national_id".into(),
        );
        assert!(unique.is_unique_violation("customers.national_id"));
        assert!(!unique.is_unique_violation("customers.email"));
        assert!(matches!(
            StoreError::from_sqlite_message("no such table: x".into()),
            StoreError::Backend(_)
        ));
    }
}
