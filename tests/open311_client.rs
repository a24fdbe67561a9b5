//! Our Open311 endpoints through an existing client library, unchanged:
//! `georeport` from PyPI (pinned in `tests/open311_client/requirements.txt`,
//! installed into a virtual environment under the target directory on first
//! run). It reads services, a definition and requests in XML and JSON; the
//! filing is the spec's form POST.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestApp;
use serde_json::Value;

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/open311_client")
}

/// The virtual environment's python, made on first use.
fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("open311-venv");
    let out = Command::new("bash")
        .arg(here().join("venv.sh"))
        .arg(&venv)
        .output()
        .expect("run venv.sh");
    assert!(
        out.status.success(),
        "could not make the Open311 client environment:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    venv.join("bin/python")
}

/// Runs check.py with `args`; its JSON answer.
fn check(python: &Path, args: &[&str]) -> Value {
    let out = Command::new(python)
        .arg(here().join("check.py"))
        .args(args)
        .output()
        .expect("run check.py");
    assert!(
        out.status.success(),
        "check.py {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("check.py prints JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open311_client_library_reads_and_files_unchanged() {
    let py = tokio::task::spawn_blocking(python).await.expect("venv");
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let (_, key) = app.api_key(&city.admin, "Tổng đài 1022").await;
    let base = app.url("/open311/v2");

    let (b, k) = (base.clone(), key.clone());
    let py2 = py.clone();
    let seen = tokio::task::spawn_blocking(move || check(&py2, &["file", &b, &k, "STREET_LIGHT"]))
        .await
        .expect("check.py");

    for fmt in ["json", "xml"] {
        assert_eq!(
            seen[format!("services_{fmt}")],
            serde_json::json!(["PUBLIC_ORDER", "STREET_LIGHT"]),
            "{seen}"
        );
        assert!(
            seen[format!("service_names_{fmt}")]
                .to_string()
                .contains("Điện chiếu sáng"),
            "Vietnamese intact in {fmt}: {seen}"
        );
        assert_eq!(seen[format!("definition_{fmt}")], "STREET_LIGHT");
    }
    assert_eq!(seen["post_status"], 200, "{seen}");
    let sid = seen["service_request_id"]
        .as_str()
        .expect("service_request_id")
        .to_owned();
    assert!(seen["service_notice"].is_string());
    assert_eq!(seen["wrong_key_status"], 403);
    assert!(
        seen["wrong_key_body"]
            .as_str()
            .is_some_and(|b| b.contains("<errors><error><code>403</code>")),
        "{seen}"
    );
    for fmt in ["json", "xml"] {
        let one = &seen[format!("by_id_{fmt}")];
        assert_eq!(one["service_request_id"], sid.as_str(), "{seen}");
        assert_eq!(one["status"], "open");
        assert_eq!(one["service_code"], "STREET_LIGHT");
        assert_eq!(
            one["description"],
            "Cột đèn trước số 12 không sáng ba tối nay."
        );
        assert_eq!(
            seen[format!("filtered_{fmt}")],
            serde_json::json!([sid.clone()])
        );
    }
    let report = app.report_by_code(&sid).await;
    assert_eq!(report.unit_id, Some(city.ward));

    // A coordinator resolves it: the client sees it closed, with the message.
    app.mark_resolved(report.id).await;
    let (b, s) = (base.clone(), sid.clone());
    let after = tokio::task::spawn_blocking(move || check(&py, &["read", &b, &s]))
        .await
        .expect("check.py");
    for fmt in ["json", "xml"] {
        assert_eq!(after[fmt]["status"], "closed", "{after}");
        assert_eq!(after[fmt]["status_notes"], "Đã xử lý xong.");
        assert_eq!(
            after[format!("closed_{fmt}")],
            serde_json::json!([sid.clone()])
        );
    }
}
