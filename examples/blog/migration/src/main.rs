//! The blog's migration crate: autogen's env.py. It names the entities that
//! `autogen revision --autogenerate` compares with the database, then hands
//! the command line to autogen.

autogen::include_versions!();

fn main() -> std::process::ExitCode {
    let project = autogen::Project::new(VERSIONS)
        .entity(blog_entity::user::Entity)
        .entity(blog_entity::post::Entity);
    autogen::cli::run(project)
}
