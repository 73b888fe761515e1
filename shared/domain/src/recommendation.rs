//! The recommendation domain: types and rules, no I/O.
