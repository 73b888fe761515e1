//! Request routing with Spin's rules (`crates/routes/src/lib.rs` in Spin).
//!
//! Spin hands its routes to the `routefinder` crate after turning a trailing
//! `/...` into routefinder's `/*`; this module does the same so that the
//! precedence (exact segment > `:param` > wildcard, compared segment by
//! segment, hence "exact beats wildcard" and "longest prefix wins") is the
//! crate's and not a re-derivation. What Spin adds on top — duplicates (the
//! later trigger wins), private routes, the trailing-slash handling of
//! `spin-path-info` — is reproduced here.

use std::fmt;

use anyhow::{Result, anyhow};

use crate::manifest::{HttpTrigger, Route};

/// Paths Spin answers itself and never routes to components.
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

#[derive(Debug, Clone)]
struct Handler {
    component: String,
    /// The route as written in the manifest (Spin's "raw route").
    raw_route: String,
    /// The route joined to the (always `/`) base, trailing slash removed.
    based_route: String,
    /// For printing: the route without `/...`, and whether it had it.
    display_path: String,
    wildcard: bool,
}

/// A route that a trigger lost to a later trigger with the same route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRoute {
    pub route: String,
    pub replaced_component: String,
    pub effective_component: String,
}

#[derive(Debug)]
pub struct Router {
    inner: routefinder::Router<Handler>,
    duplicates: Vec<DuplicateRoute>,
}

/// The outcome of routing one request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    /// `spin-matched-route`: the based route as written (`/things/:id/...`).
    pub based_route: String,
    /// `spin-raw-component-route`: the route as written in the manifest.
    pub raw_route: String,
    /// `spin-component-route`: the raw route without a trailing `/...`.
    pub raw_route_or_prefix: String,
    /// `spin-path-info`: what the trailing wildcard matched.
    pub path_info: String,
    /// One `(name, value)` per `:name` segment, in route order.
    pub params: Vec<(String, String)>,
}

impl Router {
    /// Builds the router from the manifest's HTTP triggers, in manifest order.
    pub fn build(triggers: &[HttpTrigger]) -> Result<Self> {
        // Keyed by the raw route so that a later trigger with the same route
        // replaces an earlier one while keeping the earlier one's position,
        // which is what Spin's IndexMap-based de-duplication does.
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut duplicates = Vec::new();
        for trigger in triggers {
            let Route::Pattern(raw) = &trigger.route else {
                continue;
            };
            if let Some(slot) = entries.iter_mut().find(|(r, _)| r == raw) {
                duplicates.push(DuplicateRoute {
                    route: with_base(raw),
                    replaced_component: slot.1.clone(),
                    effective_component: trigger.component.clone(),
                });
                slot.1 = trigger.component.clone();
            } else {
                entries.push((raw.clone(), trigger.component.clone()));
            }
        }

        let mut inner = routefinder::Router::new();
        for (raw_route, component) in entries {
            let based_route = with_base(&raw_route);
            let (spec, display_path, wildcard) =
                if let Some(prefix) = based_route.strip_suffix("/...") {
                    (format!("{prefix}/*"), prefix.to_string(), true)
                } else if let Some(prefix) = based_route.strip_suffix("/*") {
                    (based_route.clone(), prefix.to_string(), true)
                } else {
                    (based_route.clone(), based_route.clone(), false)
                };
            let handler = Handler {
                component: component.clone(),
                raw_route,
                based_route: based_route.clone(),
                display_path,
                wildcard,
            };
            inner.add(spec, handler).map_err(|e| {
                anyhow!(
                    "Error parsing route {based_route} associated with component {component}: {e}"
                )
            })?;
        }
        Ok(Self { inner, duplicates })
    }

    /// Routes that can never be reached because a later trigger reused them.
    pub fn duplicates(&self) -> &[DuplicateRoute] {
        &self.duplicates
    }

    /// Whether any route lies under `/.well-known/spin/`, which Spin serves itself.
    pub fn contains_reserved_route(&self) -> bool {
        self.inner
            .iter()
            .any(|(_, h)| h.based_route.starts_with(WELL_KNOWN_PREFIX))
    }

