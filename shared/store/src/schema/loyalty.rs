//! Tables owned by the loyalty service.
//!
//! `loyalty_entries` is the ledger: append-only (triggers refuse UPDATE and DELETE), the
//! balance is the sum of its points. Everything else is derived from it and written in
//! the same transaction as the entry it follows:
//! - `loyalty_lots`: what is left of each earn, so that spendable points and FIFO
//!   draws read only open lots; `remaining = points + Σ allocations` for every lot.
//! - `loyalty_allocations`: which lots each entry took from or gave back to (append-only).
//! - `loyalty_accounts`: the cached balance (= Σ entries, `CHECK >= 0`), lifetime
//!   earned, and the tier as evaluated at the last write (for read models).
//! - `loyalty_tier_months`: tier-qualifying points per calendar month, so that a
//!   tier read sums at most a few dozen rows instead of a year of entries.
//!
//! Version 2 narrows the ledger's append-only trigger by one exception, the erasure's
//! redaction (`crate::erasure::loyalty`): once the customer is erased, an entry's
//! `reason` may be replaced by [`crate::erasure::REDACTED`]; points, balances and every
//! other column stay as booked.

use crate::Migration;

/// Migrations owned by loyalty, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[LOYALTY_LEDGER, LEDGER_APPEND_ONLY_EXCEPT_ERASURE];

const LOYALTY_LEDGER: Migration = Migration {
    owner: "loyalty",
    version: 1,
    name: "loyalty_ledger",
    statements: &[
        "CREATE TABLE loyalty_rules (
            version    INTEGER PRIMARY KEY,
            document   TEXT    NOT NULL,
            actor      TEXT,
            created_at INTEGER NOT NULL
        ) STRICT",
        // Version 1 is the documented defaults (docs/loyalty.md); the loyalty
        // component's tests check that this text equals `Rules::default_rules()`.
        r#"INSERT INTO loyalty_rules (version, document, actor, created_at) VALUES (1,
            '{"earning":{"card_spend":{"basis":"amount","per":{"amount":1000,"currency":"CNY"},"points":1,"tierQualifying":true,"tierMultiplier":true},"salary_deposit":{"basis":"fixed","points":200,"tierQualifying":true,"tierMultiplier":true},"product_purchase":{"basis":"fixed","points":500,"tierQualifying":true,"tierMultiplier":true},"referral":{"basis":"fixed","points":1000,"tierQualifying":false,"tierMultiplier":false},"campaign":{"basis":"given","maxPoints":50000,"tierQualifying":false,"tierMultiplier":false}},"tiers":[{"name":"silver","threshold":0,"multiplierBp":10000},{"name":"gold","threshold":5000,"multiplierBp":12500},{"name":"platinum","threshold":20000,"multiplierBp":15000}],"expiryMonths":24,"downgrade":{"policy":"retain","retainMonths":12}}',
            'system', CAST(unixepoch('subsec') * 1000 AS INTEGER))"#,
        "CREATE TABLE loyalty_accounts (
            customer_id       TEXT    PRIMARY KEY,
            balance           INTEGER NOT NULL CHECK (balance >= 0),
            lifetime_earned   INTEGER NOT NULL,
            entry_count       INTEGER NOT NULL,
            last_seq          INTEGER NOT NULL,
            tier              TEXT    NOT NULL,
            tier_evaluated_at INTEGER NOT NULL,
            created_at        INTEGER NOT NULL,
            updated_at        INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID",
        // `seq` orders the ledger (and FIFO) and is never exposed; `id` is the public id.
        "CREATE TABLE loyalty_entries (
            seq             INTEGER PRIMARY KEY,
            id              TEXT    NOT NULL UNIQUE,
            customer_id     TEXT    NOT NULL REFERENCES loyalty_accounts (customer_id),
            kind            TEXT    NOT NULL
                CHECK (kind IN ('earn','redeem','expire','reverse','adjust')),
            points          INTEGER NOT NULL,
            balance_after   INTEGER NOT NULL CHECK (balance_after >= 0),
            event_type      TEXT CHECK (event_type IN
                ('card_spend','salary_deposit','product_purchase','referral','campaign')),
            amount_minor    INTEGER,
            currency        TEXT,
            base_points     INTEGER,
            multiplier_bp   INTEGER,
            reference       TEXT,
            reward_code     TEXT,
            expires_at      INTEGER,
            as_of           INTEGER,
            reverses_id     TEXT    UNIQUE REFERENCES loyalty_entries (id),
            reason          TEXT,
            actor           TEXT,
            rule_version    INTEGER NOT NULL REFERENCES loyalty_rules (version),
            tier_points     INTEGER NOT NULL,
            tier_at         INTEGER NOT NULL,
            lifetime_points INTEGER NOT NULL,
            created_at      INTEGER NOT NULL,
            UNIQUE (customer_id, kind, reference),
            CHECK ((kind = 'earn') = (event_type IS NOT NULL)),
            CHECK ((kind = 'reverse') = (reverses_id IS NOT NULL)),
            CHECK (kind <> 'earn' OR points >= 0),
            CHECK (kind NOT IN ('redeem','expire') OR points < 0),
            CHECK (kind <> 'adjust' OR points <> 0)
        ) STRICT",
        "CREATE INDEX loyalty_entries_ledger ON loyalty_entries (customer_id, seq)",
        "CREATE INDEX loyalty_entries_ledger_kind ON loyalty_entries (customer_id, kind, seq)",
        "CREATE INDEX loyalty_entries_tier ON loyalty_entries (customer_id, tier_at, tier_points)
            WHERE tier_points <> 0",
        "CREATE TRIGGER loyalty_entries_no_update BEFORE UPDATE ON loyalty_entries
            BEGIN SELECT RAISE(ABORT, 'loyalty_entries is append-only'); END",
        "CREATE TRIGGER loyalty_entries_no_delete BEFORE DELETE ON loyalty_entries
            BEGIN SELECT RAISE(ABORT, 'loyalty_entries is append-only'); END",
        "CREATE TABLE loyalty_lots (
            earn_id     TEXT    PRIMARY KEY REFERENCES loyalty_entries (id),
            customer_id TEXT    NOT NULL,
            seq         INTEGER NOT NULL,
            points      INTEGER NOT NULL CHECK (points > 0),
            remaining   INTEGER NOT NULL CHECK (remaining BETWEEN 0 AND points),
            expires_at  INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID",
        // Open lots only: fully used or expired lots drop out of every hot read.
        "CREATE INDEX loyalty_lots_fifo ON loyalty_lots (customer_id, seq, expires_at, remaining)
            WHERE remaining > 0",
        "CREATE INDEX loyalty_lots_due ON loyalty_lots (customer_id, expires_at, remaining)
            WHERE remaining > 0",
        "CREATE INDEX loyalty_lots_due_all ON loyalty_lots (expires_at, customer_id)
            WHERE remaining > 0",
        "CREATE TABLE loyalty_allocations (
            entry_id TEXT    NOT NULL REFERENCES loyalty_entries (id),
            earn_id  TEXT    NOT NULL REFERENCES loyalty_lots (earn_id),
            points   INTEGER NOT NULL CHECK (points <> 0),
            PRIMARY KEY (entry_id, earn_id)
        ) STRICT, WITHOUT ROWID",
        "CREATE INDEX loyalty_allocations_by_earn ON loyalty_allocations (earn_id, entry_id)",
        "CREATE TRIGGER loyalty_allocations_no_update BEFORE UPDATE ON loyalty_allocations
            BEGIN SELECT RAISE(ABORT, 'loyalty_allocations is append-only'); END",
        "CREATE TRIGGER loyalty_allocations_no_delete BEFORE DELETE ON loyalty_allocations
            BEGIN SELECT RAISE(ABORT, 'loyalty_allocations is append-only'); END",
        "CREATE TABLE loyalty_tier_months (
            customer_id TEXT    NOT NULL,
            month       INTEGER NOT NULL,
            points      INTEGER NOT NULL,
            PRIMARY KEY (customer_id, month)
        ) STRICT, WITHOUT ROWID",
    ],
};

