//! Fuel metering: a deterministic cost per request, for budgets that fail CI on a
//! regression without any timing in a test.
//!
//! With [`crate::HostConfig::meter_fuel`] the engine counts wasmtime fuel (about one
//! unit per WebAssembly instruction) and every request's guest starts with
//! [`START`]; what it burned is recorded when its handler returns. It counts the
//! guest's own work (parsing, validation, JSON, SQL text building), not the host's
//! (SQLite executing a statement is host time), so it measures what our code costs
//! and is blind to slow queries, which the load benchmark covers.
//!
//! Two things differ from plain serving, both only when metering: code is compiled
//! with fuel checks (a few percent slower), and a guest is not stopped when its
//! response body has been sent, so that it can return and be counted.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// The fuel each metered guest starts with: far more than any request burns.
pub const START: u64 = u64::MAX / 2;

/// The request a measurement belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The component that served it.
    pub component: String,
    /// The HTTP method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
}

/// One request's fuel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measurement {
    /// The request.
    pub request: Request,
    /// Fuel the guest burned, from instantiation to the handler's return.
    pub fuel: u64,
    /// Whether the handler returned normally (a trap also ends a measurement).
    pub completed: bool,
}

/// The measurements of one host, in the order the guests finished.
#[derive(Debug, Default)]
pub struct FuelMeter {
    measurements: Mutex<Vec<Measurement>>,
    changed: Condvar,
}

impl FuelMeter {
    pub(crate) fn record(&self, request: Request, fuel: u64, completed: bool) {
        if let Ok(mut all) = self.measurements.lock() {
            all.push(Measurement {
                request,
                fuel,
                completed,
            });
            self.changed.notify_all();
        }
    }

    /// Every measurement so far.
    pub fn measurements(&self) -> Vec<Measurement> {
        self.measurements
            .lock()
            .map(|all| all.clone())
            .unwrap_or_default()
    }

    /// Waits until there are more than `count` measurements and returns the one at
    /// index `count`, or `None` after `timeout`. A client has its response before the
    /// guest has returned, so a caller that just got a response waits here for its
    /// measurement instead of sleeping.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Option<Measurement> {
        let all = self.measurements.lock().ok()?;
        let (all, _) = self
            .changed
            .wait_timeout_while(all, timeout, |all| all.len() <= count)
            .ok()?;
        all.get(count).cloned()
    }
}
