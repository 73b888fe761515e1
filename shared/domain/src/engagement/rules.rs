//! The alert rules: a versioned document (like the loan policy) that turns an account
//! event into an alert with a reason, a suggested action, a priority and a deadline.
//! The first rule that matches an event wins; an event no rule matches raises no alert.

use super::event::{EventKind, NewEvent};
use super::task::Priority;
use crate::closed_enum;
use crate::invalid::Invalid;
use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};

/// Most rules one version may hold.
pub const MAX_RULES: usize = 50;
/// Most keywords one rule may look for.
const MAX_KEYWORDS: usize = 20;
/// Longest keyword.
const MAX_KEYWORD: usize = 40;
/// Longest rule code.
const MAX_CODE: usize = 40;
/// Longest reason.
const MAX_REASON: usize = 200;
/// Longest deadline: 30 days.
const MAX_DEADLINE_HOURS: i64 = 720;

closed_enum!(
    /// What the relationship manager is advised to do about an alert.
    SuggestedAction {
        MortgageOffer = "mortgage_offer",
        RetentionCall = "retention_call",
        WealthReview = "wealth_review",
        CardRenewal = "card_renewal",
        WelcomeCall = "welcome_call",
        ProductReview = "product_review",
    }
);

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AlertRule {
    /// A stable name (`property_purchase`), `a-z 0-9 _`, unique in the document.
    pub code: String,
    /// The kind of event it looks at.
    pub event_type: EventKind,
    /// The least amount that matches (same currency only), for kinds with an amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<Money>,
    /// When not empty, the event's description must contain one of these
    /// (case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub description_contains_any: Vec<String>,
    /// Why the alert matters, as the relationship manager reads it.
    pub reason: String,
    /// What to do about it.
    pub suggested_action: SuggestedAction,
    /// How urgent.
    pub priority: Priority,
    /// Hours from the alert's creation until it is overdue unacknowledged.
    pub deadline_hours: i64,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AlertRules {
    /// In order: the first that matches wins.
    pub rules: Vec<AlertRule>,
}

/// What an event's matching rule decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The rule's code.
    pub rule: String,
    /// Its reason.
    pub reason: String,
    /// Its suggested action.
    pub suggested_action: SuggestedAction,
    /// Its priority.
    pub priority: Priority,
    /// Its deadline in milliseconds.
    pub deadline_millis: i64,
}

fn cny(minor: i64) -> Option<Money> {
    Currency::parse("CNY").map(|c| Money::new(minor, c))
}

// One row of the default table: positional on purpose, read as a table.
#[allow(clippy::too_many_arguments)]
fn rule(
    code: &str,
    event_type: EventKind,
    min_amount: Option<Money>,
    keywords: &[&str],
    reason: &str,
    suggested_action: SuggestedAction,
    priority: Priority,
    deadline_hours: i64,
) -> AlertRule {
    AlertRule {
        code: code.into(),
        event_type,
        min_amount,
        description_contains_any: keywords.iter().map(|k| (*k).to_owned()).collect(),
        reason: reason.into(),
        suggested_action,
        priority,
        deadline_hours,
    }
}

impl AlertRules {
    /// Version 1, documented in `docs/engagement.md` (the migration stores this text).
    pub fn default_rules() -> AlertRules {
        use EventKind as E;
        use Priority as P;
        use SuggestedAction as S;
        AlertRules {
            rules: vec![
                rule(
                    "property_purchase",
                    E::LargeWithdrawal,
                    cny(20_000_000),
                    &[
                        "property",
                        "house",
                        "home",
                        "apartment",
                        "flat",
                        "mortgage",
                        "房",
                    ],
                    "Large withdrawal described as a property purchase",
                    S::MortgageOffer,
                    P::High,
                    48,
                ),
                rule(
                    "large_withdrawal",
                    E::LargeWithdrawal,
                    cny(20_000_000),
                    &[],
                    "Large withdrawal: funds may be leaving the bank",
                    S::RetentionCall,
                    P::High,
                    48,
                ),
                rule(
                    "large_deposit",
                    E::LargeDeposit,
                    cny(50_000_000),
                    &[],
                    "Large deposit: idle funds to invest",
                    S::WealthReview,
                    P::Normal,
                    72,
                ),
                rule(
                    "salary_stopped",
                    E::SalaryStopped,
                    None,
                    &[],
                    "Salary no longer paid in: the main account may be moving",
                    S::RetentionCall,
                    P::Urgent,
                    24,
                ),
                rule(
                    "balance_drop",
                    E::BalanceDrop,
                    cny(10_000_000),
                    &[],
                    "Balances fell sharply",
                    S::RetentionCall,
                    P::High,
                    72,
                ),
                rule(
                    "card_expiring",
                    E::CardExpiring,
                    None,
                    &[],
                    "A card is about to expire",
                    S::CardRenewal,
                    P::Low,
                    168,
                ),
                rule(
                    "product_closed",
                    E::ProductClosed,
                    None,
                    &[],
                    "A product was closed",
                    S::RetentionCall,
                    P::High,
                    48,
                ),
                rule(
                    "product_opened",
                    E::ProductOpened,
                    None,
                    &[],
                    "A new product was opened",
                    S::WelcomeCall,
                    P::Low,
                    168,
                ),
            ],
        }
    }

