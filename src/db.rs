//! Connecting to the database: one code path for PostgreSQL and SQLite.

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::config::Config;

/// Opens the pool. For SQLite the file's folder is created, and every
/// connection gets WAL, foreign keys and a busy timeout, so concurrent writers
/// wait for the lock instead of failing with "database is locked".
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let url = config.database_url.expose();
    if config.is_sqlite() {
        ensure_sqlite_dir(url);
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(config.database.max_connections)
        .min_connections(config.database.min_connections)
        .connect_timeout(Duration::from_secs(config.database.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(config.database.acquire_timeout_secs))
        .test_before_acquire_if_idle_for(Duration::from_secs(config.database.check_idle_after_secs))
        .sqlx_logging(false);
    let busy = Duration::from_millis(config.database.sqlite_busy_timeout_ms);
    opts.map_sqlx_sqlite_opts(move |o| {
        o.create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy)
    });
    Database::connect(opts).await
}

fn ensure_sqlite_dir(url: &str) {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return;
    }
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        // A failure here shows up as a clear connect error right after.
        let _ = std::fs::create_dir_all(parent);
    }
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migrations::Migrator::up(db, None).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (IMMEDIATE), so two writers queue on the busy timeout instead of
/// deadlocking when both upgrade from a read lock.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let mode = match db.get_database_backend() {
        DatabaseBackend::Sqlite => Some(SqliteTransactionMode::Immediate),
        _ => None,
    };
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: mode,
        ..Default::default()
    })
    .await
}

/// Begins a read-only transaction that sees one snapshot of the database
/// for all its statements (PostgreSQL: REPEATABLE READ; SQLite: a deferred
/// transaction, whose first read fixes what it sees while writers go on in
/// the WAL). Figures read through it agree with each other even while
/// reports change: a transition writes the report and its rollup delta in
/// one transaction, so a snapshot holds both or neither.
pub async fn begin_snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let (isolation_level, access_mode) = match db.get_database_backend() {
        DatabaseBackend::Postgres => (
            Some(sea_orm::IsolationLevel::RepeatableRead),
            Some(sea_orm::AccessMode::ReadOnly),
        ),
        _ => (None, None),
    };
    db.begin_with_options(TransactionOptions {
        isolation_level,
        access_mode,
        sqlite_transaction_mode: None,
    })
    .await
}

/// How many times work the database refused because of other work is tried
/// in all.
const CONTENTION_TRIES: u32 = 3;

/// Runs `work` (one whole transaction) again, after a short random pause,
/// when the database refused it because of other work at the same moment:
/// a deadlock or serialization failure on PostgreSQL, SQLite still busy
/// after its timeout ([`crate::error`] maps those to a 409 asking to try
/// again). The refused transaction was rolled back, so nothing of it stays.
/// After the last try the 409 stands: never a 500.
pub async fn retry_contention<T, F, Fut>(mut work: F) -> crate::error::AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::error::AppResult<T>>,
{
    use crate::error::AppError;
    use crate::messages::Msg;
    let mut tries = 1;
    loop {
        match work().await {
            Err(AppError::Conflict(Msg::TryAgain)) if tries < CONTENTION_TRIES => {
                metrics::counter!("db_contention_retries_total").increment(1);
                // 5–50 ms, growing: long enough for the other side to commit.
                let ms = rand::random_range(5..=25) * u64::from(tries);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                tries += 1;
            }
            other => return other,
        }
    }
}

/// Holds a PostgreSQL advisory lock on `key` until the transaction ends, so
/// transactions that take the same key run one after another. On SQLite,
/// where write transactions are serial already, it does nothing.
pub async fn advisory_xact_lock(txn: &DatabaseTransaction, key: i64) -> Result<(), DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Advisory lock keys of the unit tree (its shape changes one at a time).
pub const UNIT_TREE_LOCK: i64 = 0x0C17_0001;

/// Whether the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// (in use, idle, max) connections of the pool, for `/metrics`.
pub fn pool_usage(db: &DatabaseConnection, max: u32) -> (u32, u32, u32) {
    let (size, idle) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle() as u32)
        }
        DatabaseBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle() as u32)
        }
        _ => (0, 0),
    };
    (size.saturating_sub(idle), idle, max)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::retry_contention;
    use crate::error::AppError;
    use crate::messages::Msg;

    async fn run(fail_first: u32, err: fn() -> AppError) -> (Result<u32, AppError>, u32) {
        let calls = AtomicU32::new(0);
        let r = retry_contention(|| async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= fail_first { Err(err()) } else { Ok(n) }
        })
        .await;
        (r, calls.load(Ordering::SeqCst))
    }

    fn contention() -> AppError {
        AppError::Conflict(Msg::TryAgain)
    }

    #[tokio::test]
    async fn contention_is_tried_again_up_to_three_times_in_all() {
        assert!(matches!(run(0, contention).await, (Ok(1), 1)));
        assert!(matches!(run(2, contention).await, (Ok(3), 3)));
        let (r, calls) = run(5, contention).await;
        assert!(matches!(r, Err(AppError::Conflict(Msg::TryAgain))), "{r:?}");
        assert_eq!(calls, 3, "then the 409 stands");
    }

    #[tokio::test]
    async fn other_errors_are_not_tried_again() {
        let (r, calls) = run(5, || AppError::Conflict(Msg::InvalidTransition)).await;
        assert!(matches!(r, Err(AppError::Conflict(Msg::InvalidTransition))));
        assert_eq!(calls, 1);
        let (r, calls) = run(5, || AppError::NotFound).await;
        assert!(matches!(r, Err(AppError::NotFound)));
        assert_eq!(calls, 1);
    }
}
