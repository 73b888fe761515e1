//! The application workflow after the automated decision:
//!
//! ```text
//! pre_approved ─▶ accepted | expired | withdrawn
//! referred ─▶ under_review ─▶ approved | declined
//! approved ─▶ accepted | expired | withdrawn
//! declined, accepted, expired, withdrawn: final
//! ```
//!
//! An offer can be accepted or withdrawn only before it expires, and marked expired
//! only after. The underwriter who approves a referral may not be whoever created the
//! application (four eyes).

use super::ApplicationStatus::{self, *};
use crate::time::Timestamp;

/// The states `from` may move to, time aside.
pub fn allowed_next(from: ApplicationStatus) -> &'static [ApplicationStatus] {
    match from {
        PreApproved | Approved => &[Accepted, Expired, Withdrawn],
        Referred => &[UnderReview],
        UnderReview => &[Approved, Declined],
        Declined | Accepted | Expired | Withdrawn => &[],
    }
}

/// Whether an application in `status` still awaits an answer (one per customer and
/// product at a time).
pub fn is_open(status: ApplicationStatus) -> bool {
    matches!(status, PreApproved | Referred | UnderReview | Approved)
}

fn offer_lapsed(expires_at: Option<Timestamp>, now: Timestamp) -> bool {
    expires_at.is_none_or(|at| now >= at)
}

