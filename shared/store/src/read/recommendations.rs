//! What other services may read of the recommendations service's tables.
