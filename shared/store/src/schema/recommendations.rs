//! Tables owned by the recommendations service.
//!
//! - `recommendation_products`: the product catalogue, one row per product code,
//!   replaced whole by `PUT /v1/recommendations/products/{code}` (optimistic `version`).
//!   The migration seeds the catalogue (`docs/recommendations.md` lists it), so it exists
//!   from the first request on, once per database, without a check on every read.
//! - `recommendation_feedback`: every reaction to an offer (shown, clicked, accepted,
//!   dismissed), append-only (triggers refuse UPDATE and DELETE); it feeds later rankings
//!   and the acceptance statistics.
//!
//! The CHECK constraints repeat the domain's closed sets so that a bug in a handler cannot
//! store a value the API could never have accepted.
//!
//! Version 2 lets the erasure (`crate::erasure::recommendations`) delete an erased
//! customer's feedback, and nothing else delete any.

use crate::Migration;

/// Migrations owned by recommendations, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[CATALOGUE_AND_FEEDBACK, FEEDBACK_DELETED_WITH_THE_CUSTOMER];

const CATALOGUE_AND_FEEDBACK: Migration = Migration {
    owner: "recommendations",
    version: 1,
    name: "catalogue_and_feedback",
    statements: &[
        "CREATE TABLE recommendation_products (
            code              TEXT    PRIMARY KEY CHECK (length(code) BETWEEN 2 AND 40),
            name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            category          TEXT    NOT NULL CHECK (category IN
                ('card','savings','deposit','fund','insurance','loan')),
            risk_level        INTEGER NOT NULL CHECK (risk_level BETWEEN 1 AND 5),
            min_age           INTEGER NOT NULL CHECK (min_age BETWEEN 0 AND 120),
            max_age           INTEGER NOT NULL CHECK (max_age BETWEEN min_age AND 120),
            min_income_minor  INTEGER NOT NULL CHECK (min_income_minor >= 0),
            currency          TEXT    NOT NULL,
            segments          TEXT    NOT NULL,
            requires_consent  TEXT    NOT NULL CHECK (requires_consent IN
                ('none','marketing','email','sms','push','phone')),
            active            INTEGER NOT NULL CHECK (active IN (0, 1)),
            loan_product      TEXT    CHECK (loan_product IN
                ('personal','auto','mortgage','credit_card')),
            loan_amount_minor INTEGER CHECK (loan_amount_minor > 0),
            loan_currency     TEXT,
            loan_term_months  INTEGER CHECK (loan_term_months BETWEEN 1 AND 480),
            version           INTEGER NOT NULL CHECK (version >= 1),
            updated_at        INTEGER NOT NULL,
            CHECK ((category = 'loan') = (loan_product IS NOT NULL)),
            CHECK ((loan_product IS NULL) = (loan_amount_minor IS NULL)),
            CHECK ((loan_product IS NULL) = (loan_term_months IS NULL)),
            CHECK ((loan_product IS NULL) = (loan_currency IS NULL))
        ) STRICT",
        // The seed catalogue: amounts in CNY fen; `segments` is a comma-separated list,
        // empty for every segment. Loans carry the typical amount and term that the
        // affordability filter prices with the loan policy.
        "INSERT INTO recommendation_products (code, name, category, risk_level, min_age, max_age,
            min_income_minor, currency, segments, requires_consent, active, loan_product,
            loan_amount_minor, loan_currency, loan_term_months, version, updated_at)
         SELECT column1, column2, column3, column4, column5, column6, column7, 'CNY', column8,
            column9, 1, column10, column11, CASE WHEN column10 IS NULL THEN NULL ELSE 'CNY' END,
            column12, 1, CAST(unixepoch('subsec') * 1000 AS INTEGER)
         FROM (VALUES
            ('CARD_CLASSIC', 'Classic Credit Card', 'card', 1, 18, 75, 300000, '', 'marketing', NULL, NULL, NULL),
            ('CARD_GOLD', 'Gold Credit Card', 'card', 1, 21, 75, 1000000, 'retail,mass_affluent,private', 'marketing', NULL, NULL, NULL),
            ('CARD_PLATINUM', 'Platinum Credit Card', 'card', 1, 25, 75, 3000000, 'mass_affluent,private', 'marketing', NULL, NULL, NULL),
            ('CARD_BUSINESS', 'Business Credit Card', 'card', 1, 21, 70, 800000, 'sme', 'marketing', NULL, NULL, NULL),
            ('DEBIT_CARD', 'Debit Card', 'card', 1, 16, 120, 0, '', 'none', NULL, NULL, NULL),
            ('SALARY_ACCOUNT', 'Salary Account', 'savings', 1, 18, 65, 0, 'retail,mass_affluent', 'marketing', NULL, NULL, NULL),
            ('SAVINGS_BASIC', 'Basic Savings Account', 'savings', 1, 16, 120, 0, '', 'none', NULL, NULL, NULL),
            ('SAVINGS_PLUS', 'High-Yield Savings Account', 'savings', 1, 18, 120, 0, '', 'marketing', NULL, NULL, NULL),
            ('SME_OPERATING_ACCOUNT', 'Business Operating Account', 'savings', 1, 18, 120, 0, 'sme', 'marketing', NULL, NULL, NULL),
            ('DEPOSIT_1Y', 'One-Year Term Deposit', 'deposit', 1, 18, 120, 0, '', 'marketing', NULL, NULL, NULL),
            ('DEPOSIT_3Y', 'Three-Year Term Deposit', 'deposit', 1, 18, 120, 0, '', 'marketing', NULL, NULL, NULL),
            ('DEPOSIT_STRUCTURED', 'Principal-Protected Structured Deposit', 'deposit', 2, 18, 80, 500000, 'mass_affluent,private', 'marketing', NULL, NULL, NULL),
            ('FUND_MONEY_MARKET', 'Money Market Fund', 'fund', 1, 18, 120, 0, '', 'marketing', NULL, NULL, NULL),
            ('FUND_BOND', 'Bond Fund', 'fund', 2, 18, 85, 0, '', 'marketing', NULL, NULL, NULL),
            ('FUND_BALANCED', 'Balanced Fund', 'fund', 3, 18, 80, 0, '', 'marketing', NULL, NULL, NULL),
            ('FUND_EQUITY_INDEX', 'Equity Index Fund', 'fund', 4, 18, 75, 0, '', 'marketing', NULL, NULL, NULL),
            ('FUND_TECH_GROWTH', 'Technology Growth Fund', 'fund', 5, 18, 65, 500000, '', 'marketing', NULL, NULL, NULL),
            ('INS_HOME', 'Home Insurance', 'insurance', 1, 18, 85, 0, '', 'marketing', NULL, NULL, NULL),
            ('INS_TERM_LIFE', 'Term Life Insurance', 'insurance', 1, 18, 60, 300000, '', 'marketing', NULL, NULL, NULL),
            ('INS_CRITICAL_ILLNESS', 'Critical Illness Cover', 'insurance', 1, 18, 65, 0, '', 'phone', NULL, NULL, NULL),
            ('INS_ANNUITY', 'Retirement Annuity', 'insurance', 2, 40, 75, 0, '', 'marketing', NULL, NULL, NULL),
            ('LOAN_PERSONAL', 'Personal Loan', 'loan', 1, 18, 65, 500000, '', 'marketing', 'personal', 10000000, 36),
            ('LOAN_AUTO', 'Car Loan', 'loan', 1, 18, 65, 800000, 'retail,mass_affluent,private', 'marketing', 'auto', 15000000, 60),
            ('LOAN_MORTGAGE', 'Home Mortgage', 'loan', 1, 21, 60, 1500000, '', 'marketing', 'mortgage', 150000000, 300)
         )",
        "CREATE TABLE recommendation_feedback (
            id           TEXT    PRIMARY KEY,
            customer_id  TEXT    NOT NULL,
            product_code TEXT    NOT NULL,
            action       TEXT    NOT NULL CHECK (action IN ('shown','clicked','accepted','dismissed')),
            channel      TEXT    NOT NULL CHECK (channel IN
                ('email','sms','push','phone','mobile_app','web','branch','rm_visit','chat')),
            occurred_at  INTEGER NOT NULL,
            recorded_at  INTEGER NOT NULL
        ) STRICT",
        // A customer's recent feedback for ranking; the whole window for statistics.
        "CREATE INDEX recommendation_feedback_by_customer
            ON recommendation_feedback (customer_id, occurred_at)",
        "CREATE INDEX recommendation_feedback_by_time
            ON recommendation_feedback (occurred_at, product_code, action)",
        "CREATE TRIGGER recommendation_feedback_no_update BEFORE UPDATE ON recommendation_feedback
            BEGIN SELECT RAISE(ABORT, 'recommendation_feedback is append-only'); END",
        "CREATE TRIGGER recommendation_feedback_no_delete BEFORE DELETE ON recommendation_feedback
            BEGIN SELECT RAISE(ABORT, 'recommendation_feedback is append-only'); END",
    ],
};

const FEEDBACK_DELETED_WITH_THE_CUSTOMER: Migration = Migration {
    owner: "recommendations",
    version: 2,
    name: "feedback_deleted_with_the_customer",
    statements: &[
        "DROP TRIGGER recommendation_feedback_no_delete",
        // `IS NOT`: an unknown customer (NULL) does not unlock it either.
        "CREATE TRIGGER recommendation_feedback_no_delete BEFORE DELETE ON recommendation_feedback
        WHEN (SELECT status FROM customers WHERE id = OLD.customer_id) IS NOT 'erased'
        BEGIN SELECT RAISE(ABORT, 'recommendation_feedback is append-only'); END",
    ],
};
