#!/usr/bin/env bash
# A transcript of the API's bytes on the wire, to show that a refactor changed
# none of them: run it against the binary before and the binary after, and
# diff the two files.
#
#   bash bench/wire-transcript.sh BINARY OUTFILE
#
# It starts `BINARY demo --listen 127.0.0.1:0` (a fresh installation seeded
# with three attempts, crates/kycmedia/src/demo.rs), drives a fixed sequence
# of requests at it with curl (every endpoint of docs/api.md §3, §7 and §8,
# and the refusals of §2), and writes for each request its request line, the
# response's status line, its headers sorted, and its body. The server is
# killed however the script ends.
#
# Only what differs from run to run is normalised; everything else is kept
# byte for byte:
#
#   - the base URL (its port is picked at random)    -> <base-url>
#   - UUIDs, numbered by first appearance            -> <id1>, <id2>, ...
#     so that equality of ids is still checked; the demo's are named
#     (<api-key>, <images-attempt>, ...), an id sent in upper case is
#     <idN:UPPER>, and the fixed ids this script makes up are kept as they are
#   - 64-hex session tokens                          -> <token1>, ...
#   - RFC 3339 timestamps                            -> <time1>, ...
#   - the Date header                                -> dropped
#   - the X-Request-Id header's value                -> <fresh uuid>, or
#     <as sent> where the request sent one and the answer echoes it
#   - signature headers (X-HMAC-SIGNATURE, X-SIGNATURE and their vrf-
#     copies)                                        -> valid / INVALID,
#     checked against the exact body with the tenant's shared secret
#   - /metrics: values are timings and counts, so only the metric families'
#     names and types are kept, and its Content-Length is <varies>
#   - a binary body (a download)                     -> its length and
#     SHA-256, and the fixture it equals
#
# Running it twice against one binary gives identical files. Needs curl, jq
# and perl (Digest::SHA, part of perl itself); it reads the upload bytes from
# fixtures/ and builds nothing.
set -euo pipefail
export LC_ALL=C # sort order and byte-wise regexes must not depend on the locale

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BINARY OUTFILE" >&2
    exit 2
fi
BIN=$(realpath "$1")
OUT=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES=$ROOT/fixtures

die() { echo "wire-transcript: $*" >&2; exit 2; }
for tool in curl jq perl; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -x $BIN ]] || die "$BIN is not an executable"

# A setting left in the caller's environment (KYCMEDIA_MAX_BODY_BYTES, a
# KYCMEDIA_CONFIG file, ...) would change the answers: the demo runs on its
# defaults and the flags below only.
while read -r name; do
    unset "$name"
done < <(compgen -e | grep '^KYCMEDIA_' || true)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wire-transcript.XXXXXX")
SERVER_PID=""
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        # SIGTERM lets the demo shut down and erase its temporary directory;
        # one that has not gone within ten seconds is killed outright.
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- the server ---------------------------------------------------------------

# A small body limit keeps the 413 requests small (every upload below fits),
# and a short deadline the 408 request short (every other request takes well
# under a second). The flags are checked first, so that a build without one
# fails here and not as a puzzling transcript.
MAX_BODY=262144
TIMEOUT_SECS=5
demo_help=$("$BIN" demo --help)
for flag in --listen --max-body-bytes --request-timeout-secs; do
    grep -q -- "$flag" <<<"$demo_help" || die "$BIN demo has no $flag"
done

"$BIN" demo --listen 127.0.0.1:0 --max-body-bytes "$MAX_BODY" \
    --request-timeout-secs "$TIMEOUT_SECS" >"$TMP/demo.out" 2>"$TMP/demo.log" &
SERVER_PID=$!

# The first stdout line is the JSON description; it is printed only once
# the seed is stored and the port is bound.
for _ in $(seq 600); do
    [[ -s $TMP/demo.out ]] && head -n 1 "$TMP/demo.out" | jq -e .baseUrl >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/demo.log" >&2; die "the demo exited"; }
    sleep 0.1
done
DEMO=$(head -n 1 "$TMP/demo.out")
[[ -n $DEMO ]] || die "the demo printed nothing within a minute"
demo() { jq -r "$1" <<<"$DEMO"; }
BASE=$(demo .baseUrl)
DATABASE=$(demo .database)
MAIN_KEY=$(demo .apiKey)
MAIN_SECRET=$(demo .sharedSecret)
IMAGES_ATTEMPT=$(demo .attempts.standard_attempt_with_images)
VIDEO_ATTEMPT=$(demo .attempts.attempt_with_video)
EMPTY_ATTEMPT=$(demo .attempts.attempt_no_media)
IMAGES_SESSION=$(demo .sessions.standard_attempt_with_images)
VIDEO_SESSION=$(demo .sessions.attempt_with_video)
EMPTY_SESSION=$(demo .sessions.attempt_no_media)

