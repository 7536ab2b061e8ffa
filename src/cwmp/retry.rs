//! Placeholder: filled in by the session-core work.
