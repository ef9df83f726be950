//! What the planner knows of each GraphQL object type: the table behind it and, for each field,
//! the column it shows or the relation it follows. The relations keep the orders and the
//! archived-row rules the object types document (a funder's grants by award date, archived ones
//! left out, and so on); a field not listed here is not compiled, and its root field is resolved
//! the usual way.

use super::sql::Kind;

/// A GraphQL object type the planner compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Project,
    ProjectStage,
    ProjectPartner,
    Organisation,
    Funder,
    Grant,
    GrantAllocation,
    Campaign,
    Region,
    Nation,
    OutcomeMeasure,
    OutcomeRecord,
}

/// How one field of a type is read.
#[derive(Clone, Copy, Debug)]
pub enum Field {
    /// A column of the type's own row.
    Column {
        column: &'static str,
        kind: Kind,
        nullable: bool,
    },
    /// The row of `target` whose `key` equals this row's `column` (null when there is none).
    One {
        target: Type,
        column: &'static str,
        key: &'static str,
    },
    /// The rows of `target` whose `column` equals this row's `key`, in `order`.
    Many {
        target: Type,
        column: &'static str,
        key: &'static str,
        order: &'static [(&'static str, bool)],
        /// Archived rows are left out.
        unarchived: bool,
    },
    /// A project's latest counted record of each measure, as far as the reader may read them.
    LatestRecords,
    /// A project's records as a connection (`Project.outcomeRecords`), paged, filtered and
    /// ordered by its arguments, as far as the reader may read them.
    RecordPage,
    /// `Funder.reportUrl`: signed in Rust with the installation's secret, so the statement
    /// leaves a hole for it (see `super::computed`).
    ReportUrl,
}

/// A type's table and fields.
pub struct Table {
    pub name: &'static str,
    /// The column that names a row (`id`, or a code).
    pub key: &'static str,
    pub fields: &'static [(&'static str, Field)],
}

const fn col(column: &'static str, kind: Kind) -> Field {
    Field::Column {
        column,
        kind,
        nullable: false,
    }
}

const fn opt(column: &'static str, kind: Kind) -> Field {
    Field::Column {
        column,
        kind,
        nullable: true,
    }
}

const fn one(target: Type, column: &'static str, key: &'static str) -> Field {
    Field::One {
        target,
        column,
        key,
    }
}

const ASC: bool = false;
const DESC: bool = true;
const BY_AWARD_DATE: &[(&str, bool)] = &[("award_date", ASC), ("id", ASC)];

const PROJECT: Table = Table {
    name: "project",
    key: "id",
    fields: &[
        ("id", col("id", Kind::Id)),
        ("reference", col("reference", Kind::Text)),
        ("title", col("title", Kind::Text)),
        ("description", opt("description", Kind::Text)),
        (
            "leadOrganisation",
            one(Type::Organisation, "lead_organisation_id", "id"),
        ),
        ("campaign", one(Type::Campaign, "campaign_id", "id")),
        ("primaryStage", col("primary_stage", Kind::Enum)),
        ("setting", col("setting", Kind::Enum)),
        ("status", col("status", Kind::Enum)),
        ("startDate", col("start_date", Kind::Date)),
        ("endDate", opt("end_date", Kind::Date)),
        ("nation", one(Type::Nation, "nation_code", "code")),
        ("region", one(Type::Region, "region_code", "code")),
        ("volunteerRoles", col("volunteer_roles", Kind::StringArray)),
        (
            "stages",
            Field::Many {
                target: Type::ProjectStage,
                column: "project_id",
                key: "id",
                order: &[("is_primary", DESC), ("stage", ASC)],
                unarchived: false,
            },
        ),
        (
            "partners",
            Field::Many {
                target: Type::ProjectPartner,
                column: "project_id",
                key: "id",
                order: &[("role", ASC), ("organisation_id", ASC)],
                unarchived: false,
            },
        ),
        (
            "grantAllocations",
            Field::Many {
                target: Type::GrantAllocation,
                column: "project_id",
                key: "id",
                order: &[("id", ASC)],
                unarchived: true,
            },
        ),
        ("latestOutcomeRecords", Field::LatestRecords),
        ("outcomeRecords", Field::RecordPage),
        ("createdAt", col("created_at", Kind::DateTime)),
        ("updatedAt", col("updated_at", Kind::DateTime)),
        ("version", col("version", Kind::Int)),
    ],
};

