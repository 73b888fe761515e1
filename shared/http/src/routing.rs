//! A component's route table, matched with `routefinder`: the engine inside
//! spin-sdk's `Router`, used directly because that `Router` answers 404 and 405 as
//! plain text without an `allow` header, and API.md requires problem+json for both.

use crate::{ApiResult, Ctx};
use crm_domain::security::Action;
use http::Method;

/// A request handler: HTTP in the context, a response or an [`crate::ApiError`] out.
pub type Handler = fn(&Ctx<'_>) -> ApiResult;

/// Who may call a route. A route that declares nothing is [`Access::Undeclared`] and
/// refused to everyone (403 `permission_not_declared`): forgetting fails closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Nobody: the route forgot to declare its action.
    Undeclared,
    /// Anyone, without a token (health only).
    Anonymous,
    /// A caller whose roles the permission table allows to perform this action.
    Action(Action),
}

/// Where a route finds the customer whose data it touches: checked against `sub` for
/// a `customer` token before the handler runs, and written to the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// No one customer's data (catalogues, rules, lists, aggregates).
    None,
    /// The path parameter of this name.
    Path(&'static str),
    /// The query parameter of this name.
    Query(&'static str),
    /// The top-level member of the JSON body of this name.
    Body(&'static str),
    /// Known only once the handler loaded the resource: the handler calls
    /// [`Ctx::reach`], and a `customer` caller is refused if it did not.
    Resource,
}

/// One endpoint: method, path pattern (`/v1/customers/:id`), handler, and who may call it.
#[derive(Clone)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path pattern: literal segments, `:name` segments, optional trailing `*`.
    pub pattern: &'static str,
    /// The handler.
    pub handler: Handler,
    /// Who may call it.
    pub access: Access,
    /// Whose data it touches.
    pub subject: Subject,
}

macro_rules! route_constructor {
    ($name:ident, $method:ident) => {
        #[doc = concat!("A `", stringify!($method), "` route; declare its action with [`Route::requires`].")]
        pub const fn $name(pattern: &'static str, handler: Handler) -> Route {
            Route {
                method: Method::$method,
                pattern,
                handler,
                access: Access::Undeclared,
                subject: Subject::None,
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

    /// This route performs `action`; the permission table decides who may.
    pub const fn requires(mut self, action: Action) -> Route {
        self.access = Access::Action(action);
        self
    }

    /// This route needs no token (health checks only).
    pub const fn anonymous(mut self) -> Route {
        self.access = Access::Anonymous;
        self
    }

    /// The customer is the path parameter `name`.
    pub const fn customer_in_path(mut self, name: &'static str) -> Route {
        self.subject = Subject::Path(name);
        self
    }

    /// The customer is the query parameter `name`.
    pub const fn customer_in_query(mut self, name: &'static str) -> Route {
        self.subject = Subject::Query(name);
        self
    }

    /// The customer is the body member `name`.
    pub const fn customer_in_body(mut self, name: &'static str) -> Route {
        self.subject = Subject::Body(name);
        self
    }

    /// The customer is known once the handler loaded the resource ([`Ctx::reach`]).
    pub const fn customer_of_resource(mut self) -> Route {
        self.subject = Subject::Resource;
        self
    }
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
///
/// The path is matched first, across all methods, and the method second: a literal
/// segment is the better match even for a method it does not serve, so
/// `DELETE /v1/customers/health` is a 405 on the health route, not an erase of a
/// customer called `health`.
pub(crate) fn find<'a>(routes: &'a [Route], method: &Method, path: &str) -> Match<'a> {
    let mut patterns: Vec<&'static str> = Vec::new();
    let mut router = routefinder::Router::<usize>::new();
    for route in routes {
        if patterns.contains(&route.pattern) {
            continue;
        }
        // A pattern that routefinder rejects is a programming error caught by the
        // table tests; skipping it keeps the request path panic-free.
        if router.add(route.pattern, patterns.len()).is_ok() {
            patterns.push(route.pattern);
        }
    }
    let Some(found) = router.best_match(path) else {
        return Match::NotFound;
    };
    let pattern = patterns[*found.handler()];
    let wanted = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    if let Some(route) = routes
        .iter()
        .find(|r| r.pattern == pattern && r.method == wanted)
    {
        let params = found
            .captures()
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        return Match::Found(route, params);
    }
    let mut allow: Vec<Method> = Vec::new();
    for route in routes.iter().filter(|r| r.pattern == pattern) {
        if !allow.contains(&route.method) {
            allow.push(route.method.clone());
        }
    }
    if allow.contains(&Method::GET) {
        allow.push(Method::HEAD);
    }
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
    fn a_literal_path_with_another_method_is_405_not_a_parameter_match() {
        const WITH_DELETE: &[Route] = &[
            Route::get("/v1/customers/health", ok),
            Route::get("/v1/customers/:id", ok),
            Route::delete("/v1/customers/:id", ok),
        ];
        match find(WITH_DELETE, &Method::DELETE, "/v1/customers/health") {
            Match::MethodNotAllowed(allow) => assert_eq!(allow, vec![Method::GET, Method::HEAD]),
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
