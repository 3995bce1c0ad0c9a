-- wrk script for bench/fairness.sh: tenant A's flood, every request the same
-- signed upload (`POST /v1/sessions/{id}/media`; the body names no session,
-- so one signature serves them all). BENCH_UPLOAD_BODY is the JSON body's
-- file, BENCH_API_KEY and BENCH_SIGNATURE its headers.

local file = assert(io.open(os.getenv("BENCH_UPLOAD_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-AUTH-CLIENT"] = os.getenv("BENCH_API_KEY")
wrk.headers["X-HMAC-SIGNATURE"] = os.getenv("BENCH_SIGNATURE")

function done(summary, latency, requests)
   io.write(string.format("FLOOD requests=%d duration_us=%d p50_us=%d err_status=%d\n",
      summary.requests, summary.duration, latency:percentile(50), summary.errors.status))
end
