//! Placeholder: the project's scriptable test ACS.
