//! JPEG.
//!
//! * Framing: a strict marker walker reads the whole file once (segments,
//!   fill bytes, entropy-coded scans) and checks every SOFn against the
//!   limits as it meets it, so a pixel bomb is refused from its header. Stray
//!   bytes between segments, `0x00`/SOI markers, and a scan before any frame
//!   header are [`Corrupt`].
//! * Editing: `img-parts` parses the segments before the first scan; its view
//!   must match the walker's segment for segment (it silently skips what it
//!   does not understand, which must never decide what is kept), or the file
//!   is refused. Every APP1 (EXIF, XMP), APP13 (IPTC/Photoshop) and the APP2
//!   `MPF` index is dropped; when the original EXIF had an Orientation, a
//!   minimal EXIF segment holding only that tag is written back (see
//!   [`super::exif`]).
//! * After the first scan `img-parts` keeps the rest of the file as one
//!   opaque blob, so the walker rebuilds it: scans are kept, APPn segments
//!   between progressive scans are dropped as above, and everything after EOI
//!   (MPF secondary images, vendor trailers, each with its own EXIF) is cut.
//!
//! All other bytes are kept byte-identical.

use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::{Bytes, ImageEXIF};

use super::{Corrupt, Dims, Limits, R, add, be16, check_limits, exif, u8at};

/// One piece of a JPEG file, by byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A marker segment with a length: `start..end`, payload `body..end`.
    Segment {
        marker: u8,
        start: usize,
        body: usize,
        end: usize,
    },
    /// A marker without a length (TEM, RSTn) outside a scan.
    Standalone { start: usize, end: usize },
    /// Entropy-coded data following an SOS segment.
    Scan { start: usize, end: usize },
    /// The EOI marker: the image ends here.
    End,
}

fn is_sof(m: u8) -> bool {
    (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC)
}

/// Segments that may carry a location or identify the device.
fn is_private(marker: u8, payload: &[u8]) -> bool {
    marker == markers::APP1
        || marker == markers::APP13
        || (marker == markers::APP2 && payload.starts_with(b"MPF\0"))
}

/// Walks the file from SOI to EOI (or its end), checking every frame header
/// against `limits`. Returns the pieces and the first frame's dimensions.
fn walk(d: &[u8], limits: &Limits) -> R<(Vec<Piece>, (u32, u32))> {
    let mut pieces = Vec::new();
    let mut dims = None;
    let mut pos = 2usize;
    while pos < d.len() {
        if u8at(d, pos) != Some(0xFF) {
            return Err(Corrupt);
        }
        while u8at(d, pos + 1) == Some(0xFF) {
            pos += 1; // fill bytes
        }
        let marker = u8at(d, pos + 1).ok_or(Corrupt)?;
        let start = pos;
        pos += 2;
        match marker {
            0xD9 => {
                pieces.push(Piece::End);
                break;
            }
            0x01 | 0xD0..=0xD7 => {
                pieces.push(Piece::Standalone { start, end: pos });
                continue;
            }
            0x00 | 0xD8 => return Err(Corrupt),
            _ => {}
        }
        let len = usize::from(be16(d, pos).ok_or(Corrupt)?);
        if len < 2 {
            return Err(Corrupt);
        }
        let body = pos + 2;
        let end = add(pos, len)?;
        let payload = d.get(body..end).ok_or(Corrupt)?;
        if is_sof(marker) {
            let h = u32::from(be16(payload, 1).ok_or(Corrupt)?);
            let w = u32::from(be16(payload, 3).ok_or(Corrupt)?);
            check_limits(w, h, limits)?;
            dims.get_or_insert((w, h));
        }
        pieces.push(Piece::Segment {
            marker,
            start,
            body,
            end,
        });
        pos = end;
        if marker == markers::SOS {
            if dims.is_none() {
                return Err(Corrupt);
            }
            // Entropy-coded data runs until a marker that is not a stuffed
            // 0xFF00 or a restart marker; a truncated file (no EOI) keeps
            // its scan data as it is.
            let mut i = pos;
            let mut next = d.len();
            while i + 1 < d.len() {
                if d.get(i) == Some(&0xFF) {
                    match d.get(i + 1) {
                        Some(0x00 | 0xD0..=0xD7) => i += 2,
                        Some(0xFF) => i += 1,
                        _ => {
                            next = i;
                            break;
                        }
                    }
                } else {
                    i += 1;
                }
            }
            pieces.push(Piece::Scan {
                start: pos,
                end: next,
            });
            pos = next;
        }
    }
    Ok((pieces, dims.ok_or(Corrupt)?))
}

