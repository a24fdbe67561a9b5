//! Open311 GeoReport v2, read side: services, requests, errors, both formats.

mod common;

use common::{TestApp, id_of, png};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Value, json};

/// Parses an XML document: its element names in document order, and the
/// concatenated raw text (entities as written). Panics on malformed XML.
fn parse_xml(doc: &str) -> (Vec<String>, String) {
    let mut r = Reader::from_str(doc);
    let (mut names, mut text) = (vec![], String::new());
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                names.push(String::from_utf8_lossy(e.name().as_ref()).into_owned())
            }
            Ok(Event::Text(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("malformed XML: {e}\n{doc}"),
        }
    }
    (names, text)
}

fn xml_of(res: &common::Resp) -> String {
    let s = res.body.as_str().expect("an XML body").to_owned();
    assert!(
        s.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{s}"
    );
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.contains("xml")),
        "{:?}",
        res.header("content-type")
    );
    s
}

fn codes(body: &Value) -> Vec<String> {
    body.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn discovery_and_services_in_both_formats() {
    let app = TestApp::spawn().await;
    app.city().await;

    let d = app.get("/open311/v2/discovery.json").send().await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!(
        d.body["endpoints"][0]["url"],
        "http://127.0.0.1:8080/open311/v2"
    );
    let dx = app.get("/open311/v2/discovery.xml").send().await;
    assert_eq!(dx.status, 200);
    let (names, _) = parse_xml(&xml_of(&dx));
    assert_eq!(names[0], "discovery");

    let j = app.get("/open311/v2/services.json").send().await;
    assert_eq!(j.status, 200, "{}", j.body);
    let list = j.body.as_array().expect("a list");
    assert_eq!(list.len(), 2);
    let lights = list
        .iter()
        .find(|s| s["service_code"] == "STREET_LIGHT")
        .expect("lights");
    assert_eq!(lights["service_name"], "Điện chiếu sáng");
    assert_eq!(lights["metadata"], false);
    assert_eq!(lights["type"], "realtime");

    let x = app.get("/open311/v2/services.xml").send().await;
    assert_eq!(x.status, 200);
    let doc = xml_of(&x);
    let (names, text) = parse_xml(&doc);
    assert_eq!(names[0], "services");
    assert_eq!(names.iter().filter(|n| *n == "service").count(), 2);
    for n in ["service_code", "service_name", "metadata", "type", "group"] {
        assert!(names.contains(&n.to_owned()), "{n} in {doc}");
    }
    assert!(text.contains("Điện chiếu sáng"), "Vietnamese intact: {doc}");

    let def = app
        .get("/open311/v2/services/STREET_LIGHT.json?jurisdiction_id=hanoi")
        .send()
        .await;
    assert_eq!(def.status, 200, "{}", def.body);
    assert_eq!(def.body["service_code"], "STREET_LIGHT");
    assert_eq!(def.body["attributes"], json!([]));
    let defx = app
        .get("/open311/v2/services/STREET_LIGHT.xml")
        .send()
        .await;
    let (names, _) = parse_xml(&xml_of(&defx));
    assert_eq!(names[0], "service_definition");

    let missing = app.get("/open311/v2/services/NOPE.json").send().await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body[0]["code"], 404);
}

#[tokio::test]
async fn a_public_report_is_open_then_closed_with_the_staff_message() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let filed = app
        .file(&s.access, &TestApp::report_body(city.lights))
        .await;
    let code = filed["code"].as_str().expect("code").to_owned();
    let mut private = TestApp::report_body(city.lights);
    private["is_public"] = json!(false);
    let private_code = app.file(&s.access, &private).await["code"]
        .as_str()
        .expect("code")
        .to_owned();

    let j = app.get("/open311/v2/requests.json").send().await;
    assert_eq!(j.status, 200, "{}", j.body);
    assert_eq!(codes(&j.body), vec![code.clone()], "private never listed");
    let r = &j.body[0];
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "STREET_LIGHT");
    assert_eq!(r["service_name"], "Điện chiếu sáng");
    assert_eq!(r["agency_responsible"], "Phường Hoàn Kiếm");
    assert_eq!(r["lat"], 21.028511);
    assert_eq!(r["long"], 105.854167);
    assert_eq!(r["status_notes"], Value::Null);
    assert!(
        r["requested_datetime"]
            .as_str()
            .is_some_and(|d| d.ends_with("+00:00")),
        "{r}"
    );
    let text = j.body.to_string();
    assert!(!text.contains("0912345678") && !text.contains("+84912345678"));

    let x = app.get("/open311/v2/requests.xml").send().await;
    assert_eq!(x.status, 200);
    let doc = xml_of(&x);
    let (names, text) = parse_xml(&doc);
    assert_eq!(names[0], "service_requests");
    assert_eq!(names.iter().filter(|n| *n == "request").count(), 1);
    assert!(text.contains(&code) && text.contains("open"), "{doc}");

    // By id, as a one-element list; the private one is not found.
    let one = app
        .get(&format!("/open311/v2/requests/{code}.json"))
        .send()
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(codes(&one.body), vec![code.clone()]);
    let hidden = app
        .get(&format!("/open311/v2/requests/{private_code}.json"))
        .send()
        .await;
    assert_eq!(hidden.status, 404);
    let by_ids = app
        .get(&format!(
            "/open311/v2/requests.json?service_request_id={code},{private_code}&status=closed"
        ))
        .send()
        .await;
    assert_eq!(
        codes(&by_ids.body),
        vec![code.clone()],
        "ids override the rest"
    );

    app.mark_resolved(id_of(&filed)).await;
    let j = app
        .get(&format!("/open311/v2/requests/{code}.json"))
        .send()
        .await;
    assert_eq!(j.body[0]["status"], "closed", "{}", j.body);
    assert_eq!(j.body[0]["status_notes"], "Đã xử lý xong.");
    let x = app
        .get(&format!("/open311/v2/requests/{code}.xml"))
        .send()
        .await;
    let doc = xml_of(&x);
    let (names, text) = parse_xml(&doc);
    assert_eq!(names[..2], ["service_requests", "request"]);
    assert!(
        text.contains("closed") && text.contains("Đã xử lý xong."),
        "{doc}"
    );
}

