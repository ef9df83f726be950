//! Campaigns and their people targets.

use super::id_of;
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{ID, Object};
use b2h_entity::campaign;

/// A campaign with a people target (Back to Health: 1,000,000 people by 2025-03-31).
pub struct Campaign(pub campaign::Model);

/// A campaign with a people target (Back to Health: 1,000,000 people by 2025-03-31).
#[Object]
impl Campaign {
    /// Campaign id (UUID).
    async fn id(&self) -> ID {
        id_of(self.0.id)
    }

    /// Name of the campaign.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the campaign sets out to do.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// First day of the campaign.
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }

    /// Day by which the target is to be met.
    async fn target_date(&self) -> Date {
        self.0.target_date.into()
    }

    /// People (patients, staff and volunteers together) the campaign sets out to support.
    async fn target_people(&self) -> i64 {
        self.0.target_people
    }

    /// When the row was created (UTC).
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When the row was last changed (UTC).
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}
