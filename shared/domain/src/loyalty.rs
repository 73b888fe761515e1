//! The loyalty domain: types and rules, no I/O.
