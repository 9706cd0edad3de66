//! Every column named by `rename_all`, but one named by `column_name`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renamed_all", rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub user_id: i32,
    pub created_at_utc: String,
    #[sea_orm(column_name = "kept_as_is")]
    pub kept: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
