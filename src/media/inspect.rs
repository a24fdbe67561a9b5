//! Upload inspection: type sniffing, pixel-bomb refusal and location-metadata
//! stripping for citizen photo/video uploads.
//!
//! Approach (no runtime dependencies, no pixel decoding, no panics):
//!
//! * **Type** is judged only from the bytes (magic numbers). JPEG (`FF D8 FF`),
//!   PNG (8-byte signature), WebP (`RIFF....WEBP`), and ISO BMFF files with an
//!   `ftyp` box at offset 4. For ISO BMFF the major brand decides first
//!   (`heic heix hevc hevx heim heis hevm hevs` → HEIC; `mif1 mif2 msf1` → HEIC
//!   unless the file is really AVIF; `isom iso2..9 mp41 mp42 avc1 M4V dash 3gp*
//!   qt` … → MP4; `avif`, audio-only `M4A`/`M4B`/`M4P` → unsupported), then the
//!   compatible brands. Everything else (HTML, text, PDF, GIF, AVIF, …) is
//!   [`InspectError::Unsupported`].
//! * **Dimensions** come from headers only: JPEG SOFn, PNG IHDR, WebP
//!   VP8X/VP8/VP8L header, HEIC `ispe` properties (the primary item's, via
//!   `pitm` + `ipma`; *every* `ispe` is checked against the limits). MP4 width
//!   and height are read from the first video `tkhd` for information only and
//!   are not checked against the (image) limits.
//! * **Location metadata** is removed from the returned bytes:
//!   - JPEG: a marker walker drops every APP1 (EXIF, XMP) and APP13
//!     (IPTC/Photoshop) segment and the APP2 `MPF` index; it walks through
//!     entropy-coded scan data (so APPn between progressive scans are caught
//!     too) and cuts everything after EOI (appended MPF/trailer images carry
//!     their own EXIF). All other bytes are kept byte-identical.
//!   - PNG: `eXIf`, `tEXt`, `zTXt`, `iTXt` chunks are dropped, data after IEND is
//!     cut; other chunks are kept byte-identical.
//!   - WebP: `EXIF` and `XMP ` chunks are dropped, the VP8X EXIF/XMP flag bits
//!     are cleared, the RIFF size is rewritten, data after the RIFF is cut.
//!   - MP4 (and a `moov` inside HEIF sequences): every `udta` / `meta` / XMP
//!     `uuid` box at top level, inside `moov` and inside each `trak` is renamed
//!     to `free` and its payload zeroed (same size, so chunk offsets stay valid).
//!   - HEIC: the payload of every item of type `Exif`, and of `mime` items whose
//!     content type is `application/rdf+xml` (XMP), is overwritten with zeros,
//!     located via `meta` → `iinf` (`infe` v0–3) and `iloc` (v0–2, construction
//!     methods 0 = file and 1 = `idat`). If such an item cannot be located
//!     (missing `iloc` entry, construction method 2, out-of-range extent) the
//!     file is refused as [`InspectError::Corrupt`] rather than stored with it.
//! * Every read is bounds-checked (`get`, checked arithmetic); loops consume
//!   input on each step, so hostile inputs cannot hang or panic this code.

use std::fmt;

/// The five accepted media kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Jpeg,
    Png,
    Webp,
    Heic,
    Mp4,
}

impl MediaKind {
    pub fn content_type(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
            MediaKind::Webp => "image/webp",
            MediaKind::Heic => "image/heic",
            MediaKind::Mp4 => "video/mp4",
        }
    }

    pub fn is_image(self) -> bool {
        !matches!(self, MediaKind::Mp4)
    }

    pub fn extension(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpg",
            MediaKind::Png => "png",
            MediaKind::Webp => "webp",
            MediaKind::Heic => "heic",
            MediaKind::Mp4 => "mp4",
        }
    }
}

/// Result of a successful inspection.
#[derive(Debug, Clone)]
pub struct Inspected {
    pub kind: MediaKind,
    /// Images: from the header. MP4: from the first video track header, if any.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The file with location metadata removed.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectError {
    /// Not one of the five kinds (judged only from the bytes).
    Unsupported,
    /// width*height > max_pixels, or either side > max_side.
    TooManyPixels { width: u32, height: u32 },
    /// Claims to be a kind but cannot be parsed / has no readable dimensions.
    Corrupt,
}

impl fmt::Display for InspectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InspectError::Unsupported => f.write_str("unsupported media type"),
            InspectError::TooManyPixels { width, height } => {
                write!(f, "image too large: {width}x{height}")
            }
            InspectError::Corrupt => f.write_str("corrupt or unreadable media file"),
        }
    }
}

impl std::error::Error for InspectError {}

/// Size limits for images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_pixels: u64,
    pub max_side: u32,
}

type R<T> = Result<T, InspectError>;
use InspectError::Corrupt;

/// Sniff the kind, check image dimensions against `limits` (header only) and
/// return the file with location metadata removed.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspected, InspectError> {
    let kind = sniff(bytes).ok_or(InspectError::Unsupported)?;
    let (dims, out) = match kind {
        MediaKind::Jpeg => jpeg(bytes, limits)?,
        MediaKind::Png => png(bytes, limits)?,
        MediaKind::Webp => webp(bytes, limits)?,
        MediaKind::Heic => heic(bytes, limits)?,
        MediaKind::Mp4 => mp4(bytes)?,
    };
    Ok(Inspected {
        kind,
        width: dims.map(|d| d.0),
        height: dims.map(|d| d.1),
        bytes: out,
    })
}

// ---------------------------------------------------------------- helpers

fn slice(d: &[u8], off: usize, n: usize) -> Option<&[u8]> {
    d.get(off..off.checked_add(n)?)
}
fn u8at(d: &[u8], off: usize) -> Option<u8> {
    d.get(off).copied()
}
fn be16(d: &[u8], off: usize) -> Option<u16> {
    slice(d, off, 2)?.try_into().ok().map(u16::from_be_bytes)
}
fn be32(d: &[u8], off: usize) -> Option<u32> {
    slice(d, off, 4)?.try_into().ok().map(u32::from_be_bytes)
}
fn be64(d: &[u8], off: usize) -> Option<u64> {
    slice(d, off, 8)?.try_into().ok().map(u64::from_be_bytes)
}
fn le16(d: &[u8], off: usize) -> Option<u16> {
    slice(d, off, 2)?.try_into().ok().map(u16::from_le_bytes)
}
fn le24(d: &[u8], off: usize) -> Option<u32> {
    let s = slice(d, off, 3)?;
    Some(s.iter().rev().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}
fn le32(d: &[u8], off: usize) -> Option<u32> {
    slice(d, off, 4)?.try_into().ok().map(u32::from_le_bytes)
}
/// Big-endian unsigned integer of `n` (0..=8) bytes.
fn be_n(d: &[u8], off: usize, n: usize) -> Option<u64> {
    if n > 8 {
        return None;
    }
    Some(
        slice(d, off, n)?
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)),
    )
}
fn fourcc(d: &[u8], off: usize) -> Option<[u8; 4]> {
    slice(d, off, 4)?.try_into().ok()
}
fn add(a: usize, b: usize) -> R<usize> {
    a.checked_add(b).ok_or(Corrupt)
}

