//! Media uploads and downloads are streamed: early 413s, upload timeouts,
//! the per-user upload limit, byte ranges and conditional requests.

mod common;

use std::time::Duration;

use common::{Resp, TestApp, png};
use figment::providers::Serialized;
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A PNG of noise (so it does not compress to nothing): about 12 KB.
fn noisy_png() -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(64, 64, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let b = seed.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// The smallest MP4 the inspector accepts: `ftyp`, an empty `moov`, `mdat`.
fn tiny_mp4(payload: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 16];
    v.extend_from_slice(b"ftypisom\0\0\x02\0");
    v.extend_from_slice(&[0, 0, 0, 8]);
    v.extend_from_slice(b"moov");
    v.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
    v.extend_from_slice(b"mdat");
    v.extend((0..payload).map(|i| (i * 7 % 256) as u8));
    v
}

const BOUNDARY: &str = "XyZzYboundary";

fn part_head(name: &str, mime: &str) -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: {mime}\r\n\r\n"
    )
    .into_bytes()
}

/// A response read off a raw connection.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn slug(&self) -> Option<&str> {
        self.body["type"]
            .as_str()
            .and_then(|t| t.rsplit('/').next())
    }
}

/// Sends `head` (request line and headers) and `body` over a plain TCP
/// connection to the app, never finishing the body unless `body` does, then
/// reads the answer (the server must answer without the rest). Bounded by a
/// timeout so a server that waits for the body fails the test, not hangs it.
async fn raw_post(app: &TestApp, headers: &str, body: &[u8], pause: Option<Duration>) -> Raw {
    let run = async {
        let mut conn = tokio::net::TcpStream::connect(app.addr)
            .await
            .expect("connect");
        let head = format!(
            "POST /api/v1/media HTTP/1.1\r\nHost: {}\r\n{headers}\r\n",
            app.addr
        );
        conn.write_all(head.as_bytes()).await.expect("head");
        match pause {
            None => conn.write_all(body).await.expect("body"),
            Some(gap) => {
                for piece in body.chunks(body.len().div_ceil(5).max(1)) {
                    conn.write_all(piece).await.expect("piece");
                    tokio::time::sleep(gap).await;
                }
            }
        }
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
            if let Some(end) = find(&got, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if len.is_some_and(|n| got.len() >= end + 4 + n) {
                    break;
                }
            }
        }
        got
    };
    let got = tokio::time::timeout(Duration::from_secs(15), run)
        .await
        .expect("the server answered without waiting for the rest of the body");
    let end = find(&got, b"\r\n\r\n").expect("a whole response head");
    let head = String::from_utf8_lossy(&got[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Raw {
        status,
        headers,
        body: serde_json::from_slice(&got[end + 4..]).unwrap_or(Value::Null),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

async fn nothing_stored(app: &TestApp) {
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 0);
    assert!(
        std::fs::read_dir(app.media_dir.path())
            .expect("media dir")
            .next()
            .is_none(),
        "no file stored"
    );
}

#[tokio::test]
async fn a_declared_oversize_upload_is_413_before_the_body() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    // 10 GB declared; only the first bytes are ever sent.
    let headers = format!(
        "Authorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: 10737418240\r\nAccept-Language: en\r\n",
        s.access
    );
    let mut body = part_head("big.mp4", "video/mp4");
    body.extend_from_slice(&tiny_mp4(100)[..32]);
    let res = raw_post(&app, &headers, &body, None).await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(res.slug(), Some("payload-too-large"));
    assert_eq!(
        res.body["detail"], "An upload may be at most 50 MB.",
        "{}",
        res.body
    );
    // Declared with Expect: 100-continue, the client is told before sending.
    let headers = format!("{headers}Expect: 100-continue\r\n");
    let res = raw_post(&app, &headers, b"", None).await;
    assert_eq!(res.status, 413);
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_chunked_upload_is_cut_off_once_past_the_cap() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("media.max_image_bytes", 2000))
            .merge(Serialized::default("media.max_video_bytes", 6000))
    })
    .await;
    let s = app.register("0912345678").await;
    let headers = format!(
        "Authorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Transfer-Encoding: chunked\r\n",
        s.access
    );
    // A video past the video cap: the body never ends, the answer comes anyway.
    let mut body = chunk(&part_head("v.mp4", "video/mp4"));
    for piece in tiny_mp4(9000).chunks(1000) {
        body.extend(chunk(piece));
    }
    let res = raw_post(&app, &headers, &body, None).await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert_eq!(res.slug(), Some("payload-too-large"));
    // The whole body past the cap plus the framing room, in a field before
    // the file: cut off too.
    let mut body = chunk(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n").as_bytes(),
    );
    for _ in 0..80 {
        body.extend(chunk(&[b'a'; 1000]));
    }
    let res = raw_post(&app, &headers, &body, None).await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert_eq!(res.slug(), Some("payload-too-large"));
    nothing_stored(&app).await;
}

