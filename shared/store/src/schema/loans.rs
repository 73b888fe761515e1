//! Tables owned by the loans service.
//!
//! - `loan_policies`: every credit policy version, immutable once written (triggers
//!   refuse UPDATE and DELETE), so any decision can be replayed under the version it names.
//! - `loan_applications`: one row per application: the input snapshot and the automated
//!   decision as JSON (both immutable by convention, the replay source), and the
//!   workflow's current status, offer and optimistic-concurrency `version`. A partial
//!   UNIQUE index allows one open application per customer and product.
//! - `loan_transitions`: the append-only history of every status change (who, when,
//!   why, from, to), including the automated decision itself as the first entry.
//!
//! Version 2 narrows the history's append-only trigger by one exception, the erasure's
//! redaction (`crate::erasure::loans`): once the customer is erased, a transition's
//! `note` may be replaced by [`crate::erasure::REDACTED`]; who moved the application
//! where, and when, stays.

use crate::Migration;

/// Migrations owned by loans, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[LOAN_PREAPPROVAL, HISTORY_APPEND_ONLY_EXCEPT_ERASURE];

const LOAN_PREAPPROVAL: Migration = Migration {
    owner: "loans",
    version: 1,
    name: "loan_preapproval",
    statements: &[
        "CREATE TABLE loan_policies (
            version    INTEGER PRIMARY KEY CHECK (version >= 1),
            document   TEXT    NOT NULL,
            actor      TEXT,
            created_at INTEGER NOT NULL
        ) STRICT",
        "CREATE TRIGGER loan_policies_no_update BEFORE UPDATE ON loan_policies
            BEGIN SELECT RAISE(ABORT, 'loan_policies is append-only'); END",
        "CREATE TRIGGER loan_policies_no_delete BEFORE DELETE ON loan_policies
            BEGIN SELECT RAISE(ABORT, 'loan_policies is append-only'); END",
        // Version 1 is the documented default (docs/loan-preapproval.md); the component's
        // tests check that this text equals `Policy::default_policy()`.
        r#"INSERT INTO loan_policies (version, document, actor, created_at) VALUES (1,
            '{"currency":"CNY","offerValidityDays":30,"minEmploymentMonths":6,"counterOfferStep":{"amount":100000,"currency":"CNY"},"referral":{"scoreMargin":20,"dtiMarginBps":500,"amountMarginBps":1000},"products":{"personal":{"minAmount":{"amount":500000,"currency":"CNY"},"maxAmount":{"amount":50000000,"currency":"CNY"},"minTermMonths":6,"maxTermMonths":60,"minCreditScore":600,"maxDtiBps":4000,"rateGrid":[{"minScore":750,"annualRateBps":690},{"minScore":700,"annualRateBps":890},{"minScore":650,"annualRateBps":1190},{"minScore":600,"annualRateBps":1490}]},"auto":{"minAmount":{"amount":2000000,"currency":"CNY"},"maxAmount":{"amount":100000000,"currency":"CNY"},"minTermMonths":12,"maxTermMonths":84,"minCreditScore":620,"maxDtiBps":4500,"rateGrid":[{"minScore":750,"annualRateBps":450},{"minScore":700,"annualRateBps":590},{"minScore":660,"annualRateBps":790},{"minScore":620,"annualRateBps":990}]},"mortgage":{"minAmount":{"amount":10000000,"currency":"CNY"},"maxAmount":{"amount":1000000000,"currency":"CNY"},"minTermMonths":60,"maxTermMonths":360,"minCreditScore":660,"maxDtiBps":5000,"rateGrid":[{"minScore":760,"annualRateBps":390},{"minScore":720,"annualRateBps":420},{"minScore":680,"annualRateBps":460},{"minScore":660,"annualRateBps":520}]},"credit_card":{"minAmount":{"amount":100000,"currency":"CNY"},"maxAmount":{"amount":10000000,"currency":"CNY"},"minTermMonths":1,"maxTermMonths":36,"minCreditScore":580,"maxDtiBps":4000,"rateGrid":[{"minScore":740,"annualRateBps":1200},{"minScore":680,"annualRateBps":1500},{"minScore":580,"annualRateBps":1800}]}}}',
            'system', CAST(unixepoch('subsec') * 1000 AS INTEGER))"#,
        "CREATE TABLE loan_applications (
            id              TEXT    PRIMARY KEY,
            customer_id     TEXT    NOT NULL,
            product         TEXT    NOT NULL
                CHECK (product IN ('personal','auto','mortgage','credit_card')),
            status          TEXT    NOT NULL CHECK (status IN ('pre_approved','referred',
                'under_review','approved','declined','accepted','expired','withdrawn')),
            decision_status TEXT    NOT NULL
                CHECK (decision_status IN ('pre_approved','referred','declined')),
            policy_version  INTEGER NOT NULL REFERENCES loan_policies (version),
            amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
            currency        TEXT    NOT NULL,
            term_months     INTEGER NOT NULL CHECK (term_months > 0),
            snapshot        TEXT    NOT NULL,
            decision        TEXT    NOT NULL,
            offer           TEXT,
            expires_at      INTEGER,
            created_by      TEXT,
            version         INTEGER NOT NULL CHECK (version >= 1),
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL,
            CHECK ((offer IS NULL) = (expires_at IS NULL)),
            CHECK (status NOT IN ('pre_approved','approved','accepted') OR offer IS NOT NULL)
        ) STRICT",
        // The one-open-application rule lives in a constraint, not in a read-then-write.
        "CREATE UNIQUE INDEX loan_applications_one_open ON loan_applications (customer_id, product)
            WHERE status IN ('pre_approved','referred','under_review','approved')",
        "CREATE INDEX loan_applications_by_customer ON loan_applications (customer_id, id)",
        "CREATE INDEX loan_applications_by_status ON loan_applications (status, id)",
        "CREATE TABLE loan_transitions (
            seq            INTEGER PRIMARY KEY,
            application_id TEXT    NOT NULL REFERENCES loan_applications (id),
            from_status    TEXT,
            to_status      TEXT    NOT NULL,
            actor          TEXT,
            note           TEXT,
            at             INTEGER NOT NULL,
            recorded_at    INTEGER NOT NULL
        ) STRICT",
        "CREATE INDEX loan_transitions_by_application ON loan_transitions (application_id, seq)",
        "CREATE TRIGGER loan_transitions_no_update BEFORE UPDATE ON loan_transitions
            BEGIN SELECT RAISE(ABORT, 'loan_transitions is append-only'); END",
        "CREATE TRIGGER loan_transitions_no_delete BEFORE DELETE ON loan_transitions
            BEGIN SELECT RAISE(ABORT, 'loan_transitions is append-only'); END",
    ],
};

const HISTORY_APPEND_ONLY_EXCEPT_ERASURE: Migration = Migration {
    owner: "loans",
    version: 2,
    name: "history_append_only_except_erasure",
    statements: &[
        "DROP TRIGGER loan_transitions_no_update",
        "CREATE TRIGGER loan_transitions_no_update BEFORE UPDATE ON loan_transitions
        WHEN NOT (
            (SELECT s.status FROM loan_applications a JOIN customers s ON s.id = a.customer_id
             WHERE a.id = OLD.application_id) = 'erased'
            AND NEW.note IS (CASE WHEN OLD.note IS NULL THEN NULL ELSE '[erased]' END)
            AND NEW.seq IS OLD.seq AND NEW.application_id IS OLD.application_id
            AND NEW.from_status IS OLD.from_status AND NEW.to_status IS OLD.to_status
            AND NEW.actor IS OLD.actor AND NEW.at IS OLD.at
            AND NEW.recorded_at IS OLD.recorded_at)
        BEGIN SELECT RAISE(ABORT, 'loan_transitions is append-only'); END",
    ],
};
