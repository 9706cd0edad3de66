//! Which module each entity file is, which modules the crate declares, and
//! which entity a relation's path (`super::cake::Entity`) names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

/// The modules of the files below an entities directory.
#[derive(Debug, Default)]
pub(crate) struct ModuleTree {
    /// Modules reached by `mod` declarations from the directory's root file.
    declared: BTreeSet<Vec<String>>,
    /// Whether the directory has a root file (`lib.rs`, `main.rs`,
    /// `mod.rs`); without one every file counts as declared.
    rooted: bool,
    /// `use …::Entity as Name;` anywhere: the module each name stands for.
    aliases: BTreeMap<String, BTreeSet<Vec<String>>>,
}

impl ModuleTree {
    /// The tree of `files`: each file's path below the directory and its syntax.
    pub(super) fn new<'a>(files: impl Iterator<Item = (&'a Path, &'a syn::File)>) -> Self {
        let files: Vec<(Vec<String>, bool, &syn::File)> = files
            .map(|(relative, syntax)| (module_of(relative), is_root(relative), syntax))
            .collect();
        let mut tree = Self::default();
        let mut children: BTreeMap<Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
        for (module, root, syntax) in &files {
            tree.rooted |= root;
            let mut declared = Vec::new();
            collect_mods(module, &syntax.items, &mut declared);
            children.entry(module.clone()).or_default().extend(declared);
            collect_aliases(module, &syntax.items, &mut tree.aliases);
        }
        // Walk from the root: a module counts once its parent declares it.
        let mut pending = vec![Vec::new()];
        while let Some(module) = pending.pop() {
            if tree.declared.insert(module.clone()) {
                pending.extend(children.get(&module).into_iter().flatten().cloned());
            }
        }
        tree
    }

    /// The module a file below the directory is (`[]` for its root file).
    pub(super) fn module_of(&self, relative: &Path) -> Vec<String> {
        module_of(relative)
    }

    /// Whether the crate compiles the file: a `mod` declaration reaches it.
    pub(super) fn is_declared(&self, relative: &Path) -> bool {
        !self.rooted || self.declared.contains(&module_of(relative))
    }

    /// The index in `modules` of the entity `path` names from `from`.
    pub(super) fn resolve_entity(
        &self,
        from: &[String],
        path: &[String],
        modules: &[Vec<String>],
    ) -> Result<usize, String> {
        let (last, rest) = path.split_last().ok_or("the relation names no entity")?;
        if last != "Entity" {
            // A name a `use … as` gives an entity: `super::prelude::Cake`.
            let meant = self.aliases.get(last).map(|m| m.iter().collect::<Vec<_>>());
            return match meant.as_deref() {
                Some([module]) => find(modules, module).ok_or_else(|| not_found(module)),
                Some(_) => Err(format!("more than one entity is imported as `{last}`")),
                None => Err(format!(
                    "`{last}` is no entity's `Entity` and no `use … as {last}` names one"
                )),
            };
        }
        let mut resolved = from.to_vec();
        let mut relative = true;
        let mut named = Vec::new();
        for (i, segment) in rest.iter().enumerate() {
            match segment.as_str() {
                "super" if relative => {
                    resolved.pop();
                }
                "self" if relative => {}
                "crate" if i == 0 => relative = false,
                other => {
                    if relative && i == 0 && !modules.iter().any(|m| m.starts_with(&[other.to_owned()])) {
                        // Another crate's name, as in `entity::cake::Entity`.
                        relative = false;
                        continue;
                    }
                    resolved.push(other.to_owned());
                    named.push(other.to_owned());
                }
            }
        }
        if relative {
            return find(modules, &resolved).ok_or_else(|| not_found(&resolved));
        }
        // `crate::…` from a directory that may sit below the crate root: the
        // one entity module that ends with the named path.
        let matching: Vec<usize> = (0..modules.len())
            .filter(|&i| modules[i].ends_with(&named))
            .collect();
        match matching.as_slice() {
            [one] => Ok(*one),
            [] => Err(not_found(&named)),
            _ => Err(format!(
                "more than one entity module ends with `{}`",
                named.join("::")
            )),
        }
    }
}

fn find(modules: &[Vec<String>], module: &[String]) -> Option<usize> {
    modules.iter().position(|m| m == module)
}

fn not_found(module: &[String]) -> String {
    if module.is_empty() {
        "the entities' root module declares no entity".to_owned()
    } else {
        format!(
            "no entity file is module `{}` (an entity SeaORM's macros make, or one in another crate, cannot be read from source)",
            module.join("::")
        )
    }
}

fn is_root(relative: &Path) -> bool {
    matches!(relative.to_str(), Some("lib.rs" | "main.rs" | "mod.rs"))
}

/// `post.rs` is `[post]`, `blog/mod.rs` and `blog.rs` are `[blog]`,
/// `lib.rs`, `main.rs` and `mod.rs` are the root.
fn module_of(relative: &Path) -> Vec<String> {
    let mut module: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => part.to_str().map(str::to_owned),
            _ => None,
        })
        .collect();
    if let Some(file) = module.pop() {
        let stem = file.strip_suffix(".rs").unwrap_or(&file);
        let at_root = module.is_empty();
        match stem {
            "mod" => {}
            "lib" | "main" if at_root => {}
            other => module.push(other.to_owned()),
        }
    }
    module
}

/// The modules `items` of `module` declare with `mod x;`, inline modules included.
fn collect_mods(module: &[String], items: &[syn::Item], found: &mut Vec<Vec<String>>) {
    for item in items {
        if let syn::Item::Mod(m) = item {
            let mut child = module.to_vec();
            child.push(m.ident.to_string());
            if let Some((_, inner)) = &m.content {
                collect_mods(&child, inner, found);
            }
            found.push(child);
        }
    }
}

/// `use super::cake::Entity as Cake;` (also inside groups): `Cake` stands
/// for module `cake`, resolved from `module`.
fn collect_aliases(
    module: &[String],
    items: &[syn::Item],
    aliases: &mut BTreeMap<String, BTreeSet<Vec<String>>>,
) {
    fn walk(
        tree: &syn::UseTree,
        prefix: &mut Vec<String>,
        module: &[String],
        aliases: &mut BTreeMap<String, BTreeSet<Vec<String>>>,
    ) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                walk(&p.tree, prefix, module, aliases);
                prefix.pop();
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    walk(tree, prefix, module, aliases);
                }
            }
            syn::UseTree::Rename(r) if r.ident == "Entity" => {
                let mut resolved = module.to_vec();
                for segment in prefix.iter() {
                    match segment.as_str() {
                        "super" => {
                            resolved.pop();
                        }
                        "self" => {}
                        "crate" => resolved.clear(),
                        other => resolved.push(other.to_owned()),
                    }
                }
                aliases.entry(r.rename.to_string()).or_default().insert(resolved);
            }
            _ => {}
        }
    }
    for item in items {
        if let syn::Item::Use(u) = item {
            walk(&u.tree, &mut Vec::new(), module, aliases);
        }
    }
}
