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

/// A portrait phone photo as phones write it: pixels stored landscape
/// (16×12), EXIF Orientation 6 ("turn 90° clockwise to display"), the maker
/// and model, a GPS IFD, and an XMP packet repeating the location.
fn portrait_phone_jpeg() -> Vec<u8> {
    fn entry(t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]) {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&typ.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value);
    }
    let at = |n: u32| n.to_be_bytes();
    // Header (8) | IFD0, 4 entries (54) | GPS IFD, 4 entries (54) | data.
    let (gps_ifd, data) = (8 + 54, 8 + 54 + 54);
    let (make, model, lat, lng) = (data, data + 6, data + 20, data + 44);
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    t.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut t, 0x010F, 2, 6, at(make)); // Make
    entry(&mut t, 0x0110, 2, 14, at(model)); // Model
    entry(&mut t, 0x0112, 3, 1, [0, 6, 0, 0]); // Orientation
    entry(&mut t, 0x8825, 4, 1, at(gps_ifd)); // GPS IFD
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0"); // GPSLatitudeRef
    entry(&mut t, 0x0002, 5, 3, at(lat)); // GPSLatitude
    entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0"); // GPSLongitudeRef
    entry(&mut t, 0x0004, 5, 3, at(lng)); // GPSLongitude
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), data as usize);
    t.extend_from_slice(b"Apple\0iPhone 15 Pro\0");
    for (num, den) in [(21, 1), (1, 1), (4277, 100), (105, 1), (51, 1), (1500, 100)] {
        t.extend_from_slice(&at(num));
        t.extend_from_slice(&at(den));
    }
    let segment = |marker: u8, payload: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    };
    let img = image::RgbImage::from_fn(16, 12, |x, y| {
        image::Rgb([(x * 15) as u8, (y * 20) as u8, 128])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&img)
        .expect("encode");
    let mut out = vec![0xFF, 0xD8];
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(t);
    out.extend(segment(0xE1, &exif));
    out.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'>\
          <rdf:RDF><rdf:Description exif:GPSLatitude='21,1.4277N' \
          exif:GPSLongitude='105,51.15E'/></rdf:RDF></x:xmpmeta>",
    ));
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The (tag, value-or-offset) entries of IFD0 of a big- or little-endian
/// TIFF block.
fn ifd0_entries(tiff: &[u8]) -> Vec<(u16, u32)> {
    let be = &tiff[..2] == b"MM";
    let u16_at = |o: usize| {
        let b = [tiff[o], tiff[o + 1]];
        if be {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    };
    let u32_at = |o: usize| {
        let b = [tiff[o], tiff[o + 1], tiff[o + 2], tiff[o + 3]];
        if be {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    let ifd = u32_at(4) as usize;
    (0..usize::from(u16_at(ifd)))
        .map(|i| {
            let e = ifd + 2 + 12 * i;
            let value = if u16_at(e + 2) == 3 {
                u32::from(u16_at(e + 8))
            } else {
                u32_at(e + 8)
            };
            (u16_at(e), value)
        })
        .collect()
}

#[tokio::test]
async fn a_portrait_photo_keeps_its_orientation_and_loses_its_location() {
    use image::ImageDecoder;
    let app = TestApp::spawn().await;
    let s = app.register("0912345678").await;
    let original = portrait_phone_jpeg();
    let mut dec =
        image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&original)).expect("decoder");
    let exif = dec.exif_metadata().expect("exif").expect("has exif");
    assert!(
        ifd0_entries(&exif).contains(&(0x8825, 62)),
        "a GPS IFD to strip"
    );
    assert!(contains(&original, b"iPhone 15 Pro"));

    let res = app
        .upload(&s.access, "IMG_0002.JPG", "image/jpeg", original)
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    // The stored pixels are landscape; the orientation says how to show them.
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
    let bytes = stored.bytes().await.expect("bytes").to_vec();
    assert_eq!(res.body["byte_size"].as_u64(), Some(bytes.len() as u64));

    // Parsed back by an independent reader: Orientation 6 and nothing else.
    let mut dec =
        image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes)).expect("decoder");
    let exif = dec
        .exif_metadata()
        .expect("exif")
        .expect("orientation kept");
    assert_eq!(ifd0_entries(&exif), [(0x0112, 6)], "only the orientation");
    assert_eq!(
        dec.orientation().expect("orientation"),
        image::metadata::Orientation::Rotate90
    );
    assert_eq!(dec.xmp_metadata().expect("xmp"), None);
    for needle in [
        &b"iPhone"[..],
        b"Apple",
        b"GPSLatitude",
        b"ns.adobe.com/xap",
        &[0, 0, 0x10, 0xB5, 0, 0, 0, 100],
    ] {
        assert!(
            !contains(&bytes, needle),
            "{:?} left",
            String::from_utf8_lossy(needle)
        );
    }
    let img = image::load_from_memory(&bytes).expect("still a valid JPEG");
    assert_eq!((img.width(), img.height()), (16, 12));
    // The file in the store is that same file.
    let files = walk(app.media_dir.path());
    assert_eq!(files.len(), 1);
    assert_eq!(std::fs::read(&files[0]).expect("read"), bytes);
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
