//! Disclosure control that no combination of public answers undoes: the attacker's findings
//! (a)-(f) of issue 13 tried again, the headline exact, key holders exact, publications, and an
//! attack suite that combines every public answer it can get.

use b2h_api::publication::Published;
use b2h_tests::{TestApp, TestBackend, TestDb, with_demo_app};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const FIGURES: &str = "figures { measure { code } value records projects sampleSize suppressed perturbed publishedAt }";

fn impact_query(group: &str, filter: &str) -> String {
    format!(
        "{{ impact(groupBy: [{group}], filter: {{{filter}}}) {{
           key {{ pathwayStage region {{ code }} funder {{ id }} month quarter year financialYear }}
           {FIGURES} }} }}"
    )
}

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Every figure of an answer, with its group key.
fn figures(data: &Value) -> Vec<(Value, Value)> {
    data["impact"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .flat_map(|g| {
                    g["figures"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|f| (g["key"].clone(), f.clone()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Records for `month` (YYYY-MM) of `measure` in the projects given, as `recordOutcomes` takes them.
fn records(projects: &[(&str, f64, Option<i64>)], measure: &str, month: &str) -> Value {
    let end = match &month[5..] {
        "02" if month[..4].parse::<i32>().is_ok_and(|y| y % 4 == 0) => "29",
        "02" => "28",
        "04" | "06" | "09" | "11" => "30",
        _ => "31",
    };
    Value::Array(
        projects
            .iter()
            .map(|(p, v, s)| {
                json!({"project": p, "measure": measure, "periodStart": format!("{month}-01"),
                       "periodEnd": format!("{month}-{end}"), "value": v, "sampleSize": s,
                       "dataSource": "SURVEY", "evidenceStrength": "STRONG"})
            })
            .collect(),
    )
}

/// Records and submits a batch as the current key.
async fn submit(app: &TestApp, batch: Value) {
    let made = app
        .data(
            "mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { records { id } } }",
            json!({"r": batch}),
        )
        .await;
    let ids: Vec<Value> = made["recordOutcomes"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    app.data(
        "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids) { id } }",
        json!({"ids": ids}),
    )
    .await;
}

const PROGRESS: &str = "{ campaignProgress { supported publishedAt
  byBeneficiary { beneficiary supported perturbed }
  byPathwayStage { stage supported suppressed perturbed }
  byRegion { region { code } supported suppressed perturbed }
  byMonth { month supported cumulative suppressed perturbed } } }";

/// References of `n` projects that may take records for July to September 2024.
async fn open_projects(app: &TestApp, n: usize) -> Vec<String> {
    let data = app
        .data(
            "{ projects(first: 500, orderBy: [{field: REFERENCE, direction: ASC}]) {
               nodes { reference startDate endDate } } }",
            json!({}),
        )
        .await;
    data["projects"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["startDate"].as_str().is_some_and(|d| d <= "2024-07-01")
                && p["endDate"].as_str().is_none_or(|d| d >= "2024-09-30")
        })
        .filter_map(|p| p["reference"].as_str().map(str::to_owned))
        .take(n)
        .collect()
}

/// References of three projects of one stage and one area that may take records for July to
/// September 2024: a group big enough to be published on its own.
async fn open_group(app: &TestApp) -> Vec<String> {
    let data = app
        .data(
            "{ projects(first: 500, orderBy: [{field: REFERENCE, direction: ASC}]) {
               nodes { reference startDate endDate primaryStage region { code } nation { code } } } }",
            json!({}),
        )
        .await;
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for p in data["projects"]["nodes"].as_array().unwrap() {
        let open = p["startDate"].as_str().is_some_and(|d| d <= "2024-07-01")
            && p["endDate"].as_str().is_none_or(|d| d >= "2024-09-30");
        if open {
            let area = p["region"]["code"]
                .as_str()
                .or(p["nation"]["code"].as_str());
            groups
                .entry((p["primaryStage"].to_string(), area.unwrap_or("").to_owned()))
                .or_default()
                .push(p["reference"].as_str().unwrap().to_owned());
        }
    }
    groups
        .into_values()
        .find(|g| g.len() >= 3)
        .map(|g| g[..3].to_vec())
        .unwrap_or_default()
}

