//! The checked-in `openapi/openapi.json` must match the code. To update it:
//! `cargo run -- openapi > openapi/openapi.json` (or run this test with
//! `UPDATE_OPENAPI=1`).

use serde_json::Value;

#[test]
fn checked_in_spec_matches_the_code() {
    let generated = citizen_feedback::http::openapi()
        .to_pretty_json()
        .expect("serialize");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, format!("{generated}\n")).expect("write spec");
    }
    let checked_in = std::fs::read_to_string(path).expect("openapi/openapi.json exists");
    let a: Value = serde_json::from_str(&generated).expect("json");
    let b: Value = serde_json::from_str(&checked_in).expect("json");
    assert!(
        a == b,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn spec_documents_security_and_errors() {
    let spec: Value = serde_json::from_str(
        &citizen_feedback::http::openapi()
            .to_pretty_json()
            .expect("json"),
    )
    .expect("json");
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(spec["components"]["schemas"]["ProblemBody"].is_object());
    let me = &spec["paths"]["/api/v1/me"]["get"];
    assert!(me["security"].is_array());
    assert!(me["responses"]["401"]["content"]["application/problem+json"].is_object());
}
