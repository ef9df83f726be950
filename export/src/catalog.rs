//! What a snapshot holds: every exported table, its columns, their types and meanings.
//!
//! The one description of the export's schema: the readers build their SQL from it, the Parquet
//! schema and the manifest's column list come from it, and so does the snapshot's README.

use crate::column::Kind;

/// One exported column: its name in the files, the SQL that reads it and what it means.
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// Portable SQL expression (SQLite and PostgreSQL) over the table's `FROM` clause.
    pub sql: &'static str,
    pub nullable: bool,
    pub description: &'static str,
}

/// One exported table.
pub struct Table {
    pub name: &'static str,
    pub description: &'static str,
    /// `FROM` clause (joins included), portable between the backends.
    pub from: &'static str,
    pub filter: Option<&'static str>,
    pub columns: &'static [Column],
    /// Columns the rows are sorted by (ascending, byte-wise), recorded as Parquet `sorting_columns`.
    pub sorted_by: &'static [&'static str],
    /// A `Date` column whose year splits the files into `year=YYYY` partitions.
    pub partition_by_year: Option<&'static str>,
    /// Columns whose values are (nearly) all distinct: dictionary encoding would only cost.
    pub unique: &'static [&'static str],
}

impl Table {
    pub fn column(&self, name: &str) -> Option<(usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
    }
}

const fn col(
    name: &'static str,
    kind: Kind,
    sql: &'static str,
    nullable: bool,
    description: &'static str,
) -> Column {
    Column {
        name,
        kind,
        sql,
        nullable,
        description,
    }
}

use Kind::{Bool, Category, Date, Float64, Id, Int32, Int64, Money, Text, TextList, Timestamp};

const CREATED: &str = "When the row was created (UTC).";
const UPDATED: &str = "When the row was last changed (UTC).";
const ARCHIVED: &str = "When the row was archived (UTC); null while it is live. Archived rows are kept for history and left out of every figure.";

