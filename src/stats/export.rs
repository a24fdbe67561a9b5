//! Monthly figures as files: CSV (UTF-8 with a byte-order mark, so Excel
//! shows Vietnamese correctly) and XLSX (a header row, number formats,
//! percentages). Column headers follow the request's language.

use rust_xlsxwriter::{Format, Workbook};

use super::model::{MonthFigures, MonthlyBody};
use crate::i18n::Locale;

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileFormat {
    #[default]
    Csv,
    Xlsx,
    Json,
}

impl FileFormat {
    /// `csv`, `xlsx` or `json`.
    pub fn parse(s: &str) -> Option<FileFormat> {
        match s {
            "csv" => Some(FileFormat::Csv),
            "xlsx" => Some(FileFormat::Xlsx),
            "json" => Some(FileFormat::Json),
            _ => None,
        }
    }

    /// The name, which is also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
            FileFormat::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv; charset=utf-8",
            FileFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileFormat::Json => "application/json",
        }
    }
}

/// The month's figures as a file of `format`.
pub fn render(body: &MonthlyBody, format: FileFormat, l: Locale) -> anyhow::Result<Vec<u8>> {
    match format {
        FileFormat::Csv => csv(body, l),
        FileFormat::Xlsx => xlsx(body, l),
        FileFormat::Json => Ok(serde_json::to_vec_pretty(body)?),
    }
}

struct Column {
    vi: &'static str,
    en: &'static str,
    kind: Kind,
    get: fn(&MonthFigures) -> Option<f64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Count,
    Rate,
    Decimal,
}

fn n(v: i64) -> Option<f64> {
    Some(v as f64)
}

const COLUMNS: &[Column] = &[
    Column {
        vi: "Tiếp nhận",
        en: "Received",
        kind: Kind::Count,
        get: |m| n(m.received),
    },
    Column {
        vi: "Đã xử lý",
        en: "Handled",
        kind: Kind::Count,
        get: |m| n(m.handled),
    },
    Column {
        vi: "Xử lý trong tháng",
        en: "Handled in month",
        kind: Kind::Count,
        get: |m| n(m.handled_in_month),
    },
    Column {
        vi: "Đúng hạn",
        en: "On time",
        kind: Kind::Count,
        get: |m| n(m.handled_on_time),
    },
    Column {
        vi: "Từ chối",
        en: "Rejected",
        kind: Kind::Count,
        get: |m| n(m.rejected),
    },
    Column {
        vi: "Trùng lặp",
        en: "Duplicates",
        kind: Kind::Count,
        get: |m| n(m.duplicates),
    },
    Column {
        vi: "Tỷ lệ xử lý",
        en: "Handled rate",
        kind: Kind::Rate,
        get: |m| m.cohort_rate,
    },
    Column {
        vi: "Tỷ lệ xử lý lũy kế",
        en: "Cumulative handled rate",
        kind: Kind::Rate,
        get: |m| m.cumulative_rate,
    },
    Column {
        vi: "Tỷ lệ đúng hạn",
        en: "On-time rate",
        kind: Kind::Rate,
        get: |m| m.on_time_rate,
    },
    Column {
        vi: "Thời gian xử lý trung vị (giờ)",
        en: "Median resolution (hours)",
        kind: Kind::Count,
        get: |m| m.median_resolution_hours.map(|v| v as f64),
    },
    Column {
        vi: "Thời gian xử lý P90 (giờ)",
        en: "P90 resolution (hours)",
        kind: Kind::Count,
        get: |m| m.p90_resolution_hours.map(|v| v as f64),
    },
    Column {
        vi: "Điểm hài lòng trung bình",
        en: "Mean rating",
        kind: Kind::Decimal,
        get: |m| m.mean_rating,
    },
    Column {
        vi: "Số lượt đánh giá",
        en: "Ratings",
        kind: Kind::Count,
        get: |m| n(m.rating_count),
    },
    Column {
        vi: "Tồn cuối tháng",
        en: "Open at month end",
        kind: Kind::Count,
        get: |m| n(m.open_at_end),
    },
    Column {
        vi: "Quá hạn cuối tháng",
        en: "Overdue at month end",
        kind: Kind::Count,
        get: |m| n(m.overdue_at_end),
    },
];

fn first_headers(l: Locale) -> [&'static str; 2] {
    match l {
        Locale::Vi => ["Tháng", "Nhóm"],
        Locale::En => ["Month", "Group"],
    }
}

fn header(c: &Column, l: Locale) -> &'static str {
    match l {
        Locale::Vi => c.vi,
        Locale::En => c.en,
    }
}

/// Text that a spreadsheet would run as a formula is quoted with a leading
/// apostrophe (CSV injection).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

pub fn csv(body: &MonthlyBody, l: Locale) -> anyhow::Result<Vec<u8>> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let mut head: Vec<&str> = first_headers(l).to_vec();
        head.extend(COLUMNS.iter().map(|c| header(c, l)));
        w.write_record(&head)?;
        for s in &body.series {
            for m in &s.months {
                let mut row = vec![m.month.clone(), cell(&s.name)];
                for c in COLUMNS {
                    row.push(match ((c.get)(m), c.kind) {
                        (None, _) => String::new(),
                        (Some(v), Kind::Count) => format!("{}", v as i64),
                        (Some(v), Kind::Rate) => format!("{:.2}%", v * 100.0),
                        (Some(v), Kind::Decimal) => format!("{v:.2}"),
                    });
                }
                w.write_record(&row)?;
            }
        }
        w.flush()?;
    }
    Ok(out)
}

pub fn xlsx(body: &MonthlyBody, l: Locale) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name(match l {
        Locale::Vi => "Thống kê",
        Locale::En => "Statistics",
    })?;
    let bold = Format::new().set_bold().set_text_wrap();
    let pct = Format::new().set_num_format("0.00%");
    let int = Format::new().set_num_format("#,##0");
    let dec = Format::new().set_num_format("0.00");
    for (i, h) in first_headers(l).iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (j, c) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, (j + 2) as u16, header(c, l), &bold)?;
    }
    let mut row = 1u32;
    for s in &body.series {
        for m in &s.months {
            sheet.write_string(row, 0, &m.month)?;
            sheet.write_string(row, 1, cell(&s.name))?;
            for (j, c) in COLUMNS.iter().enumerate() {
                if let Some(v) = (c.get)(m) {
                    let f = match c.kind {
                        Kind::Count => &int,
                        Kind::Rate => &pct,
                        Kind::Decimal => &dec,
                    };
                    sheet.write_number_with_format(row, (j + 2) as u16, v, f)?;
                }
            }
            row += 1;
        }
    }
    sheet.set_column_width(1, 32)?;
    sheet.set_freeze_panes(1, 2)?;
    Ok(wb.save_to_buffer()?)
}
