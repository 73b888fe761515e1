//! What other services may read of the interactions service's tables.
