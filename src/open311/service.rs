//! Open311 reads: active categories as services, public reports as service
//! requests, shown exactly as the public feed shows them.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::model::{
    MAX_RESULTS, Open311Error, RequestDoc, RequestsQuery, ServiceDoc, iso, open311_status,
};
use crate::context::Ctx;
use crate::domain::Status;
use crate::entities::{categories, open311_requests, report_events, report_media, reports, units};
use crate::error::AppResult;

fn service_doc(c: categories::Model) -> ServiceDoc {
    ServiceDoc {
        service_code: c.code,
        service_name: c.name_vi,
        description: c.description.unwrap_or_default(),
        // Every service takes the optional `area_code` attribute.
        metadata: true,
        kind: "realtime".to_owned(),
        keywords: c.name_en,
        group: c.group.unwrap_or_default(),
    }
}

/// Active categories, by code.
pub async fn services(ctx: Ctx<'_>) -> AppResult<Vec<ServiceDoc>> {
    Ok(categories::Entity::find()
        .filter(categories::Column::Active.eq(true))
        .order_by_asc(categories::Column::Code)
        .all(ctx.db)
        .await?
        .into_iter()
        .map(service_doc)
        .collect())
}

/// One active category, or a 404 error.
pub async fn service(ctx: Ctx<'_>, code: &str) -> AppResult<Result<ServiceDoc, Open311Error>> {
    let found = categories::Entity::find()
        .filter(categories::Column::Active.eq(true))
        .filter(categories::Column::Code.eq(code))
        .one(ctx.db)
        .await?;
    Ok(found
        .map(service_doc)
        .ok_or_else(|| Open311Error::not_found(format!("service_code {code} not found"))))
}

/// Public reports matching `q`, newest first, at most `MAX_RESULTS`.
pub async fn requests(
    ctx: Ctx<'_>,
    q: &RequestsQuery,
    base_url: &str,
) -> AppResult<Vec<RequestDoc>> {
    let mut find = reports::Entity::find().filter(reports::Column::IsPublic.eq(true));
    match q {
        RequestsQuery::Ids(codes) => {
            find = find.filter(reports::Column::Code.is_in(codes.clone()));
        }
        RequestsQuery::Window {
            service_codes,
            start,
            end,
            open,
        } => {
            if !service_codes.is_empty() {
                let ids: Vec<Uuid> = categories::Entity::find()
                    .select_only()
                    .column(categories::Column::Id)
                    .filter(categories::Column::Code.is_in(service_codes.clone()))
                    .into_tuple()
                    .all(ctx.db)
                    .await?;
                find = find.filter(reports::Column::CategoryId.is_in(ids));
            }
            find = find
                .filter(reports::Column::CreatedAt.gte(*start))
                .filter(reports::Column::CreatedAt.lte(*end));
            match open {
                Some(true) => find = find.filter(reports::Column::Status.is_in(Status::OPEN)),
                Some(false) => find = find.filter(reports::Column::Status.is_not_in(Status::OPEN)),
                None => {}
            }
        }
    }
    let rows = find
        .order_by_desc(reports::Column::CreatedAt)
        .order_by_desc(reports::Column::Id)
        .limit(MAX_RESULTS)
        .all(ctx.db)
        .await?;
    docs(ctx, rows, base_url).await
}

async fn docs(
    ctx: Ctx<'_>,
    rows: Vec<reports::Model>,
    base_url: &str,
) -> AppResult<Vec<RequestDoc>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let cats: HashMap<Uuid, categories::Model> = categories::Entity::find()
        .filter(
            categories::Column::Id.is_in(rows.iter().map(|r| r.category_id).collect::<Vec<_>>()),
        )
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let unit_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.unit_id).collect();
    let units: HashMap<Uuid, String> = units::Entity::find()
        .filter(units::Column::Id.is_in(unit_ids))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut first_media: HashMap<Uuid, Uuid> = HashMap::new();
    for l in report_media::Entity::find()
        .filter(report_media::Column::ReportId.is_in(ids.clone()))
        .order_by_desc(report_media::Column::Position)
        .all(ctx.db)
        .await?
    {
        // Descending, so the last written is the first photo.
        first_media.insert(l.report_id, l.media_id);
    }
    // A link an Open311 client sent, where there is no photo of ours.
    let links: HashMap<Uuid, String> = open311_requests::Entity::find()
        .filter(open311_requests::Column::ReportId.is_in(ids.clone()))
        .filter(open311_requests::Column::MediaUrl.is_not_null())
        .all(ctx.db)
        .await?
        .into_iter()
        .filter_map(|o| o.media_url.map(|u| (o.report_id, u)))
        .collect();
    // Status changes with a public message, oldest first: the last one kept
    // per report is its latest.
    let by_report: HashMap<Uuid, Option<Uuid>> =
        rows.iter().map(|r| (r.id, r.reporter_id)).collect();
    let mut notes: HashMap<Uuid, String> = HashMap::new();
    for e in report_events::Entity::find()
        .filter(report_events::Column::ReportId.is_in(ids))
        .filter(report_events::Column::ToStatus.is_not_null())
        .filter(report_events::Column::PublicMessage.is_not_null())
        .order_by_asc(report_events::Column::CreatedAt)
        .order_by_asc(report_events::Column::Id)
        .all(ctx.db)
        .await?
    {
        let reporter = by_report.get(&e.report_id).copied().flatten();
        // Never what the citizen wrote (a reopen reason): staff only.
        let by_reporter = e.actor_id.is_some() && e.actor_id == reporter;
        if let (false, Some(m)) = (by_reporter, e.public_message) {
            notes.insert(e.report_id, m);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let cat = cats.get(&r.category_id);
            let sensitive = cat.is_some_and(|c| c.sensitive);
            RequestDoc {
                status: open311_status(r.status).to_owned(),
                status_notes: notes.remove(&r.id),
                service_name: cat.map(|c| c.name_vi.clone()).unwrap_or_default(),
                service_code: cat.map(|c| c.code.clone()).unwrap_or_default(),
                description: r.description,
                agency_responsible: r.unit_id.and_then(|u| units.get(&u)).cloned(),
                service_notice: None,
                requested_datetime: iso(r.created_at),
                updated_datetime: iso(r.updated_at),
                expected_datetime: r.due_at.map(iso),
                // As in the public feed: no address for sensitive categories,
                // and the coarsened point.
                address: if sensitive { None } else { r.address },
                address_id: None,
                zipcode: None,
                lat: r.public_lat,
                long: r.public_lng,
                media_url: first_media
                    .get(&r.id)
                    .map(|m| format!("{base_url}/api/v1/media/{m}"))
                    .or_else(|| links.get(&r.id).cloned()),
                service_request_id: r.code,
            }
        })
        .collect())
}
