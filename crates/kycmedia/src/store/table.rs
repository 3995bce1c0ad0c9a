//! A table's row type, declared once with `table!`: the struct, its column
//! list, and the binding of its fields in that order. Reading (`FromRow`),
//! writing (`insert`), copying (`migrate-db`) and decoding the JSON arrays of
//! the ranked list (`serde`, which reads a struct from an array in field
//! order) all follow the one declaration, so a column added to the struct
//! is read, written and copied everywhere, and a column added to the
//! database but not the struct fails `every_column_of_each_table_is_a_field`.

use sqlx::{Database, FromRow, QueryBuilder, query_builder::Separated};

/// A table and its columns, in the order of its row type's fields.
pub trait Columns {
    const NAME: &'static str;
    /// The columns, comma-separated, ready for a statement.
    const COLUMNS: &'static str;
}

/// A row type the driver `DB` can read and bind.
pub trait Row<DB: Database>: Columns + for<'r> FromRow<'r, DB::Row> + Send + Unpin {
    /// Binds every field, in column order, as one row of a `VALUES` list.
    fn bind_fields(&self, row: &mut Separated<'_, DB, &'static str>);
}

/// `INSERT INTO <table> (<columns>) VALUES (…), (…)` for `rows`, with
/// `then` appended (a conflict clause, say).
pub fn insert<'r, DB: Database, T: Row<DB> + 'r>(
    rows: impl IntoIterator<Item = &'r T>,
    then: &str,
) -> QueryBuilder<DB> {
    let mut query = QueryBuilder::new(format!("INSERT INTO {} ({}) ", T::NAME, T::COLUMNS));
    query.push_values(rows, |mut row, record| record.bind_fields(&mut row));
    query.push(then);
    query
}

/// Declares a row type: `table! { /// doc  pub struct Name in "table" { pub field: Type, … } }`.
/// Field names are column names; every field type must bind and decode on
/// both drivers.
macro_rules! table {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $table:literal {
            $(#[$m0:meta])* pub $f0:ident: $t0:ty,
            $($(#[$m:meta])* pub $f:ident: $t:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Deserialize)]
        pub struct $name {
            $(#[$m0])* pub $f0: $t0,
            $($(#[$m])* pub $f: $t,)*
        }

        impl $crate::store::table::Columns for $name {
            const NAME: &'static str = $table;
            const COLUMNS: &'static str = concat!(stringify!($f0) $(, ", ", stringify!($f))*);
        }

        impl<DB: sqlx::Database> $crate::store::table::Row<DB> for $name
        where
            Self: for<'r> sqlx::FromRow<'r, DB::Row>,
            $t0: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            $($t: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,)*
        {
            fn bind_fields(&self, row: &mut sqlx::query_builder::Separated<'_, DB, &'static str>) {
                row.push_bind(&self.$f0);
                $(row.push_bind(&self.$f);)*
            }
        }
    };
}
pub(crate) use table;
