//! The test harness: a real server on 127.0.0.1:0 against a fresh database.
//!
//! - SQLite (default): a new file in a temporary folder per test, migrated.
//! - PostgreSQL (when `TEST_DATABASE_URL` is set, e.g.
//!   `postgres://postgres@127.0.0.1:5432/postgres`): the migrations run once per
//!   test process into a template database; each test gets
//!   `CREATE DATABASE ... TEMPLATE` of it, dropped when the test ends.
#![allow(dead_code)]

pub mod server;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use citizen_feedback::accounts::service::{self, NewUser};
use citizen_feedback::auth::Role;
use citizen_feedback::clock::Clock;
use citizen_feedback::config::Config;
use citizen_feedback::i18n::Locale;
use citizen_feedback::{AppState, db};
use figment::Figment;
use figment::providers::Serialized;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tokio::sync::{Mutex, OnceCell, oneshot};
use uuid::Uuid;

pub const PASSWORD: &str = "mây trôi qua hồ gươm";

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    /// A separate connection to the test's database, for asserting effects.
    pub db: DatabaseConnection,
    pub state: AppState,
    pub clock: Clock,
    pub database_url: String,
    pub media_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    _guard: DbGuard,
}

enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// A peer instance: the first app owns the database.
    Shared,
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread of our own.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("TEST_DATABASE_URL is a URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// Drops databases left by test processes that no longer run.
async fn sweep_stale(admin: &DatabaseConnection) {
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'cf\\_test\\_%' OR datname LIKE 'cf\\_tpl\\_%'",
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

async fn postgres_template(admin_url: &str) -> String {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("cf_tpl_{}", std::process::id());
            let admin = Database::connect(admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sweep_stale(&admin).await;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                .await
                .expect("drop old template");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create template");
            admin.close().await.ok();
            let tpl = Database::connect(with_database(admin_url, &name).as_str())
                .await
                .expect("connect to template");
            db::migrate(&tpl).await.expect("migrate template");
            tpl.close().await.ok();
            name
        })
        .await
        .clone()
}

/// Serializes `CREATE DATABASE ... TEMPLATE` within the process: PostgreSQL
/// refuses to copy a template while another session is connected to it.
static CREATE_LOCK: Mutex<()> = Mutex::const_new(());

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|f| f).await
    }

    /// Spawns with configuration changes, e.g.
    /// `|f| f.merge(Serialized::default("http.body_limit_bytes", 64))`.
    /// An app whose citizens may file `burst` reports before the filing
    /// throttle answers 429 (tests that file many).
    pub async fn spawn_filing(burst: u32) -> TestApp {
        Self::spawn_with(|f| f.merge(Serialized::default("reports.per_user_burst", burst))).await
    }

    pub async fn spawn_with(configure: impl FnOnce(Figment) -> Figment) -> TestApp {
        citizen_feedback::install_crypto_provider();
        let (database_url, guard) = if is_postgres() {
            let admin_url = std::env::var("TEST_DATABASE_URL").expect("set");
            let template = postgres_template(&admin_url).await;
            let name = format!("cf_test_{}_{}", std::process::id(), Uuid::new_v4().simple());
            {
                let _lock = CREATE_LOCK.lock().await;
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .expect("connect admin");
                admin
                    .execute_unprepared(&format!(
                        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                    ))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
            }
            (
                with_database(&admin_url, &name),
                DbGuard::Postgres { admin_url, name },
            )
        } else {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/test.db", dir.path().display());
            (url, DbGuard::Sqlite(dir))
        };

        // PostgreSQL databases are copies of a migrated template.
        let migrate = !is_postgres();
        Self::start(
            database_url,
            configure,
            Clock::manual(Utc::now()),
            migrate,
            guard,
        )
        .await
    }

    /// Starts a server on `database_url` with the test settings (over which
    /// `configure` goes), on the given clock.
    async fn start(
        database_url: String,
        configure: impl FnOnce(Figment) -> Figment,
        clock: Clock,
        migrate: bool,
        guard: DbGuard,
    ) -> TestApp {
        let media_dir = tempfile::tempdir().expect("media dir");
        let figment = Config::defaults()
            .merge(Serialized::default("database_url", &database_url))
            .merge(Serialized::default(
                "media_dir",
                media_dir.path().display().to_string(),
            ))
            .merge(Serialized::default("listen_addr", "127.0.0.1:0"))
            .merge(Serialized::default("database.max_connections", 5))
            .merge(Serialized::default("http.shutdown_grace_secs", 1))
            // The periodic jobs run on real time and would race a test at
            // start; tests call their services (auto-close, reminders,
            // housekeeping) when they mean to. The outbox worker stays on.
            .merge(Serialized::default("reports.auto_close_interval_secs", 0))
            .merge(Serialized::default(
                "notifications.reminder_interval_secs",
                0,
            ))
            .merge(Serialized::default("housekeeping.interval_secs", 0));
        let config = Config::from_figment(configure(figment)).expect("valid test config");
        let pool = db::connect(&config).await.expect("connect");
        if migrate {
            db::migrate(&pool).await.expect("migrate");
        }
        let storage = citizen_feedback::media::storage::Storage::from_config(&config.media_dir)
            .expect("storage");
        let state = AppState::new(config.clone(), pool, clock.clone(), storage);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server_state = state.clone();
        tokio::spawn(async move {
            let _ = citizen_feedback::serve_until(server_state, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        let db = db::connect(&config).await.expect("second connection");
        TestApp {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            db,
            state,
            clock,
            database_url,
            media_dir,
            shutdown: Some(tx),
            _guard: guard,
        }
    }

    /// A second app instance on this test's PostgreSQL database, as another
    /// process would be: its own pool, clock reading and server. Its URL
    /// differs by `application_name`, so nothing keyed by the database URL in
    /// this process (the stream hub) is shared with `self`.
    pub async fn spawn_peer(&self, configure: impl FnOnce(Figment) -> Figment) -> TestApp {
        assert!(is_postgres(), "peers share a PostgreSQL database");
        let mut url = url::Url::parse(&self.database_url).expect("database URL");
        url.query_pairs_mut().append_pair(
            "application_name",
            &format!("peer-{}", Uuid::new_v4().simple()),
        );
        Self::start(
            url.to_string(),
            configure,
            self.clock.clone(),
            false,
            DbGuard::Shared,
        )
        .await
    }

    /// Signals the server to shut down gracefully (as SIGTERM would).
    pub fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            builder: self.client.request(method, self.url(path)),
        }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        self.req(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Req<'_> {
        self.req(Method::PATCH, path)
    }

    /// Registers a citizen through the API.
    pub async fn register(&self, phone: &str) -> Session {
        let res = self
            .post("/api/v1/auth/register")
            .json(&json!({"phone": phone, "password": PASSWORD, "full_name": "Nguyễn Văn An"}))
            .send()
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        Session::from_body(&res.body)
    }

    /// Creates an account of any role directly, then logs it in.
    pub async fn user_with_role(&self, role: Role, email: &str, unit_id: Option<Uuid>) -> Session {
        service::create_user(
            &self.db,
            &self.state.passwords,
            &self.clock,
            NewUser {
                phone: None,
                email: Some(email.to_owned()),
                password: PASSWORD.to_owned(),
                full_name: format!("{role:?} user"),
                role,
                unit_id,
                locale: Locale::Vi,
            },
        )
        .await
        .expect("create user");
        self.login(email, PASSWORD).await
    }

    pub async fn login(&self, login: &str, password: &str) -> Session {
        let res = self
            .post("/api/v1/auth/login")
            .json(&json!({"login": login, "password": password}))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        Session::from_body(&res.body)
    }

    /// Runs a query that yields one number (a COUNT or SUM; NULL counts as 0).
    pub async fn count(&self, sql: &str) -> i64 {
        // CAST: PostgreSQL sums BIGINTs into NUMERIC.
        let sql = format!("SELECT CAST(({sql}) AS BIGINT)");
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<Option<i64>>(0)
            .expect("a number")
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: Uuid,
    pub access: String,
    pub refresh: String,
}

impl Session {
    pub fn from_body(body: &Value) -> Session {
        Session {
            user_id: body["user"]["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("user.id"),
            access: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
        }
    }
}

pub struct Req<'a> {
    app: &'a TestApp,
    builder: reqwest::RequestBuilder,
}

impl<'a> Req<'a> {
    pub fn token(mut self, token: &str) -> Self {
        self.builder = self.builder.bearer_auth(token);
        self
    }
    pub fn json(mut self, body: &Value) -> Self {
        self.builder = self.builder.json(body);
        self
    }
    pub fn lang(self, lang: &str) -> Self {
        self.header("accept-language", lang)
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
        self
    }
    /// A form-encoded body, as Open311 clients send.
    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }
    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.builder = self.builder.body(body);
        self
    }
    pub async fn send(self) -> Resp {
        let _ = self.app;
        let res = self.builder.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Resp {
            status,
            headers,
            body,
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with this status and problem type slug.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, slug: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert_eq!(
            self.body["type"]
                .as_str()
                .and_then(|t| t.rsplit('/').next()),
            Some(slug),
            "{}",
            self.body
        );
        assert!(self.body["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.body["detail"].as_str().is_some_and(|t| !t.is_empty()));
    }

    /// The fields named in a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("timestamp")
        .with_timezone(&Utc)
}

pub type Shared<T> = Arc<T>;

/// A small city set up through the admin API: a root unit, one ward with
/// area code `00070`, a street-light category routed to the ward there, and a
/// sensitive category with no routing.
pub struct City {
    pub admin: Session,
    pub root: Uuid,
    pub ward: Uuid,
    pub lights: Uuid,
    pub sensitive: Uuid,
}

impl TestApp {
    pub fn put(&self, path: &str) -> Req<'_> {
        self.req(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        self.req(Method::DELETE, path)
    }

    pub async fn admin(&self) -> Session {
        self.user_with_role(
            Role::Admin,
            &format!("admin-{}@example.com", Uuid::new_v4().simple()),
            None,
        )
        .await
    }

    pub async fn city(&self) -> City {
        let admin = self.admin().await;
        let post = |path: &'static str, body: Value| {
            let token = admin.access.clone();
            async move {
                let res = self.post(path).token(&token).json(&body).send().await;
                assert_eq!(res.status, 201, "{path}: {}", res.body);
                res.body["id"]
                    .as_str()
                    .and_then(|s| s.parse::<Uuid>().ok())
                    .expect("id")
            }
        };
        let root = post(
            "/api/v1/admin/units",
            json!({"code": "HN", "name": "Thành phố Hà Nội", "kind": "city", "area_code": "01"}),
        )
        .await;
        let ward = post(
            "/api/v1/admin/units",
            json!({"code": "HN-HOANKIEM", "name": "Phường Hoàn Kiếm", "kind": "ward", "parent_id": root, "area_code": "00070"}),
        )
        .await;
        let lights = post(
            "/api/v1/admin/categories",
            json!({"code": "STREET_LIGHT", "name_vi": "Điện chiếu sáng", "name_en": "Street lights", "ack_hours": 8, "sla_hours": 40}),
        )
        .await;
        let sensitive = post(
            "/api/v1/admin/categories",
            json!({"code": "PUBLIC_ORDER", "name_vi": "An ninh trật tự", "name_en": "Public order", "ack_hours": 4, "sla_hours": 16, "sensitive": true}),
        )
        .await;
        post(
            "/api/v1/admin/routing-rules",
            json!({"category_id": lights, "area_code": "00070", "unit_id": ward}),
        )
        .await;
        City {
            admin,
            root,
            ward,
            lights,
            sensitive,
        }
    }

    /// A body for `POST /reports` in the given category.
    pub fn report_body(category: Uuid) -> Value {
        json!({
            "category_id": category,
            "title": "Đèn đường không sáng",
            "description": "Cột đèn trước số 12 Đinh Tiên Hoàng không sáng ba tối nay.",
            "lat": 21.028511,
            "lng": 105.854167,
            "address": "12 Đinh Tiên Hoàng, Hoàn Kiếm",
            "area_code": "00070"
        })
    }

    pub async fn file(&self, token: &str, body: &Value) -> Value {
        let res = self
            .post("/api/v1/reports")
            .token(token)
            .json(body)
            .send()
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        res.body
    }

    /// Uploads a file with multipart/form-data.
    pub async fn upload(&self, token: &str, name: &str, mime: &str, bytes: Vec<u8>) -> Resp {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part);
        let res = self
            .client
            .post(self.url("/api/v1/media"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
        }
    }

    /// What the staff side does: an administrator accepts and resolves the
    /// report through the API, so the lifecycle, the events and the rollup
    /// are what they would be in use.
    pub async fn mark_resolved(&self, id: Uuid) {
        let admin = self.admin().await;
        for body in [
            json!({"action": "accept"}),
            json!({"action": "resolve", "public_message": "Đã xử lý xong."}),
        ] {
            let r = self
                .post(&format!("/api/v1/staff/reports/{id}/actions"))
                .token(&admin.access)
                .json(&body)
                .send()
                .await;
            assert_eq!(r.status, 200, "{body}: {}", r.body);
        }
    }

    pub async fn report(&self, id: Uuid) -> citizen_feedback::entities::reports::Model {
        use sea_orm::EntityTrait;
        citizen_feedback::entities::reports::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .expect("query")
            .expect("report exists")
    }

    pub async fn report_by_code(&self, code: &str) -> citizen_feedback::entities::reports::Model {
        use citizen_feedback::entities::reports;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        reports::Entity::find()
            .filter(reports::Column::Code.eq(code))
            .one(&self.db)
            .await
            .expect("query")
            .expect("report exists")
    }

    /// The statistics rollup equals its recomputation from `reports`.
    pub async fn assert_rollup_consistent(&self) {
        let diffs = citizen_feedback::stats::check::check(&self.db, self.state.config.city_tz)
            .await
            .expect("check");
        assert!(diffs.is_empty(), "rollup differs from reports: {diffs:#?}");
    }

    /// An API key issued by an administrator: (client id, key).
    pub async fn api_key(&self, admin: &Session, name: &str) -> (Uuid, String) {
        let res = self
            .post("/api/v1/admin/api-clients")
            .token(&admin.access)
            .json(&json!({ "name": name }))
            .send()
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        (
            id_of(&res.body),
            res.body["api_key"].as_str().expect("api_key").to_owned(),
        )
    }

    pub async fn exec(&self, sql: &str) {
        self.db.execute_unprepared(sql).await.expect("sql");
    }
}

/// A small real JPEG with an EXIF APP1 segment carrying GPS coordinates.
pub fn jpeg_with_gps() -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 12, |x, y| {
        image::Rgb([(x * 15) as u8, (y * 20) as u8, 128])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&img)
        .expect("encode");
    // APP1 "Exif\0\0" + a big-endian TIFF header + a GPS payload marker.
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
    payload.extend_from_slice(b"GPSLatitude 21.028511 N GPSLongitude 105.854167 E");
    let len = (payload.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([10, 200, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// A PNG whose header claims 60000×60000 pixels (a decompression bomb).
pub fn png_bomb() -> Vec<u8> {
    let mut p = png(1, 1);
    // IHDR width/height live at bytes 16..24; the CRC after them is left
    // wrong on purpose: nothing may get as far as checking it.
    p[16..20].copy_from_slice(&60000u32.to_be_bytes());
    p[20..24].copy_from_slice(&60000u32.to_be_bytes());
    p
}

pub fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().and_then(|s| s.parse().ok()).expect("id")
}

/// The city of the random-action tests: a second ward, a city coordinator,
/// an officer in each ward and three citizens.
pub struct RandomCity {
    pub city: City,
    pub other_ward: Uuid,
    pub coord: String,
    /// In `city.ward`, then in `other_ward`.
    pub officers: [Session; 2],
    pub citizens: Vec<String>,
}

impl TestApp {
    /// An app for long runs of random actions: tokens that outlive the run
    /// and limits that let it go at full speed.
    pub async fn spawn_for_random_actions() -> TestApp {
        TestApp::spawn_with(|f| {
            f.merge(Serialized::default(
                "auth.access_token_ttl_secs",
                10 * 365 * 24 * 3600,
            ))
            .merge(Serialized::default("reports.per_user_burst", 1_000_000))
            .merge(Serialized::default("auth.login_ip_burst", 1000))
        })
        .await
    }

    pub async fn random_city(&self) -> RandomCity {
        let city = self.city().await;
        let other_ward = id_of(
            &self
                .post("/api/v1/admin/units")
                .token(&city.admin.access)
                .json(&json!({"code": "HN-BADINH", "name": "Phường Ba Đình", "kind": "ward", "parent_id": city.root, "area_code": "00001"}))
                .send()
                .await
                .body,
        );
        let coord = self
            .user_with_role(Role::Coordinator, "coord@hanoi.gov.vn", Some(city.root))
            .await
            .access;
        let officers = [
            self.user_with_role(Role::Officer, "a@hanoi.gov.vn", Some(city.ward))
                .await,
            self.user_with_role(Role::Officer, "b@hanoi.gov.vn", Some(other_ward))
                .await,
        ];
        let mut citizens = Vec::new();
        for p in ["0912000001", "0912000002", "0912000003"] {
            citizens.push(self.register(p).await.access);
        }
        RandomCity {
            city,
            other_ward,
            coord,
            officers,
            citizens,
        }
    }
}
