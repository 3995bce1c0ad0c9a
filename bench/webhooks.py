"""Measures webhook delivery for bench/webhooks.sh, which starts kycmedia
and passes its address, the tenant and a free port in the environment.

Three figures, each beside a baseline measured in the same run:

- latency from commit to receipt: a session is submitted (the PATCH answers
  after its transaction, outbox row included, has committed) and the clock
  stops when its `submitted` webhook reaches the receiver; the baseline is
  the same receiver's round trip for a direct POST of the same size;
- deliveries per second: webhooks that could not be delivered are replayed
  at once (`kycmedia webhooks replay --failed-since`) and timed until the
  last arrives; the baseline is direct POSTs from 16 keep-alive connections,
  the most a receiver gets from any sender here;
- outbox rows per second: submits per second from 8 clients, each one
  transaction writing its outbox row; the baseline is session creations,
  the same kind of transaction without one.
"""

import concurrent.futures
import hashlib
import hmac
import http.client
import http.server
import json
import multiprocessing
import os
import statistics
import subprocess
import threading
import time

KYC = os.environ["KYC_URL"].removeprefix("http://")
API_KEY, SECRET = os.environ["API_KEY"], os.environ["SECRET"].encode()
BIN, DB = os.environ["BIN"], os.environ["DB"]
RECEIVER_PORT = int(os.environ["RECEIVER_PORT"])
LATENCY_N = int(os.environ.get("BENCH_LATENCY_N", "200"))
BULK_N = int(os.environ.get("BENCH_BULK_N", "2000"))

arrived = {}  # session id -> monotonic arrival of its `submitted` webhook
arrivals = []  # every arrival's monotonic time
lock = threading.Lock()
away = threading.Event()  # while set, the receiver answers 503 to everything


class Receive(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        now = time.monotonic()
        self.send_response(503 if away.is_set() else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if away.is_set():
            return
        doc = json.loads(body)
        with lock:
            arrivals.append(now)
            if doc.get("action") == "submitted":
                arrived[doc["id"]] = now

    def log_message(self, *args):
        pass


def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), Receive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def kyc():
    return http.client.HTTPConnection(KYC, timeout=30)


def create(conn):
    body = b'{"verification":{}}'
    conn.request("POST", "/v1/sessions", body, {"Content-Type": "application/json", "X-AUTH-CLIENT": API_KEY})
    answer = conn.getresponse()
    doc = json.loads(answer.read())
    assert answer.status == 201, doc
    return doc["verification"]["id"]


def submit(conn, session):
    body = b'{"verification":{"status":"submitted"}}'
    signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    conn.request("PATCH", f"/v1/sessions/{session}", body, {
        "Content-Type": "application/json", "X-AUTH-CLIENT": API_KEY, "X-HMAC-SIGNATURE": signature})
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 200, answer.status


def cli(*args):
    out = subprocess.run([f"{BIN}/kycmedia", *args, "--database", DB], check=True, capture_output=True).stdout
    return json.loads(out) if out.strip() else None


def set_events(url):
    cli("integration", "set-webhooks", API_KEY, "--events", url)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def direct_posts(count, connections):
    """Direct POSTs of a submitted webhook's size, sent from another process
    (so that the sender does not share the receiver's interpreter lock, as
    kycmedia does not): per-request times, and requests per second over
    `connections` keep-alive connections."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_direct_posts, (count, connections))


def _direct_posts(count, connections):
    body = json.dumps({"id": "0" * 36, "attemptId": "0" * 36, "feature": "selfid", "code": 7002,
                       "action": "baseline", "vendorData": None, "endUserId": None}).encode()

    def run(n):
        conn = http.client.HTTPConnection("127.0.0.1", RECEIVER_PORT, timeout=30)
        times = []
        for _ in range(n):
            start = time.monotonic()
            conn.request("POST", "/baseline", body, {"Content-Type": "application/json"})
            conn.getresponse().read()
            times.append(time.monotonic() - start)
        return times

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        times = [t for part in pool.map(run, [count // connections] * connections) for t in part]
    return times, len(times) / (time.monotonic() - start)


def main():
    receiver()
    url = f"http://127.0.0.1:{RECEIVER_PORT}/events"
    set_events(url)
    time.sleep(1.5)  # the integration cache forgets the old settings

    # Latency, one session at a time.
    conn = kyc()
    latencies = []
    for _ in range(LATENCY_N):
        session = create(conn)
        submit(conn, session)
        committed = time.monotonic()
        while True:
            with lock:
                got = arrived.get(session)
            if got is not None:
                latencies.append(max(0.0, got - committed))
                break
            time.sleep(0.001)
    base_times, _ = direct_posts(LATENCY_N, 1)

    # Outbox rows: submits from 8 clients while the receiver is away (it
    # answers 503, on the connections the deliverer keeps open).
    away.set()
    def sessions(n):
        c = kyc()
        return [create(c) for _ in range(n)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        start = time.monotonic()
        made = [s for part in pool.map(sessions, [BULK_N // 8] * 8) for s in part]
        create_rate = len(made) / (time.monotonic() - start)
    def submits(part):
        c = kyc()
        for s in part:
            submit(c, s)
    parts = [made[i::8] for i in range(8)]
    replay_from = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        start = time.monotonic()
        list(pool.map(submits, parts))
        submit_rate = len(made) / (time.monotonic() - start)

    # Deliveries: wait until every webhook has failed (receiver away), then
    # bring the receiver back and replay them all at once.
    made_count = len(made)  # one `submitted` each: with no upload there is no `started`
    deadline = time.monotonic() + 120
    while True:
        failed = cli("webhooks", "list", "--failed", "--limit", str(made_count + 10))
        if len(failed) >= made_count or time.monotonic() > deadline:
            break
        time.sleep(1)
    away.clear()
    _, base_rate = direct_posts(BULK_N, 16)
    with lock:
        arrivals.clear()
    start = time.monotonic()
    # What is timed is what was replayed: had any webhook not failed in time,
    # its retry would not be counted as a replayed delivery.
    expected = cli("webhooks", "replay", "--failed-since", replay_from)["replayed"]
    while True:
        with lock:
            count = len(arrivals)
            last = arrivals[-1] if arrivals else start
        if count >= expected or time.monotonic() - start > 120:
            break
        time.sleep(0.05)
    delivery_rate = count / (last - start)

    def ms(seconds):
        return f"{seconds * 1000:.1f} ms"
    print(json.dumps({
        "latency_p50_ms": percentile(latencies, 50) * 1000, "latency_p99_ms": percentile(latencies, 99) * 1000,
        "baseline_p50_ms": percentile(base_times, 50) * 1000, "baseline_p99_ms": percentile(base_times, 99) * 1000,
        "deliveries_per_s": delivery_rate, "delivered": count, "baseline_posts_per_s": base_rate,
        "submits_per_s": submit_rate, "creates_per_s": create_rate,
    }))
    print(f"commit to receipt: p50 {ms(percentile(latencies, 50))}, p99 {ms(percentile(latencies, 99))} "
          f"(direct POST p50 {ms(percentile(base_times, 50))}, p99 {ms(percentile(base_times, 99))})", flush=True)


if __name__ == "__main__":
    main()
