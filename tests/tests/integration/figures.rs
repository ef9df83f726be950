//! The figure engine against a plain SQL recomputation written here: the same question asked of
//! `impact` (as an admin: exact) and answered by one SQL statement over the records, after writes
//! on every path, on both backends.

use b2h_tests::{TestApp, is_postgres, rows};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One question: what `impact` is asked.
#[derive(Clone, Debug, Default)]
pub struct Ask {
    /// ImpactDimension names, in order.
    pub group_by: Vec<&'static str>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub measures: Vec<String>,
    /// SUBMITTED / VERIFIED.
    pub statuses: Vec<&'static str>,
    /// DataSource names (SURVEY…).
    pub sources: Vec<&'static str>,
    pub evidence: Vec<&'static str>,
    /// A project filter as GraphQL input and the same as a condition on `p`.
    pub project: Option<(String, String)>,
}

/// A figure as compared: records, projects, value, sample size, baseline, target.
#[derive(Clone, Debug, PartialEq)]
pub struct Fig {
    pub records: i64,
    pub projects: i64,
    pub value: f64,
    pub sample: Option<i64>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

pub type Answer = BTreeMap<String, BTreeMap<String, Fig>>;

fn list(values: &[&str]) -> String {
    values.join(", ")
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sql_text(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn snake(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Ask {
    pub fn graphql(&self) -> String {
        let mut filter = Vec::new();
        if let Some(from) = &self.from {
            filter.push(format!("periodFrom: \"{from}\""));
        }
        if let Some(to) = &self.to {
            filter.push(format!("periodTo: \"{to}\""));
        }
        if !self.measures.is_empty() {
            filter.push(format!("measure: [{}]", quoted(&self.measures)));
        }
        if !self.statuses.is_empty() {
            filter.push(format!("status: [{}]", list(&self.statuses)));
        }
        if !self.sources.is_empty() {
            filter.push(format!("dataSource: [{}]", list(&self.sources)));
        }
        if !self.evidence.is_empty() {
            filter.push(format!("evidenceStrength: [{}]", list(&self.evidence)));
        }
        if let Some((graphql, _)) = &self.project {
            filter.push(format!("project: {graphql}"));
        }
        format!(
            "{{ impact(groupBy: [{}], filter: {{{}}}) {{
                 key {{ pathwayStage region {{ code }} funder {{ id }} project {{ id }}
                        organisation {{ id }} measure {{ code }} month quarter year financialYear }}
                 figures {{ measure {{ code }} value records projects sampleSize baseline target }} }} }}",
            self.group_by.join(", "),
            filter.join(", ")
        )
    }

