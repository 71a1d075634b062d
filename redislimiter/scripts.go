package redislimiter

import "github.com/redis/go-redis/v9"

// The shared state, under the keys of one name (KEYS, in order):
//
//	1 leases    a sorted set: lease ID -> expiry (ms); the requests in flight
//	2 fixed     the fixed rate's token bucket: a hash of tokens, last (ms)
//	3 gate      the time (ms) until which every request waits
//	4 learn     a hash: rate (requests/s, 0 = none yet), measured, accepted,
//	            win_start, win_n, span_start, span_n (the measurement
//	            windows), epoch (counts the cuts), last_429,
//	            last_probe, last_paced (when the last request the learned
//	            rate held back, in any process, was let go), start, and the learned
//	            rate's token bucket (burst 1): p_tokens, p_last (ms)
//	5 queue     a sorted set: waiter ID -> ticket; served in ticket order
//	6 qalive    a sorted set: waiter ID -> when it is dropped unless it asks
//	            again (a waiter whose process died)
//	7 qseq      the last ticket
//	8 inst      a token for this state: when it is gone, Redis lost the
//	            state (a restart, a flush) and every process registers the
//	            requests it has in flight again
//
//	9 model     the request's model's hash: what learn keeps, for the
//	            requests of that model, learned from the 429s scoped to it,
//	            and its gate (ms); unused when the request names no model
//	10 mleases  a sorted set: the model's lease IDs -> expiry (ms), for the
//	            model's first guess (its requests in flight). They are not
//	            renewed: a request longer than the lease's TTL, or one
//	            in flight when Redis lost its state, is not counted there.
//
// Every script reads the time from Redis, so that the processes' clocks
// need not agree; tests give it instead (a "now" argument, ms, 0: Redis's
// TIME). Every write slides the keys' expiry: the state of a name unused
// for a day goes.
//
// The algorithm is openrouter.AdaptiveLimiter's (ratelimit.go), step for
// step: the comments name its functions.
const clockLua = `
local function clock(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local day = 86400000
local function num(x) return string.format('%.17g', x) end
`

