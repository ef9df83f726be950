//! Campaign progress as dashboards read it, with disclosure control for anonymous readers.

use super::campaign::Campaign;
use super::enums::{Beneficiary, PathwayStage};
use crate::analytics::disclosure::Shown;
use crate::analytics::published::ShownProgress;
use crate::graphql::plain::{Fields, Out};
use crate::graphql::reference::Reference;
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Object, SimpleObject};

/// People supported in one part of a breakdown. A suppressed entry's `supported` is null.
#[derive(SimpleObject, Clone)]
pub struct SupportedCell {
    /// People supported (perturbed for the public below the headline: see `perturbed`).
    pub supported: Option<i64>,
    /// Whether the figure is withheld (1 to 7 people, or fewer than three projects).
    pub suppressed: bool,
    /// Whether the figure is rounded (no longer: public figures are perturbed instead).
    pub rounded: bool,
    /// Whether the figure carries the public figures' noise; exact when false.
    pub perturbed: bool,
}

impl From<Shown> for SupportedCell {
    fn from(shown: Shown) -> Self {
        SupportedCell {
            supported: shown.value.map(|v| v.round() as i64),
            suppressed: shown.suppressed,
            rounded: shown.rounded,
            perturbed: shown.perturbed,
        }
    }
}

/// People supported in one beneficiary group (national: exact).
#[derive(SimpleObject)]
pub struct BeneficiaryProgress {
    /// Patients and service users, staff, or volunteers.
    pub beneficiary: Beneficiary,
    #[graphql(flatten)]
    pub cell: SupportedCell,
}

/// People supported by projects whose primary stage this is (national: exact; the stages add up
/// to the total).
#[derive(SimpleObject)]
pub struct StageProgress {
    /// The primary pathway stage.
    pub stage: PathwayStage,
    #[graphql(flatten)]
    pub cell: SupportedCell,
}

/// A place a breakdown is by: an NHS England region, or a nation outside England.
#[derive(SimpleObject, Clone)]
pub struct Place {
    /// Region code (`E40000011`) or nation code (`W92000004`).
    pub code: String,
    /// Its name.
    pub name: String,
}

/// People supported by projects in one region, or nation outside England (below national level:
/// controlled for anonymous readers).
#[derive(SimpleObject)]
pub struct RegionProgress {
    /// The region or nation.
    pub region: Place,
    #[graphql(flatten)]
    pub cell: SupportedCell,
}

/// People supported in one month (by `periodEnd`) and up to it.
#[derive(SimpleObject)]
pub struct MonthProgress {
    /// The month's first day.
    pub month: Date,
    /// People supported up to the end of this month: for the public, counted back from the
    /// published headline by the months shown after it (so the last month's is the headline),
    /// null up to the last withheld month.
    pub cumulative: Option<i64>,
    #[graphql(flatten)]
    pub cell: SupportedCell,
}

/// A campaign's progress towards its people target.
pub struct CampaignProgress {
    pub progress: ShownProgress,
    pub reference: std::sync::Arc<Reference>,
}

/// A campaign's progress towards its people target: submitted and verified records of the measures
/// that count toward it. The headline (`supported`, `byBeneficiary`) is exact for everyone; the
/// public's other figures come from the last publication and are perturbed (cells say so), so they
/// need not add up to the headline. Keys with full record access read everything live and exact.
#[Object]
impl CampaignProgress {
    /// The campaign.
    async fn campaign(&self) -> Campaign {
        Campaign(self.progress.campaign.clone())
    }

    /// People the campaign sets out to support.
    async fn target(&self) -> i64 {
        self.progress.campaign.target_people
    }

    /// People supported so far (the headline: exact).
    async fn supported(&self) -> i64 {
        self.progress.supported
    }

    /// `supported` as a percentage of the target (0 to 100).
    async fn percent_of_target(&self) -> f64 {
        let target = self.progress.campaign.target_people.max(1) as f64;
        (self.progress.supported as f64 * 100.0 / target).clamp(0.0, 100.0)
    }

    /// By beneficiary group: patients and service users, staff, volunteers (the headline: exact).
    async fn by_beneficiary(&self) -> Vec<BeneficiaryProgress> {
        self.progress
            .by_beneficiary
            .iter()
            .map(|(b, shown)| BeneficiaryProgress {
                beneficiary: (*b).into(),
                cell: (*shown).into(),
            })
            .collect()
    }

    /// By primary pathway stage (every stage, in pathway order).
    async fn by_pathway_stage(&self) -> Vec<StageProgress> {
        self.progress
            .by_stage
            .iter()
            .map(|(s, shown)| StageProgress {
                stage: (*s).into(),
                cell: (*shown).into(),
            })
            .collect()
    }

    /// By NHS England region, with Wales, Scotland and Northern Ireland as their own entries (by
    /// code).
    async fn by_region(&self) -> Vec<RegionProgress> {
        self.progress
            .by_area
            .iter()
            .map(|(code, shown)| RegionProgress {
                region: Place {
                    code: code.clone(),
                    name: self.reference.place_name(code),
                },
                cell: (*shown).into(),
            })
            .collect()
    }

    /// By month of `periodEnd`, from the first month with figures to the last, with running totals.
    async fn by_month(&self) -> Vec<MonthProgress> {
        self.progress
            .by_month
            .iter()
            .map(|(month, shown, cumulative)| MonthProgress {
                month: (*month).into(),
                cumulative: *cumulative,
                cell: (*shown).into(),
            })
            .collect()
    }

    /// When the target is projected to be reached at the average monthly rate of the last six
    /// months (or when it was reached), from the months as shown; null when it cannot be
    /// projected.
    async fn projected_target_date(&self) -> Option<Date> {
        self.progress.projected_target_date.map(Into::into)
    }

    /// When the publication these figures come from was made; null for live figures.
    async fn published_at(&self) -> Option<DateTime> {
        self.progress.published_at.map(DateTime)
    }
}

impl Fields for Place {
    fn type_name(&self) -> &'static str {
        "Place"
    }

    fn field<'a>(&'a self, name: &str) -> Out<'a> {
        match name {
            "code" => Out::Text(&self.code),
            "name" => Out::Text(&self.name),
            _ => Out::Unknown,
        }
    }
}