with_demo_app!(
    the_findings_recover_nothing,
    |mut app: TestApp| async move {
        let open = open_group(&app).await;
        assert_eq!(open.len(), 3);
        let (p1, p2, p3) = (open[0].as_str(), open[1].as_str(), open[2].as_str());
        // (a) Differencing: "every project except P" cannot be asked, national months are perturbed.
        let (_, body) = app
        .graphql(
            &impact_query(
                "MONTH",
                "measure: [\"volunteers_supported\"], project: {not: {reference: {eq: \"GEH-B2H-01\"}}}",
            ),
            json!({}),
        )
        .await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("published dimensions"), "{message}");
        let months = app
            .data(
                &impact_query("MONTH", "measure: [\"volunteers_supported\"]"),
                json!({}),
            )
            .await;
        let months = figures(&months);
        // 28 months have records; in the first two fewer than three projects report, and a
        // month's cells leave out groups that small.
        assert_eq!(months.len(), 26);
        assert!(
            months
                .iter()
                .all(|(_, f)| f["perturbed"] == true && f["publishedAt"].is_string())
        );

        // (b) No project or organisation groups, no source, evidence or status filters, no windows
        // of several months, no cross-tabulation of stage, region and funder.
        for (group, filter) in [
            ("PROJECT, MONTH", ""),
            ("ORGANISATION", ""),
            ("MONTH", "dataSource: [SURVEY]"),
            ("MONTH", "evidenceStrength: [STRONG]"),
            ("MONTH", "status: [VERIFIED]"),
            ("", "project: {reference: {eq: \"GEH-B2H-01\"}}"),
            ("", "periodFrom: \"2024-01-01\", periodTo: \"2024-02-29\""),
            ("", "periodFrom: \"2024-01-02\", periodTo: \"2024-01-31\""),
            ("", "periodFrom: \"2024-01-01\""),
            ("REGION, PATHWAY_STAGE", ""),
        ] {
            let (_, body) = app.graphql(&impact_query(group, filter), json!({})).await;
            assert_eq!(code(&body), Some("FORBIDDEN"), "{group} {filter}: {body}");
        }

        // (c), (d): a period with one contributing project shows nothing of it; with three
        // projects the cell is perturbed, and a mean of too small a sample is withheld with its
        // sample size. Records of a new month (July 2024), published.
        app.authenticate(&["--role", "admin"]);
        let three = [(p1, 3.0, None), (p2, 4.0, None), (p3, 5.0, None)];
        submit(&app, records(&three, "volunteers_supported", "2024-07")).await;
        submit(
            &app,
            records(&[(p1, 3.0, None)], "patients_supported", "2024-07"),
        )
        .await;
        submit(
            &app,
            records(
                &[
                    (p1, 60.6, Some(2)),
                    (p2, 50.0, Some(2)),
                    (p3, 40.0, Some(3)),
                ],
                "wellbeing_improved_pct",
                "2024-07",
            ),
        )
        .await;
        submit(
            &app,
            records(&[(p1, 81.0, None)], "volunteer_hours", "2024-07"),
        )
        .await;
        // Key holders see the write at once; the public does not.
        let live = app
            .data("{ campaignProgress { supported } }", json!({}))
            .await;
        assert_eq!(live["campaignProgress"]["supported"], 623_774 + 15);
        app.key = None;
        let before = app.data(PROGRESS, json!({})).await;
        assert_eq!(before["campaignProgress"]["supported"], 623_774);
        let july = "periodFrom: \"2024-07-01\", periodTo: \"2024-07-31\"";
        assert_eq!(
            app.data(&impact_query("", july), json!({})).await["impact"],
            json!([])
        );
        assert_eq!(
            app.publish().await,
            Published::New {
                projects_changed: 3
            }
        );
        let after = app.data(PROGRESS, json!({})).await;
        // (f) The headline moves only at a publication, by the sum of at least three projects.
        assert_eq!(after["campaignProgress"]["supported"], 623_774 + 15);
        assert_ne!(
            after["campaignProgress"]["publishedAt"],
            before["campaignProgress"]["publishedAt"]
        );
        let july_cells = figures(&app.data(&impact_query("", july), json!({})).await);
        let cell = |code: &str| {
            july_cells
                .iter()
                .find(|(_, f)| f["measure"]["code"] == code)
                .map(|(_, f)| f.clone())
                .unwrap_or_else(|| panic!("{code}: {july_cells:?}"))
        };
        for code in ["patients_supported", "volunteer_hours"] {
            assert!(
                !july_cells.iter().any(|(_, f)| f["measure"]["code"] == code),
                "{code}: {july_cells:?}"
            );
        }
        let mean = cell("wellbeing_improved_pct");
        assert_eq!(
            (
                mean["value"].clone(),
                mean["suppressed"].clone(),
                mean["sampleSize"].clone(),
                mean["projects"].clone()
            ),
            (Value::Null, json!(true), Value::Null, json!(3)),
            "{mean}"
        );
        let volunteers = cell("volunteers_supported");
        assert_eq!(
            (
                volunteers["perturbed"].clone(),
                volunteers["projects"].clone()
            ),
            (json!(true), json!(3))
        );
        assert_ne!(volunteers["value"], 12.0, "the noise is never zero");

        // (e) Stages and months are perturbed; the running total is derived from the months shown.
        let p = &after["campaignProgress"];
        assert!(
            p["byPathwayStage"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["perturbed"] == true)
        );
        // The running total is counted back from the headline by the months shown.
        let months = p["byMonth"].as_array().unwrap();
        let mut running = p["supported"].as_i64();
        for m in months.iter().rev() {
            assert!(m["perturbed"] == true || m["suppressed"] == true, "{m}");
            assert_eq!(m["cumulative"].as_i64(), running, "{m}");
            running = running.zip(m["supported"].as_i64()).map(|(r, v)| r - v);
        }
        assert!(months.iter().filter(|m| m["perturbed"] == true).count() >= 24);
        // The headline and its beneficiary groups are exact.
        let by: Vec<i64> = p["byBeneficiary"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["supported"].as_i64().unwrap())
            .collect();
        assert_eq!(by, [449_283 + 3, 111_472, 63_019 + 12]);

        // A write between publications changes no public figure; one project's is not enough for a
        // publication; the next with three is.
        let everything = format!(
            "{{ a: {} b: {} }}",
            PROGRESS.trim_start_matches('{').trim_end_matches('}'),
            impact_query("REGION, QUARTER", "")
                .trim_start_matches('{')
                .trim_end_matches('}')
        );
        let published = app.data(&everything, json!({})).await;
        // Repeats: the same answer.
        assert_eq!(app.data(&everything, json!({})).await, published);
        app.authenticate(&["--role", "admin"]);
        submit(
            &app,
            records(&[(p1, 9.0, None)], "staff_supported", "2024-07"),
        )
        .await;
        app.key = None;
        assert_eq!(app.data(&everything, json!({})).await, published);
        assert_eq!(
            app.publish().await,
            Published::Deferred {
                projects_changed: 1
            }
        );
        assert_eq!(app.data(&everything, json!({})).await, published);
        app.authenticate(&["--role", "admin"]);
        submit(
            &app,
            records(
                &[(p2, 9.0, None), (p3, 9.0, None)],
                "staff_supported",
                "2024-07",
            ),
        )
        .await;
        app.key = None;
        assert_eq!(
            app.publish().await,
            Published::New {
                projects_changed: 3
            }
        );
        let next = app.data(&everything, json!({})).await;
        assert_ne!(next, published);
        assert_eq!(next["a"]["supported"], 623_774 + 15 + 27);

        // Key holders: evaluators exact and live; a funder its own funder's cells exact.
        app.authenticate(&["--role", "evaluator"]);
        let exact = figures(&app.data(&impact_query("REGION", ""), json!({})).await);
        assert!(exact.iter().all(|(_, f)| f["perturbed"] == false
            && f["suppressed"] == false
            && f["publishedAt"].is_null()));
        let funders = app.data("{ funders(first: 1, orderBy: [{field: NAME, direction: ASC}]) { nodes { id orgId } } }", json!({})).await;
        let funder = funders["funders"]["nodes"][0].clone();
        app.authenticate(&[
            "--role",
            "funder",
            "--funder",
            funder["id"].as_str().unwrap(),
        ]);
        let by_funder = figures(&app.data(&impact_query("FUNDER", ""), json!({})).await);
        assert!(!by_funder.is_empty());
        for (key, f) in &by_funder {
            let own = key["funder"]["id"] == funder["id"];
            assert_eq!(
                f["perturbed"],
                json!(!own && f["suppressed"] == false),
                "{key} {f}"
            );
        }
        assert!(
            by_funder
                .iter()
                .any(|(k, f)| k["funder"]["id"] == funder["id"] && f["perturbed"] == false)
        );
    }
);

