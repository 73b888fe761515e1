//! The ledger's operations over rusqlite with the real migrations and explicit clocks:
//! earning rules, FIFO consumption, expiry at the exact instant, reversal rules and
//! tiers. (Concurrency and the random-sequence property live in `invariants.rs`.)

mod common;

use common::{Ledger, ts};
use crm_domain::loyalty::{EntryKind, Rules};
use crm_domain::time::Timestamp;
use loyalty::account;
use loyalty::ledger::Refusal;
use loyalty::repo;

#[test]
fn an_earn_applies_the_rules_in_force_and_the_customers_tier_multiplier() {
    let l = Ledger::new("loy-earn-rules");
    let c = l.customer("active");
    let first = l.earn(&c, 6_000_000, "t1", ts("2026-01-10T09:00:00Z"));
    assert_eq!((first.points, first.base_points), (6_000, Some(6_000)));
    assert_eq!(first.multiplier_bp, Some(10_000), "silver earns ×1");
    assert_eq!(first.rule_version, 1);
    assert_eq!(first.expires_at, Some(ts("2028-01-10T09:00:00Z")));

    let second = l.earn(&c, 100_000, "t2", ts("2026-01-11T09:00:00Z"));
    assert_eq!(second.base_points, Some(100));
    assert_eq!(second.points, 125, "gold now: ×1.25");
    assert_eq!(second.tier_points, 100, "tiers count base points only");
    assert_eq!(l.assert_consistent(&c), 6_125);
}

#[test]
fn an_event_below_the_earning_step_books_zero_points_and_opens_no_lot() {
    let l = Ledger::new("loy-earn-zero");
    let c = l.customer("active");
    let entry = l.earn(&c, 999, "small", ts("2026-01-10T09:00:00Z"));
    assert_eq!(entry.points, 0);
    assert_eq!(l.column("SELECT count(*) FROM loyalty_lots"), ["0"]);
    assert_eq!(l.assert_consistent(&c), 0);
}

#[test]
fn a_redemption_draws_the_oldest_earns_first_and_names_each_one() {
    let l = Ledger::new("loy-fifo");
    let c = l.customer("active");
    let e1 = l.bonus(&c, 100, "b1", ts("2026-01-01T00:00:00Z"));
    let e2 = l.bonus(&c, 200, "b2", ts("2026-01-02T00:00:00Z"));
    let e3 = l.bonus(&c, 300, "b3", ts("2026-01-03T00:00:00Z"));

    let r = l
        .redeem(&c, 250, "r1", ts("2026-01-04T00:00:00Z"))
        .expect("covered");

    let drawn: Vec<(String, i64)> = r
        .allocations
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.earn_id, a.points))
        .collect();
    assert_eq!(drawn, [(e1.id.clone(), -100), (e2.id.clone(), -150)]);
    assert_eq!(r.points, -250);
    assert_eq!(r.balance_after, 350);
    let remaining = |id: &str| {
        l.column(&format!(
            "SELECT remaining FROM loyalty_lots WHERE earn_id = '{id}'"
        ))
    };
    assert_eq!(remaining(&e1.id), ["0"]);
    assert_eq!(remaining(&e2.id), ["50"]);
    assert_eq!(remaining(&e3.id), ["300"]);
    assert_eq!(l.assert_consistent(&c), 350);
}

#[test]
fn a_redemption_beyond_the_spendable_balance_is_refused_and_writes_nothing() {
    let l = Ledger::new("loy-over");
    let c = l.customer("active");
    l.bonus(&c, 100, "b1", ts("2026-01-01T00:00:00Z"));
    let refused = l.redeem(&c, 101, "r1", ts("2026-01-02T00:00:00Z"));
    assert!(matches!(
        refused,
        Err(Refusal::Insufficient {
            available: 100,
            requested: 101
        })
    ));
    assert_eq!(l.column("SELECT count(*) FROM loyalty_entries"), ["1"]);
    assert_eq!(l.column("SELECT count(*) FROM loyalty_allocations"), ["0"]);
    assert_eq!(l.assert_consistent(&c), 100);
}

