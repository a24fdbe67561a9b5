//! Statistics: the rollup maintained with every report change, the monthly
//! figures read from it, and the check that recomputes them from `reports`.
//!
//! `counters` names the rollup counters once; `rollup` maintains them;
//! `queries` reads their sums; `figures` turns them into the figures of
//! `domain.md` (pure); `service` answers the questions (live figures, the
//! ranking, the monthly close and its snapshots) for handlers, the CLI and
//! the scheduler; `routes` is HTTP only.

pub mod breakdown;
pub mod chart;
pub mod check;
pub mod counters;
pub mod export;
pub mod figures;
pub mod model;
pub mod queries;
pub mod rollup;
pub mod routes;
pub mod service;
