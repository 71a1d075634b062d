package redislimiter

import "github.com/redis/go-redis/v9"

// The shared state, under the keys of one name (KEYS, in order):
//
//	1 leases    a sorted set: lease ID -> expiry (ms); the requests in flight
//	2 tat       GCRA's theoretical arrival time (ms) for the request rate
//	3 gate      the time (ms) until which every request waits
//	4 learn     a hash: rate (requests/s, 0 = none yet), measured, accepted,
//	            win_start, win_acc, last_cut, last_probe, start
//
// Every script reads the time from Redis, so that the processes' clocks
// need not agree.

// acquireScript takes a slot and a place in the rate. ARGV: lease ID,
// max in flight (0: no cap), lease TTL (ms), fixed rate (requests/s, 0:
// none), burst. It returns {status, wait ms, last cut}: status 1 =
// acquired (wait: how long to sleep before sending, for the rate); 0 = no
// slot or the gate is closed (wait: when to try again). The last cut is
// the time of the last rate cut, for telling stale 429s at release.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local gate = tonumber(redis.call('GET', KEYS[3]) or '0')
if gate > now then return {0, gate - now} end
local maxf = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if maxf > 0 and redis.call('ZCARD', KEYS[1]) >= maxf then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = 20
  if first[2] then wait = math.min(math.max(tonumber(first[2]) - now, 1), 50) end
  return {0, wait}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
if redis.call('HSETNX', KEYS[4], 'start', now) == 1 then redis.call('PEXPIRE', KEYS[4], 86400000) end
local rate = tonumber(ARGV[4])
local learned = tonumber(redis.call('HGET', KEYS[4], 'rate') or '0')
if learned > 0 and (rate == 0 or learned < rate) then rate = learned end
local cut = redis.call('HGET', KEYS[4], 'last_cut') or '0'
if rate <= 0 then return {1, 0, cut} end
local interval = 1000 / rate
local burst = math.max(tonumber(ARGV[5]), 1)
if learned > 0 and rate == learned then burst = 1 end
local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
if tat < now then tat = now end
local wait = tat - (burst - 1) * interval - now
if wait < 0 then wait = 0 end
redis.call('SET', KEYS[2], tat + interval, 'PX', 60000 + math.ceil(interval * burst))
return {1, math.floor(wait), cut}
`)

// releaseScript frees a slot and learns from the outcome. ARGV: lease ID,
// status, retry-after (ms), gate threshold (ms), max gate (ms),
// rate-limit remaining (-1: unknown), reset (ms since the epoch; 0:
// unknown), adaptive (1/0), the last cut seen at acquire (a 429 from a
// request sent before a later cut is stale: it says nothing of the new
// rate). It returns the learned rate (as a string).
var releaseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
local status = tonumber(ARGV[2])
local ra, thr, maxg = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local rem, reset = tonumber(ARGV[6]), tonumber(ARGV[7])
local function gateto(untilms)
  local g = tonumber(redis.call('GET', KEYS[3]) or '0')
  if untilms > g then redis.call('SET', KEYS[3], untilms, 'PX', math.max(untilms - now, 1)) end
end
if rem == 0 and reset > now and reset - now <= maxg then gateto(reset) end
if status == 0 then return redis.call('HGET', KEYS[4], 'rate') or '0' end
local h = KEYS[4]
local stale = (redis.call('HGET', h, 'last_cut') or '0') ~= ARGV[9]
local rate = tonumber(redis.call('HGET', h, 'rate') or '0')
local measured = tonumber(redis.call('HGET', h, 'measured') or '0')
if status ~= 429 then
  local acc = redis.call('HINCRBY', h, 'accepted', 1)
  if not stale then redis.call('HINCRBY', h, 'win_n', 1) end
  if rate > 0 and ARGV[8] == '1' then
    local lp = tonumber(redis.call('HGET', h, 'last_probe') or '0')
    if now - lp >= 1000 then
      local nr = rate * 1.05
      if measured > 0 then nr = math.max(rate, math.min(rate * 1.01, measured)) end
      redis.call('HSET', h, 'rate', tostring(nr), 'last_probe', now)
      rate = nr
    end
  end
  return tostring(rate)
end
if ra >= thr and ra <= maxg then gateto(now + ra) end
if ARGV[8] ~= '1' or stale then return tostring(rate) end
local acc = tonumber(redis.call('HGET', h, 'accepted') or '0')
local winn = tonumber(redis.call('HGET', h, 'win_n') or '0')
local ws = tonumber(redis.call('HGET', h, 'win_start') or '0')
local nr, meas
if rate == 0 then
  local start = tonumber(redis.call('HGET', h, 'start') or now)
  local el = math.max((now - start) / 1000, 0.05)
  nr, meas = math.max(acc / el * 0.5, 1), 0
elseif winn >= 20 and now > ws then
  local est = winn / ((now - ws) / 1000)
  est = math.max(est, rate * 0.95)
  nr, meas = est * 0.98, est
else
  nr, meas = math.max(rate * 0.85, 0.1), 0
end
redis.call('HSET', h, 'rate', tostring(nr), 'measured', tostring(meas), 'win_start', now, 'win_n', 0, 'last_probe', now, 'last_cut', now)
return tostring(nr)
`)

// renewScript extends the leases this process holds. ARGV: TTL (ms),
// then the lease IDs.
var renewScript = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
end
return #ARGV - 1
`)