/// The bytes after the first scan's SOS segment, without private segments
/// and without anything after EOI.
fn clean_tail(d: &[u8], pieces: &[Piece]) -> R<Vec<u8>> {
    let mut out = Vec::new();
    for p in pieces {
        match *p {
            Piece::Segment {
                marker,
                start,
                body,
                end,
            } => {
                if !is_private(marker, d.get(body..end).ok_or(Corrupt)?) {
                    out.extend_from_slice(d.get(start..end).ok_or(Corrupt)?);
                }
            }
            Piece::Standalone { start, end } | Piece::Scan { start, end } => {
                out.extend_from_slice(d.get(start..end).ok_or(Corrupt)?);
            }
            Piece::End => {
                out.extend_from_slice(&[0xFF, markers::EOI]);
                break;
            }
        }
    }
    Ok(out)
}

pub(super) fn inspect(d: &[u8], limits: &Limits) -> R<(Dims, Vec<u8>)> {
    let (pieces, dims) = walk(d, limits)?;
    let first_sos = pieces
        .iter()
        .position(|p| matches!(p, Piece::Segment { marker, .. } if *marker == markers::SOS));
    let (head, tail) = match first_sos {
        Some(i) => (
            pieces.get(..=i).ok_or(Corrupt)?,
            pieces.get(i + 1..).ok_or(Corrupt)?,
        ),
        None => (&pieces[..], &[][..]),
    };

    let mut jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(d)).map_err(|_| Corrupt)?;
    let ours = head.iter().filter_map(|p| match *p {
        Piece::Segment {
            marker, body, end, ..
        } => Some((marker, end - body)),
        _ => None,
    });
    let theirs = jpeg
        .segments()
        .iter()
        .map(|s| (s.marker(), s.contents().len()));
    if !ours.eq(theirs) {
        return Err(Corrupt);
    }

    let orientation = exif::replacement(jpeg.exif().as_deref());
    jpeg.segments_mut()
        .retain(|s| !is_private(s.marker(), s.contents()));
    if first_sos.is_some() {
        // img-parts holds everything after the first SOS header as that
        // segment's entropy: put the cleaned rest of the file there.
        let tail = Bytes::from(clean_tail(d, tail)?);
        let sos = jpeg
            .segments_mut()
            .iter_mut()
            .rfind(|s| s.marker() == markers::SOS)
            .ok_or(Corrupt)?;
        *sos = JpegSegment::new_with_entropy(markers::SOS, sos.contents().clone(), tail);
    }
    if let Some(block) = orientation {
        jpeg.set_exif(Some(Bytes::from(block)));
    }
    Ok((Some(dims), jpeg.encoder().bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{Corrupt, InspectError, Limits, MediaKind, exif, inspect};

    /// `d` without its segments of `marker` before the first scan.
    fn without(d: &[u8], marker: u8) -> Vec<u8> {
        let mut out = d[..2].to_vec();
        let mut pos = 2;
        while d[pos] == 0xFF && d[pos + 1] != 0xDA {
            let len = usize::from(u16::from_be_bytes([d[pos + 2], d[pos + 3]]));
            if d[pos + 1] != marker {
                out.extend_from_slice(&d[pos..pos + 2 + len]);
            }
            pos += 2 + len;
        }
        out.extend_from_slice(&d[pos..]);
        out
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

    #[test]
    fn jpeg_bomb_is_refused_before_later_damage() {
        // A frame header past the limits, then garbage: the size decides.
        let mut f = jpeg_header_only(60000, 50000);
        f.truncate(f.len() - 4);
        f.extend_from_slice(b"\x00\x01garbage");
        assert!(matches!(
            inspect(&f, &LIM).unwrap_err(),
            InspectError::TooManyPixels { .. }
        ));
    }

    #[test]
    fn jpeg_orientation_kept_alone() {
        let (clean, _) = jpeg_pair();
        for big_endian in [true, false] {
            let mut exif_payload = b"Exif\0\0".to_vec();
            exif_payload.extend(phone_exif_tiff(big_endian, Some(6)));
            let mut f = clean[..2].to_vec();
            f.extend(jpeg_seg(0xE1, &exif_payload));
            let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
            xmp.extend_from_slice(XMP);
            f.extend(jpeg_seg(0xE1, &xmp));
            f.extend_from_slice(&clean[2..]);
            assert!(contains(&f, b"iPhone"));

            let r = inspect(&f, &LIM).unwrap();
            let kept = jpeg_exif(&r.bytes).expect("an EXIF segment");
            assert_eq!(kept, exif::orientation_only(6));
            assert_eq!(exif::orientation(&kept), Some(6));
            for needle in [&b"GPSSECRET"[..], b"iPhone", b"Apple", b"GPSLatitude"] {
                assert!(!contains(&r.bytes, needle));
            }
            // one APP1 (ours); without it the file is the clean one
            assert_eq!(r.bytes.windows(2).filter(|w| w == &[0xFF, 0xE1]).count(), 1);
            assert_eq!(without(&r.bytes, 0xE1), clean);
            // an independent reader agrees, and the image still decodes
            let mut dec = image::ImageReader::new(std::io::Cursor::new(&r.bytes))
                .with_guessed_format()
                .unwrap()
                .into_decoder()
                .unwrap();
            use image::ImageDecoder;
            assert_eq!(
                dec.orientation().unwrap(),
                image::metadata::Orientation::Rotate90
            );
            assert!(image::load_from_memory(&r.bytes).is_ok());
            // idempotent
            assert_eq!(inspect(&r.bytes, &LIM).unwrap().bytes, r.bytes);
        }
        // EXIF without an Orientation: nothing is written back
        let mut f = clean[..2].to_vec();
        f.extend(jpeg_seg(0xE1, &phone_exif_payload(None)));
        f.extend_from_slice(&clean[2..]);
        assert_eq!(inspect(&f, &LIM).unwrap().bytes, clean);
    }

    #[test]
    fn jpeg_framing_is_strict() {
        let (clean, _) = jpeg_pair();
        // fill bytes before a marker are legal and dropped
        let mut f = clean[..2].to_vec();
        f.extend_from_slice(&[0xFF, 0xFF]);
        f.extend_from_slice(&clean[2..]);
        assert_eq!(inspect(&f, &LIM).unwrap().bytes, clean);
        // a stray byte between segments, a 0x00 or SOI marker, or a reserved
        // marker img-parts would skip over: refused
        let after_com = 2 + 2 + usize::from(u16::from_be_bytes([clean[4], clean[5]]));
        for insert in [
            &[0x00][..],
            &[0xFF, 0x00],
            &[0xFF, 0xD8],
            &[0xFF, 0x05, 0, 2],
        ] {
            let mut f = clean[..after_com].to_vec();
            f.extend_from_slice(insert);
            f.extend_from_slice(&clean[after_com..]);
            assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt, "{insert:02x?}");
        }
        // a scan before any frame header
        let mut f = vec![0xFF, 0xD8];
        f.extend(jpeg_seg(0xDA, &[1, 1, 0, 0, 63, 0]));
        f.extend_from_slice(&[0x12, 0xFF, 0xD9]);
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
        // segment length past the end, or below 2
        let mut f = clean.clone();
        f[4..6].copy_from_slice(&[0xFF, 0xF0]);
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
        let mut f = clean.clone();
        f[4..6].copy_from_slice(&[0, 1]);
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
    }

    #[test]
    fn jpeg_truncated_scan_is_kept_as_is() {
        let (clean, _) = jpeg_pair();
        let cut = &clean[..clean.len() - 10];
        let r = inspect(cut, &LIM).unwrap();
        assert_eq!(r.bytes, cut);
    }
}