fn check_limits(w: u32, h: u32, limits: &Limits) -> R<()> {
    if w == 0 || h == 0 {
        return Err(Corrupt);
    }
    if w > limits.max_side || h > limits.max_side || u64::from(w) * u64::from(h) > limits.max_pixels
    {
        return Err(InspectError::TooManyPixels {
            width: w,
            height: h,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- sniffing

const HEIF_HEVC_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
];
const HEIF_GENERIC_BRANDS: [&[u8; 4]; 3] = [b"mif1", b"mif2", b"msf1"];
const AVIF_BRANDS: [&[u8; 4]; 3] = [b"avif", b"avis", b"avio"];
const NOT_VIDEO_BRANDS: [&[u8; 4]; 3] = [b"M4A ", b"M4B ", b"M4P "];
const MP4_BRANDS: [&[u8; 4]; 27] = [
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
    b"mp42", b"mp71", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"3gp4", b"3gp5", b"3gp6",
    b"3gp7", b"3gp8", b"3gp9", b"3g2a", b"3g2b", b"qt  ", b"f4v ",
];

fn brand_in(b: &[u8; 4], set: &[&[u8; 4]]) -> bool {
    set.contains(&b)
}

fn sniff(d: &[u8]) -> Option<MediaKind> {
    if d.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaKind::Jpeg);
    }
    if d.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(MediaKind::Png);
    }
    if d.starts_with(b"RIFF") && slice(d, 8, 4) == Some(b"WEBP") {
        return Some(MediaKind::Webp);
    }
    if slice(d, 4, 4) == Some(b"ftyp") {
        return sniff_ftyp(d);
    }
    None
}

fn sniff_ftyp(d: &[u8]) -> Option<MediaKind> {
    let size = usize::try_from(be32(d, 0)?).ok()?;
    if size < 16 {
        return None;
    }
    let major = fourcc(d, 8)?;
    let end = size.min(d.len());
    let compat: Vec<[u8; 4]> = (16..end)
        .step_by(4)
        .map_while(|o| fourcc(d, o).filter(|_| o + 4 <= end))
        .collect();
    let any = |set: &[&[u8; 4]]| brand_in(&major, set) || compat.iter().any(|b| brand_in(b, set));
    let has_hevc = any(&HEIF_HEVC_BRANDS);
    let has_avif = any(&AVIF_BRANDS);

    if brand_in(&major, &HEIF_HEVC_BRANDS) {
        return Some(MediaKind::Heic);
    }
    if brand_in(&major, &MP4_BRANDS) {
        return Some(MediaKind::Mp4);
    }
    if brand_in(&major, &HEIF_GENERIC_BRANDS) {
        // mif1 etc. is the generic HEIF brand; AVIF files use it too.
        return (has_hevc || !has_avif).then_some(MediaKind::Heic);
    }
    if brand_in(&major, &AVIF_BRANDS) || brand_in(&major, &NOT_VIDEO_BRANDS) {
        return None;
    }
    // Unknown major brand: decide on the compatible brands.
    if has_hevc {
        return Some(MediaKind::Heic);
    }
    if compat.iter().any(|b| brand_in(b, &MP4_BRANDS)) {
        return Some(MediaKind::Mp4);
    }
    if !has_avif && compat.iter().any(|b| brand_in(b, &HEIF_GENERIC_BRANDS)) {
        return Some(MediaKind::Heic);
    }
    None
}

// ---------------------------------------------------------------- JPEG

fn is_sof(m: u8) -> bool {
    (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC)
}

type Dims = Option<(u32, u32)>;

fn jpeg(d: &[u8], limits: &Limits) -> R<(Dims, Vec<u8>)> {
    let mut out = Vec::with_capacity(d.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut pos = 2usize;
    let mut dims: Dims = None;
    while pos < d.len() {
        if u8at(d, pos) != Some(0xFF) {
            return Err(Corrupt);
        }
        while u8at(d, pos + 1) == Some(0xFF) {
            pos += 1; // fill bytes
        }
        let marker = u8at(d, pos + 1).ok_or(Corrupt)?;
        let seg_start = pos;
        pos += 2;
        match marker {
            0xD9 => {
                // EOI: anything after it (MPF images, vendor trailers) is dropped.
                out.extend_from_slice(&[0xFF, 0xD9]);
                break;
            }
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(d.get(seg_start..pos).ok_or(Corrupt)?);
                continue;
            }
            0x00 | 0xD8 => return Err(Corrupt),
            _ => {}
        }
        let len = usize::from(be16(d, pos).ok_or(Corrupt)?);
        if len < 2 {
            return Err(Corrupt);
        }
        let seg_end = add(pos, len)?;
        let payload = d.get(pos + 2..seg_end).ok_or(Corrupt)?;
        if is_sof(marker) {
            let h = u32::from(be16(payload, 1).ok_or(Corrupt)?);
            let w = u32::from(be16(payload, 3).ok_or(Corrupt)?);
            check_limits(w, h, limits)?;
            dims.get_or_insert((w, h));
        }
        let drop =
            marker == 0xE1 || marker == 0xED || (marker == 0xE2 && payload.starts_with(b"MPF\0"));
        if !drop {
            out.extend_from_slice(d.get(seg_start..seg_end).ok_or(Corrupt)?);
        }
        pos = seg_end;
        if marker == 0xDA {
            if dims.is_none() {
                return Err(Corrupt);
            }
            // Entropy-coded data runs until a marker that is not a stuffed
            // 0xFF00 or a restart marker.
            let scan_start = pos;
            let mut i = pos;
            let mut next = None;
            while i + 1 < d.len() {
                if d.get(i) == Some(&0xFF) {
                    match d.get(i + 1) {
                        Some(0x00 | 0xD0..=0xD7) => i += 2,
                        Some(0xFF) => i += 1,
                        _ => {
                            next = Some(i);
                            break;
                        }
                    }
                } else {
                    i += 1;
                }
            }
            match next {
                Some(n) => {
                    out.extend_from_slice(d.get(scan_start..n).ok_or(Corrupt)?);
                    pos = n;
                }
                None => {
                    // Truncated (no EOI): keep the scan data as it is.
                    out.extend_from_slice(d.get(scan_start..).ok_or(Corrupt)?);
                    pos = d.len();
                }
            }
        }
    }
    match dims {
        Some(_) => Ok((dims, out)),
        None => Err(Corrupt),
    }
}

// ---------------------------------------------------------------- PNG

fn png(d: &[u8], limits: &Limits) -> R<(Dims, Vec<u8>)> {
    let mut out = Vec::with_capacity(d.len());
    out.extend_from_slice(d.get(..8).ok_or(Corrupt)?);
    let mut pos = 8usize;
    let mut dims: Dims = None;
    loop {
        let len = be32(d, pos).ok_or(Corrupt)?;
        if len > 0x7FFF_FFFF {
            return Err(Corrupt);
        }
        let typ = fourcc(d, pos + 4).ok_or(Corrupt)?;
        let end = add(add(pos, 12)?, usize::try_from(len).map_err(|_| Corrupt)?)?;
        let chunk = d.get(pos..end).ok_or(Corrupt)?;
        if dims.is_none() {
            if &typ != b"IHDR" {
                return Err(Corrupt);
            }
            let w = be32(chunk, 8).ok_or(Corrupt)?;
            let h = be32(chunk, 12).ok_or(Corrupt)?;
            check_limits(w, h, limits)?;
            dims = Some((w, h));
        }
        if !matches!(&typ, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt") {
            out.extend_from_slice(chunk);
        }
        pos = end;
        if &typ == b"IEND" {
            return Ok((dims, out));
        }
    }
}

