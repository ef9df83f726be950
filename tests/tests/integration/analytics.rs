//! Impact figures over HTTP: campaign progress on the demo seed (the published totals), drafts
//! left out, disclosure control for the public below national level.

use crate::figures::{assert_all_same, wait_for_feed};
use b2h_tests::{TestApp, with_demo_app};
use serde_json::{Value, json};

const PROGRESS: &str = "{ campaignProgress {
  target supported percentOfTarget projectedTargetDate campaign { name }
  byBeneficiary { beneficiary supported suppressed rounded perturbed }
  byPathwayStage { stage supported suppressed rounded perturbed }
  byRegion { region { code name } supported suppressed rounded perturbed }
  byMonth { month supported cumulative suppressed rounded perturbed }
} }";

fn sum(list: &Value) -> i64 {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["supported"].as_i64().unwrap_or(0))
        .sum()
}

with_demo_app!(
    campaign_progress_matches_the_published_totals,
    |mut app: TestApp| async move {
        // The public: the headline exact.
        let p = app.data(PROGRESS, json!({})).await["campaignProgress"].clone();
        assert_eq!(p["campaign"]["name"], "Back to Health");
        assert_eq!(p["target"], 1_000_000);
        assert_eq!(p["supported"], 623_774);
        assert!(
            (p["percentOfTarget"].as_f64().unwrap() - 62.3774).abs() < 1e-9,
            "{p}"
        );
        let by: Vec<(String, i64)> = p["byBeneficiary"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["beneficiary"].as_str().unwrap().to_owned(),
                    e["supported"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            by,
            [
                ("PATIENTS".to_owned(), 449_283),
                ("STAFF".to_owned(), 111_472),
                ("VOLUNTEERS".to_owned(), 63_019)
            ]
        );
        assert!(
            p["byBeneficiary"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["rounded"] == false && e["perturbed"] == false)
        );
        // Stages are published cells: perturbed, so they add up to about the total.
        assert_eq!(p["byPathwayStage"].as_array().unwrap().len(), 4);
        // Records of groups of fewer than three projects are left out of every cell but the
        // headline.
        let stages = sum(&p["byPathwayStage"]);
        assert!(
            (623_774 * 90 / 100..=623_774 + 4 * 25).contains(&stages),
            "{stages}"
        );
        assert!(
            p["byPathwayStage"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["perturbed"] == true)
        );
        // Months from March 2022 to June 2024, the running total the sum of the months shown.
        let months = p["byMonth"].as_array().unwrap();
        assert_eq!(months.len(), 28);
        assert_eq!(months[0]["month"], "2022-03-01");
        assert_eq!(months[27]["month"], "2024-06-01");
        // The running total ends at the headline, counted back by the months shown.
        assert_eq!(months[27]["cumulative"], 623_774);
        let shown = sum(&p["byMonth"]);
        assert!(
            (623_774 * 90 / 100..=623_774 + 28 * 25).contains(&shown),
            "{shown}"
        );
        let projected = p["projectedTargetDate"].as_str().unwrap();
        assert!(projected > "2024-06-30", "{projected}");
        // Regions (and nations outside England): perturbed for the public.
        let regions = p["byRegion"].as_array().unwrap();
        assert_eq!(
            regions.len(),
            10,
            "seven NHS England regions and three nations: {regions:?}"
        );
        // Each perturbed, or withheld where it holds fewer than three projects.
        for r in regions {
            assert!(r["perturbed"] == true || r["suppressed"] == true, "{r}");
        }
        assert!(regions.iter().filter(|r| r["perturbed"] == true).count() >= 8);
        assert!(regions.iter().any(|r| r["region"]["name"] == "Wales"));

        // An evaluator sees regions exact; they add up to the total.
        app.authenticate(&["--role", "evaluator"]);
        let exact = app.data(PROGRESS, json!({})).await["campaignProgress"].clone();
        assert_eq!(sum(&exact["byRegion"]), 623_774);
        assert!(
            exact["byRegion"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["rounded"] == false)
        );

        // Drafts never count; submitted records do.
        app.authenticate(&["--role", "admin"]);
        let recorded = app
        .data(
            "mutation { recordOutcomes(records: [{project: \"GEH-B2H-01\", measure: \"patients_supported\",
               periodStart: \"2024-07-01\", periodEnd: \"2024-07-31\", value: 26, dataSource: SURVEY,
               evidenceStrength: STRONG}]) { records { id } } }",
            json!({}),
        )
        .await;
        let after = app
            .data("{ campaignProgress { supported } }", json!({}))
            .await;
        assert_eq!(after["campaignProgress"]["supported"], 623_774);
        let id = recorded["recordOutcomes"]["records"][0]["id"].clone();
        app.data(
            "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids) { id } }",
            json!({"ids": [id]}),
        )
        .await;
        let after = app
            .data(
                "{ campaignProgress { supported byMonth { month cumulative } } }",
                json!({}),
            )
            .await;
        assert_eq!(after["campaignProgress"]["supported"], 623_800);
        let months = after["campaignProgress"]["byMonth"].as_array().unwrap();
        assert_eq!(months.last().unwrap()["month"], "2024-07-01");

        // Reopened, the record stops counting; a project moving region takes its people along.
        app.data(
            "mutation($ids: [ID!]!) { reopenOutcomes(ids: $ids, reason: \"checking\") { id } }",
            json!({"ids": [recorded["recordOutcomes"]["records"][0]["id"].clone()]}),
        )
        .await;
        let after = app
            .data("{ campaignProgress { supported } }", json!({}))
            .await;
        assert_eq!(after["campaignProgress"]["supported"], 623_774);
        let region = |p: &Value, code: &str| {
            p["campaignProgress"]["byRegion"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["region"]["code"] == code)
                .map_or(0, |r| r["supported"].as_i64().unwrap())
        };
        let query = "{ campaignProgress { supported byRegion { region { code } supported } } }";
        let before = app.data(query, json!({})).await;
        let project = app
        .data("{ projects(filter: {reference: {eq: \"GEH-B2H-01\"}}) { nodes { id version region { code } } } }", json!({}))
        .await["projects"]["nodes"][0]
        .clone();
        let from = project["region"]["code"].as_str().unwrap().to_owned();
        let to = if from == "E40000003" {
            "E40000005"
        } else {
            "E40000003"
        };
        app.data(
        "mutation($id: ID!, $v: Int!, $r: String!) { updateProject(input: {id: $id, version: $v, regionCode: $r}) { id } }",
        json!({"id": project["id"], "v": project["version"], "r": to}),
    )
    .await;
        let moved = app.data(query, json!({})).await;
        assert_eq!(moved["campaignProgress"]["supported"], 623_774);
        let shift = region(&before, &from) - region(&moved, &from);
        assert!(shift > 0, "{before} {moved}");
        assert_eq!(region(&moved, to) - region(&before, to), shift);

        // An unknown campaign is null; a malformed id an error.
        let none = app
        .data("{ campaignProgress(campaignId: \"00000000-0000-4000-8000-000000000000\") { supported } }", json!({}))
        .await;
        assert_eq!(none["campaignProgress"], Value::Null);
    }
);

