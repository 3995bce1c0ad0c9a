#!/usr/bin/env python3
"""Tenant B for bench/fairness.sh: reads `GET /v1/attempts/{id}/media` at a
steady pace over one kept-alive connection, as an ordinary integration
polls; appends each read's latency (microseconds, one a line) to OUT and
prints one line: `READS n=… p50_us=… p99_us=… errors=…`.

usage: fairness_reader.py BASE_URL API_KEY SECRET ATTEMPT RATE SECONDS OUT
"""

import hashlib
import hmac
import http.client
import sys
import time
import urllib.parse


def main() -> None:
    base, api_key, secret, attempt, rate, seconds, out = sys.argv[1:8]
    url = urllib.parse.urlsplit(base)
    signature = hmac.new(secret.encode(), attempt.encode(), hashlib.sha256).hexdigest()
    headers = {"X-AUTH-CLIENT": api_key, "X-HMAC-SIGNATURE": signature}
    path = f"/v1/attempts/{attempt}/media"
    interval = 1.0 / float(rate)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    latencies, errors = [], 0
    start = time.monotonic()
    next_at = start
    while time.monotonic() - start < float(seconds):
        began = time.monotonic()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        latencies.append(time.monotonic() - began)
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    with open(out, "a") as recorded:
        recorded.writelines(f"{int(l * 1e6)}\n" for l in latencies)
    latencies.sort()

    def percentile(p: float) -> int:
        return int(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e6)

    print(f"READS n={len(latencies)} p50_us={percentile(0.50)} p99_us={percentile(0.99)} errors={errors}")


if __name__ == "__main__":
    main()
