//! `citizen-feedback seed-demo`: a realistic city for demos and benchmarks.
//!
//! Hanoi-like: the city, departments and wards (two-level local government,
//! so wards hang directly off the city), a dozen categories with Vietnamese
//! names, routing rules, staff in every role, and months of backdated reports
//! in every status with consistent timelines. Reports and events go in with
//! multi-row inserts in batches, so a million reports take minutes.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::auth::Role;
use crate::calendar::WorkCalendar;
use crate::domain::geo::public_point;
use crate::domain::{EventKind, Locale, Month, Priority, UnitKind};
use crate::entities::{categories, report_events, reports, routing_rules, units, users};
use crate::reports::deadlines::handling_deadline;
use crate::reports::lifecycle::Status;
use crate::reports::text::search_text;
use crate::state::AppState;

/// The password of every demo account (printed by the command).
pub const DEMO_PASSWORD: &str = "Hà Nội demo 2025";

struct Ward {
    code: &'static str,
    name: &'static str,
    area: &'static str,
    lat: f64,
    lng: f64,
}

const WARDS: &[Ward] = &[
    Ward {
        code: "HN-HOANKIEM",
        name: "Phường Hoàn Kiếm",
        area: "00070",
        lat: 21.0285,
        lng: 105.8542,
    },
    Ward {
        code: "HN-CUANAM",
        name: "Phường Cửa Nam",
        area: "00082",
        lat: 21.0245,
        lng: 105.8430,
    },
    Ward {
        code: "HN-BADINH",
        name: "Phường Ba Đình",
        area: "00001",
        lat: 21.0368,
        lng: 105.8345,
    },
    Ward {
        code: "HN-NGOCHA",
        name: "Phường Ngọc Hà",
        area: "00004",
        lat: 21.0410,
        lng: 105.8240,
    },
    Ward {
        code: "HN-GIANGVO",
        name: "Phường Giảng Võ",
        area: "00008",
        lat: 21.0275,
        lng: 105.8190,
    },
    Ward {
        code: "HN-HAIBATRUNG",
        name: "Phường Hai Bà Trưng",
        area: "00256",
        lat: 21.0110,
        lng: 105.8560,
    },
    Ward {
        code: "HN-VINHTUY",
        name: "Phường Vĩnh Tuy",
        area: "00283",
        lat: 20.9990,
        lng: 105.8750,
    },
    Ward {
        code: "HN-BACHMAI",
        name: "Phường Bạch Mai",
        area: "00277",
        lat: 21.0010,
        lng: 105.8500,
    },
    Ward {
        code: "HN-DONGDA",
        name: "Phường Đống Đa",
        area: "00226",
        lat: 21.0150,
        lng: 105.8270,
    },
    Ward {
        code: "HN-KIMLIEN",
        name: "Phường Kim Liên",
        area: "00229",
        lat: 21.0070,
        lng: 105.8360,
    },
    Ward {
        code: "HN-LANG",
        name: "Phường Láng",
        area: "00235",
        lat: 21.0190,
        lng: 105.8080,
    },
    Ward {
        code: "HN-OCHODUA",
        name: "Phường Ô Chợ Dừa",
        area: "00220",
        lat: 21.0200,
        lng: 105.8240,
    },
    Ward {
        code: "HN-TAYHO",
        name: "Phường Tây Hồ",
        area: "00103",
        lat: 21.0680,
        lng: 105.8190,
    },
    Ward {
        code: "HN-CAUGIAY",
        name: "Phường Cầu Giấy",
        area: "00166",
        lat: 21.0330,
        lng: 105.7940,
    },
];

const DEPARTMENTS: &[(&str, &str)] = &[
    ("HN-SXD", "Sở Xây dựng"),
    ("HN-STNMT", "Sở Nông nghiệp và Môi trường"),
    ("HN-SGTVT", "Sở Giao thông vận tải"),
    ("HN-CAHN", "Công an thành phố"),
];

