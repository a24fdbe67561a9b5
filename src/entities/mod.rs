//! sea-orm entities: one file a table, no logic. The schema itself is made only
//! by the migrations in `migrations/`.

pub mod categories;
pub mod refresh_tokens;
pub mod units;
pub mod users;
