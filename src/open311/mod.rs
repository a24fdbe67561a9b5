//! Open311 GeoReport v2 (read side): discovery, services, requests, in XML
//! and JSON, mapped from the public view of our categories and reports.

pub mod model;
pub mod routes;
pub mod service;
