// The staff console: a client of the public API like any other (api.md).
// No framework and no build step; nothing is fetched from another host.
// The access token lives in memory only; the refresh token in this tab's
// sessionStorage, so a reload keeps the session and closing the tab ends it.
"use strict";

const API = "/api/v1";
const STATUSES = ["submitted", "assigned", "in_progress", "resolved", "closed", "rejected", "duplicate"];

// ---- Language -------------------------------------------------------------

const TEXT = {
  vi: {
    brand: "Bảng điều phối phản ánh", "nav.queue": "Hàng đợi", "nav.stats": "Thống kê",
    logout: "Đăng xuất", other: "English",
    "login.title": "Đăng nhập cán bộ", "login.login": "Email hoặc số điện thoại",
    "login.password": "Mật khẩu", "login.submit": "Đăng nhập",
    "login.expired": "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.",
    "login.staffOnly": "Trang này dành cho cán bộ.",
    "f.status": "Trạng thái", "f.category": "Lĩnh vực", "f.unit": "Đơn vị", "f.assignee": "Người xử lý",
    "f.any": "Tất cả", "f.me": "Của tôi", "f.overdue": "Chỉ quá hạn", "f.q": "Tìm kiếm (không cần dấu)",
    "f.from": "Từ ngày", "f.to": "Đến ngày", "f.apply": "Lọc", "f.clear": "Bỏ lọc",
    "q.code": "Mã", "q.title": "Nội dung", "q.category": "Lĩnh vực", "q.unit": "Đơn vị",
    "q.status": "Trạng thái", "q.due": "Hạn xử lý", "q.created": "Tiếp nhận",
    "q.empty": "Không có phản ánh nào khớp bộ lọc.", "q.more": "Xem thêm",
    "q.new": (n) => `${n} thay đổi mới — bấm để tải lại`, "live.on": "Trực tiếp", "live.off": "Mất kết nối, đang thử lại…",
    overdue: "Quá hạn", soon: "Sắp đến hạn", unrouted: "Chưa phân công",
    "s.submitted": "Mới tiếp nhận", "s.assigned": "Đã giao", "s.in_progress": "Đang xử lý",
    "s.resolved": "Đã xử lý", "s.closed": "Đã đóng", "s.rejected": "Từ chối", "s.duplicate": "Trùng lặp",
    "r.back": "← Hàng đợi", "r.location": "Vị trí", "r.address": "Địa chỉ", "r.reporter": "Người phản ánh",
    "r.anonymous": "Ẩn danh với công chúng", "r.due": "Hạn xử lý", "r.ack": "Hạn tiếp nhận",
    "r.unit": "Đơn vị", "r.priority": "Mức độ", "r.timeline": "Diễn biến", "r.similar": "Có thể trùng lặp",
    "r.noSimilar": "Không thấy phản ánh tương tự.", "r.actions": "Thao tác", "r.noActions": "Bạn không có thao tác nào với phản ánh này lúc này.",
    "r.note": "Ghi chú nội bộ", "r.addNote": "Thêm ghi chú", "r.stale": "Phản ánh vừa được người khác thay đổi; đã tải lại bản mới nhất.",
    "r.done": "Đã thực hiện.", "r.internal": "nội bộ", "r.cancel": "Huỷ",
    "a.accept": "Tiếp nhận", "a.assign": "Giao việc", "a.start": "Bắt đầu xử lý", "a.resolve": "Báo đã xử lý",
    "a.reject": "Từ chối", "a.mark_duplicate": "Đánh dấu trùng", "a.recategorize": "Đổi lĩnh vực",
    "a.reopen": "Mở lại", "a.close": "Đóng", "a.extend": "Gia hạn",
    "p.public_message": "Trả lời công khai cho người dân", "p.internal_note": "Ghi chú nội bộ (không bắt buộc)",
    "p.unit_id": "Đơn vị xử lý", "p.assignee_id": "Người xử lý", "p.category_id": "Lĩnh vực mới",
    "p.duplicate_of": "Trùng với phản ánh", "p.due_at": "Hạn mới", "p.reason": "Lý do",
    "p.priority": "Mức độ", "p.normal": "Thường", "p.urgent": "Khẩn",
    "st.title": "Thống kê", "st.from": "Từ tháng", "st.to": "Đến tháng", "st.group": "Nhóm theo",
    "st.none": "Toàn bộ", "st.unit": "Đơn vị", "st.category": "Lĩnh vực", "st.show": "Xem",
    "st.received": "Tiếp nhận", "st.handled": "Đã xử lý", "st.rate": "Tỷ lệ xử lý",
    "st.onTime": "Đúng hạn", "st.rating": "Hài lòng", "st.ranking": "Xếp hạng đơn vị", "st.rank": "Hạng",
    "st.download": "Tải về tháng", "st.chart": "Tỷ lệ xử lý cộng dồn",
    "e.network": "Không kết nối được máy chủ.",
    "k.created": "Tiếp nhận phản ánh", "k.accepted": "Tiếp nhận xử lý", "k.assigned": "Giao việc",
    "k.started": "Bắt đầu xử lý", "k.resolved": "Đã xử lý", "k.rejected": "Từ chối",
    "k.marked_duplicate": "Đánh dấu trùng", "k.reopened": "Mở lại", "k.closed": "Đóng",
    "k.extended": "Gia hạn", "k.recategorized": "Đổi lĩnh vực", "k.comment": "Bình luận",
    "k.note": "Ghi chú nội bộ", "k.rated": "Người dân đánh giá", "k.deadline_near": "Sắp đến hạn",
    "k.escalated": "Quá hạn, báo cấp trên",
    "role.officer": "cán bộ xử lý", "role.coordinator": "điều phối viên", "role.admin": "quản trị",
  },
  en: {
    brand: "Citizen feedback console", "nav.queue": "Queue", "nav.stats": "Statistics",
    logout: "Sign out", other: "Tiếng Việt",
    "login.title": "Staff sign-in", "login.login": "E-mail or phone", "login.password": "Password",
    "login.submit": "Sign in", "login.expired": "Your session has ended. Please sign in again.",
    "login.staffOnly": "This console is for staff.",
    "f.status": "Status", "f.category": "Category", "f.unit": "Unit", "f.assignee": "Assignee",
    "f.any": "Any", "f.me": "Mine", "f.overdue": "Overdue only", "f.q": "Search (diacritics optional)",
    "f.from": "From", "f.to": "To", "f.apply": "Filter", "f.clear": "Clear",
    "q.code": "Code", "q.title": "Report", "q.category": "Category", "q.unit": "Unit",
    "q.status": "Status", "q.due": "Due", "q.created": "Received",
    "q.empty": "No report matches these filters.", "q.more": "Load more",
    "q.new": (n) => `${n} new changes — click to reload`, "live.on": "Live", "live.off": "Disconnected, retrying…",
    overdue: "Overdue", soon: "Due soon", unrouted: "Unrouted",
    "s.submitted": "Submitted", "s.assigned": "Assigned", "s.in_progress": "In progress",
    "s.resolved": "Resolved", "s.closed": "Closed", "s.rejected": "Rejected", "s.duplicate": "Duplicate",
    "r.back": "← Queue", "r.location": "Location", "r.address": "Address", "r.reporter": "Reporter",
    "r.anonymous": "Anonymous to the public", "r.due": "Due", "r.ack": "Acknowledge by",
    "r.unit": "Unit", "r.priority": "Priority", "r.timeline": "Timeline", "r.similar": "Likely duplicates",
    "r.noSimilar": "No similar report.", "r.actions": "Actions", "r.noActions": "There is nothing you may do with this report now.",
    "r.note": "Internal note", "r.addNote": "Add note", "r.stale": "Someone else changed this report meanwhile; the latest version is shown.",
    "r.done": "Done.", "r.internal": "internal", "r.cancel": "Cancel",
    "a.accept": "Accept", "a.assign": "Assign", "a.start": "Start", "a.resolve": "Resolve",
    "a.reject": "Reject", "a.mark_duplicate": "Mark duplicate", "a.recategorize": "Recategorize",
    "a.reopen": "Reopen", "a.close": "Close", "a.extend": "Extend",
    "p.public_message": "Public answer to the citizen", "p.internal_note": "Internal note (optional)",
    "p.unit_id": "Unit", "p.assignee_id": "Assignee", "p.category_id": "New category",
    "p.duplicate_of": "Duplicate of", "p.due_at": "New deadline", "p.reason": "Reason",
    "p.priority": "Priority", "p.normal": "Normal", "p.urgent": "Urgent",
    "st.title": "Statistics", "st.from": "From month", "st.to": "To month", "st.group": "Group by",
    "st.none": "All", "st.unit": "Unit", "st.category": "Category", "st.show": "Show",
    "st.received": "Received", "st.handled": "Handled", "st.rate": "Handled rate",
    "st.onTime": "On time", "st.rating": "Rating", "st.ranking": "Unit ranking", "st.rank": "Rank",
    "st.download": "Download month", "st.chart": "Cumulative handled rate",
    "e.network": "The server cannot be reached.",
    "k.created": "Filed", "k.accepted": "Accepted", "k.assigned": "Assigned",
    "k.started": "Started", "k.resolved": "Resolved", "k.rejected": "Rejected",
    "k.marked_duplicate": "Marked duplicate", "k.reopened": "Reopened", "k.closed": "Closed",
    "k.extended": "Deadline extended", "k.recategorized": "Recategorized", "k.comment": "Comment",
    "k.note": "Internal note", "k.rated": "Rated by the citizen", "k.deadline_near": "Deadline near",
    "k.escalated": "Overdue, escalated",
    "role.officer": "officer", "role.coordinator": "coordinator", "role.admin": "admin",
  },
};