    /// The same question as one SQL statement.
    pub fn sql(&self, postgres: bool) -> String {
        let hex = |col: &str| {
            if postgres {
                format!("replace(CAST({col} AS text), '-', '')")
            } else {
                format!("lower(hex({col}))")
            }
        };
        let (year, month) = if postgres {
            (
                "CAST(EXTRACT(YEAR FROM r.period_end) AS integer)",
                "CAST(EXTRACT(MONTH FROM r.period_end) AS integer)",
            )
        } else {
            (
                "CAST(strftime('%Y', r.period_end) AS integer)",
                "CAST(strftime('%m', r.period_end) AS integer)",
            )
        };
        let mut dims: Vec<(String, String)> = Vec::new();
        for d in &self.group_by {
            let expr = match *d {
                "PATHWAY_STAGE" => "p.primary_stage".to_owned(),
                "REGION" => "COALESCE(p.region_code, p.nation_code)".to_owned(),
                "FUNDER" => format!(
                    "CASE WHEN f.funder_id IS NULL THEN 'none' ELSE {} END",
                    hex("f.funder_id")
                ),
                "PROJECT" => hex("p.id"),
                "ORGANISATION" => hex("p.lead_organisation_id"),
                "MEASURE" => "m.code".to_owned(),
                "MONTH" => format!("({year}) * 12 + ({month}) - 1"),
                "QUARTER" => format!("({year}) * 4 + (({month}) - 1) / 3"),
                "YEAR" => year.to_owned(),
                "FINANCIAL_YEAR" => {
                    format!("CASE WHEN ({month}) < 4 THEN ({year}) - 1 ELSE ({year}) END")
                }
                other => panic!("unknown dimension {other}"),
            };
            dims.push((format!("d_{}", snake(d)), expr));
        }
        let mut conditions = vec!["r.archived_at IS NULL".to_owned()];
        let statuses: Vec<String> = if self.statuses.is_empty() {
            vec!["submitted".into(), "verified".into()]
        } else {
            self.statuses.iter().map(|s| snake(s)).collect()
        };
        conditions.push(format!("r.status IN ({})", sql_text(&statuses)));
        if let Some(from) = &self.from {
            conditions.push(format!("r.period_end >= '{from}'"));
        }
        if let Some(to) = &self.to {
            conditions.push(format!("r.period_end <= '{to}'"));
        }
        if !self.measures.is_empty() {
            conditions.push(format!("m.code IN ({})", sql_text(&self.measures)));
        }
        if !self.sources.is_empty() {
            let s: Vec<String> = self.sources.iter().map(|s| snake(s)).collect();
            conditions.push(format!("r.data_source IN ({})", sql_text(&s)));
        }
        if !self.evidence.is_empty() {
            let s: Vec<String> = self.evidence.iter().map(|s| snake(s)).collect();
            conditions.push(format!("r.evidence_strength IN ({})", sql_text(&s)));
        }
        if let Some((_, sql)) = &self.project {
            conditions.push(format!("({sql})"));
        }
        let funders = if self.group_by.contains(&"FUNDER") {
            "LEFT JOIN (SELECT DISTINCT a.project_id, g.funder_id FROM grant_allocation a
               JOIN grant_award g ON g.id = a.grant_id WHERE a.archived_at IS NULL) f
               ON f.project_id = p.id"
        } else {
            ""
        };
        let dim_select: String = dims
            .iter()
            .map(|(name, expr)| format!("{expr} AS {name}, "))
            .collect();
        let dim_names: Vec<String> = dims.iter().map(|(n, _)| n.clone()).collect();
        let partition = dims
            .iter()
            .map(|(_, expr)| expr.clone())
            .chain(["r.measure_id".to_owned(), "r.project_id".to_owned()])
            .collect::<Vec<_>>()
            .join(", ");
        let group = dim_names
            .iter()
            .cloned()
            .chain(["code".to_owned(), "aggregation".to_owned()])
            .collect::<Vec<_>>()
            .join(", ");
        let outer_dims: String = dim_names.iter().map(|n| format!("{n}, ")).collect();
        format!(
            "WITH x AS (
               SELECT {dim_select} r.measure_id, r.project_id, m.code, m.aggregation,
                      r.value, r.sample_size, r.baseline, r.target,
                      ROW_NUMBER() OVER (PARTITION BY {partition}
                        ORDER BY r.period_end DESC, r.period_start DESC, r.value DESC,
                                 COALESCE(r.baseline, -1e300) DESC,
                                 COALESCE(r.target, -1e300) DESC) AS rn
               FROM outcome_record r JOIN project p ON p.id = r.project_id
               JOIN outcome_measure m ON m.id = r.measure_id {funders}
               WHERE {}
             )
             SELECT {outer_dims} code, aggregation,
               COUNT(*) AS records, COUNT(DISTINCT project_id) AS projects,
               SUM(value) AS sum_value,
               SUM(value * sample_size) AS weighted, SUM(sample_size) AS sample,
               COUNT(sample_size) AS samples,
               SUM(CASE WHEN rn = 1 THEN value END) AS latest,
               SUM(baseline) AS base_sum, COUNT(baseline) AS base_n,
               SUM(baseline * sample_size) AS base_weighted,
               SUM(CASE WHEN baseline IS NOT NULL THEN sample_size END) AS base_sample,
               SUM(CASE WHEN rn = 1 THEN baseline END) AS latest_base,
               COUNT(CASE WHEN rn = 1 THEN baseline END) AS latest_base_n,
               SUM(target) AS target_sum, COUNT(target) AS target_n,
               SUM(target * sample_size) AS target_weighted,
               SUM(CASE WHEN target IS NOT NULL THEN sample_size END) AS target_sample,
               SUM(CASE WHEN rn = 1 THEN target END) AS latest_target,
               COUNT(CASE WHEN rn = 1 THEN target END) AS latest_target_n
             FROM x GROUP BY {group}",
            conditions.join(" AND ")
        )
    }
}

fn num(row: &Value, name: &str) -> f64 {
    row[name].as_f64().unwrap_or(0.0)
}

fn int(row: &Value, name: &str) -> i64 {
    row[name]
        .as_i64()
        .or_else(|| row[name].as_f64().map(|f| f as i64))
        .unwrap_or(0)
}

