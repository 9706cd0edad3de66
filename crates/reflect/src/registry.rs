//! SeaORM's entity registry (its `entity-registry` feature): the entity
//! modules a compiled crate declares, to name those not registered.

use autogen_schema::Dialect;

use crate::{backend, UnregisteredEntity};

/// The entity modules of the crates `registered` come from that are not
/// among them, with their tables as SeaORM would create them on `dialect`.
pub(crate) fn unregistered<'a>(
    registered: impl Iterator<Item = &'a str> + Clone,
    dialect: Dialect,
) -> Vec<UnregisteredEntity> {
    let crates: Vec<&str> = registered.clone().map(crate_of).collect();
    let modules: Vec<&'static str> = inventory::iter::<sea_orm::EntityRegistry>()
        .map(|entry| entry.module_path)
        .filter(|module| crates.contains(&crate_of(module)))
        .collect();
    let unregistered: Vec<&str> = modules
        .iter()
        .copied()
        .filter(|module| !registered.clone().any(|r| r == *module))
        .collect();
    // Rendered once each: the unregistered modules and those their paths prefix.
    let listed: Vec<(&str, Option<Vec<String>>)> = modules
        .iter()
        .filter(|m| unregistered.iter().any(|u| m.starts_with(u)))
        .map(|m| (*m, tables_under(m, dialect)))
        .collect();
    let mut found: Vec<UnregisteredEntity> = unregistered
        .iter()
        .map(|module| UnregisteredEntity {
            module,
            table: module_table(module, &listed),
        })
        .collect();
    found.sort_by(|a, b| a.module.cmp(b.module));
    found.dedup();
    found
}

fn crate_of(module: &str) -> &str {
    module.split("::").next().unwrap_or_default()
}

/// The table of the entity in `module`, from what `build_schema` listed for
/// each module (see [`tables_under`]): a module path is a prefix, so the
/// tables listed for longer paths (`user_profile` after `user`) are taken
/// away again.
fn module_table(module: &str, listed: &[(&str, Option<Vec<String>>)]) -> Option<String> {
    let mut tables = listed.iter().find(|(m, _)| *m == module)?.1.clone()?;
    for (_, theirs) in listed
        .iter()
        .filter(|(m, _)| *m != module && m.starts_with(module))
    {
        tables.retain(|t| !theirs.as_ref().is_some_and(|theirs| theirs.contains(t)));
    }
    match tables.as_slice() {
        [table] => Some(table.clone()),
        _ => None,
    }
}

/// The tables SeaORM's registry lists for `prefix`. Its entries keep their
/// table private and offer only `EntityRegistry::build_schema(helper,
/// prefix)`, whose `Debug` text quotes the `CREATE TABLE` of every entity
/// whose module path starts with `prefix`. `None` if rendering them
/// fails: sea-query panics on a type the backend lacks, and an entity written
/// for another backend must not stop the command that only wanted a name.
fn tables_under(prefix: &str, dialect: Dialect) -> Option<Vec<String>> {
    let helper = sea_orm::Schema::new(backend(dialect));
    // Silence that panic on this thread only; other threads' panics still report.
    let previous: std::sync::Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        std::panic::take_hook().into();
    let this_thread = std::thread::current().id();
    let report = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != this_thread {
            report(info);
        }
    }));
    let debug =
        std::panic::catch_unwind(|| format!("{:?}", sea_orm::EntityRegistry::build_schema(helper, prefix)));
    std::panic::set_hook(Box::new(move |info| previous(info)));
    let debug = debug.ok()?;
    // `table: "CREATE TABLE \"name\" ( …"` (`` `name` `` on MySQL), or a
    // schema-qualified `\"schema\".\"name\"`; the last name is the table.
    let mut tables = Vec::new();
    for statement in debug.split("table: \"CREATE TABLE ").skip(1) {
        let mut rest = statement;
        let name = loop {
            let quote = ["\\\"", "`"].into_iter().find(|q| rest.starts_with(q))?;
            let (name, after) = rest[quote.len()..].split_once(quote)?;
            match after.strip_prefix('.') {
                Some(qualified) => rest = qualified,
                None => break name,
            }
        };
        tables.push(name.to_owned());
    }
    Some(tables)
}