    /// `(component, display route)` in the order `spin up` prints them.
    pub fn routes(&self) -> Vec<(String, RouteDisplay)> {
        self.inner
            .iter()
            .map(|(_, h)| {
                (
                    h.component.clone(),
                    RouteDisplay {
                        path: h.display_path.clone(),
                        wildcard: h.wildcard,
                    },
                )
            })
            .collect()
    }

    /// Picks the component for a request path (no query string).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let best = self.inner.best_match(path)?;
        let handler = best.handler();
        let captures = best.captures();
        let path_info = match captures.wildcard() {
            None => String::new(),
            // routefinder drops the slashes around the wildcard part; Spin
            // has always reported them, so put them back the same way.
            Some(w) => match (w.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_string(),
                (false, false) => format!("/{w}"),
                (false, true) => format!("/{w}/"),
            },
        };
        let params = captures
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let raw_route_or_prefix = handler
            .raw_route
            .strip_suffix("/...")
            .unwrap_or(&handler.raw_route)
            .to_string();
        Some(RouteMatch {
            component: handler.component.clone(),
            based_route: handler.based_route.clone(),
            raw_route: handler.raw_route.clone(),
            raw_route_or_prefix,
            path_info,
            params,
        })
    }
}

/// How `spin up` prints a route: the path, plus ` (wildcard)` for `/...`.
#[derive(Debug, Clone)]
pub struct RouteDisplay {
    pub path: String,
    pub wildcard: bool,
}

impl fmt::Display for RouteDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        if self.wildcard {
            write!(f, "{path} (wildcard)")
        } else {
            f.write_str(path)
        }
    }
}

/// Spin joins every route to the base `/` (its server ignores the deprecated
/// manifest base): make it absolute, then strip one trailing slash from each
/// of base and route before concatenating.
fn with_base(route: &str) -> String {
    let route = if route.starts_with('/') {
        route.to_string()
    } else {
        format!("/{route}")
    };
    let route = route.strip_suffix('/').unwrap_or(&route);
    route.to_string()
}

