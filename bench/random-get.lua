-- wrk script: each request is a correctly signed
-- `GET /v1/attempts/{id}/media` for an attempt drawn at random from a list,
-- so that the load reads rows all over the tables rather than one hot row.
--
-- BENCH_REQUESTS names a Lua file that returns { {attemptId, signature}, ... }
-- (the signature: hex HMAC-SHA256 of the attempt id with the shared secret),
-- written by bench/scale.sh; BENCH_API_KEY is the integration's API key.
-- Every request's bytes are built once per thread in init(), so the draw
-- costs wrk one random number per request.

local pairs_file = os.getenv("BENCH_REQUESTS")
local api_key = os.getenv("BENCH_API_KEY")
local requests = {}
local count = 0
local threads = 0

-- Runs in wrk's main Lua state, once per thread before its init().
function setup(thread)
   threads = threads + 1
   thread:set("bench_thread", threads)
end

function init(args)
   local list = dofile(pairs_file)
   for i, pair in ipairs(list) do
      requests[i] = wrk.format("GET", "/v1/attempts/" .. pair[1] .. "/media",
                               { ["X-AUTH-CLIENT"] = api_key, ["X-HMAC-SIGNATURE"] = pair[2] })
   end
   count = #requests
   if count == 0 then
      error("random-get.lua: no requests in " .. tostring(pairs_file))
   end
   -- Each thread draws its own sequence.
   math.randomseed(os.time() * 1000 + (bench_thread or 0))
end

function request()
   return requests[math.random(count)]
end

-- One machine-readable line after wrk's own report (the same line as
-- signed-get.lua's). Latencies in microseconds.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d bytes=%d " ..
      "err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      summary.bytes, e.connect, e.read, e.write, e.timeout, e.status))
end
