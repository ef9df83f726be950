-- The counted outcome records (submitted and verified, not archived) with what the peers group
-- by: the project's area (region, or nation outside England) and primary stage, the measure's
-- beneficiary group, and value × sample size for a weighted mean. PostGraphile serves this view
-- (schema `bench`) to @graphile/pg-aggregates; a plain view, computed at query time.
CREATE SCHEMA IF NOT EXISTS bench;
CREATE OR REPLACE VIEW bench.counted_record AS
SELECT r.id, r.project_id, r.measure_id, r.period_end, r.value, r.sample_size,
       r.value * r.sample_size AS weighted_value,
       COALESCE(p.region_code, p.nation_code) AS area_code, p.primary_stage,
       m.beneficiary, m.counts_toward_target
FROM public.outcome_record r
JOIN public.project p ON p.id = r.project_id
JOIN public.outcome_measure m ON m.id = r.measure_id
WHERE r.status IN ('submitted', 'verified') AND r.archived_at IS NULL;
