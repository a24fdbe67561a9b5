//! Statistics: the rollup maintained with every report change, the monthly
//! figures read from it, and the check that recomputes them from `reports`.

pub mod chart;
pub mod check;
pub mod counters;
pub mod export;
pub mod figures;
pub mod queries;
pub mod rollup;
pub mod routes;
