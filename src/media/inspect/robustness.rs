//! `inspect` on hostile input: it must return (an answer or an error), never
//! panic, and never hand back something unbounded.

use super::fixtures::{LIM, Rng, samples};
use super::{Limits, inspect, sniff::sniff};

/// Limits that let any size through, so parsing goes past the header.
const OPEN: Limits = Limits {
    max_pixels: 1 << 40,
    max_side: u32::MAX,
};

const MAGICS: [&[u8]; 6] = [
    b"",
    b"\xFF\xD8\xFF",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\xff\xff\0\0WEBP",
    b"\0\0\0\x14ftypheic\0\0\0\0mif1",
    b"\0\0\0\x10ftypisom\0\0\0\0",
];

#[test]
fn samples_are_accepted() {
    for s in samples() {
        let r = inspect(&s, &LIM).unwrap();
        assert_eq!(Some(r.kind), sniff(&s));
    }
}

#[test]
fn never_panics() {
    let samples = samples();
    // every truncation
    for s in &samples {
        for n in 0..s.len() {
            let _ = inspect(&s[..n], &LIM);
            let _ = inspect(&s[..n], &OPEN);
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
            if let Ok(r) = inspect(&m, &OPEN) {
                assert!(r.bytes.len() <= m.len() + 16);
            }
        }
    }
    // random bytes, bare and behind each magic
    for m in MAGICS {
        for len in 0..300 {
            let mut v = m.to_vec();
            v.extend((0..len).map(|_| rng.next() as u8));
            let _ = inspect(&v, &OPEN);
        }
    }
}
