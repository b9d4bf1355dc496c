-- wrk's script for bench/http_load.py: the headers a partner's request carries behind the TLS proxy,
-- and the figures of the run as one JSON line on stdout (latencies in microseconds).
--   wrk ... -s bench/http_load.lua URL -- <host> <token or -> <If-None-Match or ->

function init(args)
  wrk.headers["Host"] = args[1]
  wrk.headers["X-Forwarded-Proto"] = "https"  -- production redirects plain HTTP (SECURE_SSL_REDIRECT)
  wrk.headers["Accept"] = "application/json"
  -- A connection per request, as a partner polling once a minute opens one: with keep-alive, wrk's few
  -- connections stay on whichever gunicorn worker accepted them, all on one in a run of four (measured:
  -- 2-2, 1-3, 2-2, 4, 1-3, 4), and a run measured one process or two by chance.
  wrk.headers["Connection"] = "close"
  if args[2] and args[2] ~= "-" then
    wrk.headers["Authorization"] = "Token " .. args[2]
  end
  if args[3] and args[3] ~= "-" then
    wrk.headers["If-None-Match"] = args[3]
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d},"mean_us":%.1f,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency.mean, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
