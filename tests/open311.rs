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
    assert_eq!(
        lights["metadata"], true,
        "every service takes attribute[area_code]"
    );
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
    // One optional attribute: the area code, which routes the report.
    assert_eq!(def.body["attributes"][0]["code"], "area_code");
    assert_eq!(def.body["attributes"][0]["required"], false);
    assert_eq!(def.body["attributes"][0]["variable"], true);
    let defx = app
        .get("/open311/v2/services/STREET_LIGHT.xml")
        .send()
        .await;
    let (names, _) = parse_xml(&xml_of(&defx));
    assert_eq!(
        names[..5],
        [
            "service_definition",
            "service_code",
            "attributes",
            "attribute",
            "variable"
        ]
    );

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

/// A filing's form, as an Open311 client sends it.
fn filing<'a>(key: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("api_key", key),
        ("jurisdiction_id", "hanoi.gov.vn"),
        ("service_code", "STREET_LIGHT"),
        ("lat", "21.028511"),
        ("long", "105.854167"),
        ("address_string", "12 Đinh Tiên Hoàng, Hoàn Kiếm"),
        ("description", "Cột đèn trước số 12 không sáng ba tối nay."),
        ("attribute[area_code]", "00070"),
    ];
    f.extend_from_slice(extra);
    f
}

#[tokio::test]
async fn filing_creates_a_routed_report_for_a_contact_who_is_not_a_login() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let (_, key) = app.api_key(&city.admin, "Tổng đài 1022").await;
    let users_before = app.count("SELECT COUNT(*) FROM users").await;

    let res = app
        .post("/open311/v2/requests.json")
        .form(&filing(
            &key,
            &[
                ("email", "Chi.Tran@Example.VN"),
                ("first_name", "Chi"),
                ("last_name", "Trần"),
                ("device_id", "kiosk-7"),
                ("account_id", "1022-5521"),
                ("media_url", "https://1022.hanoi.example/photos/5521.jpg"),
            ],
        ))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let list = res.body.as_array().expect("a one-element list");
    assert_eq!(list.len(), 1);
    let code = list[0]["service_request_id"]
        .as_str()
        .expect("service_request_id")
        .to_owned();
    assert!(list[0]["service_notice"].is_string(), "{}", res.body);
    assert_eq!(list[0]["account_id"], "1022-5521");

    // The same report service as the mobile API: routed, deadlines, the
    // created event, the rollup, a delivery for subscribers.
    let report = app.report_by_code(&code).await;
    assert_eq!(report.unit_id, Some(city.ward), "routed by area_code");
    assert_eq!(report.reporter_id, None);
    assert!(report.is_public && !report.is_anonymous);
    assert_eq!(report.title, "Cột đèn trước số 12 không sáng ba tối nay.");
    assert_eq!(report.area_code.as_deref(), Some("00070"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM report_events e JOIN reports r ON r.id = e.report_id \
             WHERE r.code = '{code}' AND e.kind = 'created'"
        ))
        .await,
        1
    );
    app.assert_rollup_consistent().await;
    // A contact record, not an account.
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM contacts WHERE email = 'chi.tran@example.vn' AND last_name = 'Trần'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM open311_requests o JOIN api_clients c ON c.id = o.api_client_id \
             JOIN reports r ON r.id = o.report_id \
             WHERE c.name = 'Tổng đài 1022' AND o.device_id = 'kiosk-7' AND r.code = '{code}'"
        ))
        .await,
        1
    );

    // Staff see who filed it and how to call back; the public does not.
    let staff = app
        .get(&format!("/api/v1/reports/{}", report.id))
        .token(&city.admin.access)
        .send()
        .await;
    assert_eq!(staff.status, 200, "{}", staff.body);
    let src = &staff.body["open311"];
    assert_eq!(src["api_client"], "Tổng đài 1022");
    assert_eq!(src["contact"]["email"], "chi.tran@example.vn");
    assert_eq!(
        src["media_url"],
        "https://1022.hanoi.example/photos/5521.jpg"
    );
    let public = app
        .get(&format!("/api/v1/reports/{}", report.id))
        .send()
        .await;
    assert_eq!(public.status, 200, "{}", public.body);
    assert!(public.body.get("open311").is_none());
    assert!(!public.body.to_string().contains("chi.tran"));

    // Read back by id and in a list filtered by service and status; the link
    // is stored as sent, never fetched.
    let one = app
        .get(&format!("/open311/v2/requests/{code}.json"))
        .send()
        .await;
    assert_eq!(codes(&one.body), vec![code.clone()]);
    assert_eq!(
        one.body[0]["media_url"],
        "https://1022.hanoi.example/photos/5521.jpg"
    );
    assert_eq!(one.body[0]["agency_responsible"], "Phường Hoàn Kiếm");
    assert!(
        one.body[0]["expected_datetime"].is_null(),
        "no due date before acceptance"
    );
    let listed = app
        .get("/open311/v2/requests.json?service_code=STREET_LIGHT&status=open")
        .send()
        .await;
    assert_eq!(codes(&listed.body), vec![code.clone()]);
    assert!(!listed.body.to_string().contains("chi.tran"));

    // A coordinator resolves it: closed, with the public message.
    app.mark_resolved(report.id).await;
    let done = app
        .get(&format!("/open311/v2/requests/{code}.xml"))
        .send()
        .await;
    let doc = xml_of(&done);
    assert!(
        doc.contains("<status>closed</status>")
            && doc.contains("<status_notes>Đã xử lý xong.</status_notes>"),
        "{doc}"
    );
}

