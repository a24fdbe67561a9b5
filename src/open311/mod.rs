//! Open311 GeoReport v2: discovery, services, requests, in XML and JSON,
//! mapped from the public view of our categories and reports; filing goes
//! through the same report service as the mobile API.

pub mod filing;
pub mod form;
pub mod model;
pub mod routes;
pub mod service;