/// Spin's `spin-path-match-<name>` header names come from the parameter name
/// upper-cased, `_` turned into `-`, then lower-cased again.
pub fn path_match_header(name: &str) -> String {
    format!("spin-path-match-{name}")
        .replace('_', "-")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let triggers: Vec<HttpTrigger> = routes
            .iter()
            .map(|(c, r)| HttpTrigger {
                component: c.to_string(),
                route: Route::Pattern(r.to_string()),
            })
            .collect();
        Router::build(&triggers).expect("routes build")
    }

    fn component(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.component)
    }

    #[test]
    fn exact_routes() {
        let r = router(&[("foo", "/foo"), ("foobar", "/foo/bar")]);
        assert_eq!(component(&r, "/foo").as_deref(), Some("foo"));
        assert_eq!(component(&r, "/foo/bar").as_deref(), Some("foobar"));
        assert_eq!(component(&r, "/foo/baz"), None);
        assert_eq!(component(&r, "/"), None);
    }

    #[test]
    fn exact_beats_wildcard_in_either_order() {
        for routes in [
            [("exact", "/one"), ("wild", "/...")],
            [("wild", "/..."), ("exact", "/one")],
        ] {
            let r = router(&routes);
            assert_eq!(component(&r, "/one").as_deref(), Some("exact"));
            assert_eq!(component(&r, "/two").as_deref(), Some("wild"));
            assert_eq!(component(&r, "/").as_deref(), Some("wild"));
        }
    }

    #[test]
    fn longest_wildcard_prefix_wins_regardless_of_order() {
        let a = [
            ("one", "/one/..."),
            ("two", "/one/two/..."),
            ("three", "/one/two/three/..."),
        ];
        let mut b = a;
        b.reverse();
        for routes in [a, b] {
            let r = router(&routes);
            assert_eq!(
                component(&r, "/one/two/three/four").as_deref(),
                Some("three")
            );
            assert_eq!(component(&r, "/one/two/x").as_deref(), Some("two"));
            assert_eq!(component(&r, "/one/x").as_deref(), Some("one"));
            assert_eq!(component(&r, "/one").as_deref(), Some("one"));
            assert_eq!(component(&r, "/onex"), None);
        }
    }

    #[test]
    fn param_segments_match_one_segment() {
        let r = router(&[("item", "/items/:id"), ("exact", "/items/new")]);
        let m = r.route("/items/42").expect("match");
        assert_eq!(m.component, "item");
        assert_eq!(m.params, vec![("id".to_string(), "42".to_string())]);
        assert_eq!(m.path_info, "");
        assert_eq!(component(&r, "/items/new").as_deref(), Some("exact"));
        assert_eq!(component(&r, "/items/42/more"), None);
        assert_eq!(component(&r, "/items"), None);
    }

    #[test]
    fn spin_md_observed_values() {
        // SPIN.md: route /things/:id/..., request /things/42/rest/of/it
        let r = router(&[("probe", "/things/:id/...")]);
        let m = r.route("/things/42/rest/of/it").expect("match");
        assert_eq!(m.path_info, "/rest/of/it");
        assert_eq!(m.params, vec![("id".to_string(), "42".to_string())]);
        assert_eq!(m.based_route, "/things/:id/...");
        assert_eq!(m.raw_route, "/things/:id/...");
        assert_eq!(m.raw_route_or_prefix, "/things/:id");
    }

    #[test]
    fn trailing_slashes_in_path_info() {
        let r = router(&[("c", "/test/...")]);
        let info = |p: &str| r.route(p).expect("match").path_info;
        assert_eq!(info("/test"), "");
        assert_eq!(info("/test/"), "/");
        assert_eq!(info("/test/hello"), "/hello");
        assert_eq!(info("/test/hello/"), "/hello/");
        let r = router(&[("c", "/...")]);
        assert_eq!(r.route("/1/2/3").expect("match").path_info, "/1/2/3");
    }

    #[test]
    fn duplicates_last_one_wins() {
        let r = router(&[("first", "/foo"), ("second", "/foo"), ("w", "/whee/...")]);
        assert_eq!(component(&r, "/foo").as_deref(), Some("second"));
        assert_eq!(
            r.duplicates(),
            &[DuplicateRoute {
                route: "/foo".into(),
                replaced_component: "first".into(),
                effective_component: "second".into(),
            }]
        );
    }

    #[test]
    fn private_routes_are_not_routed() {
        let triggers = vec![
            HttpTrigger {
                component: "p".into(),
                route: Route::Private,
            },
            HttpTrigger {
                component: "a".into(),
                route: Route::Pattern("/a".into()),
            },
        ];
        let r = Router::build(&triggers).expect("build");
        assert_eq!(r.routes().len(), 1);
        assert_eq!(component(&r, "/a").as_deref(), Some("a"));
    }

    #[test]
    fn relative_and_trailing_slash_routes_are_normalised() {
        let r = router(&[("a", "a/"), ("root", "/")]);
        assert_eq!(component(&r, "/a").as_deref(), Some("a"));
        assert_eq!(component(&r, "/").as_deref(), Some("root"));
        let m = r.route("/a").expect("match");
        assert_eq!(m.raw_route, "a/");
        assert_eq!(m.based_route, "/a");
    }

    #[test]
    fn display_matches_spin_up() {
        let r = router(&[("w", "/whee/..."), ("all", "/..."), ("x", "/x")]);
        let shown: Vec<String> = r
            .routes()
            .into_iter()
            .map(|(c, d)| format!("{c}: {d}"))
            .collect();
        assert!(
            shown.contains(&"w: /whee (wildcard)".to_string()),
            "{shown:?}"
        );
        assert!(
            shown.contains(&"all: / (wildcard)".to_string()),
            "{shown:?}"
        );
        assert!(shown.contains(&"x: /x".to_string()), "{shown:?}");
    }

    #[test]
    fn reserved_prefix_detected() {
        assert!(router(&[("c", "/.well-known/spin/...")]).contains_reserved_route());
        assert!(!router(&[("c", "/.well-known/spin")]).contains_reserved_route());
    }

    #[test]
    fn path_match_header_names() {
        assert_eq!(path_match_header("id"), "spin-path-match-id");
        assert_eq!(path_match_header("user_id"), "spin-path-match-user-id");
        assert_eq!(path_match_header("userId"), "spin-path-match-userid");
    }
}
