//! `inspect` on hostile input: it must return (an answer or an error), never
//! panic, and never hand back something unbounded. Deterministic sweeps
//! (every truncation, fixed-seed mutations) plus property tests with a
//! bounded number of cases, so the whole module runs in seconds.

use proptest::prelude::*;
use proptest::sample::Index;

use super::fixtures::{LIM, Rng, crc32, samples};
use super::{InspectError, Limits, MediaKind, inspect, sniff::sniff};

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

/// What must hold for any input, whatever the answer.
fn check(input: &[u8], limits: &Limits) -> Result<(), TestCaseError> {
    let r = match inspect(input, limits) {
        Ok(r) => r,
        Err(InspectError::Unsupported) => {
            prop_assert!(sniff(input).is_none());
            return Ok(());
        }
        Err(InspectError::TooManyPixels { width, height }) => {
            prop_assert!(
                width > limits.max_side
                    || height > limits.max_side
                    || u64::from(width) * u64::from(height) > limits.max_pixels
            );
            return Ok(());
        }
        Err(InspectError::Corrupt) => return Ok(()),
    };
    prop_assert_eq!(Some(r.kind), sniff(input));
    // At most a minimal EXIF block more than what came in.
    prop_assert!(r.bytes.len() <= input.len() + 16);
    if matches!(r.kind, MediaKind::Mp4 | MediaKind::Heic) {
        prop_assert_eq!(r.bytes.len(), input.len(), "scrubbed in place");
    }
    if r.kind.is_image() {
        let (w, h) = r
            .width
            .zip(r.height)
            .ok_or_else(|| TestCaseError::fail("an accepted image has dimensions"))?;
        prop_assert!(w > 0 && h > 0 && w <= limits.max_side);
        prop_assert!(u64::from(w) * u64::from(h) <= limits.max_pixels);
    }
    // What was stored can be inspected again without a panic.
    let _ = inspect(&r.bytes, limits);
    Ok(())
}

#[derive(Debug, Clone)]
enum Edit {
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![Just(0u8), Just(0xFF), Just(1), any::<u8>()];
    prop_oneof![
        4 => (any::<Index>(), byte).prop_map(|(i, b)| Edit::Set(i, b)),
        1 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, v)| Edit::Insert(i, v)),
        1 => (any::<Index>(), 1usize..32).prop_map(|(i, n)| Edit::Remove(i, n)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut f: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if f.is_empty() {
            break;
        }
        match e {
            Edit::Set(i, b) => {
                let i = i.index(f.len());
                f[i] = *b;
            }
            Edit::Insert(i, v) => {
                let i = i.index(f.len() + 1);
                f.splice(i..i, v.iter().copied());
            }
            Edit::Remove(i, n) => {
                let i = i.index(f.len());
                let end = (i + n).min(f.len());
                f.drain(i..end);
            }
            Edit::Truncate(i) => {
                let i = i.index(f.len());
                f.truncate(i);
            }
        }
    }
    f
}

/// Recomputes the CRC of every whole PNG chunk, so that mutations reach
/// past the CRC check into the chunk logic.
fn fix_png_crcs(f: &mut [u8]) {
    if !f.starts_with(b"\x89PNG\r\n\x1a\n") {
        return;
    }
    let mut pos = 8;
    while let Some(len) = f
        .get(pos..pos + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    {
        let Some(crc_at) = (pos + 8).checked_add(len) else {
            return;
        };
        if crc_at + 4 > f.len() {
            return;
        }
        let crc = crc32(&f[pos + 4..crc_at]);
        f[crc_at..crc_at + 4].copy_from_slice(&crc.to_be_bytes());
        pos = crc_at + 4;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_behind_each_magic(
        magic in 0..MAGICS.len(),
        tail in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut input = MAGICS[magic].to_vec();
        input.extend(tail);
        check(&input, &LIM)?;
        check(&input, &OPEN)?;
    }

    #[test]
    fn mutated_real_files(
        sample in any::<Index>(),
        edits in proptest::collection::vec(edit(), 1..6),
        fix_crcs in any::<bool>(),
    ) {
        let samples = samples();
        let mut input = apply(sample.get(&samples).clone(), &edits);
        if fix_crcs {
            fix_png_crcs(&mut input);
        }
        check(&input, &LIM)?;
        check(&input, &OPEN)?;
    }
}

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
