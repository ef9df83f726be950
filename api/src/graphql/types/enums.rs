//! GraphQL enums, mirrored from the domain enums (values in SCREAMING_CASE).

use async_graphql::Enum;
use b2h_entity::enums as domain;

/// What kind of body an organisation is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::OrganisationKind")]
pub enum OrganisationKind {
    NhsTrust,
    IntegratedCareBoard,
    CommunityOrganisation,
    Charity,
    LocalAuthority,
    Hospice,
    SocialEnterprise,
    Other,
}

/// The four Back to Health pathway stages.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::PathwayStage")]
#[allow(clippy::enum_variant_names)] // the campaign's own names: waiting well, getting well…
pub enum PathwayStage {
    WaitingWell,
    GettingWell,
    RecoveringWell,
    LivingWell,
}

/// Where a volunteering service is delivered.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::ProjectSetting")]
pub enum ProjectSetting {
    Hospital,
    EmergencyDepartment,
    Outpatient,
    Community,
    Home,
    Virtual,
}

/// A project's lifecycle.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::ProjectStatus")]
pub enum ProjectStatus {
    Planned,
    Active,
    Paused,
    Completed,
}

/// Who a measure counts.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Beneficiary")]
pub enum Beneficiary {
    Patients,
    Staff,
    Volunteers,
    System,
}

/// IATI result type of a measure.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::ResultType")]
pub enum ResultType {
    Output,
    Outcome,
    Impact,
}

/// The unit a measure is recorded in.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::MeasureUnit")]
pub enum MeasureUnit {
    People,
    Hours,
    Percent,
    Score,
    Gbp,
}

/// How a measure's records add up.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::Aggregation")]
pub enum Aggregation {
    /// Flows: values are added.
    Sum,
    /// Stocks: per project the value of its latest period in the window, then summed over projects.
    Latest,
    /// Rates and scores: Σ(value × sampleSize) / Σ sampleSize.
    WeightedMean,
}

/// An organisation's role in a project.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::PartnerRole")]
pub enum PartnerRole {
    Lead,
    Delivery,
    Host,
    Evaluation,
}

/// Where an outcome record is in its review.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::RecordStatus")]
pub enum RecordStatus {
    /// Being prepared by the partner; never counted.
    Draft,
    /// Submitted by the partner; counted.
    Submitted,
    /// Checked by the programme team; counted.
    Verified,
}

/// Where an outcome figure comes from.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::DataSource")]
pub enum DataSource {
    Survey,
    VolunteerManagementSystem,
    TrustSystem,
    Estimate,
}

/// How strong the evidence behind a figure is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::EvidenceStrength")]
pub enum EvidenceStrength {
    Weak,
    Moderate,
    Strong,
}

/// How much of a date its source gave (360Giving files may give only a month or a year).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::DatePrecision")]
pub enum DatePrecision {
    Day,
    Month,
    Year,
}