# The tenant requests are made as; `as_tenant` switches.
KEY=$MAIN_KEY
SECRET=$MAIN_SECRET

# --- signing (docs/api.md §1.2, §1.3) -------------------------------------------

# HMAC with the binary's own `sign`, as a client following the README would;
# the answers are checked independently (check_signature, in perl).
sign_text() { printf '%s' "$1" | KYCMEDIA_SHARED_SECRET=$SECRET "$BIN" sign -; }
sign_file() { KYCMEDIA_SHARED_SECRET=$SECRET "$BIN" sign - <"$1"; }
# The legacy scheme: SHA-256(payload || secret).
legacy_text() { printf '%s%s' "$1" "$SECRET" | sha256sum | cut -d' ' -f1; }

# check_signature hmac|legacy HEX FILE: whether HEX signs FILE's bytes.
check_signature() {
    WIRE_SECRET=$SECRET perl -MDigest::SHA=hmac_sha256_hex,sha256_hex -e '
        my ($scheme, $sent, $file) = @ARGV;
        open my $fh, "<:raw", $file or die "$file: $!";
        local $/; my $body = <$fh> // "";
        my $want = $scheme eq "hmac" ? hmac_sha256_hex($body, $ENV{WIRE_SECRET})
                                     : sha256_hex($body . $ENV{WIRE_SECRET});
        print lc($sent) eq $want ? "valid" : "INVALID";' "$@"
}

# --- recording -----------------------------------------------------------------

RAW=$TMP/raw.txt # the transcript before normalisation
: >"$RAW"
STEP=0
LAST=$TMP/last.body # the latest answer's body, for ids the next steps need
last_json() { jq -r "$1" "$LAST"; }

# Set for one request by the caller, reset after it:
EXPECT='Expect:'     # curl's own Expect choice varies by version and body size
SENT_REQUEST_ID=""   # an X-Request-Id the request sends, to recognise its echo
METRICS=""           # non-empty: the body is /metrics, keep only the names

is_text() { # FILE: UTF-8 with no control characters but tab and line ends
    perl -e 'open my $fh, "<:raw", $ARGV[0] or die; local $/; my $b = <$fh> // "";
             exit(utf8::decode($b) && $b !~ /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/ ? 0 : 1)' "$1"
}

record_headers() { # the answer's headers, sorted, random values replaced
    local line name value
    # Keep only the last header block: a "100 Continue" comes before the
    # final answer when the request asked for one.
    tr -d '\r' <"$TMP/headers" | awk 'BEGIN { RS = "" } { last = $0 } END { print last }' >"$TMP/final"
    printf '< %s\n' "$(head -n 1 "$TMP/final")"
    tail -n +2 "$TMP/final" | while IFS= read -r line; do
        [[ -n $line ]] || continue
        name=${line%%:*}
        value=${line#*:}
        value=${value# }
        case ${name,,} in
            date) continue ;;
            x-request-id)
                if [[ -n $SENT_REQUEST_ID && $value == "$SENT_REQUEST_ID" ]]; then
                    value="<as sent>"
                elif [[ $value =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]; then
                    value="<fresh uuid>"
                else
                    value="<neither a fresh uuid nor the one sent>"
                fi ;;
            x-hmac-signature | vrf-hmac-signature) value=$(check_signature hmac "$value" "$TMP/body") ;;
            x-signature | vrf-signature) value=$(check_signature legacy "$value" "$TMP/body") ;;
            content-length) [[ -z $METRICS ]] || value="<varies>" ;;
        esac
        printf '< %s: %s\n' "$name" "$value"
    done | sort
}

record_body() {
    local size hash fixture
    size=$(wc -c <"$TMP/body")
    if [[ -n $METRICS ]]; then
        printf 'body: the metric families (name and type) of %s\n' "/metrics"
        grep '^# TYPE ' "$TMP/body" | sort -u || true
    elif [[ $size -eq 0 ]]; then
        printf 'body: 0 bytes\n'
    elif is_text "$TMP/body"; then
        printf 'body: %d bytes\n' "$size"
        cat "$TMP/body"
        # Byte for byte: say so when the body has no final line end.
        [[ $(tail -c 1 "$TMP/body" | od -An -c | tr -d ' ') == '\n' ]] || printf '\n(no newline at end of body)\n'
    else
        hash=$(sha256sum "$TMP/body" | cut -d' ' -f1)
        fixture=$(cd "$FIXTURES" && sha256sum -- * | awk -v h="$hash" '$1 == h { print " = fixtures/" $2; exit }')
        printf 'body: %d bytes, binary, sha256:%s%s\n' "$size" "$hash" "$fixture"
    fi
}

