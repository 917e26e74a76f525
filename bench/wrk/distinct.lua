-- Uncached load: every request asks for a variant no earlier request to this server asked for.
--
-- wrk ... -s distinct.lua URL -- TEMPLATE OFFSET THREADS
--   TEMPLATE  the request path with {w} and {h} where the box goes
--   OFFSET    the first request number (the harness moves it past every run on this server)
--   THREADS   wrk's -t, so thread i takes the numbers OFFSET + i, + i + THREADS, ...
-- Request number n asks for the box (100 + n % 201, 200 + n // 201 % 201): the same
-- sequence as bench/sizes.py. The response callback counts statuses and fitter's
-- X-Fitter-Cache header, so the harness can check that every answer was generated.

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  template = args[1]
  next_number = tonumber(args[2]) + index
  stride = tonumber(args[3])
  sent, ok, misses, other_layers, no_layer = 0, 0, 0, 0, 0
end

function request()
  local n = next_number % (201 * 201)
  local w = 100 + n % 201
  local h = 200 + math.floor(n / 201)
  next_number = next_number + stride
  sent = sent + 1
  local path = template:gsub("{w}", tostring(w)):gsub("{h}", tostring(h))
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  end
  local layer = headers["x-fitter-cache"] or headers["X-Fitter-Cache"]
  if layer == "miss" then
    misses = misses + 1
  elseif layer == nil then
    no_layer = no_layer + 1
  else
    other_layers = other_layers + 1
  end
end

local function total(name)
  local sum = 0
  for _, thread in ipairs(threads) do
    sum = sum + thread:get(name)
  end
  return sum
end

local function most(name)
  local largest = 0
  for _, thread in ipairs(threads) do
    largest = math.max(largest, thread:get(name))
  end
  return largest
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},'
      .. '"sent":%d,"most_sent_by_a_thread":%d,"ok":%d,"misses":%d,'
      .. '"other_layers":%d,"no_layer":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean,
    total("sent"), most("sent"), total("ok"), total("misses"),
    total("other_layers"), total("no_layer")))
end
