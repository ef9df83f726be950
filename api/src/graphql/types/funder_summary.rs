//! A funder's impact summary, as funders receive it.

use super::funder::Funder;
use super::grant::{Grant, GrantAllocation};
use super::impact::{ImpactFigure, Showing, figure};
use super::progress::{BeneficiaryProgress, StageProgress, SupportedCell};
use super::project::Project;
use crate::analytics::funder::Summary;
use crate::graphql::scalars::{Date, Decimal};
use async_graphql::{Object, SimpleObject};

/// An amount of money in one currency.
#[derive(SimpleObject)]
pub struct Money {
    /// ISO 4217 code.
    pub currency: String,
    /// The amount.
    pub amount: Decimal,
}

fn exact(people: i64) -> SupportedCell {
    SupportedCell {
        supported: Some(people),
        suppressed: false,
        rounded: false,
        perturbed: false,
    }
}

/// What a funder's grants paid for and what the funded projects achieved in a window (periods
/// ending in it). Figures are exact: only the funder's own key, evaluators and admins read them.
pub struct FunderImpactSummary(pub Summary);

/// What a funder's grants paid for and what the funded projects achieved in a window (periods
/// ending in it). Figures are exact: only the funder's own key, evaluators and admins read them.
#[Object]
impl FunderImpactSummary {
    /// The funder.
    async fn funder(&self) -> Funder {
        Funder(self.0.funding.funder.clone())
    }

    /// First day of the window.
    async fn from(&self) -> Date {
        self.0.funding.from.into()
    }

    /// Last day of the window.
    async fn to(&self) -> Date {
        self.0.funding.to.into()
    }

    /// The funder's grants (including those not yet allocated to projects), by award date.
    async fn grants(&self) -> Vec<Grant> {
        self.0.funding.grants.iter().cloned().map(Grant).collect()
    }

    /// Amounts awarded, by currency.
    async fn amounts_awarded(&self) -> Vec<Money> {
        self.0
            .funding
            .awarded()
            .into_iter()
            .map(|(currency, amount)| Money {
                currency,
                amount: Decimal(amount),
            })
            .collect()
    }

    /// The parts of its grants allocated to projects.
    async fn allocations(&self) -> Vec<GrantAllocation> {
        self.0
            .funding
            .allocations
            .iter()
            .cloned()
            .map(GrantAllocation)
            .collect()
    }

    /// The projects its allocations pay for, by reference.
    async fn projects_funded(&self) -> Vec<Project> {
        self.0
            .funding
            .projects
            .iter()
            .cloned()
            .map(Project)
            .collect()
    }

    /// People supported in the window by the funded projects (submitted and verified records of
    /// the measures that count toward the campaign target).
    async fn supported(&self) -> i64 {
        self.0.supported
    }

    /// People supported, by beneficiary group.
    async fn by_beneficiary(&self) -> Vec<BeneficiaryProgress> {
        self.0
            .by_beneficiary
            .iter()
            .map(|(b, people)| BeneficiaryProgress {
                beneficiary: (*b).into(),
                cell: exact(*people),
            })
            .collect()
    }

    /// People supported, by the projects' primary pathway stage.
    async fn by_pathway_stage(&self) -> Vec<StageProgress> {
        self.0
            .by_stage
            .iter()
            .map(|(s, people)| StageProgress {
                stage: (*s).into(),
                cell: exact(*people),
            })
            .collect()
    }

    /// Cost per person supported, by currency: Σ of the funder's allocations to projects active
    /// in the window (started by its end, not ended before its start) ÷ people those projects
    /// supported in the window. Grants without allocations are left out. Empty when no one was
    /// supported.
    async fn cost_per_person_supported(&self) -> Vec<Money> {
        self.0
            .cost_per_person()
            .into_iter()
            .map(|(currency, amount)| Money {
                currency,
                amount: Decimal(amount),
            })
            .collect()
    }

    /// Measures whose records give a baseline or a target: each with the actual figure, the
    /// baseline and the target, added up by the measure's aggregation kind.
    async fn outcome_highlights(&self) -> Vec<ImpactFigure> {
        self.0
            .highlights
            .iter()
            .cloned()
            .map(|f| figure(f, Showing::Exact))
            .collect()
    }
}
