//! HEIC / HEIF still images.
//!
//! * Dimensions: every `ispe` property is checked against the limits; the
//!   primary item's (via `pitm` + `ipma`) is reported, else the largest.
//!   `imagesize` is not used here: it ignores 64-bit box sizes, reports the
//!   largest `ispe` rotated by `irot`, and this module walks `meta` anyway.
//! * Privacy: the payload of every item of type `Exif`, and of `mime` items
//!   whose content type is `application/rdf+xml` (XMP), is overwritten with
//!   zeros, located via `meta` → `iinf` (`infe` v0–3) and `iloc` (v0–2,
//!   construction methods 0 = file and 1 = `idat`). If such an item cannot be
//!   located (missing `iloc` entry, construction method 2, out-of-range
//!   extent) the file is refused as [`Corrupt`] rather than stored with it.
//!   Top-level `udta`/`meta` boxes other than the first `meta` (and a `moov`
//!   of HEIF sequences) are blanked as in MP4. Orientation lives in the
//!   `irot`/`imir` properties, which stay.

use super::bmff::{BoxHdr, children, full_children, scrub_top};
use super::{Corrupt, Dims, Limits, R, add, be_n, be16, be32, check_limits, fourcc, u8at};

pub(super) fn inspect(d: &[u8], limits: &Limits) -> R<(Dims, Vec<u8>)> {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{Corrupt, InspectError, MediaKind, inspect};

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
}
