//! A served value's text as the engine carries it from a backend to an answer
//! (TR-069 Amd 6 A.3.2.2 GetParameterValues): owned, or lent by a backend that keeps it
//! (`hal::Value::Shared`, the replay tree), so a full-tree answer copies each value once,
//! into the response listing, instead of twice.

use std::sync::Arc;

/// A value's text, owned or shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Owned(String),
    Shared(Arc<str>),
}

impl Text {
    /// The text as an owned string (a copy only when shared).
    pub fn into_string(self) -> String {
        match self {
            Text::Owned(s) => s,
            Text::Shared(s) => s.to_string(),
        }
    }
}

impl core::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Owned(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::Owned(s)
    }
}
