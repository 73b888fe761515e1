//! What other services may read of the loans service's tables.
