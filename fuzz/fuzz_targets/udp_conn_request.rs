//! UDP connection requests (`proto::cr::udp`, TR-069 Annex G): never panics; a message that
//! parses and is signed with the right password is accepted once, then is a copy.
#![no_main]
use cwmpd::clock::{Instant, Now};
use cwmpd::proto::cr::conn_request::CrCredentials;
use cwmpd::proto::cr::udp::{parse, signature, UdpCrGuard, Verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = Now { instant: Instant(0), unix: None };
    let mut guard = UdpCrGuard::new(600);
    let Ok(m) = parse(data) else {
        assert!(matches!(guard.check(now, data, &CrCredentials::default()), Verdict::Refused(_)));
        return;
    };
    let sig = signature("pw", &m.ts_text, &m.id_text, &m.un, &m.cn);
    let creds = CrCredentials { username: m.un.clone(), password: "pw".into(), disabled: false };
    let verdict = guard.check(now, data, &creds);
    if m.sig.eq_ignore_ascii_case(&sig) {
        assert_eq!(verdict, Verdict::Accepted);
        assert_eq!(guard.check(now, data, &creds), Verdict::Copy);
    } else {
        assert_eq!(verdict, Verdict::Refused("bad signature"));
    }
});
