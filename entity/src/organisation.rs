//! NHS trusts, community organisations and other bodies that run or fund projects.

use crate::enums::OrganisationKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub kind: OrganisationKind,
    /// Org-ID identifier (`GB-NHS-RLT`, `GB-CHC-…`, `GB-COH-…`), unique when present.
    pub org_id: Option<String>,
    /// An identifier the source gave that is not an Org-ID (`360G-dulverton`, `E08000009`),
    /// kept as given.
    pub other_identifier: Option<String>,
    pub ods_code: Option<String>,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    pub website: Option<String>,
    pub nation_code: Option<String>,
    /// NHS England region; England only.
    pub region_code: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::nation::Entity",
        from = "Column::NationCode",
        to = "super::nation::Column::Code"
    )]
    Nation,
    #[sea_orm(
        belongs_to = "super::region::Entity",
        from = "Column::RegionCode",
        to = "super::region::Column::Code"
    )]
    Region,
    #[sea_orm(has_many = "super::project::Entity")]
    LedProject,
}

impl Related<super::region::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Region.def()
    }
}

impl Related<super::nation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
