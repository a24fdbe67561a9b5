//! Photos and short videos: judged from their bytes, stripped of location
//! metadata, stored through one object-store interface.

pub mod inspect;
pub mod routes;
pub mod service;
pub mod storage;