/// (code, name_vi, name_en, group, ack, sla, sensitive, department handling it
/// when no ward rule applies, whether wards handle it)
#[allow(clippy::type_complexity)]
const CATEGORIES: &[(&str, &str, &str, &str, i32, i32, bool, &str, bool)] = &[
    (
        "TRAT_TU_DO_THI",
        "Trật tự đô thị",
        "Urban order",
        "Đô thị",
        8,
        40,
        false,
        "HN-SXD",
        true,
    ),
    (
        "LAN_CHIEM_VIA_HE",
        "Lấn chiếm vỉa hè, lòng đường",
        "Pavement encroachment",
        "Đô thị",
        8,
        24,
        false,
        "HN-SXD",
        true,
    ),
    (
        "XAY_DUNG",
        "Xây dựng trái phép",
        "Illegal construction",
        "Đô thị",
        8,
        80,
        false,
        "HN-SXD",
        true,
    ),
    (
        "MOI_TRUONG",
        "Ô nhiễm môi trường",
        "Pollution",
        "Môi trường",
        8,
        40,
        false,
        "HN-STNMT",
        false,
    ),
    (
        "RAC_THAI",
        "Rác thải, vệ sinh môi trường",
        "Rubbish and cleanliness",
        "Môi trường",
        4,
        16,
        false,
        "HN-STNMT",
        true,
    ),
    (
        "CAY_XANH",
        "Cây xanh",
        "Trees",
        "Môi trường",
        8,
        40,
        false,
        "HN-STNMT",
        true,
    ),
    (
        "GIAO_THONG",
        "Giao thông",
        "Traffic",
        "Hạ tầng",
        4,
        24,
        false,
        "HN-SGTVT",
        false,
    ),
    (
        "CHIEU_SANG",
        "Điện chiếu sáng",
        "Street lights",
        "Hạ tầng",
        8,
        40,
        false,
        "HN-SXD",
        true,
    ),
    (
        "CAP_THOAT_NUOC",
        "Cấp thoát nước, ngập úng",
        "Water supply and flooding",
        "Hạ tầng",
        4,
        24,
        false,
        "HN-SXD",
        false,
    ),
    (
        "TIENG_ON",
        "Tiếng ồn",
        "Noise",
        "Đời sống",
        8,
        24,
        false,
        "HN-STNMT",
        true,
    ),
    (
        "AN_NINH_TRAT_TU",
        "An ninh trật tự",
        "Public order",
        "An ninh",
        2,
        16,
        true,
        "HN-CAHN",
        false,
    ),
    (
        "AN_TOAN_THUC_PHAM",
        "An toàn thực phẩm",
        "Food safety",
        "Đời sống",
        8,
        40,
        false,
        "HN-STNMT",
        true,
    ),
];

const TITLES: &[&str] = &[
    "Đèn đường không sáng nhiều ngày",
    "Rác thải tập kết sai nơi quy định",
    "Lấn chiếm vỉa hè để kinh doanh",
    "Ngập nước sau mưa lớn",
    "Công trình xây dựng không che chắn",
    "Cây xanh có nguy cơ gãy đổ",
    "Tiếng ồn karaoke sau 22 giờ",
    "Ổ gà trên mặt đường",
    "Nắp cống bị vỡ nguy hiểm",
    "Đỗ xe trái phép trên vỉa hè",
    "Khói bụi từ bãi đốt rác",
    "Tụ tập gây mất trật tự",
];

const STREETS: &[&str] = &[
    "Đinh Tiên Hoàng",
    "Tràng Tiền",
    "Hàng Bài",
    "Lý Thường Kiệt",
    "Phan Đình Phùng",
    "Kim Mã",
    "Giảng Võ",
    "Láng Hạ",
    "Đường Láng",
    "Tây Sơn",
    "Xã Đàn",
    "Giải Phóng",
    "Minh Khai",
    "Bạch Mai",
    "Lạc Long Quân",
    "Cầu Giấy",
    "Xuân Thủy",
    "Nguyễn Chí Thanh",
    "Thái Hà",
    "Kim Liên",
];

pub struct SeedOptions {
    pub reports: u64,
    pub months: u32,
    pub seed: u64,
}

pub struct SeedSummary {
    pub units: usize,
    pub categories: usize,
    pub staff: usize,
    pub citizens: usize,
    pub reports: u64,
    pub events: u64,
}