pub static TABLES: &[Table] = &[
    Table {
        name: "nations",
        description: "The four nations of the United Kingdom.",
        from: "nation t",
        filter: None,
        columns: &[
            col(
                "code",
                Category,
                "t.code",
                false,
                "ONS nation code: E92000001 England, W92000004 Wales, S92000003 Scotland, N92000002 Northern Ireland.",
            ),
            col("name", Text, "t.name", false, "Nation name."),
        ],
        sorted_by: &["code"],
        partition_by_year: None,
        unique: &[],
    },
    Table {
        name: "regions",
        description: "NHS England regions (and each nation outside England as one region).",
        from: "region t",
        filter: None,
        columns: &[
            col(
                "code",
                Category,
                "t.code",
                false,
                "ONS region code, e.g. E40000003 (London).",
            ),
            col(
                "ods_code",
                Text,
                "t.ods_code",
                false,
                "NHS ODS code of the region, e.g. Y56.",
            ),
            col("name", Text, "t.name", false, "Region name."),
            col(
                "nation_code",
                Category,
                "t.nation_code",
                false,
                "Nation the region belongs to (nations.code).",
            ),
        ],
        sorted_by: &["code"],
        partition_by_year: None,
        unique: &[],
    },
    Table {
        name: "campaigns",
        description: "Campaigns and their people-supported targets (Back to Health: 1,000,000).",
        from: "campaign t",
        filter: None,
        columns: &[
            col(
                "id",
                Id,
                "t.id",
                false,
                "Campaign id (UUID, lower-case text).",
            ),
            col("name", Text, "t.name", false, "Campaign name."),
            col(
                "description",
                Text,
                "t.description",
                true,
                "What the campaign is for.",
            ),
            col(
                "start_date",
                Date,
                "t.start_date",
                false,
                "First day of the campaign.",
            ),
            col(
                "target_date",
                Date,
                "t.target_date",
                false,
                "Day by which the target should be met.",
            ),
            col(
                "target_people",
                Int64,
                "t.target_people",
                false,
                "Target number of people supported (patients and service users, staff, volunteers).",
            ),
            col("created_at", Timestamp, "t.created_at", false, CREATED),
            col("updated_at", Timestamp, "t.updated_at", false, UPDATED),
            col("archived_at", Timestamp, "t.archived_at", true, ARCHIVED),
        ],
        sorted_by: &["id"],
        partition_by_year: None,
        unique: &["id"],
    },
    Table {
        name: "organisations",
        description: "Organisations that lead or partner in projects or receive grants: NHS trusts, integrated care boards, charities, community organisations and others.",
        from: "organisation t",
        filter: None,
        columns: &[
            col(
                "id",
                Id,
                "t.id",
                false,
                "Organisation id (UUID, lower-case text).",
            ),
            col("name", Text, "t.name", false, "Organisation name."),
            col(
                "kind",
                Category,
                "t.kind",
                false,
                "Kind: nhs_trust, integrated_care_board, community_organisation, charity, local_authority, hospice, social_enterprise or other.",
            ),
            col(
                "org_id",
                Text,
                "t.org_id",
                true,
                "Org-ID identifier (org-id.guide), e.g. GB-CHC-1234567; null when unknown.",
            ),
            col(
                "other_identifier",
                Text,
                "t.other_identifier",
                true,
                "An identifier that is not an Org-ID, kept as a 360Giving file gave it (e.g. 360G-dulverton).",
            ),
            col(
                "ods_code",
                Text,
                "t.ods_code",
                true,
                "NHS ODS code (NHS bodies).",
            ),
            col(
                "charity_number",
                Text,
                "t.charity_number",
                true,
                "Charity registration number.",
            ),
            col(
                "company_number",
                Text,
                "t.company_number",
                true,
                "Companies House number.",
            ),
            col("website", Text, "t.website", true, "Web site address."),
            col(
                "nation_code",
                Category,
                "t.nation_code",
                true,
                "Nation of the organisation (nations.code).",
            ),
            col(
                "region_code",
                Category,
                "t.region_code",
                true,
                "Region of the organisation (regions.code).",
            ),
            col("created_at", Timestamp, "t.created_at", false, CREATED),
            col("updated_at", Timestamp, "t.updated_at", false, UPDATED),
            col("archived_at", Timestamp, "t.archived_at", true, ARCHIVED),
        ],
        sorted_by: &["id"],
        partition_by_year: None,
        unique: &[
            "id",
            "name",
            "org_id",
            "ods_code",
            "charity_number",
            "company_number",
            "website",
        ],
    },
    Table {
        name: "funders",
        description: "Funders that award grants paying for projects.",
        from: "funder t",
        filter: None,
        columns: &[
            col(
                "id",
                Id,
                "t.id",
                false,
                "Funder id (UUID, lower-case text).",
            ),
            col("name", Text, "t.name", false, "Funder name."),
            col(
                "org_id",
                Text,
                "t.org_id",
                true,
                "Org-ID identifier of the funder.",
            ),
            col(
                "other_identifier",
                Text,
                "t.other_identifier",
                true,
                "An identifier of the funder that is not an Org-ID, kept as a 360Giving file gave it.",
            ),
            col("website", Text, "t.website", true, "Web site address."),
            col(
                "organisation_id",
                Id,
                "t.organisation_id",
                true,
                "The funder as an organisation (organisations.id), when it is one.",
            ),
            col("created_at", Timestamp, "t.created_at", false, CREATED),
            col("updated_at", Timestamp, "t.updated_at", false, UPDATED),
            col("archived_at", Timestamp, "t.archived_at", true, ARCHIVED),
        ],
        sorted_by: &["id"],
        partition_by_year: None,
        unique: &["id"],
    },
    Table {
        name: "grants",
        description: "Grants awarded by funders to organisations (360Giving-shaped).",
        from: "grant_award t",
        filter: None,
        columns: &[
            col("id", Id, "t.id", false, "Grant id (UUID, lower-case text)."),
            col(
                "identifier",
                Text,
                "t.identifier",
                false,
                "The grant's 360Giving identifier.",
            ),
            col("title", Text, "t.title", false, "Grant title."),
            col(
                "description",
                Text,
                "t.description",
                true,
                "Grant description.",
            ),
            col(
                "funder_id",
                Id,
                "t.funder_id",
                false,
                "Funder that awarded it (funders.id).",
            ),
            col(
                "recipient_organisation_id",
                Id,
                "t.recipient_organisation_id",
                false,
                "Organisation that received it (organisations.id).",
            ),
            col(
                "amount_awarded",
                Money,
                "t.amount_awarded",
                false,
                "Amount awarded, exact to the penny, in `currency`.",
            ),
            col(
                "currency",
                Category,
                "t.currency",
                false,
                "ISO 4217 currency of the amounts (GBP).",
            ),
            col(
                "award_date",
                Date,
                "t.award_date",
                false,
                "Day the grant was awarded.",
            ),
            col(
                "award_date_precision",
                Category,
                "t.award_date_precision",
                false,
                "How precisely the file gave `award_date`: day, month (stored as the month's first or last day) or year.",
            ),
            col(
                "planned_start_date",
                Date,
                "t.planned_start_date",
                true,
                "Planned start of the funded work.",
            ),
            col(
                "planned_start_date_precision",
                Category,
                "t.planned_start_date_precision",
                false,
                "How precisely the file gave `planned_start_date`: day, month (stored as the month's first or last day) or year.",
            ),
            col(
                "planned_end_date",
                Date,
                "t.planned_end_date",
                true,
                "Planned end of the funded work.",
            ),
            col(
                "planned_end_date_precision",
                Category,
                "t.planned_end_date_precision",
                false,
                "How precisely the file gave `planned_end_date`: day, month (stored as the month's first or last day) or year.",
            ),
            col(
                "grant_programme",
                Category,
                "t.grant_programme",
                true,
                "Funder's grant programme.",
            ),
            col("created_at", Timestamp, "t.created_at", false, CREATED),
            col("updated_at", Timestamp, "t.updated_at", false, UPDATED),
            col("archived_at", Timestamp, "t.archived_at", true, ARCHIVED),
        ],
        sorted_by: &["id"],
        partition_by_year: None,
        unique: &["id", "identifier", "title", "description"],
    },
    Table {
        name: "grant_allocations",
        description: "Parts of grants allocated to projects: what pays for each project.",
        from: "grant_allocation t",
        filter: None,
        columns: &[
            col(
                "id",
                Id,
                "t.id",
                false,
                "Allocation id (UUID, lower-case text).",
            ),
            col(
                "grant_id",
                Id,
                "t.grant_id",
                false,
                "Grant the money comes from (grants.id).",
            ),
            col(
                "project_id",
                Id,
                "t.project_id",
                false,
                "Project it pays for (projects.id).",
            ),
            col(
                "amount",
                Money,
                "t.amount",
                false,
                "Amount allocated, exact to the penny, in `currency`.",
            ),
            col(
                "currency",
                Category,
                "t.currency",
                false,
                "ISO 4217 currency of the amount (GBP).",
            ),
            col("created_at", Timestamp, "t.created_at", false, CREATED),
            col("updated_at", Timestamp, "t.updated_at", false, UPDATED),
            col("archived_at", Timestamp, "t.archived_at", true, ARCHIVED),
        ],
        sorted_by: &["id"],
        partition_by_year: None,
        unique: &["id"],
    },
    Table {
        name: "projects",
        description: "Volunteering projects (services) of the campaign.",
        from: "project t",
        filter: None,
        columns: &[
            col(
                "id",
                Id,
                "t.id",
                false,
                "Project id (UUID, lower-case text).",
            ),
            col(
                "reference",
                Text,
                "t.reference",
                false,
                "Project reference code, e.g. GEH-B2H-01.",
            ),
            col("title", Text, "t.title", false, "Project title."),
            col(
                "description",
                Text,
                "t.description",
                true,
                "What the project does.",
            ),
            col(
                "lead_organisation_id",
                Id,
                "t.lead_organisation_id",
                false,
                "Organisation leading the project (organisations.id).",
            ),
            col(
                "campaign_id",
                Id,
                "t.campaign_id",
                false,
                "Campaign the project belongs to (campaigns.id).",
            ),
            col(
                "primary_stage",
                Category,
                "t.primary_stage",
                false,
                "Pathway stage the project's figures count under: waiting_well, getting_well, recovering_well or living_well.",
            ),
            col(
                "setting",
                Category,
                "t.setting",
                false,
                "Where the service runs: hospital, emergency_department, outpatient, community, home or virtual.",
            ),
            col(
                "status",
                Category,
                "t.status",
                false,
                "Project status: planned, active, paused or completed.",
            ),
            col(
                "start_date",
                Date,
                "t.start_date",
                false,
                "Day the project started.",
            ),
            col(
                "end_date",
                Date,
                "t.end_date",
                true,
                "Day the project ended; null while it runs.",
            ),
            col(
                "nation_code",
                Category,
                "t.nation_code",
                false,
                "Nation the project serves (nations.code).",
            ),
            col(
                "region_code",
                Category,
                "t.region_code",
                true,
                "Region the project serves (regions.code).",
            ),
            col(
                "volunteer_roles",
                TextList,
                "t.volunteer_roles",
                false,
                "Volunteer roles the project offers.",
            ),
            col("created_at", Timestamp, "t.created_at", false, CREATED),
            col("updated_at", Timestamp, "t.updated_at", false, UPDATED),
            col("archived_at", Timestamp, "t.archived_at", true, ARCHIVED),
        ],
        sorted_by: &["id"],
        partition_by_year: None,
        unique: &["id", "reference", "title", "description"],
    },
    Table {
        name: "project_stages",
        description: "Pathway stages each project works in; exactly one per project is primary.",
        from: "project_stage t",
        filter: None,
        columns: &[
            col(
                "project_id",
                Id,
                "t.project_id",
                false,
                "Project (projects.id).",
            ),
            col(
                "stage",
                Category,
                "t.stage",
                false,
                "Pathway stage: waiting_well, getting_well, recovering_well or living_well.",
            ),
            col(
                "is_primary",
                Bool,
                "t.is_primary",
                false,
                "True for the stage the project's figures count under.",
            ),
        ],
        sorted_by: &["project_id", "stage"],
        partition_by_year: None,
        unique: &[],
    },
    Table {
        name: "project_partners",
        description: "Organisations taking part in each project and their role (one lead per project).",
        from: "project_partner t",
        filter: None,
        columns: &[
            col(
                "project_id",
                Id,
                "t.project_id",
                false,
                "Project (projects.id).",
            ),
            col(
                "organisation_id",
                Id,
                "t.organisation_id",
                false,
                "Organisation (organisations.id).",
            ),
            col(
                "role",
                Category,
                "t.role",
                false,
                "Role in the project: lead, delivery, host or evaluation.",
            ),
        ],
        sorted_by: &["project_id", "organisation_id"],
        partition_by_year: None,
        unique: &[],
    },
    Table {
        name: "outcome_measures",
        description: "The measures outcomes are recorded against, and how each adds up.",
        from: "outcome_measure t",
        filter: None,
        columns: &[
            col(
                "id",
                Id,
                "t.id",
                false,
                "Measure id (UUID, lower-case text).",
            ),
            col(
                "code",
                Text,
                "t.code",
                false,
                "Measure code, e.g. patients_supported.",
            ),
            col("name", Text, "t.name", false, "Measure name."),
            col(
                "description",
                Text,
                "t.description",
                true,
                "What the measure counts or rates.",
            ),
            col(
                "beneficiary",
                Category,
                "t.beneficiary",
                false,
                "Who benefits: patients (patients and service users), staff, volunteers or system.",
            ),
            col(
                "result_type",
                Category,
                "t.result_type",
                false,
                "Kind of result: output, outcome or impact.",
            ),
            col(
                "unit",
                Category,
                "t.unit",
                false,
                "Unit of the values: people, hours, percent, score or gbp.",
            ),
            col(
                "ascending",
                Bool,
                "t.ascending",
                false,
                "True when higher values are better.",
            ),
            col(
                "aggregation",
                Category,
                "t.aggregation",
                false,
                "How values add up: sum (flows: add over periods and projects), latest (stocks: the value of the latest period per project, added over projects) or weighted_mean (rates and scores: mean weighted by sample_size).",
            ),
            col(
                "counts_toward_target",
                Bool,
                "t.counts_toward_target",
                false,
                "True for the people-supported measures that count toward the campaign target.",
            ),
            col("created_at", Timestamp, "t.created_at", false, CREATED),
            col("updated_at", Timestamp, "t.updated_at", false, UPDATED),
            col("archived_at", Timestamp, "t.archived_at", true, ARCHIVED),
        ],
        sorted_by: &["id"],
        partition_by_year: None,
        unique: &["id", "code", "name", "description"],
    },
    Table {
        name: "outcome_records",
        description: "Every outcome record as stored: one figure of a project for a measure and period, in any status (drafts and archived records included).",
        from: "outcome_record t",
        filter: None,
        columns: &[
            col(
                "id",
                Id,
                "t.id",
                false,
                "Record id (UUID, lower-case text).",
            ),
            col(
                "project_id",
                Id,
                "t.project_id",
                false,
                "Project (projects.id).",
            ),
            col(
                "measure_id",
                Id,
                "t.measure_id",
                false,
                "Measure (outcome_measures.id).",
            ),
            col(
                "period_start",
                Date,
                "t.period_start",
                false,
                "First day of the period (inclusive).",
            ),
            col(
                "period_end",
                Date,
                "t.period_end",
                false,
                "Last day of the period (inclusive); a record belongs to the month of its period_end.",
            ),
            col(
                "value",
                Float64,
                "t.value",
                false,
                "The figure, in the measure's unit.",
            ),
            col(
                "baseline",
                Float64,
                "t.baseline",
                true,
                "Value before the project's work, when known.",
            ),
            col(
                "target",
                Float64,
                "t.target",
                true,
                "Value the project aims for, when set.",
            ),
            col(
                "sample_size",
                Int32,
                "t.sample_size",
                true,
                "People the figure is based on; the weight of rates and scores.",
            ),
            col(
                "status",
                Category,
                "t.status",
                false,
                "draft, submitted or verified. Only submitted and verified records count in figures.",
            ),
            col(
                "data_source",
                Category,
                "t.data_source",
                false,
                "Where the figure comes from: survey, volunteer_management_system, trust_system or estimate.",
            ),
            col(
                "evidence_strength",
                Category,
                "t.evidence_strength",
                false,
                "How strong the evidence behind the figure is: weak, moderate or strong.",
            ),
            col(
                "note",
                Text,
                "t.note",
                true,
                "Partner's note on the figure.",
            ),
            col(
                "submitted_at",
                Timestamp,
                "t.submitted_at",
                true,
                "When the record was submitted (UTC).",
            ),
            col(
                "verified_at",
                Timestamp,
                "t.verified_at",
                true,
                "When the record was verified (UTC).",
            ),
            col("created_at", Timestamp, "t.created_at", false, CREATED),
            col("updated_at", Timestamp, "t.updated_at", false, UPDATED),
            col("archived_at", Timestamp, "t.archived_at", true, ARCHIVED),
        ],
        sorted_by: &["period_end"],
        partition_by_year: Some("period_end"),
        unique: &["id"],
    },
    Table {
        name: "fact_outcomes",
        description: "Live (not archived) outcome records joined to their project, lead organisation, region and measure: one row per record, ready to group. Filter `counted` (or status in submitted, verified) for the campaign's figures and add values up by the measure's `aggregation`.",
        from: "outcome_record r \
               JOIN project p ON p.id = r.project_id \
               JOIN organisation o ON o.id = p.lead_organisation_id \
               JOIN nation n ON n.code = p.nation_code \
               LEFT JOIN region g ON g.code = p.region_code \
               JOIN outcome_measure m ON m.id = r.measure_id",
        filter: Some("r.archived_at IS NULL"),
        columns: &[
            col(
                "record_id",
                Id,
                "r.id",
                false,
                "Record id (outcome_records.id).",
            ),
            col(
                "project_id",
                Id,
                "r.project_id",
                false,
                "Project (projects.id).",
            ),
            col(
                "project_reference",
                Text,
                "p.reference",
                false,
                "Project reference code.",
            ),
            col("project_title", Text, "p.title", false, "Project title."),
            col(
                "lead_organisation_id",
                Id,
                "p.lead_organisation_id",
                false,
                "Lead organisation (organisations.id).",
            ),
            col(
                "lead_organisation_name",
                Text,
                "o.name",
                false,
                "Lead organisation name.",
            ),
            col(
                "nation_code",
                Category,
                "p.nation_code",
                false,
                "Nation the project serves.",
            ),
            col("nation_name", Category, "n.name", false, "Nation name."),
            col(
                "region_code",
                Category,
                "p.region_code",
                true,
                "Region the project serves.",
            ),
            col("region_name", Category, "g.name", true, "Region name."),
            col(
                "primary_stage",
                Category,
                "p.primary_stage",
                false,
                "Pathway stage the record counts under (the project's primary stage).",
            ),
            col(
                "measure_code",
                Category,
                "m.code",
                false,
                "Measure code (outcome_measures.code).",
            ),
            col("measure_name", Category, "m.name", false, "Measure name."),
            col(
                "beneficiary",
                Category,
                "m.beneficiary",
                false,
                "Who benefits: patients, staff, volunteers or system.",
            ),
            col(
                "unit",
                Category,
                "m.unit",
                false,
                "Unit of value, baseline and target.",
            ),
            col(
                "aggregation",
                Category,
                "m.aggregation",
                false,
                "How values add up: sum (add), latest (per project the value of the latest period_end, then add over projects) or weighted_mean (mean weighted by sample_size).",
            ),
            col(
                "counts_toward_target",
                Bool,
                "m.counts_toward_target",
                false,
                "True for the people-supported measures that count toward the campaign target.",
            ),
            col(
                "period_start",
                Date,
                "r.period_start",
                false,
                "First day of the period (inclusive).",
            ),
            col(
                "period_end",
                Date,
                "r.period_end",
                false,
                "Last day of the period (inclusive); the record belongs to this month.",
            ),
            col(
                "value",
                Float64,
                "r.value",
                false,
                "The figure, in the measure's unit.",
            ),
            col(
                "sample_size",
                Int32,
                "r.sample_size",
                true,
                "People the figure is based on; the weight of rates and scores.",
            ),
            col(
                "baseline",
                Float64,
                "r.baseline",
                true,
                "Value before the project's work, when known.",
            ),
            col(
                "target",
                Float64,
                "r.target",
                true,
                "Value the project aims for, when set.",
            ),
            col(
                "status",
                Category,
                "r.status",
                false,
                "draft, submitted or verified.",
            ),
            col(
                "counted",
                Bool,
                "r.status IN ('submitted', 'verified')",
                false,
                "True when the record counts in the campaign's figures (submitted or verified).",
            ),
            col(
                "data_source",
                Category,
                "r.data_source",
                false,
                "Where the figure comes from: survey, volunteer_management_system, trust_system or estimate.",
            ),
            col(
                "evidence_strength",
                Category,
                "r.evidence_strength",
                false,
                "How strong the evidence behind the figure is: weak, moderate or strong.",
            ),
        ],
        sorted_by: &["period_end"],
        partition_by_year: Some("period_end"),
        unique: &["record_id"],
    },
];

