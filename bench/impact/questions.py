#!/usr/bin/env python3
"""The impact benchmark's questions, each as b2h's GraphQL request, as DuckDB SQL over a
snapshot's Parquet files and as plain SQL over the PostgreSQL records, by the rules of DESIGN.md
(sum; latest per project in the window, then summed; weighted mean by sample size; submitted and
verified records only; buckets of period_end; funder groups overlap).

    questions.py emit FUNDER_ID OUT_DIR       # OUT_DIR/NAME.graphql.json, NAME.pg.sql
    questions.py duckdb FUNDER_ID SNAPSHOT OUT  # DuckDB 1.5.5, warm, in-process, 2 threads:
                                                # median ms and rows per question, as JSON
    questions.py same B2H_DIR DUCKDB_DIR        # b2h's answers against DuckDB's, per question

The funder is the one with the most projects (bench/impact.sh picks it).
"""
import json
import os
import statistics
import sys
import time

# name, kind, arguments
QUESTIONS = [
    ("funder_year", "impact", {"dims": ["FUNDER", "YEAR"]}),
    # 3,000 lead organisations: two quarters keep the answer within the 10,000 groups allowed.
    ("organisation_quarter", "impact", {"dims": ["ORGANISATION", "QUARTER"],
                                        "from": "2023-04-01", "to": "2023-09-30"}),
    ("funder_projects_fy", "impact", {"dims": ["PROJECT", "QUARTER"], "funder": True,
                                      "from": "2023-04-01", "to": "2024-03-31"}),
    ("survey_region_quarter", "impact", {"dims": ["REGION", "QUARTER"], "sources": ["SURVEY"]}),
    ("window_cutting_months", "impact", {"dims": ["PATHWAY_STAGE", "MONTH"],
                                         "from": "2023-01-15", "to": "2023-06-20"}),
    ("region_month", "impact", {"dims": ["REGION", "MONTH"]}),
    ("verified_strong_measure_fy", "impact", {"dims": ["MEASURE", "FINANCIAL_YEAR"],
                                              "statuses": ["VERIFIED"], "evidence": ["STRONG"]}),
    ("project_total", "impact", {"dims": ["PROJECT"]}),
    ("missing_returns", "missing", {"start": "2024-06-01", "end": "2024-06-30"}),
    ("funder_summary", "funder_summary", {"from": "2023-04-01", "to": "2024-03-31"}),
    ("campaign_progress", "progress", {}),
]

FIGURES = "figures { measure { code } value records projects sampleSize baseline target }"
KEY = ("key { pathwayStage region { code } funder { id } project { id } organisation { id } "
       "measure { code } month quarter year financialYear }")


def graphql(kind, a, funder):
    if kind == "impact":
        f = []
        if a.get("from"):
            f.append(f'periodFrom: "{a["from"]}"')
        if a.get("to"):
            f.append(f'periodTo: "{a["to"]}"')
        if a.get("sources"):
            f.append(f'dataSource: [{", ".join(a["sources"])}]')
        if a.get("statuses"):
            f.append(f'status: [{", ".join(a["statuses"])}]')
        if a.get("evidence"):
            f.append(f'evidenceStrength: [{", ".join(a["evidence"])}]')
        if a.get("funder"):
            f.append(f'project: {{funder: {{eq: "{funder}"}}}}')
        return (f'{{ impact(groupBy: [{", ".join(a["dims"])}], filter: {{{", ".join(f)}}}) '
                f'{{ {KEY} {FIGURES} }} }}')
    if kind == "missing":
        return (f'{{ missingReturns(period: {{start: "{a["start"]}", end: "{a["end"]}"}}) '
                '{ project { reference } measure { code } lastPeriodEnd } }')
    if kind == "funder_summary":
        return (f'{{ funderImpactSummary(funderId: "{funder}", from: "{a["from"]}", to: "{a["to"]}") '
                '{ supported costPerPersonSupported { amount currency } '
                'byBeneficiary { beneficiary supported } byPathwayStage { stage supported } '
                'outcomeHighlights { measure { code } value baseline target sampleSize } '
                'projectsFunded { reference } } }')
    return ('{ campaignProgress { supported byBeneficiary { beneficiary supported } '
            'byPathwayStage { stage supported } byRegion { region { code } supported } '
            'byMonth { month supported cumulative } projectedTargetDate } }')