async fn unit<C: ConnectionTrait>(
    db: &C,
    code: &str,
    name: &str,
    kind: &str,
    parent: Option<Uuid>,
    area: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    if let Some(u) = units::Entity::find()
        .filter(units::Column::Code.eq(code))
        .one(db)
        .await?
    {
        return Ok(u.id);
    }
    let u = units::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(code.into()),
        name: Set(name.into()),
        kind: Set(UnitKind::parse(kind).unwrap_or(UnitKind::Other)),
        parent_id: Set(parent),
        area_code: Set(area.map(str::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(u.id)
}

async fn staff_user<C: ConnectionTrait>(
    db: &C,
    email: &str,
    name: &str,
    role: Role,
    unit: Option<Uuid>,
    hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    if let Some(u) = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?
    {
        return Ok(u.id);
    }
    Ok(users::ActiveModel {
        id: Set(Uuid::now_v7()),
        phone: Set(None),
        email: Set(Some(email.into())),
        password_hash: Set(hash.into()),
        full_name: Set(name.into()),
        role: Set(role),
        unit_id: Set(unit),
        locale: Set(Locale::Vi),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
        deleted_at: Set(None),
    }
    .insert(db)
    .await?
    .id)
}

fn ascii(s: &str) -> String {
    crate::reports::text::fold(s).replace(' ', "")
}

/// Builds (or tops up) the demo city and adds `opts.reports` reports.
pub async fn seed(state: &AppState, opts: &SeedOptions) -> anyhow::Result<SeedSummary> {
    let db = &state.db;
    let now = state.clock.now();
    let tz = state.config.city_tz;
    let cal = WorkCalendar::standard(tz);
    // One hash for every demo account: hashing a password per citizen would
    // dominate the run.
    let hash = state.passwords.hash(DEMO_PASSWORD).await?;

    let root = unit(db, "HN", "Thành phố Hà Nội", "city", None, Some("01"), now).await?;
    let mut dept_ids = HashMap::new();
    for (code, name) in DEPARTMENTS {
        dept_ids.insert(
            *code,
            unit(db, code, name, "department", Some(root), None, now).await?,
        );
    }
    let mut ward_ids = Vec::new();
    for w in WARDS {
        ward_ids.push(unit(db, w.code, w.name, "ward", Some(root), Some(w.area), now).await?);
    }

    let mut cats = Vec::new();
    for (code, vi, en, group, ack, sla, sensitive, dept, by_ward) in CATEGORIES {
        let existing = categories::Entity::find()
            .filter(categories::Column::Code.eq(*code))
            .one(db)
            .await?;
        let cat = match existing {
            Some(c) => c,
            None => {
                categories::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    code: Set((*code).into()),
                    name_vi: Set((*vi).into()),
                    name_en: Set((*en).into()),
                    description: Set(None),
                    group: Set(Some((*group).into())),
                    ack_hours: Set(*ack),
                    sla_hours: Set(*sla),
                    default_unit_id: Set(dept_ids.get(dept).copied()),
                    active: Set(true),
                    sensitive: Set(*sensitive),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(db)
                .await?
            }
        };
        if *by_ward {
            for (w, id) in WARDS.iter().zip(&ward_ids) {
                let exists = routing_rules::Entity::find()
                    .filter(routing_rules::Column::CategoryId.eq(cat.id))
                    .filter(routing_rules::Column::AreaCode.eq(w.area))
                    .one(db)
                    .await?
                    .is_some();
                if !exists {
                    routing_rules::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        category_id: Set(cat.id),
                        area_code: Set(w.area.into()),
                        unit_id: Set(*id),
                        created_at: Set(now),
                    }
                    .insert(db)
                    .await?;
                }
            }
        }
        cats.push((cat, *by_ward));
    }

    let mut staff = 0;
    staff_user(
        db,
        "admin@demo.hanoi.gov.vn",
        "Quản trị hệ thống",
        Role::Admin,
        None,
        &hash,
        now,
    )
    .await?;
    staff_user(
        db,
        "dieuphoi@demo.hanoi.gov.vn",
        "Trung tâm điều phối",
        Role::Coordinator,
        Some(root),
        &hash,
        now,
    )
    .await?;
    staff += 2;
    let mut officers: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (w, id) in WARDS.iter().zip(&ward_ids) {
        let slug = ascii(w.name.trim_start_matches("Phường "));
        staff_user(
            db,
            &format!("dieuphoi.{slug}@demo.hanoi.gov.vn"),
            &format!("Điều phối {}", w.name),
            Role::Coordinator,
            Some(*id),
            &hash,
            now,
        )
        .await?;
        for i in 1..=2 {
            let o = staff_user(
                db,
                &format!("canbo{i}.{slug}@demo.hanoi.gov.vn"),
                &format!("Cán bộ {i} {}", w.name),
                Role::Officer,
                Some(*id),
                &hash,
                now,
            )
            .await?;
            officers.entry(*id).or_default().push(o);
        }
        staff += 3;
    }
    for (code, name) in DEPARTMENTS {
        let id = dept_ids[code];
        let slug = code.trim_start_matches("HN-").to_lowercase();
        let o = staff_user(
            db,
            &format!("canbo.{slug}@demo.hanoi.gov.vn"),
            &format!("Cán bộ {name}"),
            Role::Officer,
            Some(id),
            &hash,
            now,
        )
        .await?;
        officers.entry(id).or_default().push(o);
        staff += 1;
    }

    // Citizens: one for every 20 reports (at least 50), phones 09xx from a
    // fixed range so repeated runs find the same people.
    let citizens_n = (opts.reports / 20).clamp(50, 200_000) as usize;
    let mut citizens = Vec::with_capacity(citizens_n);
    let existing: HashMap<String, Uuid> = users::Entity::find()
        .filter(users::Column::Phone.like("+8498%"))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| u.phone.map(|p| (p, u.id)))
        .collect();
    let mut new_citizens = Vec::new();
    for i in 0..citizens_n {
        let phone = format!("+8498{:07}", i);
        if let Some(id) = existing.get(&phone) {
            citizens.push(*id);
            continue;
        }
        let id = Uuid::now_v7();
        citizens.push(id);
        new_citizens.push(users::ActiveModel {
            id: Set(id),
            phone: Set(Some(phone)),
            email: Set(None),
            password_hash: Set(hash.clone()),
            full_name: Set(format!("Công dân {}", i + 1)),
            role: Set(Role::Citizen),
            unit_id: Set(None),
            locale: Set(Locale::Vi),
            created_at: Set(now - Duration::days(i64::from(opts.months) * 31)),
            updated_at: Set(now),
            disabled_at: Set(None),
            deleted_at: Set(None),
        });
    }
    for chunk in new_citizens.chunks(1000) {
        users::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }

    let mut rng = StdRng::seed_from_u64(opts.seed);
    let span = Duration::days(i64::from(opts.months.max(1)) * 30);
    let batch = match db.get_database_backend() {
        DatabaseBackend::Sqlite => 800,
        _ => 1500,
    };
    let mut total_events = 0u64;
    let mut made = 0u64;
    let mut last_by_cat: HashMap<Uuid, Uuid> = HashMap::new();
    let base = reports::Entity::find().count(db).await?;
    while made < opts.reports {
        let n = (opts.reports - made).min(batch);
        let mut rows = Vec::with_capacity(n as usize);
        let mut events = Vec::with_capacity(n as usize * 4);
        for _ in 0..n {
            let created = now - Duration::seconds(rng.random_range(60..span.num_seconds().max(61)));
            let created = crate::clock::truncate(created);
            let (cat, by_ward) = &cats[rng.random_range(0..cats.len())];
            let wi = rng.random_range(0..WARDS.len());
            let w = &WARDS[wi];
            let unit_id = if *by_ward {
                ward_ids[wi]
            } else {
                cat.default_unit_id.unwrap_or(root)
            };
            let lat = w.lat + rng.random_range(-0.006..0.006);
            let lng = w.lng + rng.random_range(-0.006..0.006);
            let (plat, plng) = public_point(lat, lng, cat.sensitive);
            let title = TITLES[rng.random_range(0..TITLES.len())];
            let street = STREETS[rng.random_range(0..STREETS.len())];
            let address = format!("{} {street}, {}", rng.random_range(1..200), w.name);
            let description =
                format!("{title} tại khu vực {street}. Đề nghị cơ quan chức năng kiểm tra, xử lý.");
            let code = seed_code(base + made + rows.len() as u64);
            let reporter = citizens[rng.random_range(0..citizens.len())];
            let officer = officers.get(&unit_id).and_then(|o| o.first().copied());
            let id = Uuid::now_v7();
            let life = simulate(&mut rng, &cal, created, now, cat.ack_hours, cat.sla_hours);
            let duplicate_of = if life.status == Status::Duplicate {
                last_by_cat.get(&cat.id).copied()
            } else {
                None
            };
            let status = if life.status == Status::Duplicate && duplicate_of.is_none() {
                Status::Submitted
            } else {
                life.status
            };
            last_by_cat.insert(cat.id, id);
            let mut ev = |kind: EventKind,
                          from: Option<Status>,
                          to: Option<Status>,
                          at: DateTime<Utc>,
                          actor: Option<Uuid>,
                          msg: Option<&str>| {
                events.push(report_events::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    report_id: Set(id),
                    actor_id: Set(actor),
                    kind: Set(kind),
                    from_status: Set(from),
                    to_status: Set(to),
                    public_message: Set(msg.map(str::to_owned)),
                    internal_note: Set(None),
                    data: Set(None),
                    created_at: Set(at),
                });
            };
            ev(
                EventKind::Created,
                None,
                Some(Status::Submitted),
                created,
                Some(reporter),
                None,
            );
            let mut cur = Status::Submitted;
            for step in &life.steps {
                let (kind, to, actor, msg) = match step.0 {
                    Step::Accept => (EventKind::Accepted, Status::Assigned, None, None),
                    Step::Start => (EventKind::Started, Status::InProgress, officer, None),
                    Step::Resolve => (
                        EventKind::Resolved,
                        Status::Resolved,
                        officer,
                        Some("Đã kiểm tra và xử lý xong."),
                    ),
                    Step::Reject => (
                        EventKind::Rejected,
                        Status::Rejected,
                        None,
                        Some("Nội dung không thuộc thẩm quyền giải quyết."),
                    ),
                    Step::Duplicate => (
                        EventKind::MarkedDuplicate,
                        Status::Duplicate,
                        None,
                        Some("Trùng với phản ánh đã tiếp nhận."),
                    ),
                    Step::Rate => (EventKind::Rated, cur, Some(reporter), None),
                    Step::Close => (EventKind::Closed, Status::Closed, None, None),
                };
                if step.0 == Step::Duplicate && duplicate_of.is_none() {
                    continue;
                }
                if step.0 == Step::Rate {
                    ev(kind, None, None, step.1, actor, msg);
                    continue;
                }
                ev(kind, Some(cur), Some(to), step.1, actor, msg);
                cur = to;
            }
            rows.push(reports::ActiveModel {
                id: Set(id),
                search_text: Set(search_text(&code, title, &description, Some(&address))),
                code: Set(code),
                reporter_id: Set(Some(reporter)),
                category_id: Set(cat.id),
                priority: Set(if rng.random_range(0..20) == 0 {
                    Priority::Urgent
                } else {
                    Priority::Normal
                }),
                title: Set(title.into()),
                description: Set(description),
                lat: Set(lat),
                lng: Set(lng),
                public_lat: Set(plat),
                public_lng: Set(plng),
                address: Set(Some(address)),
                area_code: Set(Some(w.area.into())),
                is_anonymous: Set(rng.random_range(0..10) == 0),
                is_public: Set(rng.random_range(0..20) != 0),
                status: Set(status),
                unit_id: Set(Some(unit_id)),
                assignee_id: Set(life.due_at.and(officer)),
                ack_due_at: Set(life.ack_due_at),
                due_at: Set(life.due_at),
                received_month: Set(Month::of(created, tz).yyyymm()),
                handled_at: Set(life.handled_at),
                handled_month: Set(life.handled_at.map(|t| Month::of(t, tz).yyyymm())),
                resolved_at: Set(life.resolved_at),
                closed_at: Set(life.closed_at),
                rating: Set(life.rating),
                rating_comment: Set(None),
                rated_at: Set(life.rated_at),
                duplicate_of: Set(duplicate_of),
                follower_count: Set(0),
                created_at: Set(created),
                updated_at: Set(life.steps.last().map(|s| s.1).unwrap_or(created)),
                version: Set(i32::try_from(life.steps.len()).unwrap_or(0)),
                client_request_id: Set(None),
                client_request_hash: Set(None),
            });
        }
        total_events += events.len() as u64;
        let txn = crate::db::begin_write(db).await?;
        let mut rollup = crate::stats::rollup::Contribution::default();
        for row in &rows {
            let model: reports::Model = row
                .clone()
                .try_into()
                .map_err(|e: sea_orm::DbErr| anyhow::anyhow!(e))?;
            rollup.merge(&crate::stats::rollup::contributions(&model, tz));
        }
        crate::stats::rollup::apply(&txn, &rollup).await?;
        reports::Entity::insert_many(rows).exec(&txn).await?;
        for chunk in events.chunks(batch as usize * 2) {
            report_events::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        made += n;
    }
    Ok(SeedSummary {
        units: 1 + DEPARTMENTS.len() + WARDS.len(),
        categories: cats.len(),
        staff,
        citizens: citizens.len(),
        reports: made,
        events: total_events,
    })
}

