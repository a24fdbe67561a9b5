//! What makes `seed-demo` resumable: the `seed_runs` row of a run (what was
//! asked, where its report numbers start, how many chunks are in: each chunk
//! moves it forward in the transaction that writes the chunk), and the
//! secondary indexes a large load drops (`seed_dropped_indexes`, written in
//! the transaction that drops them, deleted in the one that builds each
//! again), so a seed killed at any point leaves the database consistent and
//! the same command finishes the job.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

use super::SeedOptions;

/// A run of `seed-demo`: new, or an interrupted one taken up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub id: i32,
    /// The number of the run's first report: chunk `k` holds the reports
    /// numbered from `first_number + k * chunk`.
    pub first_number: u64,
    /// Chunks already written (by an earlier, interrupted process).
    pub chunks_done: u64,
}

/// How many chunks `reports` make.
pub fn chunks(reports: u64, chunk: u64) -> u64 {
    reports.div_ceil(Ord::max(chunk, 1))
}

/// The number of reports in chunk `k`.
pub fn chunk_len(reports: u64, chunk: u64, k: u64) -> u64 {
    let chunk = Ord::max(chunk, 1);
    Ord::min(reports.saturating_sub(k * chunk), chunk)
}

fn t(name: &str) -> Alias {
    Alias::new(name)
}

/// The unfinished run asked for exactly as `opts` asks, if any; otherwise a
/// new run whose report numbers follow every report and every run before it.
pub async fn start(
    db: &DatabaseConnection,
    opts: &SeedOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<Run> {
    let backend = db.get_database_backend();
    let find = Query::select()
        .columns(["id", "first_number", "chunks_done"].map(t))
        .from(t("seed_runs"))
        .and_where(Expr::col(t("finished_at")).is_null())
        .and_where(Expr::col(t("seed")).eq(opts.seed as i64))
        .and_where(Expr::col(t("reports")).eq(opts.reports as i64))
        .and_where(Expr::col(t("months")).eq(i64::from(opts.months)))
        .and_where(Expr::col(t("chunk")).eq(opts.chunk as i64))
        .order_by(t("id"), Order::Desc)
        .limit(1)
        .to_owned();
    if let Some(row) = db.query_one_raw(backend.build(&find)).await? {
        return Ok(Run {
            id: row.try_get("", "id")?,
            first_number: row.try_get::<i64>("", "first_number")? as u64,
            chunks_done: row.try_get::<i64>("", "chunks_done")? as u64,
        });
    }
    // After every report there is, and after every number an earlier run
    // took (an abandoned run may still be finished later).
    let taken = Query::select()
        .expr_as(
            Func::coalesce([
                Func::max(Expr::col(t("first_number")).add(Expr::col(t("reports")))).into(),
                Expr::val(0_i64),
            ]),
            t("n"),
        )
        .from(t("seed_runs"))
        .to_owned();
    let taken: i64 = match db.query_one_raw(backend.build(&taken)).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    let count = Query::select()
        .expr_as(Func::count(Expr::col(t("id"))), t("n"))
        .from(t("reports"))
        .to_owned();
    let count: i64 = match db.query_one_raw(backend.build(&count)).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    let first_number = Ord::max(taken, count);
    let insert = Query::insert()
        .into_table(t("seed_runs"))
        .columns(
            [
                "seed",
                "reports",
                "months",
                "chunk",
                "first_number",
                "chunks_done",
                "started_at",
                "updated_at",
            ]
            .map(t),
        )
        .values_panic([
            (opts.seed as i64).into(),
            (opts.reports as i64).into(),
            i64::from(opts.months).into(),
            (opts.chunk as i64).into(),
            first_number.into(),
            0_i64.into(),
            now.into(),
            now.into(),
        ])
        .returning_col(t("id"))
        .to_owned();
    let row = db
        .query_one_raw(backend.build(&insert))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no id for the new seed run"))?;
    Ok(Run {
        id: row.try_get("", "id")?,
        first_number: first_number as u64,
        chunks_done: 0,
    })
}

/// Chunk `k` of `run` is written: in the chunk's transaction. Fails when
/// the run is not at chunk `k` (another process is seeding the same run).
pub async fn advance<C: ConnectionTrait>(
    db: &C,
    run: &Run,
    k: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let update = Query::update()
        .table(t("seed_runs"))
        .value(t("chunks_done"), (k + 1) as i64)
        .value(t("updated_at"), now)
        .and_where(Expr::col(t("id")).eq(run.id))
        .and_where(Expr::col(t("chunks_done")).eq(k as i64))
        .to_owned();
    let res = db
        .execute_raw(db.get_database_backend().build(&update))
        .await?;
    anyhow::ensure!(
        res.rows_affected() == 1,
        "seed run {} is not at chunk {k}: is another seed-demo running?",
        run.id
    );
    Ok(())
}

/// The same, in the text of a statement (for a connection outside sea-orm).
pub fn advance_sql(run: &Run, k: u64) -> String {
    format!(
        "UPDATE seed_runs SET chunks_done = {}, updated_at = now() WHERE id = {} AND chunks_done = {k}",
        k + 1,
        run.id
    )
}

pub async fn finish(db: &DatabaseConnection, run: &Run, now: DateTime<Utc>) -> anyhow::Result<()> {
    let update = Query::update()
        .table(t("seed_runs"))
        .value(t("finished_at"), now)
        .value(t("updated_at"), now)
        .and_where(Expr::col(t("id")).eq(run.id))
        .to_owned();
    db.execute_raw(db.get_database_backend().build(&update))
        .await?;
    Ok(())
}

/// The tables whose secondary indexes a large load drops.
const LOADED: [&str; 2] = ["reports", "report_events"];

/// A secondary index as the database holds it: its own `CREATE INDEX`
/// statement, so it is built again exactly as the migration made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub definition: String,
}

