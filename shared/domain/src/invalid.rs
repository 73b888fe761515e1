//! The one shape of a validation finding every service's rules report.

/// One invalid field: its JSON path (`address.city`, `tags[1].name`,
/// `products.auto.maxDtiBps`) or query parameter, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// JSON path or query parameter.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Invalid {
    /// An error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