/// The SQL that reads `table`'s rows, the same on SQLite and PostgreSQL but for the collation of
/// text sort keys (byte-wise on both, so the recorded sort order is what readers compare).
pub fn select_sql(table: &Table, postgres: bool) -> String {
    // Aliased, so that other readers of the same SELECT (benchmarks) see the export's names.
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("{} AS {}", c.sql, c.name))
        .collect();
    let mut sql = format!("SELECT {} FROM {}", columns.join(", "), table.from);
    if let Some(filter) = table.filter {
        sql.push_str(" WHERE ");
        sql.push_str(filter);
    }
    if !table.sorted_by.is_empty() {
        let keys: Vec<String> = table
            .sorted_by
            .iter()
            .filter_map(|name| table.column(name))
            .map(|(_, c)| match (c.kind.is_stored_as_text(), postgres) {
                (true, true) => format!("{} COLLATE \"C\"", c.sql),
                _ => c.sql.to_owned(),
            })
            .collect();
        sql.push_str(" ORDER BY ");
        sql.push_str(&keys.join(", "));
    }
    sql
}

/// The SQL counting the rows `select_sql` reads (the joins of a fact table are all many-to-one).
pub fn count_sql(table: &Table) -> String {
    let mut sql = format!("SELECT count(*) FROM {}", table.from);
    if let Some(filter) = table.filter {
        sql.push_str(" WHERE ");
        sql.push_str(filter);
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sort_and_partition_column_exists() {
        for table in TABLES {
            for name in table.sorted_by.iter().chain(table.unique) {
                assert!(table.column(name).is_some(), "{}.{name}", table.name);
            }
            if let Some(name) = table.partition_by_year {
                let (_, column) = table.column(name).unwrap();
                assert_eq!(column.kind, Kind::Date, "{}.{name}", table.name);
            }
        }
    }

    #[test]
    fn disclosure_keys_are_never_exported() {
        // Knowing the records' keys would let a reader take the noise off the public figures.
        for table in TABLES {
            let sql = select_sql(table, true);
            for secret in [
                "outcome_record_key",
                "record_key",
                "installation",
                "disclosure",
            ] {
                assert!(!table.name.contains(secret), "{}", table.name);
                assert!(!sql.contains(secret), "{}: {sql}", table.name);
                assert!(
                    table.columns.iter().all(|c| !c.name.contains(secret)),
                    "{}",
                    table.name
                );
            }
        }
    }

    #[test]
    fn text_sort_keys_compare_bytes_on_postgres() {
        let nations = &TABLES[0];
        assert_eq!(
            select_sql(nations, true),
            "SELECT t.code AS code, t.name AS name FROM nation t ORDER BY t.code COLLATE \"C\""
        );
        assert_eq!(
            select_sql(nations, false),
            "SELECT t.code AS code, t.name AS name FROM nation t ORDER BY t.code"
        );
    }
}