// acquireScript takes a place in the queue, then a slot and a place in
// the rate. ARGV: 1 lease ID, 2 max in flight (0: no cap), 3 lease TTL
// (ms), 4 fixed rate (requests/s, 0: none), 5 burst, 6 now, 7 the state's
// token the caller knows ("" at first), 8 a new token, 9 how long (ms) a
// waiter keeps its place past its next call, 10 the grace (ms) after a
// state loss, 11 adaptive (1/0), 12 the request names a model (1/0: KEYS
// 9 and 10 are its). It returns {status, wait ms, epoch, token, model
// epoch, sent, model sent}: status 1 =
// acquired (wait: how long to sleep before sending, for the rate); 0 =
// wait and ask again; 2 = the state is not the one the caller knows:
// register the leases held, then ask again. The epoch counts the rate's
// cuts, for telling stale 429s at release; sent (ms, as a string) is when
// the account's rate lets the request go, model sent when the model's
// does, for the measurement windows (given back at release).
var acquireScript = redis.NewScript(clockLua + `
local now = clock(ARGV[6])
local inst = redis.call('GET', KEYS[8])
if not inst then
  inst = ARGV[8]
  redis.call('SET', KEYS[8], inst, 'PX', day)
end
if inst ~= ARGV[7] then
  if ARGV[7] ~= '' then
    -- the state was lost: no slot until every live process registered its own
    local g = tonumber(redis.call('GET', KEYS[3]) or '0')
    local u = now + tonumber(ARGV[10])
    if u > g then redis.call('SET', KEYS[3], u, 'PX', tonumber(ARGV[10])) end
  end
  return {2, 0, '0', inst}
end
redis.call('PEXPIRE', KEYS[8], day)
local id, maxf, alive = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[9])
local function later(ms)
  if maxf > 0 then redis.call('ZADD', KEYS[6], now + ms + alive, id) end
  return {0, ms, '0', inst}
end
if maxf > 0 then
  local dead = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now)
  for i = 1, #dead do redis.call('ZREM', KEYS[5], dead[i]) end
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
  if not redis.call('ZSCORE', KEYS[5], id) then
    redis.call('ZADD', KEYS[5], redis.call('INCR', KEYS[7]), id)
  end
  redis.call('PEXPIRE', KEYS[5], day)
  redis.call('PEXPIRE', KEYS[6], day)
  redis.call('PEXPIRE', KEYS[7], day)
end
local model = ARGV[12] == '1'
local gate = tonumber(redis.call('GET', KEYS[3]) or '0')
if model then gate = math.max(gate, tonumber(redis.call('HGET', KEYS[9], 'gate') or '0')) end
if gate > now then return later(gate - now) end
if maxf > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  local free = maxf - redis.call('ZCARD', KEYS[1])
  local rank = redis.call('ZRANK', KEYS[5], id)
  if free <= 0 or rank >= free then
    -- the next in line ask often: a slot waits for them alone
    local wait = 20
    if rank < maxf then wait = 5 end
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    if first[2] then wait = math.min(math.max(tonumber(first[2]) - now, 1), wait) end
    return later(wait)
  end
  redis.call('ZREM', KEYS[5], id)
  redis.call('ZREM', KEYS[6], id)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), id)
redis.call('PEXPIRE', KEYS[1], day)
redis.call('HSETNX', KEYS[4], 'start', now)
redis.call('PEXPIRE', KEYS[4], day)
local epoch = redis.call('HGET', KEYS[4], 'epoch') or '0'
local mepoch = '0'
if model then
  redis.call('ZADD', KEYS[10], now + tonumber(ARGV[3]), id)
  redis.call('PEXPIRE', KEYS[10], day)
  redis.call('HSETNX', KEYS[9], 'start', now)
  redis.call('PEXPIRE', KEYS[9], day)
  mepoch = redis.call('HGET', KEYS[9], 'epoch') or '0'
end
-- wait (ratelimit.go): the fixed rate's bucket, then the learned rate's,
-- each a token bucket as golang.org/x/time/rate keeps it.
local t, wait = now, 0
local fixed, burst = tonumber(ARGV[4]), tonumber(ARGV[5])
if fixed > 0 then
  local tk = tonumber(redis.call('HGET', KEYS[2], 'tokens') or burst)
  local last = tonumber(redis.call('HGET', KEYS[2], 'last') or t)
  if t < last then last = t end
  tk = math.min(tk + (t - last) / 1000 * fixed, burst) - 1
  if tk < 0 then wait = -tk / fixed * 1000 end
  redis.call('HSET', KEYS[2], 'tokens', num(tk), 'last', num(t))
  redis.call('PEXPIRE', KEYS[2], 60000 + math.ceil(burst * 1000 / fixed))
  t = t + wait
end
-- the learned rate of a scope (hash h), at time t
local function pace(h, t)
  local learned = tonumber(redis.call('HGET', h, 'rate') or '0')
  if learned <= 0 then return end
  local tk = tonumber(redis.call('HGET', h, 'p_tokens') or '1')
  local last = tonumber(redis.call('HGET', h, 'p_last') or t)
  if t < last then last = t end
  tk = math.min(tk + (t - last) / 1000 * learned, 1) - 1
  if tk < 0 then
    wait = wait - tk / learned * 1000
    -- the learned rate holds this request back: it binds, and may step
    -- up (lastPaced: when the request goes)
    local sent = now + wait
    if sent > tonumber(redis.call('HGET', h, 'last_paced') or '0') then
      redis.call('HSET', h, 'last_paced', num(sent))
    end
  end
  redis.call('HSET', h, 'p_tokens', num(tk), 'p_last', num(t))
end
local sent, msent = now + wait, now + wait
if ARGV[11] == '1' then
  pace(KEYS[4], t)
  sent = now + wait
  -- then the model's, once the account's let the request go
  if model then pace(KEYS[9], now + wait) end
  msent = now + wait
end
return {1, math.floor(wait), epoch, inst, mepoch, num(sent), num(msent)}
`)

