//! Statistics: the rollup maintained with every report change, the monthly
//! figures read from it, and the check that recomputes them from `reports`.

pub mod check;
pub mod rollup;
