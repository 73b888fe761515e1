//! Tables owned by the customer-profile service.

use crate::Migration;

/// Migrations owned by customers, numbered from 1.
pub const MIGRATIONS: &[Migration] = &[Migration {
    owner: "customers",
    version: 1,
    name: "customers",
    statements: &[
        // The profile document is the source of truth for the API shape; the columns
        // beside it exist to be filtered, searched, sorted and read by other services.
        // Personal columns become NULL when a customer is erased.
        "CREATE TABLE customers (
            id                      TEXT    PRIMARY KEY,
            status                  TEXT    NOT NULL CHECK (status IN ('active','dormant','closed','erased')),
            segment                 TEXT    NOT NULL,
            value_tier              TEXT    NOT NULL,
            kyc_status              TEXT    NOT NULL,
            risk_tolerance          TEXT    NOT NULL,
            relationship_manager_id TEXT,
            full_name               TEXT,
            name_key                TEXT,
            date_of_birth           TEXT,
            national_id_country     TEXT,
            national_id             TEXT,
            email                   TEXT,
            phone                   TEXT,
            duplicate_key           TEXT,
            document                TEXT    NOT NULL,
            version                 INTEGER NOT NULL,
            created_at              INTEGER NOT NULL,
            updated_at              INTEGER NOT NULL
        ) STRICT",
        "CREATE UNIQUE INDEX customers_national_id ON customers (national_id_country, national_id)
            WHERE national_id IS NOT NULL",
        "CREATE INDEX customers_name_key ON customers (name_key, id)",
        "CREATE INDEX customers_email ON customers (email)",
        "CREATE INDEX customers_phone ON customers (phone)",
        "CREATE INDEX customers_duplicate_key ON customers (duplicate_key)",
        "CREATE INDEX customers_rm ON customers (relationship_manager_id, id)",
        "CREATE TABLE customer_tags (
            customer_id TEXT NOT NULL REFERENCES customers (id),
            family      TEXT NOT NULL,
            name        TEXT NOT NULL,
            PRIMARY KEY (customer_id, family, name)
        ) STRICT, WITHOUT ROWID",
        "CREATE INDEX customer_tags_by_tag ON customer_tags (name, customer_id)",
    ],
}];
