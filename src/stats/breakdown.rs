//! Which row of a `group_by=unit` breakdown each unit's reports fall in
//! (api.md, Conventions): the caller's scope is broken down into the units
//! one level below its top, each with its subtree rolled up. The top unit
//! keeps a row of its own for the reports routed to it directly, so the rows
//! always add up to the scope; for a ward coordinator (a top with nothing
//! below it) that is the one row of its ward. Reports not yet routed are
//! not a unit: the caller adds their row where they may be seen.
//!
//! Pure: the unit tree comes in as (id, parent) pairs, read once.

use std::collections::HashMap;

use uuid::Uuid;

/// The breakdown of a scope whose top is `top`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Breakdown {
    /// Unit → the row (a unit id) its reports are counted in.
    pub owner: HashMap<Uuid, Uuid>,
    /// The rows shown even when they counted nothing: the units directly
    /// below the top, and the top itself unless it is the city.
    pub always: Vec<Uuid>,
}

/// `units`: every unit as (id, parent). `top`: the scope's top unit.
/// `whole_service`: the scope is everything (an admin, the CLI), so units in
/// another tree than the top's (a second unit without a parent) count in the
/// row of their own tree's top instead of being left out.
pub fn breakdown(units: &[(Uuid, Option<Uuid>)], top: Uuid, whole_service: bool) -> Breakdown {
    let parent: HashMap<Uuid, Option<Uuid>> = units.iter().copied().collect();
    let mut out = Breakdown::default();
    for &(id, _) in units {
        // Walk up from `id`; `below` is the last unit seen before the top.
        let mut below = id;
        let mut at = id;
        let mut row = None;
        // A bound on the walk: the tree has no cycles, but a walk through
        // bad data must end.
        for _ in 0..=units.len() {
            if at == top {
                row = Some(below);
                break;
            }
            match parent.get(&at).copied().flatten() {
                Some(p) => {
                    below = at;
                    at = p;
                }
                None => {
                    // The top of another tree.
                    if whole_service {
                        row = Some(at);
                    }
                    break;
                }
            }
        }
        if let Some(r) = row {
            // The top's own reports: `below` is still `id` only when `id` is
            // the top itself.
            out.owner.insert(id, if id == top { top } else { r });
        }
    }
    let top_is_root = parent.get(&top).copied().flatten().is_none();
    if !top_is_root {
        out.always.push(top);
    }
    let mut children: Vec<Uuid> = units
        .iter()
        .filter(|(_, p)| *p == Some(top))
        .map(|(id, _)| *id)
        .collect();
    children.sort();
    out.always.extend(children);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// 1 city; 2, 3 under it; 4, 5 under 2; 6 under 4; 9 a second tree
    /// with 10 under it.
    fn tree() -> Vec<(Uuid, Option<Uuid>)> {
        vec![
            (u(1), None),
            (u(2), Some(u(1))),
            (u(3), Some(u(1))),
            (u(4), Some(u(2))),
            (u(5), Some(u(2))),
            (u(6), Some(u(4))),
            (u(9), None),
            (u(10), Some(u(9))),
        ]
    }

    fn owners(b: &Breakdown) -> Vec<(u128, u128)> {
        let mut v: Vec<(u128, u128)> = b
            .owner
            .iter()
            .map(|(k, v)| (k.as_u128(), v.as_u128()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_city_breaks_down_into_its_children_and_keeps_its_own_reports() {
        let b = breakdown(&tree(), u(1), false);
        assert_eq!(
            owners(&b),
            [(1, 1), (2, 2), (3, 3), (4, 2), (5, 2), (6, 2)],
            "the other tree is not the city's"
        );
        assert_eq!(
            b.always,
            [u(2), u(3)],
            "the city's own row only if it counted"
        );
    }

    #[test]
    fn the_whole_service_also_counts_other_trees_under_their_tops() {
        let b = breakdown(&tree(), u(1), true);
        assert_eq!(
            owners(&b),
            [
                (1, 1),
                (2, 2),
                (3, 3),
                (4, 2),
                (5, 2),
                (6, 2),
                (9, 9),
                (10, 9)
            ]
        );
    }

    #[test]
    fn a_district_is_its_own_row_and_one_per_unit_below_it() {
        let b = breakdown(&tree(), u(2), false);
        assert_eq!(owners(&b), [(2, 2), (4, 4), (5, 5), (6, 4)]);
        assert_eq!(b.always, [u(2), u(4), u(5)]);
    }

    #[test]
    fn a_ward_with_nothing_below_is_one_row_its_own() {
        let b = breakdown(&tree(), u(5), false);
        assert_eq!(owners(&b), [(5, 5)]);
        assert_eq!(b.always, [u(5)]);
        // Even when asked for the whole service (an admin's `unit=`): the
        // scope is the ward.
        assert_eq!(owners(&breakdown(&tree(), u(6), false)), [(6, 6)]);
    }

    #[test]
    fn every_unit_of_the_scope_has_exactly_one_row_and_nothing_else_has_one() {
        let t = tree();
        for &(top, _) in &t {
            let b = breakdown(&t, top, false);
            for &(id, _) in &t {
                // In the scope: `top` is `id` or one of its ancestors.
                let mut at = Some(id);
                let mut inside = false;
                while let Some(x) = at {
                    if x == top {
                        inside = true;
                        break;
                    }
                    at = t.iter().find(|(i, _)| *i == x).and_then(|(_, p)| *p);
                }
                assert_eq!(b.owner.contains_key(&id), inside, "{id} under {top}");
            }
        }
    }

    #[test]
    fn a_cycle_in_bad_data_ends() {
        let t = vec![(u(1), Some(u(2))), (u(2), Some(u(1))), (u(3), None)];
        let b = breakdown(&t, u(3), true);
        assert_eq!(owners(&b), [(3, 3)]);
    }
}
