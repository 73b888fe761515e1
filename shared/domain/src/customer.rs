//! The customer domain: types and rules, no I/O.