#[test]
fn points_are_spendable_until_the_millisecond_before_their_expiry_instant() {
    let l = Ledger::new("loy-expiry-instant");
    let c = l.customer("active");
    let earned = l.bonus(&c, 100, "b1", ts("2026-01-15T10:00:00Z"));
    let expires = ts("2028-01-15T10:00:00Z");
    assert_eq!(earned.expires_at, Some(expires));

    assert_eq!(l.spendable(&c, expires.plus_millis(-1)), 100);
    assert_eq!(l.spendable(&c, expires), 0);
    let at_instant = l.redeem(&c, 1, "r1", expires);
    assert!(
        matches!(at_instant, Err(Refusal::Insufficient { available: 0, .. })),
        "expired points are never spendable, even before any expiry run: {at_instant:?}"
    );
    let view = account::view(l.db(), &c, expires).expect("view");
    assert_eq!(
        (view.balance, view.ledger_balance, view.pending_expiry),
        (0, 100, 100)
    );
    let before = l.redeem(&c, 100, "r2", expires.plus_millis(-1));
    assert!(
        before.is_ok(),
        "the last millisecond still spends: {before:?}"
    );
}

#[test]
fn an_expiry_run_writes_off_due_points_at_the_exact_instant_and_only_once() {
    let l = Ledger::new("loy-expiry-run");
    let c = l.customer("active");
    let e1 = l.bonus(&c, 100, "b1", ts("2026-01-15T10:00:00Z"));
    l.bonus(&c, 40, "b2", ts("2026-02-01T00:00:00Z"));
    l.redeem(&c, 30, "r1", ts("2026-03-01T00:00:00Z"))
        .expect("covered");
    let expires = ts("2028-01-15T10:00:00Z");
    let later = ts("2028-06-01T00:00:00Z");

    assert!(l.expire(&c, expires.plus_millis(-1), later).is_none());
    let written = l.expire(&c, expires, later).expect("70 points are due");
    assert_eq!(written.kind, EntryKind::Expire);
    assert_eq!(
        written.points, -70,
        "only what the redemption left of the lot"
    );
    assert_eq!(written.as_of, Some(expires));
    let drawn: Vec<(String, i64)> = written
        .allocations
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.earn_id, a.points))
        .collect();
    assert_eq!(drawn, [(e1.id, -70)]);

    assert!(
        l.expire(&c, expires, later).is_none(),
        "the same asOf twice writes nothing"
    );
    assert_eq!(
        l.column("SELECT count(*) FROM loyalty_entries WHERE kind = 'expire'"),
        ["1"]
    );
    assert_eq!(
        l.spendable(&c, later),
        0,
        "the February lot expired too by now"
    );
    assert_eq!(l.assert_consistent(&c), 40);
}

#[test]
fn a_redemption_skips_lots_past_their_instant_even_before_an_expiry_run() {
    let l = Ledger::new("loy-skip-expired");
    let c = l.customer("active");
    l.bonus(&c, 100, "old", ts("2026-01-01T00:00:00Z"));
    let fresh = l.bonus(&c, 50, "new", ts("2027-06-01T00:00:00Z"));
    let r = l
        .redeem(&c, 50, "r1", ts("2028-01-01T00:00:00Z"))
        .expect("the fresh lot covers it");
    let drawn = r.allocations.unwrap_or_default();
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0].earn_id, fresh.id);
}

#[test]
fn reversing_an_unspent_earn_takes_its_points_back_and_its_tier_credit_with_them() {
    let l = Ledger::new("loy-reverse-earn");
    let c = l.customer("active");
    let earn = l.earn(&c, 6_000_000, "t1", ts("2026-01-10T09:00:00Z"));
    let now = ts("2026-01-20T00:00:00Z");
    assert_eq!(account::view(l.db(), &c, now).expect("view").tier, "gold");

    let reversal = l.reverse(&earn.id, now).expect("allowed");

    assert_eq!(reversal.points, -6_000);
    assert_eq!(reversal.reverses_id.as_deref(), Some(earn.id.as_str()));
    assert_eq!(reversal.tier_points, -6_000);
    let view = account::view(l.db(), &c, now).expect("view");
    assert_eq!((view.balance, view.tier.as_str()), (0, "silver"));
    assert_eq!((view.tier_qualifying_points, view.lifetime_earned), (0, 0));
    assert_eq!(l.entry(&earn.id).reversed_by, Some(reversal.id));
    assert_eq!(l.assert_consistent(&c), 0);
}

