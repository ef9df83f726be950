//! sea-orm entities of b2h, one module per table, and the domain enums.
//!
//! This crate knows nothing of GraphQL or HTTP: the API and the export writer build on it.

pub mod api_key;
pub mod audit_event;
pub mod campaign;
pub mod enums;
pub mod export_job;
pub mod funder;
pub mod grant;
pub mod grant_allocation;
pub mod installation;
pub mod nation;
pub mod organisation;
pub mod outcome_measure;
pub mod outcome_record;
pub mod outcome_record_key;
pub mod project;
pub mod project_partner;
pub mod project_stage;
pub mod region;

/// The ONS code of England: the only nation divided into NHS England regions.
pub const ENGLAND: &str = "E92000001";