const PROJECT_STAGE: Table = Table {
    name: "project_stage",
    key: "project_id",
    fields: &[
        ("stage", col("stage", Kind::Enum)),
        ("isPrimary", col("is_primary", Kind::Bool)),
    ],
};

const PROJECT_PARTNER: Table = Table {
    name: "project_partner",
    key: "project_id",
    fields: &[
        ("role", col("role", Kind::Enum)),
        (
            "organisation",
            one(Type::Organisation, "organisation_id", "id"),
        ),
    ],
};

const ORGANISATION: Table = Table {
    name: "organisation",
    key: "id",
    fields: &[
        ("id", col("id", Kind::Id)),
        ("name", col("name", Kind::Text)),
        ("kind", col("kind", Kind::Enum)),
        ("orgId", opt("org_id", Kind::Text)),
        ("otherIdentifier", opt("other_identifier", Kind::Text)),
        ("odsCode", opt("ods_code", Kind::Text)),
        ("charityNumber", opt("charity_number", Kind::Text)),
        ("companyNumber", opt("company_number", Kind::Text)),
        ("website", opt("website", Kind::Text)),
        ("nation", one(Type::Nation, "nation_code", "code")),
        ("region", one(Type::Region, "region_code", "code")),
        (
            "ledProjects",
            Field::Many {
                target: Type::Project,
                column: "lead_organisation_id",
                key: "id",
                order: &[("reference", ASC), ("id", ASC)],
                unarchived: true,
            },
        ),
        (
            "grantsReceived",
            Field::Many {
                target: Type::Grant,
                column: "recipient_organisation_id",
                key: "id",
                order: BY_AWARD_DATE,
                unarchived: true,
            },
        ),
        ("createdAt", col("created_at", Kind::DateTime)),
        ("updatedAt", col("updated_at", Kind::DateTime)),
        ("version", col("version", Kind::Int)),
    ],
};

const FUNDER: Table = Table {
    name: "funder",
    key: "id",
    fields: &[
        ("id", col("id", Kind::Id)),
        ("name", col("name", Kind::Text)),
        ("orgId", opt("org_id", Kind::Text)),
        ("otherIdentifier", opt("other_identifier", Kind::Text)),
        ("website", opt("website", Kind::Text)),
        (
            "organisation",
            one(Type::Organisation, "organisation_id", "id"),
        ),
        (
            "grants",
            Field::Many {
                target: Type::Grant,
                column: "funder_id",
                key: "id",
                order: BY_AWARD_DATE,
                unarchived: true,
            },
        ),
        ("version", col("version", Kind::Int)),
        ("reportUrl", Field::ReportUrl),
    ],
};

const GRANT: Table = Table {
    name: "grant_award",
    key: "id",
    fields: &[
        ("id", col("id", Kind::Id)),
        ("identifier", col("identifier", Kind::Text)),
        ("title", col("title", Kind::Text)),
        ("description", opt("description", Kind::Text)),
        ("amountAwarded", col("amount_awarded", Kind::Decimal)),
        ("currency", col("currency", Kind::Text)),
        ("awardDate", col("award_date", Kind::Date)),
        ("plannedStartDate", opt("planned_start_date", Kind::Date)),
        ("plannedEndDate", opt("planned_end_date", Kind::Date)),
        (
            "awardDatePrecision",
            col("award_date_precision", Kind::Enum),
        ),
        (
            "plannedStartDatePrecision",
            col("planned_start_date_precision", Kind::Enum),
        ),
        (
            "plannedEndDatePrecision",
            col("planned_end_date_precision", Kind::Enum),
        ),
        ("grantProgramme", opt("grant_programme", Kind::Text)),
        ("funder", one(Type::Funder, "funder_id", "id")),
        (
            "recipientOrganisation",
            one(Type::Organisation, "recipient_organisation_id", "id"),
        ),
        (
            "allocations",
            Field::Many {
                target: Type::GrantAllocation,
                column: "grant_id",
                key: "id",
                order: &[("id", ASC)],
                unarchived: true,
            },
        ),
        ("version", col("version", Kind::Int)),
    ],
};

const GRANT_ALLOCATION: Table = Table {
    name: "grant_allocation",
    key: "id",
    fields: &[
        ("id", col("id", Kind::Id)),
        ("amount", col("amount", Kind::Decimal)),
        ("currency", col("currency", Kind::Text)),
        ("grant", one(Type::Grant, "grant_id", "id")),
        ("project", one(Type::Project, "project_id", "id")),
        ("version", col("version", Kind::Int)),
    ],
};