# send LABEL METHOD PATH BODYFILE [CURL_OPTIONS...]: one request, recorded.
# BODYFILE ("" for none) is sent byte for byte; the options carry the headers.
send() {
    local label=$1 method=$2 path=$3 body=$4
    shift 4
    STEP=$((STEP + 1))
    local args=(--silent --show-error --http1.1 --max-time 30 -X "$method"
        -D "$TMP/headers" -o "$TMP/body" -H "$EXPECT")
    [[ -z $body ]] || args+=(--data-binary "@$body")
    : >"$TMP/headers"
    : >"$TMP/body"
    local rc=0
    curl "${args[@]}" "$@" "$BASE$path" 2>"$TMP/curl.err" || rc=$?
    {
        printf '\n=== %d. %s\n' "$STEP" "$label"
        printf '> %s %s HTTP/1.1\n' "$method" "$path"
        if [[ $rc -ne 0 ]]; then
            printf '! curl failed (exit %d): %s\n' "$rc" "$(head -n 1 "$TMP/curl.err")"
        else
            record_headers
            record_body
        fi
    } >>"$RAW"
    cp "$TMP/body" "$LAST"
    EXPECT='Expect:'
    SENT_REQUEST_ID=""
    METRICS=""
}

# cli LABEL COMMAND...: a step that is not HTTP (the CLI writing to the
# demo's database), recorded by name and exit status only: its output is not
# the wire, and is passed on to the caller.
cli() {
    local label=$1 rc=0
    shift
    "$@" 2>>"$TMP/cli.log" || rc=$?
    printf '\n--- CLI: %s: exit %d\n' "$label" "$rc" >>"$RAW"
    return "$rc"
}

# --- request shapes ------------------------------------------------------------

json() { # NAME TEXT: a body file holding TEXT exactly (no newline added)
    printf '%s' "$2" >"$TMP/$1.json"
    printf '%s' "$TMP/$1.json"
}
signed_get() { # LABEL PATH ID: GET, signed over the id as it appears in PATH
    send "$1" GET "$2" "" -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_text "$3")"
}
signed_delete() {
    send "$1" DELETE "$2" "" -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_text "$3")"
}
signed_json() { # LABEL METHOD PATH BODYFILE: a JSON body, signed
    send "$1" "$2" "$3" "$4" -H 'Content-Type: application/json' \
        -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_file "$4")"
}
upload() { # LABEL SESSION image|video CONTEXT FIXTURE [data-uri]
    local content
    content=$(base64 -w0 "$FIXTURES/$5")
    [[ ${6:-} != data-uri ]] || content="data:application/octet-stream;base64,$content"
    signed_json "$1" POST "/v1/sessions/$2/media" \
        "$(json upload "{\"$3\":{\"context\":\"$4\",\"content\":\"$content\"}}")"
}
as_tenant() { KEY=$1; SECRET=$2; }

# --- operator endpoints (§8) ---------------------------------------------------

send "healthz" GET /healthz ""
send "readyz" GET /readyz ""
SENT_REQUEST_ID=wire-transcript.1
send "a client's own X-Request-Id is echoed" GET /healthz "" -H 'X-Request-Id: wire-transcript.1'
SENT_REQUEST_ID="two words"
send "an unusable X-Request-Id is replaced" GET /healthz "" -H 'X-Request-Id: two words'
send "the OpenAPI document" GET /openapi.json ""
send "the docs redirect" GET /docs ""
send "the docs page" GET /docs/ ""
send "the docs' initializer (points the UI at /openapi.json)" GET /docs/swagger-initializer.js ""

# --- the seeded attempts (§3, §7) ----------------------------------------------

signed_get "media of the attempt with images" "/v1/attempts/$IMAGES_ATTEMPT/media" "$IMAGES_ATTEMPT"
SEED_IMAGE=$(last_json '.images[0].id')
signed_get "media of the attempt with a video" "/v1/attempts/$VIDEO_ATTEMPT/media" "$VIDEO_ATTEMPT"
SEED_VIDEO=$(last_json '.videos[0].id')
signed_get "media of the attempt with no media" "/v1/attempts/$EMPTY_ATTEMPT/media" "$EMPTY_ATTEMPT"
signed_get "the same list again (a cached list must be the same bytes)" \
    "/v1/attempts/$IMAGES_ATTEMPT/media" "$IMAGES_ATTEMPT"
for session in "$IMAGES_SESSION" "$VIDEO_SESSION" "$EMPTY_SESSION"; do
    signed_get "attempts of a seeded session" "/v1/sessions/$session/attempts" "$session"
    signed_get "media of a seeded session's latest attempt" "/v1/sessions/$session/media" "$session"