let lang = localStorage.getItem("cf.lang") === "en" ? "en" : "vi";
function t(key, ...args) {
  const v = TEXT[lang][key] ?? TEXT.vi[key] ?? key;
  return typeof v === "function" ? v(...args) : v;
}

// ---- Small DOM helpers ----------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const $ = (sel) => document.querySelector(sel);
const app = () => $("#app");

// Each navigation draws only if it is still the latest: a view that was
// still loading when the user moved on (or the stream reloaded the page)
// must not cover the newer one.
let routeSeq = 0;
function draw(seq, ...nodes) {
  if (seq !== routeSeq) return false;
  app().replaceChildren(...nodes);
  return true;
}

// A line above the page: news fades after a few seconds, errors stay until
// the next message.
function flash(message, kind = "info") {
  const f = $("#flash");
  clearTimeout(flash.timer);
  f.textContent = message;
  f.className = kind === "error" ? "error" : "";
  f.hidden = !message;
  if (message && kind !== "error") flash.timer = setTimeout(() => { f.hidden = true; }, 6000);
}

function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", {
    timeZone: "Asia/Ho_Chi_Minh", dateStyle: "short", timeStyle: "short",
  });
}

// ---- Session --------------------------------------------------------------

const session = { access: null, user: null, timer: null };
const REFRESH_KEY = "cf.refresh";

