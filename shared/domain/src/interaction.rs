//! The interaction domain: types and rules, no I/O.
