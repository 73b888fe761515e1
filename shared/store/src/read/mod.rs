//! Read models: what one service may read of another's tables, without HTTP calls.
//! Each module belongs to the service that owns the tables it reads; a missing table
//! or row contributes nothing rather than failing the caller.

pub mod customers;
pub mod engagement;
pub mod interactions;
pub mod loans;
pub mod loyalty;
pub mod recommendations;