function keep(tokens) {
  session.access = tokens.access_token;
  session.user = tokens.user ?? session.user;
  sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
  clearTimeout(session.timer);
  // Quietly, a minute before the access token expires.
  const ms = Math.max(10, (tokens.expires_in ?? 900) - 60) * 1000;
  session.timer = setTimeout(() => refresh().catch(() => expired()), ms);
}

let refreshing = null;
async function refresh() {
  // One refresh at a time: a refresh token works once.
  if (!refreshing) {
    refreshing = (async () => {
      const token = sessionStorage.getItem(REFRESH_KEY);
      if (!token) throw new Error("no session");
      const res = await fetch(`${API}/auth/refresh`, {
        method: "POST", headers: { "Content-Type": "application/json", "Accept-Language": lang },
        body: JSON.stringify({ refresh_token: token }),
      });
      if (!res.ok) throw new Error("refresh refused");
      keep(await res.json());
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

function forget() {
  clearTimeout(session.timer);
  session.access = null;
  session.user = null;
  sessionStorage.removeItem(REFRESH_KEY);
  stream.stop();
}

// The session is gone: back to sign-in, keeping where the user was (with
// its filters) to return to.
function expired() {
  const back = location.hash && !location.hash.startsWith("#/login") ? location.hash : "#/queue";
  forget();
  sessionStorage.setItem("cf.next", back);
  flash(t("login.expired"));
  location.hash = "#/login";
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// A call to the API with the session's token; one quiet refresh on 401.
async function api(path, { method = "GET", body, headers = {}, raw = false } = {}, retried = false) {
  const h2 = { "Accept-Language": lang, ...headers };
  if (session.access) h2.Authorization = `Bearer ${session.access}`;
  if (body !== undefined) h2["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
      method, headers: h2, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { detail: t("e.network") });
  }
  if (res.status === 401 && !retried && sessionStorage.getItem(REFRESH_KEY)) {
    try { await refresh(); } catch { expired(); throw new ApiError(401, null); }
    return api(path, { method, body, headers, raw }, true);
  }
  if (!res.ok) {
    let problem = null;
    try { problem = await res.json(); } catch { /* not JSON */ }
    // A 401 with a session means it is gone; without one (a wrong
    // password) it is only an answer.
    if (res.status === 401 && session.access) expired();
    throw new ApiError(res.status, problem);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

// Media and files need the token, so they come as blobs.
async function blobUrl(path) {
  const res = await api(path, { raw: true });
  return URL.createObjectURL(await res.blob());
}

// ---- Settings ----------------------------------------------------------------

// What the server says before sign-in: the map's tile URL, if any.
const settings = { tile_url: null };
async function loadSettings() {
  try {
    Object.assign(settings, await (await fetch("/console/config.json")).json());
  } catch { /* no map */ }
}

// The location on a map of 3 × 3 tiles when tiles are configured; without
// them, the coordinates and address say where it is.
function map(lat, lng) {
  if (!settings.tile_url) return null;
  const z = 16, n = 2 ** z, size = 128;
  const x = ((lng + 180) / 360) * n;
  const rad = (lat * Math.PI) / 180;
  const y = ((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n;
  const [x0, y0] = [Math.floor(x) - 1, Math.floor(y) - 1];
  const box = h("div", { class: "map", id: "map" });
  for (let j = 0; j < 3; j += 1) {
    for (let i = 0; i < 3; i += 1) {
      const src = settings.tile_url.replace("{z}", z).replace("{x}", x0 + i).replace("{y}", y0 + j);
      const img = h("img", { src, alt: "", width: size, height: size });
      img.style.left = `${i * size}px`;
      img.style.top = `${j * size}px`;
      box.append(img);
    }
  }
  const pin = h("span", { class: "pin", title: `${lat}, ${lng}` });
  pin.style.left = `${(x - x0) * size}px`;
  pin.style.top = `${(y - y0) * size}px`;
  box.append(pin);
  return box;
}

// ---- Reference data -------------------------------------------------------

const refs = { categories: [], units: [] };
async function loadRefs() {
  const [cats, units] = await Promise.all([api("categories"), api("units")]);
  refs.categories = cats;
  refs.units = [];
  const walk = (nodes, depth) => {
    for (const n of nodes) {
      refs.units.push({ id: n.id, name: n.name, depth });
      walk(n.children ?? [], depth + 1);
    }
  };
  walk(units, 0);
}

function options(list, selected, any) {
  const out = any ? [h("option", { value: "" }, any)] : [];
  for (const o of list) out.push(h("option", { value: o.value, selected: o.value === selected }, o.label));
  return out;
}
const categoryOptions = (sel, any) => options(refs.categories.map((c) => ({ value: c.id, label: c.name })), sel, any);
const unitOptions = (sel, any) => options(refs.units.map((u) => ({ value: u.id, label: `${"  ".repeat(u.depth)}${u.name}` })), sel, any);

// ---- The live stream ------------------------------------------------------

// GET /staff/stream read with fetch (EventSource cannot send a token);
// resumes with Last-Event-ID after a dropped connection, drops events it
// already has, and reconnects with a fresh token when the session turns.
const stream = {
  lastId: null, seen: new Set(), listeners: new Set(), abort: null, running: false, connected: false,
  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); },
  status(on) {
    this.connected = on;
    const el = $("#live");
    if (el) { el.className = `live ${on ? "on" : "off"}`; el.textContent = t(on ? "live.on" : "live.off"); }
  },
  stop() { this.running = false; this.connected = false; this.abort?.abort(); },
  async start() {
    if (this.running) return;
    this.running = true;
    let delay = 1000;
    while (this.running && session.access) {
      try {
        await this.once();
        delay = 1000;
      } catch (e) {
        if (!this.running) return;
        if (e instanceof ApiError && e.status === 401) {
          try { await refresh(); continue; } catch { expired(); return; }
        }
      }
      this.status(false);
      await new Promise((r) => setTimeout(r, delay + Math.random() * 500));
      delay = Math.min(delay * 2, 30000);
    }
  },
  async once() {
    this.abort = new AbortController();
    const headers = { Authorization: `Bearer ${session.access}` };
    if (this.lastId) headers["Last-Event-ID"] = this.lastId;
    const res = await fetch(`${API}/staff/stream`, { headers, signal: this.abort.signal });
    if (!res.ok) throw new ApiError(res.status, null);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        this.block(block);
      }
    }
  },
  block(block) {
    let id = null, event = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) { if (line.startsWith(": ready")) this.status(true); continue; }
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "id") id = value;
      else if (field === "event") event = value;
      else if (field === "data") data += data ? `\n${value}` : value;
    }
    if (event === "stream.end") { this.abort?.abort(); return; }
    if (id) this.lastId = id;
    if (!event.startsWith("report.") && event !== "stream.reset") return;
    let payload = null;
    try { payload = data ? JSON.parse(data) : null; } catch { return; }
    if (payload?.event_id) {
      if (this.seen.has(payload.event_id)) return;
      this.seen.add(payload.event_id);
      if (this.seen.size > 5000) this.seen = new Set([...this.seen].slice(-2500));
    }
    for (const fn of this.listeners) fn(event, payload);
  },
};

// ---- Views ----------------------------------------------------------------

function statusTag(s) { return h("span", { class: "tag status" }, t(`s.${s}`)); }
function deadlineTags(r) {
  return [
    r.overdue ? h("span", { class: "tag overdue" }, t("overdue")) : null,
    r.due_soon ? h("span", { class: "tag soon" }, t("soon")) : null,
  ];
}

function viewLogin() {
  const err = h("p", { class: "muted", role: "alert" });
  const form = h("form", { class: "card login", id: "login-form" },
    h("h1", {}, t("login.title")),
    h("label", {}, t("login.login"), h("input", { name: "login", autocomplete: "username", required: true })),
    h("label", {}, t("login.password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    err,
    h("button", { class: "primary", type: "submit" }, t("login.submit")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    try {
      const tokens = await api("auth/login", { method: "POST", body: { login: data.get("login"), password: data.get("password") } });
      if (!["officer", "coordinator", "admin"].includes(tokens.user?.role)) {
        err.textContent = t("login.staffOnly");
        await fetch(`${API}/auth/logout`, { method: "POST", headers: { Authorization: `Bearer ${tokens.access_token}`, "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: tokens.refresh_token }) });
        return;
      }
      keep(tokens);
      flash("");
      const next = sessionStorage.getItem("cf.next") || "#/queue";
      sessionStorage.removeItem("cf.next");
      location.hash = next;
    } catch (e) {
      err.textContent = e.message;
    }
  });
  app().replaceChildren(form);
}

// The queue's filters live in the URL, so a reload, a link or a return from
// sign-in keeps them.
function filtersFrom(query) {
  const p = new URLSearchParams(query);
  return {
    status: p.getAll("status"), category: p.get("category") ?? "", unit: p.get("unit") ?? "",
    assignee: p.get("assignee") ?? "", overdue: p.get("overdue") === "true", q: p.get("q") ?? "",
    from: p.get("from") ?? "", to: p.get("to") ?? "",
  };
}
function filtersQuery(f) {
  const p = new URLSearchParams();
  for (const s of f.status) p.append("status", s);
  for (const k of ["category", "unit", "assignee", "q", "from", "to"]) if (f[k]) p.set(k, f[k]);
  if (f.overdue) p.set("overdue", "true");
  return p.toString();
}

async function viewQueue(query, seq) {
  const f = filtersFrom(query);
  const form = h("form", { class: "card filters", id: "filters" },
    h("fieldset", {}, h("legend", { class: "muted" }, t("f.status")),
      STATUSES.map((s) => h("label", {}, h("input", { type: "checkbox", name: "status", value: s, checked: f.status.includes(s) }), t(`s.${s}`)))),
    h("label", {}, t("f.category"), h("select", { name: "category" }, categoryOptions(f.category, t("f.any")))),
    h("label", {}, t("f.unit"), h("select", { name: "unit" }, unitOptions(f.unit, t("f.any")))),
    h("label", {}, t("f.assignee"), h("select", { name: "assignee" },
      options([{ value: "me", label: t("f.me") }], f.assignee, t("f.any")))),
    h("label", {}, h("input", { type: "checkbox", name: "overdue", checked: f.overdue }), t("f.overdue")),
    h("label", { class: "wide" }, t("f.q"), h("input", { name: "q", type: "search", value: f.q })),
    h("label", {}, t("f.from"), h("input", { name: "from", type: "date", value: f.from })),
    h("label", {}, t("f.to"), h("input", { name: "to", type: "date", value: f.to })),
    h("button", { class: "primary", type: "submit" }, t("f.apply")),
    h("button", { type: "button", onclick: () => { location.hash = "#/queue"; } }, t("f.clear")),
    h("span", { id: "live", class: `live ${stream.connected ? "on" : "off"}` }, t(stream.connected ? "live.on" : "live.off")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    const next = {
      status: d.getAll("status"), category: d.get("category"), unit: d.get("unit"), assignee: d.get("assignee"),
      overdue: d.get("overdue") !== null, q: d.get("q").trim(), from: d.get("from"), to: d.get("to"),
    };
    const hash = `#/queue?${filtersQuery(next)}`;
    // The same filters again: load the queue again.
    if (location.hash === hash) route(); else location.hash = hash;
  });
  const tbody = h("tbody", { id: "queue-rows" });
  const newbar = h("div", { class: "newbar", hidden: true });
  const more = h("div", { class: "more" });
  const table = h("table", { id: "queue" },
    h("thead", {}, h("tr", {}, ["q.code", "q.title", "q.category", "q.unit", "q.status", "q.due", "q.created"].map((k) => h("th", {}, t(k))))),
    tbody);
  if (!draw(seq, form, newbar, table, more)) return;

  const base = filtersQuery(f);
  const rows = new Map();
  const row = (r) => h("tr", { class: "row", dataset: { id: r.id }, onclick: () => { location.hash = `#/report/${r.id}`; } },
    h("td", { class: "code" }, r.code),
    h("td", {}, r.title),
    h("td", {}, r.category?.name ?? ""),
    h("td", {}, r.unit?.name ?? h("span", { class: "muted" }, t("unrouted"))),
    h("td", {}, statusTag(r.status)),
    h("td", {}, when(r.due_at ?? r.ack_due_at), " ", deadlineTags(r)),
    h("td", {}, when(r.created_at)));
  async function page(cursor) {
    more.replaceChildren();
    const q = new URLSearchParams(base);
    q.set("limit", "50");
    if (cursor) q.set("cursor", cursor);
    const res = await api(`staff/reports?${q}`);
    for (const r of res.items) {
      const tr = row(r);
      rows.set(r.id, tr);
      tbody.append(tr);
    }
    if (!tbody.children.length) tbody.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, t("q.empty"))));
    if (res.next_cursor) more.append(h("button", { id: "load-more", onclick: () => page(res.next_cursor) }, t("q.more")));
  }
  await page(null);
  if (seq !== routeSeq) return;

  // Live: a report already shown is redrawn in place; anything else counts
  // as new, quietly, until the user reloads.
  let fresh = 0;
  const off = stream.on(async (event, p) => {
    if (event === "stream.reset") { fresh += 1; } else if (p?.report_id && rows.has(p.report_id)) {
      try {
        const r = await api(`reports/${p.report_id}`);
        const tr = row(r);
        tr.classList.add("fresh");
        rows.get(p.report_id).replaceWith(tr);
        rows.set(p.report_id, tr);
      } catch { /* left the scope: keep the row until reload */ }
      return;
    } else if (p?.kind === "note") {
      return;
    } else {
      fresh += 1;
    }
    newbar.hidden = false;
    newbar.replaceChildren(h("button", { id: "new-changes", onclick: () => route() }, t("q.new", fresh)));
  });
  leaving.push(off);
  stream.start();
}

async function viewReport(id, seq) {
  const res = await api(`reports/${id}`, { raw: true });
  const r = await res.json();
  const [events, similar] = await Promise.all([
    api(`staff/reports/${id}/events`),
    api(`staff/reports/${id}/similar`).catch(() => []),
  ]);
  const photos = h("div", { class: "photos" });
  for (const m of r.media ?? []) {
    if (!m.content_type.startsWith("image/")) continue;
    blobUrl(m.url).then((u) => photos.append(h("img", { src: u, alt: r.title }))).catch(() => {});
  }
  const facts = h("dl", { class: "facts" },
    h("dt", {}, t("q.status")), h("dd", {}, statusTag(r.status), " ", deadlineTags(r)),
    h("dt", {}, t("q.category")), h("dd", {}, r.category?.name ?? ""),
    h("dt", {}, t("r.unit")), h("dd", {}, r.unit?.name ?? t("unrouted")),
    h("dt", {}, t("r.priority")), h("dd", {}, t(`p.${r.priority}`)),
    h("dt", {}, t("r.ack")), h("dd", {}, when(r.ack_due_at)),
    h("dt", {}, t("r.due")), h("dd", {}, when(r.due_at)),
    h("dt", {}, t("r.location")), h("dd", {}, `${r.lat.toFixed(6)}, ${r.lng.toFixed(6)}`),
    h("dt", {}, t("r.address")), h("dd", {}, r.address ?? "—"),
    r.reporter ? [h("dt", {}, t("r.reporter")), h("dd", {}, [r.reporter.full_name, r.reporter.phone, r.reporter.email].filter(Boolean).join(" · "))] : null,
    r.is_anonymous ? [h("dt", {}, ""), h("dd", { class: "muted" }, t("r.anonymous"))] : null);
  const timeline = h("ol", { class: "timeline", id: "timeline" }, events.map((e) =>
    h("li", { class: e.kind === "note" ? "note" : "" },
      h("div", { class: "muted" }, `${when(e.created_at)} · ${t(`k.${e.kind}`)}${e.to_status ? ` → ${t(`s.${e.to_status}`)}` : ""}`),
      e.public_message ? h("div", {}, e.public_message) : null,
      e.internal_note ? h("div", {}, h("span", { class: "tag" }, t("r.internal")), " ", e.internal_note) : null)));
  const actionBox = h("div", { class: "card", id: "actions" }, h("h2", {}, t("r.actions")));
  const buttons = h("div", { class: "actions" });
  const formSlot = h("div");
  const allowed = r.allowed_actions ?? [];
  if (!allowed.length) buttons.append(h("p", { class: "muted" }, t("r.noActions")));
  for (const a of allowed) {
    buttons.append(h("button", { type: "button", dataset: { action: a }, onclick: () => formSlot.replaceChildren(actionForm(r, a, similar)) }, t(`a.${a}`)));
  }
  actionBox.append(buttons, formSlot);
  const noteForm = h("form", { class: "act" },
    h("label", {}, t("r.note"), h("textarea", { name: "message", required: true })),
    h("div", {}, h("button", { type: "submit" }, t("r.addNote"))));
  noteForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api(`staff/reports/${id}/notes`, { method: "POST", body: { message: new FormData(noteForm).get("message") } });
      route();
    } catch (e) { flash(e.message, "error"); }
  });
  const similarBox = h("div", { class: "card" }, h("h2", {}, t("r.similar")),
    similar.length ? h("div", { class: "similar" }, similar.map((s) => h("div", { class: "card" },
      h("div", {}, h("a", { href: `#/report/${s.id}` }, s.code), " ", statusTag(s.status)),
      h("strong", {}, s.title), h("p", { class: "muted" }, s.description.slice(0, 200)))))
      : h("p", { class: "muted" }, t("r.noSimilar")));
  if (!draw(seq,
    h("p", {}, h("a", { href: sessionStorage.getItem("cf.queue") || "#/queue" }, t("r.back"))),
    h("div", { class: "report", id: "report", dataset: { version: r.version } },
      h("div", {},
        h("div", { class: "card" }, h("h1", {}, h("span", { class: "code" }, r.code), " ", r.title), h("p", {}, r.description), photos, map(r.lat, r.lng)),
        similarBox),
      h("div", {}, h("div", { class: "card" }, facts), actionBox,
        h("div", { class: "card" }, h("h2", {}, t("r.timeline")), timeline, noteForm))))) return;
  const off = stream.on((event, p) => {
    if (p?.report_id === id) route();
  });
  leaving.push(off);
  stream.start();
}