#[test]
fn reversing_a_spent_earn_takes_the_spent_part_from_the_other_lots_oldest_first() {
    let l = Ledger::new("loy-reverse-spent");
    let c = l.customer("active");
    let older = l.bonus(&c, 300, "b0", ts("2026-01-01T00:00:00Z"));
    let target = l.bonus(&c, 100, "b1", ts("2026-01-02T00:00:00Z"));
    let newer = l.bonus(&c, 500, "b2", ts("2026-01-03T00:00:00Z"));
    // Drains `older` (300) and 60 of `target`.
    l.redeem(&c, 360, "r1", ts("2026-01-04T00:00:00Z"))
        .expect("covered");

    let reversal = l
        .reverse(&target.id, ts("2026-01-05T00:00:00Z"))
        .expect("spendable 540 covers 100");

    let drawn: Vec<(String, i64)> = reversal
        .allocations
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.earn_id, a.points))
        .collect();
    assert_eq!(drawn, [(target.id, -40), (newer.id, -60)]);
    assert!(!drawn.iter().any(|(id, _)| *id == older.id));
    assert_eq!(l.assert_consistent(&c), 440);
}

#[test]
fn reversing_a_spent_earn_beyond_the_spendable_balance_is_refused_and_writes_nothing() {
    let l = Ledger::new("loy-reverse-too-much");
    let c = l.customer("active");
    let target = l.bonus(&c, 100, "b1", ts("2026-01-01T00:00:00Z"));
    l.bonus(&c, 50, "b2", ts("2026-01-02T00:00:00Z"));
    l.redeem(&c, 100, "r1", ts("2026-01-03T00:00:00Z"))
        .expect("covered");

    let refused = l.reverse(&target.id, ts("2026-01-04T00:00:00Z"));

    assert!(
        matches!(
            refused,
            Err(Refusal::Insufficient {
                available: 50,
                requested: 100
            })
        ),
        "{refused:?}"
    );
    assert_eq!(
        l.column("SELECT count(*) FROM loyalty_entries WHERE kind = 'reverse'"),
        ["0"]
    );
    assert_eq!(l.assert_consistent(&c), 50);
}

#[test]
fn reversing_an_earn_does_not_charge_for_its_expired_points() {
    let l = Ledger::new("loy-reverse-expired");
    let c = l.customer("active");
    let target = l.bonus(&c, 100, "b1", ts("2026-01-01T00:00:00Z"));
    l.bonus(&c, 500, "b2", ts("2027-12-01T00:00:00Z"));
    l.redeem(&c, 30, "r1", ts("2026-02-01T00:00:00Z"))
        .expect("covered");
    let after_expiry = ts("2028-02-01T00:00:00Z");
    l.expire(&c, ts("2028-01-01T00:00:00Z"), after_expiry)
        .expect("70 expire");

    let reversal = l.reverse(&target.id, after_expiry).expect("allowed");

    assert_eq!(reversal.points, -30, "only the redeemed 30 come back out");
    assert_eq!(l.assert_consistent(&c), 470);
}

#[test]
fn reversing_a_redemption_restores_its_points_to_their_lots_and_their_old_expiry() {
    let l = Ledger::new("loy-reverse-redeem");
    let c = l.customer("active");
    let soon = l.bonus(&c, 100, "b1", ts("2026-01-01T00:00:00Z"));
    let late = l.bonus(&c, 100, "b2", ts("2026-06-01T00:00:00Z"));
    let r = l
        .redeem(&c, 150, "r1", ts("2026-07-01T00:00:00Z"))
        .expect("covered");

    // After `soon` expired (2028-01-01) but before `late` (2028-06-01).
    let reversal = l
        .reverse(&r.id, ts("2028-03-01T00:00:00Z"))
        .expect("allowed");

    let back: Vec<(String, i64)> = reversal
        .allocations
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.earn_id, a.points))
        .collect();
    assert_eq!(
        back,
        [(late.id.clone(), 50)],
        "the expired lot's share is not restored"
    );
    assert!(!back.iter().any(|(id, _)| *id == soon.id));
    assert_eq!(reversal.points, 50);
    let restored_expiry = l.column(&format!(
        "SELECT expires_at FROM loyalty_lots WHERE earn_id = '{}'",
        late.id
    ));
    assert_eq!(
        restored_expiry,
        [ts("2028-06-01T00:00:00Z").unix_millis().to_string()]
    );
    assert_eq!(l.assert_consistent(&c), 100);
}

