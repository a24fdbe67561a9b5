-- wrk: POST /api/v1/reports as the citizen with the token $TOKEN, each
-- request a new report (its own Idempotency-Key), in the category $CATEGORY.
-- The text is drawn like seed-demo's (one of its 12 problems in one of its 20
-- streets), so what the run files does not stand out in later searches; the
-- statements are bench/pgbench/file.sql's. Used by bench/run.
local titles = {"Đèn đường không sáng nhiều ngày", "Rác thải tập kết sai nơi quy định", "Lấn chiếm vỉa hè để kinh doanh", "Ngập nước sau mưa lớn", "Công trình xây dựng không che chắn", "Cây xanh có nguy cơ gãy đổ", "Tiếng ồn karaoke sau 22 giờ", "Ổ gà trên mặt đường", "Nắp cống bị vỡ nguy hiểm", "Đỗ xe trái phép trên vỉa hè", "Khói bụi từ bãi đốt rác", "Tụ tập gây mất trật tự"}
local streets = {"Đinh Tiên Hoàng", "Tràng Tiền", "Hàng Bài", "Lý Thường Kiệt", "Phan Đình Phùng", "Kim Mã", "Giảng Võ", "Láng Hạ", "Đường Láng", "Tây Sơn", "Xã Đàn", "Giải Phóng", "Minh Khai", "Bạch Mai", "Lạc Long Quân", "Cầu Giấy", "Xuân Thủy", "Nguyễn Chí Thanh", "Thái Hà", "Kim Liên"}
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
local category = os.getenv("CATEGORY")
local prefix, n = "", 0
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16))
  prefix = string.format("wrk-%d-%d-", os.time(), math.random(1, 1e9))
end
function request()
  n = n + 1
  local title, street = titles[math.random(#titles)], streets[math.random(#streets)]
  wrk.headers["Idempotency-Key"] = prefix .. n
  wrk.body = string.format(
    [[{"category_id":"%s","title":"%s","description":"%s tại khu vực %s. Đề nghị cơ quan chức năng kiểm tra, xử lý.","lat":21.028511,"lng":105.854167,"address":"%d %s, Hoàn Kiếm"}]],
    category, title, title, street, math.random(1, 200), street)
  return wrk.format()
end
function done(summary, latency, requests)
  io.write(string.format("STATUS errors=%d non2xx=%d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
