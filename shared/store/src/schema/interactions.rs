//! Tables owned by the interactions service.
//!
//! - `interactions`: every contact, append-only (triggers refuse UPDATE and DELETE); a
//!   correction is a new row whose `corrects_id` names the row it corrects.
//! - `complaints`: one case per complaint interaction, the only mutable table here,
//!   changed by `UPDATE … WHERE version = ?` together with a history row.
//! - `complaint_history`: every state change of a case (who, when, why), append-only;
//!   its primary key `(complaint_id, version)` admits one change per case version.
//! - `surveys`: NPS and CSAT answers, with the channel of the interaction they rate.
//!
//! The CHECK constraints repeat the domain's closed sets and limits so that a bug in a
//! handler cannot store a value the API could never have accepted.
//!
//! Version 2 narrows the append-only triggers by one exception, the erasure's redaction
//! (`crate::erasure::interactions`): once the customer is erased, their free text may be
//! replaced by [`crate::erasure::REDACTED`], and nothing else about the row may change.

use crate::Migration;

/// Migrations owned by interactions, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[INTERACTIONS_COMPLAINTS_SURVEYS, APPEND_ONLY_EXCEPT_ERASURE];

const INTERACTIONS_COMPLAINTS_SURVEYS: Migration = Migration {
    owner: "interactions",
    version: 1,
    name: "interactions_complaints_surveys",
    statements: &[
        "CREATE TABLE interactions (
            id           TEXT    PRIMARY KEY,
            customer_id  TEXT    NOT NULL,
            channel      TEXT    NOT NULL CHECK (channel IN
                ('branch','phone','email','chat','mobile_app','web','social','rm_visit')),
            direction    TEXT    NOT NULL CHECK (direction IN ('inbound','outbound')),
            type         TEXT    NOT NULL CHECK (type IN
                ('inquiry','service_request','sales','complaint','feedback','reminder')),
            subject      TEXT    NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
            notes        TEXT    CHECK (length(notes) BETWEEN 1 AND 4000),
            outcome      TEXT    CHECK (length(outcome) BETWEEN 1 AND 500),
            sentiment    TEXT    CHECK (sentiment IN ('positive','neutral','negative')),
            agent_id     TEXT    NOT NULL CHECK (length(agent_id) BETWEEN 1 AND 64),
            occurred_at  INTEGER NOT NULL,
            recorded_at  INTEGER NOT NULL,
            confidential INTEGER NOT NULL CHECK (confidential IN (0, 1)),
            corrects_id  TEXT    REFERENCES interactions (id),
            complaint_id TEXT
        ) STRICT",
        // The timeline: one customer, newest first, keyset-paged on (occurred_at, id).
        // Also serves last-contact and recent-sentiment reads for other services.
        "CREATE INDEX interactions_timeline ON interactions (customer_id, occurred_at, id)",
        "CREATE INDEX interactions_corrections ON interactions (corrects_id)
            WHERE corrects_id IS NOT NULL",
        "CREATE TRIGGER interactions_no_update BEFORE UPDATE ON interactions
            BEGIN SELECT RAISE(ABORT, 'interactions is append-only'); END",
        "CREATE TRIGGER interactions_no_delete BEFORE DELETE ON interactions
            BEGIN SELECT RAISE(ABORT, 'interactions is append-only'); END",
        "CREATE TABLE complaints (
            id             TEXT    PRIMARY KEY,
            interaction_id TEXT    NOT NULL UNIQUE REFERENCES interactions (id),
            customer_id    TEXT    NOT NULL,
            severity       TEXT    NOT NULL CHECK (severity IN ('low','medium','high','critical')),
            category       TEXT    NOT NULL CHECK (category IN
                ('fees_and_charges','service_quality','product_terms','cards_and_payments',
                 'loans_and_credit','fraud_and_security','data_privacy','staff_conduct',
                 'digital_channels','other')),
            regulatory     INTEGER NOT NULL CHECK (regulatory IN (0, 1)),
            status         TEXT    NOT NULL CHECK (status IN
                ('open','assigned','in_progress','resolved','closed','reopened')),
            assignee       TEXT,
            opened_at      INTEGER NOT NULL,
            due_at         INTEGER NOT NULL,
            resolution     TEXT,
            resolved_at    INTEGER,
            closed_at      INTEGER,
            version        INTEGER NOT NULL CHECK (version >= 1),
            updated_at     INTEGER NOT NULL,
            CHECK (status = 'open' OR assignee IS NOT NULL),
            CHECK ((status IN ('resolved','closed')) = (resolution IS NOT NULL)),
            CHECK ((status = 'closed') = (closed_at IS NOT NULL))
        ) STRICT",
        // Work queues, most urgent first: by status, by assignee, and all cases.
        "CREATE INDEX complaints_by_status ON complaints (status, due_at, id)",
        "CREATE INDEX complaints_by_assignee ON complaints (assignee, due_at, id)",
        "CREATE INDEX complaints_by_due ON complaints (due_at, id)",
        "CREATE INDEX complaints_by_customer ON complaints (customer_id, status)",
        "CREATE TABLE complaint_history (
            complaint_id TEXT    NOT NULL REFERENCES complaints (id),
            version      INTEGER NOT NULL,
            from_status  TEXT,
            to_status    TEXT    NOT NULL,
            actor        TEXT    NOT NULL,
            note         TEXT    NOT NULL,
            assignee     TEXT,
            resolution   TEXT,
            at           INTEGER NOT NULL,
            PRIMARY KEY (complaint_id, version)
        ) STRICT, WITHOUT ROWID",
        "CREATE TRIGGER complaint_history_no_update BEFORE UPDATE ON complaint_history
            BEGIN SELECT RAISE(ABORT, 'complaint_history is append-only'); END",
        "CREATE TRIGGER complaint_history_no_delete BEFORE DELETE ON complaint_history
            BEGIN SELECT RAISE(ABORT, 'complaint_history is append-only'); END",
        "CREATE TABLE surveys (
            id             TEXT    PRIMARY KEY,
            customer_id    TEXT    NOT NULL,
            kind           TEXT    NOT NULL CHECK (kind IN ('nps','csat')),
            score          INTEGER NOT NULL,
            comment        TEXT    CHECK (length(comment) BETWEEN 1 AND 2000),
            interaction_id TEXT    REFERENCES interactions (id),
            channel        TEXT,
            submitted_at   INTEGER NOT NULL,
            CHECK ((kind = 'nps' AND score BETWEEN 0 AND 10)
                OR (kind = 'csat' AND score BETWEEN 1 AND 5)),
            CHECK ((interaction_id IS NULL) = (channel IS NULL)),
            UNIQUE (interaction_id, kind)
        ) STRICT",
        "CREATE INDEX surveys_by_time ON surveys (submitted_at)",
        "CREATE INDEX surveys_by_channel ON surveys (channel, submitted_at)",
    ],
};

