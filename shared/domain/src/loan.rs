//! The loan domain: types and rules, no I/O.