/// The non-unique, non-primary indexes of `reports` and `report_events`
/// (unique ones stay: they keep codes and idempotency keys unique during
/// the load).
async fn secondary<C: ConnectionTrait>(db: &C) -> anyhow::Result<Vec<Index>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT i.relname AS name, c.relname AS table_name, \
                    pg_get_indexdef(i.oid) AS definition \
             FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class c ON c.oid = x.indrelid \
             WHERE c.relname IN ('reports', 'report_events') \
               AND c.relnamespace = current_schema()::regnamespace \
               AND NOT x.indisunique AND NOT x.indisprimary \
             ORDER BY i.relname"
        }
        _ => {
            "SELECT name, tbl_name AS table_name, sql AS definition \
             FROM sqlite_master \
             WHERE type = 'index' AND tbl_name IN ('reports', 'report_events') \
               AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE%' \
             ORDER BY name"
        }
    };
    debug_assert!(LOADED.iter().all(|l| sql.contains(l)));
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Index {
                name: r.try_get("", "name")?,
                table: r.try_get("", "table_name")?,
                definition: r.try_get("", "definition")?,
            })
        })
        .collect()
}

/// `CREATE INDEX x ...` as `CREATE INDEX IF NOT EXISTS x ...`, so building
/// an index again is harmless.
pub fn if_not_exists(definition: &str) -> String {
    const PLAIN: &str = "CREATE INDEX ";
    match definition.get(..PLAIN.len()) {
        Some(head) if head.eq_ignore_ascii_case(PLAIN) => {
            let rest = &definition[PLAIN.len()..];
            if rest
                .get(..14)
                .is_some_and(|s| s.eq_ignore_ascii_case("IF NOT EXISTS "))
            {
                definition.to_owned()
            } else {
                format!("CREATE INDEX IF NOT EXISTS {rest}")
            }
        }
        _ => definition.to_owned(),
    }
}

/// Drops the secondary indexes of the loaded tables, remembering each in the
/// same transaction. Returns how many were dropped.
pub async fn drop_indexes(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let txn = crate::db::begin_write(db).await?;
    let backend = txn.get_database_backend();
    let found = secondary(&txn).await?;
    for i in &found {
        let keep = Query::insert()
            .into_table(t("seed_dropped_indexes"))
            .columns(["name", "table_name", "definition"].map(t))
            .values_panic([
                i.name.clone().into(),
                i.table.clone().into(),
                i.definition.clone().into(),
            ])
            .on_conflict(OnConflict::column(t("name")).do_nothing().to_owned())
            .to_owned();
        txn.execute_raw(backend.build(&keep)).await?;
        // Names come from the catalog; quoted all the same.
        let name = i.name.replace('"', "\"\"");
        txn.execute_unprepared(&format!("DROP INDEX \"{name}\""))
            .await?;
    }
    txn.commit().await?;
    Ok(found.len())
}