// ---------------------------------------------------------------------------------------------
// The attack suite.

/// A public cell: the dimension it is by (`""`, stage, region or funder), its value there, the
/// time grain and bucket.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct CellId {
    by: &'static str,
    of: String,
    grain: &'static str,
    bucket: String,
}

/// What the public read of one cell.
#[derive(Clone, Debug)]
struct Read {
    value: Option<f64>,
    perturbed: bool,
}

const BY: [(&str, &str); 4] = [
    ("", ""),
    ("stage", "PATHWAY_STAGE"),
    ("region", "REGION"),
    ("funder", "FUNDER"),
];
const GRAINS: [(&str, &str); 5] = [
    ("all", ""),
    ("month", "MONTH"),
    ("quarter", "QUARTER"),
    ("year", "YEAR"),
    ("fy", "FINANCIAL_YEAR"),
];
const MEASURE: &str = "volunteers_supported";

/// A project as the public sees it: its group of projects no published dimension tells apart.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Group {
    stage: String,
    area: String,
    funders: BTreeSet<String>,
}

fn part(by: &str, key: &Value) -> String {
    match by {
        "stage" => key["pathwayStage"].as_str().unwrap_or("").to_owned(),
        "region" => key["region"]["code"].as_str().unwrap_or("").to_owned(),
        "funder" => key["funder"]["id"].as_str().unwrap_or("none").to_owned(),
        _ => String::new(),
    }
}

