//! A component's route table, matched with `routefinder`: the engine inside
//! spin-sdk's `Router`, used directly because that `Router` answers 404 and 405 as
//! plain text without an `allow` header, and API.md requires problem+json for both.

use crate::{ApiResult, Ctx};
use http::Method;
use std::collections::HashMap;

/// A request handler: HTTP in the context, a response or an [`crate::ApiError`] out.
pub type Handler = fn(&Ctx<'_>) -> ApiResult;

/// One endpoint: method, path pattern (`/v1/customers/:id`) and handler.
#[derive(Clone)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path pattern: literal segments, `:name` segments, optional trailing `*`.
    pub pattern: &'static str,
    /// The handler.
    pub handler: Handler,
}

macro_rules! route_constructor {
    ($name:ident, $method:ident) => {
        #[doc = concat!("A `", stringify!($method), "` route.")]
        pub const fn $name(pattern: &'static str, handler: Handler) -> Route {
            Route {
                method: Method::$method,
                pattern,
                handler,
            }
        }
    };
}

impl Route {
    route_constructor!(get, GET);
    route_constructor!(post, POST);
    route_constructor!(put, PUT);
    route_constructor!(patch, PATCH);
    route_constructor!(delete, DELETE);
}

/// A component: its name and version for health and logs, and its routes.
pub struct Service {
    /// The component id as in `spin.toml`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
    /// Every endpoint it serves.
    pub routes: &'static [Route],
}

/// The outcome of matching a request against a route table.
pub(crate) enum Match<'a> {
    /// A route matched; its `:name` captures in order.
    Found(&'a Route, Vec<(String, String)>),
    /// The path exists for these other methods.
    MethodNotAllowed(Vec<Method>),
    /// Nothing serves this path.
    NotFound,
}

/// Matches `method path` against `routes`. HEAD is served by the GET route.
pub(crate) fn find<'a>(routes: &'a [Route], method: &Method, path: &str) -> Match<'a> {
    let mut by_method: HashMap<&Method, routefinder::Router<usize>> = HashMap::new();
    for (i, route) in routes.iter().enumerate() {
        // A pattern that routefinder rejects is a programming error caught by the
        // table tests; skipping it keeps the request path panic-free.
        let _ = by_method
            .entry(&route.method)
            .or_default()
            .add(route.pattern, i);
    }
    let wanted = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    if let Some(found) = by_method.get(wanted).and_then(|r| r.best_match(path)) {
        let params = found
            .captures()
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        return Match::Found(&routes[*found.handler()], params);
    }
    let mut allow: Vec<Method> = routes
        .iter()
        .map(|r| r.method.clone())
        .filter(|m| {
            by_method
                .get(m)
                .is_some_and(|r| r.best_match(path).is_some())
        })
        .collect();
    allow.dedup();
    if allow.is_empty() {
        return Match::NotFound;
    }
    if allow.contains(&Method::GET) {
        allow.push(Method::HEAD);
    }
    let mut seen = Vec::new();
    allow.retain(|m| {
        let fresh = !seen.contains(m);
        seen.push(m.clone());
        fresh
    });
    Match::MethodNotAllowed(allow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;

    fn ok(_: &Ctx<'_>) -> ApiResult {
        Err(ApiError::NotFound("unused".into()))
    }

    const ROUTES: &[Route] = &[
        Route::get("/v1/customers", ok),
        Route::post("/v1/customers", ok),
        Route::get("/v1/customers/search", ok),
        Route::get("/v1/customers/:id", ok),
        Route::patch("/v1/customers/:id", ok),
    ];

    fn pattern(m: Match<'_>) -> Option<(&'static str, Vec<(String, String)>)> {
        match m {
            Match::Found(route, params) => Some((route.pattern, params)),
            _ => None,
        }
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        let (p, params) =
            pattern(find(ROUTES, &Method::GET, "/v1/customers/search")).expect("match");
        assert_eq!(p, "/v1/customers/search");
        assert!(params.is_empty());
    }

    #[test]
    fn parameters_are_captured_by_name() {
        let (p, params) =
            pattern(find(ROUTES, &Method::PATCH, "/v1/customers/cus_1")).expect("match");
        assert_eq!(p, "/v1/customers/:id");
        assert_eq!(params, vec![("id".to_owned(), "cus_1".to_owned())]);
    }

    #[test]
    fn head_is_served_by_get() {
        assert!(pattern(find(ROUTES, &Method::HEAD, "/v1/customers")).is_some());
    }

    #[test]
    fn a_known_path_with_another_method_is_405_listing_the_allowed_ones() {
        match find(ROUTES, &Method::DELETE, "/v1/customers/cus_1") {
            Match::MethodNotAllowed(allow) => {
                assert_eq!(allow, vec![Method::GET, Method::PATCH, Method::HEAD])
            }
            _ => panic!("expected 405"),
        }
    }

    #[test]
    fn an_unknown_path_is_404() {
        assert!(matches!(
            find(ROUTES, &Method::GET, "/v1/customers/cus_1/nope"),
            Match::NotFound
        ));
        assert!(matches!(
            find(ROUTES, &Method::GET, "/v1/other"),
            Match::NotFound
        ));
    }
}
