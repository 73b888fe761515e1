#!/usr/bin/env bash
# The main story, one request at a time, printing each request and its answer:
# create a customer, log a contact, earn and redeem points, apply for a loan, get
# recommendations, read the 360° view. Each run creates a new (fake) customer, so it
# can be run again and again.
#
#   scripts/run &                    # in another terminal: the app on :3000
#   requests/walkthrough.sh          # or --step to pause before each request
#
# CRM_URL (default http://127.0.0.1:3000) and CRM_TOKEN as in requests/lib.sh.
set -euo pipefail
# shellcheck source=requests/lib.sh
source "$(dirname "$0")/lib.sh"

STEP=0
case "${1:-}" in
  --step) STEP=1 ;;
  "") ;;
  -h | --help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) crm_die "unknown argument $1 (try --help)" ;;
esac

export CRM_VERBOSE=1
# Unique per run: national ids must be unique, and Idempotency-Keys are remembered.
RUN="$(date +%s)$((RANDOM % 1000))"

say() {
  printf '\n%s== %s%s\n' "$C_HEAD" "$*" "$C_OFF"
  if [ "$STEP" = 1 ]; then
    read -r -p "(enter to send) " _ </dev/tty
  fi
}

wait_for_app 60

say "1. Create a customer (Idempotency-Key makes a retry safe)"
api POST /v1/customers "$(
  cat <<JSON
{"fullName": "Walkthrough Customer $RUN", "dateOfBirth": "1988-04-12",
 "nationalId": "WALK$RUN", "nationalIdCountry": "CN",
 "email": "walk.$RUN@example.com", "phone": "+86138${RUN: -8}",
 "kycStatus": "verified", "segment": "mass_affluent", "riskTolerance": "balanced",
 "monthlyIncome": {"amount": 3500000, "currency": "CNY"},
 "totalAssets": {"amount": 80000000, "currency": "CNY"},
 "creditScore": 742, "employmentStatus": "employed",
 "holdings": [{"productCode": "SALARY_ACCOUNT", "openedAt": "2021-03-01T00:00:00Z"}],
 "consent": {"marketing": {"email": {"granted": true, "source": "mobile_app"}}},
 "tags": [{"family": "marketing", "name": "demo"}]}
JSON
)" "idempotency-key: walk-$RUN-customer"
expect 201
CUSTOMER="$(crm_json .id "$BODY")"
ETAG="$(header etag)"

say "2. Read it back: the etag is what a later PATCH must send in If-Match"
api GET "/v1/customers/$CUSTOMER"
expect 200

say "3. Change the segment with a merge patch and If-Match"
api PATCH "/v1/customers/$CUSTOMER" '{"segment": "private"}' \
  "content-type: application/merge-patch+json" "if-match: $ETAG"
expect 200

say "4. Log a contact: the customer phoned about savings"
api POST /v1/interactions "{\"customerId\": \"$CUSTOMER\", \"channel\": \"phone\",
  \"direction\": \"inbound\", \"type\": \"inquiry\",
  \"subject\": \"Asked about savings and a fund for the children\",
  \"sentiment\": \"positive\", \"agentId\": \"agent-walkthrough\"}" \
  "idempotency-key: walk-$RUN-contact"
expect 201

say "5. Earn points for a card spend of 12,500.00 CNY (1 point per 10.00 CNY)"
api POST "/v1/loyalty/accounts/$CUSTOMER/earn" "{\"eventType\": \"card_spend\",
  \"amount\": {\"amount\": 1250000, \"currency\": \"CNY\"},
  \"reference\": \"walk-$RUN-card-1\"}" \
  "idempotency-key: walk-$RUN-earn"
expect 201

say "6. The same request again: answered from the Idempotency-Key, no second credit"
api POST "/v1/loyalty/accounts/$CUSTOMER/earn" "{\"eventType\": \"card_spend\",
  \"amount\": {\"amount\": 1250000, \"currency\": \"CNY\"},
  \"reference\": \"walk-$RUN-card-1\"}" \
  "idempotency-key: walk-$RUN-earn"
expect 201
echo "idempotent-replayed: $(header idempotent-replayed)"

say "7. Redeem 500 points for a reward"
api POST "/v1/loyalty/accounts/$CUSTOMER/redeem" "{\"points\": 500,
  \"rewardCode\": \"CINEMA-2\", \"reference\": \"walk-$RUN-order-1\"}" \
  "idempotency-key: walk-$RUN-redeem"
expect 201

say "8. Redeem more than is left: 409 insufficient_points, nothing written"
api POST "/v1/loyalty/accounts/$CUSTOMER/redeem" "{\"points\": 100000,
  \"rewardCode\": \"FLIGHT-1\", \"reference\": \"walk-$RUN-order-2\"}" \
  "idempotency-key: walk-$RUN-redeem-too-much"
expect 409

say "9. The loyalty account: balance, tier, points expiring soon"
api GET "/v1/loyalty/accounts/$CUSTOMER"
expect 200

say "10. Ask what a personal loan would get, without applying (a quote stores nothing)"
LOAN="{\"customerId\": \"$CUSTOMER\", \"product\": \"personal\",
  \"amount\": {\"amount\": 10000000, \"currency\": \"CNY\"}, \"termMonths\": 36,
  \"purpose\": \"home renovation\",
  \"monthlyIncome\": {\"amount\": 3500000, \"currency\": \"CNY\"},
  \"monthlyDebtPayments\": {\"amount\": 200000, \"currency\": \"CNY\"},
  \"creditScore\": 742, \"employmentStatus\": \"employed\", \"employmentMonths\": 48}"
api POST /v1/loans/quote "$LOAN"
expect 200

say "11. Apply: the decision, its reasons and the offer, stored with a replayable snapshot"
api POST /v1/loans/applications "$LOAN" "idempotency-key: walk-$RUN-loan"
expect 201
APPLICATION="$(crm_json .id "$BODY")"

say "12. Replay the decision from its snapshot under its policy version"
api POST "/v1/loans/applications/$APPLICATION/replay" ""
expect 200

say "13. Recommendations, with the reasons and the excluded products"
api GET "/v1/recommendations/$CUSTOMER?limit=3&explain=true"
expect 200

say "14. The 360° view: profile, loyalty, contacts, complaints, loans in flight, offers"
api GET "/v1/customers/$CUSTOMER/360"
expect 200

printf '\n%sDone.%s Customer %s, loan application %s.\n' "$C_OK" "$C_OFF" "$CUSTOMER" "$APPLICATION"
