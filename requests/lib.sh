# Shared by requests/walkthrough.sh and scripts/demo: one curl call per API request,
# the bearer token, and reading a member out of a JSON answer. Sourced, not run.
#
# Environment:
#   CRM_URL    the running app (default http://127.0.0.1:3000, what scripts/run serves)
#   CRM_TOKEN  a bearer token; when unset, a development one is minted (crm_token)
#   CRM_VERBOSE=1  print every request and answer (the walkthrough sets it)

CRM_URL="${CRM_URL:-http://127.0.0.1:3000}"
CRM_URL="${CRM_URL%/}"
CRM_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRM_TMP="$(mktemp -d "${TMPDIR:-/tmp}/crm-requests.XXXXXX")"
trap 'rm -rf "$CRM_TMP"' EXIT

# Colours only on a terminal, so that a log or a pipe stays plain text.
if [ -t 1 ]; then
  C_BOLD=$'\033[1m' C_DIM=$'\033[2m' C_HEAD=$'\033[1;36m' C_OK=$'\033[1;32m' C_OFF=$'\033[0m'
else
  C_BOLD="" C_DIM="" C_HEAD="" C_OK="" C_OFF=""
fi

# Set by api(): the status code and the answer's body and headers.
STATUS=""
BODY=""

crm_die() {
  echo "error: $*" >&2
  exit 1
}

# JSON without jq is not worth hand-parsing: python3 is the fallback.
if command -v jq >/dev/null 2>&1; then
  crm_json() { jq -r "$1 // empty" <<<"$2"; }
  crm_pretty() { jq . <<<"$1" 2>/dev/null || printf '%s\n' "$1"; }
elif command -v python3 >/dev/null 2>&1; then
  crm_json() {
    python3 -c '
import json, sys
v = json.loads(sys.stdin.read() or "null")
for part in sys.argv[1].lstrip(".").split("."):
    if v is None or part == "":
        break
    name, _, idx = part.partition("[")
    v = v.get(name) if isinstance(v, dict) and name else v
    if idx and isinstance(v, list):
        i = int(idx.rstrip("]"))
        v = v[i] if -len(v) <= i < len(v) else None
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))
' "$1" <<<"$2"
  }
  crm_pretty() { python3 -m json.tool <<<"$1" 2>/dev/null || printf '%s\n' "$1"; }
else
  crm_die "these scripts need jq or python3 to read JSON answers"
fi

# The bearer token: CRM_TOKEN when set; otherwise, against the local app, one minted by
# the project's development token command (tests/token, signed with the development
# secret scripts/run uses) for CRM_TOKEN_SUB (default demo-user) with the roles in
# CRM_TOKEN_ROLES (default admin). Resolved once, on the first request.
CRM_TOKEN_RESOLVED=0
crm_token() {
  if [ "$CRM_TOKEN_RESOLVED" = 0 ]; then
    CRM_TOKEN_RESOLVED=1
    if [ -z "${CRM_TOKEN:-}" ] && [ -f "$CRM_REPO/tests/token/Cargo.toml" ]; then
      CRM_TOKEN="$(cargo run -q --manifest-path "$CRM_REPO/tests/Cargo.toml" --locked -p crm-token -- \
        --sub "${CRM_TOKEN_SUB:-demo-user}" --roles "${CRM_TOKEN_ROLES:-admin}" | tail -n 1)" ||
        crm_die "could not mint a development token (set CRM_TOKEN)"
    fi
  fi
  CRM_TOKEN="${CRM_TOKEN:-}"
}

# api METHOD PATH [BODY] [HEADER...]: sends one request, sets STATUS and BODY, and
# echoes both when CRM_VERBOSE=1. Never fails by itself: callers judge STATUS.
api() {
  local method="$1" path="$2" body="${3:-}"
  shift 3 2>/dev/null || shift $#
  local args=(-sS -X "$method" -o "$CRM_TMP/body" -D "$CRM_TMP/headers" -w '%{http_code}'
    -H 'accept: application/json, application/problem+json')
  crm_token
  [ -n "$CRM_TOKEN" ] && args+=(-H "authorization: Bearer $CRM_TOKEN")
  if [ -n "$body" ]; then
    local type='application/json'
    local h
    for h in "$@"; do
      case "${h,,}" in content-type:*) type="" ;; esac
    done
    [ -n "$type" ] && args+=(-H "content-type: $type")
    args+=(--data-binary "$body")
  fi
  local h
  for h in "$@"; do args+=(-H "$h"); done
  if [ "${CRM_VERBOSE:-0}" = 1 ]; then
    printf '\n%s%s %s%s\n' "$C_BOLD" "$method" "$path" "$C_OFF"
    for h in "$@"; do printf '%s\n' "$h"; done
    [ -n "$body" ] && crm_pretty "$body"
  fi
  STATUS="$(curl "${args[@]}" "$CRM_URL$path")" || crm_die "no answer from $CRM_URL (is the app running? scripts/run)"
  BODY="$(cat "$CRM_TMP/body")"
  if [ "${CRM_VERBOSE:-0}" = 1 ]; then
    printf '%s-> %s%s\n' "$C_DIM" "$STATUS" "$C_OFF"
    [ -n "$BODY" ] && crm_pretty "$BODY"
  fi
  return 0
}

# header NAME: a header of the last answer (lower-case name).
header() {
  tr -d '\r' <"$CRM_TMP/headers" | awk -v n="$1" 'index(tolower($0), n ":") == 1 {sub(/^[^:]*:[ ]*/, ""); print; exit}'
}

# expect CODE...: stops with the answer when STATUS is none of CODE.
expect() {
  local code
  for code in "$@"; do
    [ "$STATUS" = "$code" ] && return 0
  done
  echo "error: expected HTTP $* but got $STATUS" >&2
  crm_pretty "$BODY" >&2
  if [ "$STATUS" = 401 ] && [ -z "${CRM_TOKEN:-}" ]; then
    echo "hint: the app asks for a bearer token; set CRM_TOKEN" >&2
  fi
  exit 1
}

# wait_for_app: the host compiles every component on start; give it a minute.
wait_for_app() {
  local i
  for i in $(seq 1 "${1:-120}"); do
    if curl -fsS -o /dev/null "$CRM_URL/v1/customers/health" 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  crm_die "the app did not answer at $CRM_URL/v1/customers/health (start it with scripts/run)"
}
