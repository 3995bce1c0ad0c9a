"""schemathesis hooks for kycmedia (loaded by run.sh through SCHEMATHESIS_HOOKS).

Every generated request is signed as docs/api.md §1.2 says, over the exact
bytes that go on the wire: the signing is a `requests` auth object, which
runs after the body is serialised and the URL quoted, so it sees what is
sent. POST and PATCH sign the body; GET and DELETE sign the raw path id
(the segment after `/v1/<kind>/`, after the `/kycmedia` prefix on §7
paths), exactly as it appears in the request line.

Real ids: run.sh seeds sessions, attempts and media and names them in the
JSON file SCHEMATHESIS_IDS. A generated path id is swapped for one of those
(hypothesis draws which, so runs replay with their seed), so that requests
reach the handlers and not only the 404 of an unknown id. Operations that
change a session (submit, delete, upload) get sessions of their own, so
that deleting one does not empty the pool the reads use. Uploads are also
drawn from real image and video bodies as well as the generated ones.

One check of our own, `response_signature`: every answer that carries a
signature must verify against the exact bytes received (docs/api.md §1.4),
and every answer a handler gave (2xx, 400, 409, and 404 from a known route)
must carry one.
"""

import hashlib
import hmac
import json
import os
from urllib.parse import urlsplit

import requests
import schemathesis
from hypothesis import strategies as st

API_KEY = os.environ["KYCMEDIA_API_KEY"]
SECRET = os.environ["KYCMEDIA_SHARED_SECRET"].encode()

with open(os.environ["SCHEMATHESIS_IDS"], encoding="utf-8") as ids_file:
    IDS = json.load(ids_file)


def hmac_hex(payload: bytes) -> str:
    return hmac.new(SECRET, payload, hashlib.sha256).hexdigest()


def path_id(url: str) -> str:
    """The raw id segment of a request path ('' when there is none)."""
    segments = urlsplit(url).path.split("/")
    if len(segments) > 1 and segments[1] == "kycmedia":
        segments = segments[1:]
    return segments[3] if len(segments) > 3 else ""


class Sign(requests.auth.AuthBase):
    """Adds X-AUTH-CLIENT and X-HMAC-SIGNATURE to the prepared request."""

    def __call__(self, request):
        if request.method in ("GET", "DELETE", "HEAD"):
            payload = path_id(request.url).encode()
        else:
            body = request.body or b""
            payload = body.encode() if isinstance(body, str) else body
        request.headers["X-AUTH-CLIENT"] = API_KEY
        request.headers["X-HMAC-SIGNATURE"] = hmac_hex(payload)
        return request


@schemathesis.hook
def before_call(ctx, case, kwargs):
    kwargs["auth"] = Sign()


def pool(operation):
    """The real ids a generated path id of this operation may become."""
    method, path = operation.method.upper(), operation.path
    if path == "/v1/sessions/{id}":
        return IDS["submit_sessions"] if method == "PATCH" else IDS["delete_sessions"]
    if path == "/v1/sessions/{id}/media" and method == "POST":
        return IDS["upload_sessions"]
    if path.startswith("/v1/sessions/"):
        return IDS["sessions"]
    if "/attempts/" in path:
        return IDS["attempts"]
    if "/media/" in path:
        return IDS["media"]
    return []


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    ids = pool(ctx.operation)
    if not path_parameters or "id" not in path_parameters or not ids:
        return st.just(path_parameters)
    real = [dict(path_parameters, id=i) for i in ids]
    # Half real ids, half whatever was generated (unknown or malformed ids).
    return st.one_of(st.just(path_parameters), st.sampled_from(real))


@schemathesis.hook
def flatmap_body(ctx, body):
    operation = ctx.operation
    if operation.method.upper() == "POST" and operation.path == "/v1/sessions/{id}/media":
        return st.one_of(st.just(body), st.sampled_from(IDS["upload_bodies"]))
    return st.just(body)


# Answers that never reach a handler, and so are never signed (§1.4); 429
# and 503 are refusals of load, which may come before authentication.
UNSIGNED = {401, 405, 408, 413, 429, 503}


def route_matched(case, url):
    """Whether the request path fits its operation's template with a
    non-empty id: else no route matched, and the 404 is the router's."""
    sent = urlsplit(url).path.split("/")
    template = case.operation.path.split("/")
    return len(sent) == len(template) and all(
        s != "" for s, t in zip(sent[1:], template[1:]) if t == "{id}"
    )


@schemathesis.check
def response_signature(ctx, response, case):
    if response.request.method != case.operation.method.upper():
        # A probe with a method the document does not give this path
        # (OPTIONS, TRACE, …): never an authenticated answer.
        return None
    signature = response.headers.get("x-hmac-signature")
    if signature:
        if response.content_size != len(response.content):
            return None
        expected = hmac_hex(response.content)
        if signature[0].strip().lower() != expected:
            raise AssertionError(f"X-HMAC-SIGNATURE {signature[0]} is not the HMAC of the body ({expected})")
        return None
    status = response.status_code
    if status in UNSIGNED or status >= 500:
        return None
    if status == 404 and not route_matched(case, response.request.url):
        return None
    raise AssertionError(f"a {status} answer to a signed request is not signed")
