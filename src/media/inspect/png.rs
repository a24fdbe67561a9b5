//! PNG.
//!
//! * Size: the first chunk must be IHDR; its width and height are read (by
//!   `imagesize`) and checked before anything else, so a pixel bomb is
//!   refused even when the rest of the file is damaged.
//! * Editing: `img-parts` parses the chunks (checking each CRC) up to IEND,
//!   which must be there. `eXIf`, `tEXt`, `zTXt` and `iTXt` chunks (EXIF,
//!   XMP, free text such as "Raw profile type exif") are dropped, and so is
//!   anything after IEND; when the `eXIf` had an Orientation, a minimal
//!   `eXIf` holding only that tag is written back right after IHDR. Other
//!   chunks are kept byte-identical.

use img_parts::png::Png;
use img_parts::{Bytes, ImageEXIF};

use super::{Corrupt, Dims, Limits, R, be32, check_limits, exif, fourcc, slice};

const PRIVATE_CHUNKS: [[u8; 4]; 4] = [*b"eXIf", *b"tEXt", *b"zTXt", *b"iTXt"];

pub(super) fn inspect(d: &[u8], limits: &Limits) -> R<(Dims, Vec<u8>)> {
    // IHDR first, whole, with room for width and height inside it.
    let ihdr_len = be32(d, 8).ok_or(Corrupt)?;
    let ihdr_whole = usize::try_from(ihdr_len)
        .ok()
        .and_then(|len| len.checked_add(12))
        .and_then(|n| slice(d, 8, n))
        .is_some();
    if fourcc(d, 12) != Some(*b"IHDR") || ihdr_len < 8 || !ihdr_whole {
        return Err(Corrupt);
    }
    let size = imagesize::blob_size(d).map_err(|_| Corrupt)?;
    let w = u32::try_from(size.width).map_err(|_| Corrupt)?;
    let h = u32::try_from(size.height).map_err(|_| Corrupt)?;
    check_limits(w, h, limits)?;

    let mut png = Png::from_bytes(Bytes::copy_from_slice(d)).map_err(|_| Corrupt)?;
    if png.chunks().last().map(|c| c.kind()) != Some(*b"IEND") {
        return Err(Corrupt); // ended before IEND
    }
    let orientation = exif::replacement(png.exif().as_deref());
    png.chunks_mut()
        .retain(|c| !PRIVATE_CHUNKS.contains(&c.kind()));
    if let Some(block) = orientation {
        png.set_exif(Some(Bytes::from(block)));
    }
    Ok((Some((w, h)), png.encoder().bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{Corrupt, InspectError, MediaKind, exif, inspect};

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

    #[test]
    fn png_damaged_chunks_are_corrupt() {
        let ok = encode(&gradient(2, 2), image::ImageFormat::Png);
        // a wrong CRC (IDAT's last byte), a chunk running past the end
        let mut f = ok.clone();
        let crc_at = ok.len() - 12 - 1;
        f[crc_at] ^= 0xFF;
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
        let mut f = ok.clone();
        f[33..37].copy_from_slice(&0x7FFF_0000u32.to_be_bytes());
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
        // an IHDR too short to hold the size, and a bare signature
        let mut f = ok.clone();
        f[8..12].copy_from_slice(&4u32.to_be_bytes());
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
        assert_eq!(inspect(&ok[..8], &LIM).unwrap_err(), Corrupt);
        // a bomb cut inside its IHDR: the header is not whole, so not read
        let mut f = ok.clone();
        f[16..24].copy_from_slice(&[0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60]);
        assert_eq!(inspect(&f[..28], &LIM).unwrap_err(), Corrupt);
        // zero width
        let mut f = ok;
        f[16..20].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(inspect(&f, &LIM).unwrap_err(), Corrupt);
    }

    #[test]
    fn png_orientation_kept_alone() {
        let f = png_with_exif(Some(8));
        assert!(contains(&f, b"GPSSECRET") && contains(&f, b"iPhone"));
        let r = inspect(&f, &LIM).unwrap();
        for needle in [&b"GPSSECRET"[..], b"iPhone", b"Apple"] {
            assert!(!contains(&r.bytes, needle));
        }
        // the eXIf right after IHDR holds the orientation alone
        let ihdr_end = 8 + 12 + 13;
        assert_eq!(&r.bytes[ihdr_end + 4..ihdr_end + 8], b"eXIf");
        let len = u32::from_be_bytes(r.bytes[ihdr_end..ihdr_end + 4].try_into().unwrap());
        let block = &r.bytes[ihdr_end + 8..ihdr_end + 8 + len as usize];
        assert_eq!(block, exif::orientation_only(8));
        // valid chunks (CRC included), and it still decodes
        let img = image::load_from_memory(&r.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (4, 4));
        assert_eq!(inspect(&r.bytes, &LIM).unwrap().bytes, r.bytes);
        // without an Orientation: no eXIf at all
        let r = inspect(&png_with_exif(None), &LIM).unwrap();
        assert!(!contains(&r.bytes, b"eXIf"));
    }
}
