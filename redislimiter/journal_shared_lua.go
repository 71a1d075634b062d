package redislimiter

import "github.com/redis/go-redis/v9"

// The shared journal's scripts. Keys: records (the job's hash, its epoch
// a field), owners (item key -> the fencing token of its last claim),
// ended (item key -> its outcome), and an item's claim (its token, with
// the lease TTL). A claim holds its item while owners has its token: a
// lease that expired without another claim taking the item over still
// writes (and is taken back), one taken over writes nothing. Every script
// answers 0 (or {0, ...}) when the records' epoch is not the one the
// journal opened: Redis lost the job.
var (
	// sharedOpenScript: KEYS lease, records, shared, items; ARGV lease
	// TTL, epoch, the items' fingerprint ('' unchecked). Refused ({0, ''})
	// while OpenJournal's holder has the lease, and ({2, ''}) when the job
	// has other items' fingerprint. A new job (or one Redis lost) takes
	// this worker's fingerprint.
	sharedOpenScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, ''} end
local epoch = redis.call('HGET', KEYS[2], 'orjournal.epoch')
if epoch and ARGV[3] ~= '' then
  local fp = redis.call('GET', KEYS[4])
  if fp and fp ~= ARGV[3] then return {2, ''} end
end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
if not epoch then
  epoch = ARGV[2]
  redis.call('HSET', KEYS[2], 'orjournal.epoch', epoch)
  redis.call('DEL', KEYS[4])
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[4], ARGV[3], 'NX') end
return {1, epoch}`)

	// claimScript: KEYS records, owners, ended, claim, takeovers; ARGV
	// epoch, item key, its state's key, token, lease TTL. Answers {status,
	// x, result, state}: 1 granted, 4 granted taking over an expired claim,
	// 2 held (x: the lease's PTTL; -1 when the claim has no expiry: no
	// worker wrote it), 3 ended (x: the outcome). takeovers
	// keeps, by item, the token that took it over last, so that a claim
	// sent again (its answer was lost) is answered 4 again.
	claimScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'orjournal.epoch') ~= ARGV[1] then return {0, 0, false, false} end
local rec = redis.call('HGET', KEYS[1], ARGV[2])
local st = redis.call('HGET', KEYS[1], ARGV[3])
local out = redis.call('HGET', KEYS[3], ARGV[2])
if out then return {3, out, rec, st} end
local cur = redis.call('GET', KEYS[4])
if cur and cur ~= ARGV[4] then return {2, redis.call('PTTL', KEYS[4]), rec, st} end
local prev = redis.call('HGET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[4], ARGV[4], 'PX', ARGV[5])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
if prev and prev ~= ARGV[4] then
  redis.call('HSET', KEYS[5], ARGV[2], ARGV[4])
  return {4, 0, rec, st}
end
if prev and redis.call('HGET', KEYS[5], ARGV[2]) == ARGV[4] then return {4, 0, rec, st} end
return {1, 0, rec, st}`)

	// sharedRecordScript: KEYS records, owners, ended, claim; ARGV epoch,
	// item key, token ('' for a record under no claim: an item's key may
	// be ''), lease TTL, outcome ('' to record without ending), then
	// records' keys and values. Answers 1, or -1 when the claim was taken
	// over (nothing written).
	sharedRecordScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'orjournal.epoch') ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[3] then return -1 end
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1]) end
if ARGV[3] == '' then return 1 end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[5])
  if redis.call('GET', KEYS[4]) == ARGV[3] then redis.call('DEL', KEYS[4]) end
else
  redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
end
return 1`)

	// claimReleaseScript: KEYS records, owners, ended, claim; ARGV epoch, item
	// key, token. Gives a claim up when it still holds its item, which has
	// not ended.
	claimReleaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'orjournal.epoch') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[3] and redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
  if redis.call('GET', KEYS[4]) == ARGV[3] then redis.call('DEL', KEYS[4]) end
end
return 1`)

	// renewScript: KEYS records, owners, shared, then the claims; ARGV
	// lease TTL, epoch, then each claim's item key and token. Renews the
	// workers' mark and the claims that still hold their items; answers
	// {1, the positions (from 1) of the claims taken over...}.
	renewScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'orjournal.epoch') ~= ARGV[2] then return {0} end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
local lost = {1}
for i = 4, #KEYS do
  local n = i - 3
  if redis.call('HGET', KEYS[2], ARGV[2*n+1]) == ARGV[2*n+2] then
    redis.call('SET', KEYS[i], ARGV[2*n+2], 'PX', ARGV[1])
  else
    table.insert(lost, n)
  end
end
return lost`)
)
