#!/usr/bin/env python3
"""Seeds a running kycmedia for the benchmark, through its public API only.

Creates a session, uploads ten real fixture images into its attempt, submits
it, then fetches `GET /v1/attempts/{id}/media` once, checks the answer is a
200 signed with the integration's secret over its exact bytes, and writes
those bytes to OUT. Prints the attempt id on stdout.

usage: seed.py BASE_URL API_KEY SECRET FIXTURES_DIR OUT
"""

import base64
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.request

# Ten uploads, contexts mixed as a real flow would send them.
UPLOADS = [
    ("face.jpg", "face"),
    ("face-blurred.jpg", "face-pre"),
    ("face-dark.jpg", "face-pre"),
    ("face-bright.jpg", "face-cropped"),
    ("face.png", "face-reference"),
    ("face.webp", "document-and-face"),
    ("document-front.jpg", "document-front"),
    ("document-front.jpg", "document-front-pre"),
    ("document-back.jpg", "document-back"),
    ("document-back.jpg", "document-back-pre"),
]


def sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class Client:
    def __init__(self, base: str, api_key: str, secret: str):
        self.base, self.api_key, self.secret = base.rstrip("/"), api_key, secret

    def call(self, method: str, path: str, body=None, signed_id: str | None = None):
        """Sends a signed request; returns (status, headers, raw body bytes)."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        payload = data if data is not None else signed_id.encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("X-AUTH-CLIENT", self.api_key)
        request.add_header("X-HMAC-SIGNATURE", sign(self.secret, payload))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def expect(self, status: int, method: str, path: str, body=None, signed_id=None):
        got, headers, raw = self.call(method, path, body, signed_id)
        if got != status:
            sys.exit(f"seed: {method} {path} answered {got}, wanted {status}: {raw[:300]!r}")
        return headers, raw


def main() -> None:
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    base, api_key, secret, fixtures, out = sys.argv[1:]
    client = Client(base, api_key, secret)

    _, raw = client.expect(201, "POST", "/v1/sessions", {"verification": {}})
    session = json.loads(raw)["verification"]["id"]
    for name, context in UPLOADS:
        with open(f"{fixtures}/{name}", "rb") as f:
            content = base64.b64encode(f.read()).decode()
        client.expect(201, "POST", f"/v1/sessions/{session}/media",
                      {"image": {"context": context, "content": content}})
    client.expect(200, "PATCH", f"/v1/sessions/{session}", {"verification": {"status": "submitted"}})
    _, raw = client.expect(200, "GET", f"/v1/sessions/{session}/attempts", signed_id=session)
    attempt = json.loads(raw)["verifications"][0]["id"]

    headers, raw = client.expect(200, "GET", f"/v1/attempts/{attempt}/media", signed_id=attempt)
    if headers.get("X-AUTH-CLIENT") != api_key:
        sys.exit(f"seed: response X-AUTH-CLIENT is {headers.get('X-AUTH-CLIENT')!r}")
    if headers.get("X-HMAC-SIGNATURE") != sign(secret, raw):
        sys.exit("seed: the attempt media response is not signed over its bytes")
    images = json.loads(raw).get("images", [])
    if len(images) != len(UPLOADS):
        sys.exit(f"seed: the attempt lists {len(images)} images, wanted {len(UPLOADS)}")
    with open(out, "wb") as f:
        f.write(raw)
    print(attempt)


if __name__ == "__main__":
    main()
