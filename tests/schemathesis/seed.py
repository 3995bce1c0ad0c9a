"""Creates the real objects a schemathesis run draws its ids from.

Usage: seed.py BASE_URL FIXTURES_DIR OUT.json, with KYCMEDIA_API_KEY and
KYCMEDIA_SHARED_SECRET set. Writes the ids of each pool hooks.py uses, and
upload bodies made from the repository's fixtures.
"""

import base64
import hashlib
import hmac
import json
import os
import sys

import requests

BASE, FIXTURES, OUT = sys.argv[1:4]
API_KEY = os.environ["KYCMEDIA_API_KEY"]
SECRET = os.environ["KYCMEDIA_SHARED_SECRET"].encode()
http = requests.Session()


def sign(payload: bytes) -> dict:
    return {"X-AUTH-CLIENT": API_KEY, "X-HMAC-SIGNATURE": hmac.new(SECRET, payload, hashlib.sha256).hexdigest()}


def send(method: str, path: str, body=None, signed_id: str = "") -> dict:
    data = json.dumps(body).encode() if body is not None else b""
    headers = sign(data if body is not None else signed_id.encode())
    if body is not None:
        headers["Content-Type"] = "application/json"
    reply = http.request(method, BASE + path, data=data or None, headers=headers, timeout=60)
    if reply.status_code >= 300:
        sys.exit(f"seeding: {method} {path} answered {reply.status_code} {reply.text}")
    return reply.json()


def session(vendor: str) -> str:
    return send("POST", "/v1/sessions", {"verification": {"vendorData": vendor}})["verification"]["id"]


def upload_body(kind: str, context: str, name: str) -> dict:
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return {kind: {"context": context, "content": base64.b64encode(f.read()).decode()}}


bodies = [
    upload_body("image", "face", "face.jpg"),
    upload_body("image", "document-front", "document-front.jpg"),
    upload_body("video", "selfid_video", "selfid.mp4"),
]

ids = {"sessions": [], "attempts": [], "media": []}
for n in range(3):
    s = session(f"schemathesis-read-{n}")
    for body in bodies:
        uploaded = send("POST", f"/v1/sessions/{s}/media", body)
        ids["media"].append((uploaded.get("image") or uploaded["video"])["id"])
    if n == 0:
        # One submitted session: its attempt is closed, its uploads are 409.
        send("PATCH", f"/v1/sessions/{s}", {"verification": {"status": "submitted"}})
    attempts = send("GET", f"/v1/sessions/{s}/attempts", signed_id=s)["verifications"]
    ids["sessions"].append(s)
    ids["attempts"].extend(a["id"] for a in attempts)
# A session with no attempt yet.
ids["sessions"].append(session("schemathesis-empty"))

ids["upload_sessions"] = [session(f"schemathesis-upload-{n}") for n in range(3)]
ids["submit_sessions"] = [session(f"schemathesis-submit-{n}") for n in range(20)]
ids["delete_sessions"] = [session(f"schemathesis-delete-{n}") for n in range(20)]
ids["upload_bodies"] = bodies

with open(OUT, "w", encoding="utf-8") as f:
    json.dump(ids, f)
print(
    f"seeded {len(ids['sessions'])} sessions, {len(ids['attempts'])} attempts, {len(ids['media'])} media; "
    f"{len(ids['submit_sessions'])} to submit, {len(ids['delete_sessions'])} to delete",
    file=sys.stderr,
)