// releaseScript frees a slot and learns from the outcome (done in
// ratelimit.go), for the account (KEYS 4, gate KEYS 3) from every answer
// but a 429 scoped to the model, and for the request's model (KEYS 9) from
// every answer but a 429 that is not. ARGV: 1 lease ID, 2 status, 3
// retry-after (ms), 4 gate threshold (ms), 5 max gate (ms), 6 rate-limit
// remaining (-1: unknown), 7 reset (ms since the epoch; 0: unknown), 8
// adaptive (1/0), 9 the epoch seen at acquire (a 429 from a request sent
// before a later cut is stale: it says nothing of the new rate), 10 now,
// 11 the request names a model (1/0), 12 the 429 is scoped to the model
// (1/0), 13 the model's epoch seen at acquire, 14 and 15 when the
// account's and the model's rates let the request go (ms, from acquire).
// It returns the learned rates, the account's and the model's (as
// strings).
var releaseScript = redis.NewScript(clockLua + `
local now = clock(ARGV[10])
local status = tonumber(ARGV[2])
local model = ARGV[11] == '1'
-- a 429 scoped to no model slows every request, as the account's does
local scoped = model and ARGV[12] == '1' and status == 429
redis.call('ZREM', KEYS[1], ARGV[1])
if model then redis.call('ZREM', KEYS[10], ARGV[1]) end
local function rateof(h) return num(tonumber(redis.call('HGET', h, 'rate') or '0')) end
local ra, thr, maxg = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local rem, reset = tonumber(ARGV[6]), tonumber(ARGV[7])
local adaptive = ARGV[8] == '1'
-- learn (pacer.learn in ratelimit_pacer.go) for one scope: h its hash,
-- lk its leases, ep the epoch the request was sent under, sentms when it
-- went, global the account's scope (else a model's). It returns the
-- scope's rate.
local function learn(h, lk, ep, sentms, global)
  local function gateto(untilms)
    if global then
      local g = tonumber(redis.call('GET', KEYS[3]) or '0')
      if untilms > g then redis.call('SET', KEYS[3], untilms, 'PX', math.max(untilms - now, 1)) end
    elseif untilms > tonumber(redis.call('HGET', h, 'gate') or '0') then
      redis.call('HSET', h, 'gate', untilms)
    end
  end
  local rate = tonumber(redis.call('HGET', h, 'rate') or '0')
  redis.call('PEXPIRE', h, day)
  -- setRate: the learned rate's bucket fills at the old rate until now
  -- (from none, it starts full), then at the new one.
  local function setrate(nr)
    local tk = 1
    if rate > 0 then
      local last = tonumber(redis.call('HGET', h, 'p_last') or now)
      if now < last then last = now end
      tk = math.min(tonumber(redis.call('HGET', h, 'p_tokens') or '1') + (now - last) / 1000 * rate, 1)
    end
    redis.call('HSET', h, 'rate', num(nr), 'p_tokens', num(tk), 'p_last', num(now))
    rate = nr
  end
  -- gateByHeaders (the account's only): hold every request until the
  -- reset when nothing remains, and pace to what remains otherwise.
  if global and reset > 0 and rem >= 0 and reset > now and reset - now <= maxg then
    if rem == 0 then
      gateto(reset)
    else
      local ps = rem / ((reset - now) / 1000)
      if adaptive and (rate == 0 or ps < rate) then
        setrate(ps)
        redis.call('HSET', h, 'last_probe', now)
      end
    end
  end
  local stale = (redis.call('HGET', h, 'epoch') or '0') ~= ep
  if status ~= 429 then
    redis.call('HINCRBY', h, 'accepted', 1)
    -- the windows count the requests sent since they began
    local ws = tonumber(redis.call('HGET', h, 'win_start') or '0')
    if ws > 0 and sentms >= ws then redis.call('HINCRBY', h, 'win_n', 1) end
    local ss = tonumber(redis.call('HGET', h, 'span_start') or '0')
    if ss > 0 and sentms >= ss then redis.call('HINCRBY', h, 'span_n', 1) end
    local lp = tonumber(redis.call('HGET', h, 'last_probe') or '0')
    local measured = tonumber(redis.call('HGET', h, 'measured') or '0')
    local l429 = tonumber(redis.call('HGET', h, 'last_429') or '0')
    -- a guess climbs in small steps, often (probeGuessing), once
    -- guessSettle has passed without a 429; a measured rate once a second
    -- (probeEvery)
    local every = 1000
    if measured == 0 and now - l429 >= 2000 then every = 250 end
    -- the rate steps up only while it holds requests back, once one was
    -- since the last step (lastPaced): a limiter whose requests could not
    -- use it has not shown the server accepts more
    local paced = tonumber(redis.call('HGET', h, 'last_paced') or '0')
    if rate > 0 and now - lp >= every and paced > lp then
      -- probe: a guess climbs by 5%; a measured rate climbs back to what
      -- was measured, and past it (to twice it) after 30s without a 429.
      local nr = rate * 1.05
      if measured > 0 then
        local ceiling = measured
        if now - l429 > 30000 then ceiling = 2 * measured end
        nr = math.max(rate, math.min(rate * 1.01, ceiling))
      end
      setrate(nr)
      redis.call('HSET', h, 'last_probe', now)
    end
    return num(rate)
  end
  if ra >= thr and ra <= maxg then gateto(now + ra) end
  if ra > maxg then return num(rate) end -- a quota: it says nothing of the rate
  if not adaptive or stale then return num(rate) end
  local acc = tonumber(redis.call('HGET', h, 'accepted') or '0')
  local winn = tonumber(redis.call('HGET', h, 'win_n') or '0')
  -- the requests in flight, in every process (this lease is gone)
  local inflight = redis.call('ZCOUNT', lk, now, '+inf')
  -- measure (pacer.measure): the window's answers back, less one, and
  -- the span's with the requests in flight counted, each from when the
  -- request a 429 answered was sent
  local function measure()
    local est = 0
    local spans = {
      {winn, 1, tonumber(redis.call('HGET', h, 'win_start') or '0')},
      {tonumber(redis.call('HGET', h, 'span_n') or '0') + inflight, 0, tonumber(redis.call('HGET', h, 'span_start') or '0')},
    }
    for i = 1, 2 do
      local n, less, st = spans[i][1], spans[i][2], spans[i][3]
      local sec = (now - st) / 1000
      if st > 0 and n >= 20 and sec > 0 then est = math.max(est, (n - less) / sec) end
    end
    return est
  end
  local nr
  local meas = tonumber(redis.call('HGET', h, 'measured') or '0')
  if rate == 0 then
    -- the first 429: what was accepted, and what is still in flight,
    -- halved
    local start = tonumber(redis.call('HGET', h, 'start') or now)
    local el = math.max((now - start) / 1000, 0.05)
    nr, meas = math.max((acc + inflight) / el * 0.5, 1), 0
  elseif winn >= 20 then
    -- down by a bounded step, to just under the rate measured
    local est = math.max(measure(), rate * 0.95)
    nr, meas = math.min(est * 0.98, rate), est
  else
    -- too few to measure: step down, not under what the span measures
    nr = math.min(math.max(rate * 0.85, measure()), rate)
  end
  nr = math.max(nr, 0.1)
  redis.call('HINCRBY', h, 'epoch', 1)
  setrate(nr)
  redis.call('HSET', h, 'measured', num(meas), 'win_start', num(sentms), 'win_n', 0, 'last_probe', now, 'last_429', now)
  -- the span begins at the first 429 (the headers may have set a rate before it)
  if tonumber(redis.call('HGET', h, 'span_start') or '0') == 0 then
    redis.call('HSET', h, 'span_start', num(sentms), 'span_n', 0)
  end
  return num(nr)
end
if status == 0 then
  if model then return {rateof(KEYS[4]), rateof(KEYS[9])} end
  return {rateof(KEYS[4]), '0'}
end
local all, mine = rateof(KEYS[4]), '0'
if not scoped then all = learn(KEYS[4], KEYS[1], ARGV[9], tonumber(ARGV[14]) or 0, true) end
if model then
  mine = rateof(KEYS[9])
  if status ~= 429 or scoped then mine = learn(KEYS[9], KEYS[10], ARGV[13], tonumber(ARGV[15]) or 0, false) end
end
return {all, mine}
`)

// registerScript removes the IDs a process gave up, then puts the leases
// it holds in the set with a fresh expiry (again, after Redis lost them,
// or those of the fallback): an ID in both, a request the fallback let
// through under the ID of an ask Redis did not answer, stays counted.
// ARGV: 1 TTL (ms), 2 now, 3 the number n of held IDs, then the n held
// IDs, then the IDs to remove.
var registerScript = redis.NewScript(clockLua + `
local now = clock(ARGV[2])
local ttl, n = tonumber(ARGV[1]), tonumber(ARGV[3])
for i = 4 + n, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[5], ARGV[i])
  redis.call('ZREM', KEYS[6], ARGV[i])
end
for i = 4, 3 + n do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
if n > 0 then redis.call('PEXPIRE', KEYS[1], day) end
return n
`)

// dropScript removes an ID from the leases and the queue. ARGV: the ID.
var dropScript = redis.NewScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
return 1
`)