/// Whether the seed may switch off foreign-key triggers for its own
/// transactions (`session_replication_role`, a superuser's setting on
/// PostgreSQL). Never on SQLite.
pub async fn may_skip_fk_checks(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let backend = db.get_database_backend();
    if backend != DatabaseBackend::Postgres {
        return Ok(false);
    }
    let sql = "SELECT current_setting('is_superuser') = 'on' AS su";
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "su")?,
        None => false,
    })
}

/// Builds again every index a load dropped (this run's or an interrupted
/// one's), one transaction each. Returns how many. On PostgreSQL the
/// trigram index (GIN, the slowest to build by far) is built on one
/// connection while the B-trees are built on another.
pub async fn restore_indexes(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let backend = db.get_database_backend();
    let list = Query::select()
        .columns(["name", "definition"].map(t))
        .from(t("seed_dropped_indexes"))
        .order_by(t("name"), Order::Asc)
        .to_owned();
    let mut dropped = Vec::new();
    for r in db.query_all_raw(backend.build(&list)).await? {
        let name: String = r.try_get("", "name")?;
        let definition: String = r.try_get("", "definition")?;
        dropped.push((name, definition));
    }
    let n = dropped.len();
    if backend == DatabaseBackend::Postgres {
        let (gin, btree): (Vec<_>, Vec<_>) = dropped
            .into_iter()
            .partition(|(_, d)| d.to_ascii_uppercase().contains(" USING GIN "));
        tokio::try_join!(build(db, gin), build(db, btree))?;
    } else {
        build(db, dropped).await?;
    }
    Ok(n)
}

/// Builds `indexes` one after the other.
async fn build(db: &DatabaseConnection, indexes: Vec<(String, String)>) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    for (name, definition) in indexes {
        let txn = crate::db::begin_write(db).await?;
        if backend == DatabaseBackend::Postgres {
            // Sorting in memory is what makes building an index fast.
            txn.execute_unprepared("SET LOCAL maintenance_work_mem = '512MB'")
                .await?;
        }
        txn.execute_unprepared(&if_not_exists(&definition)).await?;
        let done = Query::delete()
            .from_table(t("seed_dropped_indexes"))
            .and_where(Expr::col(t("name")).eq(name))
            .to_owned();
        txn.execute_raw(backend.build(&done)).await?;
        txn.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_reports_once() {
        assert_eq!(chunks(0, 50), 0);
        assert_eq!(chunks(100, 50), 2);
        assert_eq!(chunks(101, 50), 3);
        assert_eq!(chunk_len(101, 50, 0), 50);
        assert_eq!(chunk_len(101, 50, 2), 1);
        assert_eq!(chunk_len(101, 50, 3), 0);
        let total: u64 = (0..chunks(1234, 100))
            .map(|k| chunk_len(1234, 100, k))
            .sum();
        assert_eq!(total, 1234);
    }

    #[test]
    fn index_definitions_become_idempotent() {
        assert_eq!(
            if_not_exists(
                "CREATE INDEX idx_reports_category ON public.reports USING btree (category_id, created_at)"
            ),
            "CREATE INDEX IF NOT EXISTS idx_reports_category ON public.reports USING btree (category_id, created_at)"
        );
        assert_eq!(
            if_not_exists("CREATE INDEX \"idx_a\" ON \"reports\" (\"unit_id\")"),
            "CREATE INDEX IF NOT EXISTS \"idx_a\" ON \"reports\" (\"unit_id\")"
        );
        let already = "CREATE INDEX IF NOT EXISTS idx_a ON reports (a)";
        assert_eq!(if_not_exists(already), already);
        // Anything else is left as it is.
        let other = "CREATE UNIQUE INDEX u ON reports (code)";
        assert_eq!(if_not_exists(other), other);
    }
}
