//! Field names whose columns SeaORM derives in every way it can.
#![allow(non_snake_case)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "naming")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub r#type: String,
    pub varchar_40: String,
    pub _leading: String,
    pub trailing_: String,
    pub twoWords: String,
    pub HTTPStatus: i32,
    #[sea_orm(column_name = "Given Name")]
    pub given: String,
    #[sea_orm(enum_name = "Renamed")]
    pub variant: String,
    #[sea_orm(ignore)]
    pub not_a_column: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