def dim_exprs(dims, duck):
    year = "year(r.period_end)" if duck else "CAST(EXTRACT(YEAR FROM r.period_end) AS integer)"
    month = "month(r.period_end)" if duck else "CAST(EXTRACT(MONTH FROM r.period_end) AS integer)"
    out = []
    for d in dims:
        out.append({
            "PATHWAY_STAGE": "r.primary_stage",
            "REGION": "COALESCE(r.region_code, r.nation_code)",
            "FUNDER": "f.funder_id",
            "PROJECT": "r.project_id",
            "ORGANISATION": "r.lead_organisation_id",
            "MEASURE": "r.measure_code",
            "MONTH": f"{year} * 12 + {month} - 1",
            "QUARTER": f"{year} * 4 + ({month} - 1) // 3" if duck else f"{year} * 4 + ({month} - 1) / 3",
            "YEAR": year,
            "FINANCIAL_YEAR": f"CASE WHEN {month} < 4 THEN {year} - 1 ELSE {year} END",
        }[d])
    return out


def records_from(duck):
    """The counted records with their project's attributes, as both engines name them."""
    if duck:
        return "fact_outcomes r"
    return ("(SELECT x.*, p.primary_stage, p.region_code, p.nation_code, p.lead_organisation_id, "
            "m.code AS measure_code, m.aggregation FROM outcome_record x "
            "JOIN project p ON p.id = x.project_id JOIN outcome_measure m ON m.id = x.measure_id "
            "WHERE x.archived_at IS NULL) r")


def funding(duck):
    if duck:
        return ("(SELECT DISTINCT a.project_id, g.funder_id FROM grant_allocations a "
                "JOIN grants g ON g.id = a.grant_id WHERE a.archived_at IS NULL)")
    return ("(SELECT DISTINCT a.project_id, g.funder_id FROM grant_allocation a "
            "JOIN grant_award g ON g.id = a.grant_id WHERE a.archived_at IS NULL)")


def lit(v, duck):
    return f"'{v}'"


def impact_sql(a, funder, duck, measures=None, projects=None):
    dims = a.get("dims", [])
    exprs = dim_exprs(dims, duck)
    where = []
    statuses = [s.lower() for s in a.get("statuses", [])] or ["submitted", "verified"]
    where.append("r.status IN (%s)" % ", ".join(f"'{s}'" for s in statuses))
    if a.get("from"):
        where.append(f"r.period_end >= DATE '{a['from']}'")
    if a.get("to"):
        where.append(f"r.period_end <= DATE '{a['to']}'")
    if a.get("sources"):
        where.append("r.data_source IN (%s)" % ", ".join(f"'{s.lower()}'" for s in a["sources"]))
    if a.get("evidence"):
        where.append("r.evidence_strength IN (%s)" % ", ".join(f"'{s.lower()}'" for s in a["evidence"]))
    if measures is not None:
        where.append(measures)
    if a.get("funder") or projects == "funded":
        where.append(f"r.project_id IN (SELECT project_id FROM {funding(duck)} ff "
                     f"WHERE ff.funder_id = '{funder}')")
    join = f"LEFT JOIN {funding(duck)} f ON f.project_id = r.project_id" if "FUNDER" in dims else ""
    cols = "".join(f"{e} AS d{i}, " for i, e in enumerate(exprs))
    part = ", ".join(exprs + ["r.measure_code", "r.project_id"])
    names = [f"d{i}" for i in range(len(exprs))]
    group = ", ".join(names + ["measure_code", "aggregation"])
    return f"""WITH x AS (
  SELECT {cols} r.measure_code, r.aggregation, r.project_id, r.value, r.sample_size, r.baseline, r.target,
    ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY r.period_end DESC, r.period_start DESC, r.value DESC,
      COALESCE(r.baseline, -1e300) DESC, COALESCE(r.target, -1e300) DESC) AS rn
  FROM {records_from(duck)} {join}
  WHERE {" AND ".join(where)})
SELECT {"".join(n + ", " for n in names)} measure_code, count(*) AS records, count(DISTINCT project_id) AS projects,
  CASE aggregation WHEN 'sum' THEN sum(value) WHEN 'latest' THEN sum(CASE WHEN rn = 1 THEN value END)
    ELSE sum(value * sample_size) / sum(sample_size) END AS value,
  CASE WHEN count(sample_size) > 0 THEN sum(sample_size) END AS sample_size,
  CASE aggregation WHEN 'sum' THEN sum(baseline) WHEN 'latest' THEN sum(CASE WHEN rn = 1 THEN baseline END)
    ELSE sum(baseline * sample_size) / sum(CASE WHEN baseline IS NOT NULL THEN sample_size END) END AS baseline,
  CASE aggregation WHEN 'sum' THEN sum(target) WHEN 'latest' THEN sum(CASE WHEN rn = 1 THEN target END)
    ELSE sum(target * sample_size) / sum(CASE WHEN target IS NOT NULL THEN sample_size END) END AS target
FROM x GROUP BY {group}"""


