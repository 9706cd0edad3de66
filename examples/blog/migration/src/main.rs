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
        let config = Config {
            path: dir.path().join("autogen.toml"),
            script_location: dir.path().to_owned(),
            database_url: DatabaseUrl::new(url, UrlOrigin::Program),
            schema: None,
            allow_unregistered_drops: false,
            allow_destructive: false,
            connect_timeout: autogen::config::DEFAULT_CONNECT_TIMEOUT,
            lock_timeout: autogen::config::DEFAULT_LOCK_TIMEOUT,
            post_write_hooks: autogen::hooks::default_hooks(),
            revision_template: None,
        };
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
