//! Every constraint of the schema rejects its bad row, on both backends (tested at the SQL layer,
//! where the promise lives), while a valid row of the same shape is accepted.

use b2h_tests::{TestBackend, TestDb, both_backends, scalar_i64, uuid_sql};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

const GEH: &str = "(SELECT id FROM project WHERE reference = 'GEH-B2H-01')";
const TS: &str = "'2024-01-01T00:00:00+00:00'";

fn measure(code: &str) -> String {
    format!("(SELECT id FROM outcome_measure WHERE code = '{code}')")
}

/// An outcome record insert; the defaults make a valid record.
struct Record<'a> {
    id: Option<Uuid>,
    project: &'a str,
    measure: &'a str,
    unit: &'a str,
    aggregation: &'a str,
    start: &'a str,
    end: &'a str,
    value: &'a str,
    baseline: &'a str,
    sample_size: &'a str,
    status: &'a str,
    data_source: &'a str,
    submitted_at: &'a str,
    verified_at: &'a str,
}

impl Default for Record<'_> {
    fn default() -> Self {
        Self {
            id: None,
            project: GEH,
            measure: "wellbeing_improved_pct",
            unit: "percent",
            aggregation: "weighted_mean",
            start: "2030-01-01",
            end: "2030-01-31",
            value: "64.5",
            baseline: "NULL",
            sample_size: "25",
            status: "submitted",
            data_source: "survey",
            submitted_at: TS,
            verified_at: "NULL",
        }
    }
}

impl Record<'_> {
    fn sql(&self, backend: TestBackend) -> String {
        format!(
            "INSERT INTO outcome_record (id, project_id, measure_id, measure_unit, measure_aggregation,
                period_start, period_end, value, baseline, target, sample_size, status, data_source,
                evidence_strength, note, submitted_at, verified_at, created_at, updated_at, version)
             VALUES ({id}, {project}, {measure}, '{unit}', '{aggregation}', '{start}', '{end}', {value},
                {baseline}, NULL, {n}, '{status}', '{source}', 'moderate', NULL, {submitted}, {verified},
                {TS}, {TS}, 1)",
            id = uuid_sql(backend, self.id.unwrap_or_else(Uuid::new_v4)),
            project = self.project,
            measure = measure(self.measure),
            unit = self.unit,
            aggregation = self.aggregation,
            start = self.start,
            end = self.end,
            value = self.value,
            baseline = self.baseline,
            n = self.sample_size,
            status = self.status,
            source = self.data_source,
            submitted = self.submitted_at,
            verified = self.verified_at,
        )
    }
}

async fn accepted(db: &DatabaseConnection, what: &str, sql: &str) {
    if let Err(e) = db.execute_unprepared(sql).await {
        panic!("valid row rejected ({what}): {e}\n{sql}");
    }
}

async fn rejected(db: &DatabaseConnection, what: &str, sql: &str) {
    if db.execute_unprepared(sql).await.is_ok() {
        panic!("bad row accepted: {what}\n{sql}");
    }
}

