//! Reference data the migrations fix (the UK nations and NHS England regions), read once per
//! process so that a region or nation never costs a query: nearly every list shows one.

use b2h_entity::{nation, region};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

/// Every nation and region.
#[derive(Debug, Default)]
pub struct Reference {
    pub nations: Vec<nation::Model>,
    pub regions: Vec<region::Model>,
}

impl Reference {
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        Ok(Self {
            nations: nation::Entity::find().all(db).await?,
            regions: region::Entity::find().all(db).await?,
        })
    }
}
