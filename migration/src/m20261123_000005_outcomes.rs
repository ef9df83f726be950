//! Outcome measures (indicators, seeded with the campaign's measures) and outcome records.

use crate::dialect::{Dialect, drop_tables, editable_columns, not_blank, one_of, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const BENEFICIARIES: [&str; 4] = ["patients", "staff", "volunteers", "system"];
const RESULT_TYPES: [&str; 3] = ["output", "outcome", "impact"];
const UNITS: [&str; 5] = ["people", "hours", "percent", "score", "gbp"];
const AGGREGATIONS: [&str; 3] = ["sum", "latest", "weighted_mean"];
const RECORD_STATUSES: [&str; 3] = ["draft", "submitted", "verified"];
const DATA_SOURCES: [&str; 4] = [
    "survey",
    "volunteer_management_system",
    "trust_system",
    "estimate",
];
const EVIDENCE_STRENGTHS: [&str; 3] = ["weak", "moderate", "strong"];

/// A seeded measure: the campaign's indicators.
struct Measure {
    id: &'static str,
    code: &'static str,
    name: &'static str,
    description: &'static str,
    beneficiary: &'static str,
    result_type: &'static str,
    unit: &'static str,
    ascending: bool,
    aggregation: &'static str,
    counts_toward_target: bool,
}

const MEASURES: [Measure; 12] = [
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000001",
        code: "patients_supported",
        name: "Patients and service users supported",
        description: "People newly supported by the service in the period (patients, service users, carers).",
        beneficiary: "patients",
        result_type: "output",
        unit: "people",
        ascending: true,
        aggregation: "sum",
        counts_toward_target: true,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000002",
        code: "staff_supported",
        name: "Health and care staff supported",
        description: "Health and care staff newly supported by the service in the period.",
        beneficiary: "staff",
        result_type: "output",
        unit: "people",
        ascending: true,
        aggregation: "sum",
        counts_toward_target: true,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000003",
        code: "volunteers_supported",
        name: "Volunteers supported",
        description: "Volunteers newly recruited, trained or supported in the period.",
        beneficiary: "volunteers",
        result_type: "output",
        unit: "people",
        ascending: true,
        aggregation: "sum",
        counts_toward_target: true,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000004",
        code: "active_volunteers",
        name: "Active volunteers",
        description: "Volunteers active at the end of the period (a stock: the latest value counts, never a sum over months).",
        beneficiary: "volunteers",
        result_type: "output",
        unit: "people",
        ascending: true,
        aggregation: "latest",
        counts_toward_target: false,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000005",
        code: "volunteer_hours",
        name: "Volunteer hours given",
        description: "Hours given by volunteers in the period.",
        beneficiary: "volunteers",
        result_type: "output",
        unit: "hours",
        ascending: true,
        aggregation: "sum",
        counts_toward_target: false,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000006",
        code: "wellbeing_improved_pct",
        name: "Patients reporting improved wellbeing",
        description: "Percentage of surveyed patients reporting improved wellbeing; weighted by sample size.",
        beneficiary: "patients",
        result_type: "outcome",
        unit: "percent",
        ascending: true,
        aggregation: "weighted_mean",
        counts_toward_target: false,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000007",
        code: "less_anxious_pct",
        name: "Patients feeling less anxious",
        description: "Percentage of surveyed patients who felt less anxious after support; weighted by sample size.",
        beneficiary: "patients",
        result_type: "outcome",
        unit: "percent",
        ascending: true,
        aggregation: "weighted_mean",
        counts_toward_target: false,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000008",
        code: "did_not_attend_rate",
        name: "Did-not-attend rate",
        description: "Percentage of booked appointments missed by supported patients; lower is better; weighted by appointments.",
        beneficiary: "patients",
        result_type: "outcome",
        unit: "percent",
        ascending: false,
        aggregation: "weighted_mean",
        counts_toward_target: false,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000009",
        code: "readmissions_avoided",
        name: "Readmissions avoided",
        description: "Estimated emergency readmissions within 30 days avoided among supported patients.",
        beneficiary: "system",
        result_type: "impact",
        unit: "people",
        ascending: true,
        aggregation: "sum",
        counts_toward_target: false,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000010",
        code: "staff_time_released_hours",
        name: "Staff time released",
        description: "Hours of clinical and care staff time released by volunteers' work.",
        beneficiary: "staff",
        result_type: "impact",
        unit: "hours",
        ascending: true,
        aggregation: "sum",
        counts_toward_target: false,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000011",
        code: "swemwbs_mean_score",
        name: "Mental wellbeing score (SWEMWBS)",
        description: "Mean Short Warwick-Edinburgh Mental Wellbeing Scale score (7 to 35) of surveyed patients; weighted by sample size.",
        beneficiary: "patients",
        result_type: "outcome",
        unit: "score",
        ascending: true,
        aggregation: "weighted_mean",
        counts_toward_target: false,
    },
    Measure {
        id: "b2b2b2b2-0001-4000-8000-000000000012",
        code: "bed_days_saved_value_gbp",
        name: "Value of bed days saved",
        description: "Estimated value in pounds of hospital bed days saved through earlier discharge.",
        beneficiary: "system",
        result_type: "impact",
        unit: "gbp",
        ascending: true,
        aggregation: "sum",
        counts_toward_target: false,
    },
];

