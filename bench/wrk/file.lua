-- wrk: POST /api/v1/reports as the citizen with the token $TOKEN, each
-- request a new report (its own Idempotency-Key), in the category $CATEGORY.
-- The body is bench/pgbench/file.sql's report. Used by bench/run.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format([[{"category_id":"%s","title":"Đèn đường không sáng","description":"Cột đèn trước số 12 Đinh Tiên Hoàng không sáng ba tối nay.","lat":21.028511,"lng":105.854167,"address":"12 Đinh Tiên Hoàng, Hoàn Kiếm"}]], os.getenv("CATEGORY"))
local prefix, n = "", 0
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16))
  prefix = string.format("wrk-%d-%d-", os.time(), math.random(1, 1e9))
end
function request()
  n = n + 1
  wrk.headers["Idempotency-Key"] = prefix .. n
  return wrk.format()
end
function done(summary, latency, requests)
  io.write(string.format("STATUS errors=%d non2xx=%d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
