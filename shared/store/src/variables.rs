//! The configuration port: Spin variables inside a component, a plain map natively.
//! Read per request, like the stores, because a Spin instance lives for one request.

use std::collections::BTreeMap;

/// Where a component reads its configuration (`[component.x.variables]`).
pub trait Variables {
    /// The value of `name`, or `None` when the component has no such variable.
    fn get(&self, name: &str) -> Option<String>;
}

/// Variables from a fixed map: native tests, and components given no configuration.
#[derive(Debug, Clone, Default)]
pub struct MapVariables(pub BTreeMap<String, String>);

impl MapVariables {
    /// A map from `(name, value)` pairs.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        MapVariables(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

impl Variables for MapVariables {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}
