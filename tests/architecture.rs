//! The layering rules of `docs/architecture.md`, checked on the source tree
//! so they hold as the code grows:
//! - no module but the router imports a `routes` module (handlers are entry
//!   points, never a library);
//! - no import cycle between capability folders;
//! - the shared modules below them (domain, entities, error, …) import no
//!   capability folder;
//! - only handler files (`*routes.rs`, `extract.rs`) speak HTTP or use the
//!   app state: services, queries and rules do not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One folder per capability.
const CAPABILITIES: &[&str] = &[
    "accounts",
    "auth",
    "calendar",
    "delivery",
    "housekeeping",
    "media",
    "notifications",
    "open311",
    "org",
    "reports",
    "stats",
    "seed",
    "stream",
];

/// What every capability may use; none of these may use a capability.
const SHARED: &[&str] = &[
    "clock",
    "context",
    "db",
    "domain",
    "entities",
    "error",
    "i18n",
    "messages",
    "pagination",
    "validate",
];

/// The one place that wires handlers into the app.
const ROUTER: &str = "src/http/mod.rs";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

struct Source {
    /// `src/reports/service.rs`
    path: String,
    /// `reports`
    top: String,
    /// The code, without `//` comments (doc comments name modules too).
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            let top = rel
                .trim_start_matches("src/")
                .split('/')
                .next()
                .unwrap_or("")
                .trim_end_matches(".rs")
                .to_owned();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let code = text
                .lines()
                .map(|l| match l.find("//") {
                    Some(i) => &l[..i],
                    None => l,
                })
                .collect::<Vec<_>>()
                .join("\n");
            Source {
                path: rel,
                top,
                code,
            }
        })
        .collect()
}

/// The top-level modules a file names as `crate::<module>`, grouped imports
/// (`crate::{a, b::c}`) included.
fn crate_refs(code: &str) -> BTreeSet<String> {
    fn ident(s: &str) -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    }
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split at commas outside braces.
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.insert(ident(&group[start..j]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&group[start..j]));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

/// Handler files: they may speak HTTP and use the app state.
fn is_handler(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    file.ends_with("routes.rs") || file == "extract.rs"
}

/// `routes::` or `<x>_routes::` used as a path, not the `routes!` macro.
fn names_a_routes_module(code: &str) -> Option<String> {
    for line in code.lines() {
        let mut rest = line;
        while let Some(i) = rest.find("routes::") {
            let before = &rest[..i];
            let ident_start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |j| j + 1);
            let word = &before[ident_start..];
            let prefix = &before[..ident_start];
            // `utoipa_axum::routes` is the macro's crate path, not ours.
            if !prefix.ends_with("utoipa_axum::") && (word.is_empty() || word.ends_with('_')) {
                return Some(line.trim().to_owned());
            }
            rest = &rest[i + "routes::".len()..];
        }
    }
    None
}

#[test]
fn only_the_router_imports_routes_modules() {
    let offenders: Vec<String> = sources()
        .iter()
        .filter(|s| s.path != ROUTER)
        .filter_map(|s| names_a_routes_module(&s.code).map(|l| format!("{}: {l}", s.path)))
        .collect();
    assert!(
        offenders.is_empty(),
        "only {ROUTER} may import a routes module:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn no_import_cycles_between_capabilities() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources() {
        if !CAPABILITIES.contains(&s.top.as_str()) {
            continue;
        }
        for r in crate_refs(&s.code) {
            if r != s.top && CAPABILITIES.contains(&r.as_str()) {
                graph.entry(s.top.clone()).or_default().insert(r);
            }
        }
    }
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut cycle = path[i..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle between capabilities: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn shared_modules_import_no_capability() {
    let offenders: Vec<String> = sources()
        .iter()
        .filter(|s| SHARED.contains(&s.top.as_str()))
        .flat_map(|s| {
            crate_refs(&s.code)
                .into_iter()
                .filter(|r| CAPABILITIES.contains(&r.as_str()) || r == "http" || r == "state")
                .map(|r| format!("{} uses crate::{r}", s.path))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "shared modules must stay below the capabilities:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn only_handlers_speak_http() {
    // Every capability file but the handlers: services, queries, rules, the
    // seed. The composition root (lib.rs, main.rs, state.rs, http/) is not a
    // capability and may use everything.
    let offenders: Vec<String> = sources()
        .iter()
        .filter(|s| CAPABILITIES.contains(&s.top.as_str()) && !is_handler(&s.path))
        .filter(|s| {
            let refs = crate_refs(&s.code);
            refs.contains("http")
                || refs.contains("state")
                || s.code.contains("AppState")
                || s.code.contains("axum::")
                || s.code.contains("auth::extract")
        })
        .map(|s| s.path.clone())
        .collect();
    assert!(
        offenders.is_empty(),
        "only handler files (*routes.rs, extract.rs) may use HTTP or AppState:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(
        names_a_routes_module("use super::routes::MonthlyBody;").as_deref(),
        Some("use super::routes::MonthlyBody;")
    );
    assert!(names_a_routes_module("use crate::reports::staff_routes::X;").is_some());
    assert!(names_a_routes_module("use utoipa_axum::routes;").is_none());
    assert!(names_a_routes_module(".routes(routes!(list))").is_none());
    assert_eq!(
        crate_refs("use crate::reports::x; crate::stats::y()"),
        BTreeSet::from(["reports".to_owned(), "stats".to_owned()])
    );
    assert_eq!(
        crate_refs("use crate::{\n    auth::Role,\n    domain::{Month, Status},\n    state,\n};"),
        BTreeSet::from(["auth".to_owned(), "domain".to_owned(), "state".to_owned()])
    );
    assert!(is_handler("src/reports/staff_routes.rs") && is_handler("src/auth/extract.rs"));
    assert!(!is_handler("src/reports/staff.rs"));
    assert!(sources().len() > 50, "the tree was found");
}