done
signed_get "analysis of the attempt with images" "/kycmedia/v1/attempts/$IMAGES_ATTEMPT/analysis" "$IMAGES_ATTEMPT"
signed_get "analysis of the attempt with a video" "/kycmedia/v1/attempts/$VIDEO_ATTEMPT/analysis" "$VIDEO_ATTEMPT"
signed_get "analysis of the attempt with no media" "/kycmedia/v1/attempts/$EMPTY_ATTEMPT/analysis" "$EMPTY_ATTEMPT"
signed_get "analysis of the best image" "/kycmedia/v1/media/$SEED_IMAGE/analysis" "$SEED_IMAGE"
signed_get "analysis of the video" "/kycmedia/v1/media/$SEED_VIDEO/analysis" "$SEED_VIDEO"
signed_get "download the best image" "/v1/media/$SEED_IMAGE" "$SEED_IMAGE"
signed_get "download the video" "/v1/media/$SEED_VIDEO" "$SEED_VIDEO"
UPPER=${IMAGES_ATTEMPT^^}
signed_get "an id in upper case, signed as sent (§1.2)" "/v1/attempts/$UPPER/media" "$UPPER"
send "legacy X-SIGNATURE: answered with X-SIGNATURE (§1.3)" GET "/v1/attempts/$IMAGES_ATTEMPT/media" "" \
    -H "X-AUTH-CLIENT: $KEY" -H "X-SIGNATURE: $(legacy_text "$IMAGES_ATTEMPT")"
send "legacy download: vrf-signature" GET "/v1/media/$SEED_IMAGE" "" \
    -H "X-AUTH-CLIENT: $KEY" -H "X-SIGNATURE: $(legacy_text "$SEED_IMAGE")"

# --- a session's life: create, upload every kind, submit, decide, resubmit, delete

signed_json "create a session, signed" POST /v1/sessions "$(json create \
    '{"verification":{"callback":"https://example.com/hook","vendorData":"wire-1","endUserId":"u-1","person":{"firstName":"Ada","lastName":"L"},"document":{"type":"PASSPORT"},"timestamp":"2020-01-01T00:00:00.000Z"}}')"
SESSION=$(last_json .verification.id)
send "create a session, unsigned (allowed here, §1.2)" POST /v1/sessions "$(json create-unsigned '{"verification":{}}')" \
    -H 'Content-Type: application/json' -H "X-AUTH-CLIENT: $KEY"
UNSIGNED_SESSION=$(last_json .verification.id)
signed_get "attempts of a new session: none" "/v1/sessions/$SESSION/attempts" "$SESSION"
signed_get "media of a new session: both arrays empty" "/v1/sessions/$SESSION/media" "$SESSION"
upload "upload a JPEG document front" "$SESSION" image document-front document-front.jpg
upload "upload a JPEG document back" "$SESSION" image document-back document-back.jpg
upload "upload a PNG face as a data: URI" "$SESSION" image face face.png data-uri
upload "upload a WebP face" "$SESSION" image face-pre face.webp
upload "upload a dark JPEG face" "$SESSION" image face-reference face-dark.jpg
upload "upload a PDF address page" "$SESSION" image address-front page.pdf
upload "upload an MP4 selfie video" "$SESSION" video selfid_video selfid.mp4
upload "upload a QuickTime video under the misspelled context" "$SESSION" video documet-back-barcode-pre-video selfid.mov
upload "upload a WebM video" "$SESSION" video face-pre-video selfid.webm
signed_get "attempts: one, started" "/v1/sessions/$SESSION/attempts" "$SESSION"
ATTEMPT=$(last_json '.verifications[0].id')
signed_get "the session's media, ranked" "/v1/sessions/$SESSION/media" "$SESSION"
signed_get "the attempt's media, ranked" "/v1/attempts/$ATTEMPT/media" "$ATTEMPT"
PNG_MEDIA=$(last_json '[.images[] | select(.mimetype == "image/png")][0].id')
WEBM_MEDIA=$(last_json '[.videos[] | select(.mimetype == "video/webm")][0].id')
signed_get "the attempt's analysis" "/kycmedia/v1/attempts/$ATTEMPT/analysis" "$ATTEMPT"
signed_get "download the PNG" "/v1/media/$PNG_MEDIA" "$PNG_MEDIA"
signed_get "download the WebM" "/v1/media/$WEBM_MEDIA" "$WEBM_MEDIA"
signed_json "submit" PATCH "/v1/sessions/$SESSION" "$(json submit '{"verification":{"status":"submitted"}}')"
signed_json "submit again: 1304" PATCH "/v1/sessions/$SESSION" "$TMP/submit.json"
upload "upload after submit: 409" "$SESSION" image face face.jpg
signed_get "attempts: one, submitted" "/v1/sessions/$SESSION/attempts" "$SESSION"

