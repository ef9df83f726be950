//! `b2h report funder`: the document's figures are the API's for the same window (the CLI reads
//! as an admin: exact), the same data gives the same bytes, and bad requests are clear errors.

use b2h_tests::{TestApp, with_demo_app};
use serde_json::{Value, json};

const SUMMARY: &str =
    "query($f: ID!) { funderImpactSummary(funderId: $f, from: \"2023-04-01\", to: \"2024-03-31\") {
  funder { name } supported byPathwayStage { stage supported } projectsFunded { reference } } }";

/// The CSV's rows as (chart, category, series, value).
fn rows(csv: &[u8]) -> Vec<(String, String, String, String)> {
    let mut reader = csv::Reader::from_reader(csv);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "chart",
            "title",
            "category_kind",
            "category",
            "series",
            "value",
            "unit",
            "note"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_owned(),
                r[3].to_owned(),
                r[4].to_owned(),
                r[5].to_owned(),
            )
        })
        .collect()
}

/// A stage as the report labels it: `WAITING_WELL` as "Waiting well".
fn stage_label(stage: &Value) -> String {
    let words = stage.as_str().unwrap().to_lowercase().replace('_', " ");
    let mut c = words.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A report's CSV and XLSX as an evaluator's tools read them (the csv module and openpyxl, by
/// tests/interop/read_report.py); `None` when the interop venv is missing outside CI.
fn read_back(csv: &std::path::Path, xlsx: &std::path::Path) -> Option<Value> {
    let python = b2h_tests::interop_python("openpyxl")?;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/read_report.py");
    let run = std::process::Command::new(python)
        .arg(script)
        .arg(csv)
        .arg(xlsx)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    Some(serde_json::from_slice(&run.stdout).unwrap())
}

/// What a person reading the PDF sees, as poppler lays it out: a line of text per line of the
/// page (a table row is a line), with its white space squeezed out, after checking that every page renders to an image,
/// that every font is embedded, and that it has `pages` pages when given. `None` when poppler is
/// missing outside CI.
fn read_pdf(path: &std::path::Path, pages: Option<usize>) -> Option<String> {
    let pdftotext = b2h_tests::tool("pdftotext", "poppler-utils")?;
    let run = |tool: &str, args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(tool)
            .args(args)
            .output()
            .unwrap();
        // Poppler 22.12 (Debian 12) misreads the tagged PDF's MarkInfo /Suspects, a boolean as
        // the PDF standard has it; anything else on stderr is a fault.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let faults: Vec<&str> = stderr
            .lines()
            .filter(|l| *l != "Syntax Error: Suspects object is wrong type (boolean)")
            .collect();
        assert!(
            out.status.success() && faults.is_empty(),
            "{tool}: {stderr}"
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let info = run("pdfinfo", &[path.as_os_str()]);
    let count: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count: {info}"));
    assert!(
        info.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["Page", "size:", "595.276", "x", "841.89", "pts", "(A4)"]),
        "{info}"
    );
    assert!(
        info.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Tagged:", "yes"]),
        "{info}"
    );
    if let Some(pages) = pages {
        assert_eq!(count, pages, "{info}");
    }
    let images = std::env::temp_dir().join(format!("b2h-pages-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&images).unwrap();
    run(
        "pdftoppm",
        &[
            "-png".as_ref(),
            "-r".as_ref(),
            "40".as_ref(),
            path.as_os_str(),
            images.join("p").as_os_str(),
        ],
    );
    assert_eq!(
        std::fs::read_dir(&images).unwrap().count(),
        count,
        "a PNG per page"
    );
    std::fs::remove_dir_all(&images).ok();
    let fonts = run("pdffonts", &[path.as_os_str()]);
    let faces: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!faces.is_empty(), "{fonts}");
    for face in faces {
        let columns: Vec<&str> = face.split_whitespace().collect();
        assert!(
            face.contains("LiberationSans"),
            "only the shipped fonts: {fonts}"
        );
        assert_eq!(
            columns.get(columns.len() - 5),
            Some(&"yes"),
            "embedded: {fonts}"
        );
    }
    let text = run(
        pdftotext.to_str().unwrap(),
        &["-layout".as_ref(), path.as_os_str(), "-".as_ref()],
    );
    Some(
        text.lines()
            .map(|l| l.split_whitespace().collect::<String>())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

with_demo_app!(
    funder_reports_hold_the_apis_figures,
    |app: TestApp| async move {
        let mut app = app;
        app.authenticate(&["--role", "admin"]);
        let funders = app
            .data("{ funders(first: 1) { nodes { id name } } }", json!({}))
            .await;
        let funder = funders["funders"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let summary: Value =
            app.data(SUMMARY, json!({"f": funder})).await["funderImpactSummary"].clone();
        let dir = std::env::temp_dir().join(format!("b2h-report-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |format: &str, name: &str| {
            let out = dir.join(name);
            app.db
                .b2h(&[
                    "report",
                    "funder",
                    "--funder",
                    &funder,
                    "--from",
                    "2023-04-01",
                    "--to",
                    "2024-03-31",
                    "--format",
                    format,
                    "--out",
                    out.to_str().unwrap(),
                ])
                .ok();
            std::fs::read(out).unwrap()
        };
        let html = String::from_utf8(write("html", "a.html")).unwrap();
        let supported = summary["supported"].as_i64().unwrap();
        assert!(supported > 0, "{summary}");
        assert!(
            html.contains(&format!("<dd>{}", thousands(supported))),
            "the headline is the API's"
        );
        assert!(html.contains(summary["funder"]["name"].as_str().unwrap()));
        for project in summary["projectsFunded"].as_array().unwrap() {
            assert!(
                html.contains(project["reference"].as_str().unwrap()),
                "every funded project is listed"
            );
        }
        assert!(
            html.contains("<svg") && html.contains("role=\"img\""),
            "charts are SVG images"
        );
        assert!(
            !html.contains(" src=") && !html.contains(" href="),
            "nothing is fetched or linked"
        );
        // The data behind the stage chart is the API's, stage by stage; months add up to the total.
        let csv = write("csv", "a.csv");
        let rows = rows(&csv);
        for stage in summary["byPathwayStage"].as_array().unwrap() {
            let label = stage_label(&stage["stage"]);
            let row = rows
                .iter()
                .find(|r| r.0 == "people-by-stage" && r.1 == label)
                .unwrap_or_else(|| panic!("no row for {label}: {rows:?}"));
            assert_eq!(row.3, stage["supported"].as_i64().unwrap().to_string());
        }
        let months: i64 = rows
            .iter()
            .filter(|r| r.0 == "people-by-month" && r.2.starts_with("Projects"))
            .map(|r| r.3.parse::<i64>().unwrap())
            .sum();
        assert_eq!(months, supported, "the months add up to the headline");
        // Read back as an evaluator's tools read them: the csv module and openpyxl.
        let xlsx = write("xlsx", "a.xlsx");
        if let Some(read) = read_back(&dir.join("a.csv"), &dir.join("a.xlsx")) {
            let sheet = read["xlsx"]["people-by-stage"].as_array().unwrap();
            let name = summary["funder"]["name"].as_str().unwrap();
            assert_eq!(
                sheet[1][1].as_str().unwrap(),
                format!("Projects {name} funds (people)")
            );
            for stage in summary["byPathwayStage"].as_array().unwrap() {
                let n = stage["supported"].as_f64().unwrap();
                assert!(
                    sheet.iter().skip(2).any(|row| row[1].as_f64() == Some(n)),
                    "the workbook's stage sheet holds {n}: {sheet:?}"
                );
                let in_csv = read["csv"]["people-by-stage"].as_object().unwrap().values();
                assert!(in_csv.into_iter().any(|v| {
                    v.as_object()
                        .unwrap()
                        .values()
                        .any(|x| x.as_f64() == Some(n))
                }));
            }
            let front = read["xlsx"]["Report"].as_array().unwrap();
            assert!(
                front
                    .iter()
                    .any(|row| row[0] == "People supported" && row[1] == thousands(supported)),
                "{front:?}"
            );
            let funded = summary["projectsFunded"].as_array().unwrap().len();
            assert!(read["xlsx"]["projects-funded"].as_array().unwrap().len() >= 2 + funded);
        }
        // The PDF: the same figures, read back as a person reads it.
        let pdf = write("pdf", "a.pdf");
        if let Some(text) = read_pdf(&dir.join("a.pdf"), None) {
            let squeezed = |s: &str| s.split_whitespace().collect::<String>();
            let name = summary["funder"]["name"].as_str().unwrap();
            assert!(
                text.contains(&squeezed(&format!("Impact report: {name}"))),
                "{text}"
            );
            assert!(
                text.lines()
                    .zip(text.lines().skip(1))
                    .any(|(label, value)| label.starts_with("Peoplesupported")
                        && value.starts_with(&thousands(supported))),
                "the headline: {text}"
            );
            for project in summary["projectsFunded"].as_array().unwrap() {
                let reference = project["reference"].as_str().unwrap();
                assert!(text.contains(reference), "{reference} is listed: {text}");
            }
            for stage in summary["byPathwayStage"].as_array().unwrap() {
                let row = format!(
                    "{}{}",
                    squeezed(&stage_label(&stage["stage"])),
                    thousands(stage["supported"].as_i64().unwrap())
                );
                assert!(text.contains(&row), "the stage chart's data: {row}");
            }
            assert!(text.contains("Howthefiguresweremade") && text.contains("Page1of"));
        }
        // The same data gives the same bytes.
        assert_eq!(write("pdf", "b.pdf"), pdf);
        assert_eq!(write("html", "b.html"), html.as_bytes());
        assert_eq!(write("csv", "b.csv"), csv);
        assert_eq!(write("xlsx", "b.xlsx"), xlsx);
        // Every funder at once: a file each, the same bytes as one at a time, and an index.
        let all = dir.join("all");
        app.db
            .b2h(&[
                "report",
                "funders",
                "--from",
                "2023-04-01",
                "--to",
                "2024-03-31",
                "--format",
                "html",
                "--out",
                all.to_str().unwrap(),
            ])
            .ok();
        let index = std::fs::read_to_string(all.join("index.html")).unwrap();
        let every = app
            .data("{ funders(first: 500) { totalCount } }", json!({}))
            .await;
        let count = every["funders"]["totalCount"].as_u64().unwrap() as usize;
        let links: Vec<&str> = index
            .split("<a href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        assert_eq!(links.len(), count, "the index links every funder: {index}");
        for link in &links {
            assert!(all.join(link).exists(), "{link} is written");
        }
        let name = summary["funder"]["name"].as_str().unwrap();
        let own = links
            .iter()
            .find(|l| {
                std::fs::read_to_string(all.join(l))
                    .unwrap()
                    .contains(&format!("<h1>Impact report: {name}</h1>"))
            })
            .unwrap();
        assert_eq!(std::fs::read(all.join(own)).unwrap(), html.as_bytes());
        // Clear errors, nothing written.
        let missing = dir.join("none.html");
        app.db
            .b2h(&[
                "report",
                "funder",
                "--funder",
                "GB-NOPE-1",
                "--format",
                "html",
                "--out",
                missing.to_str().unwrap(),
            ])
            .fails_with("no funder has the id or Org-ID 'GB-NOPE-1'");
        app.db
            .b2h(&[
                "report",
                "funder",
                "--funder",
                &funder,
                "--from",
                "2024-04-01",
                "--to",
                "2024-03-31",
                "--format",
                "html",
                "--out",
                missing.to_str().unwrap(),
            ])
            .fails_with("before --from");
        assert!(!missing.exists());
        // A window without records says so on its cover.
        let empty = dir.join("empty.html");
        app.db
            .b2h(&[
                "report",
                "funder",
                "--funder",
                &funder,
                "--from",
                "2030-04-01",
                "--to",
                "2031-03-31",
                "--format",
                "html",
                "--out",
                empty.to_str().unwrap(),
            ])
            .ok();
        assert!(
            std::fs::read_to_string(&empty)
                .unwrap()
                .contains("No counted records")
        );
        std::fs::remove_dir_all(&dir).ok();
    }
);

// The campaign's public report holds what everyone reads from `campaignProgress`: the exact
// headline, and by stage and month the same published (controlled) figures, withheld where they
// are withheld.
with_demo_app!(
    the_campaign_report_is_the_public_progress,
    |app: TestApp| async move {
        let public = app
        .data(
            "{ campaignProgress { supported byPathwayStage { stage supported suppressed } byMonth { month supported cumulative } } }",
            json!({}),
        )
        .await["campaignProgress"]
        .clone();
        let dir = std::env::temp_dir().join(format!("b2h-campaign-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |format: &str, name: &str| {
            let out = dir.join(name);
            app.db
                .b2h(&[
                    "report",
                    "campaign",
                    "--format",
                    format,
                    "--out",
                    out.to_str().unwrap(),
                ])
                .ok();
            std::fs::read(out).unwrap()
        };
        let html = String::from_utf8(write("html", "c.html")).unwrap();
        let supported = public["supported"].as_i64().unwrap();
        assert!(
            html.contains(&format!("<dd>{}", thousands(supported))),
            "the exact headline"
        );
        assert!(
            html.contains("Public figures as published"),
            "says whose figures they are"
        );
        let rows = rows(&write("csv", "c.csv"));
        let value = |chart: &str, category: &str| {
            rows.iter()
                .find(|r| r.0 == chart && r.1 == category)
                .map(|r| r.3.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("no {chart} row for {category}"))
        };
        for stage in public["byPathwayStage"].as_array().unwrap() {
            let label = stage_label(&stage["stage"]);
            assert_eq!(
                value("people-by-stage", &label),
                stage["supported"].as_f64(),
                "{label}"
            );
        }
        let months = public["byMonth"].as_array().unwrap();
        assert!(
            months.iter().any(|m| m["supported"].is_null()),
            "the demo has withheld months"
        );
        for m in months {
            let day = chrono::NaiveDate::parse_from_str(m["month"].as_str().unwrap(), "%Y-%m-%d")
                .unwrap();
            let label = day.format("%b %Y").to_string();
            assert_eq!(
                value("people-by-month", &label),
                m["supported"].as_f64(),
                "{label}"
            );
            assert_eq!(
                value("people-cumulative", &label),
                m["cumulative"].as_f64(),
                "{label}"
            );
        }
        assert_eq!(
            write("html", "d.html"),
            html.as_bytes(),
            "the same data gives the same bytes"
        );
        let pdf = write("pdf", "c.pdf");
        if let Some(text) = read_pdf(&dir.join("c.pdf"), None) {
            assert!(text.contains(&thousands(supported)), "{text}");
            assert!(text.contains("Publicfiguresaspublished"), "{text}");
            assert!(text.contains("withheld"), "withheld months say so: {text}");
        }
        assert_eq!(
            write("pdf", "e.pdf"),
            pdf,
            "the same data gives the same bytes"
        );
        // The campaign's report is the public figures either way.
        let public = dir.join("public.html");
        app.db
            .b2h(&[
                "report",
                "campaign",
                "--as-public",
                "--format",
                "html",
                "--out",
                public.to_str().unwrap(),
            ])
            .ok();
        assert_eq!(std::fs::read(&public).unwrap(), html.as_bytes());
        std::fs::remove_dir_all(&dir).ok();
    }
);

/// The public's figures of every funder in a financial year, by measure or by measure and month.
const PUBLIC_IMPACT: &str = "query($by: [ImpactDimension!]!, $m: [String!]) {
  impact(filter: {periodFrom: \"2023-04-01\", periodTo: \"2024-03-31\", measure: $m}, groupBy: $by) {
    key { funder { id name } month }
    figures { measure { code name countsTowardTarget } value suppressed baseline target sampleSize
      records projects } } }";

/// The shown values of a group's figures that count toward the target, added up, and how many
/// are withheld.
fn people_shown(group: &Value) -> (Option<i64>, usize) {
    let counted: Vec<&Value> = group["figures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["measure"]["countsTowardTarget"] == true)
        .collect();
    let shown: Vec<i64> = counted
        .iter()
        .filter_map(|f| f["value"].as_f64())
        .map(|v| v.round() as i64)
        .collect();
    let withheld = counted.len() - shown.len();
    let total = (withheld == 0 || !shown.is_empty()).then(|| shown.iter().sum());
    (total, withheld)
}

// `--as-public`: a funder's report as the public reads it, every figure the public `impact`'s
// (the published dimensions only: funder, measure, month), nothing exact, nothing unpublished.
with_demo_app!(
    public_funder_reports_hold_the_public_figures,
    |app: TestApp| async move {
        // Anonymous: the public's answers.
        let by_funder = app.data(PUBLIC_IMPACT, json!({"by": ["FUNDER"]})).await["impact"]
            .as_array()
            .unwrap()
            .clone();
        // The funder the public sees most of.
        let group = by_funder
            .iter()
            .filter(|g| g["key"]["funder"].is_object())
            .max_by_key(|g| people_shown(g).0.unwrap_or(-1))
            .unwrap()
            .clone();
        let (supported, _) = people_shown(&group);
        let supported = supported.unwrap();
        assert!(supported > 0, "{group}");
        let funder = group["key"]["funder"]["id"].as_str().unwrap().to_owned();
        let name = group["key"]["funder"]["name"].as_str().unwrap().to_owned();
        let codes: Vec<String> = group["figures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["measure"]["countsTowardTarget"] == true)
            .map(|f| f["measure"]["code"].as_str().unwrap().to_owned())
            .collect();
        let by_month = app
            .data(
                PUBLIC_IMPACT,
                json!({"by": ["FUNDER", "MONTH"], "m": codes}),
            )
            .await["impact"]
            .as_array()
            .unwrap()
            .clone();

        let dir = std::env::temp_dir().join(format!("b2h-public-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |format: &str, name: &str| {
            let out = dir.join(name);
            app.db
                .b2h(&[
                    "report",
                    "funder",
                    "--funder",
                    &funder,
                    "--as-public",
                    "--from",
                    "2023-04-01",
                    "--to",
                    "2024-03-31",
                    "--format",
                    format,
                    "--out",
                    out.to_str().unwrap(),
                ])
                .ok();
            std::fs::read(out).unwrap()
        };
        let html = String::from_utf8(write("html", "p.html")).unwrap();
        assert!(
            html.contains(&format!("<dd>{}", thousands(supported))),
            "the headline adds up the public's figures: {supported}"
        );
        assert!(html.contains(&format!("<h1>Impact report: {name}</h1>")));
        assert!(
            html.contains("Public figures as published"),
            "said on the cover"
        );
        for unpublished in [
            "Returns missing",
            "people-by-stage",
            "people-by-region",
            "Data quality",
        ] {
            assert!(
                !html.contains(unpublished),
                "{unpublished} is not published"
            );
        }
        assert!(html.contains("not published"), "the cost per person");

        // Month by month, the public's FUNDER × MONTH cells.
        let rows = rows(&write("csv", "p.csv"));
        let mut months = 0;
        for g in by_month
            .iter()
            .filter(|g| g["key"]["funder"]["id"] == funder.as_str())
        {
            let month = g["key"]["month"].as_str().unwrap();
            let label = chrono::NaiveDate::parse_from_str(month, "%Y-%m-%d")
                .unwrap()
                .format("%b %Y")
                .to_string();
            let row = rows
                .iter()
                .find(|r| r.0 == "people-by-month" && r.1 == label && r.2.starts_with("Projects"))
                .unwrap_or_else(|| panic!("no row for {label}: {rows:?}"));
            let expected = people_shown(g).0.map(|n| n.to_string()).unwrap_or_default();
            assert_eq!(row.3, expected, "{label}");
            months += 1;
        }
        assert!(months > 0, "{by_month:?}");

        // The outcome highlights: each figure as the public reads it.
        let xlsx = write("xlsx", "p.xlsx");
        if let Some(read) = read_back(&dir.join("p.csv"), &dir.join("p.xlsx")) {
            let sheet = read["xlsx"]["outcome-highlights"].as_array().unwrap();
            let mut seen = 0;
            for f in group["figures"].as_array().unwrap() {
                let measure = f["measure"]["name"].as_str().unwrap();
                let row = sheet.iter().find(|r| r[0] == measure);
                // Listed when the public reads a baseline or a target for it.
                if f["baseline"].is_null() && f["target"].is_null() {
                    assert!(row.is_none(), "{measure} is not listed: {sheet:?}");
                    continue;
                }
                let row = row.unwrap_or_else(|| panic!("{measure} is listed: {sheet:?}"));
                let cell = |v: &Value| match v.as_f64() {
                    Some(n) => json!(n),
                    None if f["suppressed"] == true => json!("withheld"),
                    None => json!("none given"),
                };
                let as_number = |v: &Value| match v.as_f64() {
                    Some(n) => json!((n * 10.0).round() / 10.0),
                    None => v.clone(),
                };
                assert_eq!(
                    as_number(&row[2]),
                    as_number(&cell(&f["value"])),
                    "{measure}: {row:?}"
                );
                assert_eq!(
                    as_number(&row[3]),
                    as_number(&cell(&f["baseline"])),
                    "{measure}"
                );
                assert_eq!(
                    as_number(&row[4]),
                    as_number(&cell(&f["target"])),
                    "{measure}"
                );
                assert_eq!(row[6].as_f64(), f["records"].as_f64(), "{measure}");
                assert_eq!(row[7].as_f64(), f["projects"].as_f64(), "{measure}");
                seen += 1;
            }
            assert!(seen > 0, "{sheet:?}");
        }

        // The PDF reads the same; the same data gives the same bytes, one funder at a time or all.
        let pdf = write("pdf", "p.pdf");
        if let Some(text) = read_pdf(&dir.join("p.pdf"), None) {
            assert!(
                text.lines()
                    .zip(text.lines().skip(1))
                    .any(|(label, value)| label.starts_with("Peoplesupported")
                        && value.starts_with(&thousands(supported))),
                "the headline: {text}"
            );
            assert!(text.contains("Publicfiguresaspublished"), "{text}");
        }
        assert_eq!(write("pdf", "q.pdf"), pdf);
        assert_eq!(write("xlsx", "q.xlsx"), xlsx);
        let all = dir.join("all");
        app.db
            .b2h(&[
                "report",
                "funders",
                "--as-public",
                "--from",
                "2023-04-01",
                "--to",
                "2024-03-31",
                "--format",
                "html",
                "--out",
                all.to_str().unwrap(),
            ])
            .ok();
        let index = std::fs::read_to_string(all.join("index.html")).unwrap();
        let own = index
            .split("<a href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .find(|l| {
                std::fs::read_to_string(all.join(l))
                    .unwrap()
                    .contains(&format!("<h1>Impact report: {name}</h1>"))
            })
            .unwrap();
        assert_eq!(std::fs::read(all.join(own)).unwrap(), html.as_bytes());

        // The public's figures are for whole periods: other windows are a clear error.
        let refused = dir.join("refused.html");
        app.db
            .b2h(&[
                "report",
                "funder",
                "--funder",
                &funder,
                "--as-public",
                "--from",
                "2023-04-01",
                "--to",
                "2023-05-15",
                "--format",
                "html",
                "--out",
                refused.to_str().unwrap(),
            ])
            .fails_with("one whole month, quarter, calendar year or UK financial year");
        assert!(!refused.exists());
        // Over HTTP the public still reads no funder's report.
        let response = get(&app, &format!("/reports/funders/{funder}.html"), None, None).await;
        assert_eq!(response.status(), 403);
        std::fs::remove_dir_all(&dir).ok();
    }
);

/// GETs a path with an optional key and `If-None-Match`.
async fn get(app: &TestApp, path: &str, key: Option<&str>, tag: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(tag) = tag {
        request = request.header("if-none-match", tag);
    }
    request.send().await.unwrap()
}

fn key(app: &TestApp, args: &[&str]) -> String {
    let mut all = vec!["apikey", "create", "--name", "report reader"];
    all.extend_from_slice(args);
    app.db.b2h(&all).ok().first_line()
}

// Over HTTP: the same bytes as the CLI, for the funder's own key, evaluators and admins only;
// an ETag from the change feed, so a repeated download of unchanged data is a 304.
with_demo_app!(
    reports_are_served_to_who_may_read_them,
    |app: TestApp| async move {
        let funders = app
            .data("{ funders(first: 2) { nodes { id } } }", json!({}))
            .await;
        let ids: Vec<String> = funders["funders"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect();
        let (funder, other) = (&ids[0], &ids[1]);
        let admin = key(&app, &["--role", "admin"]);
        let evaluator = key(&app, &["--role", "evaluator"]);
        let own = key(&app, &["--role", "funder", "--funder", funder]);
        let theirs = key(&app, &["--role", "funder", "--funder", other]);
        let orgs = app
            .data("{ organisations(first: 1) { nodes { id } } }", json!({}))
            .await;
        let partner = key(
            &app,
            &[
                "--role",
                "partner",
                "--organisation",
                orgs["organisations"]["nodes"][0]["id"].as_str().unwrap(),
            ],
        );
        let path = format!("/reports/funders/{funder}.html?from=2023-04-01&to=2024-03-31");
        // Making keys are changes too: the server's figures must have reached them first.
        crate::figures::wait_for_feed(&app).await;

        let served = get(&app, &path, Some(&admin), None).await;
        assert_eq!(served.status(), 200);
        let headers = served.headers().clone();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        let disposition = headers["content-disposition"].to_str().unwrap().to_owned();
        assert!(
            disposition.starts_with("inline; filename=\"") && disposition.contains("2023-04-01"),
            "{disposition}"
        );
        let tag = headers["etag"].to_str().unwrap().to_owned();
        let body = served.bytes().await.unwrap();
        let file = std::env::temp_dir().join(format!("b2h-served-{}.html", uuid::Uuid::new_v4()));
        app.db
            .b2h(&[
                "report",
                "funder",
                "--funder",
                funder,
                "--from",
                "2023-04-01",
                "--to",
                "2024-03-31",
                "--format",
                "html",
                "--out",
                file.to_str().unwrap(),
            ])
            .ok();
        assert_eq!(
            std::fs::read(&file).unwrap(),
            body.to_vec(),
            "the server writes what the CLI writes"
        );
        std::fs::remove_file(&file).ok();

        let again = get(&app, &path, Some(&admin), Some(&tag)).await;
        assert_eq!(again.status(), 304, "unchanged data is not sent again");
        let as_evaluator = get(&app, &path, Some(&evaluator), None).await;
        assert_eq!(as_evaluator.status(), 200);
        assert_eq!(
            as_evaluator.bytes().await.unwrap(),
            body,
            "evaluators read what admins read"
        );
        // The funder's own key: its figures exact, the campaign's beside them as published.
        let as_funder = get(&app, &path, Some(&own), None).await;
        assert_eq!(as_funder.status(), 200);
        assert_ne!(
            as_funder.headers()["etag"].to_str().unwrap(),
            tag,
            "another audience, another tag"
        );
        let text = as_funder.text().await.unwrap();
        assert!(
            text.contains("The campaign&#39;s figures are the public ones"),
            "says so"
        );
        let exact = String::from_utf8(body.to_vec()).unwrap();
        assert!(!exact.contains("figures are the public ones"));
        let headline = |html: &str| {
            html.split("<dd>")
                .nth(1)
                .map(|s| s.split('<').next().unwrap_or_default().to_owned())
        };
        assert_eq!(
            headline(&text),
            headline(&exact),
            "the funder's own figures are exact for it"
        );
        for (who, k) in [
            ("another funder", Some(&theirs)),
            ("a partner", Some(&partner)),
            ("the public", None),
        ] {
            let refused = get(&app, &path, k.map(String::as_str), None).await;
            assert_eq!(refused.status(), 403, "{who}");
            let body: Value = refused.json().await.unwrap();
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "FORBIDDEN",
                "{who}: {body}"
            );
        }
        for (format, disposition) in [
            ("pdf", "inline"),
            ("csv", "attachment"),
            ("xlsx", "attachment"),
        ] {
            let r = get(
                &app,
                &format!("/reports/funders/{funder}.{format}"),
                Some(&admin),
                None,
            )
            .await;
            assert_eq!(r.status(), 200, "{format}");
            let named = r.headers()["content-disposition"].to_str().unwrap();
            assert!(
                named.starts_with(&format!("{disposition}; filename=\""))
                    && named.ends_with(&format!(".{format}\"")),
                "{named}"
            );
        }
        let missing = get(&app, "/reports/funders/00000000-0000-4000-8000-000000000000.html?from=2023-04-01&to=2024-03-31", Some(&admin), None).await;
        assert_eq!(missing.status(), 404);
        assert_eq!(
            get(
                &app,
                &format!("/reports/funders/{funder}.doc"),
                Some(&admin),
                None
            )
            .await
            .status(),
            404
        );
        assert_eq!(
            get(
                &app,
                &format!("/reports/funders/{funder}.html?from=2023-04-01"),
                Some(&admin),
                None
            )
            .await
            .status(),
            400
        );
        let long = get(
            &app,
            &format!("/reports/funders/{funder}.html?from=0001-01-01&to=9999-12-31"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(long.status(), 400, "a window is bounded");
        let body: Value = long.json().await.unwrap();
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("1900 and 2200"),
            "{body}"
        );

        // A signed link for a browser, which cannot send a key: the same bytes without one,
        // bound to the key that asked, refused once tampered with or once that key is revoked.
        let link_query = |format: &str| {
            format!(
                "{{ funder(id: \"{funder}\") {{ reportUrl(from: \"2023-04-01\", to: \"2024-03-31\"{format}) }} }}"
            )
        };
        let asked =
            b2h_tests::graphql_at(&app.client, &app.base, Some(&own), &link_query("")).await;
        let link = asked["data"]["funder"]["reportUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("{asked}"))
            .to_owned();
        assert!(
            link.starts_with(&format!("/reports/funders/{funder}.pdf?")),
            "{link}"
        );
        let opened = get(&app, &link, None, None).await;
        assert_eq!(opened.status(), 200);
        assert_eq!(opened.headers()["content-type"], "application/pdf");
        assert_eq!(
            opened.headers()["cache-control"],
            "private, no-store",
            "a link's document is not kept past its expiry"
        );
        let by_link = opened.bytes().await.unwrap();
        let by_key = get(
            &app,
            &format!("/reports/funders/{funder}.pdf?from=2023-04-01&to=2024-03-31"),
            Some(&own),
            None,
        )
        .await;
        assert_eq!(
            by_key.bytes().await.unwrap(),
            by_link,
            "the link opens what the key reads"
        );
        let html_link = b2h_tests::graphql_at(
            &app.client,
            &app.base,
            Some(&own),
            &link_query(", format: HTML, validHours: 1"),
        )
        .await;
        let html_link = html_link["data"]["funder"]["reportUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(get(&app, &html_link, None, None).await.status(), 200);
        // An admin's link can be forwarded too: beside the funder's figures, the campaign's
        // as published, never exact.
        let admins = b2h_tests::graphql_at(
            &app.client,
            &app.base,
            Some(&admin),
            &link_query(", format: HTML"),
        )
        .await;
        let admins = admins["data"]["funder"]["reportUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        let forwarded = get(&app, &admins, None, None).await.text().await.unwrap();
        assert!(
            forwarded.contains("The campaign&#39;s figures are the public ones"),
            "an admin's link shows the published campaign"
        );
        for (why, bad) in [
            ("another format", link.replacen(".pdf?", ".csv?", 1)),
            (
                "another window",
                link.replacen("to=2024-03-31", "to=2024-06-30", 1),
            ),
            ("a later expiry", {
                let expires: i64 = link
                    .split("expires=")
                    .nth(1)
                    .unwrap()
                    .split('&')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                link.replacen(
                    &format!("expires={expires}"),
                    &format!("expires={}", expires + 3600),
                    1,
                )
            }),
            (
                "no signature",
                link.split("&signature=").next().unwrap().to_owned() + "&signature=",
            ),
        ] {
            let refused = get(&app, &bad, None, None).await;
            assert_eq!(refused.status(), 403, "{why}: {bad}");
            let body: Value = refused.json().await.unwrap();
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "FORBIDDEN",
                "{why}"
            );
        }
        for (who, k) in [
            ("another funder", Some(theirs.as_str())),
            ("a partner", Some(partner.as_str())),
            ("the public", None),
        ] {
            let refused = b2h_tests::graphql_at(&app.client, &app.base, k, &link_query("")).await;
            assert_eq!(
                refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
                "{who}: {refused}"
            );
        }
        let too_long = b2h_tests::graphql_at(
            &app.client,
            &app.base,
            Some(&own),
            &link_query(", validHours: 1000"),
        )
        .await;
        assert_eq!(
            too_long["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{too_long}"
        );
        // Links over a list: each funder's own, refused field by field for the others, as a
        // field that fails is (dropped from its object, with an error at its path).
        let (_, listed) = app
            .graphql_as(
                Some(&own),
                "{ funders(first: 50) { nodes { id name reportUrl(from: \"2023-04-01\", to: \"2024-03-31\", format: CSV) } } }",
                json!({}),
            )
            .await;
        let nodes = listed["data"]["funders"]["nodes"].as_array().unwrap();
        assert!(nodes.len() > 1, "{listed}");
        let errors = listed["errors"].as_array().unwrap();
        assert_eq!(errors.len(), nodes.len() - 1, "{listed}");
        for (i, node) in nodes.iter().enumerate() {
            if node["id"] == funder.as_str() {
                let url = node["reportUrl"].as_str().unwrap();
                assert_eq!(get(&app, url, None, None).await.status(), 200, "{url}");
            } else {
                assert!(node.get("reportUrl").is_none(), "{node}");
                assert!(node["name"].is_string(), "the rest of the funder stays");
                assert!(
                    errors
                        .iter()
                        .any(|e| e["path"] == json!(["funders", "nodes", i, "reportUrl"])
                            && e["extensions"]["code"] == "FORBIDDEN"),
                    "{i}: {listed}"
                );
            }
        }
        let (_, evaluators) = app
            .graphql_as(
                Some(&admin),
                "{ grants(first: 5) { nodes { identifier funder { link: reportUrl(from: \"2023-04-01\", to: \"2024-03-31\", validHours: 2) } } } }",
                json!({}),
            )
            .await;
        assert!(evaluators.get("errors").is_none(), "{evaluators}");
        for grant in evaluators["data"]["grants"]["nodes"].as_array().unwrap() {
            let url = grant["funder"]["link"].as_str().unwrap();
            assert!(url.starts_with("/reports/funders/"), "{url}");
        }
        let prefix = own.split('_').nth(1).unwrap().to_owned();
        app.db.b2h(&["apikey", "revoke", &prefix]).ok();
        let revoked = get(&app, &link, None, None).await;
        assert_eq!(revoked.status(), 403, "a revoked key's links stop working");
        let body: Value = revoked.json().await.unwrap();
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("revoked"),
            "{body}"
        );

        // The campaign's report is everyone's, public figures; its tag follows the publication.
        let campaign = get(&app, "/reports/campaign.html", None, None).await;
        assert_eq!(campaign.status(), 200);
        let tag = campaign.headers()["etag"].to_str().unwrap().to_owned();
        assert!(
            campaign.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("public")
        );
        assert!(
            campaign
                .text()
                .await
                .unwrap()
                .contains("Public figures as published")
        );
        assert_eq!(
            get(&app, "/reports/campaign.html", None, Some(&tag))
                .await
                .status(),
            304
        );
        let pdf = get(&app, "/reports/campaign.pdf", None, None).await;
        assert_eq!(pdf.status(), 200);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

        // What a reader sees in a browser: the API's figures, charts with a name, a description
        // and their data, and nothing fetched beyond the page itself.
        let progress = app
            .data("{ campaignProgress { supported } }", json!({}))
            .await;
        let url = format!("{}/reports/campaign.html", app.base);
        if let Some(page) = b2h_tests::browse(&url, None) {
            assert_eq!(page["status"], 200);
            assert_eq!(page["requests"], json!([url]), "nothing else is requested");
            assert_eq!(page["problems"], json!([]), "{page}");
            assert_eq!(page["lang"], "en-GB");
            let headline = page["headline"].as_array().unwrap();
            let supported = progress["campaignProgress"]["supported"].as_i64().unwrap();
            assert!(
                headline.iter().any(|s| s["value"] == thousands(supported)),
                "{headline:?}"
            );
            let charts = page["charts"].as_array().unwrap();
            assert!(charts.len() >= 3, "{page}");
            for chart in charts {
                assert_eq!(chart["role"], "img");
                assert!(!chart["name"].as_str().unwrap().is_empty(), "{chart}");
                assert!(
                    !chart["description"].as_str().unwrap().is_empty(),
                    "{chart}"
                );
                assert_eq!(chart["table"], true, "each chart has its data: {chart}");
                assert!(chart["width"].as_f64().unwrap() > 200.0, "{chart}");
            }
            let aria = page["aria"].as_str().unwrap();
            assert!(
                aria.contains("- img \""),
                "charts are images by name: {aria}"
            );
            assert!(aria.contains("- table"), "{aria}");
        }
        let funder_page = format!(
            "{}/reports/funders/{funder}.html?from=2023-04-01&to=2024-03-31",
            app.base
        );
        if let Some(page) = b2h_tests::browse(&funder_page, Some(&admin)) {
            assert_eq!(page["status"], 200);
            assert_eq!(page["requests"], json!([funder_page]));
            assert_eq!(
                page["headline"][0]["value"].as_str(),
                headline(&exact).as_deref(),
                "the browser shows the file's figures"
            );
        }
        assert_eq!(
            get(&app, "/reports/elsewhere.html", None, None)
                .await
                .status(),
            404
        );
    }
);

/// A report's text without the times its data is stamped with (a seed run's own clock), so that
/// documents made from the same seed at different times compare equal.
fn unstamped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["committed", "published on", "publishedon"]
        .iter()
        .filter_map(|w| rest.find(w).map(|i| (i, w.len())))
        .min()
    {
        let (i, len) = at;
        out.push_str(&rest[..i + len]);
        rest = &rest[i + len..];
        match rest.find("UTC") {
            Some(end) if end < 40 => {
                out.push_str(" <time>");
                rest = &rest[end + 3..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

// docs/examples holds a funder's PDF and the campaign's HTML made from the demo seed by
// ./scripts/examples: made again here, they say the same (only the seed run's time differs).
with_demo_app!(the_examples_are_current, |app: TestApp| async move {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples");
    let funder = std::fs::read_to_string(examples.join("FUNDER")).unwrap();
    let dir = std::env::temp_dir().join(format!("b2h-examples-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pdf, html) = (
        dir.join("funder-report.pdf"),
        dir.join("campaign-report.html"),
    );
    app.db
        .b2h(&[
            "report",
            "funder",
            "--funder",
            funder.trim(),
            "--from",
            "2023-04-01",
            "--to",
            "2024-03-31",
            "--format",
            "pdf",
            "--out",
            pdf.to_str().unwrap(),
        ])
        .ok();
    app.db
        .b2h(&[
            "report",
            "campaign",
            "--format",
            "html",
            "--out",
            html.to_str().unwrap(),
        ])
        .ok();
    let stale = "docs/examples is stale: run ./scripts/examples";
    assert_eq!(
        unstamped(&std::fs::read_to_string(&html).unwrap()),
        unstamped(&std::fs::read_to_string(examples.join("campaign-report.html")).unwrap()),
        "{stale}"
    );
    if let (Some(made), Some(kept)) = (
        read_pdf(&pdf, None),
        read_pdf(&examples.join("funder-report.pdf"), None),
    ) {
        assert_eq!(unstamped(&made), unstamped(&kept), "{stale}");
    }
    std::fs::remove_dir_all(&dir).ok();
});
