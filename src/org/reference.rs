//! Reference data in memory for reads: the unit tree and the categories,
//! which every report answer, scope check and statistic needs and which
//! change a few times a year. Reads take [`current`]; a transaction that
//! changes units or categories calls [`announce`] inside it and [`changed`]
//! after its commit. Writes still read what they decide on inside their own
//! transaction (routing, a unit named by an action, a category filed in).
//!
//! Invalidation:
//! - in this process, at once ([`changed`]);
//! - in other instances on PostgreSQL, by `NOTIFY reference_changed` sent
//!   inside the writing transaction (delivered on commit) and heard by a
//!   `LISTEN` connection each instance starts with its first read;
//! - whatever happens (the listener reconnecting, an instance on another
//!   SQLite process), a copy older than `database.reference_max_age_ms`
//!   is loaded again.
//!
//! One cache per database (keyed by where the pool connects), like the
//! stream hubs, so tests on their own databases never share one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryOrder, Statement,
};
use uuid::Uuid;

use crate::entities::{categories, units};
use crate::error::AppResult;

/// The PostgreSQL channel of reference changes.
pub const REFERENCE_CHANNEL: &str = "reference_changed";

/// The oldest a copy may be before it is loaded again, notified or not
/// (`database.reference_max_age_ms`; [`set_max_age`]).
static MAX_AGE_MS: AtomicU64 = AtomicU64::new(2000);

