//! Placeholder: durable state.
