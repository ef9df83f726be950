//! Domain enums, stored as lower-case text (checked by the schema's CHECK constraints).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a text-backed enum whose database values are the snake_case names.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* #[sea_orm(string_value = $value)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored in the database and in export files.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $value),+ }
            }

            /// Parses a stored value.
            pub fn parse(value: &str) -> Option<Self> {
                match value { $($value => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What kind of body an organisation is.
    OrganisationKind {
        NhsTrust = "nhs_trust",
        IntegratedCareBoard = "integrated_care_board",
        CommunityOrganisation = "community_organisation",
        Charity = "charity",
        LocalAuthority = "local_authority",
        Hospice = "hospice",
        SocialEnterprise = "social_enterprise",
        Other = "other",
    }
);

text_enum!(
    /// The four Back to Health pathway stages.
    PathwayStage {
        WaitingWell = "waiting_well",
        GettingWell = "getting_well",
        RecoveringWell = "recovering_well",
        LivingWell = "living_well",
    }
);

text_enum!(
    /// Where a volunteering service is delivered.
    ProjectSetting {
        Hospital = "hospital",
        EmergencyDepartment = "emergency_department",
        Outpatient = "outpatient",
        Community = "community",
        Home = "home",
        Virtual = "virtual",
    }
);

text_enum!(
    /// A project's lifecycle.
    ProjectStatus {
        Planned = "planned",
        Active = "active",
        Paused = "paused",
        Completed = "completed",
    }
);

text_enum!(
    /// An organisation's role in a project.
    PartnerRole {
        Lead = "lead",
        Delivery = "delivery",
        Host = "host",
        Evaluation = "evaluation",
    }
);

text_enum!(
    /// Who a measure counts.
    Beneficiary {
        Patients = "patients",
        Staff = "staff",
        Volunteers = "volunteers",
        System = "system",
    }
);

text_enum!(
    /// IATI result type of a measure.
    ResultType {
        Output = "output",
        Outcome = "outcome",
        Impact = "impact",
    }
);

text_enum!(
    /// The unit a measure is recorded in.
    MeasureUnit {
        People = "people",
        Hours = "hours",
        Percent = "percent",
        Score = "score",
        Gbp = "gbp",
    }
);

text_enum!(
    /// How a measure's records add up.
    Aggregation {
        /// Flows: values are added.
        Sum = "sum",
        /// Stocks: per project the value of its latest period, then summed over projects.
        Latest = "latest",
        /// Rates and scores: Σ(value × sample_size) / Σ sample_size.
        WeightedMean = "weighted_mean",
    }
);

text_enum!(
    /// Where an outcome record is in its review.
    RecordStatus {
        Draft = "draft",
        Submitted = "submitted",
        Verified = "verified",
    }
);

text_enum!(
    /// Where an outcome figure comes from.
    DataSource {
        Survey = "survey",
        VolunteerManagementSystem = "volunteer_management_system",
        TrustSystem = "trust_system",
        Estimate = "estimate",
    }
);

text_enum!(
    /// How strong the evidence behind a figure is.
    EvidenceStrength {
        Weak = "weak",
        Moderate = "moderate",
        Strong = "strong",
    }
);

text_enum!(
    /// The role an API key acts in (anonymous readers are `public`, which has no key).
    ApiRole {
        Admin = "admin",
        Partner = "partner",
        Funder = "funder",
        Evaluator = "evaluator",
    }
);

text_enum!(
    /// An export job's progress.
    ExportStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
);

text_enum!(
    /// How much of a date its source gave: a whole date, only a month (`08/2013`) or only a year.
    /// A month- or year-only date is stored as a day (the first, or the last for an end date).
    DatePrecision {
        Day = "day",
        Month = "month",
        Year = "year",
    }
);