/// The status as callers should see it at `now`: an offer past its expiry is `expired`
/// even before anyone records the transition.
pub fn effective_status(
    stored: ApplicationStatus,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> ApplicationStatus {
    if matches!(stored, PreApproved | Approved) && offer_lapsed(expires_at, now) {
        Expired
    } else {
        stored
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `to` is not reachable from `from`; `allowed` is what is reachable now.
    NotAllowed {
        /// The stored state.
        from: ApplicationStatus,
        /// The state asked for.
        to: ApplicationStatus,
        /// What `from` may move to at this moment.
        allowed: Vec<ApplicationStatus>,
    },
    /// The offer expired at `expires_at`; it can only be marked `expired`.
    OfferExpired {
        /// When it expired.
        expires_at: Option<Timestamp>,
    },
    /// The offer is still open until `expires_at`.
    OfferNotExpired {
        /// When it will expire.
        expires_at: Option<Timestamp>,
    },
    /// The approver created the application.
    FourEyes,
}

/// What `from` may move to at `now`, given its offer's expiry.
pub fn allowed_now(
    from: ApplicationStatus,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Vec<ApplicationStatus> {
    let lapsed = offer_lapsed(expires_at, now);
    allowed_next(from)
        .iter()
        .copied()
        .filter(|to| match to {
            Expired => lapsed,
            Accepted | Withdrawn => !lapsed,
            _ => true,
        })
        .collect()
}

/// Checks moving an application from `from` to `to` by `actor` at `now`.
pub fn check_transition(
    from: ApplicationStatus,
    to: ApplicationStatus,
    expires_at: Option<Timestamp>,
    created_by: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<(), Refusal> {
    if !allowed_next(from).contains(&to) {
        return Err(Refusal::NotAllowed {
            from,
            to,
            allowed: allowed_now(from, expires_at, now),
        });
    }
    let lapsed = offer_lapsed(expires_at, now);
    match to {
        Accepted | Withdrawn if lapsed => Err(Refusal::OfferExpired { expires_at }),
        Expired if !lapsed => Err(Refusal::OfferNotExpired { expires_at }),
        Approved if created_by.is_some_and(|c| c.eq_ignore_ascii_case(actor)) => {
            Err(Refusal::FourEyes)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    #[test]
    fn the_full_transition_matrix_matches_the_issue() {
        // Every (from, to) pair, with an offer that has not expired and distinct actors.
        let legal: &[(ApplicationStatus, ApplicationStatus)] = &[
            (PreApproved, Accepted),
            (PreApproved, Expired),
            (PreApproved, Withdrawn),
            (Referred, UnderReview),
            (UnderReview, Approved),
            (UnderReview, Declined),
            (Approved, Accepted),
            (Approved, Expired),
            (Approved, Withdrawn),
        ];
        for from in ApplicationStatus::ALL {
            for to in ApplicationStatus::ALL {
                let expected_legal = legal.contains(&(*from, *to));
                // `expired` is only reachable once the offer lapsed; test it then.
                let now = if *to == Expired {
                    at(2_000_000)
                } else {
                    at(1_000_000)
                };
                let result = check_transition(*from, *to, Some(at(1_500_000)), Some("a"), "b", now);
                assert_eq!(result.is_ok(), expected_legal, "{from} -> {to}: {result:?}");
                if !expected_legal {
                    assert!(
                        matches!(result, Err(Refusal::NotAllowed { .. })),
                        "{from} -> {to}: {result:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn final_states_allow_nothing() {
        for from in [Declined, Accepted, Expired, Withdrawn] {
            assert!(allowed_next(from).is_empty(), "{from}");
            assert!(!is_open(from));
        }
        for from in [PreApproved, Referred, UnderReview, Approved] {
            assert!(is_open(from));
        }
    }

    #[test]
    fn a_refused_transition_names_what_is_allowed_now() {
        let refusal = check_transition(Referred, Approved, None, None, "u", at(1_000_000));
        assert_eq!(
            refusal,
            Err(Refusal::NotAllowed {
                from: Referred,
                to: Approved,
                allowed: vec![UnderReview]
            })
        );
        let expires = Some(at(2_000));
        let before = check_transition(PreApproved, UnderReview, expires, None, "u", at(1_999));
        assert!(
            matches!(before, Err(Refusal::NotAllowed { ref allowed, .. }) if allowed == &[Accepted, Withdrawn]),
            "{before:?}"
        );
        let after = check_transition(PreApproved, UnderReview, expires, None, "u", at(2_000));
        assert!(
            matches!(after, Err(Refusal::NotAllowed { ref allowed, .. }) if allowed == &[Expired]),
            "{after:?}"
        );
    }

    #[test]
    fn an_offer_is_acceptable_until_the_millisecond_before_it_expires() {
        let expires = Some(at(5_000));
        for from in [PreApproved, Approved] {
            assert_eq!(
                check_transition(from, Accepted, expires, None, "c", at(4_999)),
                Ok(())
            );
            assert_eq!(
                check_transition(from, Accepted, expires, None, "c", at(5_000)),
                Err(Refusal::OfferExpired {
                    expires_at: expires
                })
            );
            assert_eq!(
                check_transition(from, Withdrawn, expires, None, "c", at(5_001)),
                Err(Refusal::OfferExpired {
                    expires_at: expires
                })
            );
        }
    }

    #[test]
    fn an_offer_can_be_marked_expired_only_once_it_has_expired() {
        let expires = Some(at(5_000));
        assert_eq!(
            check_transition(PreApproved, Expired, expires, None, "system", at(4_999)),
            Err(Refusal::OfferNotExpired {
                expires_at: expires
            })
        );
        assert_eq!(
            check_transition(PreApproved, Expired, expires, None, "system", at(5_000)),
            Ok(())
        );
    }

    #[test]
    fn the_creator_may_not_approve_the_referral_but_another_underwriter_may() {
        let creator = Some("uw-anna");
        assert_eq!(
            check_transition(
                UnderReview,
                Approved,
                None,
                creator,
                "uw-anna",
                at(1_000_000)
            ),
            Err(Refusal::FourEyes)
        );
        assert_eq!(
            check_transition(
                UnderReview,
                Approved,
                None,
                creator,
                "UW-ANNA",
                at(1_000_000)
            ),
            Err(Refusal::FourEyes)
        );
        assert_eq!(
            check_transition(
                UnderReview,
                Approved,
                None,
                creator,
                "uw-ben",
                at(1_000_000)
            ),
            Ok(())
        );
        // Declining one's own case is not an approval: four eyes does not apply.
        assert_eq!(
            check_transition(
                UnderReview,
                Declined,
                None,
                creator,
                "uw-anna",
                at(1_000_000)
            ),
            Ok(())
        );
    }

    #[test]
    fn an_unexpired_offer_shows_its_stored_status_and_a_lapsed_one_shows_expired() {
        let expires = Some(at(5_000));
        assert_eq!(
            effective_status(PreApproved, expires, at(4_999)),
            PreApproved
        );
        assert_eq!(effective_status(PreApproved, expires, at(5_000)), Expired);
        assert_eq!(effective_status(Approved, expires, at(9_000)), Expired);
        assert_eq!(effective_status(Referred, None, at(9_000)), Referred);
        assert_eq!(effective_status(Accepted, expires, at(9_000)), Accepted);
    }
}