const APPEND_ONLY_EXCEPT_ERASURE: Migration = Migration {
    owner: "interactions",
    version: 2,
    name: "append_only_except_erasure",
    statements: &[
        "DROP TRIGGER interactions_no_update",
        // An erasure's redaction passes: the customer is erased, every free text that
        // is present becomes the placeholder (absent stays absent, so every CHECK
        // still holds), and every other column keeps its value. Anything else aborts.
        "CREATE TRIGGER interactions_no_update BEFORE UPDATE ON interactions
        WHEN NOT (
            (SELECT status FROM customers WHERE id = OLD.customer_id) = 'erased'
            AND NEW.subject = '[erased]'
            AND NEW.notes IS (CASE WHEN OLD.notes IS NULL THEN NULL ELSE '[erased]' END)
            AND NEW.outcome IS (CASE WHEN OLD.outcome IS NULL THEN NULL ELSE '[erased]' END)
            AND NEW.id IS OLD.id AND NEW.customer_id IS OLD.customer_id
            AND NEW.channel IS OLD.channel AND NEW.direction IS OLD.direction
            AND NEW.type IS OLD.type AND NEW.sentiment IS OLD.sentiment
            AND NEW.agent_id IS OLD.agent_id AND NEW.occurred_at IS OLD.occurred_at
            AND NEW.recorded_at IS OLD.recorded_at
            AND NEW.confidential IS OLD.confidential
            AND NEW.corrects_id IS OLD.corrects_id
            AND NEW.complaint_id IS OLD.complaint_id)
        BEGIN SELECT RAISE(ABORT, 'interactions is append-only'); END",
        "DROP TRIGGER complaint_history_no_update",
        "CREATE TRIGGER complaint_history_no_update BEFORE UPDATE ON complaint_history
        WHEN NOT (
            (SELECT s.status FROM complaints c JOIN customers s ON s.id = c.customer_id
             WHERE c.id = OLD.complaint_id) = 'erased'
            AND NEW.note = '[erased]'
            AND NEW.resolution IS
                (CASE WHEN OLD.resolution IS NULL THEN NULL ELSE '[erased]' END)
            AND NEW.complaint_id IS OLD.complaint_id AND NEW.version IS OLD.version
            AND NEW.from_status IS OLD.from_status AND NEW.to_status IS OLD.to_status
            AND NEW.actor IS OLD.actor AND NEW.assignee IS OLD.assignee
            AND NEW.at IS OLD.at)
        BEGIN SELECT RAISE(ABORT, 'complaint_history is append-only'); END",
        // An erasure finds a customer's survey answers by index, not by a scan.
        "CREATE INDEX surveys_by_customer ON surveys (customer_id)",
    ],
};