both_backends!(
    every_constraint_rejects_its_bad_row,
    |db: TestDb| async move {
        db.b2h(&["seed", "--no-progress"]).ok();
        let conn = db.connect().await;
        let b = db.backend;
        let records_before = scalar_i64(&conn, "SELECT COUNT(*) FROM outcome_record").await;

        // Outcome records: the control is accepted, each variant is not.
        accepted(
            &conn,
            "a valid weighted-mean record",
            &Record::default().sql(b),
        )
        .await;
        accepted(
            &conn,
            "a valid people record",
            &Record {
                measure: "patients_supported",
                unit: "people",
                aggregation: "sum",
                sample_size: "NULL",
                value: "12",
                data_source: "trust_system",
                ..Default::default()
            }
            .sql(b),
        )
        .await;
        let bad_records: Vec<(&str, Record)> = vec![
            (
                "period end before start",
                Record {
                    start: "2030-02-01",
                    end: "2030-01-31",
                    ..Default::default()
                },
            ),
            (
                "negative people count",
                Record {
                    measure: "patients_supported",
                    unit: "people",
                    aggregation: "sum",
                    sample_size: "NULL",
                    value: "-1",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "fractional people count",
                Record {
                    measure: "patients_supported",
                    unit: "people",
                    aggregation: "sum",
                    sample_size: "NULL",
                    value: "2.5",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "negative hours",
                Record {
                    measure: "volunteer_hours",
                    unit: "hours",
                    aggregation: "sum",
                    sample_size: "NULL",
                    value: "-0.5",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "percentage over 100",
                Record {
                    value: "100.5",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "percentage below 0",
                Record {
                    value: "-3",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "baseline percentage over 100",
                Record {
                    baseline: "120",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "weighted mean without sample size",
                Record {
                    sample_size: "NULL",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "sample size of zero",
                Record {
                    sample_size: "0",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "unit that is not the measure's",
                Record {
                    unit: "hours",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "aggregation that is not the measure's",
                Record {
                    aggregation: "sum",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "unknown status",
                Record {
                    status: "approved",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "unknown data source",
                Record {
                    data_source: "guess",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "submitted without submitted_at",
                Record {
                    submitted_at: "NULL",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "verified without verified_at",
                Record {
                    status: "verified",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "value out of the finite range",
                Record {
                    value: "1e300",
                    measure: "volunteer_hours",
                    unit: "hours",
                    aggregation: "sum",
                    sample_size: "NULL",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
            (
                "second record for the same project, measure and period",
                Record::default(),
            ),
            (
                "unknown project",
                Record {
                    project: "(SELECT NULL)",
                    start: "2030-03-01",
                    end: "2030-03-31",
                    ..Default::default()
                },
            ),
        ];
        for (what, record) in &bad_records {
            rejected(&conn, what, &record.sql(b)).await;
        }
        let unknown_project = format!("({})", uuid_sql(b, Uuid::new_v4()));
        rejected(
            &conn,
            "project that does not exist",
            &Record {
                project: &unknown_project,
                start: "2030-03-01",
                end: "2030-03-31",
                ..Default::default()
            }
            .sql(b),
        )
        .await;
        assert_eq!(
            scalar_i64(&conn, "SELECT COUNT(*) FROM outcome_record").await,
            records_before + 2
        );

        let new_id = || uuid_sql(b, Uuid::new_v4());
        let statements: Vec<(&str, String)> = vec![
        // Organisations
        ("blank organisation name", "UPDATE organisation SET name = '   ' WHERE org_id = 'GB-NHS-RLT'".into()),
        ("unknown organisation kind", "UPDATE organisation SET kind = 'hospital' WHERE org_id = 'GB-NHS-RLT'".into()),
        ("duplicate Org-ID", "UPDATE organisation SET org_id = 'GB-NHS-RLT' WHERE org_id <> 'GB-NHS-RLT'".into()),
        ("English region on a Welsh organisation", "UPDATE organisation SET nation_code = 'W92000004' WHERE org_id = 'GB-NHS-RLT'".into()),
        ("region without nation", "UPDATE organisation SET nation_code = NULL WHERE org_id = 'GB-NHS-RLT'".into()),
        ("unknown region", "UPDATE organisation SET region_code = 'E40000099' WHERE org_id = 'GB-NHS-RLT'".into()),
        // Projects
        ("duplicate project reference", "UPDATE project SET reference = 'GEH-B2H-01'".into()),
        ("malformed project reference", "UPDATE project SET reference = 'geh b2h 01' WHERE reference = 'GEH-B2H-01'".into()),
        ("project ending before it starts", "UPDATE project SET end_date = '2000-01-01' WHERE reference = 'GEH-B2H-01'".into()),
        ("English project without region", "UPDATE project SET region_code = NULL WHERE reference = 'GEH-B2H-01'".into()),
        ("project in Wales with an English region", "UPDATE project SET nation_code = 'W92000004' WHERE reference = 'GEH-B2H-01'".into()),
        ("volunteer roles not a JSON array", "UPDATE project SET volunteer_roles = '{\"a\": 1}' WHERE reference = 'GEH-B2H-01'".into()),
        ("unknown project status", "UPDATE project SET status = 'cancelled' WHERE reference = 'GEH-B2H-01'".into()),
        ("unknown pathway stage", "UPDATE project SET primary_stage = 'staying_well' WHERE reference = 'GEH-B2H-01'".into()),
        ("unknown setting", "UPDATE project SET setting = 'school' WHERE reference = 'GEH-B2H-01'".into()),
        ("two primary stages", format!("UPDATE project_stage SET is_primary = TRUE WHERE project_id = {GEH}")),
        ("unknown stage row", format!("UPDATE project_stage SET stage = 'resting_well' WHERE project_id = {GEH}")),
        ("second lead partner", format!(
            "INSERT INTO project_partner (project_id, organisation_id, role)
             SELECT {GEH}, id, 'lead' FROM organisation WHERE id NOT IN (SELECT organisation_id FROM project_partner WHERE project_id = {GEH}) LIMIT 1")),
        ("unknown partner role", format!("UPDATE project_partner SET role = 'sponsor' WHERE project_id = {GEH}")),
        ("updated before created", "UPDATE project SET updated_at = '2000-01-01T00:00:00+00:00' WHERE reference = 'GEH-B2H-01'".into()),
        ("version zero", "UPDATE project SET version = 0 WHERE reference = 'GEH-B2H-01'".into()),
        // Grants
        ("grant identifier without 360G- prefix", "UPDATE grant_award SET identifier = 'ABC-1' WHERE identifier = (SELECT MIN(identifier) FROM grant_award)".into()),
        ("negative grant amount", "UPDATE grant_award SET amount_awarded = -1".into()),
        ("lower-case currency", "UPDATE grant_award SET currency = 'gbp'".into()),
        ("two-letter currency", "UPDATE grant_award SET currency = 'GB'".into()),
        ("grant planned to end before it starts", "UPDATE grant_award SET planned_end_date = '2000-01-01'".into()),
        ("allocation in another currency than its grant", "UPDATE grant_allocation SET currency = 'EUR'".into()),
        ("negative allocation", "UPDATE grant_allocation SET amount = -100".into()),
        ("second allocation of a grant to the same project", format!(
            "INSERT INTO grant_allocation (id, grant_id, project_id, amount, currency, created_at, updated_at, version)
             SELECT {}, grant_id, project_id, 100, currency, created_at, updated_at, 1 FROM grant_allocation LIMIT 1", new_id())),
        // Measures
        ("hours counting towards the people target", "UPDATE outcome_measure SET counts_toward_target = TRUE WHERE code = 'volunteer_hours'".into()),
        ("measure code not snake_case", "UPDATE outcome_measure SET code = 'Volunteer Hours' WHERE code = 'volunteer_hours'".into()),
        ("measure becoming a weighted mean while its records lack sample sizes", "UPDATE outcome_measure SET aggregation = 'weighted_mean' WHERE code = 'volunteer_hours'".into()),
        ("unknown unit", "UPDATE outcome_measure SET unit = 'litres' WHERE code = 'volunteer_hours'".into()),
        // Campaigns
        ("campaign without a target", "UPDATE campaign SET target_people = 0".into()),
        ("campaign target date before its start", "UPDATE campaign SET target_date = '2020-01-01'".into()),
        // API keys, audit, exports
        ("partner key without organisation", format!(
            "INSERT INTO api_key (id, name, role, key_prefix, secret_hash, created_by, created_at)
             VALUES ({}, 'partner key', 'partner', 'b2h_partner01', '{}', 'test', {TS})", new_id(), "a".repeat(64))),
        ("funder key without funder", format!(
            "INSERT INTO api_key (id, name, role, key_prefix, secret_hash, created_by, created_at)
             VALUES ({}, 'funder key', 'funder', 'b2h_funder001', '{}', 'test', {TS})", new_id(), "a".repeat(64))),
        ("admin key scoped to an organisation", format!(
            "INSERT INTO api_key (id, name, role, organisation_id, key_prefix, secret_hash, created_by, created_at)
             SELECT {}, 'admin key', 'admin', id, 'b2h_admin0001', '{}', 'test', {TS} FROM organisation LIMIT 1", new_id(), "a".repeat(64))),
        ("unknown key role", format!(
            "INSERT INTO api_key (id, name, role, key_prefix, secret_hash, created_by, created_at)
             VALUES ({}, 'k', 'root', 'b2h_root00001', '{}', 'test', {TS})", new_id(), "a".repeat(64))),
        ("audit event without actor", format!(
            "INSERT INTO audit_event (id, at, actor, action, entity_type) VALUES ({}, {TS}, '', 'update', 'project')", new_id())),
        ("unknown export status", format!(
            "INSERT INTO export_job (id, status, requested_by, destination, requested_at, created_at, updated_at)
             VALUES ({}, 'done', 'test', '/tmp/out', {TS}, {TS}, {TS})", new_id())),
        ("succeeded export without snapshot", format!(
            "INSERT INTO export_job (id, status, requested_by, destination, requested_at, created_at, updated_at)
             VALUES ({}, 'succeeded', 'test', '/tmp/out', {TS}, {TS}, {TS})", new_id())),
    ];
        for (what, sql) in &statements {
            rejected(&conn, what, sql).await;
        }
        // Controls: valid rows of the same shapes are accepted.
        accepted(&conn, "an admin key", &format!(
        "INSERT INTO api_key (id, name, role, key_prefix, secret_hash, created_by, created_at)
         VALUES ({}, 'admin key', 'admin', 'b2h_admin0002', '{}', 'test', {TS})", new_id(), "a".repeat(64))).await;
        accepted(&conn, "a queued export", &format!(
        "INSERT INTO export_job (id, status, requested_by, destination, requested_at, created_at, updated_at)
         VALUES ({}, 'queued', 'test', '/tmp/out', {TS}, {TS}, {TS})", new_id())).await;
        accepted(&conn, "a project move to Wales", "UPDATE project SET nation_code = 'W92000004', region_code = NULL WHERE reference = 'GEH-B2H-01'").await;
        conn.close().await.ok();
    }
);
