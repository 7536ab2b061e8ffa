//! `cwmpd`: the daemon binary. Thin: arguments, logger, config, then `agent::run`.
fn main() {}