// ---------------------------------------------------------------- WebP

fn webp(d: &[u8], limits: &Limits) -> R<(Dims, Vec<u8>)> {
    let riff = usize::try_from(le32(d, 4).ok_or(Corrupt)?).map_err(|_| Corrupt)?;
    let total = add(riff, 8)?;
    if riff < 4 || total > d.len() {
        return Err(Corrupt);
    }
    let d = d.get(..total).ok_or(Corrupt)?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut pos = 12usize;
    let mut dims: Dims = None;
    while pos < total {
        let typ = fourcc(d, pos).ok_or(Corrupt)?;
        let size = usize::try_from(le32(d, pos + 4).ok_or(Corrupt)?).map_err(|_| Corrupt)?;
        let body = pos + 8;
        let end = add(body, size)?;
        let data = d.get(body..end).ok_or(Corrupt)?;
        if dims.is_none() {
            let (w, h) = match &typ {
                b"VP8X" => {
                    let w = le24(data, 4).ok_or(Corrupt)? + 1;
                    let h = le24(data, 7).ok_or(Corrupt)? + 1;
                    (w, h)
                }
                b"VP8 " => {
                    if slice(data, 3, 3) != Some(&[0x9D, 0x01, 0x2A]) {
                        return Err(Corrupt);
                    }
                    let w = u32::from(le16(data, 6).ok_or(Corrupt)? & 0x3FFF);
                    let h = u32::from(le16(data, 8).ok_or(Corrupt)? & 0x3FFF);
                    (w, h)
                }
                b"VP8L" => {
                    if u8at(data, 0) != Some(0x2F) {
                        return Err(Corrupt);
                    }
                    let bits = le32(data, 1).ok_or(Corrupt)?;
                    ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
                }
                _ => return Err(Corrupt),
            };
            check_limits(w, h, limits)?;
            dims = Some((w, h));
        }
        if !matches!(&typ, b"EXIF" | b"XMP ") {
            let hdr_at = out.len();
            out.extend_from_slice(d.get(pos..end).ok_or(Corrupt)?);
            if size % 2 == 1 {
                out.push(0);
            }
            if &typ == b"VP8X"
                && let Some(flags) = out.get_mut(hdr_at + 8)
            {
                *flags &= !0x0C; // EXIF (0x08) and XMP (0x04) present bits
            }
        }
        pos = add(end, size % 2)?;
    }
    if dims.is_none() {
        return Err(Corrupt);
    }
    let riff_out = u32::try_from(out.len() - 8).map_err(|_| Corrupt)?;
    if let Some(s) = out.get_mut(4..8) {
        s.copy_from_slice(&riff_out.to_le_bytes());
    }
    Ok((dims, out))
}

// ---------------------------------------------------------------- ISO BMFF

#[derive(Debug, Clone, Copy)]
struct BoxHdr {
    typ: [u8; 4],
    start: usize,
    /// Payload start (after size, type and optional largesize).
    body: usize,
    end: usize,
}

fn parse_box(d: &[u8], pos: usize, limit: usize) -> R<BoxHdr> {
    let size = be32(d, pos).ok_or(Corrupt)?;
    let typ = fourcc(d, pos + 4).ok_or(Corrupt)?;
    let (body, end) = match size {
        1 => {
            let large = be64(d, pos + 8).ok_or(Corrupt)?;
            (
                pos + 16,
                add(pos, usize::try_from(large).map_err(|_| Corrupt)?)?,
            )
        }
        0 => (pos + 8, limit),
        n => (pos + 8, add(pos, usize::try_from(n).map_err(|_| Corrupt)?)?),
    };
    if body > end || end > limit || end > d.len() {
        return Err(Corrupt);
    }
    Ok(BoxHdr {
        typ,
        start: pos,
        body,
        end,
    })
}

/// Iterator over the boxes in `d[start..end]`; yields one `Err` and stops on
/// malformed input. Every box is at least 8 bytes, so it always terminates.
struct Boxes<'a> {
    d: &'a [u8],
    pos: usize,
    end: usize,
    failed: bool,
}

fn boxes(d: &[u8], start: usize, end: usize) -> Boxes<'_> {
    Boxes {
        d,
        pos: start,
        end,
        failed: false,
    }
}

impl Iterator for Boxes<'_> {
    type Item = R<BoxHdr>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.end {
            return None;
        }
        match parse_box(self.d, self.pos, self.end) {
            Ok(b) => {
                self.pos = b.end;
                Some(Ok(b))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

fn children<'a>(d: &'a [u8], b: &BoxHdr) -> Boxes<'a> {
    boxes(d, b.body, b.end)
}

/// Children of a FullBox (version + flags precede them).
fn full_children<'a>(d: &'a [u8], b: &BoxHdr, extra: usize) -> R<Boxes<'a>> {
    let start = add(b.body, 4 + extra)?;
    if start > b.end {
        return Err(Corrupt);
    }
    Ok(boxes(d, start, b.end))
}

const XMP_UUID: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];

fn is_private_box(d: &[u8], b: &BoxHdr) -> bool {
    match &b.typ {
        b"udta" | b"meta" => true,
        b"uuid" => slice(d, b.body, 16) == Some(&XMP_UUID[..]),
        _ => false,
    }
}

/// Rename to `free` and zero the payload; size (and so all offsets) unchanged.
fn blank(out: &mut [u8], b: &BoxHdr) {
    if let Some(t) = out.get_mut(b.start + 4..b.start + 8) {
        t.copy_from_slice(b"free");
    }
    if let Some(p) = out.get_mut(b.body..b.end) {
        p.fill(0);
    }
}

struct TopInfo {
    moov: bool,
    meta: Option<BoxHdr>,
    video_dims: Dims,
}

/// Walk top-level boxes, blanking udta/meta/XMP-uuid here, in `moov` and in
/// each `trak`. With `keep_first_meta` (HEIC) the first top-level `meta` is
/// returned instead of blanked.
fn scrub_top(d: &[u8], out: &mut [u8], keep_first_meta: bool) -> R<TopInfo> {
    let mut info = TopInfo {
        moov: false,
        meta: None,
        video_dims: None,
    };
    for b in boxes(d, 0, d.len()) {
        let b = b?;
        match &b.typ {
            b"moov" => {
                info.moov = true;
                for c in children(d, &b) {
                    let c = c?;
                    if &c.typ == b"trak" {
                        for t in children(d, &c) {
                            let t = t?;
                            if &t.typ == b"tkhd" && info.video_dims.is_none() {
                                info.video_dims = tkhd_dims(d, &t);
                            } else if is_private_box(d, &t) {
                                blank(out, &t);
                            }
                        }
                    } else if is_private_box(d, &c) {
                        blank(out, &c);
                    }
                }
            }
            b"meta" if keep_first_meta && info.meta.is_none() => info.meta = Some(b),
            _ if is_private_box(d, &b) => blank(out, &b),
            _ => {}
        }
    }
    Ok(info)
}

