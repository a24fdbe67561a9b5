//! Photos and short videos: judged from their bytes, stripped of location
//! metadata, stored through one object-store interface.

pub mod extract;
pub mod inspect;
pub mod ranges;
pub mod routes;
pub mod service;
pub mod spool;
pub mod storage;