cli "kycmedia decide SESSION resubmission_requested" \
    "$BIN" decide --database "$DATABASE" "$SESSION" resubmission_requested >/dev/null
signed_get "attempts after the decision" "/v1/sessions/$SESSION/attempts" "$SESSION"
upload "upload after resubmission_requested: a new attempt" "$SESSION" image face face-bright.jpg
signed_get "attempts: two, newest first" "/v1/sessions/$SESSION/attempts" "$SESSION"
signed_get "the session's media: the new attempt's only" "/v1/sessions/$SESSION/media" "$SESSION"
signed_get "the first attempt's media, still there" "/v1/attempts/$ATTEMPT/media" "$ATTEMPT"

# The provider's test-integration convention (§3, POST /v1/sessions).
signed_json "create a session that approves itself" POST /v1/sessions "$(json approve '{"verification":{"person":{"firstName":" approve "}}}')"
AUTO=$(last_json .verification.id)
signed_json "submit it with no media" PATCH "/v1/sessions/$AUTO" "$TMP/submit.json"
signed_get "its attempts: one, approved" "/v1/sessions/$AUTO/attempts" "$AUTO"

signed_delete "delete the session" "/v1/sessions/$SESSION" "$SESSION"
signed_get "attempts of the deleted session: 404" "/v1/sessions/$SESSION/attempts" "$SESSION"
signed_get "media of the deleted attempt: 404" "/v1/attempts/$ATTEMPT/media" "$ATTEMPT"
signed_get "download from the deleted session: 404" "/v1/media/$PNG_MEDIA" "$PNG_MEDIA"
signed_get "analysis from the deleted session: 404" "/kycmedia/v1/media/$PNG_MEDIA/analysis" "$PNG_MEDIA"
signed_delete "delete it again: 404" "/v1/sessions/$SESSION" "$SESSION"
signed_delete "delete the unsigned-created session" "/v1/sessions/$UNSIGNED_SESSION" "$UNSIGNED_SESSION"

# --- refusals: authentication (§1, §2.1 steps 2 and 4) --------------------------

PATH_ID="/v1/attempts/$IMAGES_ATTEMPT/media"
send "no X-AUTH-CLIENT: 1801" GET "$PATH_ID" "" -H "X-HMAC-SIGNATURE: $(sign_text "$IMAGES_ATTEMPT")"
send "X-AUTH-CLIENT not a UUID: 1802" GET "$PATH_ID" "" -H 'X-AUTH-CLIENT: not-a-uuid' \
    -H "X-HMAC-SIGNATURE: $(sign_text "$IMAGES_ATTEMPT")"
UNKNOWN_KEY=3f1c6b8e-2d4a-4e5f-9a7b-0c1d2e3f4a5b # no integration has it
send "unknown API key: 1803" GET "$PATH_ID" "" -H "X-AUTH-CLIENT: $UNKNOWN_KEY" \
    -H "X-HMAC-SIGNATURE: $(sign_text "$IMAGES_ATTEMPT")"
send "API key in upper case, with spaces: accepted" GET "$PATH_ID" "" -H "X-AUTH-CLIENT:  ${KEY^^} " \
    -H "X-HMAC-SIGNATURE: $(sign_text "$IMAGES_ATTEMPT")"
send "no signature on a GET: 1815" GET "$PATH_ID" "" -H "X-AUTH-CLIENT: $KEY"
send "signature not 64 hex digits: 1812" GET "$PATH_ID" "" -H "X-AUTH-CLIENT: $KEY" -H 'X-HMAC-SIGNATURE: xyz'
send "wrong signature on a GET: 1818" GET "$PATH_ID" "" -H "X-AUTH-CLIENT: $KEY" \
    -H "X-HMAC-SIGNATURE: $(sign_text "$EMPTY_ATTEMPT")"
send "signature in upper-case hex: accepted" GET "$PATH_ID" "" -H "X-AUTH-CLIENT: $KEY" \
    -H "X-HMAC-SIGNATURE: $(sign_text "$IMAGES_ATTEMPT" | tr a-f A-F)"
send "wrong legacy signature on a GET: 1813" GET "$PATH_ID" "" -H "X-AUTH-CLIENT: $KEY" \
    -H "X-SIGNATURE: $(legacy_text "$EMPTY_ATTEMPT")"
