-- The plain SQL floor of campaignProgress: people supported (measures counting toward the
-- target) in total and by beneficiary group, primary stage, area and month, in one pass.
SELECT m.beneficiary, p.primary_stage, COALESCE(p.region_code, p.nation_code) AS area,
       date_trunc('month', r.period_end) AS month, sum(r.value) AS supported
FROM outcome_record r
JOIN outcome_measure m ON m.id = r.measure_id
JOIN project p ON p.id = r.project_id
WHERE m.counts_toward_target AND r.status IN ('submitted', 'verified') AND r.archived_at IS NULL
GROUP BY GROUPING SETS ((), (m.beneficiary), (p.primary_stage),
                        (COALESCE(p.region_code, p.nation_code)), (date_trunc('month', r.period_end)));
