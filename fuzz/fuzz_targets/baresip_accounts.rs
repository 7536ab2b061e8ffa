//! The files the plugin cwmpd-baresip reads (src/plugins/baresip/accounts.rs, store.rs):
//! baresip's `accounts` file and the plugin's state file never panic; an imported
//! configuration's state file reads back the same configuration.
#![no_main]
use cwmpd::plugins::baresip::{accounts, state, store};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = accounts::parse(text);
    let imported = store::Store::import(&parsed);
    let _ = accounts::file(&imported.accounts());
    let loaded = state::load(text);
    let _ = loaded.accounts();
    let again = state::load(&state::save(&loaded));
    assert_eq!(state::save(&again), state::save(&loaded));
});