BODY=$(json body-sig '{"verification":{}}')
send "wrong signature on a POST: 1819" POST /v1/sessions "$BODY" -H 'Content-Type: application/json' \
    -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_text '{"verification": {}}')"
send "wrong legacy signature on a POST: 1814" POST /v1/sessions "$BODY" -H 'Content-Type: application/json' \
    -H "X-AUTH-CLIENT: $KEY" -H "X-SIGNATURE: $(legacy_text '{"verification": {}}')"
send "no signature on a PATCH: 1815" PATCH "/v1/sessions/$IMAGES_SESSION" "$TMP/submit.json" \
    -H 'Content-Type: application/json' -H "X-AUTH-CLIENT: $KEY"
send "no X-AUTH-CLIENT on POST /v1/sessions: 1801" POST /v1/sessions "$BODY" -H 'Content-Type: application/json'

# Another tenant: its answers are signed with its own secret, and the first
# tenant's ids are missing to it (404, never 403).
OTHER=$(cli "kycmedia integration create --name other" \
    "$BIN" integration create --name other --database "$DATABASE")
as_tenant "$(jq -r .apiKey <<<"$OTHER")" "$(jq -r .sharedSecret <<<"$OTHER")"
signed_get "another tenant's attempt: 404" "$PATH_ID" "$IMAGES_ATTEMPT"
signed_get "another tenant's media file: 404" "/v1/media/$SEED_IMAGE" "$SEED_IMAGE"
signed_get "another tenant's analysis: 404" "/kycmedia/v1/attempts/$IMAGES_ATTEMPT/analysis" "$IMAGES_ATTEMPT"
signed_json "another tenant's submit: 404" PATCH "/v1/sessions/$IMAGES_SESSION" "$TMP/submit.json"
as_tenant "$MAIN_KEY" "$MAIN_SECRET"

# --- refusals: ids (§2.1 steps 5 and 6) -----------------------------------------

UNKNOWN=0b7e4b8a-9c1d-4f2e-8a3b-5c6d7e8f9a0b # a version-4 UUID nobody has
signed_get "unknown attempt: 404" "/v1/attempts/$UNKNOWN/media" "$UNKNOWN"
signed_get "unknown session's attempts: 404" "/v1/sessions/$UNKNOWN/attempts" "$UNKNOWN"
signed_get "unknown session's media: 404" "/v1/sessions/$UNKNOWN/media" "$UNKNOWN"
signed_get "unknown media: 404" "/v1/media/$UNKNOWN" "$UNKNOWN"
signed_get "unknown media's analysis: 404" "/kycmedia/v1/media/$UNKNOWN/analysis" "$UNKNOWN"
signed_get "unknown attempt's analysis: 404" "/kycmedia/v1/attempts/$UNKNOWN/analysis" "$UNKNOWN"
signed_delete "delete an unknown session: 404" "/v1/sessions/$UNKNOWN" "$UNKNOWN"
signed_json "submit an unknown session: 404" PATCH "/v1/sessions/$UNKNOWN" "$TMP/submit.json"
upload "upload to an unknown session: 404" "$UNKNOWN" image face face.jpg
signed_get "an id too short: 1001" /v1/attempts/abc/media abc
signed_get "an id not a version-4 UUID: 1002" /v1/media/e7ab18d1-5545-5e47-af7b-e23gb6247f80 \
    e7ab18d1-5545-5e47-af7b-e23gb6247f80
NIL=00000000-0000-0000-0000-000000000000
signed_get "the nil UUID: 1002" "/v1/sessions/$NIL/attempts" "$NIL"

# --- refusals: bodies (§3, §2.1 steps 3, 7, 8 and 9) ----------------------------

signed_json "create: malformed JSON: 1101" POST /v1/sessions "$(json bad '{"verification":')"
signed_json "create: JSON but not an object: 1101" POST /v1/sessions "$(json array '[1,2]')"
signed_json "create: no verification: 1102" POST /v1/sessions "$(json empty '{}')"
signed_json "create: verification not an object: 1104" POST /v1/sessions "$(json notobj '{"verification":"x"}')"
signed_json "create: http callback: 1302" POST /v1/sessions "$(json http '{"verification":{"callback":"http://example.com"}}')"
signed_json "create: callback not a URL: 1302" POST /v1/sessions "$(json nourl '{"verification":{"callback":"hook"}}')"
signed_json "create: vendorData not a string: 1501" POST /v1/sessions "$(json vd-type '{"verification":{"vendorData":7}}')"
signed_json "create: vendorData of 1001 characters: 1500" POST /v1/sessions \
    "$(json vd-long "{\"verification\":{\"vendorData\":\"$(printf 'x%.0s' $(seq 1001))\"}}")"