const LEDGER_APPEND_ONLY_EXCEPT_ERASURE: Migration = Migration {
    owner: "loyalty",
    version: 2,
    name: "ledger_append_only_except_erasure",
    statements: &[
        "DROP TRIGGER loyalty_entries_no_update",
        "CREATE TRIGGER loyalty_entries_no_update BEFORE UPDATE ON loyalty_entries
        WHEN NOT (
            (SELECT status FROM customers WHERE id = OLD.customer_id) = 'erased'
            AND NEW.reason IS (CASE WHEN OLD.reason IS NULL THEN NULL ELSE '[erased]' END)
            AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id
            AND NEW.customer_id IS OLD.customer_id AND NEW.kind IS OLD.kind
            AND NEW.points IS OLD.points AND NEW.balance_after IS OLD.balance_after
            AND NEW.event_type IS OLD.event_type AND NEW.amount_minor IS OLD.amount_minor
            AND NEW.currency IS OLD.currency AND NEW.base_points IS OLD.base_points
            AND NEW.multiplier_bp IS OLD.multiplier_bp AND NEW.reference IS OLD.reference
            AND NEW.reward_code IS OLD.reward_code AND NEW.expires_at IS OLD.expires_at
            AND NEW.as_of IS OLD.as_of AND NEW.reverses_id IS OLD.reverses_id
            AND NEW.actor IS OLD.actor AND NEW.rule_version IS OLD.rule_version
            AND NEW.tier_points IS OLD.tier_points AND NEW.tier_at IS OLD.tier_at
            AND NEW.lifetime_points IS OLD.lifetime_points
            AND NEW.created_at IS OLD.created_at)
        BEGIN SELECT RAISE(ABORT, 'loyalty_entries is append-only'); END",
    ],
};