#[tokio::test]
async fn filing_in_xml_answers_the_spec_document() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let (_, key) = app.api_key(&city.admin, "FixMyStreet").await;
    let res = app
        .post("/open311/v2/requests.xml")
        .form(&filing(&key, &[]))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let doc = xml_of(&res);
    let (names, _) = parse_xml(&doc);
    assert_eq!(
        names,
        [
            "service_requests",
            "request",
            "service_request_id",
            "service_notice",
            "account_id"
        ],
        "{doc}"
    );
}

#[tokio::test]
async fn an_existing_account_is_the_reporter() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let citizen = app.register("0912345678").await;
    let (_, key) = app.api_key(&city.admin, "1022").await;
    let res = app
        .post("/open311/v2/requests.json")
        .form(&filing(&key, &[("phone", "+84 912 345 678")]))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let code = res.body[0]["service_request_id"].as_str().expect("code");
    // The citizen sees it among their own reports, and is notified of it.
    let mine = app
        .get("/api/v1/reports/mine")
        .token(&citizen.access)
        .send()
        .await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert!(mine.body.to_string().contains(code), "{}", mine.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
}

#[tokio::test]
async fn sensitive_filings_are_not_public() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let (_, key) = app.api_key(&city.admin, "1022").await;
    let res = app
        .post("/open311/v2/requests.json")
        .form(&filing(&key, &[("service_code", "PUBLIC_ORDER")]))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let code = res.body[0]["service_request_id"].as_str().expect("code");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM reports WHERE code = '{code}' AND is_public = false"
        ))
        .await,
        1
    );
    let nf = app
        .get(&format!("/open311/v2/requests/{code}.json"))
        .send()
        .await;
    assert_eq!(nf.status, 404);
}

async fn file_code(app: &TestApp, key: &str, extra: Vec<(&str, &str)>) -> String {
    let r = app
        .post("/open311/v2/requests.json")
        .form(&filing(key, &extra))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body[0]["service_request_id"]
        .as_str()
        .expect("code")
        .to_owned()
}

#[tokio::test]
async fn a_resubmission_within_ten_minutes_is_the_same_request() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let (_, key) = app.api_key(&city.admin, "1022").await;
    let post = |extra: Vec<(&'static str, &'static str)>| file_code(&app, &key, extra);
    let first = post(vec![("device_id", "phone-1")]).await;
    // Two copies at once, and one later: all the first request.
    let (a, b) = tokio::join!(
        post(vec![("device_id", "phone-1")]),
        post(vec![("device_id", "phone-1")])
    );
    assert_eq!((a.as_str(), b.as_str()), (first.as_str(), first.as_str()));
    app.clock.advance(chrono::Duration::minutes(9));
    assert_eq!(post(vec![("device_id", "phone-1")]).await, first);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 1);

    // Other content, another device, no device, or past the window: new.
    let other = post(vec![
        ("device_id", "phone-1"),
        ("description", "Một cột đèn khác cũng hỏng."),
    ])
    .await;
    assert_ne!(other, first);
    assert_ne!(post(vec![("device_id", "phone-2")]).await, first);
    assert_ne!(post(vec![]).await, first);
    app.clock.advance(chrono::Duration::minutes(2));
    assert_ne!(post(vec![("device_id", "phone-1")]).await, first);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 5);
    app.assert_rollup_consistent().await;
}

