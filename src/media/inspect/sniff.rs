//! The kind of a file, from its bytes only.
//!
//! JPEG (`FF D8 FF`), PNG (8-byte signature), WebP (`RIFF....WEBP`), and ISO
//! BMFF files with an `ftyp` box at offset 4. For ISO BMFF the major brand
//! decides first (`heic heix hevc hevx heim heis hevm hevs` → HEIC;
//! `mif1 mif2 msf1` → HEIC unless the file is really AVIF; `isom iso2..9 mp41
//! mp42 avc1 M4V dash 3gp* qt` … → MP4; `avif`, audio-only `M4A`/`M4B`/`M4P`
//! → unsupported), then the compatible brands.

use super::{MediaKind, be32, fourcc, slice};

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

pub(super) fn sniff(d: &[u8]) -> Option<MediaKind> {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::ftyp;
    use super::*;

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
    fn magic_numbers() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some(MediaKind::Jpeg));
        assert_eq!(sniff(b"\xFF\xD8\xFE"), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), Some(MediaKind::Png));
        assert_eq!(sniff(b"\x89PNG\r\n"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBP"), Some(MediaKind::Webp));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEB"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI "), None);
    }
}