fn bucket(grain: &str, key: &Value) -> String {
    match grain {
        "month" => key["month"].as_str().unwrap_or("").to_owned(),
        "quarter" => key["quarter"].as_str().unwrap_or("").to_owned(),
        "year" => key["year"].to_string(),
        "fy" => key["financialYear"].as_str().unwrap_or("").to_owned(),
        _ => "all".to_owned(),
    }
}

/// The buckets a month (YYYY-MM-01) falls in, by grain.
fn buckets_of(month: &str) -> [(&'static str, String); 5] {
    let y: i32 = month[..4].parse().unwrap();
    let m: u32 = month[5..7].parse().unwrap();
    let fy = if m >= 4 { y } else { y - 1 };
    [
        ("all", "all".to_owned()),
        ("month", month.to_owned()),
        ("quarter", format!("{y}-Q{}", (m - 1) / 3 + 1)),
        ("year", y.to_string()),
        ("fy", format!("{fy}/{:02}", (fy + 1) % 100)),
    ]
}

/// Asks the public's questions, counting them.
struct Public {
    queries: usize,
}

impl Public {
    async fn ask(&mut self, app: &TestApp, query: &str) -> Value {
        assert!(app.key.is_none(), "the attacker is the public");
        self.queries += 1;
        let (_, body) = app.graphql(query, json!({})).await;
        body
    }

    /// Every public cell of the measure: by each dimension and each grain.
    async fn cells(&mut self, app: &TestApp) -> BTreeMap<CellId, Read> {
        let mut out = BTreeMap::new();
        for (by, dim) in BY {
            for (grain, time) in GRAINS {
                let group = [dim, time]
                    .iter()
                    .filter(|d| !d.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                let body = self
                    .ask(
                        app,
                        &impact_query(&group, &format!("measure: [\"{MEASURE}\"]")),
                    )
                    .await;
                assert!(body.get("errors").is_none(), "{body}");
                for (key, f) in figures(&body["data"]) {
                    out.insert(
                        CellId {
                            by,
                            of: part(by, &key),
                            grain,
                            bucket: bucket(grain, &key),
                        },
                        Read {
                            value: f["value"].as_f64(),
                            perturbed: f["perturbed"] == true,
                        },
                    );
                }
            }
        }
        out
    }
}

/// Solves the symmetric positive definite `a x = b` (Cholesky; indices read as the textbook's).
#[allow(clippy::needless_range_loop)]
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for j in 0..n {
        let mut d = a[j][j];
        for k in 0..j {
            d -= a[j][k] * a[j][k];
        }
        let d = d.max(1e-12).sqrt();
        a[j][j] = d;
        for i in j + 1..n {
            let mut s = a[i][j];
            for k in 0..j {
                s -= a[i][k] * a[j][k];
            }
            a[i][j] = s / d;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i][k] * b[k];
        }
        b[i] = s / a[i][i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k][i] * b[k];
        }
        b[i] = s / a[i][i];
    }
    b
}

/// A published cell's equation for the attacker: its value and weight, if it gives one.
type Equation<'a> = dyn Fn(&CellId, &Read, bool) -> Option<(f64, f64)> + 'a;

