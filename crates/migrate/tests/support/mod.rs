//! What the migrator's tests share.

use std::sync::Arc;

use autogen_migrate::SchemaReader;

/// The schema reader `autogen` lends the migrator: introspection, so a
/// revision's `alter_column` runs on SQLite as a rebuild of the live table.
pub fn introspection() -> SchemaReader {
    Arc::new(|db| {
        Box::pin(async move {
            autogen_introspect::introspect(db)
                .await
                .map_err(|e| e.to_string())
        })
    })
}
