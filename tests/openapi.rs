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

/// Every status an operation can answer is in the spec: the errors common
/// to a kind of operation are listed on each (see `http::openapi::complete`).
#[test]
fn every_operation_lists_the_errors_it_can_answer() {
    let spec: Value = serde_json::from_str(
        &citizen_feedback::http::openapi()
            .to_pretty_json()
            .expect("json"),
    )
    .expect("json");
    let paths = spec["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        if !path.starts_with("/api/") {
            continue;
        }
        for (method, op) in item.as_object().expect("item") {
            let responses = &op["responses"];
            let has = |s: &str| responses.get(s).is_some();
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            assert!(has("401"), "{method} {path}: 401");
            if secured {
                assert!(has("403"), "{method} {path}: 403");
            }
            if path.contains('{') {
                assert!(has("404") && has("422"), "{method} {path}: 404, 422");
            }
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(has(s), "{method} {path}: {s}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} operations");
}

/// Free text refuses control characters, as the server does.
#[test]
fn free_text_says_it_refuses_control_characters() {
    let spec: Value = serde_json::from_str(
        &citizen_feedback::http::openapi()
            .to_pretty_json()
            .expect("json"),
    )
    .expect("json");
    let login = &spec["components"]["schemas"]["LoginRequest"]["properties"]["login"];
    assert!(
        login["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("u0000")),
        "{login}"
    );
}

/// Operation ids name one operation each (clients generate methods from them).
#[test]
fn operation_ids_are_unique() {
    let spec: Value = serde_json::from_str(
        &citizen_feedback::http::openapi()
            .to_pretty_json()
            .expect("json"),
    )
    .expect("json");
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if let Some(id) = op["operationId"].as_str()
                && let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}"))
            {
                panic!("{id}: {other} and {method} {path}");
            }
        }
    }
}
