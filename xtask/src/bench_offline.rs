//! `cargo xtask bench offline`: `autogen check --offline` on a history of
//! 500 revisions creating 500 tables, beside Django's
//! `makemigrations --check --dry-run` on the equivalent project (500
//! models, 500 migrations): the two pre-commit checks that need no database.
//!
//! Both projects are generated under `target/bench-offline/`: a migration
//! crate with its entity crate (built in release first; the build is what a
//! user waits for once after editing, and is reported apart), and a Django
//! project in a venv from PyPI. Each table: a bigint key, an indexed
//! varchar, a nullable text, an integer with a default, and a nullable
//! foreign key to the table before it with ON DELETE CASCADE. Both tools
//! must find no changes, or the run fails.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::bench::{self, ms, stats, table_name as name, timed, write, Stats};
use crate::run;

const TABLES: usize = 500;
const RUNS: usize = 7;

pub fn offline(root: &Path) -> Result<()> {
    let dir = root.join("target/bench-offline");
    fs::create_dir_all(&dir)?;
    let project = dir.join("autogen");
    write_autogen_project(root, &project)?;
    let (migration, build) = bench::build_migration(root, &project, "offline")?;

    let django = dir.join("django");
    write_django_project(&django, TABLES)?;
    let python = python_with_django(&dir)?;

    let mut autogen_times = Vec::new();
    let mut django_times = Vec::new();
    // One untimed run of each first (page cache, Python's bytecode cache), then alternately.
    for attempt in 0..=RUNS {
        let (time, out) = timed(
            Command::new(&migration)
                .current_dir(&project)
                .args(["check", "--offline"]),
        )?;
        if out != "No new upgrade operations detected.\n" {
            bail!("autogen check --offline found changes in the generated project:\n{out}");
        }
        let (django_time, django_out) = timed(Command::new(&python).current_dir(&django).args([
            "manage.py",
            "makemigrations",
            "--check",
            "--dry-run",
        ]))?;
        if !django_out.contains("No changes detected") {
            bail!("Django found changes in the generated project:\n{django_out}");
        }
        if attempt > 0 {
            autogen_times.push(time);
            django_times.push(django_time);
        }
    }
    let (autogen, django) = (stats(autogen_times), stats(django_times));
    let section = report(build, &autogen, &django);
    print!("{section}");
    let data = serde_json::json!({
        "revisions": TABLES,
        "tables": TABLES,
        "autogen_check_offline": autogen.json(),
        "django_makemigrations_check": django.json(),
        "migration_crate_release_build_ms": bench::ms(build),
    });
    bench::write_section(root, "offline", &section, data)
}

/// The entity crate, the migration crate (500 revisions) and autogen.toml.
fn write_autogen_project(root: &Path, project: &Path) -> Result<()> {
    let modules = (1..=TABLES)
        .map(|i| {
            let t = name(i);
            let source = format!(
                "use sea_orm::entity::prelude::*;\n\n\
                 #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\n#[sea_orm(table_name = \"{t}\")]\n\
                 pub struct Model {{\n    #[sea_orm(primary_key)]\n    pub id: i64,\n    \
                 #[sea_orm(column_type = \"String(StringLen::N(100))\", indexed)]\n    pub name: String,\n    \
                 #[sea_orm(column_type = \"Text\", nullable)]\n    pub body: Option<String>,\n    \
                 #[sea_orm(default_value = 0)]\n    pub score: i32,\n    pub prev_id: Option<i64>,\n}}\n\n\
                 #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\n{relation}\n\n\
                 impl ActiveModelBehavior for ActiveModel {{}}\n",
                relation = bench::previous_table_relation(i)
            );
            (t, source)
        })
        .collect();
    bench::write_generated_project(
        root,
        project,
        "offline",
        "\"macros\"",
        &bench::GeneratedEntities {
            lib: String::new(),
            modules,
        },
        "sqlite://bench.db",
    )?;
    for i in 1..=TABLES {
        let t = name(i);
        let id = format!("{i:012x}");
        let down = if i == 1 {
            "&[]".to_owned()
        } else {
            format!("&[\"{:012x}\"]", i - 1)
        };
        let foreign_key = if i == 1 {
            String::new()
        } else {
            format!(
                ".foreign_key(ForeignKey::new([\"prev_id\"], \"{}\", [\"id\"]).on_delete(ForeignKeyAction::Cascade))",
                name(i - 1)
            )
        };
        write(
            &project.join(format!("migration/src/versions/{id}_{t}.rs")),
            &format!(
                "use autogen::prelude::*;\n\npub const REVISION: Revision = Revision {{\n    id: \"{id}\",\n    \
                 down_revision: {down},\n    branch_labels: &[],\n    depends_on: &[],\n    message: \"{t}\",\n}};\n\n\
                 pub fn upgrade(op: &mut Operations) {{\n    op.create_table(\n        Table::new(\"{t}\")\n            \
                 .column(Column::new(\"id\", ColumnType::BigInteger).auto_increment())\n            \
                 .column(Column::new(\"name\", ColumnType::String(StringLen::N(100))))\n            \
                 .column(Column::new(\"body\", ColumnType::Text).nullable())\n            \
                 .column(Column::new(\"score\", ColumnType::Integer).default(0))\n            \
                 .column(Column::new(\"prev_id\", ColumnType::BigInteger).nullable())\n            \
                 .primary_key([\"id\"]){foreign_key},\n    );\n    \
                 op.create_index(Index::new(\"idx-{t}-name\", \"{t}\", [\"name\"]));\n}}\n\n\
                 pub fn downgrade(op: &mut Operations) {{\n    op.drop_index(\"{t}\", \"idx-{t}-name\");\n    \
                 op.drop_table(\"{t}\");\n}}\n"
            ),
        )?;
    }
    Ok(())
}

