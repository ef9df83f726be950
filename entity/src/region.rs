//! The seven NHS England regions (ONS and ODS codes), seeded by migration.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "region")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub ods_code: String,
    pub name: String,
    pub nation_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::nation::Entity",
        from = "Column::NationCode",
        to = "super::nation::Column::Code"
    )]
    Nation,
}

impl Related<super::nation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
