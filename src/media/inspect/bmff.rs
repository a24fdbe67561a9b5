//! ISO BMFF (MP4, HEIF) box walking, shared by [`super::mp4`] and
//! [`super::heic`].
//!
//! No maintained crate scrubs boxes *in place*: the `mp4`/`mp4parse` crates
//! read or rewrite whole files, which moves `mdat` and would invalidate the
//! `stco`/`co64` chunk offsets and HEIF `iloc` extents. Here a private box is
//! renamed to `free` and its payload zeroed, so the file keeps its size and
//! every offset in it stays valid.
//!
//! Every read is bounds-checked; every box is at least 8 bytes and the walk
//! moves past each one, so hostile input cannot hang it.

use super::{Corrupt, Dims, R, add, be32, be64, fourcc, slice, u8at};

#[derive(Debug, Clone, Copy)]
pub(super) struct BoxHdr {
    pub typ: [u8; 4],
    pub start: usize,
    /// Payload start (after size, type and optional largesize).
    pub body: usize,
    pub end: usize,
}

pub(super) fn parse_box(d: &[u8], pos: usize, limit: usize) -> R<BoxHdr> {
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
pub(super) struct Boxes<'a> {
    d: &'a [u8],
    pos: usize,
    end: usize,
    failed: bool,
}

pub(super) fn boxes(d: &[u8], start: usize, end: usize) -> Boxes<'_> {
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

pub(super) fn children<'a>(d: &'a [u8], b: &BoxHdr) -> Boxes<'a> {
    boxes(d, b.body, b.end)
}

/// Children of a FullBox (version + flags precede them).
pub(super) fn full_children<'a>(d: &'a [u8], b: &BoxHdr, extra: usize) -> R<Boxes<'a>> {
    let start = add(b.body, 4 + extra)?;
    if start > b.end {
        return Err(Corrupt);
    }
    Ok(boxes(d, start, b.end))
}

pub(super) const XMP_UUID: [u8; 16] = [
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

pub(super) struct TopInfo {
    pub moov: bool,
    pub meta: Option<BoxHdr>,
    pub video_dims: Dims,
}

/// Walk top-level boxes, blanking udta/meta/XMP-uuid here, in `moov` and in
/// each `trak`. With `keep_first_meta` (HEIC) the first top-level `meta` is
/// returned instead of blanked.
pub(super) fn scrub_top(d: &[u8], out: &mut [u8], keep_first_meta: bool) -> R<TopInfo> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(size: u32, typ: &[u8; 4]) -> Vec<u8> {
        let mut v = size.to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v
    }

    #[test]
    fn box_sizes() {
        // 0 = to the end of the enclosing range
        let mut d = hdr(0, b"mdat");
        d.extend_from_slice(b"abc");
        let b = parse_box(&d, 0, d.len()).unwrap();
        assert_eq!((b.typ, b.body, b.end), (*b"mdat", 8, 11));
        // 1 = a 64-bit size follows
        let mut d = hdr(1, b"mdat");
        d.extend_from_slice(&20u64.to_be_bytes());
        d.extend_from_slice(b"abcd");
        let b = parse_box(&d, 0, d.len()).unwrap();
        assert_eq!((b.body, b.end), (16, 20));
        // too small for its own header, past the range, past the data
        for size in [2u32, 7, 12] {
            let d = [hdr(size, b"free"), vec![0; 2]].concat();
            assert_eq!(parse_box(&d, 0, d.len()).unwrap_err(), Corrupt, "{size}");
        }
        let mut d = hdr(1, b"mdat");
        d.extend_from_slice(&8u64.to_be_bytes()); // 64-bit size below 16
        assert_eq!(parse_box(&d, 0, d.len()).unwrap_err(), Corrupt);
        let mut d = hdr(1, b"mdat");
        d.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(parse_box(&d, 0, d.len()).unwrap_err(), Corrupt);
        let d = hdr(16, b"free");
        assert_eq!(parse_box(&d, 0, 16).unwrap_err(), Corrupt);
    }

    #[test]
    fn walk_stops_at_the_first_bad_box() {
        let d = [hdr(8, b"free"), hdr(3, b"junk"), hdr(8, b"free")].concat();
        let got: Vec<_> = boxes(&d, 0, d.len()).collect();
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok());
        assert_eq!(got[1].as_ref().unwrap_err(), &Corrupt);
    }

    #[test]
    fn private_boxes_are_blanked_in_place() {
        let d = [
            hdr(12, b"udta"),
            b"SECR".to_vec(),
            hdr(12, b"mvhd"),
            b"keep".to_vec(),
        ]
        .concat();
        let mut out = d.clone();
        let info = scrub_top(&d, &mut out, false).unwrap();
        assert!(!info.moov && info.meta.is_none());
        assert_eq!(&out[..12], &[hdr(12, b"free"), vec![0; 4]].concat()[..]);
        assert_eq!(&out[12..], &d[12..]);
    }
}