signed_json "create: vendorData of 1000 two-byte characters: accepted" POST /v1/sessions \
    "$(json vd-1000 "{\"verification\":{\"vendorData\":\"$(printf 'é%.0s' $(seq 1000))\"}}")"
signed_json "create: endUserId not a string: 1104" POST /v1/sessions "$(json euid '{"verification":{"endUserId":1}}')"
signed_json "create: person.firstName not a string: 1104" POST /v1/sessions \
    "$(json fname '{"verification":{"person":{"firstName":false}}}')"
signed_json "create: document not an object: 1104" POST /v1/sessions "$(json doc '{"verification":{"document":[]}}')"
# Content-Type is not what decides how a body is read: these record what the
# server does with a JSON body under another type.
BODY=$(json ctype '{"verification":{"vendorData":"ctype"}}')
send "create: Content-Type text/plain" POST /v1/sessions "$BODY" -H 'Content-Type: text/plain' \
    -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_file "$BODY")"
send "create: curl's default form Content-Type" POST /v1/sessions "$BODY" \
    -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_file "$BODY")"
send "create: no Content-Type at all" POST /v1/sessions "$BODY" -H 'Content-Type:' \
    -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_file "$BODY")"

signed_json "a session for the upload refusals" POST /v1/sessions "$(json refusals '{"verification":{}}')"
OPEN=$(last_json .verification.id)
MEDIA_PATH="/v1/sessions/$OPEN/media"
signed_json "upload: malformed JSON: 1101" POST "$MEDIA_PATH" "$(json u-bad '{"image":')"
signed_json "upload: neither image nor video: 1403" POST "$MEDIA_PATH" "$(json u-none '{"photo":{}}')"
signed_json "upload: both image and video: 1104" POST "$MEDIA_PATH" \
    "$(json u-both '{"image":{"context":"face","content":"AA=="},"video":{"context":"selfid_video","content":"AA=="}}')"
signed_json "upload: image not an object: 1104" POST "$MEDIA_PATH" "$(json u-str '{"image":"x"}')"
signed_json "upload: no content: 1400" POST "$MEDIA_PATH" "$(json u-nocontent '{"image":{"context":"face"}}')"
signed_json "upload: blank content: 1400" POST "$MEDIA_PATH" "$(json u-blank '{"image":{"context":"face","content":"  "}}')"
signed_json "upload: content not a string: 1104" POST "$MEDIA_PATH" "$(json u-num '{"image":{"context":"face","content":1}}')"
signed_json "upload: no context: 1102" POST "$MEDIA_PATH" "$(json u-noctx '{"image":{"content":"AA=="}}')"
signed_json "upload: unknown context: 1402" POST "$MEDIA_PATH" "$(json u-ctx '{"image":{"context":"selfie","content":"AA=="}}')"
signed_json "upload: a video context under image: 1402" POST "$MEDIA_PATH" \
    "$(json u-kind '{"image":{"context":"selfid_video","content":"AA=="}}')"
signed_json "upload: not base64: 1401" POST "$MEDIA_PATH" "$(json u-b64 '{"image":{"context":"face","content":"@@@"}}')"
signed_json "upload: data URI without ;base64: 1401" POST "$MEDIA_PATH" \
    "$(json u-uri '{"image":{"context":"face","content":"data:image/jpeg,AAAA"}}')"
signed_json "upload: bytes that are no image: 1104" POST "$MEDIA_PATH" \
    "$(json u-junk '{"image":{"context":"face","content":"aGVsbG8gd29ybGQ="}}')"
upload "upload: a JPEG under video: 1104" "$OPEN" video selfid_video face.jpg
upload "upload: an MP4 under image: 1104" "$OPEN" image face selfid.mp4
BODY=$(json u-ctype '{"image":{"context":"face","content":"AA=="}}')
send "upload: Content-Type application/octet-stream" POST "$MEDIA_PATH" "$BODY" \
    -H 'Content-Type: application/octet-stream' -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_file "$BODY")"

signed_json "submit: malformed JSON: 1101" PATCH "/v1/sessions/$OPEN" "$(json s-bad 'not json')"
signed_json "submit: no verification: 1102" PATCH "/v1/sessions/$OPEN" "$(json s-none '{"status":"submitted"}')"
signed_json "submit: no status: 1102" PATCH "/v1/sessions/$OPEN" "$(json s-nostatus '{"verification":{}}')"
signed_json "submit: status not a string: 1104" PATCH "/v1/sessions/$OPEN" "$(json s-num '{"verification":{"status":1}}')"
signed_json "submit: unknown status: 1303" PATCH "/v1/sessions/$OPEN" "$(json s-unknown '{"verification":{"status":"done"}}')"
signed_json "submit: status approved: 1304" PATCH "/v1/sessions/$OPEN" "$(json s-approved '{"verification":{"status":"approved"}}')"

