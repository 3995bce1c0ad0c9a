#!/usr/bin/env bash
# Interoperability with clients nobody here wrote: kycmedia driven by curl,
# every request signed and every response verified by openssl, exactly as an
# integrator's shell script would. Run by tests/api/interop.rs against a real
# server; usable by hand against any server:
#
#   BASE=http://127.0.0.1:8080 KEY=… SECRET=… FIXTURES=fixtures \
#       bash crates/kycmedia/tests/interop/curl-openssl.sh
#
# Covers one upload (POST /v1/sessions, POST …/media, PATCH to submit) and
# every GET endpoint. Prints one line per case; exits non-zero on the first
# failure, saying what differed.
set -euo pipefail
: "${BASE:?}" "${KEY:?}" "${SECRET:?}" "${FIXTURES:?}"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# HMAC-SHA256 of stdin with the shared secret, as hex.
hmac() { openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //'; }

# The response in $TMP/body must carry X-AUTH-CLIENT and an X-HMAC-SIGNATURE
# that openssl computes over its exact bytes.
verify_response() {
    local got want client
    got=$(tr -d '\r' <"$TMP/headers" | awk -F': ' 'tolower($1) == "x-hmac-signature" { print $2 }')
    client=$(tr -d '\r' <"$TMP/headers" | awk -F': ' 'tolower($1) == "x-auth-client" { print $2 }')
    want=$(hmac <"$TMP/body")
    [[ -n $got ]] || fail "$1: the response carries no X-HMAC-SIGNATURE"
    [[ $got == "$want" ]] || fail "$1: response signature $got, openssl computes $want"
    [[ $client == "$KEY" ]] || fail "$1: X-AUTH-CLIENT is '$client'"
}

# GET PATH ID EXPECTED_STATUS: signs the bare id, checks status and signature.
get() {
    local sig status
    sig=$(printf '%s' "$2" | hmac)
    status=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
        -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $sig" "$BASE$1")
    [[ $status == "$3" ]] || fail "GET $1: status $status, wanted $3: $(head -c 300 "$TMP/body")"
    verify_response "GET $1"
}

# SEND METHOD PATH BODY_FILE EXPECTED_STATUS: signs the body file's bytes.
send() {
    local sig status
    sig=$(hmac <"$3")
    status=$(curl -sS -X "$1" -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
        -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $sig" -H 'Content-Type: application/json' \
        --data-binary "@$3" "$BASE$2")
    [[ $status == "$4" ]] || fail "$1 $2: status $status, wanted $4: $(head -c 300 "$TMP/body")"
    verify_response "$1 $2"
}

# A value of the last JSON body, by a dotted path such as images.0.id.
field() {
    python3 -c '
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    value = value[int(key)] if key.isdigit() else value[key]
print(value)' "$TMP/body" "$1"
}

# --- an attempt with one photo, made through the API ---------------------------
printf '{"verification":{"vendorData":"interop"}}' >"$TMP/session.json"
send POST /v1/sessions "$TMP/session.json" 201
SESSION=$(field verification.id)
ok "POST /v1/sessions (body signed by openssl) -> 201, signed response"

{
    printf '{"image":{"context":"face","content":"'
    base64 -w0 <"$FIXTURES/face.jpg"
    printf '"}}'
} >"$TMP/upload.json"
send POST "/v1/sessions/$SESSION/media" "$TMP/upload.json" 201
MEDIA=$(field image.id)
ok "POST /v1/sessions/{id}/media -> 201, signed response"

printf '{"verification":{"status":"submitted"}}' >"$TMP/submit.json"
send PATCH "/v1/sessions/$SESSION" "$TMP/submit.json" 200
ok "PATCH /v1/sessions/{id} -> 200, signed response"

get "/v1/sessions/$SESSION/attempts" "$SESSION" 200
ATTEMPT=$(field verifications.0.id)

# --- case 1: a signed GET, as the README's first hour makes it -----------------
SIG=$(printf '%s' "$ATTEMPT" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')
curl -si -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $SIG" \
  "$BASE/v1/attempts/$ATTEMPT/media" >"$TMP/readme.txt"
head -1 "$TMP/readme.txt" | grep -q ' 200' || fail "the signed GET: $(head -1 "$TMP/readme.txt")"
grep -q "\"id\":\"$MEDIA\"" "$TMP/readme.txt" || fail "the signed GET does not list the upload"
ok "a signed GET of the attempt's media -> 200 with the upload"

# --- every GET endpoint, each response verified ---------------------------------
get "/v1/sessions/$SESSION/attempts" "$SESSION" 200
ok "GET /v1/sessions/{id}/attempts -> 200, signed response"
get "/v1/attempts/$ATTEMPT/media" "$ATTEMPT" 200
[[ $(field images.0.id) == "$MEDIA" ]] || fail "the attempt's media list lacks the upload"
ok "GET /v1/attempts/{id}/media -> 200, signed response"
get "/v1/sessions/$SESSION/media" "$SESSION" 200
[[ $(field images.0.id) == "$MEDIA" ]] || fail "the session's media list lacks the upload"
ok "GET /v1/sessions/{id}/media -> 200, signed response"
get "/v1/media/$MEDIA" "$MEDIA" 200
cmp -s "$TMP/body" "$FIXTURES/face.jpg" || fail "the download differs from the uploaded file"
ok "GET /v1/media/{id} -> 200, the uploaded bytes, signature over them"
get "/kycmedia/v1/attempts/$ATTEMPT/analysis" "$ATTEMPT" 200
ok "GET /kycmedia/v1/attempts/{id}/analysis -> 200, signed response"
get "/kycmedia/v1/media/$MEDIA/analysis" "$MEDIA" 200
ok "GET /kycmedia/v1/media/{id}/analysis -> 200, signed response"

# --- and a wrong signature is refused -------------------------------------------
status=$(curl -sS -o "$TMP/body" -w '%{http_code}' -H "X-AUTH-CLIENT: $KEY" \
    -H "X-HMAC-SIGNATURE: $(printf '%s' "not-$ATTEMPT" | hmac)" "$BASE/v1/attempts/$ATTEMPT/media")
[[ $status == 401 ]] || fail "a signature over other bytes got $status"
ok "a signature over other bytes -> 401"
