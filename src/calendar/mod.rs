//! The city's working calendar and deadlines in working time.
//!
//! Vietnamese rules count deadlines in working hours ("within 8 working
//! hours"): only time inside the working intervals of working days counts.

pub mod routes;
pub mod store;
pub mod working_hours;

pub use working_hours::WorkCalendar;
