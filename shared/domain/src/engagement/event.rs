//! Account events from core banking: what happened on a customer's accounts, each with
//! the event id core banking gave it (a repeated id is recorded once).

use super::text::{instant, optional_text};
use crate::closed_enum;
use crate::id::CustomerId;
use crate::invalid::Invalid;
use crate::money::Money;
use crate::time::Timestamp;
use serde::Deserialize;

/// Most events one batch may carry.
pub const MAX_BATCH: usize = 500;
/// Longest event id.
pub const MAX_EVENT_ID: usize = 64;
/// Longest description (core banking's narrative, e.g. "transfer for property purchase").
pub const MAX_DESCRIPTION: usize = 200;
/// How far in the future an event's time may be (clock skew between systems).
pub const FUTURE_SKEW_MILLIS: i64 = 5 * 60 * 1000;
/// No event is older than this (2000-01-01T00:00:00Z).
pub const EARLIEST_AT: i64 = 946_684_800_000;

closed_enum!(
    /// What happened on the account.
    EventKind {
        LargeWithdrawal = "large_withdrawal",
        LargeDeposit = "large_deposit",
        SalaryStopped = "salary_stopped",
        BalanceDrop = "balance_drop",
        CardExpiring = "card_expiring",
        ProductClosed = "product_closed",
        ProductOpened = "product_opened",
    }
);

impl EventKind {
    /// Whether an event of this kind carries an amount (and must).
    pub fn has_amount(self) -> bool {
        matches!(
            self,
            EventKind::LargeWithdrawal | EventKind::LargeDeposit | EventKind::BalanceDrop
        )
    }
}

/// Whether `id` is an acceptable event id: 1 to [`MAX_EVENT_ID`] characters of
/// `A-Z a-z 0-9 . _ - :` (core banking's own reference, safe in logs).
pub fn valid_event_id(id: &str) -> bool {
    (1..=MAX_EVENT_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:".contains(&b))
}

/// One event as core banking sends it; every member optional so that validation can
/// name each missing one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EventDraft {
    /// Core banking's id of the event.
    pub id: Option<String>,
    /// An [`EventKind`] spelling.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The customer.
    pub customer_id: Option<String>,
    /// The amount, for kinds that have one.
    pub amount: Option<Money>,
    /// Core banking's narrative.
    pub description: Option<String>,
    /// When it happened.
    pub occurred_at: Option<String>,
}

/// A valid event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Core banking's id.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// To whom.
    pub customer_id: CustomerId,
    /// How much, for kinds that have an amount.
    pub amount: Option<Money>,
    /// Core banking's narrative.
    pub description: Option<String>,
    /// When.
    pub occurred_at: Timestamp,
}

impl EventDraft {
    /// The event, or every problem it has.
    pub fn validate(self, now: Timestamp) -> Result<NewEvent, Vec<Invalid>> {
        let mut errors = Vec::new();
        let id = match self.id {
            None => {
                errors.push(Invalid::new("id", "is required"));
                None
            }
            Some(id) if valid_event_id(&id) => Some(id),
            Some(_) => {
                errors.push(Invalid::new(
                    "id",
                    format!("must be 1 to {MAX_EVENT_ID} characters of A-Z a-z 0-9 . _ - :"),
                ));
                None
            }
        };
        let kind = match self.kind.as_deref() {
            None => {
                errors.push(Invalid::new("type", "is required"));
                None
            }
            Some(k) => EventKind::parse(k).or_else(|| {
                errors.push(Invalid::new(
                    "type",
                    format!("must be one of {}", EventKind::expected()),
                ));
                None
            }),
        };
        let customer_id = match self.customer_id.as_deref() {
            None => {
                errors.push(Invalid::new("customerId", "is required"));
                None
            }
            Some(c) => CustomerId::parse(c)
                .map_err(|e| errors.push(Invalid::new("customerId", e.to_string())))
                .ok(),
        };
        match (kind, self.amount) {
            (Some(k), None) if k.has_amount() => {
                errors.push(Invalid::new("amount", format!("is required for {k}")));
            }
            (Some(k), Some(_)) if !k.has_amount() => {
                errors.push(Invalid::new("amount", format!("does not apply to {k}")));
            }
            (_, Some(m)) if !m.is_positive() => {
                errors.push(Invalid::new("amount", "must be positive"));
            }
            _ => {}
        }
        let description = optional_text(
            &mut errors,
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION,
            false,
        );
        let occurred_at = match self.occurred_at.as_deref() {
            None => {
                errors.push(Invalid::new("occurredAt", "is required"));
                None
            }
            Some(raw) => instant(&mut errors, "occurredAt", raw).and_then(|at| {
                if at.unix_millis() < EARLIEST_AT {
                    errors.push(Invalid::new("occurredAt", "must not be before 2000"));
                    None
                } else if at > now.plus_millis(FUTURE_SKEW_MILLIS) {
                    errors.push(Invalid::new("occurredAt", "must not be in the future"));
                    None
                } else {
                    Some(at)
                }
            }),
        };
        match (id, kind, customer_id, description, occurred_at) {
            (Some(id), Some(kind), Some(customer_id), Some(description), Some(occurred_at))
                if errors.is_empty() =>
            {
                Ok(NewEvent {
                    id,
                    kind,
                    customer_id,
                    amount: self.amount,
                    description,
                    occurred_at,
                })
            }
            _ if errors.is_empty() => Err(vec![Invalid::new("event", "is invalid")]),
            _ => Err(errors),
        }
    }
}