#[test]
fn an_entry_is_reversed_at_most_once() {
    let l = Ledger::new("loy-reverse-once");
    let c = l.customer("active");
    let earn = l.bonus(&c, 100, "b1", ts("2026-01-01T00:00:00Z"));
    let first = l
        .reverse(&earn.id, ts("2026-01-02T00:00:00Z"))
        .expect("allowed");
    let second = l.reverse(&earn.id, ts("2026-01-03T00:00:00Z"));
    assert!(
        matches!(&second, Err(Refusal::AlreadyReversed(by)) if *by == first.id),
        "{second:?}"
    );
    assert_eq!(l.assert_consistent(&c), 0);
}

#[test]
fn expiries_and_reversals_cannot_be_reversed() {
    let l = Ledger::new("loy-not-reversible");
    let c = l.customer("active");
    let earn = l.bonus(&c, 100, "b1", ts("2026-01-01T00:00:00Z"));
    let reversal = l
        .reverse(&earn.id, ts("2026-01-02T00:00:00Z"))
        .expect("allowed");
    assert!(matches!(
        l.reverse(&reversal.id, ts("2026-01-03T00:00:00Z")),
        Err(Refusal::NotReversible(_))
    ));

    let other = l.customer("active");
    l.bonus(&other, 10, "b1", ts("2026-01-01T00:00:00Z"));
    let expiry = l
        .expire(
            &other,
            ts("2028-01-01T00:00:00Z"),
            ts("2028-01-02T00:00:00Z"),
        )
        .expect("due");
    assert!(matches!(
        l.reverse(&expiry.id, ts("2028-01-03T00:00:00Z")),
        Err(Refusal::NotReversible(_))
    ));
}

#[test]
fn redeeming_never_demotes_because_tiers_count_earned_not_spendable_points() {
    let l = Ledger::new("loy-tier-redeem");
    let c = l.customer("active");
    l.earn(&c, 6_000_000, "t1", ts("2026-01-10T09:00:00Z"));
    l.redeem(&c, 6_000, "r1", ts("2026-01-11T09:00:00Z"))
        .expect("covered");
    let view = account::view(l.db(), &c, ts("2026-01-12T00:00:00Z")).expect("view");
    assert_eq!((view.balance, view.tier.as_str()), (0, "gold"));
    assert_eq!(view.tier_qualifying_points, 6_000);
    assert_eq!(
        view.next_tier.map(|n| (n.name, n.points_needed)),
        Some(("platinum".into(), 14_000))
    );
}

#[test]
fn the_rolling_window_counts_points_earned_after_now_minus_twelve_months_exactly() {
    let l = Ledger::new("loy-tier-window");
    let c = l.customer("active");
    let earned_at = ts("2026-03-15T10:00:00Z");
    l.earn(&c, 6_000_000, "t1", earned_at);
    let rolling = |now: Timestamp| {
        account::view(l.db(), &c, now)
            .expect("view")
            .tier_qualifying_points
    };
    assert_eq!(rolling(ts("2027-03-15T09:59:59.999Z")), 6_000);
    assert_eq!(
        rolling(ts("2027-03-15T10:00:00Z")),
        0,
        "the window is (now − 12 months, now]"
    );
}

#[test]
fn a_tier_kept_by_the_retain_policy_lapses_when_its_months_run_out() {
    let l = Ledger::new("loy-tier-retain");
    let c = l.customer("active");
    l.earn(&c, 6_000_000, "t1", ts("2026-03-15T10:00:00Z"));
    let at = |s: &str| account::view(l.db(), &c, ts(s)).expect("view");

    // Gold at every month end from March 2026 to February 2027, held 12 months more.
    let held = at("2027-06-01T00:00:00Z");
    assert_eq!(
        (held.tier.as_str(), held.tier_qualifying_points),
        ("gold", 0)
    );
    assert_eq!(held.tier_held_until, Some(ts("2028-03-01T00:00:00Z")));
    assert_eq!(at("2028-02-29T23:59:59.999Z").tier, "gold");
    let lapsed = at("2028-03-01T00:00:00Z");
    assert_eq!(
        (lapsed.tier.as_str(), lapsed.tier_held_until),
        ("silver", None)
    );
}