/// A tiny world with answers worked out by hand.
async fn fixture(app: &mut TestApp) {
    app.authenticate(&["--role", "admin"]);
    let org = app
        .data("mutation { createOrganisation(input: {name: \"Test Trust\", kind: NHS_TRUST}) { id } }", json!({}))
        .await["createOrganisation"]["id"]
        .clone();
    let project = |reference: &str,
                   stage: &str,
                   further: &str,
                   nation: &str,
                   region: Option<&str>| {
        json!({"reference": reference, "title": reference, "leadOrganisationId": org, "primaryStage": stage,
               "furtherStages": [further], "setting": "COMMUNITY", "startDate": "2023-01-01",
               "nationCode": nation, "regionCode": region})
    };
    let create = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }";
    let p1 = app.data(create, json!({"i": project("T-01", "WAITING_WELL", "WAITING_WELL", "E92000001", Some("E40000011"))})).await
        ["createProject"]["id"].clone();
    let p2 = app
        .data(
            create,
            json!({"i": project("T-02", "LIVING_WELL", "WAITING_WELL", "W92000004", None)}),
        )
        .await["createProject"]["id"]
        .clone();
    let funder = |name: &str| json!({"i": {"name": name}});
    let f1 = app
        .data(
            "mutation($i: CreateFunderInput!) { createFunder(input: $i) { id } }",
            funder("F1"),
        )
        .await["createFunder"]["id"]
        .clone();
    let f2 = app
        .data(
            "mutation($i: CreateFunderInput!) { createFunder(input: $i) { id } }",
            funder("F2"),
        )
        .await["createFunder"]["id"]
        .clone();
    for (i, (f, projects)) in [(f1, vec![p1.clone(), p2.clone()]), (f2, vec![p2.clone()])]
        .into_iter()
        .enumerate()
    {
        let grant = app
            .data(
                "mutation($f: ID!, $o: ID!, $i: String!) { createGrant(input: {identifier: $i, title: \"G\", funderId: $f,
                   recipientOrganisationId: $o, amountAwarded: \"1000.00\", awardDate: \"2023-01-01\"}) { id } }",
                json!({"f": f, "o": org, "i": format!("360G-T-{i}")}),
            )
            .await["createGrant"]["id"]
            .clone();
        for p in projects {
            app.data(
                "mutation($g: ID!, $p: ID!) { createGrantAllocation(input: {grantId: $g, projectId: $p, amount: \"100.00\"}) { id } }",
                json!({"g": grant, "p": p}),
            )
            .await;
        }
    }
    let r = |project: &str,
             measure: &str,
             start: &str,
             end: &str,
             value: f64,
             sample: Option<i64>| {
        json!({"project": project, "measure": measure, "periodStart": start, "periodEnd": end, "value": value,
               "sampleSize": sample, "dataSource": "SURVEY", "evidenceStrength": "STRONG"})
    };
    let records = json!([
        r(
            "T-01",
            "patients_supported",
            "2024-01-01",
            "2024-01-31",
            10.0,
            None
        ),
        r(
            "T-01",
            "patients_supported",
            "2024-02-01",
            "2024-02-29",
            20.0,
            None
        ),
        r(
            "T-02",
            "patients_supported",
            "2024-01-01",
            "2024-01-31",
            3.0,
            None
        ),
        r(
            "T-01",
            "active_volunteers",
            "2024-01-01",
            "2024-01-31",
            12.0,
            None
        ),
        r(
            "T-01",
            "active_volunteers",
            "2024-02-01",
            "2024-02-29",
            15.0,
            None
        ),
        r(
            "T-02",
            "active_volunteers",
            "2024-01-01",
            "2024-01-31",
            7.0,
            None
        ),
        r(
            "T-02",
            "active_volunteers",
            "2024-02-01",
            "2024-02-29",
            9.0,
            None
        ),
        r(
            "T-01",
            "wellbeing_improved_pct",
            "2024-01-01",
            "2024-01-31",
            60.0,
            Some(10)
        ),
        r(
            "T-02",
            "wellbeing_improved_pct",
            "2024-01-01",
            "2024-01-31",
            80.0,
            Some(30)
        ),
        // Straddles January and February: counts in February (its period end), not prorated.
        r(
            "T-01",
            "staff_supported",
            "2024-01-20",
            "2024-02-10",
            4.0,
            None
        ),
        r(
            "T-02",
            "staff_supported",
            "2024-01-01",
            "2024-01-31",
            0.0,
            None
        ),
        r(
            "T-01",
            "volunteers_supported",
            "2024-01-01",
            "2024-01-31",
            8.0,
            None
        ),
        r(
            "T-02",
            "volunteers_supported",
            "2024-01-01",
            "2024-01-31",
            7.0,
            None
        ),
    ]);
    // Baselines and targets on the weighted means (for the funders' outcome highlights).
    let mut records = records;
    records[7]["baseline"] = json!(40.0);
    records[8]["baseline"] = json!(50.0);
    records[8]["target"] = json!(70.0);
    let made = app
        .data("mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { records { id } } }", json!({"r": records}))
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
    // A draft, which never counts.
    app.data(
        "mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { created } }",
        json!({"r": [r("T-01", "patients_supported", "2024-03-01", "2024-03-31", 500.0, None)]}),
    )
    .await;
}

