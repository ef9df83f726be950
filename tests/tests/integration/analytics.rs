//! Impact figures over HTTP: campaign progress on the demo seed (the published totals), drafts
//! left out, disclosure control for the public below national level.

use b2h_tests::{TestApp, with_demo_app};
use serde_json::{Value, json};

const PROGRESS: &str = "{ campaignProgress {
  target supported percentOfTarget projectedTargetDate campaign { name }
  byBeneficiary { beneficiary supported suppressed rounded }
  byPathwayStage { stage supported suppressed rounded }
  byRegion { region { code name } supported suppressed rounded }
  byMonth { month supported cumulative suppressed rounded }
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
        // The public: national figures exact.
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
                .all(|e| e["rounded"] == false)
        );
        // Stages are primary stages: they add up to the total.
        assert_eq!(p["byPathwayStage"].as_array().unwrap().len(), 4);
        assert_eq!(sum(&p["byPathwayStage"]), 623_774);
        // Months from March 2022 to June 2024, the running total ending at the total.
        let months = p["byMonth"].as_array().unwrap();
        assert_eq!(months.len(), 28);
        assert_eq!(months[0]["month"], "2022-03-01");
        assert_eq!(months[27]["month"], "2024-06-01");
        assert_eq!(months[27]["cumulative"], 623_774);
        assert_eq!(sum(&p["byMonth"]), 623_774);
        let projected = p["projectedTargetDate"].as_str().unwrap();
        assert!(projected > "2024-06-30", "{projected}");
        // Regions (and nations outside England) are below national level: rounded to 5 for the public.
        let regions = p["byRegion"].as_array().unwrap();
        assert_eq!(
            regions.len(),
            10,
            "seven NHS England regions and three nations: {regions:?}"
        );
        for r in regions {
            assert_eq!(r["rounded"], true, "{r}");
            assert_eq!(r["supported"].as_i64().unwrap() % 5, 0, "{r}");
        }
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

        // An unknown campaign is null; a malformed id an error.
        let none = app
        .data("{ campaignProgress(campaignId: \"00000000-0000-4000-8000-000000000000\") { supported } }", json!({}))
        .await;
        assert_eq!(none["campaignProgress"], Value::Null);
    }
);