const CAMPAIGN: Table = Table {
    name: "campaign",
    key: "id",
    fields: &[
        ("id", col("id", Kind::Id)),
        ("name", col("name", Kind::Text)),
        ("description", opt("description", Kind::Text)),
        ("startDate", col("start_date", Kind::Date)),
        ("targetDate", col("target_date", Kind::Date)),
        ("targetPeople", col("target_people", Kind::Int)),
        ("createdAt", col("created_at", Kind::DateTime)),
        ("updatedAt", col("updated_at", Kind::DateTime)),
    ],
};

const REGION: Table = Table {
    name: "region",
    key: "code",
    fields: &[
        ("code", col("code", Kind::Text)),
        ("odsCode", col("ods_code", Kind::Text)),
        ("name", col("name", Kind::Text)),
        ("nation", one(Type::Nation, "nation_code", "code")),
    ],
};

const NATION: Table = Table {
    name: "nation",
    key: "code",
    fields: &[
        ("code", col("code", Kind::Text)),
        ("name", col("name", Kind::Text)),
    ],
};

const OUTCOME_MEASURE: Table = Table {
    name: "outcome_measure",
    key: "id",
    fields: &[
        ("id", col("id", Kind::Id)),
        ("code", col("code", Kind::Text)),
        ("name", col("name", Kind::Text)),
        ("description", opt("description", Kind::Text)),
        ("beneficiary", col("beneficiary", Kind::Enum)),
        ("resultType", col("result_type", Kind::Enum)),
        ("unit", col("unit", Kind::Enum)),
        ("ascending", col("ascending", Kind::Bool)),
        ("aggregation", col("aggregation", Kind::Enum)),
        (
            "countsTowardTarget",
            col("counts_toward_target", Kind::Bool),
        ),
    ],
};

const OUTCOME_RECORD: Table = Table {
    name: "outcome_record",
    key: "id",
    fields: &[
        ("id", col("id", Kind::Id)),
        ("project", one(Type::Project, "project_id", "id")),
        ("measure", one(Type::OutcomeMeasure, "measure_id", "id")),
        ("periodStart", col("period_start", Kind::Date)),
        ("periodEnd", col("period_end", Kind::Date)),
        ("value", col("value", Kind::Float)),
        ("baseline", opt("baseline", Kind::Float)),
        ("target", opt("target", Kind::Float)),
        ("sampleSize", opt("sample_size", Kind::Int)),
        ("status", col("status", Kind::Enum)),
        ("dataSource", col("data_source", Kind::Enum)),
        ("evidenceStrength", col("evidence_strength", Kind::Enum)),
        ("note", opt("note", Kind::Text)),
        ("submittedAt", opt("submitted_at", Kind::DateTime)),
        ("verifiedAt", opt("verified_at", Kind::DateTime)),
        ("archivedAt", opt("archived_at", Kind::DateTime)),
        ("createdAt", col("created_at", Kind::DateTime)),
        ("updatedAt", col("updated_at", Kind::DateTime)),
        ("version", col("version", Kind::Int)),
    ],
};

impl Type {
    pub fn table(self) -> &'static Table {
        match self {
            Type::Project => &PROJECT,
            Type::ProjectStage => &PROJECT_STAGE,
            Type::ProjectPartner => &PROJECT_PARTNER,
            Type::Organisation => &ORGANISATION,
            Type::Funder => &FUNDER,
            Type::Grant => &GRANT,
            Type::GrantAllocation => &GRANT_ALLOCATION,
            Type::Campaign => &CAMPAIGN,
            Type::Region => &REGION,
            Type::Nation => &NATION,
            Type::OutcomeMeasure => &OUTCOME_MEASURE,
            Type::OutcomeRecord => &OUTCOME_RECORD,
        }
    }

    /// The GraphQL name (`__typename`).
    pub fn name(self) -> &'static str {
        match self {
            Type::Project => "Project",
            Type::ProjectStage => "ProjectStage",
            Type::ProjectPartner => "ProjectPartner",
            Type::Organisation => "Organisation",
            Type::Funder => "Funder",
            Type::Grant => "Grant",
            Type::GrantAllocation => "GrantAllocation",
            Type::Campaign => "Campaign",
            Type::Region => "Region",
            Type::Nation => "Nation",
            Type::OutcomeMeasure => "OutcomeMeasure",
            Type::OutcomeRecord => "OutcomeRecord",
        }
    }

    /// How the field `name` is read, when the planner compiles it.
    pub fn field(self, name: &str) -> Option<Field> {
        self.table()
            .fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }
}
