//! MP4 (and QuickTime-branded) video.
//!
//! Every `udta` / `meta` / XMP `uuid` box at top level, inside `moov` and
//! inside each `trak` is renamed to `free` and its payload zeroed (same size,
//! so chunk offsets stay valid): that is where phones put the recording
//! place (`©xyz`, `loci`) and device tags. The track header's rotation
//! matrix stays. Width and height come from the first video `tkhd`, for
//! information only: video is capped by bytes, not pixels.

use super::bmff::scrub_top;
use super::{Corrupt, Dims, R};

pub(super) fn inspect(d: &[u8]) -> R<(Dims, Vec<u8>)> {
    let mut out = d.to_vec();
    let info = scrub_top(d, &mut out, false)?;
    if !info.moov {
        return Err(Corrupt);
    }
    Ok((info.video_dims, out))
}

#[cfg(test)]
mod tests {
    use super::super::bmff::{boxes, parse_box};
    use super::super::fixtures::*;
    use super::super::{Corrupt, MediaKind, inspect};

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
}