def missing_sql(a, duck):
    projects = "projects" if duck else "project"
    rec = ("(SELECT project_id, measure_code, period_start, period_end FROM fact_outcomes "
           "WHERE status IN ('submitted', 'verified'))") if duck else \
          ("(SELECT project_id, measure_id AS measure_code, period_start, period_end FROM outcome_record "
           "WHERE status IN ('submitted', 'verified') AND archived_at IS NULL)")
    return f"""WITH c AS {rec}
SELECT c.project_id, c.measure_code, max(c.period_end) AS last_period_end
FROM c JOIN {projects} p ON p.id = c.project_id
WHERE p.status = 'active' AND p.archived_at IS NULL AND c.period_end < DATE '{a["start"]}'
  AND NOT EXISTS (SELECT 1 FROM c x WHERE x.project_id = c.project_id AND x.measure_code = c.measure_code
                  AND x.period_start <= DATE '{a["end"]}' AND x.period_end >= DATE '{a["start"]}')
GROUP BY 1, 2"""


TARGETS = "r.measure_code IN ('patients_supported', 'staff_supported', 'volunteers_supported')"


def statements(kind, a, funder, duck):
    """The statements that answer a question (a summary or progress takes several)."""
    if kind == "impact":
        return [impact_sql(a, funder, duck)]
    if kind == "missing":
        return [missing_sql(a, duck)]
    window = {"from": a.get("from"), "to": a.get("to")}
    if kind == "funder_summary":
        return [impact_sql({**window, "dims": []}, funder, duck, TARGETS, "funded"),
                impact_sql({**window, "dims": ["PATHWAY_STAGE"]}, funder, duck, TARGETS, "funded"),
                impact_sql({**window, "dims": []}, funder, duck, None, "funded")]
    return [impact_sql({"dims": d}, funder, duck, TARGETS)
            for d in ([], ["PATHWAY_STAGE"], ["REGION"], ["MONTH"])]


def emit(funder, out):
    os.makedirs(out, exist_ok=True)
    for name, kind, a in QUESTIONS:
        with open(f"{out}/{name}.graphql.json", "w") as f:
            json.dump({"query": graphql(kind, a, funder)}, f)
        with open(f"{out}/{name}.pg.sql", "w") as f:
            f.write(";\n".join(statements(kind, a, funder, False)) + ";\n")


def duckdb_run(funder, snapshot, out, runs=15):
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads = 2")
    for table in ("fact_outcomes", "projects", "grants", "grant_allocations"):
        files = f"{snapshot}/{table}/**/*.parquet" if os.path.isdir(f"{snapshot}/{table}") else f"{snapshot}/{table}*.parquet"
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{files}')")
    results = {}
    for name, kind, a in QUESTIONS:
        sqls = statements(kind, a, funder, True)
        times, rows = [], 0
        for i in range(runs + 2):
            started = time.perf_counter()
            rows = sum(len(con.execute(s).fetchall()) for s in sqls)
            if i >= 2:  # warm
                times.append((time.perf_counter() - started) * 1000)
        answer = [con.execute(s).fetchall() for s in sqls]
        results[name] = {"median_ms": statistics.median(times), "rows": rows}
        with open(f"{out}/{name}.duckdb.json", "w") as f:
            json.dump(answer, f, default=str)
    json.dump(results, sys.stdout)


def same(b2h_dir, duck_dir):
    """Impact questions: the same groups, records and values (1e-6 relative) as DuckDB's."""
    bad = 0
    for name, kind, a in QUESTIONS:
        if kind != "impact":
            continue
        b2h = json.load(open(f"{b2h_dir}/{name}.out"))
        duck = json.load(open(f"{duck_dir}/{name}.duckdb.json"))[0]
        cells = [(f["measure"]["code"], f["records"], f["value"]) for g in b2h["data"]["impact"] for f in g["figures"]]
        n = len(a["dims"])
        theirs = [(row[n], row[n + 1], row[n + 3]) for row in duck]
        ours_total = sorted((c, r) for c, r, _ in cells)
        their_total = sorted((c, r) for c, r, _ in theirs)
        values = sum(v for _, _, v in cells if v is not None), sum(float(v) for _, _, v in theirs if v is not None)
        ok = ours_total == their_total and abs(values[0] - values[1]) <= 1e-6 * max(1.0, abs(values[1]))
        print(f"{name}: {len(cells)} cells, {'same as DuckDB' if ok else 'DIFFERENT from DuckDB'}", file=sys.stderr)
        bad += not ok
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if sys.argv[1] == "emit":
        emit(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "duckdb":
        duckdb_run(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        same(sys.argv[2], sys.argv[3])
