//! The synthetic organisations, funders, projects and grants of a seed, drawn from the dice.

use super::dice::{Dice, at};
use super::names::{
    AREAS, Area, COMMUNITY_SUFFIXES, ENGLAND_TRUST_SUFFIXES, FUNDERS, NhsStyle, PARTNER_SUFFIXES,
    SERVICES, Service, abbreviation,
};
use b2h_entity::enums::{OrganisationKind, PartnerRole, PathwayStage, ProjectStatus};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// The last month every seed reports (monthly periods run up to June 2024).
pub const LAST_MONTH: (i32, u32) = (2024, 6);

/// Size and randomness of a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub projects: u32,
    pub months: u32,
    pub seed: u64,
}

/// One calendar month of the reporting window.
#[derive(Clone, Copy, Debug)]
pub struct Month {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganisationKind,
    pub org_id: String,
    pub ods_code: Option<String>,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    pub nation: &'static str,
    pub region: Option<&'static str>,
    pub town: String,
    pub created_at: DateTime<Utc>,
}

pub struct Funder {
    pub id: Uuid,
    pub name: &'static str,
    pub abbreviation: &'static str,
    pub created_at: DateTime<Utc>,
}

/// Which optional measures a project reports.
#[derive(Clone, Copy, Debug)]
pub struct Reporting {
    pub staff: bool,
    pub wellbeing: bool,
    pub anxiety: bool,
    pub did_not_attend: bool,
    pub readmissions: bool,
    pub staff_time: bool,
    pub swemwbs: bool,
    pub bed_days: bool,
}

pub struct Project {
    pub id: Uuid,
    pub index: u64,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub lead: usize,
    pub service: &'static Service,
    pub stages: Vec<PathwayStage>,
    pub status: ProjectStatus,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// Months of the window with records: `first_month..=last_month` (none when planned).
    pub reported: Option<(usize, usize)>,
    pub nation: &'static str,
    pub region: Option<&'static str>,
    pub partners: Vec<(usize, PartnerRole)>,
    /// People newly supported in a typical month once running.
    pub size: f64,
    pub reporting: Reporting,
    pub created_at: DateTime<Utc>,
}

pub struct Grant {
    pub id: Uuid,
    pub identifier: String,
    pub title: String,
    pub description: String,
    pub funder: usize,
    pub recipient: usize,
    /// Pence.
    pub amount_awarded: i64,
    pub award_date: NaiveDate,
    pub planned_start: NaiveDate,
    pub planned_end: NaiveDate,
    pub created_at: DateTime<Utc>,
}

pub struct Allocation {
    pub id: Uuid,
    pub grant: usize,
    pub project: usize,
    /// Pence.
    pub amount: i64,
    pub created_at: DateTime<Utc>,
}

pub struct Plan {
    pub shape: Shape,
    pub dice: Dice,
    pub months: Vec<Month>,
    pub organisations: Vec<Organisation>,
    pub funders: Vec<Funder>,
    pub projects: Vec<Project>,
    pub grants: Vec<Grant>,
    pub allocations: Vec<Allocation>,
}

/// The reporting window: `count` months ending with [`LAST_MONTH`].
pub fn months(count: u32) -> Vec<Month> {
    let (y, m) = LAST_MONTH;
    let last_first = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
    (0..count)
        .rev()
        .map(|back| {
            let first = last_first - Months::new(back);
            let last = first + Months::new(1) - chrono::Days::new(1);
            Month { first, last }
        })
        .collect()
}

impl Plan {
    pub fn draw(shape: Shape) -> Self {
        let dice = Dice::new(shape.seed);
        let months = months(shape.months);
        let window_start = months.first().map(|m| m.first).unwrap_or_default();
        let mut plan = Plan {
            shape,
            dice,
            months,
            organisations: Vec::new(),
            funders: Vec::new(),
            projects: Vec::new(),
            grants: Vec::new(),
            allocations: Vec::new(),
        };
        let leads = draw_lead_organisations(&mut plan, window_start);
        let partners = draw_partner_organisations(&mut plan, window_start);
        draw_projects(&mut plan, leads, &partners);
        draw_funders_and_grants(&mut plan, window_start);
        plan
    }
}

