//! Tables owned by the engagement service (`docs/engagement.md`).
//!
//! - `engagement_rules`: every version of the alert rules, immutable once written
//!   (triggers refuse UPDATE and DELETE), so an alert names the version that raised it.
//! - `engagement_events`: account events from core banking, keyed by core banking's own
//!   event id, so a resent event is recorded once.
//! - `engagement_alerts`: at most one alert per event, changed only with a version check.
//! - `engagement_tasks`: the relationship managers' queues, changed only with a version
//!   check. `period` is set on retention tasks a churn run creates; a partial UNIQUE
//!   index keeps one pending such task per customer and period.
//! - `engagement_churn_scores` (version 2): each customer's latest churn score written by
//!   a churn run, the source of the ranked at-risk list of a book.
//!
//! The CHECK constraints repeat the domain's closed sets and limits so that a bug in a
//! handler cannot store a value the API could never have accepted.

use crate::Migration;

/// Migrations owned by engagement, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[EVENTS_ALERTS_TASKS, CHURN_SCORES];

const EVENTS_ALERTS_TASKS: Migration = Migration {
    owner: "engagement",
    version: 1,
    name: "events_alerts_tasks",
    statements: &[
        "CREATE TABLE engagement_rules (
            version    INTEGER PRIMARY KEY CHECK (version >= 1),
            document   TEXT    NOT NULL,
            actor      TEXT,
            created_at INTEGER NOT NULL
        ) STRICT",
        "CREATE TRIGGER engagement_rules_no_update BEFORE UPDATE ON engagement_rules
            BEGIN SELECT RAISE(ABORT, 'engagement_rules is append-only'); END",
        "CREATE TRIGGER engagement_rules_no_delete BEFORE DELETE ON engagement_rules
            BEGIN SELECT RAISE(ABORT, 'engagement_rules is append-only'); END",
        // Version 1 is the documented default (docs/engagement.md); the component's
        // tests check that this text equals `AlertRules::default_rules()`.
        r#"INSERT INTO engagement_rules (version, document, actor, created_at) VALUES (1,
            '{"rules":[{"code":"property_purchase","eventType":"large_withdrawal","minAmount":{"amount":20000000,"currency":"CNY"},"descriptionContainsAny":["property","house","home","apartment","flat","mortgage","房"],"reason":"Large withdrawal described as a property purchase","suggestedAction":"mortgage_offer","priority":"high","deadlineHours":48},{"code":"large_withdrawal","eventType":"large_withdrawal","minAmount":{"amount":20000000,"currency":"CNY"},"reason":"Large withdrawal: funds may be leaving the bank","suggestedAction":"retention_call","priority":"high","deadlineHours":48},{"code":"large_deposit","eventType":"large_deposit","minAmount":{"amount":50000000,"currency":"CNY"},"reason":"Large deposit: idle funds to invest","suggestedAction":"wealth_review","priority":"normal","deadlineHours":72},{"code":"salary_stopped","eventType":"salary_stopped","reason":"Salary no longer paid in: the main account may be moving","suggestedAction":"retention_call","priority":"urgent","deadlineHours":24},{"code":"balance_drop","eventType":"balance_drop","minAmount":{"amount":10000000,"currency":"CNY"},"reason":"Balances fell sharply","suggestedAction":"retention_call","priority":"high","deadlineHours":72},{"code":"card_expiring","eventType":"card_expiring","reason":"A card is about to expire","suggestedAction":"card_renewal","priority":"low","deadlineHours":168},{"code":"product_closed","eventType":"product_closed","reason":"A product was closed","suggestedAction":"retention_call","priority":"high","deadlineHours":48},{"code":"product_opened","eventType":"product_opened","reason":"A new product was opened","suggestedAction":"welcome_call","priority":"low","deadlineHours":168}]}',
            'system', CAST(unixepoch('subsec') * 1000 AS INTEGER))"#,
        "CREATE TABLE engagement_events (
            id            TEXT    PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
            customer_id   TEXT    NOT NULL,
            kind          TEXT    NOT NULL CHECK (kind IN ('large_withdrawal','large_deposit',
                'salary_stopped','balance_drop','card_expiring','product_closed','product_opened')),
            amount_minor  INTEGER CHECK (amount_minor > 0),
            currency      TEXT,
            description   TEXT    CHECK (length(description) BETWEEN 1 AND 200),
            occurred_at   INTEGER NOT NULL,
            received_at   INTEGER NOT NULL,
            rules_version INTEGER NOT NULL REFERENCES engagement_rules (version),
            CHECK ((amount_minor IS NULL) = (currency IS NULL))
        ) STRICT",
        // The latest events of a customer (the 360 view, churn signals, erasure).
        "CREATE INDEX engagement_events_by_customer
            ON engagement_events (customer_id, occurred_at)",
        "CREATE TABLE engagement_alerts (
            id               TEXT    PRIMARY KEY,
            customer_id      TEXT    NOT NULL,
            event_id         TEXT    NOT NULL UNIQUE,
            rule             TEXT    NOT NULL,
            rules_version    INTEGER NOT NULL REFERENCES engagement_rules (version),
            reason           TEXT    NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
            suggested_action TEXT    NOT NULL CHECK (suggested_action IN ('mortgage_offer',
                'retention_call','wealth_review','card_renewal','welcome_call','product_review')),
            priority         TEXT    NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
            status           TEXT    NOT NULL
                CHECK (status IN ('open','acknowledged','dismissed','converted')),
            due_at           INTEGER NOT NULL,
            dismiss_reason   TEXT    CHECK (length(dismiss_reason) BETWEEN 1 AND 500),
            task_id          TEXT,
            changed_by       TEXT,
            version          INTEGER NOT NULL CHECK (version >= 1),
            created_at       INTEGER NOT NULL,
            updated_at       INTEGER NOT NULL,
            CHECK ((status = 'dismissed') = (dismiss_reason IS NOT NULL)),
            CHECK ((status = 'converted') = (task_id IS NOT NULL))
        ) STRICT",
        // Queues: by status (every book) and by customer (a book is a set of customers).
        "CREATE INDEX engagement_alerts_by_status ON engagement_alerts (status, due_at, id)",
        "CREATE INDEX engagement_alerts_by_customer
            ON engagement_alerts (customer_id, status, due_at, id)",
        "CREATE TABLE engagement_tasks (
            id             TEXT    PRIMARY KEY,
            customer_id    TEXT    NOT NULL,
            type           TEXT    NOT NULL
                CHECK (type IN ('contact','retention','follow_up','review')),
            title          TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
            link_kind      TEXT    CHECK (link_kind IN
                ('alert','complaint','loan_application','campaign')),
            link_id        TEXT,
            assignee       TEXT    NOT NULL CHECK (length(assignee) BETWEEN 1 AND 64),
            priority       TEXT    NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
            status         TEXT    NOT NULL
                CHECK (status IN ('open','in_progress','done','cancelled')),
            due_at         INTEGER NOT NULL,
            note           TEXT    CHECK (length(note) BETWEEN 1 AND 500),
            interaction_id TEXT,
            period         TEXT,
            created_by     TEXT    NOT NULL,
            version        INTEGER NOT NULL CHECK (version >= 1),
            created_at     INTEGER NOT NULL,
            updated_at     INTEGER NOT NULL,
            CHECK ((link_kind IS NULL) = (link_id IS NULL))
        ) STRICT",
        // An assignee's queue, most urgent first.
        "CREATE INDEX engagement_tasks_queue ON engagement_tasks (assignee, status, due_at, id)",
        "CREATE INDEX engagement_tasks_by_due ON engagement_tasks (status, due_at, id)",
        "CREATE INDEX engagement_tasks_by_customer ON engagement_tasks (customer_id, status)",
        // At most one pending retention task per customer and churn period.
        "CREATE UNIQUE INDEX engagement_tasks_one_per_period
            ON engagement_tasks (customer_id, period)
            WHERE period IS NOT NULL AND status IN ('open','in_progress')",
    ],
};

const CHURN_SCORES: Migration = Migration {
    owner: "engagement",
    version: 2,
    name: "churn_scores",
    statements: &[
        "CREATE TABLE engagement_churn_scores (
            customer_id   TEXT    PRIMARY KEY,
            score         INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
            band          TEXT    NOT NULL CHECK (band IN ('low','medium','high')),
            rules_version INTEGER NOT NULL CHECK (rules_version >= 1),
            reasons       TEXT    NOT NULL,
            as_of         INTEGER NOT NULL,
            computed_at   INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID",
        // The at-risk list: highest score first.
        "CREATE INDEX engagement_churn_by_score ON engagement_churn_scores (score, customer_id)",
    ],
};
