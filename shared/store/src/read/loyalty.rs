//! What other services may read of the loyalty service's tables.
