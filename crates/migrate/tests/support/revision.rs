//! A revision as a test's graph takes it.

use autogen_migrate::{Operations, Revision, RevisionModule};

/// The revision `id`, following `down`, with these functions.
pub fn module(
    id: &'static str,
    down: &'static [&'static str],
    message: &'static str,
    upgrade: fn(&mut Operations),
    downgrade: fn(&mut Operations),
) -> RevisionModule {
    RevisionModule {
        revision: Revision {
            id,
            down_revision: down,
            branch_labels: &[],
            depends_on: &[],
            message,
        },
        upgrade,
        downgrade,
        path: "src/versions/test.rs",
    }
}