/// Seven-character tracking codes for seeded reports: the n-th report gets a
/// scrambled n (an odd multiplier is a bijection modulo 2^35 = 32^7), so codes
/// never repeat, look random, and never meet the six-character codes of
/// reports filed live.
pub fn seed_code(n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut x = n.wrapping_mul(2_654_435_761) & ((1u64 << 35) - 1);
    let mut out = [0u8; 7];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(x & 31) as usize];
        x >>= 5;
    }
    format!("PA-{}", String::from_utf8_lossy(&out))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Accept,
    Start,
    Resolve,
    Reject,
    Duplicate,
    Rate,
    Close,
}

struct Life {
    status: Status,
    steps: Vec<(Step, DateTime<Utc>)>,
    ack_due_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    handled_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    rated_at: Option<DateTime<Utc>>,
    rating: Option<i16>,
}

/// A plausible history for a report filed at `created`, cut at `now`: every
/// step happens after the one before, and nothing happens in the future.
fn simulate(
    rng: &mut StdRng,
    cal: &WorkCalendar,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
    ack: i32,
    sla: i32,
) -> Life {
    let hours = |h: f64| Duration::minutes((h * 60.0) as i64);
    let work = |from: DateTime<Utc>, h: f64| {
        cal.add_working_hours(from, h.max(0.0).round() as u32)
            .unwrap_or(from + hours(h))
    };
    let ack_due_at = work(created, f64::from(ack));
    let mut life = Life {
        status: Status::Submitted,
        steps: vec![],
        ack_due_at,
        due_at: None,
        handled_at: None,
        resolved_at: None,
        closed_at: None,
        rated_at: None,
        rating: None,
    };
    let roll: u32 = rng.random_range(0..100);
    let accept_at = work(created, f64::from(ack) * rng.random_range(0.1..1.3));
    if accept_at > now {
        return life;
    }
    if roll < 4 {
        life.steps.push((Step::Duplicate, accept_at));
        life.status = Status::Duplicate;
        return life;
    }
    if roll < 10 {
        life.steps.push((Step::Reject, accept_at));
        life.status = Status::Rejected;
        life.handled_at = Some(accept_at);
        return life;
    }
    life.steps.push((Step::Accept, accept_at));
    life.status = Status::Assigned;
    life.due_at = Some(handling_deadline(cal, accept_at, sla, false));
    // Some reports are forgotten after assignment: the overdue backlog.
    let stuck = rng.random_range(0..100) < 5;
    let start_at = accept_at + hours(rng.random_range(0.5..24.0));
    if start_at > now || (stuck && rng.random_range(0..2) == 0) {
        return life;
    }
    life.steps.push((Step::Start, start_at));
    life.status = Status::InProgress;
    // Most are handled within the deadline; some run late.
    let resolve_at = work(start_at, f64::from(sla) * rng.random_range(0.1..1.4));
    if resolve_at > now || stuck {
        return life;
    }
    life.steps.push((Step::Resolve, resolve_at));
    life.status = Status::Resolved;
    life.handled_at = Some(resolve_at);
    life.resolved_at = Some(resolve_at);
    if rng.random_range(0..100) < 60 {
        let rated_at = resolve_at + hours(rng.random_range(1.0..96.0));
        if rated_at <= now {
            let score: i16 = *[5, 5, 5, 4, 4, 4, 3, 2, 1]
                .get(rng.random_range(0..9))
                .unwrap_or(&4);
            life.steps.push((Step::Rate, rated_at));
            life.rated_at = Some(rated_at);
            life.rating = Some(score);
            if score >= 3 {
                life.steps.push((Step::Close, rated_at));
                life.status = Status::Closed;
                life.closed_at = Some(rated_at);
                return life;
            }
        }
    }
    let auto = resolve_at + Duration::days(7);
    if auto <= now {
        life.steps.push((Step::Close, auto));
        life.status = Status::Closed;
        life.closed_at = Some(auto);
    }
    life
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..200_000 {
            let c = seed_code(n);
            assert_eq!(c.len(), 10);
            assert!(seen.insert(c));
        }
    }

    #[test]
    fn simulated_histories_are_consistent() {
        let cal = WorkCalendar::standard(chrono_tz::Asia::Ho_Chi_Minh);
        let now = Utc::now();
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..2000 {
            let created = now - Duration::hours(rng.random_range(1..24 * 200));
            let life = simulate(&mut rng, &cal, created, now, 8, 40);
            let mut t = created;
            for (_, at) in &life.steps {
                assert!(*at >= t && *at <= now);
                t = *at;
            }
            assert_eq!(
                life.handled_at.is_some(),
                life.status.is_handled() || (life.status == Status::Closed)
            );
            if life.status == Status::Closed {
                assert!(life.closed_at.is_some() && life.resolved_at.is_some());
            }
        }
    }
}
