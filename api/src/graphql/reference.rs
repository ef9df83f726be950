//! Reference data the migrations fix (the UK nations and NHS England regions), read once per
//! process so that a region or nation never costs a query: nearly every list shows one.

use b2h_entity::{nation, region};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use std::collections::HashMap;
use std::sync::Arc;

/// Every nation and region, by code.
#[derive(Debug, Default)]
pub struct Reference {
    pub nations: Arc<HashMap<String, nation::Model>>,
    pub regions: Arc<HashMap<String, region::Model>>,
}

impl Reference {
    /// The name of a region, or of a nation (the code itself when neither is known).
    pub fn place_name(&self, code: &str) -> String {
        self.regions
            .get(code)
            .map(|r| r.name.clone())
            .or_else(|| self.nations.get(code).map(|n| n.name.clone()))
            .unwrap_or_else(|| code.to_owned())
    }

    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let nations = nation::Entity::find().all(db).await?;
        let regions = region::Entity::find().all(db).await?;
        Ok(Self {
            nations: Arc::new(nations.into_iter().map(|n| (n.code.clone(), n)).collect()),
            regions: Arc::new(regions.into_iter().map(|r| (r.code.clone(), r)).collect()),
        })
    }
}
