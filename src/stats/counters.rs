//! The rollup counters, named once. Each name is a field of [`Counters`], a
//! column of `report_stats_monthly` and the alias its sum is read back as;
//! the struct, the arithmetic, the column list and the conversions all come
//! from the one list in the `counters!` call below.

use crate::entities::report_stats_monthly;

macro_rules! counters {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {
        /// The counters of one rollup key. Signed so a difference is a
        /// counter too.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct Counters {
            $($(#[$meta])* pub $name: i64,)+
        }

        /// How many counters there are.
        pub const COUNT: usize = [$(stringify!($name)),+].len();

        impl Counters {
            /// The counter names, which are the rollup's column names, in
            /// the order of [`Counters::values`].
            pub const NAMES: [&'static str; COUNT] = [$(stringify!($name)),+];

            /// The values, in the order of [`Counters::NAMES`].
            pub fn values(&self) -> [i64; COUNT] {
                [$(self.$name),+]
            }

            /// Builds counters by asking `get` for each one by name (a
            /// query row, a map, …).
            pub fn try_from_fn<E>(
                mut get: impl FnMut(&'static str) -> Result<i64, E>,
            ) -> Result<Counters, E> {
                Ok(Counters {
                    $($name: get(stringify!($name))?,)+
                })
            }

            /// `self += sign * o`.
            pub fn add(&mut self, o: &Counters, sign: i64) {
                $(self.$name += sign * o.$name;)+
            }

            /// The counters stored in a rollup row.
            pub fn of_row(r: &report_stats_monthly::Model) -> Counters {
                Counters {
                    $($name: r.$name,)+
                }
            }
        }
    };
}

counters! {
    /// Filed in the month (by received month), duplicates excluded.
    received,
    /// Of the month's received, handled as of now.
    handled,
    /// Of those, handled by their deadline (or never assigned).
    handled_on_time,
    rejected,
    /// Filed in the month and marked duplicate.
    duplicates,
    rating_sum,
    rating_count,
    /// By the month it was handled, whenever filed.
    handled_in_month,
    /// By the month of the deadline.
    due_count,
    /// By the later of the deadline's and the handling's month.
    due_handled,
}

impl Counters {
    pub fn is_zero(&self) -> bool {
        *self == Counters::default()
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{IdenStatic, Iterable};

    use super::*;

    #[test]
    fn names_are_the_rollup_columns_after_its_key() {
        let columns: Vec<String> = report_stats_monthly::Column::iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(
            columns[..4],
            ["month", "unit_id", "category_id", "area_code"]
        );
        assert_eq!(columns[4..], Counters::NAMES);
    }

    #[test]
    fn values_names_and_arithmetic_agree() {
        let mut i = 0;
        let c = Counters::try_from_fn(|_| {
            i += 1;
            Ok::<_, ()>(i)
        })
        .unwrap_or_default();
        assert_eq!(c.values(), std::array::from_fn(|k| k as i64 + 1));
        assert_eq!(c.received, 1);
        assert_eq!(c.due_handled, COUNT as i64);
        let by_name = Counters::try_from_fn(|n| {
            Counters::NAMES
                .iter()
                .position(|x| *x == n)
                .map(|k| c.values()[k])
                .ok_or(())
        });
        assert_eq!(by_name, Ok(c));

        let mut d = c;
        d.add(&c, -1);
        assert!(d.is_zero());
        d.add(&c, 2);
        assert_eq!(d.values(), c.values().map(|v| 2 * v));
    }
}