/// Sets how old a copy may get (the process's configuration).
pub fn set_max_age(age: Duration) {
    MAX_AGE_MS.store(
        u64::try_from(age.as_millis()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// Units and categories as of one moment.
#[derive(Debug, Default)]
pub struct Reference {
    pub units: HashMap<Uuid, units::Model>,
    pub categories: HashMap<Uuid, categories::Model>,
    children: HashMap<Uuid, Vec<Uuid>>,
    root: Option<Uuid>,
}

impl Reference {
    /// Reads both tables (two queries).
    pub async fn load<C: ConnectionTrait>(db: &C) -> AppResult<Reference> {
        let units = units::Entity::find()
            .order_by_asc(units::Column::CreatedAt)
            .order_by_asc(units::Column::Code)
            .all(db)
            .await?;
        let categories = categories::Entity::find().all(db).await?;
        Ok(Reference::new(units, categories))
    }

    /// `units` in (created_at, code) order, as [`load`](Self::load) reads them.
    pub fn new(units: Vec<units::Model>, categories: Vec<categories::Model>) -> Reference {
        let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for u in &units {
            if let Some(p) = u.parent_id {
                children.entry(p).or_default().push(u.id);
            }
        }
        // The city centre: the oldest unit without a parent
        // (`org::units::root_unit`).
        let root = units.iter().find(|u| u.parent_id.is_none()).map(|u| u.id);
        Reference {
            units: units.into_iter().map(|u| (u.id, u)).collect(),
            categories: categories.into_iter().map(|c| (c.id, c)).collect(),
            children,
            root,
        }
    }

    /// The unit and every unit below it (`org::units::subtree_ids`).
    pub fn subtree(&self, id: Uuid) -> Vec<Uuid> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            if let Some(c) = self.children.get(&out[i]) {
                for k in c {
                    if !out.contains(k) {
                        out.push(*k);
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// The root unit where unrouted reports wait (`org::units::root_unit`).
    pub fn root(&self) -> Option<&units::Model> {
        self.root.and_then(|r| self.units.get(&r))
    }

    /// Every unit as (id, parent).
    pub fn tree(&self) -> Vec<(Uuid, Option<Uuid>)> {
        self.units.values().map(|u| (u.id, u.parent_id)).collect()
    }
}

struct Copy {
    generation: u64,
    loaded: Instant,
    data: Arc<Reference>,
}

#[derive(Default)]
struct Cache {
    /// Moves on at every change heard of.
    generation: AtomicU64,
    copy: RwLock<Option<Copy>>,
    /// Whether a PostgreSQL listener for this database was started.
    listening: AtomicBool,
}

/// Listens for [`REFERENCE_CHANNEL`] for as long as the runtime runs,
/// reconnecting with backoff. Every notification, and every (re)connection
/// (notifications sent while it was down are lost), moves the cache on.
async fn listen(pool: PgPool, cache: Arc<Cache>) {
    struct Started(Arc<Cache>);
    impl Drop for Started {
        fn drop(&mut self) {
            // The runtime stopped (a test ends): the next read starts anew.
            self.0.listening.store(false, Ordering::Release);
        }
    }
    let _started = Started(cache.clone());
    let mut backoff = Duration::from_millis(250);
    loop {
        let connected = async {
            let mut l = PgListener::connect_with(&pool).await?;
            l.listen(REFERENCE_CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        };
        match connected.await {
            Ok(mut l) => {
                cache.generation.fetch_add(1, Ordering::AcqRel);
                backoff = Duration::from_millis(250);
                loop {
                    match l.try_recv().await {
                        Ok(_) => {
                            cache.generation.fetch_add(1, Ordering::AcqRel);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "reference listener lost its connection; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "reference listener cannot listen; copies expire by age meanwhile");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

fn caches() -> &'static Mutex<HashMap<String, Arc<Cache>>> {
    static CACHES: OnceLock<Mutex<HashMap<String, Arc<Cache>>>> = OnceLock::new();
    CACHES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Where the pool connects: one cache per database.
fn key(db: &DatabaseConnection) -> String {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let o = db.get_postgres_connection_pool().connect_options();
            format!(
                "pg:{}:{}:{}",
                o.get_host(),
                o.get_port(),
                o.get_database().unwrap_or_default()
            )
        }
        DatabaseBackend::Sqlite => {
            let o = db.get_sqlite_connection_pool().connect_options();
            format!("sqlite:{}", o.get_filename().display())
        }
        _ => String::new(),
    }
}

fn cache(db: &DatabaseConnection) -> Arc<Cache> {
    caches()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key(db))
        .or_default()
        .clone()
}

/// The reference data of `db`: the copy in memory unless it is older than a
/// change heard of, or than the configured age.
pub async fn current(db: &DatabaseConnection) -> AppResult<Arc<Reference>> {
    let cache = cache(db);
    if db.get_database_backend() == DatabaseBackend::Postgres
        && !cache.listening.swap(true, Ordering::AcqRel)
    {
        let pool = db.get_postgres_connection_pool().clone();
        let cache = cache.clone();
        tokio::spawn(async move { listen(pool, cache).await });
    }
    let generation = cache.generation.load(Ordering::Acquire);
    {
        let copy = cache.copy.read().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = copy.as_ref()
            && c.generation == generation
            && c.loaded.elapsed() < Duration::from_millis(MAX_AGE_MS.load(Ordering::Relaxed))
        {
            return Ok(c.data.clone());
        }
    }
    let data = Arc::new(Reference::load(db).await?);
    *cache.copy.write().unwrap_or_else(|p| p.into_inner()) = Some(Copy {
        generation,
        loaded: Instant::now(),
        data: data.clone(),
    });
    Ok(data)
}

/// After a transaction that changed units or categories of `db` committed:
/// the next read in this process loads them again.
pub fn changed(db: &DatabaseConnection) {
    cache(db).generation.fetch_add(1, Ordering::AcqRel);
}

/// Inside a transaction that changes units or categories: on PostgreSQL,
/// every instance hears of it when it commits (and never if it rolls back).
pub async fn announce<C: ConnectionTrait>(txn: &C) -> AppResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, '')",
            [REFERENCE_CHANNEL.into()],
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn unit(n: u128, parent: Option<u128>, minute: u32) -> units::Model {
        units::Model {
            id: Uuid::from_u128(n),
            parent_id: parent.map(Uuid::from_u128),
            code: format!("U{n}"),
            name: format!("Unit {n}"),
            kind: crate::domain::UnitKind::Ward,
            area_code: None,
            created_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, minute, 0).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, minute, 0).unwrap(),
        }
    }

    #[test]
    fn subtrees_and_the_root_as_the_database_would_answer() {
        let r = Reference::new(
            vec![
                unit(1, None, 0),
                unit(2, Some(1), 1),
                unit(3, Some(2), 2),
                unit(4, Some(1), 3),
                unit(9, None, 4),
            ],
            vec![],
        );
        assert_eq!(r.root().map(|u| u.id), Some(Uuid::from_u128(1)));
        let mut s = r.subtree(Uuid::from_u128(1));
        s.sort();
        assert_eq!(s, [1, 2, 3, 4].map(Uuid::from_u128));
        assert_eq!(r.subtree(Uuid::from_u128(3)), [Uuid::from_u128(3)]);
        assert_eq!(r.subtree(Uuid::from_u128(7)), [Uuid::from_u128(7)]);
        assert_eq!(r.tree().len(), 5);
    }
}