// The form for one action: only the fields that action takes.
function actionForm(r, action, similar) {
  const fields = [];
  const needsMessage = action === "resolve" || action === "reject";
  if (["accept", "assign"].includes(action)) {
    // Whom to give it to: the staff of the chosen unit (and below), as the
    // server lists them for the caller's scope.
    const unit = h("select", { name: "unit_id" }, unitOptions(r.unit?.id ?? "", "—"));
    const assignee = h("select", { name: "assignee_id" }, h("option", { value: "" }, "—"));
    const people = async () => {
      const u = unit.value || r.unit?.id;
      const list = u ? await api(`staff/people?unit=${u}`).catch(() => []) : [];
      assignee.replaceChildren(...options(list.map((p) => ({
        value: p.id, label: `${p.full_name} (${t(`role.${p.role}`)}, ${p.unit.name})`,
      })), "", "—"));
    };
    unit.addEventListener("change", people);
    people();
    fields.push(h("label", {}, t("p.unit_id"), unit));
    fields.push(h("label", {}, t("p.assignee_id"), assignee));
    fields.push(h("label", {}, t("p.priority"), h("select", { name: "priority" },
      options([{ value: "normal", label: t("p.normal") }, { value: "urgent", label: t("p.urgent") }], r.priority))));
  }
  if (action === "recategorize") fields.push(h("label", {}, t("p.category_id"), h("select", { name: "category_id", required: true }, categoryOptions(r.category?.id ?? ""))));
  if (action === "mark_duplicate") {
    fields.push(h("label", {}, t("p.duplicate_of"), h("select", { name: "duplicate_of", required: true },
      options(similar.map((s) => ({ value: s.id, label: `${s.code} — ${s.title}` })), "", "—"))));
  }
  if (action === "extend") {
    fields.push(h("label", {}, t("p.due_at"), h("input", { name: "due_at", type: "datetime-local", required: true })));
    fields.push(h("label", {}, t("p.reason"), h("input", { name: "reason", required: true })));
  }
  if (action !== "extend") fields.push(h("label", {}, t("p.public_message"), h("textarea", { name: "public_message", required: needsMessage })));
  fields.push(h("label", {}, t("p.internal_note"), h("textarea", { name: "internal_note" })));
  const form = h("form", { class: "act", dataset: { action } }, fields,
    h("div", {}, h("button", { class: "primary", type: "submit" }, t(`a.${action}`)), " ",
      h("button", { type: "button", onclick: () => form.remove() }, t("r.cancel"))));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    const body = { action };
    for (const k of ["unit_id", "assignee_id", "priority", "category_id", "duplicate_of", "reason", "public_message", "internal_note"]) {
      const v = d.get(k);
      if (v) body[k] = v;
    }
    if (d.get("due_at")) body.due_at = new Date(d.get("due_at")).toISOString();
    try {
      await api(`staff/reports/${r.id}/actions`, { method: "POST", body, headers: { "If-Match": `"${r.version}"` } });
      flash(t("r.done"));
      route();
    } catch (e) {
      if (e.status === 409 && e.problem?.current_version !== undefined && e.problem.current_version !== r.version) {
        flash(t("r.stale"));
        route();
      } else {
        flash(e.message, "error");
      }
    }
  });
  return form;
}

