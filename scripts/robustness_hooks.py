"""schemathesis hooks for scripts/robustness (loaded through SCHEMATHESIS_HOOKS).

A header value outside visible ASCII never reaches a component: Spin answers it with a
500 before calling one (crates/trigger-http/src/headers.rs, prepare_request_headers),
and crm-host does the same (docs/spin-compat.md). openapi.yaml therefore states the
Idempotency-Key's printable-ASCII rule in prose rather than as a `pattern` (the coverage
phase, which no hook filters, would send the pattern's non-ASCII counter-examples), and
the generated values that break that rule are left out here: the runtime refuses the
non-ASCII ones before any component, and a tab inside a key is the documented 400
schemathesis cannot read from prose. Every other header value is still sent.
"""

import schemathesis


@schemathesis.hook
def filter_headers(context, headers):
    if not headers:
        return True
    for value in headers.values():
        text = value if isinstance(value, str) else str(value)
        if not all(" " <= ch <= "~" for ch in text):
            return False
    return True