#[tokio::test]
async fn bad_filings_are_the_error_list_and_change_nothing() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let (client, key) = app.api_key(&city.admin, "1022").await;
    let long_text = "x".repeat(4001);
    // (status, form, a word the description names)
    type Case<'a> = (u16, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (403, vec![("service_code", "STREET_LIGHT")], "api_key"),
        (403, filing("cfk_wrong", &[]), "api_key"),
        (
            404,
            filing(&key, &[("service_code", "NO_SUCH")]),
            "service_code",
        ),
        (
            400,
            filing(&key, &[("description", &long_text)]),
            "description",
        ),
        (400, filing(&key, &[("lat", "")]), "lat"),
        (400, filing(&key, &[("lat", ""), ("long", "")]), "lat"),
        (400, filing(&key, &[("email", "not an email")]), "email"),
        (
            400,
            filing(&key, &[("media_url", "javascript:alert(1)")]),
            "media_url",
        ),
    ];
    for (status, form, word) in &cases {
        for fmt in ["json", "xml"] {
            let res = app
                .post(&format!("/open311/v2/requests.{fmt}"))
                .form(form)
                .send()
                .await;
            assert_eq!(res.status, *status, "{form:?}: {}", res.body);
            assert!(!res.header("content-type").unwrap_or("").contains("problem"));
            if fmt == "json" {
                assert_eq!(res.body[0]["code"], *status, "{}", res.body);
                let d = res.body[0]["description"].as_str().unwrap_or("");
                assert!(d.contains(word), "{word} not in {d}");
            } else {
                let doc = xml_of(&res);
                let (names, _) = parse_xml(&doc);
                assert_eq!(names[..2], ["errors", "error"], "{doc}");
            }
        }
    }
    // Vietnamese when asked for.
    let vi = app
        .post("/open311/v2/requests.json")
        .lang("vi")
        .form(&filing(&key, &[("lat", ""), ("long", "")]))
        .send()
        .await;
    assert!(
        vi.body[0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("máy chủ")),
        "{}",
        vi.body
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);

    // A revoked key stops at once.
    let ok = app
        .post("/open311/v2/requests.json")
        .form(&filing(&key, &[]))
        .send()
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let del = app
        .delete(&format!("/api/v1/admin/api-clients/{client}"))
        .token(&city.admin.access)
        .send()
        .await;
    assert!(del.status < 300, "{}", del.body);
    let revoked = app
        .post("/open311/v2/requests.json")
        .form(&filing(&key, &[("description", "Lần nữa")]))
        .send()
        .await;
    assert_eq!(revoked.status, 403, "{}", revoked.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 1);
}

#[tokio::test]
async fn filing_is_rate_limited_per_key() {
    let app = TestApp::spawn_with(|f| {
        f.merge(("open311.per_key_burst", 2))
            .merge(("open311.per_key_per_minute", 1))
    })
    .await;
    let city = app.city().await;
    let (_, key) = app.api_key(&city.admin, "1022").await;
    let (_, other) = app.api_key(&city.admin, "FixMyStreet").await;
    for d in ["a", "b"] {
        let r = app
            .post("/open311/v2/requests.json")
            .form(&filing(&key, &[("device_id", d)]))
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // A resubmission is answered, not counted.
    let again = app
        .post("/open311/v2/requests.json")
        .form(&filing(&key, &[("device_id", "a")]))
        .send()
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    let third = app
        .post("/open311/v2/requests.xml")
        .form(&filing(&key, &[("device_id", "c")]))
        .send()
        .await;
    assert_eq!(third.status, 429, "{}", third.body);
    assert!(third.header("retry-after").is_some());
    assert!(xml_of(&third).contains("<code>429</code>"));
    // Another key is not affected.
    let r = app
        .post("/open311/v2/requests.json")
        .form(&filing(&other, &[("device_id", "c")]))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 3);
}
