//! The blog's command line: autogen's env.py. The revisions are the
//! library's (src/lib.rs); the entities autogenerate compares with the
//! database are read from entity/src (`entities` in autogen.toml).

use blog_migration::VERSIONS;

fn project() -> autogen::Project {
    // The entities are read from entity/src, as autogen.toml's `entities` says.
    autogen::Project::new(VERSIONS)
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
        let mut config = Config::new(dir.path(), DatabaseUrl::new(url, UrlOrigin::Program));
        config.entities = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../entity/src")];
        let steps = autogen::command::upgrade(&project(), &config, "head", Default::default(), |_| {})
            .await
            .unwrap();
        assert_eq!(steps.len(), VERSIONS.revisions.len());
        let (project, _) = autogen::entities::resolve(&project(), &config).unwrap();
        let left = autogen::command::compare(&project, &config).await.unwrap();
        assert!(
            left.upgrade.is_empty(),
            "the entities and the revisions disagree: {:#?}",
            left.upgrade
        );
    }
}
