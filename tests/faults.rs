//! Nothing acknowledged is lost: the real binary killed with SIGKILL in the
//! middle of a burst of filings, and PostgreSQL restarted under load.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::server::{Server, spare_port};
use common::{TestApp, is_postgres};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

/// One answer as a client saw it.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    body: Value,
    took: Duration,
}

/// Sends a request; `None` when no HTTP answer came (refused, reset, timed out).
async fn send(req: reqwest::RequestBuilder) -> Option<Answer> {
    let started = Instant::now();
    let res = req.send().await.ok()?;
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let retry_after = header("retry-after");
    let bytes = res.bytes().await.ok()?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Some(Answer {
        status,
        content_type,
        retry_after,
        body,
        took: started.elapsed(),
    })
}

async fn register(client: &reqwest::Client, base: &str, phone: &str) -> String {
    let a = send(client.post(format!("{base}/api/v1/auth/register")).json(
        &json!({"phone": phone, "password": common::PASSWORD, "full_name": "Trần Thị Bình"}),
    ))
    .await
    .expect("an answer");
    assert_eq!(a.status, 201, "{}", a.body);
    a.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

fn filing(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> reqwest::RequestBuilder {
    client
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .timeout(Duration::from_secs(10))
        .json(body)
}

const CLIENTS: usize = 4;
const PER_CLIENT: usize = 40;
/// The server is killed once this many filings were acknowledged.
const KILL_AFTER: usize = 50;

/// A client files its reports one after another, each with its own key, and
/// sends each again (same key, same body) until it gets a 2xx: a phone that
/// lost the connection and reconnects. While the server is down it is
/// refused; the request that was under way when it died may or may not
/// have committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_burst_loses_and_duplicates_no_acknowledged_filing() {
    let mut app = TestApp::spawn().await;
    let city = app.city().await;
    // The harness's own server is done; the real binary takes over the database.
    app.shutdown();

    let dir = tempfile::tempdir().expect("temp dir");
    let port = spare_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = vec![
        ("DATABASE_URL", app.database_url.clone()),
        // Filing speed is not what this test is about.
        ("APP_REPORTS__PER_USER_BURST", "100000".to_owned()),
        ("APP_REPORTS__PER_USER_PER_HOUR", "100000".to_owned()),
    ];
    let mut server = Server::start(port, dir.path(), &env).await;
    let client = reqwest::Client::new();

    let mut tokens = vec![];
    for i in 0..CLIENTS {
        tokens.push(register(&client, &base, &format!("09120{i:05}")).await);
    }

    let acked = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    // Filings whose first 2xx was a replay (200): the attempt before it was
    // committed, but its answer was lost with the server.
    let replayed = Arc::new(AtomicUsize::new(0));
    // key → the report id of every 2xx for it (first answer and retries).
    let answers: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut clients = vec![];
    for (c, token) in tokens.iter().cloned().enumerate() {
        let (client, base) = (client.clone(), base.clone());
        let (acked, refused, answers) = (acked.clone(), refused.clone(), answers.clone());
        let replayed = replayed.clone();
        let category = city.lights;
        clients.push(tokio::spawn(async move {
            let mut keys = vec![];
            for n in 0..PER_CLIENT {
                let key = format!("c{c}-n{n}-{}", Uuid::new_v4().simple());
                let mut body = TestApp::report_body(category);
                body["title"] = json!(format!("Đèn hỏng số {n} (máy {c})"));
                loop {
                    assert!(
                        Instant::now() < deadline,
                        "client {c} never got {key} through"
                    );
                    match send(filing(&client, &base, &token, &key, &body)).await {
                        Some(a) if a.status == 200 || a.status == 201 => {
                            let id = a.body["id"].as_str().expect("id").to_owned();
                            answers
                                .lock()
                                .await
                                .entry(key.clone())
                                .or_default()
                                .push(id);
                            acked.fetch_add(1, Ordering::SeqCst);
                            if a.status == 200 {
                                replayed.fetch_add(1, Ordering::SeqCst);
                            }
                            break;
                        }
                        // Down, restarting, or busy: the same request again.
                        None => {}
                        Some(a) if a.status >= 500 || a.status == 409 || a.status == 429 => {}
                        Some(a) => panic!("{key}: {} {}", a.status, a.body),
                    }
                    refused.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                keys.push((key, body));
            }
            keys
        }));
    }

    // Mid-burst: SIGKILL, then the same binary on the same database and port.
    while acked.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "the burst stalled before the kill"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill_hard().await;
    let at_kill = acked.load(Ordering::SeqCst);
    assert!(
        at_kill < CLIENTS * PER_CLIENT,
        "killed after the burst, not in it"
    );
    // Every client meets the dead server (refused) before it comes back.
    let before = refused.load(Ordering::SeqCst);
    while refused.load(Ordering::SeqCst) < before + 2 * CLIENTS {
        assert!(Instant::now() < deadline, "the clients stopped retrying");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut server = Server::start(port, dir.path(), &env).await;

    let mut filed = vec![];
    for c in clients {
        filed.extend(c.await.expect("client"));
    }
    assert_eq!(filed.len(), CLIENTS * PER_CLIENT);
    assert!(
        refused.load(Ordering::SeqCst) > 0,
        "some requests met the dead server"
    );

    // Every acknowledged key names one report, whichever answer it was.
    let answers = answers.lock().await.clone();
    assert_eq!(answers.len(), CLIENTS * PER_CLIENT);
    let mut id_of_key = BTreeMap::new();
    for (key, ids) in &answers {
        assert!(ids.iter().all(|id| id == &ids[0]), "{key}: {ids:?}");
        id_of_key.insert(key.clone(), ids[0].clone());
    }

    // A retry of any acknowledged filing gets the same report back (200),
    // and files nothing new.
    let token_of = |key: &str| {
        let c: usize = key[1..key.find('-').expect("key")].parse().expect("client");
        tokens[c].clone()
    };
    for (key, body) in &filed {
        let a = send(filing(&client, &base, &token_of(key), key, body))
            .await
            .expect("an answer");
        assert_eq!(a.status, 200, "{key}: {}", a.body);
        assert_eq!(
            a.body["id"].as_str(),
            Some(id_of_key[key].as_str()),
            "{key}"
        );
    }

    // In the database: exactly one report per key, and it is the one the
    // client was told about.
    let total = app.count("SELECT COUNT(*) FROM reports").await;
    assert_eq!(total, (CLIENTS * PER_CLIENT) as i64, "one report per key");
    let doubled = app
        .count(
            "SELECT COUNT(*) FROM (SELECT client_request_id FROM reports \
             GROUP BY reporter_id, client_request_id HAVING COUNT(*) > 1) d",
        )
        .await;
    assert_eq!(doubled, 0);
    for (key, id) in &id_of_key {
        let report = app.report(id.parse().expect("uuid")).await;
        assert_eq!(report.client_request_id.as_deref(), Some(key.as_str()));
    }
    app.assert_rollup_consistent().await;

    server.kill_hard().await;
    eprintln!(
        "filed {} reports; killed after {at_kill} acknowledged; {} refused attempts retried; \
         {} committed before the kill but acknowledged only on retry",
        CLIENTS * PER_CLIENT,
        refused.load(Ordering::SeqCst),
        replayed.load(Ordering::SeqCst)
    );
}

/// A PostgreSQL cluster of this test's own on a spare port, so stopping it
/// disturbs no other test. Stopped and deleted on drop, panic or not.
struct SpareCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl SpareCluster {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL tool as the `postgres` user (it refuses root).
    fn run_as_postgres(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let path = self.bin.join(tool);
        std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(path)
            .args(args)
            // Somewhere the postgres user may read.
            .current_dir("/tmp")
            .stdin(Stdio::null())
            .output()
            .expect("runuser")
    }

    fn create() -> SpareCluster {
        let bin = postgres_bin().expect("PostgreSQL binaries under /usr/lib/postgresql");
        let dir = tempfile::Builder::new()
            .prefix("cf-spare-pg-")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let chown = std::process::Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .expect("chown");
        assert!(chown.success(), "chown the cluster folder to postgres");
        let cluster = SpareCluster {
            bin,
            dir,
            port: spare_port(),
        };
        let data = cluster.data().display().to_string();
        let out = cluster.run_as_postgres(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.start();
        cluster
    }

    fn start(&self) {
        let data = self.data().display().to_string();
        let log = self.dir.path().join("postgres.log").display().to_string();
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let out = self.run_as_postgres(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &opts, "-w", "-t", "30", "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// `-m fast`: open sessions are terminated (57P01), new ones refused.
    fn stop(&self) {
        let data = self.data().display().to_string();
        let out = self.run_as_postgres("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for SpareCluster {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        // Not running (already stopped) is fine; the folder goes with `dir`.
        let _ = self.run_as_postgres("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

/// The newest PostgreSQL's `bin` folder (Debian layout).
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// What the load saw, by phase.
#[derive(Default)]
struct Seen {
    /// Answers while the database was down: (what, answer).
    down: Vec<(String, Answer)>,
    /// Any answer ≥ 500 but 503, or 503 without the problem shape, any time.
    wrong: Vec<(String, u16, Value)>,
    /// Requests that got no HTTP answer at all (timeout, reset).
    unanswered: Vec<String>,
}

/// Database outage: requests get 503 problem+json with `Retry-After` in
/// bounded time (no hang, no 500), `/readyz` says not ready, and once
/// PostgreSQL is back the same process serves again within seconds: reads,
/// filings, the outbox worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restart_under_load_is_503_with_retry_after_then_recovers_by_itself() {
    if !is_postgres() {
        eprintln!("skipped: PostgreSQL only (set TEST_DATABASE_URL)");
        return;
    }
    citizen_feedback::install_crypto_provider();
    let cluster = SpareCluster::create();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = spare_port();
    let base = format!("http://127.0.0.1:{port}");
    let acquire_timeout = 2;
    let env = vec![
        ("DATABASE_URL", cluster.url()),
        (
            "APP_DATABASE__ACQUIRE_TIMEOUT_SECS",
            acquire_timeout.to_string(),
        ),
        ("APP_REPORTS__PER_USER_BURST", "100000".to_owned()),
        ("APP_REPORTS__PER_USER_PER_HOUR", "100000".to_owned()),
        // Live streams read only when LISTEN/NOTIFY wakes them (no polling
        // in this test's time), so an event after the outage shows that the
        // listener came back.
        ("APP_STREAM__POLL_INTERVAL_MS", "600000".to_owned()),
    ];
    // `serve` migrates the empty cluster first.
    let server = Server::start(port, dir.path(), &env).await;
    let client = reqwest::Client::new();

    // An administrator (the CLI), a category (the API), a citizen.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_citizen-feedback"))
        .args([
            "create-admin",
            "--email",
            "root@city.gov.vn",
            "--password",
            common::PASSWORD,
        ])
        .env_clear()
        .env("DATABASE_URL", cluster.url())
        .current_dir(dir.path())
        .output()
        .expect("create-admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let login = send(
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"login": "root@city.gov.vn", "password": common::PASSWORD})),
    )
    .await
    .expect("answer");
    assert_eq!(login.status, 200, "{}", login.body);
    let admin = login.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let cat = send(
        client
            .post(format!("{base}/api/v1/admin/categories"))
            .bearer_auth(&admin)
            .json(&json!({"code": "STREET_LIGHT", "name_vi": "Điện chiếu sáng", "name_en": "Street lights", "ack_hours": 8, "sla_hours": 40})),
    )
    .await
    .expect("answer");
    assert_eq!(cat.status, 201, "{}", cat.body);
    let category: Uuid = cat.body["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let citizen = register(&client, &base, "0912999001").await;

    // The administrator's live queue, open across the outage.
    let feed = Arc::new(Mutex::new(String::new()));
    let res = client
        .get(format!("{base}/api/v1/staff/stream"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("stream");
    assert_eq!(res.status(), 200);
    let reader = {
        let feed = feed.clone();
        tokio::spawn(async move {
            use futures::StreamExt;
            let mut body = res.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                feed.lock().await.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
    };

    // The load: anonymous reads, authenticated reads, readiness, filings.
    let down = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let mut load = vec![];
    let kinds = ["public", "me", "readyz", "file"];
    for (i, kind) in kinds.into_iter().enumerate() {
        let (client, base, citizen) = (client.clone(), base.clone(), citizen.clone());
        let (down, stop, seen) = (down.clone(), stop.clone(), seen.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let req = match kind {
                    "public" => client.get(format!("{base}/api/v1/public/reports")),
                    "me" => client
                        .get(format!("{base}/api/v1/me"))
                        .bearer_auth(&citizen),
                    "readyz" => client.get(format!("{base}/readyz")),
                    _ => {
                        let key = format!("load-{i}-{n}-{}", Uuid::new_v4().simple());
                        filing(
                            &client,
                            &base,
                            &citizen,
                            &key,
                            &TestApp::report_body(category),
                        )
                    }
                }
                .timeout(Duration::from_secs(15));
                let was_down = down.load(Ordering::SeqCst);
                let answer = send(req).await;
                let mut seen = seen.lock().await;
                match answer {
                    None => seen.unanswered.push(kind.to_owned()),
                    Some(a) => {
                        let problem_503 = a.status == 503
                            && a.content_type.as_deref() == Some("application/problem+json")
                            && a.retry_after.is_some();
                        if a.status >= 500 && !problem_503 {
                            seen.wrong.push((kind.to_owned(), a.status, a.body.clone()));
                        }
                        if was_down && down.load(Ordering::SeqCst) {
                            seen.down.push((kind.to_owned(), a));
                        }
                    }
                }
                drop(seen);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }

    // Serving.
    wait_until(&client, &base, &citizen, Duration::from_secs(10))
        .await
        .expect("serving before the outage");

    // The outage.
    cluster.stop();
    down.store(true, Ordering::SeqCst);
    let outage_started = Instant::now();
    // What a client sees while it lasts, asked directly too.
    let ready = send(
        client
            .get(format!("{base}/readyz"))
            .timeout(Duration::from_secs(15)),
    )
    .await
    .expect("readyz answers");
    assert_unavailable("readyz", &ready, acquire_timeout);
    let key = format!("during-{}", Uuid::new_v4().simple());
    let body = TestApp::report_body(category);
    let a = send(filing(&client, &base, &citizen, &key, &body))
        .await
        .expect("an answer");
    assert_unavailable("file", &a, acquire_timeout);
    let a = send(
        client
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&citizen),
    )
    .await
    .expect("an answer");
    assert_unavailable("me", &a, acquire_timeout);
    // Let the load meet it for a moment more.
    while outage_started.elapsed() < Duration::from_secs(acquire_timeout + 1) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    down.store(false, Ordering::SeqCst);

    // Back: the same process serves again within seconds.
    cluster.start();
    let back = Instant::now();
    let recovered = wait_until(&client, &base, &citizen, Duration::from_secs(15)).await;
    assert!(
        recovered.is_ok(),
        "not serving {:?} after PostgreSQL came back: {recovered:?}\n{}",
        back.elapsed(),
        server.log_tail()
    );
    eprintln!(
        "serving again {:?} after PostgreSQL was back",
        back.elapsed()
    );

    // The filing refused during the outage goes through on retry, once.
    let after_outage = chrono::Utc::now();
    let a = send(filing(&client, &base, &citizen, &key, &body))
        .await
        .expect("an answer");
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["id"].as_str().expect("id").to_owned();
    let a = send(filing(&client, &base, &citizen, &key, &body))
        .await
        .expect("an answer");
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["id"].as_str(), Some(id.as_str()));
    let a = send(
        client
            .get(format!("{base}/api/v1/reports/{id}"))
            .bearer_auth(&citizen),
    )
    .await
    .expect("an answer");
    assert_eq!(a.status, 200, "{}", a.body);
    // The stream opened before the outage is still there, and hears of it.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !feed.lock().await.contains(&id) {
        assert!(
            Instant::now() < deadline && !reader.is_finished(),
            "the live queue did not hear of {id} after the outage\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    reader.abort();

    stop.store(true, Ordering::SeqCst);
    for l in load {
        l.await.expect("load task");
    }
    let seen = seen.lock().await;
    assert!(
        seen.wrong.is_empty(),
        "answers that were not 503 problem+json with Retry-After: {:?}\n{}",
        seen.wrong,
        server.log_tail()
    );
    assert!(
        seen.unanswered.is_empty(),
        "requests with no answer (hung or reset): {:?}",
        seen.unanswered
    );
    assert!(!seen.down.is_empty(), "the load met the outage");
    for (kind, a) in &seen.down {
        // A request under way as the stop began may still have finished.
        if a.status >= 300 {
            assert_unavailable(kind, a, acquire_timeout);
        }
    }

    // The outbox worker lived through it: what filings queue after the
    // outage is handled as before (rows it claimed while the database was
    // gone come back when their lease runs out).
    let db = sea_orm::Database::connect(cluster.url().as_str())
        .await
        .expect("connect");
    let count = |sql: &'static str| {
        let db = &db;
        async move {
            use sea_orm::{ConnectionTrait, Statement};
            let row = db
                .query_one_raw(Statement::from_sql_and_values(
                    db.get_database_backend(),
                    sql,
                    [after_outage.into()],
                ))
                .await
                .expect("query")
                .expect("row");
            row.try_get::<i64>("", "n").expect("n")
        }
    };
    assert!(count("SELECT COUNT(*) AS n FROM outbox WHERE created_at >= $1").await > 0);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let pending =
            count("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND created_at >= $1")
                .await;
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} outbox rows still undelivered after the outage\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    db.close().await.ok();
    drop(server);
}

#[track_caller]
fn assert_unavailable(what: &str, a: &Answer, acquire_timeout: u64) {
    assert_eq!(a.status, 503, "{what}: {}", a.body);
    assert_eq!(
        a.content_type.as_deref(),
        Some("application/problem+json"),
        "{what}"
    );
    assert_eq!(a.body["status"], 503, "{what}: {}", a.body);
    assert!(
        a.body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/service-unavailable")),
        "{what}: {}",
        a.body
    );
    let retry: u64 = a
        .retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: Retry-After in seconds, got {:?}", a.retry_after));
    assert!(retry >= 1, "{what}: Retry-After {retry}");
    assert!(
        a.took < Duration::from_secs(acquire_timeout + 3),
        "{what}: answered after {:?}",
        a.took
    );
}

/// Polls until `/readyz`, an authenticated read and the public feed all
/// answer 2xx; the last failure otherwise.
async fn wait_until(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    within: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        let mut last = None;
        for req in [
            client.get(format!("{base}/readyz")),
            client.get(format!("{base}/api/v1/me")).bearer_auth(token),
            client.get(format!("{base}/api/v1/public/reports")),
        ] {
            match send(req.timeout(Duration::from_secs(10))).await {
                Some(a) if a.status < 300 => {}
                Some(a) => last = Some(format!("{} {}", a.status, a.body)),
                None => last = Some("no answer".to_owned()),
            }
        }
        let Some(last) = last else {
            return Ok(());
        };
        if Instant::now() >= deadline {
            return Err(last);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
