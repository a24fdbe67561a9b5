//! Media: type from the bytes, size and pixel caps, location metadata
//! stripped, visibility following the report.

mod common;

use common::{TestApp, id_of, jpeg_with_gps, png, png_bomb};
use figment::providers::Serialized;
use serde_json::json;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn gps_is_stripped_from_what_is_stored() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let original = jpeg_with_gps();
    assert!(contains(&original, b"Exif\0\0"));
    let res = app
        .upload(&s.access, "IMG_0001.JPG", "image/jpeg", original.clone())
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["content_type"], "image/jpeg");
    assert_eq!(
        (res.body["width"].as_i64(), res.body["height"].as_i64()),
        (Some(16), Some(12))
    );
    let url = res.body["url"].as_str().expect("url").to_owned();

    let stored = app
        .client
        .get(app.url(&url))
        .bearer_auth(&s.access)
        .send()
        .await
        .expect("get");
    assert_eq!(stored.status(), 200);
    assert_eq!(stored.headers()["content-type"], "image/jpeg");
    assert_eq!(stored.headers()["x-content-type-options"], "nosniff");
    let bytes = stored.bytes().await.expect("bytes").to_vec();
    assert!(!contains(&bytes, b"Exif"), "EXIF left in the stored file");
    assert!(
        !contains(&bytes, b"21.028511"),
        "GPS left in the stored file"
    );
    assert_eq!(res.body["byte_size"].as_u64(), Some(bytes.len() as u64));
    let img = image::load_from_memory(&bytes).expect("still a valid JPEG");
    assert_eq!((img.width(), img.height()), (16, 12));

    // The file on disk is the stripped one too, under a server-made name.
    let mut files = Vec::new();
    for entry in walk(app.media_dir.path()) {
        files.push(entry);
    }
    assert_eq!(files.len(), 1);
    let name = files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_owned();
    assert!(
        name.ends_with(".jpg") && !name.contains("IMG_0001"),
        "{name}"
    );
    assert!(!contains(&std::fs::read(&files[0]).expect("read"), b"Exif"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn the_type_is_judged_from_the_bytes() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let html = b"<!doctype html><html><script>alert(1)</script></html>".to_vec();
    let res = app.upload(&s.access, "photo.jpg", "image/jpeg", html).await;
    res.assert_problem(415, "unsupported-media-type");
    let res = app
        .upload(
            &s.access,
            "x.gif",
            "image/gif",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
        )
        .await;
    res.assert_problem(415, "unsupported-media-type");
    // A real PNG sent as "application/octet-stream" named .txt is still a PNG.
    let res = app
        .upload(
            &s.access,
            "notes.txt",
            "application/octet-stream",
            png(4, 3),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["content_type"], "image/png");
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 1);
    assert_eq!(walk(app.media_dir.path()).len(), 1);
}

#[tokio::test]
async fn oversize_files_and_pixel_bombs_are_refused() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("media.max_image_bytes", 2000))
            .merge(Serialized::default("media.max_video_bytes", 2000))
    })
    .await;
    let s = app.register("0912345678").await;
    let big = png(300, 300);
    assert!(big.len() > 2000);
    app.upload(&s.access, "big.png", "image/png", big)
        .await
        .assert_problem(413, "payload-too-large");
    let res = app
        .upload(&s.access, "bomb.png", "image/png", png_bomb())
        .await;
    res.assert_problem(422, "validation-error");
    assert_eq!(res.error_fields(), ["file"]);
    // No file field at all.
    let form = reqwest::multipart::Form::new().text("note", "hello");
    let res = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(&s.access)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 0);
    assert!(walk(app.media_dir.path()).is_empty());
    // Uploading needs an account.
    let part = reqwest::multipart::Part::bytes(png(2, 2)).file_name("a.png");
    let res = app
        .client
        .post(app.url("/api/v1/media"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn who_can_fetch_a_file_follows_the_report() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let owner = app.register("0912345678").await;
    let other = app.register("0987654321").await;
    let private_media = id_of(
        &app.upload(&owner.access, "a.png", "image/png", png(2, 2))
            .await
            .body,
    );
    let public_media = id_of(
        &app.upload(&owner.access, "b.png", "image/png", png(2, 2))
            .await
            .body,
    );
    let status = |token: Option<&str>, id: uuid::Uuid| {
        let app = &app;
        let token = token.map(str::to_owned);
        async move {
            let mut req = app.client.get(app.url(&format!("/api/v1/media/{id}")));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.expect("send").status().as_u16()
        }
    };
    // Not attached yet: only its uploader.
    assert_eq!(status(Some(&owner.access), private_media).await, 200);
    assert_eq!(status(Some(&other.access), private_media).await, 404);
    assert_eq!(status(None, private_media).await, 404);

    let mut body = TestApp::report_body(city.lights);
    body["is_public"] = json!(false);
    body["media_ids"] = json!([private_media]);
    app.file(&owner.access, &body).await;
    let mut body = TestApp::report_body(city.lights);
    body["media_ids"] = json!([public_media]);
    app.file(&owner.access, &body).await;

    assert_eq!(status(Some(&owner.access), private_media).await, 200);
    assert_eq!(status(Some(&other.access), private_media).await, 404);
    assert_eq!(status(None, private_media).await, 404);
    assert_eq!(status(Some(&city.admin.access), private_media).await, 200);
    assert_eq!(status(None, public_media).await, 200);
    assert_eq!(status(Some(&other.access), public_media).await, 200);
    assert_eq!(status(None, uuid::Uuid::now_v7()).await, 404);
}