    /// The document, or every problem it has (paths like `rules[2].reason`).
    pub fn validated(self) -> Result<AlertRules, Vec<Invalid>> {
        let mut errors = Vec::new();
        if self.rules.is_empty() || self.rules.len() > MAX_RULES {
            errors.push(Invalid::new(
                "rules",
                format!("must hold 1 to {MAX_RULES} rules"),
            ));
        }
        let mut codes: Vec<&str> = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let at = |f: &str| format!("rules[{i}].{f}");
            let code_ok = (1..=MAX_CODE).contains(&r.code.len())
                && r.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !code_ok {
                errors.push(Invalid::new(
                    at("code"),
                    format!("must be 1 to {MAX_CODE} characters of a-z 0-9 _"),
                ));
            } else if codes.contains(&r.code.as_str()) {
                errors.push(Invalid::new(at("code"), "is used by an earlier rule"));
            }
            codes.push(&r.code);
            match r.min_amount {
                Some(_) if !r.event_type.has_amount() => errors.push(Invalid::new(
                    at("minAmount"),
                    format!("does not apply to {}", r.event_type),
                )),
                Some(m) if !m.is_positive() => {
                    errors.push(Invalid::new(at("minAmount"), "must be positive"));
                }
                _ => {}
            }
            if r.description_contains_any.len() > MAX_KEYWORDS {
                errors.push(Invalid::new(
                    at("descriptionContainsAny"),
                    format!("must hold at most {MAX_KEYWORDS} keywords"),
                ));
            }
            for (k, word) in r.description_contains_any.iter().enumerate() {
                let blank = word.trim().is_empty();
                if blank || word.chars().count() > MAX_KEYWORD || word.chars().any(char::is_control)
                {
                    errors.push(Invalid::new(
                        format!("rules[{i}].descriptionContainsAny[{k}]"),
                        format!("must be 1 to {MAX_KEYWORD} characters"),
                    ));
                }
            }
            if r.reason.trim().is_empty()
                || r.reason.chars().count() > MAX_REASON
                || r.reason.chars().any(char::is_control)
            {
                errors.push(Invalid::new(
                    at("reason"),
                    format!("must be 1 to {MAX_REASON} characters"),
                ));
            }
            if !(1..=MAX_DEADLINE_HOURS).contains(&r.deadline_hours) {
                errors.push(Invalid::new(
                    at("deadlineHours"),
                    format!("must be from 1 to {MAX_DEADLINE_HOURS}"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    /// The first rule `event` matches, if any.
    pub fn evaluate(&self, event: &NewEvent) -> Option<Match> {
        self.rules.iter().find(|r| r.matches(event)).map(|r| Match {
            rule: r.code.clone(),
            reason: r.reason.trim().to_owned(),
            suggested_action: r.suggested_action,
            priority: r.priority,
            deadline_millis: r.deadline_hours * 3_600_000,
        })
    }
}

impl AlertRule {
    /// Whether this rule raises an alert for `event`.
    pub fn matches(&self, event: &NewEvent) -> bool {
        if self.event_type != event.kind {
            return false;
        }
        if let Some(min) = self.min_amount {
            match event.amount {
                Some(a) if a.currency == min.currency && a.minor_units >= min.minor_units => {}
                _ => return false,
            }
        }
        if self.description_contains_any.is_empty() {
            return true;
        }
        let Some(text) = event.description.as_deref() else {
            return false;
        };
        let text = text.to_lowercase();
        self.description_contains_any
            .iter()
            .any(|k| text.contains(&k.trim().to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::CustomerId;
    use crate::time::Timestamp;

    fn event(kind: EventKind, amount: Option<i64>, description: Option<&str>) -> NewEvent {
        NewEvent {
            id: "e1".into(),
            kind,
            customer_id: CustomerId::parse("cus_01KAT0000000000000000000AB").expect("id"),
            amount: amount.and_then(cny),
            description: description.map(str::to_owned),
            occurred_at: Timestamp::from_unix_millis(1_764_000_000_000),
        }
    }

    fn code(event: &NewEvent) -> Option<String> {
        AlertRules::default_rules().evaluate(event).map(|m| m.rule)
    }

    #[test]
    fn the_default_rules_are_valid() {
        assert!(AlertRules::default_rules().validated().is_ok());
    }

    #[test]
    fn a_large_withdrawal_for_a_home_becomes_a_mortgage_conversation() {
        let e = event(
            EventKind::LargeWithdrawal,
            Some(80_000_000),
            Some("Transfer to developer for HOUSE purchase"),
        );
        let m = AlertRules::default_rules().evaluate(&e).expect("alert");
        assert_eq!(m.rule, "property_purchase");
        assert_eq!(m.suggested_action, SuggestedAction::MortgageOffer);
        assert_eq!(m.deadline_millis, 48 * 3_600_000);
    }

    #[test]
    fn a_large_withdrawal_without_a_property_narrative_is_a_retention_call() {
        let e = event(
            EventKind::LargeWithdrawal,
            Some(80_000_000),
            Some("transfer"),
        );
        assert_eq!(code(&e).as_deref(), Some("large_withdrawal"));
        let e = event(EventKind::LargeWithdrawal, Some(80_000_000), None);
        assert_eq!(code(&e).as_deref(), Some("large_withdrawal"));
    }

    #[test]
    fn an_amount_below_the_threshold_raises_nothing_and_the_threshold_itself_does() {
        assert_eq!(
            code(&event(EventKind::LargeWithdrawal, Some(19_999_999), None)),
            None
        );
        assert!(code(&event(EventKind::LargeWithdrawal, Some(20_000_000), None)).is_some());
        assert_eq!(
            code(&event(EventKind::LargeDeposit, Some(49_999_999), None)),
            None
        );
        assert_eq!(
            code(&event(EventKind::LargeDeposit, Some(50_000_000), None)).as_deref(),
            Some("large_deposit")
        );
    }

    #[test]
    fn an_amount_in_another_currency_never_matches_a_threshold() {
        let mut e = event(EventKind::LargeWithdrawal, Some(90_000_000), None);
        e.amount = Currency::parse("USD").map(|c| Money::new(90_000_000, c));
        assert_eq!(code(&e), None);
    }

    #[test]
    fn each_kind_without_an_amount_has_its_own_default_rule() {
        for (kind, expected) in [
            (EventKind::SalaryStopped, SuggestedAction::RetentionCall),
            (EventKind::CardExpiring, SuggestedAction::CardRenewal),
            (EventKind::ProductClosed, SuggestedAction::RetentionCall),
            (EventKind::ProductOpened, SuggestedAction::WelcomeCall),
        ] {
            let m = AlertRules::default_rules()
                .evaluate(&event(kind, None, None))
                .expect("alert");
            assert_eq!(m.suggested_action, expected, "{kind}");
        }
    }

    #[test]
    fn a_document_with_every_kind_of_mistake_reports_each_with_its_path() {
        let mut rules = AlertRules::default_rules();
        rules.rules[1].code = "property_purchase".into();
        rules.rules[3].min_amount = cny(5);
        rules.rules[2].deadline_hours = 0;
        rules.rules[0].reason = " ".into();
        rules.rules[0].description_contains_any.push(String::new());
        let fields: Vec<String> = rules
            .validated()
            .expect_err("refused")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "rules[0].descriptionContainsAny[7]",
                "rules[0].reason",
                "rules[1].code",
                "rules[2].deadlineHours",
                "rules[3].minAmount",
            ]
        );
        let empty = AlertRules { rules: vec![] }.validated();
        assert_eq!(empty.expect_err("empty")[0].field, "rules");
    }
}
