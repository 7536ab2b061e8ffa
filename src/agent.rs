//! Placeholder: the agent event loop.