/// Mean absolute error.
fn mae(pairs: &[(f64, f64)]) -> f64 {
    pairs.iter().map(|(t, e)| (t - e).abs()).sum::<f64>() / pairs.len().max(1) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_suite_sqlite() {
    attack_suite(TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_suite_postgres() {
    attack_suite(TestBackend::Postgres).await;
}

async fn attack_suite(backend: TestBackend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    db.b2h(&[
        "seed",
        "--projects",
        "30",
        "--months",
        "12",
        "--no-progress",
    ])
    .ok();
    let mut app = TestApp::spawn(db, false).await;
    // The variance of a people cell's noise, from its published value (the rule is public).
    let noise_var = |value: f64| {
        let d = b2h_api::analytics::disclosure::people_noise_bound(value.round() as i64) as f64;
        (d + 1.0) * (2.0 * d + 1.0) / 6.0
    };

    // What anyone may read: the projects' stage, area and funders.
    let projects = app
        .data("{ projects(first: 500) { nodes { reference primaryStage nation { code } region { code }
                 grantAllocations { grant { funder { id } } } } } }", json!({}))
        .await;
    let mut group_of: BTreeMap<String, Group> = BTreeMap::new();
    for p in projects["projects"]["nodes"].as_array().unwrap() {
        let area = p["region"]["code"]
            .as_str()
            .or(p["nation"]["code"].as_str())
            .unwrap_or("")
            .to_owned();
        let funders = p["grantAllocations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["grant"]["funder"]["id"].as_str().map(str::to_owned))
            .collect();
        group_of.insert(
            p["reference"].as_str().unwrap().to_owned(),
            Group {
                stage: p["primaryStage"].as_str().unwrap().to_owned(),
                area,
                funders,
            },
        );
    }
    assert_eq!(group_of.len(), 30);

    // Publication 1: the seed.
    let mut public = Public { queries: 0 };
    let first = public.cells(&app).await;

    // New small records in three new months, published: differences between publications.
    app.authenticate(&["--role", "admin"]);
    let references = open_projects(&app, 30).await;
    assert!(references.len() >= 20, "{references:?}");
    for (mi, month) in ["2024-07", "2024-08", "2024-09"].iter().enumerate() {
        let rows: Vec<(&str, f64, Option<i64>)> = references
            .iter()
            .enumerate()
            .filter(|(i, _)| (i + mi) % 3 != 0)
            .map(|(i, r)| (r.as_str(), (1 + (i * 5 + mi * 3) % 7) as f64, None))
            .collect();
        submit(&app, records(&rows, MEASURE, month)).await;
    }
    app.key = None;
    assert!(matches!(app.publish().await, Published::New { .. }));
    let second = public.cells(&app).await;

    // Repeats and whole-period windows: the same cells, the same values.
    for _ in 0..3 {
        assert!(
            public
                .cells(&app)
                .await
                .iter()
                .all(|(id, r)| second.get(id).map(|s| s.value) == Some(r.value)),
            "a repeat changed a value"
        );
    }
    for (id, read) in second
        .iter()
        .filter(|(id, _)| id.grain == "month" && id.by.is_empty())
    {
        let month = &id.bucket;
        let end = &records(&[("x", 0.0, None)], MEASURE, &month[..7])[0]["periodEnd"];
        let body = public
            .ask(
                &app,
                &impact_query(
                    "",
                    &format!("measure: [\"{MEASURE}\"], periodFrom: \"{month}\", periodTo: {end}"),
                ),
            )
            .await;
        let window = figures(&body["data"]);
        assert_eq!(window.len(), 1, "{body}");
        assert_eq!(
            window[0].1["value"].as_f64(),
            read.value,
            "a window is its month's cell"
        );
    }
    // Windows of several months, complements through filters and `not`: refused.
    for filter in [
        "periodFrom: \"2024-07-01\", periodTo: \"2024-08-31\"",
        "project: {not: {region: {eq: \"E40000003\"}}}",
        "project: {region: {in: [\"E40000003\", \"E40000005\"]}}",
    ] {
        let body = public.ask(&app, &impact_query("", filter)).await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{filter}: {body}");
    }
    // The exact headline at both publications.
    let headline = |b: &Value| {
        b["data"]["campaignProgress"]["byBeneficiary"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["beneficiary"] == "VOLUNTEERS")
            .and_then(|x| x["supported"].as_f64())
            .unwrap()
    };
    let now = public
        .ask(
            &app,
            "{ campaignProgress { byBeneficiary { beneficiary supported } } }",
        )
        .await;
    let headline_now = headline(&now);
    assert!(public.queries <= 10_000, "{} queries", public.queries);

    // The truth, as an evaluator sees it live (the same records as the second publication).
    app.authenticate(&["--role", "evaluator"]);
    let mut truth = BTreeMap::new();
    for (by, dim) in BY {
        for (grain, time) in GRAINS {
            let group = [dim, time]
                .iter()
                .filter(|d| !d.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let data = app
                .data(
                    &impact_query(&group, &format!("measure: [\"{MEASURE}\"]")),
                    json!({}),
                )
                .await;
            for (key, f) in figures(&data) {
                truth.insert(
                    CellId {
                        by,
                        of: part(by, &key),
                        grain,
                        bucket: bucket(grain, &key),
                    },
                    f["value"].as_f64().unwrap_or(0.0),
                );
            }
        }
    }

    // The attacker's unknowns: one per group of projects and month. Every public cell is a sum
    // of them; every cell of the first publication a sum of those before July 2024.
    let groups: Vec<Group> = group_of
        .values()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let months: Vec<String> = second
        .keys()
        .filter(|id| id.grain == "month" && id.by.is_empty())
        .map(|id| id.bucket.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let n = groups.len() * months.len();
    let unknown = |g: usize, m: usize| g * months.len() + m;
    let members = |id: &CellId, before_july: bool| -> Vec<usize> {
        let mut out = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            let in_group = match id.by {
                "stage" => g.stage == id.of,
                "region" => g.area == id.of,
                "funder" => {
                    if id.of == "none" {
                        g.funders.is_empty()
                    } else {
                        g.funders.contains(&id.of)
                    }
                }
                _ => true,
            };
            if !in_group {
                continue;
            }
            for (mi, m) in months.iter().enumerate() {
                if before_july && m.as_str() >= "2024-07-01" {
                    continue;
                }
                if buckets_of(m)
                    .iter()
                    .any(|(grain, b)| *grain == id.grain && *b == id.bucket)
                {
                    out.push(unknown(gi, mi));
                }
            }
        }
        out
    };
    // Weighted least squares over every equation: perturbed cells (noise variance), exact ones
    // (zeros, the headline) nearly fixed; withheld cells give none.
    let estimate = |values: &Equation<'_>| -> Vec<f64> {
        let mut ata = vec![vec![0.0; n]; n];
        let mut atb = vec![0.0; n];
        let mut add = |idx: &[usize], value: f64, weight: f64| {
            for &i in idx {
                atb[i] += weight * value;
                for &j in idx {
                    ata[i][j] += weight;
                }
            }
        };
        for (before, cells) in [(true, &first), (false, &second)] {
            for (id, read) in cells {
                if let Some((value, weight)) = values(id, read, before) {
                    add(&members(id, before), value, weight);
                }
            }
        }
        let all = members(
            &CellId {
                by: "",
                of: String::new(),
                grain: "all",
                bucket: "all".into(),
            },
            false,
        );
        add(&all, headline_now, 1e6);
        for (i, row) in ata.iter_mut().enumerate() {
            row[i] += 1e-6;
        }
        solve(ata, atb)
    };
    let published = |_: &CellId, read: &Read, _: bool| {
        read.value.map(|v| {
            (
                v,
                if read.perturbed {
                    1.0 / noise_var(v)
                } else {
                    1e6
                },
            )
        })
    };
    let x = estimate(&published);
    // The control: the same attack on exact values (no noise) shows what it recovers when
    // nothing protects the cells.
    let exact_second: BTreeMap<CellId, f64> = truth.clone();
    let exact = |id: &CellId, read: &Read, before: bool| {
        if before || read.value.is_none() {
            return None;
        }
        exact_second.get(id).map(|v| (*v, 1.0))
    };
    let x_control = estimate(&exact);

    // Targets: every withheld cell of the second publication; the small-number ones (1-7
    // people) are what the bound is about.
    let sum = |x: &[f64], id: &CellId| members(id, false).iter().map(|i| x[*i]).sum::<f64>();
    // Targets: every cell of the second publication the public does not see although it holds
    // records, withheld or left out (a group of fewer than three projects): the small-number ones
    // (1-7 people) and the others.
    let mut small = Vec::new();
    let mut control = Vec::new();
    let mut few_projects = Vec::new();
    for (id, t) in &truth {
        if *t == 0.0 || second.get(id).and_then(|r| r.value).is_some() {
            continue;
        }
        if (1.0..=7.0).contains(t) {
            small.push((*t, sum(&x, id)));
            control.push((*t, sum(&x_control, id)));
        } else {
            few_projects.push((*t, sum(&x, id)));
        }
    }
    assert!(
        small.len() >= 20,
        "too few withheld small cells to judge: {}",
        small.len()
    );
    // What the headline leaves over the public national months is all the public knows of the
    // left-out records: shared out, it is one more estimate.
    let national: f64 = second
        .iter()
        .filter(|(id, _)| id.by.is_empty() && id.grain == "month")
        .filter_map(|(_, r)| r.value)
        .sum();
    let residual = (headline_now - national) / (small.len() + few_projects.len()).max(1) as f64;
    let small_report = judge(&small, residual, Some((1.0, 7.0)));
    let few_report = judge(&few_projects, residual, None);
    eprintln!(
        "attack suite ({backend:?}): {} public queries; {} withheld small cells: {small_report}; \
         the same attack without noise MAE {:.2}; {} other cells not shown (fewer than 3 \
         projects), mean value {:.1}: {few_report}",
        public.queries,
        small.len(),
        mae(&control),
        few_projects.len(),
        few_projects.iter().map(|(t, _)| t).sum::<f64>() / few_projects.len().max(1) as f64,
    );
    assert!(
        small_report.ratio >= 0.8,
        "the attack beats a guess: {small_report}"
    );
    assert!(
        few_projects.is_empty() || few_report.ratio >= 0.8,
        "the attack beats a guess: {few_report}"
    );
}

/// How well the strongest attack estimates a set of hidden cells, against the best constant.
struct Judged {
    constant: f64,
    best: f64,
    strongest: (String, f64),
    ratio: f64,
}

impl std::fmt::Display for Judged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "best constant {} MAE {:.2}; strongest attack '{}' MAE {:.2}, ratio {:.2}",
            self.best, self.constant, self.strongest.0, self.strongest.1, self.ratio
        )
    }
}