fn tkhd_dims(d: &[u8], b: &BoxHdr) -> Dims {
    let off = match u8at(d, b.body)? {
        1 => b.body + 4 + 32 + 52,
        _ => b.body + 4 + 20 + 52,
    };
    if off + 8 > b.end {
        return None;
    }
    let w = be32(d, off)? >> 16;
    let h = be32(d, off + 4)? >> 16;
    (w > 0 && h > 0).then_some((w, h))
}

fn mp4(d: &[u8]) -> R<(Dims, Vec<u8>)> {
    let mut out = d.to_vec();
    let info = scrub_top(d, &mut out, false)?;
    if !info.moov {
        return Err(Corrupt);
    }
    Ok((info.video_dims, out))
}

// ---------------------------------------------------------------- HEIC

fn heic(d: &[u8], limits: &Limits) -> R<(Dims, Vec<u8>)> {
    let mut out = d.to_vec();
    let info = scrub_top(d, &mut out, true)?;
    let meta = info.meta.ok_or(Corrupt)?;

    let (mut pitm, mut iinf, mut iloc, mut iprp, mut idat) = (None, None, None, None, None);
    for c in full_children(d, &meta, 0)? {
        let c = c?;
        let slot = match &c.typ {
            b"pitm" => &mut pitm,
            b"iinf" => &mut iinf,
            b"iloc" => &mut iloc,
            b"iprp" => &mut iprp,
            b"idat" => &mut idat,
            _ => continue,
        };
        slot.get_or_insert(c);
    }

    // Dimensions: every ispe is checked; the primary item's is reported.
    let iprp = iprp.ok_or(Corrupt)?;
    let mut props: Vec<BoxHdr> = Vec::new();
    let mut ipma = None;
    for c in children(d, &iprp) {
        let c = c?;
        match &c.typ {
            b"ipco" if props.is_empty() => {
                for p in children(d, &c) {
                    props.push(p?);
                }
            }
            b"ipma" if ipma.is_none() => ipma = Some(c),
            _ => {}
        }
    }
    let mut largest: Dims = None;
    for p in props.iter().filter(|p| &p.typ == b"ispe") {
        let (w, h) = ispe(d, p)?;
        check_limits(w, h, limits)?;
        if largest
            .is_none_or(|(lw, lh)| u64::from(w) * u64::from(h) > u64::from(lw) * u64::from(lh))
        {
            largest = Some((w, h));
        }
    }
    let primary_dims = pitm
        .and_then(|b| pitm_id(d, &b))
        .zip(ipma)
        .and_then(|(id, m)| ipma_props(d, &m, id))
        .and_then(|idx| {
            idx.iter()
                .filter_map(|&i| props.get(usize::from(i).checked_sub(1)?))
                .find(|p| &p.typ == b"ispe")
                .and_then(|p| ispe(d, p).ok())
        });
    let dims = primary_dims.or(largest).ok_or(Corrupt)?;

    // Privacy: zero the payload of Exif and XMP items.
    let mut private = match iinf {
        Some(b) => private_items(d, &b)?,
        None => Vec::new(),
    };
    private.sort_unstable();
    private.dedup();
    if !private.is_empty() {
        let locs = parse_iloc(d, &iloc.ok_or(Corrupt)?, &private)?;
        // Every private item must be locatable, or we refuse the file.
        let mut found: Vec<u32> = locs.iter().map(|l| l.id).collect();
        found.sort_unstable();
        found.dedup();
        if found != private {
            return Err(Corrupt);
        }
        // Collect, merge, then zero: hostile extent lists cannot make this
        // quadratic.
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for loc in &locs {
            if loc.data_ref != 0 {
                continue; // data lives in another file, not in these bytes
            }
            let (region_start, region_end) = match loc.method {
                0 => (0usize, d.len()),
                1 => {
                    let idat = idat.ok_or(Corrupt)?;
                    (idat.body, idat.end)
                }
                _ => return Err(Corrupt),
            };
            for &(off, len) in &loc.extents {
                let rel = loc.base.checked_add(off).ok_or(Corrupt)?;
                let start = add(region_start, usize::try_from(rel).map_err(|_| Corrupt)?)?;
                let end = if len == 0 {
                    region_end
                } else {
                    add(start, usize::try_from(len).map_err(|_| Corrupt)?)?
                };
                if start > end || end > region_end {
                    return Err(Corrupt);
                }
                ranges.push((start, end));
            }
        }
        ranges.sort_unstable();
        let mut zeroed_to = 0usize;
        for (start, end) in ranges {
            let start = start.max(zeroed_to);
            if start < end {
                out.get_mut(start..end).ok_or(Corrupt)?.fill(0);
                zeroed_to = end;
            }
        }
    }
    Ok((Some(dims), out))
}

fn ispe(d: &[u8], p: &BoxHdr) -> R<(u32, u32)> {
    if p.body + 12 > p.end {
        return Err(Corrupt);
    }
    Ok((
        be32(d, p.body + 4).ok_or(Corrupt)?,
        be32(d, p.body + 8).ok_or(Corrupt)?,
    ))
}

fn pitm_id(d: &[u8], b: &BoxHdr) -> Option<u32> {
    match u8at(d, b.body)? {
        0 => be16(d, b.body + 4).map(u32::from),
        _ => be32(d, b.body + 4),
    }
}

/// 1-based property indices associated with `item` (None on malformed ipma).
fn ipma_props(d: &[u8], b: &BoxHdr, item: u32) -> Option<Vec<u16>> {
    let d = d.get(..b.end)?;
    let version = u8at(d, b.body)?;
    let flags = be32(d, b.body)? & 0xFF_FFFF;
    let count = be32(d, b.body + 4)?;
    let mut p = b.body + 8;
    for _ in 0..count {
        let id = if version < 1 {
            let v = u32::from(be16(d, p)?);
            p += 2;
            v
        } else {
            let v = be32(d, p)?;
            p += 4;
            v
        };
        let n = u8at(d, p)?;
        p += 1;
        let mut idx = Vec::new();
        for _ in 0..n {
            if flags & 1 == 1 {
                idx.push(be16(d, p)? & 0x7FFF);
                p += 2;
            } else {
                idx.push(u16::from(u8at(d, p)? & 0x7F));
                p += 1;
            }
        }
        if id == item {
            return Some(idx);
        }
    }
    None
}

/// NUL-terminated string in `d[p..end]` (unterminated: to `end`); returns it
/// and the position after it.
fn cstr(d: &[u8], p: usize, end: usize) -> R<(&[u8], usize)> {
    let s = d.get(p..end).ok_or(Corrupt)?;
    Ok(match s.iter().position(|&c| c == 0) {
        Some(n) => (&s[..n], p + n + 1),
        None => (s, end),
    })
}

fn is_xmp_mime(ct: &[u8]) -> bool {
    String::from_utf8_lossy(ct)
        .to_ascii_lowercase()
        .contains("rdf+xml")
}