#[tokio::test]
async fn an_image_is_held_to_the_image_cap() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("media.max_image_bytes", 6000))
            .merge(Serialized::default("media.max_video_bytes", 1_000_000))
    })
    .await;
    let s = app.register("0912345678").await;
    let big = noisy_png();
    assert!(big.len() > 6000 && big.len() < 1_000_000);
    let res = app.upload(&s.access, "big.png", "image/png", big).await;
    res.assert_problem(413, "payload-too-large");
    // Sent without end, it is refused as soon as it passes the image cap.
    let headers = format!(
        "Authorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Transfer-Encoding: chunked\r\nAccept-Language: en\r\n",
        s.access
    );
    let mut body = chunk(&part_head("big.png", "image/png"));
    for piece in noisy_png().chunks(1000) {
        body.extend(chunk(piece));
    }
    let res = raw_post(&app, &headers, &body, None).await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert_eq!(res.body["detail"], "An image may be at most 5 KB.");
    // A video of the same size is fine.
    let res = app
        .upload(&s.access, "v.mp4", "video/mp4", tiny_mp4(12_000))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["content_type"], "video/mp4");
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 1);
}

#[tokio::test]
async fn a_stalled_upload_is_408() {
    let app =
        TestApp::spawn_with(|f| f.merge(Serialized::default("media.upload_idle_timeout_secs", 1)))
            .await;
    let s = app.register("0912345678").await;
    let headers = format!(
        "Authorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: 100000\r\nAccept-Language: vi\r\n",
        s.access
    );
    let mut body = part_head("a.png", "image/png");
    body.extend_from_slice(&png(4, 4)[..20]);
    let res = raw_post(&app, &headers, &body, None).await;
    assert_eq!(res.status, 408, "{}", res.body);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(res.slug(), Some("request-timeout"));
    assert_eq!(
        res.body["detail"],
        "Không nhận được dữ liệu tải lên trong 1 giây; hãy thử lại."
    );
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_slow_upload_that_keeps_sending_outlives_the_request_timeout() {
    // The flat request timeout is 1 s; the upload takes longer but never
    // pauses for its idle timeout.
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("http.request_timeout_secs", 1))
            .merge(Serialized::default("media.upload_idle_timeout_secs", 20))
    })
    .await;
    let s = app.register("0912345678").await;
    let mut body = part_head("a.png", "image/png");
    body.extend(noisy_png());
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let headers = format!(
        "Authorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\n",
        s.access,
        body.len()
    );
    let res = raw_post(&app, &headers, &body, Some(Duration::from_millis(400))).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 1);
    // Other routes keep the flat timeout (nothing to assert quickly there
    // without timing; see tests/http.rs).
}

#[tokio::test]
async fn uploads_are_limited_per_user() {
    let app = TestApp::spawn_with(|f| {
        f.merge(Serialized::default("media.uploads_per_user_burst", 3))
            .merge(Serialized::default("media.uploads_per_user_per_minute", 1))
    })
    .await;
    let a = app.register("0912345678").await;
    let b = app.register("0987654321").await;
    for _ in 0..3 {
        let res = app.upload(&a.access, "a.png", "image/png", png(2, 2)).await;
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let res = app.upload(&a.access, "a.png", "image/png", png(2, 2)).await;
    res.assert_problem(429, "too-many-requests");
    let wait: u64 = res
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 3);
    // Another user has a bucket of their own.
    let res = app.upload(&b.access, "b.png", "image/png", png(2, 2)).await;
    assert_eq!(res.status, 201, "{}", res.body);
}

