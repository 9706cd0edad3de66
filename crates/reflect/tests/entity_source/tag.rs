use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tag")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Unique when the database was adopted.
    #[sea_orm(unique)]
    pub name: String,
    pub weight: f64,
}

impl ActiveModelBehavior for ActiveModel {}
