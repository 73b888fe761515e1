//! The next-best-offer engine: reads what every service knows of a customer through the
//! store's read models (profile, interactions, loyalty, loans, earlier feedback), loads
//! the catalogue and the credit policy in force, and ranks with the pure rules of
//! [`crm_domain::recommendation`]. One call, [`recommend`], serves both the
//! recommendations component and the profile's 360° view; no HTTP in between.
//!
//! Each signal another service has not recorded is simply empty: a customer without
//! loyalty, interactions or loans still gets offers from the profile alone.
#![warn(missing_docs)]

mod catalogue;
mod signals;

pub use catalogue::{load_catalogue, load_product, product_from_row};
pub use signals::{INQUIRY_LIMIT, current_policy, customer_view, signals};

use crm_domain::customer::CustomerStatus;
use crm_domain::id::CustomerId;
use crm_domain::recommendation::{Channel, Excluded, MODEL_VERSION, Ranked, RankingContext, rank};
use crm_domain::time::Timestamp;
use crm_store::{Database, StoreError};
use serde::Serialize;

/// How many offers a caller gets when it does not say.
pub const DEFAULT_LIMIT: usize = 3;
/// The most offers one answer holds.
pub const MAX_LIMIT: usize = 50;

/// A customer-level note explaining why offers are missing (`customer_closed`,
/// `open_complaint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Stable machine code.
    pub code: &'static str,
    /// For a person.
    pub message: String,
}

/// The ranked offers for one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendations {
    /// The best offers, best first, at most the limit asked for.
    pub items: Vec<Ranked>,
    /// When they were computed.
    pub generated_at: Timestamp,
    /// The version of the ranking rules.
    pub model_version: &'static str,
    /// Why offers are missing, when a customer-level rule suppressed some.
    pub notes: Vec<Note>,
    /// Every product a hard filter excluded, with the filter (for `?explain=true`).
    #[serde(skip)]
    pub excluded: Vec<Excluded>,
}

/// What a reason's message says instead of a figure the caller may not see.
pub const WITHHELD: &str = "based on a detail of the customer your role does not see";

impl Recommendations {
    /// Cuts the explanations down to what the caller may see: a reason or exclusion that
    /// quotes a customer field `sees` says no to keeps its code and points, its message
    /// replaced by [`WITHHELD`]. The ranking itself is not changed.
    pub fn redact(&mut self, sees: &dyn Fn(&str) -> bool) {
        for item in &mut self.items {
            for reason in &mut item.reasons {
                if reason.code.reveals().is_some_and(|field| !sees(field)) {
                    reason.message = WITHHELD.to_owned();
                }
            }
        }
        for excluded in &mut self.excluded {
            if excluded
                .filter
                .code
                .reveals()
                .is_some_and(|field| !sees(field))
            {
                excluded.filter.message = WITHHELD.to_owned();
            }
        }
    }
}

/// Why no recommendation could be made.
#[derive(Debug)]
pub enum RecommendError {
    /// No such customer, or the customer was erased.
    CustomerNotFound,
    /// The store failed (or holds something undecodable).
    Store(StoreError),
}

impl From<StoreError> for RecommendError {
    fn from(e: StoreError) -> Self {
        RecommendError::Store(e)
    }
}

impl std::fmt::Display for RecommendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecommendError::CustomerNotFound => f.write_str("no such customer"),
            RecommendError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RecommendError {}

/// The top `limit` offers (clamped to 1..=[`MAX_LIMIT`]) for `customer_id` at `now`, for
/// display on `channel` (consent is checked for outbound channels; `None` means a
/// session the customer started, such as the RM's 360° view).
///
/// An unknown or erased customer is [`RecommendError::CustomerNotFound`]; a closed
/// customer gets no offers and a `customer_closed` note (the relationship is over, so
/// nothing is sold, but the call succeeds so a 360° view can still render).
pub fn recommend(
    db: &dyn Database,
    customer_id: &CustomerId,
    now: Timestamp,
    channel: Option<Channel>,
    limit: usize,
) -> Result<Recommendations, RecommendError> {
    let id = customer_id.to_string();
    let Some((status, customer)) = customer_view(db, &id, now)? else {
        return Err(RecommendError::CustomerNotFound);
    };
    let mut answer = Recommendations {
        items: Vec::new(),
        generated_at: now,
        model_version: MODEL_VERSION,
        notes: Vec::new(),
        excluded: Vec::new(),
    };
    if status == CustomerStatus::Closed {
        answer.notes.push(Note {
            code: "customer_closed",
            message: "the customer relationship is closed: nothing is offered".into(),
        });
        return Ok(answer);
    }
    let signals = signals(db, &id, now)?;
    if signals.open_complaint {
        answer.notes.push(Note {
            code: "open_complaint",
            message: "sales offers are suppressed while a complaint is open".into(),
        });
    }
    let catalogue = load_catalogue(db)?;
    let policy = current_policy(db)?;
    let ctx = RankingContext {
        now,
        channel,
        policy: &policy,
    };
    let mut ranking = rank(&catalogue, &customer, &signals, &ctx);
    ranking.items.truncate(limit.clamp(1, MAX_LIMIT));
    answer.items = ranking.items;
    answer.excluded = ranking.excluded;
    Ok(answer)
}