async fn get(
    app: &TestApp,
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> (u16, HeaderMap, Vec<u8>) {
    let mut req = app.client.get(app.url(url)).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("get");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.expect("body").to_vec())
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Uploads `bytes` and returns (url, the stored file as served whole).
async fn stored(
    app: &TestApp,
    token: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> (String, Vec<u8>, HeaderMap) {
    let res: Resp = app.upload(token, name, mime, bytes).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let url = res.body["url"].as_str().expect("url").to_owned();
    let (status, headers, body) = get(app, &url, token, &[]).await;
    assert_eq!(status, 200);
    (url, body, headers)
}

#[tokio::test]
async fn an_upload_round_trips_byte_exact() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let original = noisy_png();
    let (url, body, headers) =
        stored(&app, &s.access, "a.png", "image/png", original.clone()).await;
    // A PNG without metadata is stored as sent.
    assert_eq!(body, original);
    assert_eq!(h(&headers, "content-type"), Some("image/png"));
    assert_eq!(
        h(&headers, "content-length"),
        Some(original.len().to_string().as_str())
    );
    assert_eq!(h(&headers, "accept-ranges"), Some("bytes"));
    assert_eq!(h(&headers, "cache-control"), Some("private, max-age=3600"));
    assert_eq!(h(&headers, "x-content-type-options"), Some("nosniff"));
    assert!(h(&headers, "last-modified").is_some_and(|v| v.ends_with(" GMT")));
    // The ETag is the stored content hash, as the database has it.
    let sha = hex::encode(Sha256::digest(&original));
    assert_eq!(h(&headers, "etag"), Some(format!("\"{sha}\"").as_str()));
    let id = url.rsplit('/').next().expect("id");
    let row = citizen_feedback::entities::media::Entity::find_by_id(
        id.parse::<uuid::Uuid>().expect("uuid"),
    );
    use sea_orm::EntityTrait;
    let row = row.one(&app.db).await.expect("query").expect("row");
    assert_eq!(row.sha256, sha);
    assert_eq!(row.byte_size, original.len() as i64);
    // A video, sent with gzip accepted, comes back as it is (never
    // compressed: ranges count stored bytes).
    let video = tiny_mp4(20_000);
    let (url, body, _) = stored(&app, &s.access, "v.mp4", "video/mp4", video.clone()).await;
    assert_eq!(body, video);
    let (status, headers, body) = get(
        &app,
        &url,
        &s.access,
        &[("accept-encoding", "gzip"), ("range", "bytes=0-1")],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(h(&headers, "content-encoding"), None);
    assert_eq!(h(&headers, "content-type"), Some("video/mp4"));
    assert_eq!(h(&headers, "content-length"), Some("2"));
    assert_eq!(
        h(&headers, "content-range"),
        Some(format!("bytes 0-1/{}", video.len()).as_str())
    );
    assert_eq!(body, video[..2]);
    let (status, headers, body) = get(&app, &url, &s.access, &[("accept-encoding", "gzip")]).await;
    assert_eq!(status, 200);
    assert_eq!(h(&headers, "content-encoding"), None);
    assert_eq!(body, video);
}

#[tokio::test]
async fn byte_ranges() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let (url, file, _) = stored(&app, &s.access, "a.png", "image/png", noisy_png()).await;
    let len = file.len();
    let range = |r: &'static str| {
        let (app, url, token) = (&app, url.clone(), s.access.clone());
        async move { get(app, &url, &token, &[("range", r)]).await }
    };

    // Single, open and suffix ranges.
    for (r, from, to) in [
        ("bytes=0-1", 0, 1),
        ("bytes=100-199", 100, 199),
        ("bytes=100-", 100, len - 1),
        ("bytes=-500", len - 500, len - 1),
        ("bytes=0-99999999", 0, len - 1),
    ] {
        let (status, headers, body) = range(r).await;
        assert_eq!(status, 206, "{r}");
        assert_eq!(
            h(&headers, "content-range"),
            Some(format!("bytes {from}-{to}/{len}").as_str()),
            "{r}"
        );
        assert_eq!(
            h(&headers, "content-length"),
            Some((to - from + 1).to_string().as_str())
        );
        assert_eq!(h(&headers, "content-type"), Some("image/png"));
        assert_eq!(body, file[from..=to], "{r}");
    }

    // Several ranges: multipart/byteranges, overlapping ones merged.
    let (status, headers, body) = range("bytes=0-3, 10-13, 12-19").await;
    assert_eq!(status, 206);
    let ct = h(&headers, "content-type").expect("type");
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .expect("multipart/byteranges");
    assert_eq!(
        h(&headers, "content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(h(&headers, "content-range"), None);
    let mut expected = Vec::new();
    for (from, to) in [(0usize, 3usize), (10, 19)] {
        expected.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: image/png\r\nContent-Range: bytes {from}-{to}/{len}\r\n\r\n"
            )
            .as_bytes(),
        );
        expected.extend_from_slice(&file[from..=to]);
    }
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(body, expected);

    // Nothing satisfiable: 416 with the length.
    for r in [
        format!("bytes={len}-"),
        format!("bytes={}-{}", len + 10, len + 20),
    ] {
        let res = app
            .get(&url)
            .token(&s.access)
            .header("range", &r)
            .lang("en")
            .send()
            .await;
        res.assert_problem(416, "range-not-satisfiable");
        assert_eq!(
            res.header("content-range"),
            Some(format!("bytes */{len}").as_str())
        );
    }

    // Invalid syntax: the Range is ignored, the whole file is sent.
    for r in ["bytes=5-1", "bytes=abc", "pages=1-2", "bytes=1-2,x"] {
        let (status, headers, body) = range(r).await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(h(&headers, "content-range"), None);
        assert_eq!(body, file, "{r}");
    }
}