/// The attacker's best use of its estimates of `(truth, estimate)` pairs: raw, clamped to the
/// range the rules say, the headline's residual, or shrunk towards the best constant by the
/// weight that suits it best (told the truth: stronger than any real attacker).
fn judge(pairs: &[(f64, f64)], residual: f64, range: Option<(f64, f64)>) -> Judged {
    if pairs.is_empty() {
        return Judged {
            constant: 0.0,
            best: 0.0,
            strongest: ("none".into(), 0.0),
            ratio: 1.0,
        };
    }
    let (lo, hi) = range.unwrap_or((0.0, f64::INFINITY));
    let mut values: Vec<f64> = pairs.iter().map(|(t, _)| *t).collect();
    values.sort_by(f64::total_cmp);
    let best = values[values.len() / 2];
    let constant = mae(&pairs.iter().map(|(t, _)| (*t, best)).collect::<Vec<_>>());
    let with =
        |e: &dyn Fn(f64) -> f64| mae(&pairs.iter().map(|(t, x)| (*t, e(*x))).collect::<Vec<_>>());
    let mut attacks: Vec<(String, f64)> = vec![
        ("least squares".into(), with(&|e| e)),
        ("clamped".into(), with(&|e| e.clamp(lo, hi))),
        (
            "headline residual".into(),
            with(&|_| residual.clamp(lo, hi)),
        ),
    ];
    for w in 1..=9 {
        let w = w as f64 / 10.0;
        attacks.push((
            format!("shrunk {w}"),
            with(&|e| (best + w * (e - best)).clamp(lo, hi)),
        ));
    }
    let strongest = attacks
        .into_iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_default();
    let ratio = strongest.1 / constant.max(f64::MIN_POSITIVE);
    Judged {
        constant,
        best,
        strongest,
        ratio,
    }
}