impl NewEvent {
    /// Whether `other` (a stored event with the same id) says the same thing: a resent
    /// event is a duplicate, a different event under a used id is refused.
    pub fn same_as(&self, other: &NewEvent) -> bool {
        self.kind == other.kind
            && self.customer_id == other.customer_id
            && self.amount == other.amount
            && self.occurred_at == other.occurred_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    const CUSTOMER: &str = "cus_01KAT0000000000000000000AB";

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-01T10:00:00Z").expect("time")
    }

    fn draft(kind: &str, amount: Option<i64>) -> EventDraft {
        EventDraft {
            id: Some("core-1".into()),
            kind: Some(kind.into()),
            customer_id: Some(CUSTOMER.into()),
            amount: amount.map(|a| Money::new(a, Currency::parse("CNY").expect("CNY"))),
            description: Some("  transfer for property purchase ".into()),
            occurred_at: Some("2026-12-01T09:00:00Z".into()),
        }
    }

    fn fields(errors: Vec<Invalid>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_large_withdrawal_with_an_amount_is_valid_and_its_description_trimmed() {
        let event = draft("large_withdrawal", Some(80_000_000))
            .validate(now())
            .expect("valid");
        assert_eq!(event.kind, EventKind::LargeWithdrawal);
        assert_eq!(
            event.description.as_deref(),
            Some("transfer for property purchase")
        );
    }

    #[test]
    fn kinds_with_an_amount_require_it_and_the_others_refuse_it() {
        for kind in EventKind::ALL {
            let without = draft(kind.as_str(), None).validate(now());
            let with = draft(kind.as_str(), Some(100)).validate(now());
            if kind.has_amount() {
                assert_eq!(fields(without.expect_err("needs amount")), ["amount"]);
                assert!(with.is_ok(), "{kind}");
            } else {
                assert!(without.is_ok(), "{kind}");
                assert_eq!(fields(with.expect_err("no amount")), ["amount"]);
            }
        }
    }

    #[test]
    fn a_zero_or_negative_amount_is_refused() {
        for amount in [0, -5] {
            let e = draft("large_deposit", Some(amount)).validate(now());
            assert_eq!(fields(e.expect_err("refused")), ["amount"]);
        }
    }

    #[test]
    fn every_problem_of_an_event_is_reported_at_once() {
        let bad = EventDraft {
            id: Some("has space".into()),
            kind: Some("lottery_win".into()),
            customer_id: Some("lpa_01KAT0000000000000000000AB".into()),
            amount: None,
            description: Some("x".repeat(MAX_DESCRIPTION + 1)),
            occurred_at: Some("yesterday".into()),
        };
        assert_eq!(
            fields(bad.validate(now()).expect_err("refused")),
            ["id", "type", "customerId", "description", "occurredAt"]
        );
        assert_eq!(
            fields(EventDraft::default().validate(now()).expect_err("empty")),
            ["id", "type", "customerId", "occurredAt"]
        );
    }

    #[test]
    fn an_event_from_the_future_or_before_2000_is_refused() {
        let mut future = draft("salary_stopped", None);
        future.occurred_at = Some("2026-12-01T10:06:00Z".into());
        assert_eq!(
            fields(future.validate(now()).expect_err("future")),
            ["occurredAt"]
        );
        let mut skewed = draft("salary_stopped", None);
        skewed.occurred_at = Some("2026-12-01T10:04:00Z".into());
        assert!(skewed.validate(now()).is_ok());
        let mut old = draft("salary_stopped", None);
        old.occurred_at = Some("1999-12-31T23:59:59Z".into());
        assert_eq!(
            fields(old.validate(now()).expect_err("old")),
            ["occurredAt"]
        );
    }

    #[test]
    fn event_ids_are_short_log_safe_references() {
        assert!(valid_event_id("CB-2026:12.01_0001"));
        for bad in ["", "a b", "名", &"a".repeat(MAX_EVENT_ID + 1)] {
            assert!(!valid_event_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_resent_event_is_the_same_whatever_its_description_but_another_amount_is_not() {
        let first = draft("large_withdrawal", Some(100))
            .validate(now())
            .expect("ok");
        let mut again = first.clone();
        again.description = None;
        assert!(first.same_as(&again));
        let other = draft("large_withdrawal", Some(101))
            .validate(now())
            .expect("ok");
        assert!(!first.same_as(&other));
    }
}
