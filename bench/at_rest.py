#!/usr/bin/env python3
"""Helpers of bench/at-rest.sh (encryption at rest against plaintext).

usage:
  at_rest.py seed BASE KEY SECRET FILE KIND CONTEXT
                                       uploads FILE into a new session, checks
                                       that it downloads back byte for byte and
                                       signed over those bytes; prints the media id
  at_rest.py uploads BASE KEY SECRET FILE KIND CONTEXT SECONDS THREADS
                                       uploads FILE over and over from THREADS
                                       keep-alive connections for SECONDS; prints
                                       one machine-readable BENCH line

Python's standard library only.
"""

import base64
import hashlib
import hmac
import http.client
import json
import sys
import threading
import time
import urllib.parse

SESSIONS = 64  # uploads are spread over this many sessions, made beforehand


def sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class Client:
    """One keep-alive connection that signs what it sends."""

    def __init__(self, base: str, key: str, secret: str):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
        self.key, self.secret = key, secret

    def send(self, method: str, path: str, body: bytes | None = None, signed_id: str | None = None,
             signature: str | None = None):
        headers = {"X-AUTH-CLIENT": self.key}
        if body is not None:
            headers["Content-Type"] = "application/json"
        headers["X-HMAC-SIGNATURE"] = signature or sign(self.secret, body if body is not None else signed_id.encode())
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.headers, response.read()

    def expect(self, status: int, method: str, path: str, **kw):
        got, headers, raw = self.send(method, path, **kw)
        if got != status:
            sys.exit(f"at_rest: {method} {path} answered {got}, wanted {status}: {raw[:300]!r}")
        return headers, raw


def new_session(client: Client) -> str:
    _, raw = client.expect(201, "POST", "/v1/sessions", body=b'{"verification":{}}')
    return json.loads(raw)["verification"]["id"]


def upload_body(path: str, kind: str, context: str) -> bytes:
    with open(path, "rb") as f:
        content = base64.b64encode(f.read()).decode()
    return json.dumps({kind: {"context": context, "content": content}}, separators=(",", ":")).encode()


def seed(base, key, secret, path, kind, context) -> None:
    client = Client(base, key, secret)
    session = new_session(client)
    _, raw = client.expect(201, "POST", f"/v1/sessions/{session}/media", body=upload_body(path, kind, context))
    media = json.loads(raw)[kind]["id"]
    headers, raw = client.expect(200, "GET", f"/v1/media/{media}", signed_id=media)
    with open(path, "rb") as f:
        if raw != f.read():
            sys.exit(f"at_rest: media {media} downloads other bytes than {path}")
    if headers.get("X-HMAC-SIGNATURE") != sign(secret, raw):
        sys.exit(f"at_rest: the download of {media} is not signed over its bytes")
    print(media)


def uploads(base, key, secret, path, kind, context, seconds, threads) -> None:
    body = upload_body(path, kind, context)
    signature = sign(secret, body)  # the same body every time, so one signature
    setup = Client(base, key, secret)
    sessions = [new_session(setup) for _ in range(SESSIONS)]
    latencies, errors, lock = [], [0], threading.Lock()
    start = time.monotonic()
    deadline = start + seconds

    def worker(n: int) -> None:
        client = Client(base, key, secret)
        i = n
        while time.monotonic() < deadline:
            session = sessions[i % len(sessions)]
            i += threads
            began = time.monotonic()
            try:
                status, _, _ = client.send("POST", f"/v1/sessions/{session}/media", body=body, signature=signature)
            except (OSError, http.client.HTTPException):
                status = 0
                client = Client(base, key, secret)
            took = time.monotonic() - began
            with lock:
                if status == 201:
                    latencies.append(took)
                else:
                    errors[0] += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0
    print(f"BENCH uploads={len(latencies)} duration_us={elapsed * 1e6:.0f} p50_us={pick(0.5) * 1e6:.0f} "
          f"p99_us={pick(0.99) * 1e6:.0f} errors={errors[0]}")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["seed"] and len(args) == 7:
        seed(*args[1:])
    elif args[:1] == ["uploads"] and len(args) == 9:
        uploads(*args[1:7], float(args[7]), int(args[8]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
