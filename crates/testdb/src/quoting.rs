//! Names that need quoting, and a revision history that takes them through
//! every op, for round-trip tests on each backend.
//!
//! Each identifier is one a backend reads wrongly unquoted or quoted
//! naively: spaces, double and single quotes and backticks inside it,
//! reserved words, letters outside ASCII, mixed case, and on PostgreSQL two
//! names that differ only in case. String values (defaults, comments, enum
//! labels) carry quotes and backslashes.

use autogen_schema::{
    replay, Check, Column, ColumnType, Dialect, ForeignKey, ForeignKeyAction, Index, Op, Schema, StringLen,
    Table, UniqueConstraint,
};

/// A table named with a reserved word.
pub const USER: &str = "user";
/// A table named with a space and a reserved word.
pub const ORDER_LINE: &str = "order line";
/// A table named with a reserved word, dropped by the history.
pub const SELECT: &str = "select";

/// `user`'s key; `order line`'s too, and the foreign key between them.
pub const ORDER: &str = "order";
/// Not ASCII.
pub const PRENOM: &str = "prénom";
/// Not Latin.
pub const DATE_JA: &str = "日付";
/// Mixed case.
const CAMEL_CASE: &str = "CamelCase";
/// Double quotes inside.
pub const SAY_HI: &str = "say \"hi\"";
/// A single quote inside.
const ITS: &str = "it's";
/// What [`ITS`] is renamed to: every quote inside.
const ITS_RENAMED: &str = "it's \"re`named\"";
/// A backtick inside.
const BACKTICK: &str = "back`tick";
/// A reserved word.
pub const GROUP: &str = "group";
/// A space inside.
pub const LINE_NO: &str = "line no";
/// Every quote inside, for a JSON column (which MariaDB keeps as text with
/// a CHECK naming the column).
const JSON_NOTE: &str = "note \"json\" `x` it's";
/// Mixed case, and on PostgreSQL a different name from [`MIXED_CASE_LOWER`].
const MIXED_CASE: &str = "MixedCase";
/// [`MIXED_CASE`] in lower case.
const MIXED_CASE_LOWER: &str = "mixedcase";

/// A PostgreSQL enum type name (an inline ENUM on MySQL, text on SQLite):
/// quotes, a space, a letter outside ASCII, mixed case, and a `%`.
const MOOD: &str = "Mood \"état\" 100%";

/// A PostgreSQL schema other than the connection's, for ops in it.
pub const OTHER_SCHEMA: &str = "Other \"schéma\", it's";

/// A string default with both quotes and a backslash.
const QUOTED_DEFAULT: &str = "l'été \"chaud\" \\ fin";

/// What a history is made of: one revision's message and upgrade. Its
/// downgrade is the upgrade inverted, as autogenerate writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct QuotingRevision {
    /// The revision's message.
    pub message: &'static str,
    /// Its upgrade.
    pub upgrade: Vec<Op>,
}