/// Bounds that keep values finite (PostgreSQL accepts NaN and infinities in double precision).
fn finite(col: &str) -> String {
    format!("{col} BETWEEN -1e15 AND 1e15")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let d = Dialect::of(manager);
        let Dialect { uuid, date, ts, .. } = d;
        let editable = editable_columns(&d);
        let mut sql = vec![format!(
            "CREATE TABLE outcome_measure (
                id {uuid} PRIMARY KEY,
                code text NOT NULL UNIQUE CHECK (length(code) <= 64 AND {code}),
                name text NOT NULL CHECK ({name}),
                description text,
                beneficiary text NOT NULL CHECK ({beneficiary}),
                result_type text NOT NULL CHECK ({result_type}),
                unit text NOT NULL CHECK ({unit}),
                ascending boolean NOT NULL,
                aggregation text NOT NULL CHECK ({aggregation}),
                counts_toward_target boolean NOT NULL DEFAULT FALSE,
                {editable},
                UNIQUE (id, unit, aggregation),
                CHECK (NOT counts_toward_target OR (unit = 'people' AND aggregation = 'sum'))
            )",
            code = d.snake_code("code"),
            name = not_blank("name"),
            beneficiary = one_of("beneficiary", &BENEFICIARIES),
            result_type = one_of("result_type", &RESULT_TYPES),
            unit = one_of("unit", &UNITS),
            aggregation = one_of("aggregation", &AGGREGATIONS),
        )];
        let at = d.ts_literal("2022-03-01T00:00:00+00:00");
        for m in &MEASURES {
            sql.push(format!(
                "INSERT INTO outcome_measure (id, code, name, description, beneficiary, result_type,
                    unit, ascending, aggregation, counts_toward_target, created_at, updated_at, version)
                 VALUES ({id}, '{code}', '{name}', '{description}', '{beneficiary}', '{result_type}',
                    '{unit}', {ascending}, '{aggregation}', {counts}, {at}, {at}, 1)",
                id = d.uuid_literal(m.id),
                code = m.code,
                name = m.name,
                description = m.description.replace('\'', "''"),
                beneficiary = m.beneficiary,
                result_type = m.result_type,
                unit = m.unit,
                ascending = if m.ascending { "TRUE" } else { "FALSE" },
                aggregation = m.aggregation,
                counts = if m.counts_toward_target { "TRUE" } else { "FALSE" },
            ));
        }
        // The measure's unit and aggregation are copied onto each record and kept in step by a
        // composite foreign key, so that CHECK constraints can apply the measure's rules.
        sql.push(format!(
            "CREATE TABLE outcome_record (
                id {uuid} PRIMARY KEY,
                project_id {uuid} NOT NULL REFERENCES project (id),
                measure_id {uuid} NOT NULL,
                measure_unit text NOT NULL,
                measure_aggregation text NOT NULL,
                period_start {date} NOT NULL,
                period_end {date} NOT NULL,
                value double precision NOT NULL CHECK ({value}),
                baseline double precision CHECK (baseline IS NULL OR {baseline}),
                target double precision CHECK (target IS NULL OR {target}),
                sample_size integer CHECK (sample_size IS NULL OR sample_size > 0),
                status text NOT NULL CHECK ({status}),
                data_source text NOT NULL CHECK ({data_source}),
                evidence_strength text NOT NULL CHECK ({evidence}),
                note text CHECK (note IS NULL OR length(note) <= 2000),
                submitted_at {ts},
                verified_at {ts},
                {editable},
                FOREIGN KEY (measure_id, measure_unit, measure_aggregation)
                    REFERENCES outcome_measure (id, unit, aggregation) ON UPDATE CASCADE,
                UNIQUE (project_id, measure_id, period_start, period_end),
                CHECK (period_end >= period_start),
                CHECK (measure_unit NOT IN ('people', 'hours') OR (value >= 0
                       AND (baseline IS NULL OR baseline >= 0) AND (target IS NULL OR target >= 0))),
                CHECK (measure_unit <> 'people' OR value = round(value)),
                CHECK (measure_unit <> 'percent' OR (value BETWEEN 0 AND 100
                       AND (baseline IS NULL OR baseline BETWEEN 0 AND 100)
                       AND (target IS NULL OR target BETWEEN 0 AND 100))),
                CHECK (measure_aggregation <> 'weighted_mean' OR sample_size IS NOT NULL),
                CHECK (status = 'draft' OR submitted_at IS NOT NULL),
                CHECK (status <> 'verified' OR verified_at IS NOT NULL)
            )",
            value = finite("value"),
            baseline = finite("baseline"),
            target = finite("target"),
            status = one_of("status", &RECORD_STATUSES),
            data_source = one_of("data_source", &DATA_SOURCES),
            evidence = one_of("evidence_strength", &EVIDENCE_STRENGTHS),
        ));
        sql.extend(
            [
                "CREATE INDEX outcome_record_measure_period_idx ON outcome_record (measure_id, period_end, project_id)",
                "CREATE INDEX outcome_record_project_period_idx ON outcome_record (project_id, period_end)",
                "CREATE INDEX outcome_record_period_end_idx ON outcome_record (period_end)",
                "CREATE INDEX outcome_record_status_idx ON outcome_record (status)",
            ]
            .map(str::to_owned),
        );
        run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["outcome_record", "outcome_measure"]).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
