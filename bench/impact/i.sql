-- The plain SQL floor of impact(groupBy: [REGION, MONTH]): one GROUP BY over the counted records
-- with sums, a count of projects and a mean (what a GROUP BY gives; no latest values).
SELECT COALESCE(p.region_code, p.nation_code) AS area, date_trunc('month', r.period_end) AS month,
       r.measure_id, count(*) AS records, count(DISTINCT r.project_id) AS projects,
       sum(r.value) AS value, sum(r.sample_size) AS sample, sum(r.value * r.sample_size) AS weighted,
       avg(r.value) AS mean
FROM outcome_record r JOIN project p ON p.id = r.project_id
WHERE r.status IN ('submitted', 'verified') AND r.archived_at IS NULL
GROUP BY 1, 2, 3;