/// `name` quoted as `dialect` quotes identifiers in a condition.
pub fn quote(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        Dialect::Sqlite | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

fn mood(labels: &[&str]) -> ColumnType {
    ColumnType::enumeration(MOOD, labels.iter().copied())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const MOOD_LABELS: [&str; 4] = ["it's", "say \"hi\"", "back\\slash", "CamelCase"];

/// [`MOOD_LABELS`] with two more, one between them.
const ADDED_LABELS: [&str; 6] = [
    "it's",
    "new 'one'",
    "say \"hi\"",
    "back\\slash",
    "CamelCase",
    "last \"one\"",
];

fn user(dialect: Dialect) -> Table {
    Table::new(USER)
        .column(Column::new(ORDER, ColumnType::Integer).auto_increment())
        .column(
            Column::new(PRENOM, ColumnType::String(StringLen::N(40)))
                .default(QUOTED_DEFAULT)
                .comment("the \"first\" name, l'prénom \\ 1"),
        )
        .column(
            Column::new(CAMEL_CASE, ColumnType::Integer)
                .nullable()
                .comment("CamelCase's"),
        )
        .column(
            Column::new(SAY_HI, ColumnType::String(StringLen::N(20)))
                .nullable()
                .unique(),
        )
        .column(Column::new(ITS, ColumnType::Text).nullable())
        .column(Column::new(BACKTICK, ColumnType::Integer).default(0))
        .column(Column::new(DATE_JA, ColumnType::String(StringLen::N(10))).nullable())
        .column(Column::new(SELECT, mood(&MOOD_LABELS)).default("it's"))
        .column(Column::new(JSON_NOTE, ColumnType::Json).nullable())
        .primary_key([ORDER])
        .check(
            "it's \"not negative\"",
            format!("{} >= 0", quote(dialect, BACKTICK)),
        )
        // Renaming the column rewrites the condition.
        .check("it's \"set\"", format!("{} <> ''", quote(dialect, ITS)))
        .comment("l'utilisateur \"principal\" \\ 日付")
}

fn order_line(dialect: Dialect) -> Table {
    Table::new(ORDER_LINE)
        .column(Column::new(ORDER, ColumnType::Integer))
        .column(Column::new(LINE_NO, ColumnType::Integer))
        .column(Column::new(GROUP, ColumnType::String(StringLen::N(20))).default("it's \"grouped\""))
        .column(Column::new(MIXED_CASE, ColumnType::Integer).nullable())
        .primary_key([ORDER, LINE_NO])
        .foreign_key(
            ForeignKey::new([ORDER], USER, [ORDER])
                .name("fk \"order\" line's")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .unique_unnamed([GROUP, MIXED_CASE])
        .check("line `no` > 0", format!("{} > 0", quote(dialect, LINE_NO)))
        .index(Index::new("ix \"order line\" it's", ORDER_LINE, [LINE_NO, GROUP]).unique())
}

/// The history for `dialect`: the revisions every backend runs (on SQLite,
/// each change it cannot make in place becomes a rebuild of its table),
/// then the ones only this backend can: PostgreSQL's enum types, names that
/// differ only in case and another schema; SQLite's rebuild written by hand.
pub fn history(dialect: Dialect) -> Vec<QuotingRevision> {
    let q = |name: &str| quote(dialect, name);
    let user = user(dialect);
    let order_line = order_line(dialect);
    let column = |table: &Table, name: &str| table.get_column(name).expect("a column of the table").clone();
    let prenom = column(&user, PRENOM);
    let backtick = column(&user, BACKTICK);
    let date_ja = column(&user, DATE_JA);
    let mut revisions = vec![
        QuotingRevision {
            message: "create tables",
            upgrade: vec![
                Op::CreateEnum {
                    name: MOOD.into(),
                    variants: strings(&MOOD_LABELS),
                },
                Op::CreateTable(user.clone()),
                Op::CreateTable(order_line.clone()),
                // Keywords inside a string are not the table's.
                Op::CreateTable(
                    Table::new(SELECT)
                        .column(Column::new(CAMEL_CASE, ColumnType::String(StringLen::N(10))))
                        .column(
                            Column::new(ITS, ColumnType::String(StringLen::N(40)))
                                .default("AUTOINCREMENT, WITHOUT ROWID"),
                        )
                        .primary_key([CAMEL_CASE]),
                ),
            ],
        },
        QuotingRevision {
            message: "add, rename and drop columns",
            upgrade: vec![
                Op::AddColumn {
                    table: USER.into(),
                    column: Column::new(GROUP, ColumnType::String(StringLen::N(20)))
                        .nullable()
                        .default("it's")
                        .comment("the \"group\" it's in"),
                },
                Op::RenameColumn {
                    table: USER.into(),
                    from: ITS.into(),
                    to: ITS_RENAMED.into(),
                },
                Op::DropColumn {
                    table: USER.into(),
                    column: CAMEL_CASE.into(),
                },
            ],
        },
        QuotingRevision {
            message: "alter columns",
            upgrade: vec![
                Op::AlterColumn {
                    table: USER.into(),
                    from: prenom.clone(),
                    to: Column {
                        column_type: ColumnType::String(StringLen::N(80)),
                        nullable: true,
                        default: Some("l'autre \"valeur\" \\ 2".into()),
                        comment: Some("changed: it's \"2\" \\".into()),
                        ..prenom
                    },
                },
                Op::AlterColumn {
                    table: USER.into(),
                    from: backtick.clone(),
                    to: Column {
                        column_type: ColumnType::BigInteger,
                        default: Some(1.into()),
                        ..backtick
                    },
                },
                Op::AlterColumn {
                    table: USER.into(),
                    from: date_ja.clone(),
                    to: date_ja.unique(),
                },
            ],
        },
        QuotingRevision {
            message: "create and drop indexes",
            upgrade: vec![
                Op::CreateIndex(Index::new("ix \"user\" prénom's", USER, [PRENOM, DATE_JA]).unique()),
                Op::CreateIndex(Index::new("MixedCase `index`", USER, [GROUP])),
                Op::DropIndex {
                    table: ORDER_LINE.into(),
                    name: "ix \"order line\" it's".into(),
                },
            ],
        },
        QuotingRevision {
            message: "add and drop constraints",
            upgrade: vec![
                Op::DropConstraint {
                    table: ORDER_LINE.into(),
                    constraint: order_line.foreign_keys[0].clone().into(),
                },
                Op::DropConstraint {
                    table: ORDER_LINE.into(),
                    constraint: order_line.checks[0].clone().into(),
                },
                Op::DropConstraint {
                    table: ORDER_LINE.into(),
                    constraint: order_line.unique_constraints[0].clone().into(),
                },
                Op::AddConstraint {
                    table: ORDER_LINE.into(),
                    constraint: ForeignKey::new([ORDER], USER, [ORDER])
                        .on_delete(ForeignKeyAction::Restrict)
                        .into(),
                },
                Op::AddConstraint {
                    table: ORDER_LINE.into(),
                    constraint: Check::new(format!("{} <> ''", q(GROUP))).into(),
                },
                Op::AddConstraint {
                    table: USER.into(),
                    constraint: UniqueConstraint::new([SAY_HI, DATE_JA])
                        .name("uq 'say' \"日付\"")
                        .into(),
                },
            ],
        },
        QuotingRevision {
            message: "comment tables",
            upgrade: vec![
                Op::AlterTableComment {
                    table: USER.into(),
                    from: user.comment.clone(),
                    to: Some("it's a \"new\" comment \\ 2".into()),
                },
                Op::AlterTableComment {
                    table: ORDER_LINE.into(),
                    from: None,
                    to: Some("lignes de commande 'ok'".into()),
                },
            ],
        },
        QuotingRevision {
            message: "drop a table",
            upgrade: vec![Op::DropTable { name: SELECT.into() }],
        },
    ];
    match dialect {
        Dialect::Postgres => revisions.extend(postgres_only()),
        Dialect::Sqlite => {
            // `order line` as the revisions leave it, with a new NOT NULL column and one less.
            let before = replay(&Schema::new(), revisions.iter().flat_map(|r| &r.upgrade))
                .expect("the common revisions replay");
            let mut rebuilt = before.table(ORDER_LINE).expect("`order line` is kept").clone();
            rebuilt.columns.retain(|c| c.name != MIXED_CASE);
            rebuilt = rebuilt.column(Column::new(ITS_RENAMED, ColumnType::Text).default("x 'y'"));
            revisions.push(QuotingRevision {
                message: "rebuild a table",
                upgrade: vec![Op::RecreateTable {
                    table: rebuilt,
                    copy: vec![ORDER.into(), LINE_NO.into(), GROUP.into()],
                    changes: Vec::new(),
                }],
            });
        }
        // MySQL keeps an enum's labels in its column, so they change with
        // it. Whether table names may differ by case alone depends on the
        // server's `lower_case_table_names`; column and index names never may.
        Dialect::MySql => revisions.push(QuotingRevision {
            message: "change enum labels",
            upgrade: vec![Op::AlterColumn {
                table: USER.into(),
                from: column(&user, SELECT),
                to: Column::new(SELECT, mood(&ADDED_LABELS)).default("it's"),
            }],
        }),
    }
    revisions
}

/// PostgreSQL's enum types (labels added in place, then removed by
/// rebuilding the type, then the type dropped), names that differ only in
/// case, a table in another schema, and an unnamed CHECK dropped by the name
/// PostgreSQL gave it.
fn postgres_only() -> Vec<QuotingRevision> {
    // PostgreSQL names an unnamed CHECK after its table and its one column;
    // dropping it unnamed finds it by that name.
    let unnamed_check = Check::new(format!("{} <> ''", quote(Dialect::Postgres, SAY_HI)));
    let removed = ["say \"hi\"", "it's", "new 'one'", "back\\slash"];
    let select = |labels: &[&str]| Column::new(SELECT, mood(labels)).default("it's");
    vec![
        QuotingRevision {
            message: "add enum labels",
            upgrade: vec![Op::AlterEnum {
                name: MOOD.into(),
                from: strings(&MOOD_LABELS),
                to: strings(&ADDED_LABELS),
            }],
        },
        QuotingRevision {
            message: "remove and reorder enum labels",
            upgrade: vec![Op::AlterEnum {
                name: MOOD.into(),
                from: strings(&ADDED_LABELS),
                to: strings(&removed),
            }],
        },
        QuotingRevision {
            message: "drop the enum type",
            upgrade: vec![
                Op::AlterColumn {
                    table: USER.into(),
                    from: select(&removed),
                    to: Column::new(SELECT, ColumnType::String(StringLen::N(20))).default("it's"),
                },
                Op::DropEnum { name: MOOD.into() },
            ],
        },
        QuotingRevision {
            message: "names that differ only in case",
            upgrade: vec![
                Op::CreateTable(
                    Table::new(MIXED_CASE)
                        .column(Column::new(MIXED_CASE, ColumnType::Integer))
                        .column(Column::new(MIXED_CASE_LOWER, ColumnType::Integer).nullable())
                        .column(Column::new(SAY_HI, ColumnType::Text).nullable())
                        .primary_key_named("MixedCase pk", [MIXED_CASE])
                        .check_unnamed(unnamed_check.expression.clone()),
                ),
                Op::CreateTable(
                    Table::new(MIXED_CASE_LOWER)
                        .column(Column::new(MIXED_CASE_LOWER, ColumnType::Integer))
                        .primary_key([MIXED_CASE_LOWER]),
                ),
                Op::AddColumn {
                    table: USER.into(),
                    column: Column::new(MIXED_CASE, ColumnType::Integer).nullable(),
                },
                Op::AddColumn {
                    table: USER.into(),
                    column: Column::new(MIXED_CASE_LOWER, ColumnType::Integer).nullable(),
                },
                Op::CreateIndex(Index::new("ix MixedCase", USER, [MIXED_CASE])),
                Op::CreateIndex(Index::new("ix mixedcase", USER, [MIXED_CASE_LOWER])),
                Op::AddConstraint {
                    table: MIXED_CASE.into(),
                    constraint: Check::new(format!(
                        "{} <> {}",
                        quote(Dialect::Postgres, MIXED_CASE),
                        quote(Dialect::Postgres, MIXED_CASE_LOWER)
                    ))
                    .name("MixedCase check")
                    .into(),
                },
            ],
        },
        QuotingRevision {
            message: "a table in another schema",
            // Its own enum type and `order line`, beside the default schema's;
            // the key finds `user` further down the search path.
            upgrade: vec![Op::InSchema {
                schema: OTHER_SCHEMA.into(),
                ops: vec![
                    Op::CreateEnum {
                        name: MOOD.into(),
                        variants: strings(&MOOD_LABELS),
                    },
                    Op::CreateTable(
                        Table::new(ORDER_LINE)
                            .column(Column::new(ORDER, ColumnType::Integer))
                            .column(Column::new(SELECT, mood(&MOOD_LABELS)).default("say \"hi\""))
                            .primary_key([ORDER])
                            .foreign_key(ForeignKey::new([ORDER], USER, [ORDER]).name("fk it's \"user\""))
                            .index(Index::new("ix \"order line\" it's", ORDER_LINE, [SELECT])),
                    ),
                ],
            }],
        },
        QuotingRevision {
            message: "drop the check PostgreSQL named",
            upgrade: vec![Op::DropConstraint {
                table: MIXED_CASE.into(),
                constraint: unnamed_check.into(),
            }],
        },
    ]
}
