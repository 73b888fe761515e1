//! Writes one service makes in another owner's tables, on the owner's terms.
//!
//! Rule 5 of this crate says each service writes only its own tables. Like the
//! erasure, these are exceptions the business asks for in one transaction: completing a
//! contact task in the engagement service *is* an outbound contact in the interaction
//! log, and a relationship manager's handover moves their customers with their tasks.
//! Each owner declares the statement here, next to nothing else; the engagement
//! component only runs it, inside its request's transaction.

pub mod customers;
pub mod interactions;
