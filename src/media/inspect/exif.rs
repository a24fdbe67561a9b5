//! The one EXIF tag worth keeping: Orientation.
//!
//! Phones store photos in sensor orientation and record how to turn them in
//! the EXIF Orientation tag (0x0112, IFD0). Dropping the whole EXIF block
//! makes portrait photos display sideways, so the original's Orientation is
//! read here and written back as a minimal TIFF structure holding that tag
//! alone: no GPS IFD, no Exif IFD, no maker, model, serial or time.
//!
//! The reader is a few bounds-checked lines rather than a full EXIF crate: it
//! needs one SHORT from IFD0 and never follows an offset other than IFD0's, so
//! a hostile block cannot make it loop or read out of bounds.

use super::slice;

const ORIENTATION: u16 = 0x0112;
const SHORT: u16 = 3;

/// The Orientation (1..=8) in IFD0 of an EXIF block (a TIFF structure, with
/// or without the `Exif\0\0` prefix), or `None` when it has none or is not
/// readable.
pub(super) fn orientation(exif: &[u8]) -> Option<u16> {
    let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let big_endian = match tiff.get(..4)? {
        b"MM\0\x2A" => true,
        b"II\x2A\0" => false,
        _ => return None,
    };
    let u16_at = |off: usize| -> Option<u16> {
        let b: [u8; 2] = slice(tiff, off, 2)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |off: usize| -> Option<u32> {
        let b: [u8; 4] = slice(tiff, off, 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd0 = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd0)?);
    let first = ifd0.checked_add(2)?;
    // At most 65535 entries, and a read past the end stops the walk.
    for i in 0..count {
        let entry = first.checked_add(i.checked_mul(12)?)?;
        if u16_at(entry)? != ORIENTATION {
            continue;
        }
        if u16_at(entry + 2)? != SHORT || u32_at(entry + 4)? != 1 {
            return None;
        }
        let value = u16_at(entry + 8)?;
        return (1..=8).contains(&value).then_some(value);
    }
    None
}

/// A TIFF structure (big-endian, as the EXIF payload of a JPEG APP1, a PNG
/// `eXIf` or a WebP `EXIF` chunk) whose IFD0 holds only `Orientation`.
pub(super) fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend_from_slice(b"MM\0\x2A");
    t.extend_from_slice(&8u32.to_be_bytes()); // IFD0 right after the header
    t.extend_from_slice(&1u16.to_be_bytes()); // one entry
    t.extend_from_slice(&ORIENTATION.to_be_bytes());
    t.extend_from_slice(&SHORT.to_be_bytes());
    t.extend_from_slice(&1u32.to_be_bytes()); // count
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]); // value padded to 4 bytes
    t.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    t
}

/// What to write back in place of an original EXIF block: the minimal block
/// when the original had an Orientation, nothing otherwise.
pub(super) fn replacement(original: Option<&[u8]>) -> Option<Vec<u8>> {
    original.and_then(orientation).map(orientation_only)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{exif_tiff, phone_exif_tiff};
    use super::*;

    #[test]
    fn reads_orientation_in_both_byte_orders() {
        for o in 1..=8 {
            assert_eq!(orientation(&phone_exif_tiff(true, Some(o))), Some(o));
            assert_eq!(orientation(&phone_exif_tiff(false, Some(o))), Some(o));
            let mut prefixed = b"Exif\0\0".to_vec();
            prefixed.extend(phone_exif_tiff(false, Some(o)));
            assert_eq!(orientation(&prefixed), Some(o));
        }
        assert_eq!(orientation(&phone_exif_tiff(true, None)), None);
        assert_eq!(orientation(&exif_tiff()), None, "GPS only");
    }

    #[test]
    fn minimal_block_round_trips_and_holds_one_tag() {
        let t = orientation_only(6);
        assert_eq!(t.len(), 26);
        assert_eq!(orientation(&t), Some(6));
        assert_eq!(&t[8..10], &[0, 1], "one IFD0 entry");
        assert_eq!(&t[22..26], &[0, 0, 0, 0], "no next IFD");
        assert_eq!(
            replacement(Some(&phone_exif_tiff(true, Some(3)))),
            Some(orientation_only(3))
        );
        assert_eq!(replacement(Some(&exif_tiff())), None);
        assert_eq!(replacement(None), None);
    }

    #[test]
    fn refuses_odd_or_broken_blocks() {
        let ok = orientation_only(6);
        // out-of-range values
        for v in [0u16, 9, 0xFFFF] {
            let mut t = ok.clone();
            t[18..20].copy_from_slice(&v.to_be_bytes());
            assert_eq!(orientation(&t), None, "{v}");
        }
        // wrong type (LONG) or count
        let mut t = ok.clone();
        t[12..14].copy_from_slice(&4u16.to_be_bytes());
        assert_eq!(orientation(&t), None);
        let mut t = ok.clone();
        t[14..18].copy_from_slice(&2u32.to_be_bytes());
        assert_eq!(orientation(&t), None);
        // IFD0 offset past the end, huge entry count, every truncation
        let mut t = ok.clone();
        t[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(orientation(&t), None);
        let mut t = ok.clone();
        t[8..10].copy_from_slice(&[0xFF, 0xFF]);
        t[10..12].copy_from_slice(&[0x01, 0x00]); // first entry is not 0x0112
        assert_eq!(orientation(&t), None);
        for n in 0..20 {
            assert_eq!(orientation(&ok[..n]), None, "{n}");
        }
        assert_eq!(orientation(&ok[..20]), Some(6), "the rest is not needed");
        // not TIFF
        assert_eq!(orientation(b"MM\0\x2B\0\0\0\x08"), None);
        assert_eq!(orientation(b""), None);
    }
}