fn area_of(dice: &Dice, salt: &str, i: u64) -> &'static Area {
    // The first organisations cover every area; the rest follow the areas' weights.
    if (i as usize) < AREAS.len() {
        return &AREAS[i as usize];
    }
    let total: u32 = AREAS.iter().map(|a| a.weight).sum();
    let mut draw = (dice.bits(salt, &[i]) % total as u64) as u32;
    for area in &AREAS {
        if draw < area.weight {
            return area;
        }
        draw -= area.weight;
    }
    &AREAS[0]
}

/// Towns handed out so far, per area (nation, region).
type TownsUsed = HashMap<(&'static str, Option<&'static str>), usize>;

/// A distinct town name in an area: the list first, then with compass prefixes.
fn town_in(area: &'static Area, used: &mut TownsUsed) -> String {
    let n = used.entry((area.nation, area.region)).or_insert(0);
    let base = area.towns[*n % area.towns.len()];
    let round = *n / area.towns.len();
    *n += 1;
    const PREFIXES: [&str; 6] = ["", "North", "South", "East", "West", "Upper"];
    match PREFIXES.get(round) {
        Some(&"") => base.to_owned(),
        Some(prefix) => format!("{prefix} {base}"),
        None => format!("{base} {}", round + 1),
    }
}

fn base36(mut n: u64, width: usize) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = Vec::new();
    while n > 0 || out.len() < width {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn draw_lead_organisations(plan: &mut Plan, window_start: NaiveDate) -> usize {
    let dice = plan.dice;
    let count = (plan.shape.projects as usize * 3).div_ceil(5).max(1);
    let mut used = TownsUsed::new();
    for i in 0..count as u64 {
        let created_at = at(window_start - chrono::Days::new(90), 9 * 3600 + i as i64);
        if i == 0 {
            // A real trust (its Org-ID is the example of DESIGN.md) with synthetic figures.
            plan.organisations.push(Organisation {
                id: dice.uuid("organisation", &[i]),
                name: "George Eliot Hospital NHS Trust".to_owned(),
                kind: OrganisationKind::NhsTrust,
                org_id: "GB-NHS-RLT".to_owned(),
                ods_code: Some("RLT".to_owned()),
                charity_number: None,
                company_number: None,
                nation: "E92000001",
                region: Some("E40000011"),
                town: "George Eliot".to_owned(),
                created_at,
            });
            continue;
        }
        let area = area_of(&dice, "lead-area", i);
        let town = town_in(area, &mut used);
        let nhs = dice.chance("lead-nhs", &[i], 0.58);
        let (name, kind, org_id, ods, charity) = if nhs {
            let ods = format!("Z{}", base36(i, 2));
            let name = match area.kind {
                NhsStyle::EnglandTrust => {
                    format!(
                        "{town} {}",
                        dice.pick("trust-suffix", &[i], &ENGLAND_TRUST_SUFFIXES)
                    )
                }
                NhsStyle::WalesHealthBoard => format!("{town} University Health Board"),
                NhsStyle::ScotlandBoard => format!("NHS {town}"),
                NhsStyle::NorthernIrelandTrust => format!("{town} Health and Social Care Trust"),
            };
            (
                name,
                OrganisationKind::NhsTrust,
                format!("GB-NHS-{ods}"),
                Some(ods),
                None,
            )
        } else {
            let name = format!(
                "{town} {}",
                dice.pick("community-suffix", &[i], &COMMUNITY_SUFFIXES)
            );
            let (org_id, number) = charity_identifier(area, i);
            (
                name,
                OrganisationKind::CommunityOrganisation,
                org_id,
                None,
                Some(number),
            )
        };
        plan.organisations.push(Organisation {
            id: dice.uuid("organisation", &[i]),
            name,
            kind,
            org_id,
            ods_code: ods,
            charity_number: charity,
            company_number: None,
            nation: area.nation,
            region: area.region,
            town,
            created_at,
        });
    }
    count
}

/// A synthetic charity number in the nation's register and its Org-ID.
fn charity_identifier(area: &Area, i: u64) -> (String, String) {
    match area.kind {
        NhsStyle::ScotlandBoard => {
            let n = format!("SC09{i:04}");
            (format!("GB-SC-{n}"), n)
        }
        NhsStyle::NorthernIrelandTrust => {
            let n = format!("1{i:05}");
            (format!("GB-NIC-{n}"), n)
        }
        _ => {
            let n = format!("{}", 9_000_000 + i);
            (format!("GB-CHC-{n}"), n)
        }
    }
}

fn draw_partner_organisations(plan: &mut Plan, window_start: NaiveDate) -> Vec<usize> {
    let dice = plan.dice;
    let count = (plan.shape.projects as usize * 3).div_ceil(10).max(2);
    let base = plan.organisations.len() as u64;
    // Partners' suffixes differ from leads', so distinct towns keep every name distinct.
    let mut used = TownsUsed::new();
    let mut indices = Vec::new();
    for j in 0..count as u64 {
        let i = base + j;
        let area = area_of(&dice, "partner-area", j);
        let town = town_in(area, &mut used);
        let (suffix, kind) = *dice.pick("partner-kind", &[i], &PARTNER_SUFFIXES);
        let (org_id, charity, company) = match kind {
            OrganisationKind::Charity | OrganisationKind::Hospice => {
                let (org_id, n) = charity_identifier(area, i);
                (org_id, Some(n), None)
            }
            _ => {
                let n = format!("{:08}", 90_000_000 + i);
                (format!("GB-COH-{n}"), None, Some(n))
            }
        };
        indices.push(plan.organisations.len());
        plan.organisations.push(Organisation {
            id: dice.uuid("organisation", &[i]),
            name: format!("{town} {suffix}"),
            kind,
            org_id,
            ods_code: None,
            charity_number: charity,
            company_number: company,
            nation: area.nation,
            region: area.region,
            town,
            created_at: at(window_start - chrono::Days::new(60), 9 * 3600 + i as i64),
        });
    }
    indices
}

fn draw_projects(plan: &mut Plan, leads: usize, partners: &[usize]) {
    let dice = plan.dice;
    let m = plan.months.len();
    let window_end = plan.months.last().map(|x| x.last).unwrap_or_default();
    let mut counters: HashMap<String, u32> = HashMap::new();
    for p in 0..plan.shape.projects as u64 {
        let lead = if (p as usize) < leads {
            p as usize
        } else {
            (dice.bits("project-lead", &[p]) % leads as u64) as usize
        };
        let org = &plan.organisations[lead];
        let service = if p == 0 {
            &SERVICES[6]
        } else {
            dice.pick("service", &[p], &SERVICES)
        };
        let prefix = if lead == 0 {
            "GEH".to_owned()
        } else {
            abbreviation(&org.town)
        };
        let n = counters.entry(prefix.clone()).or_insert(0);
        *n += 1;
        let reference = format!("{prefix}-B2H-{n:02}");

        let mut stages = vec![service.primary];
        stages.extend(service.further.iter().copied());
        if dice.chance("extra-stage", &[p], 0.15) {
            let extra = *dice.pick("extra-stage-which", &[p], PathwayStage::ALL);
            if !stages.contains(&extra) {
                stages.push(extra);
            }
        }

        // When the project ran: most start in the first half of the window.
        let roll = dice.unit("lifecycle", &[p]);
        // Most start early: within the first half of the window, and at most 18 months in.
        let half = (m / 2).clamp(1, 18);
        let start = if roll < 0.85 || m < 6 {
            dice.int("start", &[p], 0, half as i64 - 1) as usize
        } else {
            dice.int(
                "start-late",
                &[p],
                half as i64,
                (m as i64 - 3).max(half as i64),
            ) as usize
        };
        let start = start.min(m.saturating_sub(1));
        let (status, reported, start_date, end_date) = if p > 0 && roll >= 0.97 {
            let start_date = window_end
                + chrono::Days::new(1)
                + Months::new(dice.int("planned", &[p], 0, 5) as u32);
            (ProjectStatus::Planned, None, start_date, None)
        } else if p > 0 && roll < 0.10 && start + 8 < m {
            let last = dice.int("end", &[p], start as i64 + 6, m as i64 - 2) as usize;
            (
                ProjectStatus::Completed,
                Some((start, last)),
                plan.months[start].first,
                Some(plan.months[last].last),
            )
        } else if p > 0 && (0.10..0.15).contains(&roll) && start + 4 < m {
            (
                ProjectStatus::Paused,
                Some((start, m - 3)),
                plan.months[start].first,
                None,
            )
        } else {
            let planned_end = NaiveDate::from_ymd_opt(2025, 3, 31)
                .unwrap_or(window_end)
                .max(window_end);
            (
                ProjectStatus::Active,
                Some((start, m - 1)),
                plan.months[start].first,
                Some(planned_end),
            )
        };

        let mut project_partners = vec![(lead, PartnerRole::Lead)];
        for (salt, p_chance, role) in [
            ("partner-delivery", 0.6, PartnerRole::Delivery),
            ("partner-host", 0.2, PartnerRole::Host),
            ("partner-evaluation", 0.15, PartnerRole::Evaluation),
        ] {
            if !partners.is_empty() && dice.chance(salt, &[p], p_chance) {
                let candidate =
                    partners[(dice.bits(salt, &[p, 1]) % partners.len() as u64) as usize];
                if project_partners.iter().all(|(o, _)| *o != candidate) {
                    project_partners.push((candidate, role));
                }
            }
        }

        let has = |stage| stages.contains(&stage);
        let hospital = matches!(
            service.setting,
            b2h_entity::enums::ProjectSetting::Hospital
                | b2h_entity::enums::ProjectSetting::EmergencyDepartment
                | b2h_entity::enums::ProjectSetting::Outpatient
        );
        let staff = dice.chance("reports-staff", &[p], 0.7);
        let reporting = Reporting {
            staff,
            wellbeing: dice.chance("reports-wellbeing", &[p], 0.8),
            anxiety: dice.chance("reports-anxiety", &[p], 0.6),
            did_not_attend: has(PathwayStage::WaitingWell)
                || (hospital && dice.chance("reports-dna", &[p], 0.3)),
            readmissions: has(PathwayStage::RecoveringWell),
            staff_time: staff && dice.chance("reports-staff-time", &[p], 0.8),
            swemwbs: has(PathwayStage::LivingWell) || dice.chance("reports-swemwbs", &[p], 0.25),
            bed_days: has(PathwayStage::RecoveringWell) && hospital,
        };
        let title = format!("{} {}", org.town, service.title.to_lowercase());
        let title = capitalise(&title);
        plan.projects.push(Project {
            id: dice.uuid("project", &[p]),
            index: p,
            reference,
            description: format!(
                "Synthetic demo data, not real figures. {} led by {}.",
                service.title, org.name
            ),
            title,
            lead,
            service,
            stages,
            status,
            start_date,
            end_date,
            reported,
            nation: org.nation,
            region: org.region,
            partners: project_partners,
            size: 40.0 * (0.8 * dice.normal("size", &[p])).exp(),
            reporting,
            created_at: at(start_date - chrono::Days::new(30), 10 * 3600 + p as i64),
        });
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn draw_funders_and_grants(plan: &mut Plan, window_start: NaiveDate) {
    let dice = plan.dice;
    for (f, (name, abbreviation)) in FUNDERS.iter().enumerate() {
        plan.funders.push(Funder {
            id: dice.uuid("funder", &[f as u64]),
            name,
            abbreviation,
            created_at: at(window_start - chrono::Days::new(120), 8 * 3600 + f as i64),
        });
    }
    let funded: Vec<usize> = (0..plan.projects.len())
        .filter(|&p| plan.projects[p].status != ProjectStatus::Planned)
        .collect();
    if funded.is_empty() {
        return;
    }
    let count = (plan.projects.len() * 2).div_ceil(5).max(FUNDERS.len());
    for g in 0..count as u64 {
        let funder = (g as usize) % FUNDERS.len();
        // Walk the projects with a stride so that grants spread, and some projects get two funders.
        let anchor =
            funded[((g * 7 + dice.bits("grant-anchor", &[g]) % 3) as usize) % funded.len()];
        let recipient = plan.projects[anchor].lead;
        let mut targets: Vec<usize> = vec![anchor];
        let siblings: Vec<usize> = funded
            .iter()
            .copied()
            .filter(|&p| p != anchor && plan.projects[p].lead == recipient)
            .collect();
        let extra = dice.int("grant-extra", &[g], 0, 2) as usize;
        targets.extend(siblings.into_iter().take(extra));
        let unallocated = dice.chance("grant-unallocated", &[g], 0.08);
        let pounds = dice.int("grant-amount", &[g], 50, 500) * 500;
        let amount_awarded = pounds * 100;
        let earliest = targets
            .iter()
            .map(|&p| plan.projects[p].start_date)
            .min()
            .unwrap_or(window_start);
        let award_date =
            earliest - chrono::Days::new(dice.int("grant-lead-time", &[g], 14, 120) as u64);
        let planned_start = award_date + chrono::Days::new(14);
        let planned_end = planned_start + Months::new(24) - chrono::Days::new(1);
        let funder_ref = &plan.funders[funder];
        let recipient_org = &plan.organisations[recipient];
        let created_at = at(award_date, 11 * 3600 + g as i64);
        plan.grants.push(Grant {
            id: dice.uuid("grant", &[g]),
            identifier: format!("360G-B2HDEMO-{}-{:05}", funder_ref.abbreviation, g + 1),
            title: format!("Back to Health: {}", plan.projects[anchor].title),
            description: format!(
                "Synthetic demo grant from {} to {} towards volunteering services in {}.",
                funder_ref.name,
                recipient_org.name,
                award_date.year()
            ),
            funder,
            recipient,
            amount_awarded,
            award_date,
            planned_start,
            planned_end,
            created_at,
        });
        if unallocated {
            continue;
        }
        // 85–100% of the grant is allocated, split in fixed shares.
        let allocated = amount_awarded * dice.int("grant-allocated", &[g], 85, 100) / 100;
        let shares: Vec<i64> = (0..targets.len())
            .map(|k| dice.int("allocation-share", &[g, k as u64], 1, 4))
            .collect();
        let total_shares: i64 = shares.iter().sum();
        let mut given = 0;
        for (k, &project) in targets.iter().enumerate() {
            let amount = if k + 1 == targets.len() {
                allocated - given
            } else {
                // Whole pounds per allocation.
                allocated * shares[k] / total_shares / 100 * 100
            };
            given += amount;
            plan.allocations.push(Allocation {
                id: dice.uuid("allocation", &[g, k as u64]),
                grant: (plan.grants.len() - 1),
                project,
                amount,
                created_at,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_window_is_march_2022_to_june_2024() {
        let m = months(28);
        assert_eq!(m[0].first, NaiveDate::from_ymd_opt(2022, 3, 1).unwrap());
        assert_eq!(m[27].last, NaiveDate::from_ymd_opt(2024, 6, 30).unwrap());
        assert_eq!(m[11].last, NaiveDate::from_ymd_opt(2023, 2, 28).unwrap());
    }

    #[test]
    fn plan_covers_every_area_with_unique_references() {
        let plan = Plan::draw(Shape {
            projects: 120,
            months: 28,
            seed: 2022,
        });
        let mut refs: Vec<_> = plan.projects.iter().map(|p| p.reference.clone()).collect();
        refs.sort();
        refs.dedup();
        assert_eq!(refs.len(), 120);
        for area in &AREAS {
            assert!(
                plan.projects
                    .iter()
                    .any(|p| p.nation == area.nation && p.region == area.region)
            );
        }
        let mut names: Vec<_> = plan.organisations.iter().map(|o| o.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), plan.organisations.len());
        assert_eq!(plan.projects[0].reference, "GEH-B2H-01");
    }
}
