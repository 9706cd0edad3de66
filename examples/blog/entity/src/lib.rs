//! The blog's SeaORM entities: what `autogen revision --autogenerate` compares the database with.

pub mod post;
pub mod user;