const IMPACT: &str = "query($f: ImpactFilter, $g: [ImpactDimension!]) { impact(filter: $f, groupBy: $g) {
  key { pathwayStage region { code } funder { name } month quarter financialYear project { reference } }
  figures { measure { code } aggregation value records projects sampleSize suppressed rounded } } }";

/// `value` of `measure` in each group, with the group's key.
fn values(data: &Value, measure: &str) -> Vec<(Value, Value)> {
    data["impact"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| {
            g["figures"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["measure"]["code"] == measure)
                .map(|f| (g["key"].clone(), f["value"].clone()))
        })
        .collect()
}

fn only(data: &Value, measure: &str) -> Value {
    let v = values(data, measure);
    assert_eq!(v.len(), 1, "{data}");
    v[0].1.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impact_rules_sqlite() {
    impact_rules(b2h_tests::TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impact_rules_postgres() {
    impact_rules(b2h_tests::TestBackend::Postgres).await;
}

async fn impact_rules(backend: b2h_tests::TestBackend) {
    let Some(db) = b2h_tests::TestDb::new(backend).await else {
        return;
    };
    let mut app = TestApp::spawn(db, false).await;
    fixture(&mut app).await;
    app.key = None;
    app.authenticate(&["--role", "evaluator"]);

    // Everything: sums, latest per project summed (not over months), weighted means.
    let all = app.data(IMPACT, json!({})).await;
    assert_eq!(only(&all, "patients_supported"), 33.0, "drafts never count");
    assert_eq!(
        only(&all, "active_volunteers"),
        24.0,
        "15 + 9, not 12 + 15 + 7 + 9"
    );
    assert_eq!(
        only(&all, "wellbeing_improved_pct"),
        75.0,
        "(60×10 + 80×30) / 40"
    );
    assert_eq!(only(&all, "staff_supported"), 4.0);
    let wellbeing = all["impact"][0]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["measure"]["code"] == "wellbeing_improved_pct")
        .unwrap()
        .clone();
    assert_eq!(wellbeing["aggregation"], "WEIGHTED_MEAN");
    assert_eq!(wellbeing["sampleSize"], 40);
    assert_eq!(
        (
            wellbeing["records"].as_i64(),
            wellbeing["projects"].as_i64()
        ),
        (Some(2), Some(2))
    );

    // By month: a stock takes each month's latest; the straddling record counts in February.
    let months = app.data(IMPACT, json!({"g": ["MONTH"]})).await;
    let av: Vec<f64> = values(&months, "active_volunteers")
        .iter()
        .map(|(_, v)| v.as_f64().unwrap())
        .collect();
    assert_eq!(av, [19.0, 24.0]);
    let staff = values(&months, "staff_supported");
    assert_eq!(staff.len(), 2);
    assert_eq!(
        (staff[0].0["month"].clone(), staff[0].1.clone()),
        (json!("2024-01-01"), json!(0.0))
    );
    assert_eq!(
        (staff[1].0["month"].clone(), staff[1].1.clone()),
        (json!("2024-02-01"), json!(4.0))
    );
    let quarter = app.data(IMPACT, json!({"g": ["QUARTER"]})).await;
    assert_eq!(quarter["impact"][0]["key"]["quarter"], "2024-Q1");
    assert_eq!(only(&quarter, "active_volunteers"), 24.0);
    let fy = app.data(IMPACT, json!({"g": ["FINANCIAL_YEAR"]})).await;
    assert_eq!(fy["impact"][0]["key"]["financialYear"], "2023/24");

    // Primary stages add up to the total; a stage filter matches any of a project's stages.
    let stages = app.data(IMPACT, json!({"g": ["PATHWAY_STAGE"]})).await;
    let by_stage = values(&stages, "patients_supported");
    assert_eq!(by_stage.len(), 2);
    assert_eq!(
        by_stage
            .iter()
            .map(|(_, v)| v.as_f64().unwrap())
            .sum::<f64>(),
        33.0
    );
    let waiting = app
        .data(
            IMPACT,
            json!({"f": {"project": {"stage": {"eq": "WAITING_WELL"}}}}),
        )
        .await;
    assert_eq!(only(&waiting, "patients_supported"), 33.0);

    // Funders sharing a project: both groups count it.
    let funders = app.data(IMPACT, json!({"g": ["FUNDER"]})).await;
    let by_funder: Vec<(String, f64)> = values(&funders, "patients_supported")
        .iter()
        .map(|(k, v)| {
            (
                k["funder"]["name"].as_str().unwrap_or("-").to_owned(),
                v.as_f64().unwrap(),
            )
        })
        .collect();
    let mut by_funder = by_funder;
    by_funder.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(by_funder, [("F1".to_owned(), 33.0), ("F2".to_owned(), 3.0)]);

    // The public reads the publication made when the server started, before these records;
    // the next one waits while fewer than three projects have moved.
    app.key = None;
    assert_eq!(
        app.publish().await,
        b2h_api::publication::Published::Deferred {
            projects_changed: 2
        }
    );
    let national = app.data(IMPACT, json!({})).await;
    assert_eq!(national["impact"], json!([]), "{national}");
    // An evaluator sees the regional cells the rest of this test looks at, exact.
    app.authenticate(&["--role", "evaluator"]);
    let regions = app.data(IMPACT, json!({"g": ["REGION"]})).await;
    let cell = |code: &str, measure: &str| {
        regions["impact"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"]["region"]["code"] == code)
            .and_then(|g| {
                g["figures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["measure"]["code"] == measure)
                    .cloned()
            })
            .unwrap()
    };
    let wales_volunteers = cell("W92000004", "volunteers_supported");
    assert_eq!(
        (
            wales_volunteers["value"].clone(),
            wales_volunteers["suppressed"].clone()
        ),
        (json!(7.0), json!(false))
    );
    assert_eq!(cell("E40000011", "patients_supported")["value"], 30.0);
    assert_eq!(cell("W92000004", "wellbeing_improved_pct")["value"], 80.0);
    // Drafts cannot be asked for, whoever asks.
    app.key = None;
    let (_, body) = app
        .graphql(IMPACT, json!({"f": {"status": ["DRAFT"]}}))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
}

with_demo_app!(
    missing_returns_are_listed_for_chasing,
    |mut app: TestApp| async move {
        let query = "query($s: Date!, $e: Date!) { missingReturns(period: {start: $s, end: $e}) {
        project { reference status } measure { code } lastPeriodEnd } }";
        // The public may not see who has not reported.
        let (_, body) = app
            .graphql(query, json!({"s": "2024-07-01", "e": "2024-07-31"}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );

        app.authenticate(&["--role", "admin"]);
        // July 2024 follows the seed's last month: every active project's measures are due.
        let due = app
            .data(query, json!({"s": "2024-07-01", "e": "2024-07-31"}))
            .await;
        let due = due["missingReturns"].as_array().unwrap().clone();
        assert!(!due.is_empty());
        assert!(
            due.iter().all(|d| d["project"]["status"] == "ACTIVE"),
            "active projects only"
        );
        let geh: Vec<&Value> = due
            .iter()
            .filter(|d| d["project"]["reference"] == "GEH-B2H-01")
            .collect();
        assert_eq!(
            geh.len(),
            8,
            "the eight measures GEH-B2H-01 reports: {geh:?}"
        );
        assert!(
            geh.iter().all(|d| d["lastPeriodEnd"] == "2024-06-30"),
            "{geh:?}"
        );
        // Submitting July's patients figure takes it off the list; a draft does not.
        let record = |value: f64| {
            json!({"r": [{"project": "GEH-B2H-01", "measure": "patients_supported", "periodStart": "2024-07-01",
            "periodEnd": "2024-07-31", "value": value, "dataSource": "SURVEY", "evidenceStrength": "STRONG"}]})
        };
        let made = app
        .data("mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { records { id } } }", record(12.0))
        .await;
        let still = app
            .data(query, json!({"s": "2024-07-01", "e": "2024-07-31"}))
            .await;
        assert_eq!(
            still["missingReturns"].as_array().unwrap().len(),
            due.len(),
            "a draft is no return"
        );
        let id = made["recordOutcomes"]["records"][0]["id"].clone();
        app.data(
            "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids) { id } }",
            json!({"ids": [id]}),
        )
        .await;
        let after = app
            .data(query, json!({"s": "2024-07-01", "e": "2024-07-31"}))
            .await;
        let after = after["missingReturns"].as_array().unwrap();
        assert_eq!(after.len(), due.len() - 1);
        assert!(
            !after
                .iter()
                .any(|d| d["project"]["reference"] == "GEH-B2H-01"
                    && d["measure"]["code"] == "patients_supported")
        );

        // A partner sees its own projects' returns only.
        app.authenticate(&["--role", "partner", "--organisation", "GB-NHS-RLT"]);
        let own = app
            .data(query, json!({"s": "2024-07-01", "e": "2024-07-31"}))
            .await;
        let own = own["missingReturns"].as_array().unwrap();
        assert!(!own.is_empty() && own.len() < after.len());
        assert!(
            own.iter().all(|d| d["project"]["reference"]
                .as_str()
                .unwrap()
                .starts_with("GEH-")),
            "{own:?}"
        );
        let (_, body) = app
            .graphql(query, json!({"s": "2024-07-31", "e": "2024-07-01"}))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funder_summary_sqlite() {
    funder_summary(b2h_tests::TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funder_summary_postgres() {
    funder_summary(b2h_tests::TestBackend::Postgres).await;
}

async fn funder_summary(backend: b2h_tests::TestBackend) {
    let Some(db) = b2h_tests::TestDb::new(backend).await else {
        return;
    };
    let mut app = TestApp::spawn(db, false).await;
    fixture(&mut app).await;
    let conn = app.db.connect().await;
    let id = |name: &'static str| {
        let conn = conn.clone();
        async move {
            b2h_tests::rows(
                &conn,
                &format!("SELECT id FROM funder WHERE name = '{name}'"),
            )
            .await[0]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (f1, f2) = (id("F1").await, id("F2").await);
    let query = "query($f: ID!) { funderImpactSummary(funderId: $f, from: \"2024-01-01\", to: \"2024-02-29\") {
        funder { name } grants { identifier } amountsAwarded { currency amount } allocations { amount }
        projectsFunded { reference } supported
        byBeneficiary { beneficiary supported } byPathwayStage { stage supported }
        costPerPersonSupported { currency amount }
        outcomeHighlights { measure { code } value baseline target sampleSize } } }";

    // The public, and another funder, may not read it.
    app.key = None;
    let (_, body) = app.graphql(query, json!({"f": f1})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    app.authenticate(&["--role", "funder", "--funder", &f2]);
    let (_, body) = app.graphql(query, json!({"f": f1})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );

    // F2 funds T-02 only: 3 patients, 0 staff, 7 volunteers; £100 / 10 people.
    let s2 = app.data(query, json!({"f": f2})).await["funderImpactSummary"].clone();
    assert_eq!(s2["supported"], 10);
    assert_eq!(s2["projectsFunded"], json!([{"reference": "T-02"}]));
    assert_eq!(
        s2["costPerPersonSupported"],
        json!([{"currency": "GBP", "amount": "10.00"}])
    );
    assert_eq!(s2["outcomeHighlights"][0]["value"], 80.0);
    assert_eq!(s2["outcomeHighlights"][0]["baseline"], 50.0);
    assert_eq!(s2["outcomeHighlights"][0]["target"], 70.0);

    // F1 funds both (shared with F2): 52 people; £200 / 52 = £3.85.
    app.authenticate(&["--role", "funder", "--funder", &f1]);
    let s1 = app.data(query, json!({"f": f1})).await["funderImpactSummary"].clone();
    assert_eq!(s1["funder"]["name"], "F1");
    assert_eq!(s1["supported"], 52);
    let by: Vec<i64> = s1["byBeneficiary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["supported"].as_i64().unwrap())
        .collect();
    assert_eq!(by, [33, 4, 15]);
    let stages: i64 = s1["byPathwayStage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["supported"].as_i64().unwrap())
        .sum();
    assert_eq!(stages, 52);
    assert_eq!(
        s1["amountsAwarded"],
        json!([{"currency": "GBP", "amount": "1000.00"}])
    );
    assert_eq!(s1["allocations"].as_array().unwrap().len(), 2);
    assert_eq!(
        s1["costPerPersonSupported"],
        json!([{"currency": "GBP", "amount": "3.85"}])
    );
    // Weighted baseline (40×10 + 50×30) / 40; the target where given.
    let w = &s1["outcomeHighlights"][0];
    assert_eq!(
        (w["measure"]["code"].clone(), w["value"].clone()),
        (json!("wellbeing_improved_pct"), json!(75.0))
    );
    assert_eq!(
        (
            w["baseline"].clone(),
            w["target"].clone(),
            w["sampleSize"].clone()
        ),
        (json!(47.5), json!(70.0), json!(40))
    );

    // An evaluator reads any funder's; an unknown funder is null.
    app.authenticate(&["--role", "evaluator"]);
    app.data(query, json!({"f": f2})).await;
    let none = app
        .data(query, json!({"f": "00000000-0000-4000-8000-000000000000"}))
        .await;
    assert_eq!(none["funderImpactSummary"], Value::Null);
}

with_demo_app!(
    figures_stay_exact_under_every_write_path,
    |mut app: TestApp| async move {
        app.authenticate(&["--role", "admin"]);
        // Loaded at start.
        assert_all_same(&app, "after the seed").await;

        // A new record counts once submitted; changed figures send it back to draft.
        let record = "mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { records { id version } } }";
        let input = |value: f64, version: Option<i64>| {
            json!({"r": [{"project": "GEH-B2H-01", "measure": "wellbeing_improved_pct",
                "periodStart": "2024-07-01", "periodEnd": "2024-07-31", "value": value, "sampleSize": 17,
                "baseline": 40.0, "target": 75.0, "dataSource": "SURVEY", "evidenceStrength": "STRONG",
                "version": version}]})
        };
        let made =
            app.data(record, input(61.5, None)).await["recordOutcomes"]["records"][0].clone();
        let submit = "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids) { id version } }";
        let submitted =
            app.data(submit, json!({"ids": [made["id"]]})).await["submitOutcomes"][0].clone();
        assert_all_same(&app, "after a submit").await;
        let changed = app
            .data(record, input(70.25, submitted["version"].as_i64()))
            .await["recordOutcomes"]["records"][0]
            .clone();
        assert_all_same(&app, "after a change to a submitted record").await;
        app.data(submit, json!({"ids": [changed["id"]]})).await;
        app.data(
            "mutation($ids: [ID!]!) { verifyOutcomes(ids: $ids) { id } }",
            json!({"ids": [changed["id"]]}),
        )
        .await;
        assert_all_same(&app, "after a verify").await;
        app.data(
            "mutation($ids: [ID!]!) { reopenOutcomes(ids: $ids, reason: \"recount\") { id } }",
            json!({"ids": [changed["id"]]}),
        )
        .await;
        assert_all_same(&app, "after a reopen").await;

        // A project moving region and stage takes its figures along.
        let project = app
            .data("{ projects(filter: {reference: {eq: \"GEH-B2H-02\"}}) { nodes { id version region { code } primaryStage } } }", json!({}))
            .await["projects"]["nodes"][0]
            .clone();
        let region = if project["region"]["code"] == "E40000003" {
            "E40000005"
        } else {
            "E40000003"
        };
        let stage = if project["primaryStage"] == "LIVING_WELL" {
            "GETTING_WELL"
        } else {
            "LIVING_WELL"
        };
        app.data(
            "mutation($id: ID!, $v: Int!, $r: String!, $s: PathwayStage!) {
               updateProject(input: {id: $id, version: $v, regionCode: $r, primaryStage: $s}) { id } }",
            json!({"id": project["id"], "v": project["version"], "r": region, "s": stage}),
        )
        .await;
        assert_all_same(&app, "after a project moved").await;

        // An outcome file changing a submitted record's figures (it stops counting until
        // submitted again) and adding one.
        let old = app
            .data(
                "{ outcomeRecords(first: 1, filter: {status: {eq: SUBMITTED}, measureCode: {eq: \"patients_supported\"}}) {
                   nodes { id version value periodStart periodEnd project { reference } } } }",
                json!({}),
            )
            .await["outcomeRecords"]["nodes"][0]
            .clone();
        let dir =
            std::env::temp_dir().join(format!("b2h-figures-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("returns.csv");
        std::fs::write(
            &file,
            format!(
                "project_reference,measure_code,period_start,period_end,value,sample_size,baseline,target,data_source,evidence_strength,note,version\n\
                 {},patients_supported,{},{},{},,,,trust_system,strong,,{}\n\
                 GEH-B2H-01,patients_supported,2024-07-01,2024-07-31,9,,,,survey,strong,,\n",
                old["project"]["reference"].as_str().unwrap(),
                old["periodStart"].as_str().unwrap(),
                old["periodEnd"].as_str().unwrap(),
                old["value"].as_f64().unwrap() + 3.0,
                old["version"],
            ),
        )
        .unwrap();
        app.db
            .b2h(&[
                "import",
                "outcomes",
                file.to_str().unwrap(),
                "--no-progress",
            ])
            .ok();
        wait_for_feed(&app).await;
        assert_all_same(&app, "after an import").await;
        app.data(submit, json!({"ids": [old["id"]]})).await;
        assert_all_same(&app, "after the imported record was submitted").await;
        std::fs::remove_dir_all(&dir).ok();

        // Writers racing on one project's stock measure: six of its records reopened, then
        // submitted at once, each in its own request (which record is latest, and whether the
        // project has any in a bucket, depend on the others; writers of a project take turns).
        // A smoke check: the requests overlap, but whether two transactions do is up to timing.
        let some = app
            .data(
                "{ outcomeRecords(first: 1, filter: {status: {eq: SUBMITTED}, measureCode: {eq: \"active_volunteers\"}}) {
                   nodes { project { id } } } }",
                json!({}),
            )
            .await;
        let ids: Vec<Value> = app
            .data(
                "query($p: ID!) { outcomeRecords(first: 6, filter: {status: {eq: SUBMITTED},
                   measureCode: {eq: \"active_volunteers\"}, project: {eq: $p}}) { nodes { id } } }",
                json!({"p": some["outcomeRecords"]["nodes"][0]["project"]["id"]}),
            )
            .await["outcomeRecords"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].clone())
            .collect();
        assert_eq!(ids.len(), 6);
        app.data(
            "mutation($ids: [ID!]!) { reopenOutcomes(ids: $ids, reason: \"race\") { id } }",
            json!({"ids": ids}),
        )
        .await;
        let one = |i: usize| app.data(submit, json!({"ids": [ids[i]]}));
        let _ = tokio::join!(one(0), one(1), one(2), one(3), one(4), one(5));
        assert_all_same(&app, "after racing submits").await;

        // Two batches racing on one project, each adding a record (which refers to the project)
        // and changing a submitted one: both go through, neither waits on the other for good.
        let lead = app
            .data(
                "{ projects(filter: {reference: {eq: \"GEH-B2H-01\"}}) { nodes { id } } }",
                json!({}),
            )
            .await["projects"]["nodes"][0]["id"]
            .clone();
        let submitted = app
            .data(
                "query($p: ID!) { outcomeRecords(first: 2, filter: {status: {eq: SUBMITTED},
                   measureCode: {eq: \"patients_supported\"}, project: {eq: $p}}) {
                   nodes { id version value periodStart periodEnd } } }",
                json!({"p": lead}),
            )
            .await["outcomeRecords"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        let batch = |i: usize, month: &str| {
            let r = &submitted[i];
            let row = |start: &str, end: &str, value: f64, version: Option<i64>| {
                json!({"project": "GEH-B2H-01", "measure": "patients_supported", "periodStart": start,
                       "periodEnd": end, "value": value, "dataSource": "SURVEY",
                       "evidenceStrength": "STRONG", "version": version})
            };
            app.data(
                record,
                json!({"r": [
                    row(&format!("{month}-01"), &format!("{month}-28"), 5.0, None),
                    row(r["periodStart"].as_str().unwrap(), r["periodEnd"].as_str().unwrap(),
                        r["value"].as_f64().unwrap() + 1.0, r["version"].as_i64()),
                ]}),
            )
        };
        let _ = tokio::join!(batch(0, "2024-09"), batch(1, "2024-10"));
        assert_all_same(&app, "after racing batches").await;
    }
);

/// A selection of every field the schema gives `type_name`, recursively for the figure types
/// (entities behind a relation are asked for their id and type name).
async fn every_field(app: &TestApp, type_name: &str, depth: usize) -> String {
    let query = "query($n: String!) { __type(name: $n) { fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }";
    let data = app.data(query, json!({ "n": type_name })).await;
    let mut out = Vec::new();
    for field in data["__type"]["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        let mut ty = &field["type"];
        while ty["name"].is_null() {
            ty = &ty["ofType"];
        }
        let inner = ty["name"].as_str().unwrap();
        if ty["kind"] != "OBJECT" {
            out.push(name.to_owned());
        } else if depth > 0
            && ["ImpactKey", "ImpactFigure", "OutcomeMeasure", "Place"].contains(&inner)
        {
            out.push(format!(
                "{name} {{ {} }}",
                Box::pin(every_field(app, inner, depth - 1)).await
            ));
        } else {
            out.push(format!("{name} {{ id __typename }}"));
        }
    }
    out.join(" ")
}

// Every field of the figure lists answers, through fragments, aliases and repeated selections as
// plainly asked: the lists are written by one walk over the selection (graphql::plain), and
// this asks every field the schema has, so a field the walk does not know fails here.
with_demo_app!(every_figure_field_answers, |app: TestApp| async move {
    let mut app = app;
    app.authenticate(&["--role", "evaluator"]);
    let group = every_field(&app, "ImpactGroup", 3).await;
    let missing = every_field(&app, "MissingReturn", 2).await;
    let dims = "[PATHWAY_STAGE, REGION, FUNDER, MEASURE, FINANCIAL_YEAR]";
    let plain = app
        .data(
            &format!(
                "{{ impact(groupBy: {dims}) {{ __typename {group} }} \
                 missingReturns(period: {{start: \"2025-01-01\", end: \"2025-01-31\"}}) {{ {missing} }} }}"
            ),
            json!({}),
        )
        .await;
    let groups = plain["impact"].as_array().unwrap();
    assert!(groups.len() > 10, "{plain:#}");
    assert!(groups.iter().any(|g| !g["key"]["funder"]["id"].is_null()));
    assert!(
        !plain["missingReturns"].as_array().unwrap().is_empty(),
        "{plain:#}"
    );
    let asked = app
        .data(
            &format!(
                "query($yes: Boolean!) {{ impact(groupBy: {dims}) {{ ...g }} \
                 missingReturns(period: {{start: \"2025-01-01\", end: \"2025-01-31\"}}) {{ ... on MissingReturn {{ {missing} }} }} \
                 again: impact(groupBy: {dims}) {{ key {{ funder {{ name }} }} figures {{ v: value value @skip(if: $yes) }} }} }} \
                 fragment g on ImpactGroup {{ __typename key {{ year }} {group} key {{ funder {{ __typename }} }} }}"
            ),
            json!({ "yes": true }),
        )
        .await;
    assert_eq!(asked["impact"], plain["impact"]);
    assert_eq!(asked["missingReturns"], plain["missingReturns"]);
    for (again, group) in asked["again"].as_array().unwrap().iter().zip(groups) {
        assert_eq!(
            again["key"]["funder"].is_null(),
            group["key"]["funder"].is_null()
        );
        let values: Vec<_> = group["figures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| json!({ "v": f["value"] }))
            .collect();
        assert_eq!(again["figures"], json!(values));
    }
});