#[tokio::test]
async fn filters_by_service_code_and_status() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let light = app
        .file(&s.access, &TestApp::report_body(city.lights))
        .await;
    let order = app
        .file(&s.access, &TestApp::report_body(city.sensitive))
        .await;
    let (light_code, order_code) = (
        light["code"].as_str().unwrap_or("").to_owned(),
        order["code"].as_str().unwrap_or("").to_owned(),
    );
    app.mark_resolved(id_of(&light)).await;

    let get = |q: &'static str| app.get(q).send();
    let r = get("/open311/v2/requests.json?service_code=PUBLIC_ORDER").await;
    assert_eq!(codes(&r.body), vec![order_code.clone()]);
    // The sensitive one shows the coarsened point and no address.
    assert_eq!(
        (r.body[0]["lat"].as_f64(), r.body[0]["long"].as_f64()),
        (Some(21.0275), Some(105.8525))
    );
    assert_eq!(r.body[0]["address"], Value::Null);
    let r = get("/open311/v2/requests.json?service_code=PUBLIC_ORDER,STREET_LIGHT").await;
    assert_eq!(codes(&r.body).len(), 2);
    let r = get("/open311/v2/requests.json?status=closed").await;
    assert_eq!(codes(&r.body), vec![light_code]);
    let r = get("/open311/v2/requests.json?status=open&service_code=&end_date=").await;
    assert_eq!(codes(&r.body), vec![order_code]);
}

#[tokio::test]
async fn errors_are_the_open311_list_not_problem_json() {
    let app = TestApp::spawn().await;
    let bad = app
        .get("/open311/v2/requests.json?start_date=yesterday")
        .send()
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body[0]["code"], 400, "{}", bad.body);
    assert!(bad.body[0]["description"].is_string());
    assert!(!bad.header("content-type").unwrap_or("").contains("problem"));
    let wide = app
        .get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")
        .send()
        .await;
    assert_eq!(wide.status, 400, "{}", wide.body);
    let status = app
        .get("/open311/v2/requests.xml?status=pending")
        .send()
        .await;
    assert_eq!(status.status, 400);

    let nf = app.get("/open311/v2/requests/PA-NOPE.json").send().await;
    assert_eq!(nf.status, 404);
    assert_eq!(
        nf.body,
        json!([{"code": 404, "description": nf.body[0]["description"]}])
    );
    let nfx = app.get("/open311/v2/requests/PA-NOPE.xml").send().await;
    assert_eq!(nfx.status, 404);
    let doc = xml_of(&nfx);
    let (names, text) = parse_xml(&doc);
    assert_eq!(names[..4], ["errors", "error", "code", "description"]);
    assert!(text.trim_start().starts_with("404"), "{doc}");

    let ext = app.get("/open311/v2/services.csv").send().await;
    assert_eq!(ext.status, 404);
    assert!(xml_of(&ext).contains("<errors>"));
}

#[tokio::test]
async fn media_url_is_the_first_photo_as_an_absolute_url() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let s = app.register("0912345678").await;
    let photo = id_of(
        &app.upload(&s.access, "1.png", "image/png", png(3, 3))
            .await
            .body,
    );
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([photo]);
    let code = app.file(&s.access, &body).await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let r = app
        .get(&format!("/open311/v2/requests/{code}.json"))
        .send()
        .await;
    let url = format!("http://127.0.0.1:8080/api/v1/media/{photo}");
    assert_eq!(r.body[0]["media_url"], url.as_str(), "{}", r.body);
    // The path answers anonymously: the report is public.
    let got = app.get(&format!("/api/v1/media/{photo}")).send().await;
    assert_eq!(got.status, 200);
}
