//! Outcome measures (indicators).

use super::enums::{Aggregation, Beneficiary, MeasureUnit, ResultType};
use super::id_of;
use crate::graphql::plain::{Fields, Out, leaf};
use async_graphql::{ID, Object};
use b2h_entity::outcome_measure;
use std::sync::Arc;

/// An indicator partners report against, and how its records add up.
pub struct OutcomeMeasure(pub Arc<outcome_measure::Model>);

impl OutcomeMeasure {
    /// A measure read from the database.
    pub fn of(model: outcome_measure::Model) -> Self {
        OutcomeMeasure(Arc::new(model))
    }
}

/// An indicator partners report against, and how its records add up.
#[Object]
impl OutcomeMeasure {
    /// Measure id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Stable snake_case code used in files (`patients_supported`).
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name of the measure.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the measure counts and how.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Who the measure counts.
    async fn beneficiary(&self) -> Beneficiary {
        self.0.beneficiary.into()
    }

    /// IATI result type: output, outcome or impact.
    async fn result_type(&self) -> ResultType {
        self.0.result_type.into()
    }

    /// The unit values are recorded in.
    async fn unit(&self) -> MeasureUnit {
        self.0.unit.into()
    }

    /// Whether a higher value is better.
    async fn ascending(&self) -> bool {
        self.0.ascending
    }

    /// How records add up: summed, latest value per project, or weighted mean.
    async fn aggregation(&self) -> Aggregation {
        self.0.aggregation.into()
    }

    /// Whether the measure counts towards the campaign's people target.
    async fn counts_toward_target(&self) -> bool {
        self.0.counts_toward_target
    }
}

impl Fields for OutcomeMeasure {
    fn type_name(&self) -> &'static str {
        "OutcomeMeasure"
    }

    fn field<'a>(&'a self, name: &str) -> Out<'a> {
        let m = &self.0;
        match name {
            "id" => leaf(&id_of(m.id)),
            "code" => Out::Text(&m.code),
            "name" => Out::Text(&m.name),
            "description" => leaf(&m.description),
            "beneficiary" => leaf(&Beneficiary::from(m.beneficiary)),
            "resultType" => leaf(&ResultType::from(m.result_type)),
            "unit" => leaf(&MeasureUnit::from(m.unit)),
            "ascending" => leaf(&m.ascending),
            "aggregation" => leaf(&Aggregation::from(m.aggregation)),
            "countsTowardTarget" => leaf(&m.counts_toward_target),
            _ => Out::Unknown,
        }
    }
}
