"""Measures the capture page for bench/capture.sh, which starts kycmedia
and passes its address and the tenant in the environment.

- weight: every byte the page's flow moves over the wire for three photos,
  requests and answers, headers included, as the browser would send them
  (the page, its script and style, the flow, three photos, submit);
- capture to advice: a 1920x1080 JPEG POSTed to /v/{token}/captures/face
  until its advice is back, one at a time; the baseline is the same photo
  uploaded through POST /v1/sessions/{id}/media (base64 JSON, signed), which
  runs the same analysis.

A link takes 30 requests a minute, so each 20 photos use a fresh session.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import time

HOST, PORT = os.environ["KYC_URL"].removeprefix("http://").split(":")
API_KEY, SECRET = os.environ["API_KEY"], os.environ["SECRET"].encode()
PHOTO = open(os.environ["PHOTO"], "rb").read()
N = int(os.environ.get("BENCH_N", "60"))
FIXTURES = os.path.dirname(os.environ["PHOTO"])


class Wire:
    """One keep-alive connection that counts the bytes each way."""

    def __init__(self):
        self.conn = http.client.HTTPConnection(HOST, int(PORT), timeout=60)
        self.sent = self.received = 0

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        body = body or b""
        headers.setdefault("Host", f"{HOST}:{PORT}")
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.sent += len(head) + 2 + len(body) + (len(f"Content-Length: {len(body)}\r\n") if body else 0)
        self.conn.request(method, path, body if body else None, headers)
        answer = self.conn.getresponse()
        data = answer.read()
        head = f"HTTP/1.1 {answer.status} {answer.reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in answer.getheaders())
        self.received += len(head) + 2 + len(data)
        return answer.status, data


def signed(wire, method, path, payload):
    signature = hmac.new(SECRET, payload, hashlib.sha256).hexdigest()
    return wire.request(method, path, payload, {"Content-Type": "application/json", "X-AUTH-CLIENT": API_KEY,
                                               "X-HMAC-SIGNATURE": signature})


def new_session(wire):
    status, data = signed(wire, "POST", "/v1/sessions", json.dumps({"verification": {}}).encode())
    assert status == 201, (status, data)
    verification = json.loads(data)["verification"]
    return verification["id"], "/" + verification["url"].split("/", 3)[3]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main():
    api = Wire()
    # Weight: the flow as the browser runs it.
    _, path = new_session(api)
    page = Wire()
    for asset in [path, "/capture/app.js", "/capture/app.css", f"{path}/flow"]:
        status, _ = page.request("GET", asset, headers={"Accept-Language": "en"})
        assert status == 200, (asset, status)
    assets = page.sent + page.received
    for context, name in [("document-front", "document-front.jpg"), ("document-back", "document-back.jpg"),
                          ("face", "face.jpg")]:
        status, _ = page.request("POST", f"{path}/captures/{context}", open(os.path.join(FIXTURES, name), "rb").read(),
                                 {"Content-Type": "image/jpeg"})
        assert status == 201, status
    status, _ = page.request("POST", f"{path}/submit")
    assert status == 200, status
    weight = page.sent + page.received

    # Capture to advice, and the API's upload of the same photo.
    capture, baseline = [], []
    wire = Wire()
    content = base64.b64encode(PHOTO).decode()
    for i in range(N):
        if i % 20 == 0:
            session, path = new_session(api)
        start = time.perf_counter()
        status, data = wire.request("POST", f"{path}/captures/face", PHOTO, {"Content-Type": "image/jpeg"})
        capture.append(time.perf_counter() - start)
        assert status == 201 and "hints" in json.loads(data), (status, data)
        body = json.dumps({"image": {"context": "face", "content": content}}).encode()
        start = time.perf_counter()
        status, data = signed(api, "POST", f"/v1/sessions/{session}/media", body)
        baseline.append(time.perf_counter() - start)
        assert status == 201, (status, data)

    ms = lambda s: s * 1000
    print("### Capture page, SQLite + files\n")
    print("| figure | kycmedia | baseline | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| page, script, style and flow | {assets:,} bytes | | |")
    print(f"| the whole flow (those, 3 photos, submit) | {weight:,} bytes | {weight - assets:,} bytes of photos and answers | |")
    for p in (50, 99):
        c, b = percentile(capture, p), percentile(baseline, p)
        print(f"| 1080p JPEG to its advice, p{p} | {ms(c):.1f} ms | {ms(b):.1f} ms (API upload) | {c / b:.2f} |")


main()