fn ratio(sum: f64, n: i64) -> Option<f64> {
    (n > 0).then(|| sum / n as f64)
}

fn time_key(dimension: &str, t: i64) -> String {
    match dimension {
        "MONTH" => format!("{:04}-{:02}", t.div_euclid(12), t.rem_euclid(12) + 1),
        "QUARTER" => format!("{}-Q{}", t.div_euclid(4), t.rem_euclid(4) + 1),
        "FINANCIAL_YEAR" => format!("{}/{:02}", t, (t + 1) % 100),
        _ => t.to_string(),
    }
}

/// The SQL statement's answer.
pub async fn oracle(app: &TestApp, ask: &Ask) -> Answer {
    let conn = app.db.connect().await;
    let found = rows(&conn, &ask.sql(is_postgres(&conn))).await;
    conn.close().await.ok();
    let mut answer = Answer::new();
    for row in found {
        let key: Vec<String> = ask
            .group_by
            .iter()
            .map(|d| {
                let v = &row[format!("d_{}", snake(d))];
                match *d {
                    "MONTH" | "QUARTER" | "YEAR" | "FINANCIAL_YEAR" => {
                        time_key(d, v.as_i64().unwrap_or_default())
                    }
                    "PATHWAY_STAGE" => v.as_str().unwrap_or_default().to_ascii_uppercase(),
                    _ => v.as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect();
        let kind = row["aggregation"].as_str().unwrap_or_default();
        let records = int(&row, "records");
        let (value, baseline, target) = match kind {
            "sum" => (
                num(&row, "sum_value"),
                (int(&row, "base_n") > 0).then(|| num(&row, "base_sum")),
                (int(&row, "target_n") > 0).then(|| num(&row, "target_sum")),
            ),
            "latest" => (
                num(&row, "latest"),
                (int(&row, "latest_base_n") > 0).then(|| num(&row, "latest_base")),
                (int(&row, "latest_target_n") > 0).then(|| num(&row, "latest_target")),
            ),
            _ => (
                ratio(num(&row, "weighted"), int(&row, "sample")).unwrap_or(0.0),
                ratio(num(&row, "base_weighted"), int(&row, "base_sample")),
                ratio(num(&row, "target_weighted"), int(&row, "target_sample")),
            ),
        };
        answer.entry(key.join("|")).or_default().insert(
            row["code"].as_str().unwrap_or_default().to_owned(),
            Fig {
                records,
                projects: int(&row, "projects"),
                value,
                sample: (int(&row, "samples") > 0).then(|| int(&row, "sample")),
                baseline,
                target,
            },
        );
    }
    answer
}

fn id_key(v: &Value) -> String {
    v["id"]
        .as_str()
        .map_or("none".to_owned(), |id| id.replace('-', ""))
}

/// The API's answer to the same question (the app's key must read exact figures).
pub async fn api(app: &TestApp, ask: &Ask) -> Answer {
    let data = app.data(&ask.graphql(), json!({})).await;
    let mut answer = Answer::new();
    for group in data["impact"].as_array().cloned().unwrap_or_default() {
        let k = &group["key"];
        let key: Vec<String> = ask
            .group_by
            .iter()
            .map(|d| match *d {
                "PATHWAY_STAGE" => k["pathwayStage"].as_str().unwrap_or_default().to_owned(),
                "REGION" => k["region"]["code"].as_str().unwrap_or_default().to_owned(),
                "FUNDER" => id_key(&k["funder"]),
                "PROJECT" => id_key(&k["project"]),
                "ORGANISATION" => id_key(&k["organisation"]),
                "MEASURE" => k["measure"]["code"].as_str().unwrap_or_default().to_owned(),
                "MONTH" => k["month"].as_str().unwrap_or_default()[..7].to_owned(),
                "QUARTER" => k["quarter"].as_str().unwrap_or_default().to_owned(),
                "YEAR" => k["year"].to_string(),
                "FINANCIAL_YEAR" => k["financialYear"].as_str().unwrap_or_default().to_owned(),
                other => panic!("unknown dimension {other}"),
            })
            .collect();
        let figures = answer.entry(key.join("|")).or_default();
        for f in group["figures"].as_array().cloned().unwrap_or_default() {
            figures.insert(
                f["measure"]["code"].as_str().unwrap_or_default().to_owned(),
                Fig {
                    records: f["records"].as_i64().unwrap_or_default(),
                    projects: f["projects"].as_i64().unwrap_or_default(),
                    value: f["value"].as_f64().unwrap_or(f64::NAN),
                    sample: f["sampleSize"].as_i64(),
                    baseline: f["baseline"].as_f64(),
                    target: f["target"].as_f64(),
                },
            );
        }
    }
    answer
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Where two answers differ (people to the unit and everything else to 1e-9 relative); `None`
/// when they agree.
pub fn difference(api: &Answer, sql: &Answer) -> Option<String> {
    if api.keys().ne(sql.keys()) {
        let only_api: Vec<_> = api.keys().filter(|k| !sql.contains_key(*k)).collect();
        let only_sql: Vec<_> = sql.keys().filter(|k| !api.contains_key(*k)).collect();
        return Some(format!(
            "groups differ: only in the API {only_api:?}, only in SQL {only_sql:?}"
        ));
    }
    for (key, figures) in api {
        let other = &sql[key];
        if figures.keys().ne(other.keys()) {
            return Some(format!(
                "group {key}: measures {:?} vs {:?}",
                figures.keys().collect::<Vec<_>>(),
                other.keys().collect::<Vec<_>>()
            ));
        }
        for (measure, a) in figures {
            let b = &other[measure];
            let same = a.records == b.records
                && a.projects == b.projects
                && a.sample == b.sample
                && close(a.value, b.value)
                && close_opt(a.baseline, b.baseline)
                && close_opt(a.target, b.target);
            if !same {
                return Some(format!("group {key}, {measure}: API {a:?}, SQL {b:?}"));
            }
        }
    }
    None
}

/// Asks `ask` of both and fails with the difference.
pub async fn assert_same(app: &TestApp, ask: &Ask, step: &str) {
    let (from_api, from_sql) = (api(app, ask).await, oracle(app, ask).await);
    assert!(
        !from_sql.is_empty() || from_api.is_empty(),
        "{step}: {ask:?}"
    );
    if let Some(diff) = difference(&from_api, &from_sql) {
        panic!("{step}: {ask:?}: {diff}");
    }
}

/// The latest committed change sequence, read from the database.
pub async fn committed_sequence(app: &TestApp) -> i64 {
    let conn = app.db.connect().await;
    let n = b2h_tests::scalar_i64(&conn, "SELECT sequence FROM change_counter WHERE id = 1").await;
    conn.close().await.ok();
    n
}

/// The change sequence the app's answers reflect now.
pub async fn answered_sequence(app: &TestApp) -> i64 {
    let (_, body) = app.graphql("{ __typename }", json!({})).await;
    body["extensions"]["changeSequence"]
        .as_i64()
        .unwrap_or_else(|| panic!("no changeSequence in {body}"))
}

/// Waits (generously) until the app's answers reflect every committed change: writes by other
/// processes reach it through the change feed.
pub async fn wait_for_feed(app: &TestApp) {
    let wanted = committed_sequence(app).await;
    for _ in 0..600 {
        if answered_sequence(app).await >= wanted {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server did not reach change sequence {wanted} within 30 s");
}

/// Questions every write step is checked with: every dimension, every filter kind.
pub fn fixed_asks() -> Vec<Ask> {
    let ask = |group_by: &[&'static str]| Ask {
        group_by: group_by.to_vec(),
        ..Ask::default()
    };
    vec![
        ask(&["REGION", "PATHWAY_STAGE", "MEASURE", "MONTH"]),
        ask(&["REGION", "QUARTER"]),
        ask(&["PATHWAY_STAGE", "YEAR"]),
        ask(&["FUNDER", "FINANCIAL_YEAR"]),
        ask(&["ORGANISATION", "QUARTER"]),
        ask(&["PROJECT"]),
        ask(&[]),
        Ask {
            from: Some("2023-04-01".into()),
            ..ask(&["FINANCIAL_YEAR", "YEAR"])
        },
        Ask {
            from: Some("2024-01-15".into()),
            to: Some("2024-03-10".into()),
            ..ask(&["REGION", "MONTH"])
        },
        Ask {
            sources: vec!["SURVEY"],
            ..ask(&["REGION", "QUARTER"])
        },
        Ask {
            statuses: vec!["VERIFIED"],
            evidence: vec!["STRONG", "MODERATE"],
            ..ask(&["MEASURE"])
        },
        Ask {
            measures: vec!["active_volunteers".into(), "wellbeing_improved_pct".into()],
            ..ask(&["PROJECT", "QUARTER"])
        },
    ]
}

/// Every fixed question agrees with SQL.
pub async fn assert_all_same(app: &TestApp, step: &str) {
    for ask in fixed_asks() {
        assert_same(app, &ask, step).await;
    }
}

/// A small deterministic generator (xorshift), so that a failing sequence can be replayed with
/// `B2H_PROPERTY_SEED`.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// 0..n
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A random non-empty subset, in order.
    pub fn some<T: Clone>(&mut self, items: &[T]) -> Vec<T> {
        loop {
            let out: Vec<T> = items.iter().filter(|_| self.chance(50)).cloned().collect();
            if !out.is_empty() {
                return out;
            }
        }
    }
}

const DIMENSIONS: [&str; 10] = [
    "PATHWAY_STAGE",
    "REGION",
    "FUNDER",
    "PROJECT",
    "ORGANISATION",
    "MEASURE",
    "MONTH",
    "QUARTER",
    "YEAR",
    "FINANCIAL_YEAR",
];

/// What the random questions choose from.
pub struct World {
    pub regions: Vec<String>,
    pub funders: Vec<String>,
    pub measures: Vec<String>,
}

fn hex_sql(postgres: bool, id: &str) -> String {
    if postgres {
        format!("'{id}'")
    } else {
        format!("X'{}'", id.replace('-', ""))
    }
}

/// A random question: any dimensions (up to three), any window (cutting months), any filters.
pub fn random_ask(dice: &mut Dice, world: &World, postgres: bool) -> Ask {
    let mut group_by = Vec::new();
    for _ in 0..dice.below(4) {
        let d = *dice.pick(&DIMENSIONS);
        if !group_by.contains(&d) {
            group_by.push(d);
        }
    }
    // Projects and organisations are many: not both with a fine time dimension.
    if group_by.contains(&"PROJECT") && group_by.contains(&"ORGANISATION") {
        group_by.retain(|d| *d != "ORGANISATION");
    }
    let day = |dice: &mut Dice| {
        format!(
            "{}-{:02}-{:02}",
            2022 + dice.below(4),
            1 + dice.below(12),
            1 + dice.below(28)
        )
    };
    let mut ask = Ask {
        group_by,
        ..Ask::default()
    };
    if dice.chance(50) {
        let (a, b) = (day(dice), day(dice));
        let (from, to) = if a <= b { (a, b) } else { (b, a) };
        if dice.chance(80) {
            ask.from = Some(from);
        }
        if dice.chance(80) {
            ask.to = Some(to);
        }
    }
    if dice.chance(30) {
        ask.measures = dice.some(&world.measures);
    }
    if dice.chance(25) {
        ask.statuses = vec![*dice.pick(&["SUBMITTED", "VERIFIED"])];
    }
    if dice.chance(25) {
        ask.sources = dice.some(&[
            "SURVEY",
            "VOLUNTEER_MANAGEMENT_SYSTEM",
            "TRUST_SYSTEM",
            "ESTIMATE",
        ]);
    }
    if dice.chance(25) {
        ask.evidence = dice.some(&["WEAK", "MODERATE", "STRONG"]);
    }
    if dice.chance(40) {
        ask.project = Some(match dice.below(3) {
            0 => {
                let region = dice.pick(&world.regions).clone();
                (
                    format!("{{region: {{eq: \"{region}\"}}}}"),
                    format!("p.region_code = '{region}'"),
                )
            }
            1 => {
                let stage = *dice.pick(&[
                    "WAITING_WELL",
                    "GETTING_WELL",
                    "RECOVERING_WELL",
                    "LIVING_WELL",
                ]);
                (
                    format!("{{primaryStage: {{eq: {stage}}}}}"),
                    format!("p.primary_stage = '{}'", stage.to_ascii_lowercase()),
                )
            }
            _ => {
                let funder = dice.pick(&world.funders).clone();
                (
                    format!("{{funder: {{eq: \"{funder}\"}}}}"),
                    format!(
                        "EXISTS (SELECT 1 FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
                         WHERE a.project_id = p.id AND a.archived_at IS NULL AND g.funder_id = {})",
                        hex_sql(postgres, &funder)
                    ),
                )
            }
        });
    }
    ask
}

/// A record the test may change: id, version, status.
#[derive(Clone, Debug)]
struct Known {
    id: Value,
    version: i64,
    status: String,
}

fn known(rows: &Value) -> Vec<Known> {
    rows.as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|r| Known {
            id: r["id"].clone(),
            version: r["version"].as_i64().unwrap_or(1),
            status: r["status"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

const RECORD_FIELDS: &str = "id version status";

b2h_tests::with_demo_app!(
    random_writes_and_questions_agree_with_sql,
    |mut app: TestApp| async move {
        app.authenticate(&["--role", "admin"]);
        let postgres = {
            let conn = app.db.connect().await;
            let p = is_postgres(&conn);
            conn.close().await.ok();
            p
        };
        let seed: u64 = std::env::var("B2H_PROPERTY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_261_202);
        let steps: usize = std::env::var("B2H_PROPERTY_STEPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(24);
        let mut dice = Dice::new(seed);
        let world_data = app
            .data(
                "{ projects(first: 200, filter: {startDate: {lte: \"2024-07-01\"}, endDate: {isNull: true}, nation: {eq: \"E92000001\"}}) {
                     nodes { id reference version } }
                   funders(first: 100) { nodes { id } }
                   grants(first: 100) { nodes { id } }
                   regions { code }
                   outcomeMeasures { code aggregation unit } }",
                json!({}),
            )
            .await;
        let projects: Vec<(String, String)> = world_data["projects"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_owned(),
                    p["reference"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut versions: BTreeMap<String, i64> = world_data["projects"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_owned(),
                    p["version"].as_i64().unwrap(),
                )
            })
            .collect();
        let ids = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let world = World {
            regions: world_data["regions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["code"].as_str().unwrap().to_owned())
                .collect(),
            funders: ids(&world_data["funders"]["nodes"]),
            measures: world_data["outcomeMeasures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["code"].as_str().unwrap().to_owned())
                .collect(),
        };
        let grants = ids(&world_data["grants"]["nodes"]);
        let measures = world_data["outcomeMeasures"].as_array().unwrap().clone();
        let mut records = known(
            &app.data(
                &format!("{{ outcomeRecords(first: 40, filter: {{status: {{ne: DRAFT}}}}) {{ nodes {{ {RECORD_FIELDS} }} }} }}"),
                json!({}),
            )
            .await["outcomeRecords"]["nodes"],
        );
        let mut allocations: Vec<(Value, i64)> = Vec::new();
        let dir =
            std::env::temp_dir().join(format!("b2h-property-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut used_periods = std::collections::HashSet::new();
        let mut new_record = |dice: &mut Dice| {
            let (_, reference) = dice.pick(&projects).clone();
            let m = dice.pick(&measures).clone();
            // After the demo's months (no overlap with its records), one per project, measure
            // and month.
            let months = 7 + dice.below(18);
            let (year, month) = (2024 + (months - 1) / 12, (months - 1) % 12 + 1);
            let end_day = 2 + dice.below(27);
            let start_day = 1 + dice.below(end_day - 1);
            let key = (reference.clone(), m["code"].to_string(), year, month);
            if !used_periods.insert(key) {
                return None;
            }
            let percent = m["unit"] == "PERCENT";
            let value = if percent {
                dice.below(101)
            } else {
                dice.below(400)
            } as f64;
            let mut row = json!({
                "project": reference, "measure": m["code"],
                "periodStart": format!("{year}-{month:02}-{start_day:02}"),
                "periodEnd": format!("{year}-{month:02}-{end_day:02}"),
                "value": value, "sampleSize": 5 + dice.below(60),
                "dataSource": dice.pick(&["SURVEY", "TRUST_SYSTEM", "ESTIMATE", "VOLUNTEER_MANAGEMENT_SYSTEM"]),
                "evidenceStrength": dice.pick(&["WEAK", "MODERATE", "STRONG"]),
            });
            if dice.chance(40) {
                row["baseline"] = json!(if percent {
                    dice.below(101)
                } else {
                    dice.below(300)
                } as f64);
            }
            if dice.chance(40) {
                row["target"] = json!(if percent {
                    dice.below(101)
                } else {
                    dice.below(500)
                } as f64);
            }
            Some(row)
        };
        let record_mutation = format!(
            "mutation($r: [OutcomeRecordInput!]!) {{ recordOutcomes(records: $r) {{ records {{ {RECORD_FIELDS} }} }} }}"
        );
        let mut archived: Vec<Value> = Vec::new();
        for step in 0..steps {
            let what = dice.below(10);
            let label = format!("seed {seed}, step {step} (write {what})");
            match what {
                // New records, submitted at once or later.
                0 | 1 => {
                    let rows: Vec<Value> = (0..1 + dice.below(3))
                        .filter_map(|_| new_record(&mut dice))
                        .collect();
                    if rows.is_empty() {
                        continue;
                    }
                    let made = known(
                        &app.data(&record_mutation, json!({"r": rows})).await["recordOutcomes"]["records"],
                    );
                    let submit = dice.chance(70);
                    for r in made {
                        if submit {
                            let done = app
                                .data(&format!("mutation($ids: [ID!]!) {{ submitOutcomes(ids: $ids) {{ {RECORD_FIELDS} }} }}"), json!({"ids": [r.id]}))
                                .await;
                            records.extend(known(&done["submitOutcomes"]));
                        } else {
                            records.push(r);
                        }
                    }
                }
                // An archived record recorded again: it comes back as a draft.
                2 if !archived.is_empty() && dice.chance(30) => {
                    let row = archived.swap_remove(dice.below(archived.len()));
                    let back = known(
                        &app.data(&record_mutation, json!({"r": [row]})).await["recordOutcomes"]["records"],
                    );
                    assert!(
                        back.iter().all(|r| r.status == "DRAFT"),
                        "{label}: a restored record is a draft"
                    );
                    records.extend(back);
                }
                // A counted record's figures changed (it becomes a draft again).
                2 => {
                    let Some(r) = records.iter().find(|r| r.status == "SUBMITTED").cloned() else {
                        continue;
                    };
                    let full = app
                        .data("query($id: ID!) { outcomeRecords(first: 1, filter: {id: {eq: $id}}) { nodes { project { reference } measure { code } periodStart periodEnd value sampleSize dataSource evidenceStrength } } }", json!({"id": r.id}))
                        .await["outcomeRecords"]["nodes"][0]
                        .clone();
                    let row = json!({"project": full["project"]["reference"], "measure": full["measure"]["code"],
                        "periodStart": full["periodStart"], "periodEnd": full["periodEnd"],
                        "value": full["value"].as_f64().unwrap_or(0.0) + 1.0, "sampleSize": full["sampleSize"],
                        "dataSource": full["dataSource"], "evidenceStrength": full["evidenceStrength"],
                        "version": r.version});
                    let changed = known(
                        &app.data(&record_mutation, json!({"r": [row]})).await["recordOutcomes"]["records"],
                    );
                    records.retain(|x| x.id != r.id);
                    records.extend(changed);
                }
                // Submit, verify or reopen one.
                3 | 4 => {
                    let (verb, from) = *dice.pick(&[
                        ("submitOutcomes", "DRAFT"),
                        ("verifyOutcomes", "SUBMITTED"),
                        ("reopenOutcomes", "VERIFIED"),
                        ("reopenOutcomes", "SUBMITTED"),
                        ("archiveOutcomes", "SUBMITTED"),
                        ("archiveOutcomes", "VERIFIED"),
                    ]);
                    let Some(r) = records.iter().find(|r| r.status == from).cloned() else {
                        continue;
                    };
                    let reason = match verb {
                        "reopenOutcomes" => ", reason: \"recount\"",
                        "archiveOutcomes" => ", reason: \"entered twice\"",
                        _ => "",
                    };
                    if verb == "archiveOutcomes" {
                        // Kept to record it again later (it no longer lists once archived).
                        let full = app
                            .data("query($id: ID!) { outcomeRecords(first: 1, filter: {id: {eq: $id}}) { nodes { project { reference } measure { code } periodStart periodEnd value sampleSize dataSource evidenceStrength } } }", json!({"id": r.id}))
                            .await["outcomeRecords"]["nodes"][0]
                            .clone();
                        archived.push(json!({"project": full["project"]["reference"], "measure": full["measure"]["code"],
                            "periodStart": full["periodStart"], "periodEnd": full["periodEnd"], "value": full["value"],
                            "sampleSize": full["sampleSize"], "dataSource": full["dataSource"],
                            "evidenceStrength": full["evidenceStrength"]}));
                    }
                    let done = app
                        .data(&format!("mutation($ids: [ID!]!) {{ {verb}(ids: $ids{reason}) {{ {RECORD_FIELDS} }} }}"), json!({"ids": [r.id]}))
                        .await;
                    records.retain(|x| x.id != r.id);
                    if verb != "archiveOutcomes" {
                        records.extend(known(&done[verb]));
                    }
                }
                // A project moved to another region and stage.
                5 => {
                    let (id, _) = dice.pick(&projects).clone();
                    let region = dice.pick(&world.regions).clone();
                    let stage = *dice.pick(&[
                        "WAITING_WELL",
                        "GETTING_WELL",
                        "RECOVERING_WELL",
                        "LIVING_WELL",
                    ]);
                    let done = app
                        .data("mutation($id: ID!, $v: Int!, $r: String!, $s: PathwayStage!) {
                                 updateProject(input: {id: $id, version: $v, regionCode: $r, primaryStage: $s}) { id version } }",
                              json!({"id": id, "v": versions[&id], "r": region, "s": stage}))
                        .await;
                    versions.insert(id, done["updateProject"]["version"].as_i64().unwrap());
                }
                // An allocation added, or one archived.
                6 => {
                    if !allocations.is_empty() && dice.chance(40) {
                        let (id, version) = allocations.remove(dice.below(allocations.len()));
                        app.data("mutation($id: ID!, $v: Int) { archiveGrantAllocation(id: $id, version: $v) { id } }", json!({"id": id, "v": version}))
                            .await;
                    } else if !grants.is_empty() {
                        let (project, _) = dice.pick(&projects).clone();
                        let done = app
                            .data("mutation($g: ID!, $p: ID!) { createGrantAllocation(input: {grantId: $g, projectId: $p, amount: \"1.00\"}) { id version } }",
                                  json!({"g": dice.pick(&grants), "p": project}))
                            .await;
                        let a = &done["createGrantAllocation"];
                        allocations.push((a["id"].clone(), a["version"].as_i64().unwrap()));
                    }
                }
                // An outcome file through the CLI (another process: the feed brings it), its
                // records then submitted.
                7 | 8 => {
                    let rows: Vec<Value> = (0..2).filter_map(|_| new_record(&mut dice)).collect();
                    if rows.is_empty() {
                        continue;
                    }
                    let mut csv = String::from(
                        "project_reference,measure_code,period_start,period_end,value,sample_size,baseline,target,data_source,evidence_strength,note,version\n",
                    );
                    for r in &rows {
                        let opt = |v: &Value| v.as_f64().map(|f| f.to_string()).unwrap_or_default();
                        csv.push_str(&format!(
                            "{},{},{},{},{},{},{},{},{},{},,\n",
                            r["project"].as_str().unwrap(),
                            r["measure"].as_str().unwrap(),
                            r["periodStart"].as_str().unwrap(),
                            r["periodEnd"].as_str().unwrap(),
                            r["value"],
                            r["sampleSize"],
                            opt(&r["baseline"]),
                            opt(&r["target"]),
                            r["dataSource"].as_str().unwrap().to_ascii_lowercase(),
                            r["evidenceStrength"].as_str().unwrap().to_ascii_lowercase(),
                        ));
                    }
                    let file = dir.join(format!("returns-{step}.csv"));
                    std::fs::write(&file, csv).unwrap();
                    app.db
                        .b2h(&[
                            "import",
                            "outcomes",
                            file.to_str().unwrap(),
                            "--no-progress",
                        ])
                        .ok();
                    wait_for_feed(&app).await;
                    let drafts = known(&app.data(&format!("{{ outcomeRecords(first: 50, filter: {{status: {{eq: DRAFT}}}}) {{ nodes {{ {RECORD_FIELDS} }} }} }}"), json!({})).await["outcomeRecords"]["nodes"]);
                    let ids: Vec<Value> = drafts.iter().map(|d| d.id.clone()).collect();
                    let done = app
                        .data(&format!("mutation($ids: [ID!]!) {{ submitOutcomes(ids: $ids) {{ {RECORD_FIELDS} }} }}"), json!({"ids": ids}))
                        .await;
                    records.retain(|r| r.status != "DRAFT");
                    records.extend(known(&done["submitOutcomes"]));
                }
                // A 360Giving file through the CLI (grants, funders and recipients).
                _ => {
                    let file = format!("{}/baring-2015.json", crate::imports::fixtures());
                    app.db
                        .b2h(&["import", "grants", &file, "--no-progress"])
                        .ok();
                    wait_for_feed(&app).await;
                }
            }
            for _ in 0..2 {
                let ask = random_ask(&mut dice, &world, postgres);
                assert_same(&app, &ask, &label).await;
            }
        }
        assert_all_same(&app, &format!("seed {seed}, after every step")).await;
        std::fs::remove_dir_all(&dir).ok();
    }
);