/// Item IDs of Exif items and XMP (`mime` application/rdf+xml) items.
fn private_items(d: &[u8], iinf: &BoxHdr) -> R<Vec<u32>> {
    let count_len = if u8at(d, iinf.body).ok_or(Corrupt)? == 0 {
        2
    } else {
        4
    };
    let mut ids = Vec::new();
    for e in full_children(d, iinf, count_len)? {
        let e = e?;
        if &e.typ != b"infe" {
            continue;
        }
        let version = u8at(d, e.body).ok_or(Corrupt)?;
        let mut p = e.body + 4;
        let (id, private) = match version {
            0 | 1 => {
                let id = u32::from(be16(d, p).ok_or(Corrupt)?);
                p += 4; // item_ID, item_protection_index
                let (_name, q) = cstr(d, p, e.end)?;
                let (ct, _) = cstr(d, q.min(e.end), e.end)?;
                (id, is_xmp_mime(ct))
            }
            2 | 3 => {
                let id = if version == 2 {
                    let v = u32::from(be16(d, p).ok_or(Corrupt)?);
                    p += 2;
                    v
                } else {
                    let v = be32(d, p).ok_or(Corrupt)?;
                    p += 4;
                    v
                };
                p += 2; // item_protection_index
                let item_type = fourcc(d, p).ok_or(Corrupt)?;
                p += 4;
                if p > e.end {
                    return Err(Corrupt);
                }
                let private = match &item_type {
                    b"Exif" => true,
                    b"mime" => {
                        let (_name, q) = cstr(d, p, e.end)?;
                        let (ct, _) = cstr(d, q.min(e.end), e.end)?;
                        is_xmp_mime(ct)
                    }
                    _ => false,
                };
                (id, private)
            }
            _ => return Err(Corrupt),
        };
        if private {
            ids.push(id);
        }
    }
    Ok(ids)
}

struct Loc {
    id: u32,
    method: u8,
    data_ref: u16,
    base: u64,
    extents: Vec<(u64, u64)>,
}

/// `iloc` entries for the items in `wanted` (sorted, deduplicated).
fn parse_iloc(d: &[u8], b: &BoxHdr, wanted: &[u32]) -> R<Vec<Loc>> {
    let d = d.get(..b.end).ok_or(Corrupt)?;
    let version = u8at(d, b.body).ok_or(Corrupt)?;
    if version > 2 {
        return Err(Corrupt);
    }
    let mut p = b.body + 4;
    let s1 = u8at(d, p).ok_or(Corrupt)?;
    let s2 = u8at(d, p + 1).ok_or(Corrupt)?;
    p += 2;
    let off_sz = usize::from(s1 >> 4);
    let len_sz = usize::from(s1 & 0x0F);
    let base_sz = usize::from(s2 >> 4);
    let idx_sz = if version >= 1 {
        usize::from(s2 & 0x0F)
    } else {
        0
    };
    if [off_sz, len_sz, base_sz, idx_sz]
        .iter()
        .any(|s| !matches!(s, 0 | 4 | 8))
    {
        return Err(Corrupt);
    }
    let count = if version < 2 {
        let c = u32::from(be16(d, p).ok_or(Corrupt)?);
        p += 2;
        c
    } else {
        let c = be32(d, p).ok_or(Corrupt)?;
        p += 4;
        c
    };
    let mut locs = Vec::new();
    for _ in 0..count {
        let id = if version < 2 {
            let v = u32::from(be16(d, p).ok_or(Corrupt)?);
            p += 2;
            v
        } else {
            let v = be32(d, p).ok_or(Corrupt)?;
            p += 4;
            v
        };
        let mut method = 0u8;
        if version >= 1 {
            method = (be16(d, p).ok_or(Corrupt)? & 0x0F) as u8;
            p += 2;
        }
        let data_ref = be16(d, p).ok_or(Corrupt)?;
        p += 2;
        let base = be_n(d, p, base_sz).ok_or(Corrupt)?;
        p += base_sz;
        let ext_count = usize::from(be16(d, p).ok_or(Corrupt)?);
        p += 2;
        let ext_sz = idx_sz + off_sz + len_sz;
        // Zero-sized extent entries consume no input: they are all (0, 0).
        let n = if ext_sz == 0 {
            ext_count.min(1)
        } else {
            ext_count
        };
        let keep = wanted.binary_search(&id).is_ok();
        let mut extents = Vec::new();
        for _ in 0..n {
            p += idx_sz;
            let off = be_n(d, p, off_sz).ok_or(Corrupt)?;
            p += off_sz;
            let len = be_n(d, p, len_sz).ok_or(Corrupt)?;
            p += len_sz;
            if keep {
                extents.push((off, len));
            }
        }
        if keep {
            locs.push(Loc {
                id,
                method,
                data_ref,
                base,
                extents,
            });
        }
    }
    Ok(locs)
}