function month(offset) {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + offset);
  return d.toISOString().slice(0, 7);
}

async function viewStats(query, seq) {
  const p = new URLSearchParams(query);
  const from = p.get("from") || month(-11), to = p.get("to") || month(0);
  const group = p.get("group_by") || "unit";
  const last = month(-1);
  const form = h("form", { class: "card filters", id: "stats-form" },
    h("label", {}, t("st.from"), h("input", { name: "from", type: "month", value: from })),
    h("label", {}, t("st.to"), h("input", { name: "to", type: "month", value: to })),
    h("label", {}, t("st.group"), h("select", { name: "group_by" }, options([
      { value: "none", label: t("st.none") }, { value: "unit", label: t("st.unit") }, { value: "category", label: t("st.category") }], group))),
    h("button", { class: "primary", type: "submit" }, t("st.show")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    location.hash = `#/stats?${new URLSearchParams({ from: d.get("from"), to: d.get("to"), group_by: d.get("group_by") })}`;
  });
  const chart = h("div", { class: "card chart" }, h("h2", {}, t("st.chart")));
  const monthInput = h("input", { type: "month", value: last, id: "export-month" });
  const download = (format) => async () => {
    try {
      const res = await api(`stats/monthly/export?month=${monthInput.value}&format=${format}&group_by=${group === "none" ? "unit" : group}`, { raw: true });
      const url = URL.createObjectURL(await res.blob());
      const a = h("a", { href: url, download: `thong-ke-${monthInput.value}.${format}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { flash(e.message, "error"); }
  };
  const downloads = h("div", { class: "card downloads" },
    h("label", {}, t("st.download"), monthInput),
    h("button", { type: "button", id: "download-xlsx", onclick: download("xlsx") }, "XLSX"),
    h("button", { type: "button", id: "download-csv", onclick: download("csv") }, "CSV"));
  const tableBox = h("div", { class: "card" });
  const rankingBox = h("div", { class: "card" }, h("h2", {}, `${t("st.ranking")} ${last}`));
  if (!draw(seq, h("h1", {}, t("st.title")), form, chart, downloads, tableBox, rankingBox)) return;

  const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
  blobUrl(`stats/monthly/chart.svg?from=${from}&to=${to}`)
    .then((u) => chart.append(h("img", { src: u, alt: t("st.chart"), id: "chart" })))
    .catch((e) => chart.append(h("p", { class: "muted" }, e.message)));
  const monthly = await api(`stats/monthly?from=${from}&to=${to}&group_by=${group}`);
  const months = monthly.series[0]?.months.map((m) => m.month) ?? [];
  tableBox.append(h("table", { id: "monthly" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), months.map((m) => h("th", { class: "num" }, m)))),
    h("tbody", {}, monthly.series.map((s) => h("tr", {},
      h("th", {}, s.name ?? s.key),
      s.months.map((m) => h("td", { class: "num", title: `${t("st.received")} ${m.received} · ${t("st.handled")} ${m.handled} · ${t("st.onTime")} ${pct(m.on_time_rate)}` },
        `${m.received} · ${pct(m.cohort_rate)}`)))))));
  const ranking = await api(`stats/ranking?month=${last}`).catch(() => ({ items: [] }));
  rankingBox.append(h("table", { id: "ranking" },
    h("thead", {}, h("tr", {}, ["st.rank", "st.unit", "st.received", "st.rate", "st.onTime", "st.rating"].map((k) => h("th", {}, t(k))))),
    h("tbody", {}, ranking.items.map((i) => h("tr", {},
      h("td", { class: "num" }, i.rank), h("td", {}, i.unit.name), h("td", { class: "num" }, i.received),
      h("td", { class: "num" }, pct(i.handled_rate)), h("td", { class: "num" }, pct(i.on_time_rate)),
      h("td", { class: "num" }, i.mean_rating?.toFixed(2) ?? "—"))))));
}

// ---- Routing --------------------------------------------------------------

let leaving = [];
async function route() {
  const seq = ++routeSeq;
  for (const off of leaving) off();
  leaving = [];
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("#lang").textContent = t("other");
  const signedIn = Boolean(session.access);
  $("#nav").hidden = !signedIn;
  $("#logout").hidden = !signedIn;
  $("#who").textContent = signedIn ? `${session.user?.full_name ?? ""} · ${t(`role.${session.user?.role}`)}` : "";
  $("#nav-stats").hidden = !signedIn || session.user?.role === "officer";
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", path.startsWith(a.getAttribute("href").slice(1)));
  if (!signedIn && path !== "/login") {
    sessionStorage.setItem("cf.next", location.hash || "#/queue");
    location.hash = "#/login";
    return;
  }
  app().setAttribute("aria-busy", "true");
  try {
    if (path !== "/login" && !refs.categories.length) await loadRefs();
    if (path === "/login") viewLogin();
    else if (path.startsWith("/report/")) await viewReport(path.slice("/report/".length), seq);
    else if (path === "/stats") await viewStats(query, seq);
    else {
      sessionStorage.setItem("cf.queue", location.hash || "#/queue");
      await viewQueue(query, seq);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    flash(e.message, "error");
  } finally {
    app().setAttribute("aria-busy", "false");
  }
}

async function start() {
  $("#lang").addEventListener("click", () => {
    lang = lang === "vi" ? "en" : "vi";
    localStorage.setItem("cf.lang", lang);
    route();
  });
  $("#logout").addEventListener("click", async () => {
    const token = sessionStorage.getItem(REFRESH_KEY);
    try { await api("auth/logout", { method: "POST", body: { refresh_token: token } }); } catch { /* gone anyway */ }
    forget();
    location.hash = "#/login";
  });
  window.addEventListener("hashchange", route);
  await loadSettings();
  if (sessionStorage.getItem(REFRESH_KEY)) {
    try {
      await refresh();
      if (!session.user) session.user = await api("me");
    } catch { forget(); }
  }
  route();
}

start();
