//! An outcome record's disclosure key (0-255): HMAC-SHA256 of its id under the installation
//! secret. Public cells take their cell key from their records' keys; never exported.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outcome_record_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_id: Uuid,
    pub record_key: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::outcome_record::Entity",
        from = "Column::RecordId",
        to = "super::outcome_record::Column::Id",
        on_delete = "Cascade"
    )]
    OutcomeRecord,
}

impl Related<super::outcome_record::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutcomeRecord.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
