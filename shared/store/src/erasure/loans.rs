//! loans: an application keeps what a credit ledger and a regulator need: its ids,
//! product, amount and term asked for, status, the decision's outcome, reason codes,
//! policy version and dates, the priced terms and any offer (the contract terms the
//! bank put to the customer), and the history of who moved it where and when. The
//! customer's inputs go: purpose, income, debts, credit score, employment (an allow-list
//! rebuilds the snapshot, so a field added later is dropped too, not kept), and so do
//! the figures derived from them: the debt-to-income ratio, the counter-offer and each
//! reason's message (it quotes the figures). History notes are redacted.
//!
//! The redacted snapshot carries `"erased": true`; the loans service reads it as
//! redacted and can no longer replay the decision.

use super::Part;

/// The loans owner's part.
pub const PART: Part = Part {
    owner: "loans",
    tables: &["loan_policies", "loan_applications", "loan_transitions"],
    statements: &[
        "UPDATE loan_applications SET
            snapshot = json_object(
                'input', json_object(
                    'customerId', json_extract(snapshot, '$.input.customerId'),
                    'product', json_extract(snapshot, '$.input.product'),
                    'amount', json(json_extract(snapshot, '$.input.amount')),
                    'termMonths', json_extract(snapshot, '$.input.termMonths')),
                'customer', json(json_extract(snapshot, '$.customer')),
                'decidedAt', json_extract(snapshot, '$.decidedAt'),
                'erased', json('true')),
            decision = json_object(
                'status', json_extract(decision, '$.status'),
                'reasons', json((SELECT json_group_array(json_object(
                        'code', json_extract(r.value, '$.code'),
                        'effect', json_extract(r.value, '$.effect'),
                        'message', '[erased]'))
                    FROM json_each(decision, '$.reasons') AS r)),
                'policyVersion', json_extract(decision, '$.policyVersion'),
                'decidedAt', json_extract(decision, '$.decidedAt'),
                'dtiBps', NULL,
                'terms', json(json_extract(decision, '$.terms')),
                'offer', json(json_extract(decision, '$.offer')),
                'counterOffer', NULL)
         WHERE customer_id = ?1",
        "UPDATE loan_transitions SET note = '[erased]'
         WHERE application_id IN (SELECT id FROM loan_applications WHERE customer_id = ?1)
           AND note IS NOT NULL",
    ],
};
