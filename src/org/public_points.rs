//! The public point of a category's reports follows its `sensitive` flag.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::geo::COARSE_CELL_DEG;
#[cfg(doc)]
use crate::domain::geo::public_point;
use crate::entities::reports;
use crate::error::AppResult;

/// Moves the public point of every report of a category after its
/// `sensitive` flag changed (coarsened when it becomes sensitive, exact when it
/// stops), so the public never sees an exact point of a sensitive category.
/// One set-based statement, whatever the number of reports, so the write
/// lock is held briefly. It computes what [`public_point`] computes (a test
/// holds the two together). Stat-neutral: public points do not feed the
/// rollup.
pub async fn recompute_public_points<C: ConnectionTrait>(
    db: &C,
    category_id: Uuid,
    sensitive: bool,
) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let (lat, lng) = if sensitive {
        (
            coarsened_sql(backend, "lat", 90.0),
            coarsened_sql(backend, "lng", 180.0),
        )
    } else {
        ("lat".to_owned(), "lng".to_owned())
    };
    let res = reports::Entity::update_many()
        .col_expr(reports::Column::PublicLat, Expr::cust(lat))
        .col_expr(reports::Column::PublicLng, Expr::cust(lng))
        .col_expr(
            reports::Column::Version,
            Expr::col(reports::Column::Version).add(1),
        )
        .filter(reports::Column::CategoryId.eq(category_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// SQL for `coarsen` of one column: the centre of its cell, clamped, rounded
/// to 6 decimals. SQLite has no `floor` in every build, so it is spelled
/// with a cast there.
fn coarsened_sql(backend: DatabaseBackend, col: &str, limit: f64) -> String {
    let cell = COARSE_CELL_DEG;
    let q = format!("({col} / {cell:?})");
    let floor = match backend {
        DatabaseBackend::Postgres => format!("floor{q}"),
        _ => format!(
            "(CASE WHEN {q} < CAST({q} AS INTEGER) THEN CAST({q} AS INTEGER) - 1 ELSE CAST({q} AS INTEGER) END)"
        ),
    };
    let snapped = format!("(({floor} + 0.5) * {cell:?})");
    let clamped = format!(
        "(CASE WHEN {snapped} > {limit:?} THEN {limit:?} WHEN {snapped} < -{limit:?} THEN -{limit:?} ELSE {snapped} END)"
    );
    match backend {
        DatabaseBackend::Postgres => {
            format!("CAST(round(CAST({clamped} AS numeric), 6) AS double precision)")
        }
        _ => format!("round({clamped}, 6)"),
    }
}
