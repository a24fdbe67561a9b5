//! WebP.
//!
//! * Size: the first chunk must be `VP8X`, `VP8 ` or `VP8L`, whole, with its
//!   signature; `imagesize` reads the canvas (or bitstream) size from it, and
//!   it is checked before anything else. (`imagesize` reads fixed offsets
//!   without those checks, hence them; it also returns VP8's two scaling
//!   bits as part of the size, hence the mask.)
//! * Editing: `img-parts` parses the RIFF chunks. `EXIF` and `XMP ` chunks
//!   are dropped, the `VP8X` EXIF/XMP flag bits cleared, the RIFF size
//!   rewritten and anything after the RIFF cut. When the EXIF had an
//!   Orientation (and the file is extended, so the flag can say so), a
//!   minimal `EXIF` chunk holding only that tag is written back at the end.
//!   Other chunks are kept byte-identical.

use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::{CHUNK_EXIF, CHUNK_VP8, CHUNK_VP8L, CHUNK_VP8X, CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF};

use super::{Corrupt, Dims, Limits, R, add, check_limits, exif, fourcc, le32, slice, u8at};

/// VP8X flag bits for EXIF (0x08) and XMP (0x04) metadata.
const METADATA_FLAGS: u8 = 0x0C;

pub(super) fn inspect(d: &[u8], limits: &Limits) -> R<(Dims, Vec<u8>)> {
    let riff = le32(d, 4).ok_or(Corrupt)?;
    // img-parts keeps chunk sizes in u32: leave room for the rewritten EXIF.
    if !(4..=u32::MAX - 64).contains(&riff) {
        return Err(Corrupt);
    }
    let total = add(usize::try_from(riff).map_err(|_| Corrupt)?, 8)?;
    let d = d.get(..total).ok_or(Corrupt)?;

    let (w, h) = first_chunk_size(d)?;
    check_limits(w, h, limits)?;

    let mut webp = WebP::from_bytes(Bytes::copy_from_slice(d)).map_err(|_| Corrupt)?;
    let extended = webp.chunks().first().map(RiffChunk::id) == Some(CHUNK_VP8X);
    let orientation = exif::replacement(
        webp.chunk_by_id(CHUNK_EXIF)
            .and_then(|c| c.content().data())
            .map(|b| &b[..]),
    )
    .filter(|_| extended);
    webp.remove_chunks_by_id(CHUNK_EXIF);
    webp.remove_chunks_by_id(CHUNK_XMP);
    for chunk in webp
        .chunks_mut()
        .iter_mut()
        .filter(|c| c.id() == CHUNK_VP8X)
    {
        let Some(mut data) = chunk.content().data().map(|b| b.to_vec()) else {
            continue;
        };
        if let Some(flags) = data.first_mut() {
            *flags &= !METADATA_FLAGS;
        }
        *chunk = RiffChunk::new(CHUNK_VP8X, RiffContent::Data(Bytes::from(data)));
    }
    if let Some(block) = orientation {
        // Appends the chunk and sets the VP8X EXIF flag.
        webp.set_exif(Some(Bytes::from(block)));
    }
    Ok((Some((w, h)), webp.encoder().bytes().to_vec()))
}

/// The size in the first chunk, after checking that it is an image header.
fn first_chunk_size(d: &[u8]) -> R<(u32, u32)> {
    let id = fourcc(d, 12).ok_or(Corrupt)?;
    let len = usize::try_from(le32(d, 16).ok_or(Corrupt)?).map_err(|_| Corrupt)?;
    let data = slice(d, 20, len).ok_or(Corrupt)?;
    let well_formed = match id {
        CHUNK_VP8X => data.len() >= 10,
        CHUNK_VP8 => slice(data, 3, 3) == Some(&[0x9D, 0x01, 0x2A][..]) && data.len() >= 10,
        CHUNK_VP8L => u8at(data, 0) == Some(0x2F) && data.len() >= 5,
        _ => false,
    };
    if !well_formed {
        return Err(Corrupt);
    }
    let size = imagesize::blob_size(d).map_err(|_| Corrupt)?;
    let (mut w, mut h) = (size.width, size.height);
    if id == CHUNK_VP8 {
        (w, h) = (w & 0x3FFF, h & 0x3FFF);
    }
    Ok((
        u32::try_from(w).map_err(|_| Corrupt)?,
        u32::try_from(h).map_err(|_| Corrupt)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{Corrupt, InspectError, MediaKind, exif, inspect, le32};

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

    #[test]
    fn webp_first_chunk_is_checked() {
        // VP8 scaling bits are not part of the size
        let mut vp8 = vec![0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A];
        vp8.extend_from_slice(&(640u16 | 0xC000).to_le_bytes());
        vp8.extend_from_slice(&(480u16 | 0x4000).to_le_bytes());
        let r = inspect(&riff(&[riff_chunk(b"VP8 ", &vp8)]), &LIM).unwrap();
        assert_eq!((r.width, r.height), (Some(640), Some(480)));
        // wrong VP8 start code, wrong VP8L signature
        let mut bad = vp8.clone();
        bad[4] = 0;
        assert_eq!(
            inspect(&riff(&[riff_chunk(b"VP8 ", &bad)]), &LIM).unwrap_err(),
            Corrupt
        );
        let mut bad = vp8l(3, 5);
        bad[0] = 0x2E;
        assert_eq!(
            inspect(&riff(&[riff_chunk(b"VP8L", &bad)]), &LIM).unwrap_err(),
            Corrupt
        );
        // a VP8X chunk too short to hold the canvas: its size is not read
        // from whatever follows
        let f = riff(&[
            riff_chunk(b"VP8X", &[0, 0, 0, 0]),
            riff_chunk(b"VP8L", &vp8l(3, 5)),
        ]);
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
        // a later chunk running past the RIFF
        let mut f = riff(&[riff_chunk(b"VP8L", &vp8l(3, 5)), riff_chunk(b"ICCP", b"ab")]);
        let n = f.len();
        f[n - 6..n - 2].copy_from_slice(&100u32.to_le_bytes());
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
    }

    #[test]
    fn webp_orientation_kept_alone() {
        let f = webp_with_exif(Some(6));
        assert!(contains(&f, b"GPSSECRET") && contains(&f, b"iPhone"));
        let r = inspect(&f, &LIM).unwrap();
        let expect = riff(&[
            riff_chunk(b"VP8X", &vp8x(0x10 | 0x08, 3, 5)),
            riff_chunk(b"VP8L", &vp8l(3, 5)),
            riff_chunk(b"EXIF", &exif::orientation_only(6)),
        ]);
        assert_eq!(r.bytes, expect, "EXIF flag kept, XMP flag cleared");
        assert_eq!(inspect(&r.bytes, &LIM).unwrap().bytes, r.bytes);
        // without an Orientation, or in a simple (non-VP8X) file: no EXIF
        let r = inspect(&webp_with_exif(None), &LIM).unwrap();
        assert!(!contains(&r.bytes, b"EXIF"));
        assert_eq!(r.bytes[20], 0x10);
        let simple = riff(&[
            riff_chunk(b"VP8L", &vp8l(3, 5)),
            riff_chunk(b"EXIF", &phone_exif_payload(Some(6))),
        ]);
        let r = inspect(&simple, &LIM).unwrap();
        assert_eq!(r.bytes, riff(&[riff_chunk(b"VP8L", &vp8l(3, 5))]));
    }
}