#[test]
fn the_account_lists_points_expiring_in_the_next_ninety_days() {
    let l = Ledger::new("loy-expiring");
    let c = l.customer("active");
    l.bonus(&c, 100, "b1", ts("2026-01-15T10:00:00Z"));
    l.bonus(&c, 50, "b2", ts("2026-06-15T10:00:00Z"));
    let view = account::view(l.db(), &c, ts("2027-11-01T00:00:00Z")).expect("view");
    let listed: Vec<(i64, Timestamp)> = view
        .expiring
        .iter()
        .map(|e| (e.points, e.expires_at))
        .collect();
    assert_eq!(listed, [(100, ts("2028-01-15T10:00:00Z"))]);
    assert_eq!(view.expiring_points, 100);
}

#[test]
fn the_ledger_refuses_to_change_or_delete_an_entry() {
    let l = Ledger::new("loy-append-only");
    let c = l.customer("active");
    let e = l.bonus(&c, 100, "b1", ts("2026-01-01T00:00:00Z"));
    for sql in [
        format!(
            "UPDATE loyalty_entries SET points = 1000 WHERE id = '{}'",
            e.id
        ),
        format!("DELETE FROM loyalty_entries WHERE id = '{}'", e.id),
    ] {
        let err = l.db().execute(&sql, &[]).expect_err(&sql);
        // The trigger's refusal, not any error (a typo in the statement would pass too).
        assert!(
            format!("{err:?}").contains("loyalty_entries is append-only"),
            "{sql}: {err:?}"
        );
    }
    assert_eq!(l.entry(&e.id).points, 100);
}

#[test]
fn the_seeded_rules_are_the_documented_defaults() {
    let l = Ledger::new("loy-seed");
    let seeded = repo::current_rules(l.db()).expect("rules");
    assert_eq!(seeded.version, 1);
    assert_eq!(seeded.rules, Rules::default_rules());
}

#[test]
fn an_erased_or_unknown_customer_is_not_found_and_a_closed_one_cannot_earn() {
    let l = Ledger::new("loy-customers");
    let now = ts("2026-01-01T00:00:00Z");
    let erased = l.customer("erased");
    let closed = l.customer("closed");
    for customer in [erased.as_str(), "cus_01KAT000000000000000000000"] {
        let r = l.redeem(customer, 1, "r1", now);
        assert!(matches!(r, Err(Refusal::CustomerNotFound)), "{r:?}");
    }
    assert!(matches!(
        l.redeem(&closed, 1, "r1", now),
        Err(Refusal::CustomerClosed)
    ));
}

#[test]
fn the_read_model_gives_other_services_the_standing_and_the_points_about_to_expire() {
    let l = Ledger::new("loy-read-model");
    let c = l.customer("active");
    let never = l.customer("active");
    l.earn(&c, 6_000_000, "t1", ts("2026-01-10T09:00:00Z"));
    l.redeem(&c, 1_000, "r1", ts("2026-01-11T09:00:00Z"))
        .expect("covered");
    let now = ts("2026-02-01T00:00:00Z");

    let standing = crm_store::read::loyalty::loyalty_standing(l.db(), &c, now.unix_millis())
        .expect("read")
        .expect("has an account");
    assert_eq!(standing.tier, "gold");
    assert_eq!(standing.spendable, 5_000);
    assert_eq!(standing.lifetime_earned, 6_000);
    assert_eq!(
        standing.last_activity_at,
        ts("2026-01-11T09:00:00Z").unix_millis()
    );
    let after_expiry = ts("2028-01-10T09:00:00Z").unix_millis();
    let expired = crm_store::read::loyalty::loyalty_standing(l.db(), &c, after_expiry)
        .expect("read")
        .expect("has an account");
    assert_eq!(expired.spendable, 0, "expired points are never spendable");

    let soon = crm_store::read::loyalty::points_expiring(
        l.db(),
        &c,
        ts("2027-12-15T00:00:00Z").unix_millis(),
        ts("2028-01-15T00:00:00Z").unix_millis(),
    )
    .expect("read");
    assert_eq!(soon, 5_000);
    assert_eq!(
        crm_store::read::loyalty::loyalty_standing(l.db(), &never, now.unix_millis())
            .expect("read"),
        None
    );
}