/// The same schema as a Django app: `tables` models and the migrations
/// `makemigrations` would have written one at a time.
pub fn write_django_project(project: &Path, tables: usize) -> Result<()> {
    write(
        &project.join("manage.py"),
        "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n\
         from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n",
    )?;
    write(
        &project.join("settings.py"),
        "SECRET_KEY = 'bench'\nINSTALLED_APPS = ['app']\nDATABASES = {'default': {'ENGINE': \
         'django.db.backends.sqlite3', 'NAME': 'bench.db'}}\nDEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n\
         USE_TZ = True\n",
    )?;
    write(&project.join("app/__init__.py"), "")?;
    write(&project.join("app/migrations/__init__.py"), "")?;
    let mut models = String::from("from django.db import models\n\n");
    for i in 1..=tables {
        let class = name(i).to_uppercase();
        let prev = if i == 1 {
            "    prev = models.BigIntegerField(null=True)\n".to_owned()
        } else {
            format!(
                "    prev = models.ForeignKey('{}', null=True, on_delete=models.CASCADE)\n",
                name(i - 1).to_uppercase()
            )
        };
        writeln!(
            models,
            "\nclass {class}(models.Model):\n    name = models.CharField(max_length=100, db_index=True)\n    \
             body = models.TextField(null=True)\n    score = models.IntegerField(default=0)\n{prev}\n    \
             class Meta:\n        db_table = '{t}'\n",
            t = name(i)
        )?;
        let dependencies = if i == 1 {
            String::new()
        } else {
            format!("('app', '{:04}_{}')", i - 1, name(i - 1))
        };
        let prev_field = if i == 1 {
            "('prev', models.BigIntegerField(null=True)),".to_owned()
        } else {
            format!(
                "('prev', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='app.{}')),",
                name(i - 1)
            )
        };
        write(
            &project.join(format!("app/migrations/{i:04}_{}.py", name(i))),
            &format!(
                "from django.db import migrations, models\nimport django.db.models.deletion\n\n\n\
                 class Migration(migrations.Migration):\n    initial = {initial}\n    dependencies = [{dependencies}]\n    \
                 operations = [\n        migrations.CreateModel(\n            name='{class}',\n            fields=[\n                \
                 ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),\n                \
                 ('name', models.CharField(db_index=True, max_length=100)),\n                \
                 ('body', models.TextField(null=True)),\n                \
                 ('score', models.IntegerField(default=0)),\n                {prev_field}\n            ],\n            \
                 options={{'db_table': '{t}'}},\n        ),\n    ]\n",
                initial = if i == 1 { "True" } else { "False" },
                class = name(i).to_uppercase(),
                t = name(i)
            ),
        )?;
    }
    write(&project.join("app/models.py"), &models)
}

/// A venv under target/bench-offline with Django from PyPI, made once.
pub fn python_with_django(dir: &Path) -> Result<PathBuf> {
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "django>=5,<6"]))?;
    }
    Ok(python)
}

fn report(build: Duration, autogen: &Stats, django: &Stats) -> String {
    let row = |tool: &str, s: &Stats| {
        format!(
            "| {tool} | {:.0} ms | {:.0}–{:.0} ms |\n",
            ms(s.median),
            ms(s.min),
            ms(s.max)
        )
    };
    format!(
        "## Offline check: {TABLES} revisions, {TABLES} tables\n\n\
         The pre-commit check that needs no database, on generated projects of {TABLES} tables each made by a\n\
         revision (migration) of its own: a bigint key, an indexed varchar, a nullable text, an integer with a\n\
         default and a foreign key to the table before (ON DELETE CASCADE). Whole processes, {RUNS} runs each after\n\
         an untimed one, alternating; both must find no changes.\n\n\
         | tool | median | spread |\n|---|---:|---:|\n{}{}\n\
         Django's time over autogen's: **{:.1}×**. Building the migration crate in release first (what a user\n\
         waits for once after an edit, not part of the check): {:.0} s.\n",
        row("`autogen check --offline` (the migration crate's binary)", autogen),
        row("Django `makemigrations --check --dry-run`", django),
        ms(django.median) / ms(autogen.median),
        build.as_secs_f64()
    )
}
