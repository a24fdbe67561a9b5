//! The public point of a category's reports follows its `sensitive` flag.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::geo::public_point;
use crate::entities::reports;
use crate::error::AppResult;

/// Moves the public point of every report of a category after its
/// `sensitive` flag changed (coarsened when it becomes sensitive, exact when it
/// stops), so the public never sees an exact point of a sensitive category.
/// Stat-neutral: public points do not feed the rollup.
pub async fn recompute_public_points<C: ConnectionTrait>(
    db: &C,
    category_id: Uuid,
    sensitive: bool,
) -> AppResult<u64> {
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};
    let mut pages = reports::Entity::find()
        .select_only()
        .column(reports::Column::Id)
        .column(reports::Column::Lat)
        .column(reports::Column::Lng)
        .filter(reports::Column::CategoryId.eq(category_id))
        .order_by_asc(reports::Column::Id)
        .into_tuple::<(Uuid, f64, f64)>()
        .paginate(db, 1000);
    let mut n = 0;
    while let Some(batch) = pages.fetch_and_next().await? {
        for (id, lat, lng) in batch {
            let (plat, plng) = public_point(lat, lng, sensitive);
            reports::Entity::update_many()
                .col_expr(reports::Column::PublicLat, Expr::value(plat))
                .col_expr(reports::Column::PublicLng, Expr::value(plng))
                .col_expr(
                    reports::Column::Version,
                    Expr::col(reports::Column::Version).add(1),
                )
                .filter(reports::Column::Id.eq(id))
                .exec(db)
                .await?;
            n += 1;
        }
    }
    Ok(n)
}