// ---------------------------------------------------------------- tests

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const LIM: Limits = Limits {
        max_pixels: 50_000_000,
        max_side: 20_000,
    };

    fn contains(h: &[u8], n: &[u8]) -> bool {
        h.windows(n.len()).any(|w| w == n)
    }

    fn find(h: &[u8], n: &[u8]) -> Option<usize> {
        h.windows(n.len()).position(|w| w == n)
    }

    /// Big-endian TIFF with IFD0 → GPS IFD (LatitudeRef "N", ProcessingMethod
    /// "GPSSECRET").
    fn exif_tiff() -> Vec<u8> {
        let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
        t.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
        t.extend_from_slice(&[0, 2, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
        t.extend_from_slice(&[0, 0x1b, 0, 7, 0, 0, 0, 9, 0, 0, 0, 56, 0, 0, 0, 0]);
        assert_eq!(t.len(), 56);
        t.extend_from_slice(b"GPSSECRET");
        t
    }

    fn exif_payload() -> Vec<u8> {
        let mut v = b"Exif\0\0".to_vec();
        v.extend(exif_tiff());
        v
    }

    const XMP: &[u8] = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description \
        exif:GPSLatitude='21,1.71N' exif:GPSLongitude='105,51.25E'/></rdf:RDF></x:xmpmeta>";

    fn gradient(w: u32, h: u32) -> image::DynamicImage {
        let mut img = image::RgbImage::new(w, h);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 16) as u8, (y * 16) as u8, 128]);
        }
        image::DynamicImage::ImageRgb8(img)
    }

    fn encode(img: &image::DynamicImage, f: image::ImageFormat) -> Vec<u8> {
        let mut c = Cursor::new(Vec::new());
        img.write_to(&mut c, f).unwrap();
        c.into_inner()
    }

    fn jpeg_seg(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// (clean JPEG with a COM segment, same JPEG with EXIF/XMP/IPTC added)
    fn jpeg_pair() -> (Vec<u8>, Vec<u8>) {
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

    fn assert_no_location(out: &[u8]) {
        assert!(!contains(out, b"Exif\0\0"), "found EXIF header");
        assert_no_location_payload(out);
    }

    /// For HEIC: the `infe` item type "Exif" (followed by an empty name and the
    /// next box's size bytes) legitimately stays, so look for the TIFF header.
    fn assert_no_location_payload(out: &[u8]) {
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

    #[test]
    fn jpeg_strip_is_byte_exact() {
        let (clean, dirty) = jpeg_pair();
        assert!(contains(&dirty, b"GPSSECRET"));
        let r = inspect(&dirty, &LIM).unwrap();
        assert_eq!(r.kind, MediaKind::Jpeg);
        assert_eq!((r.width, r.height), (Some(16), Some(16)));
        assert_no_location(&r.bytes);
        assert_eq!(
            r.bytes, clean,
            "everything except APP1/APP13 kept byte-identical"
        );
        // scan data unchanged and still decodes
        let sos = find(&clean, &[0xFF, 0xDA]).unwrap();
        assert!(r.bytes.ends_with(&clean[sos..]));
        let img = image::load_from_memory(&r.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (16, 16));
        // idempotent
        assert_eq!(inspect(&r.bytes, &LIM).unwrap().bytes, r.bytes);
    }

    #[test]
    fn jpeg_trailer_and_mpf_dropped() {
        let (clean, dirty) = jpeg_pair();
        // MPF index + a second (dirty) image appended after EOI, as phones do.
        let mut f = dirty[..2].to_vec();
        f.extend(jpeg_seg(0xE2, b"MPF\0MM\0*\0\0\0\x08"));
        f.extend_from_slice(&dirty[2..]);
        f.extend_from_slice(&dirty);
        let r = inspect(&f, &LIM).unwrap();
        assert_no_location(&r.bytes);
        assert_eq!(r.bytes, clean);
    }

    #[test]
    fn jpeg_app1_between_scans_dropped() {
        let (clean, _) = jpeg_pair();
        // Insert an APP1 right before EOI (after the scan data).
        let eoi = clean.len() - 2;
        assert_eq!(&clean[eoi..], &[0xFF, 0xD9]);
        let mut f = clean[..eoi].to_vec();
        f.extend(jpeg_seg(0xE1, &exif_payload()));
        f.extend_from_slice(&clean[eoi..]);
        let r = inspect(&f, &LIM).unwrap();
        assert_eq!(r.bytes, clean);
    }

    fn jpeg_header_only(w: u16, h: u16) -> Vec<u8> {
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

    #[test]
    fn jpeg_pixel_bomb() {
        let f = jpeg_header_only(60000, 50000);
        assert_eq!(
            inspect(&f, &LIM).unwrap_err(),
            InspectError::TooManyPixels {
                width: 60000,
                height: 50000
            }
        );
        // side limit alone
        let lim = Limits {
            max_pixels: u64::MAX,
            max_side: 1000,
        };
        assert_eq!(
            inspect(&jpeg_header_only(1001, 1), &lim).unwrap_err(),
            InspectError::TooManyPixels {
                width: 1001,
                height: 1
            }
        );
        // small header-only file is accepted (no decoding happens)
        let r = inspect(&jpeg_header_only(3, 2), &LIM).unwrap();
        assert_eq!((r.width, r.height), (Some(3), Some(2)));
        // no SOF / zero height → Corrupt
        assert_eq!(
            inspect(&[0xFF, 0xD8, 0xFF, 0xD9], &LIM).unwrap_err(),
            Corrupt
        );
        assert_eq!(inspect(&jpeg_header_only(5, 0), &LIM).unwrap_err(), Corrupt);
        assert_eq!(inspect(&[0xFF, 0xD8, 0xFF], &LIM).unwrap_err(), Corrupt);
    }

    // ------------------------------------------------------------ PNG

    fn crc32(data: &[u8]) -> u32 {
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

    fn png_chunk(typ: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(data);
        let mut crc_in = typ.to_vec();
        crc_in.extend_from_slice(data);
        v.extend_from_slice(&crc32(&crc_in).to_be_bytes());
        v
    }

    #[test]
    fn png_strip_is_byte_exact() {
        let clean = encode(&gradient(8, 6), image::ImageFormat::Png);
        let after_ihdr = 8 + 12 + 13;
        let mut dirty = clean[..after_ihdr].to_vec();
        dirty.extend(png_chunk(b"eXIf", &exif_tiff()));
        dirty.extend(png_chunk(b"tEXt", b"Comment\0GPSSECRET"));
        let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
        itxt.extend_from_slice(XMP);
        dirty.extend(png_chunk(b"iTXt", &itxt));
        dirty.extend(png_chunk(b"zTXt", b"Raw profile type exif\0\0xxxx"));
        dirty.extend_from_slice(&clean[after_ihdr..]);
        dirty.extend_from_slice(b"trailing GPSSECRET");
        assert!(image::load_from_memory(&dirty).is_ok());

        let r = inspect(&dirty, &LIM).unwrap();
        assert_eq!(r.kind, MediaKind::Png);
        assert_eq!((r.width, r.height), (Some(8), Some(6)));
        assert_no_location(&r.bytes);
        assert!(!contains(&r.bytes, b"eXIf") && !contains(&r.bytes, b"iTXt"));
        assert_eq!(r.bytes, clean, "IHDR/IDAT/IEND byte-identical");
        let img = image::load_from_memory(&r.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (8, 6));
    }

    #[test]
    fn png_pixel_bomb_and_corrupt() {
        let mut f = encode(&gradient(1, 1), image::ImageFormat::Png);
        f[16..20].copy_from_slice(&60000u32.to_be_bytes());
        f[20..24].copy_from_slice(&60000u32.to_be_bytes());
        assert_eq!(
            inspect(&f, &LIM).unwrap_err(),
            InspectError::TooManyPixels {
                width: 60000,
                height: 60000
            }
        );
        let mut g = b"\x89PNG\r\n\x1a\n".to_vec();
        g.extend(png_chunk(b"IDAT", b"xx"));
        assert_eq!(inspect(&g, &LIM).unwrap_err(), Corrupt);
        let ok = encode(&gradient(2, 2), image::ImageFormat::Png);
        assert_eq!(inspect(&ok[..ok.len() - 12], &LIM).unwrap_err(), Corrupt); // no IEND
    }

    // ------------------------------------------------------------ WebP

    fn riff_chunk(typ: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = typ.to_vec();
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
        v.extend_from_slice(b"WEBP");
        v.extend(body);
        v
    }

    fn vp8l(w: u32, h: u32) -> Vec<u8> {
        let bits = (w - 1) | ((h - 1) << 14) | (1 << 28);
        let mut d = vec![0x2F];
        d.extend_from_slice(&bits.to_le_bytes());
        d.extend_from_slice(b"LOSSLESSDATA!");
        d
    }

    fn vp8x(flags: u8, w: u32, h: u32) -> Vec<u8> {
        let mut d = vec![flags, 0, 0, 0];
        d.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
        d.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
        d
    }

    #[test]
    fn webp_extended_strip() {
        let image_chunk = riff_chunk(b"VP8L", &vp8l(3, 5));
        let mut exif_odd = exif_payload();
        exif_odd.push(b'!');
        if exif_odd.len().is_multiple_of(2) {
            exif_odd.push(b'!');
        }
        let f = riff(&[
            riff_chunk(b"VP8X", &vp8x(0x10 | 0x08 | 0x04, 3, 5)),
            riff_chunk(b"ICCP", b"icc-profile"),
            image_chunk.clone(),
            riff_chunk(b"EXIF", &exif_odd),
            riff_chunk(b"XMP ", XMP),
        ]);
        let r = inspect(&f, &LIM).unwrap();
        assert_eq!(r.kind, MediaKind::Webp);
        assert_eq!((r.width, r.height), (Some(3), Some(5)));
        assert_no_location(&r.bytes);
        let expect = riff(&[
            riff_chunk(b"VP8X", &vp8x(0x10, 3, 5)),
            riff_chunk(b"ICCP", b"icc-profile"),
            image_chunk.clone(),
        ]);
        assert_eq!(r.bytes, expect);
        assert_eq!(r.bytes[20], 0x10, "EXIF/XMP flags cleared, alpha kept");
        assert_eq!(le32(&r.bytes, 4).unwrap() as usize, r.bytes.len() - 8);
        assert!(contains(&r.bytes, &image_chunk));
        assert_eq!(inspect(&r.bytes, &LIM).unwrap().bytes, r.bytes);
    }

    #[test]
    fn webp_simple_dims_and_bombs() {
        let mut vp8 = vec![0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A];
        vp8.extend_from_slice(&640u16.to_le_bytes());
        vp8.extend_from_slice(&480u16.to_le_bytes());
        vp8.extend_from_slice(b"LOSSYDATA");
        let r = inspect(&riff(&[riff_chunk(b"VP8 ", &vp8)]), &LIM).unwrap();
        assert_eq!((r.width, r.height), (Some(640), Some(480)));

        let r = inspect(&riff(&[riff_chunk(b"VP8L", &vp8l(16384, 2))]), &LIM).unwrap();
        assert_eq!((r.width, r.height), (Some(16384), Some(2)));

        let bomb = riff(&[
            riff_chunk(b"VP8X", &vp8x(0, 60000, 60000)),
            riff_chunk(b"VP8L", &vp8l(1, 1)),
        ]);
        assert_eq!(
            inspect(&bomb, &LIM).unwrap_err(),
            InspectError::TooManyPixels {
                width: 60000,
                height: 60000
            }
        );
        assert_eq!(
            inspect(&riff(&[riff_chunk(b"ALPH", b"xx")]), &LIM).unwrap_err(),
            Corrupt
        );
        let mut big = riff(&[riff_chunk(b"VP8L", &vp8l(1, 1))]);
        big[4] = 0xFF; // RIFF size beyond the file
        assert_eq!(inspect(&big, &LIM).unwrap_err(), Corrupt);
    }

    // ------------------------------------------------------------ ISO BMFF

    fn bx(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(body);
        v
    }

    fn fbx(typ: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = vec![version];
        b.extend_from_slice(&flags.to_be_bytes()[1..]);
        b.extend_from_slice(body);
        bx(typ, &b)
    }

    fn ftyp(major: &[u8; 4], compat: &[&[u8; 4]]) -> Vec<u8> {
        let mut b = major.to_vec();
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compat {
            b.extend_from_slice(*c);
        }
        bx(b"ftyp", &b)
    }

    fn tkhd(w: u32, h: u32) -> Vec<u8> {
        let mut b = vec![0u8; 20 + 52];
        b.extend_from_slice(&(w << 16).to_be_bytes());
        b.extend_from_slice(&(h << 16).to_be_bytes());
        fbx(b"tkhd", 0, 3, &b)
    }

    fn xyz() -> Vec<u8> {
        let s = b"+21.0285+105.8542/";
        let mut b = (s.len() as u16).to_be_bytes().to_vec();
        b.extend_from_slice(&[0x15, 0xC7]);
        b.extend_from_slice(s);
        bx(b"\xA9xyz", &b)
    }

    fn mp4_file(large_mdat: bool) -> (Vec<u8>, Vec<u8>) {
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

    fn box_types(d: &[u8], start: usize, end: usize) -> Vec<[u8; 4]> {
        boxes(d, start, end).map(|b| b.unwrap().typ).collect()
    }

    #[test]
    fn mp4_strip() {
        for large in [false, true] {
            let (f, payload) = mp4_file(large);
            assert!(contains(&f, b"\xA9xyz"));
            let r = inspect(&f, &LIM).unwrap();
            assert_eq!(r.kind, MediaKind::Mp4);
            assert!(!r.kind.is_image());
            assert_eq!((r.width, r.height), (Some(640), Some(480)));
            assert_eq!(r.bytes.len(), f.len(), "sizes (and offsets) unchanged");
            assert_no_location(&r.bytes);
            assert!(contains(&r.bytes, &payload), "mdat unchanged");
            assert!(contains(&r.bytes, b"media-info"));
            let top = box_types(&r.bytes, 0, r.bytes.len());
            assert_eq!(top, [*b"ftyp", *b"moov", *b"mdat", *b"free"]);
            let moov = parse_box(&r.bytes, top_pos(&r.bytes, b"moov"), r.bytes.len()).unwrap();
            assert_eq!(
                box_types(&r.bytes, moov.body, moov.end),
                [*b"mvhd", *b"trak", *b"trak", *b"free", *b"free", *b"free"]
            );
            assert_eq!(inspect(&r.bytes, &LIM).unwrap().bytes, r.bytes);
        }
        // no moov → Corrupt; QuickTime brand accepted as Mp4
        let mut f = ftyp(b"qt  ", &[b"qt  "]);
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
        f.extend(bx(b"moov", &bx(b"udta", &xyz())));
        let r = inspect(&f, &LIM).unwrap();
        assert_eq!(r.kind, MediaKind::Mp4);
        assert_no_location(&r.bytes);
    }

    fn top_pos(d: &[u8], typ: &[u8; 4]) -> usize {
        boxes(d, 0, d.len())
            .map(|b| b.unwrap())
            .find(|b| &b.typ == typ)
            .unwrap()
            .start
    }

    // ------------------------------------------------------------ HEIC

    fn infe(version: u8, id: u32, typ: &[u8; 4], name: &[u8], ct: Option<&[u8]>) -> Vec<u8> {
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

    struct IlocItem {
        id: u32,
        method: u16,
        base: u64,
        extents: Vec<(u64, u64)>,
    }

    fn put(v: &mut Vec<u8>, n: usize, x: u64) {
        v.extend_from_slice(&x.to_be_bytes()[8 - n..]);
    }

    fn iloc(
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

    fn ispe_box(w: u32, h: u32) -> Vec<u8> {
        fbx(b"ispe", 0, 0, &[w.to_be_bytes(), h.to_be_bytes()].concat())
    }

    /// Returns (file, HEVC payload range, Exif item range).
    fn heic_file(
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

    #[test]
    fn heic_strip_all_iloc_versions() {
        for (version, osz, lsz, bsz, isz) in [
            (0, 4, 4, 0, 0),
            (1, 4, 4, 0, 0),
            (1, 8, 4, 4, 4),
            (2, 4, 8, 8, 8),
            (2, 8, 8, 0, 0),
            (0, 4, 4, 4, 0),
        ] {
            let (f, hevc, exif) = heic_file(version, osz, lsz, bsz, isz, (4032, 3024));
            assert!(contains(&f, b"GPSSECRET") && contains(&f, b"GPSLatitude"));
            let r = inspect(&f, &LIM).unwrap_or_else(|e| panic!("v{version}: {e:?}"));
            assert_eq!(r.kind, MediaKind::Heic);
            assert_eq!((r.width, r.height), (Some(4032), Some(3024)));
            assert_eq!(r.bytes.len(), f.len());
            assert_no_location_payload(&r.bytes);
            assert!(
                r.bytes[exif.clone()].iter().all(|&b| b == 0),
                "Exif payload zeroed"
            );
            assert_eq!(
                r.bytes[hevc.clone()],
                f[hevc.clone()],
                "image data unchanged"
            );
            // only Exif/XMP payload bytes changed
            let changed = f.iter().zip(&r.bytes).filter(|(a, b)| a != b).count();
            assert!(changed <= exif.len() + XMP.len(), "v{version}: {changed}");
            assert_eq!(inspect(&r.bytes, &LIM).unwrap().bytes, r.bytes);
        }
    }

    #[test]
    fn heic_pixel_bomb_and_missing_location() {
        let (f, _, _) = heic_file(1, 4, 4, 0, 0, (60000, 60000));
        assert_eq!(
            inspect(&f, &LIM).unwrap_err(),
            InspectError::TooManyPixels {
                width: 60000,
                height: 60000
            }
        );
        // Exif item with no iloc entry → refused rather than stored.
        let meta = fbx(
            b"meta",
            0,
            0,
            &[
                fbx(
                    b"iinf",
                    0,
                    0,
                    &[vec![0, 1], infe(2, 7, b"Exif", b"", None)].concat(),
                ),
                iloc(1, 4, 4, 0, 0, &[]),
                bx(b"iprp", &bx(b"ipco", &ispe_box(10, 10))),
            ]
            .concat(),
        );
        let f = [
            ftyp(b"mif1", &[b"mif1", b"heic"]),
            meta,
            bx(b"mdat", &exif_payload()),
        ]
        .concat();
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
        // no meta → Corrupt
        assert_eq!(
            inspect(&ftyp(b"heic", &[b"mif1"]), &LIM).unwrap_err(),
            Corrupt
        );
    }

    // ------------------------------------------------------------ sniffing

    #[test]
    fn brands() {
        let k = |major: &[u8; 4], compat: &[&[u8; 4]]| sniff(&ftyp(major, compat));
        assert_eq!(k(b"heic", &[b"mif1", b"heic"]), Some(MediaKind::Heic));
        assert_eq!(k(b"heix", &[]), Some(MediaKind::Heic));
        assert_eq!(k(b"mif1", &[b"mif1", b"heic"]), Some(MediaKind::Heic));
        assert_eq!(k(b"mif1", &[b"mif1"]), Some(MediaKind::Heic));
        assert_eq!(k(b"msf1", &[b"msf1", b"hevc"]), Some(MediaKind::Heic));
        assert_eq!(k(b"isom", &[b"isom", b"avc1"]), Some(MediaKind::Mp4));
        assert_eq!(k(b"mp42", &[b"mp42", b"isom"]), Some(MediaKind::Mp4));
        assert_eq!(k(b"M4V ", &[]), Some(MediaKind::Mp4));
        assert_eq!(k(b"qt  ", &[b"qt  "]), Some(MediaKind::Mp4));
        assert_eq!(
            k(b"XAVC", &[b"XAVC", b"mp42", b"iso2"]),
            Some(MediaKind::Mp4)
        );
        assert_eq!(k(b"avif", &[b"mif1", b"avif"]), None);
        assert_eq!(k(b"mif1", &[b"mif1", b"avif", b"miaf"]), None);
        assert_eq!(k(b"M4A ", &[b"M4A ", b"isom"]), None);
        assert_eq!(k(b"crx ", &[b"crx "]), None);
        assert_eq!(sniff(b"\0\0\0\x08ftyp"), None);
    }

    #[test]
    fn kinds_metadata() {
        use MediaKind::*;
        let all = [Jpeg, Png, Webp, Heic, Mp4];
        let ct: Vec<_> = all.iter().map(|k| k.content_type()).collect();
        assert_eq!(
            ct,
            [
                "image/jpeg",
                "image/png",
                "image/webp",
                "image/heic",
                "video/mp4"
            ]
        );
        let ext: Vec<_> = all.iter().map(|k| k.extension()).collect();
        assert_eq!(ext, ["jpg", "png", "webp", "heic", "mp4"]);
        assert_eq!(all.map(|k| k.is_image()), [true, true, true, true, false]);
    }

    #[test]
    fn unsupported_inputs() {
        let gif = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";
        let cases: [&[u8]; 9] = [
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            b"<html><img src=x onerror=alert(1)>",
            b"hello, this is a plain text file named photo.jpg\n",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF",
            gif,
            b"",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"\0\0\0\x18ftypavif\0\0\0\0avifmif1",
            b"BM\x3a\0\0\0",
        ];
        for c in cases {
            assert_eq!(inspect(c, &LIM).unwrap_err(), InspectError::Unsupported);
        }
    }

    // ------------------------------------------------------------ robustness

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn never_panics() {
        let (_, jpg) = jpeg_pair();
        let mut png = encode(&gradient(4, 4), image::ImageFormat::Png);
        png.splice(33..33, png_chunk(b"eXIf", &exif_tiff()));
        let webp = riff(&[
            riff_chunk(b"VP8X", &vp8x(0x0C, 3, 5)),
            riff_chunk(b"VP8L", &vp8l(3, 5)),
            riff_chunk(b"EXIF", &exif_payload()),
        ]);
        let (mp4, _) = mp4_file(true);
        let samples = [
            jpg,
            png,
            webp,
            mp4,
            heic_file(0, 4, 4, 0, 0, (64, 64)).0,
            heic_file(1, 8, 4, 4, 4, (64, 64)).0,
            heic_file(2, 4, 8, 8, 8, (64, 64)).0,
        ];
        let lim = Limits {
            max_pixels: 1 << 40,
            max_side: u32::MAX,
        };
        // every truncation
        for s in &samples {
            for n in 0..s.len() {
                let _ = inspect(&s[..n], &LIM);
                let _ = inspect(&s[..n], &lim);
            }
        }
        // random mutations
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for s in &samples {
            for _ in 0..3000 {
                let mut m = s.clone();
                for _ in 0..(1 + rng.next() % 4) {
                    let i = (rng.next() as usize) % m.len();
                    m[i] = match rng.next() % 4 {
                        0 => 0,
                        1 => 0xFF,
                        2 => 1,
                        _ => rng.next() as u8,
                    };
                }
                if let Ok(r) = inspect(&m, &lim) {
                    assert!(r.bytes.len() <= m.len() + 16);
                }
            }
        }
        // random bytes, bare and behind each magic
        let magics: [&[u8]; 6] = [
            b"",
            b"\xFF\xD8\xFF",
            b"\x89PNG\r\n\x1a\n",
            b"RIFF\xff\xff\0\0WEBP",
            b"\0\0\0\x14ftypheic\0\0\0\0mif1",
            b"\0\0\0\x10ftypisom\0\0\0\0",
        ];
        for m in magics {
            for len in 0..300 {
                let mut v = m.to_vec();
                v.extend((0..len).map(|_| rng.next() as u8));
                let _ = inspect(&v, &lim);
            }
        }
    }
}
