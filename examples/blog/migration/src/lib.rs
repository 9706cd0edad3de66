//! The blog's migration crate: its revisions are in src/versions. The blog
//! application (`app`) migrates at start-up with `blog_migration::upgrade(&db)`;
//! src/main.rs is the command line.

autogen::include_versions!();

/// Brings the database `db` reaches to head and returns the revisions it
/// ran. Instances starting together apply each revision once.
pub async fn upgrade(
    db: &autogen::sea_orm::DatabaseConnection,
) -> Result<Vec<autogen::Step>, autogen::MigrateError> {
    autogen::startup::upgrade(VERSIONS, db).await
}

/// Whether the database is at head, and what is pending if not: for a
/// readiness check. Runs nothing.
pub async fn status(
    db: &autogen::sea_orm::DatabaseConnection,
) -> Result<autogen::startup::Status, autogen::MigrateError> {
    autogen::startup::status(VERSIONS, db).await
}
