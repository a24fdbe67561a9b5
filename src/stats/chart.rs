//! The cumulative handled rate and the on-time rate over the months, as a
//! small self-contained SVG line chart.

use super::model::{MonthFigures, MonthlyBody};
use crate::i18n::Locale;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn svg(body: &MonthlyBody, l: Locale) -> String {
    let (w, h) = (760.0_f64, 360.0_f64);
    let (left, right, top, bottom) = (56.0, 24.0, 48.0, 64.0);
    let months = body
        .series
        .first()
        .map(|s| s.months.as_slice())
        .unwrap_or(&[]);
    let n = months.len().max(1);
    let x = |i: usize| {
        left + (w - left - right)
            * if n == 1 {
                0.5
            } else {
                i as f64 / (n - 1) as f64
            }
    };
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v.clamp(0.0, 1.0));
    let (title, l1, l2) = match l {
        Locale::Vi => (
            "Tỷ lệ xử lý phản ánh",
            "Tỷ lệ xử lý lũy kế",
            "Tỷ lệ đúng hạn",
        ),
        Locale::En => ("Reports handled", "Cumulative handled rate", "On-time rate"),
    };
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{left}" y="24" font-size="16" font-weight="bold">{} ({} – {})</text>
"##,
        esc(title),
        esc(&body.from),
        esc(&body.to)
    );
    for pct in [0, 25, 50, 75, 100] {
        let yy = y(f64::from(pct) / 100.0);
        out.push_str(&format!(
            r##"<line x1="{left}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{pct}%</text>
"##,
            w - right,
            left - 6.0,
            yy + 4.0
        ));
    }
    let step = n.div_ceil(12).max(1);
    for (i, m) in months.iter().enumerate() {
        if i % step == 0 || i == n - 1 {
            out.push_str(&format!(
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#555">{}</text>
"##,
                x(i),
                h - bottom + 18.0,
                esc(&m.month)
            ));
        }
    }
    let line = |get: fn(&MonthFigures) -> Option<f64>, color: &str, dash: &str| {
        let mut path = String::new();
        let mut dots = String::new();
        let mut pen_down = false;
        for (i, m) in months.iter().enumerate() {
            match get(m) {
                Some(v) => {
                    path.push_str(&format!(
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x(i),
                        y(v)
                    ));
                    dots.push_str(&format!(
                        r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"><title>{}: {:.1}%</title></circle>"##,
                        x(i),
                        y(v),
                        esc(&m.month),
                        v * 100.0
                    ));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        format!(
            r##"<path d="{}" fill="none" stroke="{color}" stroke-width="2.5" stroke-dasharray="{dash}"/>{dots}
"##,
            path.trim_end()
        )
    };
    out.push_str(&line(|m| m.cumulative_rate, "#1565c0", ""));
    out.push_str(&line(|m| m.on_time_rate, "#2e7d32", "6 4"));
    let ly = h - 18.0;
    out.push_str(&format!(
        r##"<line x1="{left}" y1="{ly}" x2="{:.1}" y2="{ly}" stroke="#1565c0" stroke-width="2.5"/><text x="{:.1}" y="{:.1}">{}</text>
<line x1="{:.1}" y1="{ly}" x2="{:.1}" y2="{ly}" stroke="#2e7d32" stroke-width="2.5" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}">{}</text>
</svg>
"##,
        left + 24.0,
        left + 30.0,
        ly + 4.0,
        esc(l1),
        left + 240.0,
        left + 264.0,
        left + 270.0,
        ly + 4.0,
        esc(l2)
    ));
    out
}
