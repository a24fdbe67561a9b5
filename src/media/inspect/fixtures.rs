//! Test files built byte by byte (and by the `image` crate): real enough to
//! decode, small enough to read, with location metadata planted in them.

use std::io::Cursor;

use super::Limits;
use super::bmff::XMP_UUID;

pub(super) const LIM: Limits = Limits {
    max_pixels: 50_000_000,
    max_side: 20_000,
};

pub(super) fn contains(h: &[u8], n: &[u8]) -> bool {
    h.windows(n.len()).any(|w| w == n)
}

pub(super) fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Big-endian TIFF with IFD0 → GPS IFD (LatitudeRef "N", ProcessingMethod
/// "GPSSECRET").
pub(super) fn exif_tiff() -> Vec<u8> {
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    t.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    t.extend_from_slice(&[0, 2, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    t.extend_from_slice(&[0, 0x1b, 0, 7, 0, 0, 0, 9, 0, 0, 0, 56, 0, 0, 0, 0]);
    assert_eq!(t.len(), 56);
    t.extend_from_slice(b"GPSSECRET");
    t
}

pub(super) fn exif_payload() -> Vec<u8> {
    let mut v = b"Exif\0\0".to_vec();
    v.extend(exif_tiff());
    v
}

pub(super) const XMP: &[u8] = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description \
    exif:GPSLatitude='21,1.71N' exif:GPSLongitude='105,51.25E'/></rdf:RDF></x:xmpmeta>";

pub(super) fn gradient(w: u32, h: u32) -> image::DynamicImage {
    let mut img = image::RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        *p = image::Rgb([(x * 16) as u8, (y * 16) as u8, 128]);
    }
    image::DynamicImage::ImageRgb8(img)
}

pub(super) fn encode(img: &image::DynamicImage, f: image::ImageFormat) -> Vec<u8> {
    let mut c = Cursor::new(Vec::new());
    img.write_to(&mut c, f).unwrap();
    c.into_inner()
}

pub(super) fn jpeg_seg(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0xFF, marker];
    v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// (clean JPEG with a COM segment, same JPEG with EXIF/XMP/IPTC added)
pub(super) fn jpeg_pair() -> (Vec<u8>, Vec<u8>) {
    let base = encode(&gradient(16, 16), image::ImageFormat::Jpeg);
    let mut clean = base[..2].to_vec();
    clean.extend(jpeg_seg(0xFE, b"keep this comment"));
    clean.extend_from_slice(&base[2..]);

    let mut dirty = base[..2].to_vec();
    dirty.extend(jpeg_seg(0xE1, &exif_payload()));
    dirty.extend(jpeg_seg(0xFE, b"keep this comment"));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(XMP);
    dirty.extend(jpeg_seg(0xE1, &xmp));
    let mut iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x0bGPSSECRET2".to_vec();
    iptc.push(0);
    dirty.extend(jpeg_seg(0xED, &iptc));
    dirty.extend_from_slice(&base[2..]);
    (clean, dirty)
}

pub(super) fn assert_no_location(out: &[u8]) {
    assert!(!contains(out, b"Exif\0\0"), "found EXIF header");
    assert_no_location_payload(out);
}

/// For HEIC: the `infe` item type "Exif" (followed by an empty name and the
/// next box's size bytes) legitimately stays, so look for the TIFF header.
pub(super) fn assert_no_location_payload(out: &[u8]) {
    for needle in [
        &b"Exif\0\0MM\0*"[..],
        b"MM\0*\0\0\0\x08",
        b"GPSSECRET",
        b"GPSLatitude",
        b"ns.adobe.com/xap",
        b"Photoshop 3.0",
        b"\xA9xyz",
        b"+21.0285+105.8542/",
        b"loci",
    ] {
        assert!(
            !contains(out, needle),
            "found {:?}",
            String::from_utf8_lossy(needle)
        );
    }
}

pub(super) fn jpeg_header_only(w: u16, h: u16) -> Vec<u8> {
    let mut f = vec![0xFF, 0xD8];
    let mut sof = vec![8];
    sof.extend_from_slice(&h.to_be_bytes());
    sof.extend_from_slice(&w.to_be_bytes());
    sof.extend_from_slice(&[1, 1, 0x11, 0]);
    f.extend(jpeg_seg(0xC0, &sof));
    f.extend(jpeg_seg(0xDA, &[1, 1, 0, 0, 63, 0]));
    f.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
    f
}

pub(super) fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

pub(super) fn png_chunk(typ: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = (data.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(typ);
    v.extend_from_slice(data);
    let mut crc_in = typ.to_vec();
    crc_in.extend_from_slice(data);
    v.extend_from_slice(&crc32(&crc_in).to_be_bytes());
    v
}

pub(super) fn riff_chunk(typ: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = typ.to_vec();
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(data);
    if data.len() % 2 == 1 {
        v.push(0);
    }
    v
}

pub(super) fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
    v.extend_from_slice(b"WEBP");
    v.extend(body);
    v
}

pub(super) fn vp8l(w: u32, h: u32) -> Vec<u8> {
    let bits = (w - 1) | ((h - 1) << 14) | (1 << 28);
    let mut d = vec![0x2F];
    d.extend_from_slice(&bits.to_le_bytes());
    d.extend_from_slice(b"LOSSLESSDATA!");
    d
}

pub(super) fn vp8x(flags: u8, w: u32, h: u32) -> Vec<u8> {
    let mut d = vec![flags, 0, 0, 0];
    d.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    d.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    d
}

pub(super) fn bx(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(typ);
    v.extend_from_slice(body);
    v
}

pub(super) fn fbx(typ: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = vec![version];
    b.extend_from_slice(&flags.to_be_bytes()[1..]);
    b.extend_from_slice(body);
    bx(typ, &b)
}

pub(super) fn ftyp(major: &[u8; 4], compat: &[&[u8; 4]]) -> Vec<u8> {
    let mut b = major.to_vec();
    b.extend_from_slice(&[0, 0, 0, 0]);
    for c in compat {
        b.extend_from_slice(*c);
    }
    bx(b"ftyp", &b)
}

pub(super) fn tkhd(w: u32, h: u32) -> Vec<u8> {
    let mut b = vec![0u8; 20 + 52];
    b.extend_from_slice(&(w << 16).to_be_bytes());
    b.extend_from_slice(&(h << 16).to_be_bytes());
    fbx(b"tkhd", 0, 3, &b)
}

pub(super) fn xyz() -> Vec<u8> {
    let s = b"+21.0285+105.8542/";
    let mut b = (s.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(&[0x15, 0xC7]);
    b.extend_from_slice(s);
    bx(b"\xA9xyz", &b)
}

pub(super) fn mp4_file(large_mdat: bool) -> (Vec<u8>, Vec<u8>) {
    let udta = bx(
        b"udta",
        &[xyz(), bx(b"loci", b"\0\0\0\0\x15\xc7home GPSSECRET")].concat(),
    );
    let meta = fbx(
        b"meta",
        0,
        0,
        &[
            fbx(b"hdlr", 0, 0, b"\0\0\0\0mdta"),
            bx(b"ilst", b"GPSSECRET"),
        ]
        .concat(),
    );
    let mut xmp_uuid = XMP_UUID.to_vec();
    xmp_uuid.extend_from_slice(XMP);
    let trak = bx(
        b"trak",
        &[
            tkhd(640, 480),
            bx(b"mdia", b"media-info"),
            bx(b"udta", &xyz()),
        ]
        .concat(),
    );
    let audio = bx(b"trak", &[tkhd(0, 0), bx(b"mdia", b"audio")].concat());
    let moov = bx(
        b"moov",
        &[
            fbx(b"mvhd", 0, 0, &[0u8; 96]),
            audio,
            trak,
            udta,
            meta,
            bx(b"uuid", &xmp_uuid),
        ]
        .concat(),
    );
    let payload = b"VIDEODATA-VIDEODATA".to_vec();
    let mdat = if large_mdat {
        let mut v = 1u32.to_be_bytes().to_vec();
        v.extend_from_slice(b"mdat");
        v.extend_from_slice(&((payload.len() + 16) as u64).to_be_bytes());
        v.extend_from_slice(&payload);
        v
    } else {
        bx(b"mdat", &payload)
    };
    let mut f = ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"]);
    f.extend(moov);
    f.extend(mdat);
    // last box with size 0 = "to end of file"
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(b"udta");
    f.extend(xyz());
    (f, payload)
}

pub(super) fn infe(version: u8, id: u32, typ: &[u8; 4], name: &[u8], ct: Option<&[u8]>) -> Vec<u8> {
    let mut b = Vec::new();
    if version == 2 {
        b.extend_from_slice(&(id as u16).to_be_bytes());
    } else {
        b.extend_from_slice(&id.to_be_bytes());
    }
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(typ);
    b.extend_from_slice(name);
    b.push(0);
    if let Some(ct) = ct {
        b.extend_from_slice(ct);
        b.push(0);
    }
    fbx(b"infe", version, 0, &b)
}

pub(super) struct IlocItem {
    pub id: u32,
    pub method: u16,
    pub base: u64,
    pub extents: Vec<(u64, u64)>,
}

pub(super) fn put(v: &mut Vec<u8>, n: usize, x: u64) {
    v.extend_from_slice(&x.to_be_bytes()[8 - n..]);
}

pub(super) fn iloc(
    version: u8,
    osz: usize,
    lsz: usize,
    bsz: usize,
    isz: usize,
    items: &[IlocItem],
) -> Vec<u8> {
    let mut b = vec![((osz << 4) | lsz) as u8, ((bsz << 4) | isz) as u8];
    put(&mut b, if version < 2 { 2 } else { 4 }, items.len() as u64);
    for it in items {
        put(&mut b, if version < 2 { 2 } else { 4 }, u64::from(it.id));
        if version >= 1 {
            put(&mut b, 2, u64::from(it.method));
        }
        put(&mut b, 2, 0); // data_reference_index
        put(&mut b, bsz, it.base);
        put(&mut b, 2, it.extents.len() as u64);
        for &(o, l) in &it.extents {
            if version >= 1 {
                put(&mut b, isz, 0);
            }
            put(&mut b, osz, o - it.base);
            put(&mut b, lsz, l);
        }
    }
    fbx(b"iloc", version, 0, &b)
}

pub(super) fn ispe_box(w: u32, h: u32) -> Vec<u8> {
    fbx(b"ispe", 0, 0, &[w.to_be_bytes(), h.to_be_bytes()].concat())
}

/// Returns (file, HEVC payload range, Exif item range).
pub(super) fn heic_file(
    version: u8,
    osz: usize,
    lsz: usize,
    bsz: usize,
    isz: usize,
    dims: (u32, u32),
) -> (Vec<u8>, std::ops::Range<usize>, std::ops::Range<usize>) {
    let hevc = b"HEVC-TILE-DATA-HEVC".to_vec();
    let mut exif = vec![0, 0, 0, 6];
    exif.extend(exif_payload());
    let ftyp = ftyp(b"heic", &[b"mif1", b"heic"]);
    let build = |mdat_body: u64| -> Vec<u8> {
        let iinf = fbx(
            b"iinf",
            0,
            0,
            &[
                vec![0, 3],
                infe(2, 1, b"hvc1", b"", None),
                infe(if version == 2 { 3 } else { 2 }, 2, b"Exif", b"", None),
                infe(2, 3, b"mime", b"XMP", Some(b"application/rdf+xml")),
            ]
            .concat(),
        );
        let base = if bsz > 0 { mdat_body } else { 0 };
        let mut items = vec![
            IlocItem {
                id: 1,
                method: 0,
                base,
                extents: vec![(mdat_body, hevc.len() as u64)],
            },
            IlocItem {
                id: 2,
                method: 0,
                base,
                extents: vec![
                    (mdat_body + hevc.len() as u64, 10),
                    (mdat_body + hevc.len() as u64 + 10, exif.len() as u64 - 10),
                ],
            },
        ];
        if version >= 1 {
            items.push(IlocItem {
                id: 3,
                method: 1,
                base: 0,
                extents: vec![(0, XMP.len() as u64)],
            });
        } else {
            let xmp_at = mdat_body + (hevc.len() + exif.len()) as u64;
            items.push(IlocItem {
                id: 3,
                method: 0,
                base,
                extents: vec![(xmp_at, XMP.len() as u64)],
            });
        }
        let iprp = bx(
            b"iprp",
            &[
                bx(
                    b"ipco",
                    &[
                        bx(b"hvcC", b"config"),
                        ispe_box(512, 512),
                        ispe_box(dims.0, dims.1),
                    ]
                    .concat(),
                ),
                fbx(b"ipma", 0, 0, &[0, 0, 0, 1, 0, 1, 2, 0x81, 0x03]),
            ]
            .concat(),
        );
        let idat = if version >= 1 {
            bx(b"idat", XMP)
        } else {
            Vec::new()
        };
        fbx(
            b"meta",
            0,
            0,
            &[
                fbx(b"hdlr", 0, 0, b"\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0"),
                fbx(b"pitm", 0, 0, &[0, 1]),
                iinf,
                iloc(version, osz, lsz, bsz, isz, &items),
                iprp,
                idat,
            ]
            .concat(),
        )
    };
    let meta_len = build(0).len();
    let mdat_body = (ftyp.len() + meta_len + 8) as u64;
    let meta = build(mdat_body);
    assert_eq!(meta.len(), meta_len);
    let mut mdat_payload = hevc.clone();
    mdat_payload.extend_from_slice(&exif);
    if version == 0 {
        mdat_payload.extend_from_slice(XMP);
    }
    let f = [ftyp, meta, bx(b"mdat", &mdat_payload)].concat();
    let h0 = mdat_body as usize;
    (
        f,
        h0..h0 + hevc.len(),
        h0 + hevc.len()..h0 + hevc.len() + exif.len(),
    )
}

pub(super) struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A phone-like EXIF block: IFD0 with Make, Model, (Orientation) and a GPS
/// IFD pointer; the GPS IFD with a latitude and the "GPSSECRET" marker.
pub(super) fn phone_exif_tiff(big_endian: bool, orientation: Option<u16>) -> Vec<u8> {
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    // (tag, type, count, value bytes); values over 4 bytes go to the data area.
    let mut ifd0: Vec<(u16, u16, u32, Vec<u8>)> = vec![
        (0x010F, 2, 6, b"Apple\0".to_vec()),
        (0x0110, 2, 14, b"iPhone 15 Pro\0".to_vec()),
    ];
    if let Some(o) = orientation {
        ifd0.push((0x0112, 3, 1, u16b(o).to_vec()));
    }
    ifd0.push((0x8825, 4, 1, Vec::new())); // GPS IFD offset, filled below
    let mut lat = Vec::new();
    for (n, d) in [(21u32, 1u32), (1, 1), (4277, 100)] {
        lat.extend_from_slice(&u32b(n));
        lat.extend_from_slice(&u32b(d));
    }
    let gps: Vec<(u16, u16, u32, Vec<u8>)> = vec![
        (0x0001, 2, 2, b"N\0".to_vec()),
        (0x0002, 5, 3, lat),
        (0x001B, 7, 9, b"GPSSECRET".to_vec()),
    ];
    let ifd_len = |n: usize| 2 + 12 * n + 4;
    let gps_at = 8 + ifd_len(ifd0.len());
    let mut data_at = gps_at + ifd_len(gps.len());
    let mut data = Vec::new();
    let mut out = if big_endian {
        b"MM\0\x2a".to_vec()
    } else {
        b"II\x2a\0".to_vec()
    };
    out.extend_from_slice(&u32b(8));
    for ifd in [&ifd0, &gps] {
        out.extend_from_slice(&u16b(ifd.len() as u16));
        for (tag, typ, count, value) in ifd.iter() {
            out.extend_from_slice(&u16b(*tag));
            out.extend_from_slice(&u16b(*typ));
            out.extend_from_slice(&u32b(*count));
            if *tag == 0x8825 {
                out.extend_from_slice(&u32b(gps_at as u32));
            } else if value.len() <= 4 {
                let mut v = value.clone();
                v.resize(4, 0);
                out.extend_from_slice(&v);
            } else {
                out.extend_from_slice(&u32b(data_at as u32));
                data_at += value.len();
                data.extend_from_slice(value);
            }
        }
        out.extend_from_slice(&u32b(0));
    }
    out.extend(data);
    out
}

/// "Exif\0\0" + a phone-like EXIF block, as in a JPEG APP1 segment.
pub(super) fn phone_exif_payload(orientation: Option<u16>) -> Vec<u8> {
    let mut v = b"Exif\0\0".to_vec();
    v.extend(phone_exif_tiff(true, orientation));
    v
}

/// The EXIF payload (TIFF) of the first APP1 "Exif" segment before the scan.
pub(super) fn jpeg_exif(d: &[u8]) -> Option<Vec<u8>> {
    let mut pos = 2;
    while let (Some(&0xFF), Some(&m)) = (d.get(pos), d.get(pos + 1)) {
        if m == 0xDA || m == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([d[pos + 2], d[pos + 3]]));
        let payload = &d[pos + 4..pos + 2 + len];
        if m == 0xE1 && payload.starts_with(b"Exif\0\0") {
            return Some(payload[6..].to_vec());
        }
        pos += 2 + len;
    }
    None
}

/// A PNG with a phone-like `eXIf` chunk right after IHDR.
pub(super) fn png_with_exif(orientation: Option<u16>) -> Vec<u8> {
    let mut png = encode(&gradient(4, 4), image::ImageFormat::Png);
    png.splice(
        33..33,
        png_chunk(b"eXIf", &phone_exif_tiff(false, orientation)),
    );
    png
}

/// An extended WebP with EXIF (phone-like, "Exif\0\0" prefixed as some
/// tools write it) and XMP chunks, their flags set.
pub(super) fn webp_with_exif(orientation: Option<u16>) -> Vec<u8> {
    riff(&[
        riff_chunk(b"VP8X", &vp8x(0x10 | 0x08 | 0x04, 3, 5)),
        riff_chunk(b"VP8L", &vp8l(3, 5)),
        riff_chunk(b"EXIF", &phone_exif_payload(orientation)),
        riff_chunk(b"XMP ", XMP),
    ])
}

/// One valid, metadata-laden file of each kind (and each HEIC `iloc` form).
pub(super) fn samples() -> Vec<Vec<u8>> {
    let (_, jpg) = jpeg_pair();
    let mut phone = jpg[..2].to_vec();
    phone.extend(jpeg_seg(0xE1, &phone_exif_payload(Some(6))));
    phone.extend_from_slice(&jpg[2..]);
    vec![
        jpg,
        phone,
        png_with_exif(Some(8)),
        webp_with_exif(Some(6)),
        mp4_file(true).0,
        heic_file(0, 4, 4, 0, 0, (64, 64)).0,
        heic_file(1, 8, 4, 4, 4, (64, 64)).0,
        heic_file(2, 4, 8, 8, 8, (64, 64)).0,
    ]
}
