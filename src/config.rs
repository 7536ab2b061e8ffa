//! Placeholder: UCI-format configuration.
