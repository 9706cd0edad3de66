//! The blog's migration crate: autogen's env.py. It names the entities that
//! `autogen revision --autogenerate` compares with the database, then hands
//! the command line to autogen.

autogen::include_versions!();

fn project() -> autogen::Project {
    autogen::Project::new(VERSIONS)
        .entity(blog_entity::user::Entity)
        .entity(blog_entity::post::Entity)
}

fn main() -> std::process::ExitCode {
    autogen::cli::run(project())
}

#[cfg(test)]
mod tests {
    use super::{project, VERSIONS};
    use autogen::config::Config;
    use autogen::database::{DatabaseUrl, UrlOrigin};

    #[tokio::test]
    async fn the_committed_history_brings_an_empty_database_to_the_entities() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("blog.db").display());
        let config = Config::new(dir.path(), DatabaseUrl::new(url, UrlOrigin::Program));
        let steps = autogen::command::upgrade(&project(), &config, "head", Default::default(), |_| {})
            .await
            .unwrap();
        assert_eq!(steps.len(), VERSIONS.revisions.len());
        let left = autogen::command::compare(&project(), &config).await.unwrap();
        assert!(
            left.upgrade.is_empty(),
            "the entities and the revisions disagree: {:#?}",
            left.upgrade
        );
    }
}