#[tokio::test]
async fn conditional_requests() {
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let (url, file, headers) = stored(&app, &s.access, "a.png", "image/png", noisy_png()).await;
    let etag = h(&headers, "etag").expect("etag").to_owned();
    let modified = h(&headers, "last-modified")
        .expect("last-modified")
        .to_owned();

    // If-None-Match with the ETag (or among others, or weak): 304, no body.
    for inm in [
        etag.clone(),
        format!("\"nope\", {etag}"),
        format!("W/{etag}"),
        "*".into(),
    ] {
        let (status, headers, body) = get(&app, &url, &s.access, &[("if-none-match", &inm)]).await;
        assert_eq!(status, 304, "{inm}");
        assert_eq!(h(&headers, "etag"), Some(etag.as_str()));
        assert!(body.is_empty());
    }
    let (status, _, body) = get(&app, &url, &s.access, &[("if-none-match", "\"nope\"")]).await;
    assert_eq!((status, body.len()), (200, file.len()));
    // If-Modified-Since the Last-Modified: 304; before it: 200.
    let (status, _, _) = get(&app, &url, &s.access, &[("if-modified-since", &modified)]).await;
    assert_eq!(status, 304);
    let (status, _, _) = get(
        &app,
        &url,
        &s.access,
        &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    )
    .await;
    assert_eq!(status, 200);

    // If-Range: the range only while the file is the one the client has.
    let (status, headers, body) = get(
        &app,
        &url,
        &s.access,
        &[("range", "bytes=0-9"), ("if-range", &etag)],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(
        h(&headers, "content-range"),
        Some(format!("bytes 0-9/{}", file.len()).as_str())
    );
    assert_eq!(body, file[..10]);
    let (status, _, body) = get(
        &app,
        &url,
        &s.access,
        &[("range", "bytes=0-9"), ("if-range", &modified)],
    )
    .await;
    assert_eq!((status, body.len()), (206, 10));
    for stale in ["\"other\"", "Mon, 01 Jan 2001 00:00:00 GMT"] {
        let (status, headers, body) = get(
            &app,
            &url,
            &s.access,
            &[("range", "bytes=0-9"), ("if-range", stale)],
        )
        .await;
        assert_eq!(status, 200, "{stale}");
        assert_eq!(h(&headers, "content-range"), None);
        assert_eq!(body, file);
    }

    // Who may read a file is unchanged: a stranger gets 404, ranges or not.
    let other = app.register("0987654321").await;
    let (status, _, _) = get(&app, &url, &other.access, &[("range", "bytes=0-1")]).await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&app, &url, &other.access, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 404);
}
