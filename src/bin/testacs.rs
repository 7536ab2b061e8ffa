//! `cwmpd-testacs`: the project's scriptable test ACS, runnable by hand.
fn main() {}