// ---------------------------------------------------------------------------------------------
// Key holders read live.

with_demo_app!(
    partners_and_funders_read_their_own_cells_live,
    |mut app: TestApp| async move {
        let conn = app.db.connect().await;
        let one = |sql: String| {
            let conn = conn.clone();
            async move {
                b2h_tests::rows(&conn, &sql).await[0]["v"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        // GB-NHS-RLT leads GEH-B2H-01; ASH-B2H-01 is another's. A funder of GEH-B2H-01.
        let own = "GEH-B2H-01";
        let funder = one(format!(
            "SELECT CAST(g.funder_id AS TEXT) AS v FROM grant_allocation a
             JOIN grant_award g ON g.id = a.grant_id JOIN project p ON p.id = a.project_id
             WHERE p.reference = '{own}' AND a.archived_at IS NULL ORDER BY g.funder_id LIMIT 1"
        ))
        .await;
        let month = one(format!(
            "SELECT SUBSTR(CAST(MAX(r.period_end) AS TEXT), 1, 7) AS v FROM outcome_record r
             JOIN project p ON p.id = r.project_id WHERE p.reference = '{own}'"
        ))
        .await;
        // The month after its last records: free to record.
        let month = {
            let first =
                chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
            (first + chrono::Months::new(1)).format("%Y-%m").to_string()
        };
        let by_project = |reference: &str| {
            format!(
                "{{ impact(groupBy: [PROJECT, MONTH], filter: {{project: {{reference: {{eq: \"{reference}\"}}}},
                   measure: [\"volunteer_hours\", \"patients_supported\"]}}) {{
                   key {{ month }} {FIGURES} }} }}"
            )
        };
        let cell = |data: &Value, month: &str, measure: &str| {
            figures(data)
                .into_iter()
                .find(|(k, f)| {
                    k["month"].as_str().is_some_and(|m| m.starts_with(month))
                        && f["measure"]["code"] == measure
                })
                .map(|(_, f)| f)
        };

        // A partner asks what the public may not: its own project by month, live and exact.
        app.authenticate(&["--role", "partner", "--organisation", "GB-NHS-RLT"]);
        let partner = app.key.clone();
        let before = app.data(&by_project(own), json!({})).await;
        assert!(!figures(&before).is_empty(), "{before}");
        for (_, f) in figures(&before) {
            assert_eq!(
                (f["perturbed"].clone(), f["publishedAt"].clone()),
                (json!(false), Value::Null),
                "{f}"
            );
        }
        // Another's project: nothing of its records.
        let other = app.data(&by_project("ASH-B2H-01"), json!({})).await;
        assert_eq!(other["impact"], json!([]), "{other}");
        let progress = "{ campaignProgress { supported byBeneficiary { beneficiary supported } } }";
        let progress_before = app.data(progress, json!({})).await;
        app.key = None;
        let public_before = app.data(PROGRESS, json!({})).await;
        let public_month = app
            .data(
                &impact_query("MONTH", "measure: [\"patients_supported\"]"),
                json!({}),
            )
            .await;

        // A submission shows to the partner at once, and not to the public.
        app.key = partner.clone();
        let hours = |data: &Value| {
            cell(data, &month, "volunteer_hours").map_or(0.0, |f| f["value"].as_f64().unwrap())
        };
        let patients = |data: &Value| {
            cell(data, &month, "patients_supported").map_or(0.0, |f| f["value"].as_f64().unwrap())
        };
        let mut batch = records(&[(own, 7.0, None)], "volunteer_hours", &month);
        batch.as_array_mut().unwrap().extend(
            records(&[(own, 3.0, None)], "patients_supported", &month)
                .as_array()
                .unwrap()
                .clone(),
        );
        submit(&app, batch).await;
        let after = app.data(&by_project(own), json!({})).await;
        assert_eq!(hours(&after), hours(&before) + 7.0, "{after}");
        assert_eq!(patients(&after), patients(&before) + 3.0, "{after}");
        let progress_after = app.data(progress, json!({})).await;
        assert_eq!(
            progress_after["campaignProgress"]["supported"]
                .as_i64()
                .unwrap(),
            progress_before["campaignProgress"]["supported"]
                .as_i64()
                .unwrap()
                + 3
        );
        app.key = None;
        assert_eq!(app.data(PROGRESS, json!({})).await, public_before);
        assert_eq!(
            app.data(
                &impact_query("MONTH", "measure: [\"patients_supported\"]"),
                json!({})
            )
            .await,
            public_month
        );

        // In published dimensions the partner's cells mixed with others' are as published; the
        // new month, made only of its record, is live and exact.
        app.key = partner;
        let national = figures(
            &app.data(
                &impact_query("MONTH", "measure: [\"patients_supported\"]"),
                json!({}),
            )
            .await,
        );
        let (new, published): (Vec<_>, Vec<_>) = national
            .into_iter()
            .partition(|(k, _)| k["month"].as_str().is_some_and(|m| m.starts_with(&month)));
        assert!(
            published == figures(&public_month),
            "mixed cells are as published"
        );
        assert_eq!(new.len(), 1);
        assert_eq!(
            (new[0].1["value"].clone(), new[0].1["perturbed"].clone()),
            (json!(3.0), json!(false))
        );

        // A funder: its own funder group live and exact, the others as published.
        app.authenticate(&["--role", "funder", "--funder", &funder]);
        let by_funder = figures(
            &app.data(
                &impact_query("FUNDER", "measure: [\"volunteer_hours\"]"),
                json!({}),
            )
            .await,
        );
        let (_, mine) = by_funder
            .iter()
            .find(|(k, _)| k["funder"]["id"] == funder.as_str())
            .cloned()
            .unwrap();
        assert_eq!(
            (mine["perturbed"].clone(), mine["publishedAt"].clone()),
            (json!(false), Value::Null),
            "{mine}"
        );
        assert!(
            by_funder
                .iter()
                .any(|(k, f)| k["funder"]["id"] != funder.as_str() && f["perturbed"] == true)
        );
        // Its projects by month, live: the partner's submission is there.
        let funded = app.data(&by_project(own), json!({})).await;
        assert_eq!(hours(&funded), hours(&after), "{funded}");
    }
);
