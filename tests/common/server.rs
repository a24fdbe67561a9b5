//! The real binary as a separate process (another instance, one to kill),
//! for tests that need more than the in-process app.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// A free port on the loopback interface (bound, then released).
pub fn spare_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The real binary serving on `127.0.0.1:<port>`, its log in a file.
pub struct Server {
    pub child: tokio::process::Child,
    pub log: PathBuf,
}

impl Server {
    /// Starts `citizen-feedback serve` with a clean environment (nothing from
    /// the developer's leaks in) plus `env`, and waits until `/healthz` answers.
    pub async fn start(port: u16, dir: &Path, env: &[(&str, String)]) -> Server {
        let log = dir.join(format!("server-{}.log", Uuid::new_v4().simple()));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_citizen-feedback"));
        cmd.arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("MEDIA_DIR", dir.join("media"))
            .env("APP_LOG__FILTER", "warn,citizen_feedback=info")
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn the server");
        let server = Server { child, log };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let up = client
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if up {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "server did not come up:\n{}",
                server.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// SIGKILL: no graceful shutdown, no flush, nothing.
    pub async fn kill_hard(&mut self) {
        let status = std::process::Command::new("kill")
            .args(["-KILL", &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("dies at once")
            .expect("status");
        assert!(!exit.success(), "killed, not exited: {exit:?}");
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}
