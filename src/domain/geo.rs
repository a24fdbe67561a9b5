//! Locations: validity, the public (coarsened) point, bounding boxes.

/// Cell size for sensitive categories: 0.005° ≈ 555 m of latitude (and about
/// 520 m of longitude at Hanoi's latitude).
pub const COARSE_CELL_DEG: f64 = 0.005;

/// The centre of the cell the point falls in: every point in a cell maps to
/// the same public location, so nothing finer leaks.
pub fn coarsen(lat: f64, lng: f64) -> (f64, f64) {
    let snap = |v: f64| ((v / COARSE_CELL_DEG).floor() + 0.5) * COARSE_CELL_DEG;
    let round6 = |v: f64| (v * 1e6).round() / 1e6;
    (
        round6(snap(lat).clamp(-90.0, 90.0)),
        round6(snap(lng).clamp(-180.0, 180.0)),
    )
}

/// The point shown to the public.
pub fn public_point(lat: f64, lng: f64, sensitive: bool) -> (f64, f64) {
    if sensitive {
        coarsen(lat, lng)
    } else {
        (lat, lng)
    }
}

/// Official area codes are digits; letters, '.' and '-' are allowed for
/// local schemes. Nothing that a spreadsheet would read as a formula.
pub fn valid_area_code(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 32
        && a.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lng: f64,
    pub min_lat: f64,
    pub max_lng: f64,
    pub max_lat: f64,
}

impl BBox {
    /// `minLng,minLat,maxLng,maxLat`.
    pub fn parse(s: &str) -> Option<BBox> {
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        let [min_lng, min_lat, max_lng, max_lat] = v[..] else {
            return None;
        };
        let b = BBox {
            min_lng,
            min_lat,
            max_lng,
            max_lat,
        };
        (valid_point(min_lat, min_lng)
            && valid_point(max_lat, max_lng)
            && min_lng <= max_lng
            && min_lat <= max_lat)
            .then_some(b)
    }

    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lng..=self.max_lng).contains(&lng)
    }
}

pub fn valid_point(lat: f64, lng: f64) -> bool {
    lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarsening_hides_the_point_within_a_cell() {
        let (a, b) = coarsen(21.028511, 105.854167);
        assert_eq!((a, b), (21.0275, 105.8525));
        // Every point of the cell gives the same answer.
        assert_eq!(coarsen(21.025001, 105.850001), (a, b));
        assert_eq!(coarsen(21.029999, 105.854999), (a, b));
        // ... and it is within half a cell of the truth.
        assert!((a - 21.028511).abs() <= COARSE_CELL_DEG / 2.0 + 1e-9);
        assert_eq!(
            public_point(21.028511, 105.854167, false),
            (21.028511, 105.854167)
        );
    }

    #[test]
    fn bbox() {
        let b = BBox::parse("105.8,21.0,105.9,21.1").expect("bbox");
        assert!(b.contains(21.05, 105.85));
        assert!(!b.contains(21.2, 105.85));
        for bad in [
            "",
            "1,2,3",
            "a,b,c,d",
            "105.9,21.0,105.8,21.1",
            "0,0,0,91",
            "1,2,3,4,5",
        ] {
            assert_eq!(BBox::parse(bad), None, "{bad}");
        }
    }
}
