//! Work refused because of other work at the same moment (a PostgreSQL
//! deadlock, SQLite still busy) is a 409 "try again", never a 500.

mod common;

use citizen_feedback::error::AppError;
use citizen_feedback::messages::Msg;
use common::TestApp;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbErr, Statement, TransactionTrait};

fn is_try_again(e: DbErr) -> bool {
    matches!(AppError::from(e), AppError::Conflict(Msg::TryAgain))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contention_is_a_409_not_a_500() {
    let app = TestApp::spawn().await;
    let city = app.city().await;
    let backend = app.db.get_database_backend();
    if common::is_postgres() {
        // Two transactions each holding a row the other wants: PostgreSQL
        // breaks the deadlock by failing one of them.
        let ids = [city.root, city.ward].map(|u| format!("'{u}'"));
        let lock = |first: String, second: String| {
            let db = app.db.clone();
            tokio::spawn(async move {
                let txn = db.begin().await.expect("begin");
                let upd = |id: &str| {
                    Statement::from_string(
                        backend,
                        format!("UPDATE units SET name = name WHERE id = {id}"),
                    )
                };
                txn.execute_raw(upd(&first)).await.expect("first row");
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                let r = txn.execute_raw(upd(&second)).await;
                let _ = txn.rollback().await;
                r.err()
            })
        };
        let a = lock(ids[0].clone(), ids[1].clone());
        let b = lock(ids[1].clone(), ids[0].clone());
        let errors: Vec<DbErr> = [a.await.expect("join"), b.await.expect("join")]
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors.into_iter().all(is_try_again));
    } else {
        // A second connection that will not wait while the app's pool holds
        // the write lock: SQLITE_BUSY at once.
        let holder = citizen_feedback::db::begin_write(&app.db)
            .await
            .expect("hold the write lock");
        let mut opts = ConnectOptions::new(app.database_url.clone());
        opts.max_connections(1).sqlx_logging(false);
        let other = Database::connect(opts).await.expect("connect");
        other
            .execute_unprepared("PRAGMA busy_timeout = 0")
            .await
            .expect("pragma");
        let err = other
            .execute_unprepared("BEGIN IMMEDIATE")
            .await
            .expect_err("busy");
        holder.rollback().await.expect("release");
        assert!(is_try_again(err));
    }
}
