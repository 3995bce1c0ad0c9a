-- wrk script: every request carries the headers of a correctly signed GET
-- of one resource by id: `GET /v1/attempts/{id}/media` (attempt-media.sh) or
-- `GET /v1/media/{id}` (at-rest.sh). A GET's signature is the HMAC of the
-- bare id, so it is the same for every request and computed once by the
-- calling script (BENCH_API_KEY, BENCH_SIGNATURE). The baseline of
-- attempt-media.sh gets the very same request bytes and ignores the headers.

wrk.headers["X-AUTH-CLIENT"] = os.getenv("BENCH_API_KEY")
wrk.headers["X-HMAC-SIGNATURE"] = os.getenv("BENCH_SIGNATURE")

-- One machine-readable line after wrk's own report. Latencies in microseconds.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d bytes=%d " ..
      "err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      summary.bytes, e.connect, e.read, e.write, e.timeout, e.status))
end
