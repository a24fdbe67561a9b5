//! Upload inspection: type sniffing, pixel-bomb refusal and location-metadata
//! stripping for citizen photo/video uploads.
//!
//! * **Type** is judged only from the bytes (magic numbers, and for ISO BMFF
//!   the `ftyp` brands): see [`sniff`]. Everything that is not JPEG, PNG,
//!   WebP, HEIC or MP4 (HTML, text, PDF, GIF, AVIF, …) is
//!   [`InspectError::Unsupported`].
//! * **Dimensions** come from headers only, and images past [`Limits`] are
//!   refused before anything else is read: JPEG SOFn (every one), PNG IHDR
//!   and the WebP first chunk (via `imagesize`), HEIC `ispe` properties
//!   (every one; the primary item's is reported). MP4 width and height come
//!   from the first video `tkhd`, for information only.
//! * **Location metadata** is removed from the returned bytes. JPEG, PNG and
//!   WebP are edited with `img-parts` (every other segment or chunk is kept
//!   byte-identical); MP4 and HEIC are scrubbed in place by a small box
//!   walker so that every offset in the file stays valid. Each format's
//!   module says exactly what goes.
//! * **Orientation** survives: when a photo's EXIF carries an Orientation
//!   tag, a minimal EXIF block holding only that tag is written back (see
//!   [`exif`]), so portrait phone photos do not display sideways. HEIC keeps
//!   its `irot`/`imir` properties and MP4 its track matrix, which are not
//!   metadata.
//! * Hostile input cannot panic or hang this code: every hand-written read is
//!   bounds-checked and every loop consumes input; the crates' parsers are
//!   given only input whose framing was checked first (see each module).

use std::fmt;

mod bmff;
mod exif;
mod heic;
mod jpeg;
mod mp4;
mod png;
mod sniff;
mod webp;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod robustness;

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

/// (width, height) when known.
type Dims = Option<(u32, u32)>;

/// Sniff the kind, check image dimensions against `limits` (header only) and
/// return the file with location metadata removed.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspected, InspectError> {
    let kind = sniff::sniff(bytes).ok_or(InspectError::Unsupported)?;
    let (dims, out) = match kind {
        MediaKind::Jpeg => jpeg::inspect(bytes, limits)?,
        MediaKind::Png => png::inspect(bytes, limits)?,
        MediaKind::Webp => webp::inspect(bytes, limits)?,
        MediaKind::Heic => heic::inspect(bytes, limits)?,
        MediaKind::Mp4 => mp4::inspect(bytes)?,
    };
    Ok(Inspected {
        kind,
        width: dims.map(|d| d.0),
        height: dims.map(|d| d.1),
        bytes: out,
    })
}

/// The kind of a file from its first bytes (at least [`SNIFF_BYTES`] of them,
/// or the whole file when it is shorter), before the rest has arrived.
/// [`inspect`] judges the whole file again.
pub fn sniff_kind(head: &[u8]) -> Option<MediaKind> {
    sniff::sniff(head)
}

/// Enough bytes to judge a file's kind: the signatures, and an `ftyp` box
/// with its brands.
pub const SNIFF_BYTES: usize = 4096;

/// Refuses empty sides (corrupt) and sides or areas past the limits.
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

// ---------------------------------------------------------------- reads
// Bounds-checked big/little-endian reads: `None` past the end, never a panic.

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

#[cfg(test)]
mod tests {
    use super::*;
    use InspectError::*;
    use MediaKind::*;

    #[test]
    fn kinds_metadata() {
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
            assert_eq!(inspect(c, &fixtures::LIM).unwrap_err(), Unsupported);
        }
    }

    #[test]
    fn limits_refuse_zero_long_sides_and_large_areas() {
        let lim = Limits {
            max_pixels: 100,
            max_side: 50,
        };
        assert_eq!(check_limits(10, 10, &lim), Ok(()));
        assert_eq!(check_limits(0, 10, &lim), Err(Corrupt));
        assert_eq!(check_limits(10, 0, &lim), Err(Corrupt));
        assert_eq!(
            check_limits(51, 1, &lim),
            Err(TooManyPixels {
                width: 51,
                height: 1
            })
        );
        assert_eq!(
            check_limits(11, 10, &lim),
            Err(TooManyPixels {
                width: 11,
                height: 10
            })
        );
        // no overflow at the extremes
        let open = Limits {
            max_pixels: u64::MAX,
            max_side: u32::MAX,
        };
        assert_eq!(check_limits(u32::MAX, u32::MAX, &open), Ok(()));
    }

    #[test]
    fn reads_are_bounded() {
        let d = [1u8, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(be16(&d, 7), Some(0x0809));
        assert_eq!(be16(&d, 8), None);
        assert_eq!(be32(&d, usize::MAX - 1), None);
        assert_eq!(be64(&d, 1), Some(0x0203_0405_0607_0809));
        assert_eq!(le32(&d, 0), Some(0x0403_0201));
        assert_eq!(be_n(&d, 0, 3), Some(0x010203));
        assert_eq!(be_n(&d, 0, 9), None);
        assert_eq!(be_n(&d, 9, 0), Some(0));
        assert_eq!(slice(&d, 9, 1), None);
        assert_eq!(add(usize::MAX, 1), Err(Corrupt));
    }
}