# Over --max-body-bytes: refused while being read, before the signature is
# checked, unsigned (§1.4). Once declared in Content-Length, with curl waiting
# for "100 Continue" so that the refusal never races the upload; once chunked,
# so that the limit is met while reading.
head -c $((MAX_BODY + 1)) /dev/zero | tr '\0' 'a' >"$TMP/big.json"
EXPECT='Expect: 100-continue'
send "a body over the limit, declared: 413" POST "$MEDIA_PATH" "$TMP/big.json" \
    -H 'Content-Type: application/json' -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_file "$TMP/big.json")"
EXPECT='Expect: 100-continue'
send "a body over the limit, chunked: 413" POST /v1/sessions "$TMP/big.json" -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/json' -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_file "$TMP/big.json")"
head -c "$MAX_BODY" /dev/zero | tr '\0' ' ' >"$TMP/limit.json"
signed_json "a body of exactly the limit: read (and refused as JSON, 1101)" POST /v1/sessions "$TMP/limit.json"

# A body that arrives slower than --request-timeout-secs: 408, unsigned.
printf '{"verification":{"vendorData":"%s"}}' "$(head -c 800 /dev/zero | tr '\0' 's')" >"$TMP/slow.json"
send "a body slower than the deadline: 408" POST /v1/sessions "$TMP/slow.json" --limit-rate 100 \
    -H 'Content-Type: application/json' -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_file "$TMP/slow.json")"

# --- refusals: routes (§2.1 step 1) ---------------------------------------------

send "unknown route: 404, unsigned" GET /v1/nothing "" -H "X-AUTH-CLIENT: $KEY"
send "unknown route under /kycmedia: 404" GET "/kycmedia/v1/media/$SEED_IMAGE" ""
send "a route's trailing slash: 404" GET "/v1/attempts/$IMAGES_ATTEMPT/media/" ""
send "wrong method on /v1/sessions: 405" PUT /v1/sessions "" -H "X-AUTH-CLIENT: $KEY"
send "GET on /v1/sessions/{id} (PATCH and DELETE only): 405" GET "/v1/sessions/$IMAGES_SESSION" "" \
    -H "X-AUTH-CLIENT: $KEY" -H "X-HMAC-SIGNATURE: $(sign_text "$IMAGES_SESSION")"
send "DELETE on a media file: 405" DELETE "/v1/media/$SEED_IMAGE" "" -H "X-AUTH-CLIENT: $KEY"
send "POST to /healthz: 405" POST /healthz "$TMP/submit.json"

# --- last: the metrics, whose families the requests above created --------------

METRICS=1
send "metrics (names and types only)" GET /metrics ""

# --- normalise --------------------------------------------------------------------

# One pass over the whole transcript, so that each id keeps one number from
# its first appearance to its last. The demo's own ids get names; the ids this
# script makes up are not random and stay as they are.
perl -e '
    my $base = shift;
    my (%seen, %count);
    for (@ARGV) {
        my ($name, $value) = split /=/;
        $seen{lc $value} = $name;
    }
    sub placeholder {
        my ($kind, $value) = @_;
        my $name = $seen{lc $value} //= $kind . ++$count{$kind};
        return $value if $name eq "as-is";
        # Ids are compared without case, but the case sent is kept visible.
        my $case = $kind ne "id" || $value eq lc $value ? "" : $value eq uc $value ? ":UPPER" : ":mixed";
        return "<$name$case>";
    }
    while (my $line = <STDIN>) {
        $line =~ s/\Q$base\E/<base-url>/g;
        $line =~ s/\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/placeholder("id", $1)/gie;
        # Session tokens; not the SHA-256 of a binary body ("sha256:...").
        $line =~ s/(?<![0-9a-f:])([0-9a-f]{64})(?![0-9a-f])/placeholder("token", $1)/ge;
        $line =~ s/\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))/placeholder("time", $1)/ge;
        print $line;
    }' "$BASE" \
    "api-key=$MAIN_KEY" "SHARED-SECRET=$MAIN_SECRET" \
    "images-attempt=$IMAGES_ATTEMPT" "video-attempt=$VIDEO_ATTEMPT" "empty-attempt=$EMPTY_ATTEMPT" \
    "images-session=$IMAGES_SESSION" "video-session=$VIDEO_SESSION" "empty-session=$EMPTY_SESSION" \
    "as-is=$UNKNOWN" "as-is=$UNKNOWN_KEY" "as-is=$NIL" <"$RAW" >"$OUT"

echo "wire-transcript: $STEP requests recorded in $OUT" >&2
