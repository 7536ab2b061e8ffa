//! UDP connection-request checks: signature, user, replay, age, copies, rate, hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::clock::Instant;

const T0: i64 = 1_700_000_000;

fn creds() -> CrCredentials {
    CrCredentials { username: "cr-user".into(), password: "cr-pass".into(), disabled: false }
}

fn message(ts: i64, id: u32, un: &str, cn: &str, password: &str) -> Vec<u8> {
    let sig = signature(password, &ts.to_string(), &id.to_string(), un, cn);
    format!("GET http://198.51.100.7:40001?ts={ts}&id={id}&un={un}&cn={cn}&sig={sig} HTTP/1.1\r\nHost: 198.51.100.7:40001\r\n\r\n")
        .into_bytes()
}

fn at(secs: i64) -> Now {
    Now { instant: Instant(u64::try_from(secs - T0).unwrap() * 1000), unix: Some(secs) }
}

#[test]
fn signature_is_hmac_sha1_over_ts_id_un_cn() {
    // HMAC-SHA1(key "key", "The quick brown fox jumps over the lazy dog") is a known value;
    // the four fields are concatenated without separators.
    let sig = signature("key", "The quick ", "brown fox ", "jumps over ", "the lazy dog");
    assert_eq!(sig, "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
}

#[test]
fn a_signed_message_is_accepted_and_its_copies_are_not_new_requests() {
    let mut g = UdpCrGuard::new(600);
    let m = message(T0, 1, "cr-user", "abc", "cr-pass");
    assert_eq!(g.check(at(T0), &m, &creds()), Verdict::Accepted);
    assert_eq!(g.check(at(T0), &m, &creds()), Verdict::Copy);
    assert_eq!(g.check(at(T0 + 1), &m, &creds()), Verdict::Copy);
    // Upper-case hex and percent-encoding are fine.
    let sig = signature("cr-pass", &T0.to_string(), "2", "cr user", "x/y").to_uppercase();
    let m2 = format!("GET http://h:1?un=cr%20user&ts={T0}&id=2&cn=x%2Fy&sig={sig} HTTP/1.1\r\n\r\n");
    let c = CrCredentials { username: "cr user".into(), ..creds() };
    assert_eq!(g.check(at(T0 + 1), m2.as_bytes(), &c), Verdict::Accepted);
}

#[test]
fn forged_wrong_user_replayed_and_stale_messages_are_refused() {
    let mut g = UdpCrGuard::new(600);
    let now = at(T0);
    assert_eq!(g.check(now, &message(T0, 1, "cr-user", "a", "guess"), &creds()), Verdict::Refused("bad signature"));
    assert_eq!(g.check(now, &message(T0, 1, "other", "a", "cr-pass"), &creds()), Verdict::Refused("unknown username"));
    let mut tampered = message(T0, 1, "cr-user", "a", "cr-pass");
    let i = tampered.windows(4).position(|w| w == b"cn=a").unwrap();
    tampered[i + 3] = b'b';
    assert_eq!(g.check(now, &tampered, &creds()), Verdict::Refused("bad signature"));
    assert_eq!(g.check(now, &message(T0, 5, "cr-user", "a", "cr-pass"), &creds()), Verdict::Accepted);
    // The same ID again with a newer TS: a replay.
    assert_eq!(
        g.check(at(T0 + 5), &message(T0 + 5, 5, "cr-user", "a", "cr-pass"), &creds()),
        Verdict::Refused("replayed id")
    );
    assert_eq!(g.check(at(T0 + 5), &message(T0 + 5, 6, "cr-user", "a", "cr-pass"), &creds()), Verdict::Accepted);
    // An older message, valid but behind the last accepted TS.
    assert_eq!(
        g.check(at(T0 + 6), &message(T0 + 2, 7, "cr-user", "a", "cr-pass"), &creds()),
        Verdict::Refused("stale timestamp")
    );
    // A fresh guard (after a restart) still refuses a message older than MAX_AGE.
    let mut fresh = UdpCrGuard::new(600);
    let old = message(T0, 9, "cr-user", "a", "cr-pass");
    assert_eq!(fresh.check(at(T0 + MAX_AGE + 1), &old, &creds()), Verdict::Refused("stale timestamp"));
    assert_eq!(fresh.check(at(T0 + MAX_AGE), &old, &creds()), Verdict::Accepted);
    // Without absolute time only the order counts.
    let mut no_clock = UdpCrGuard::new(600);
    assert_eq!(no_clock.check(Now { instant: Instant(0), unix: None }, &old, &creds()), Verdict::Accepted);
    let disabled = CrCredentials { disabled: true, ..creds() };
    assert_eq!(
        g.check(now, &message(T0 + 9, 8, "cr-user", "a", "cr-pass"), &disabled),
        Verdict::Refused("CWMP disabled")
    );
}

#[test]
fn accepted_messages_are_rate_limited() {
    let mut g = UdpCrGuard::new(2);
    let now = at(T0);
    assert_eq!(g.check(now, &message(T0, 1, "cr-user", "a", "cr-pass"), &creds()), Verdict::Accepted);
    assert_eq!(g.check(now, &message(T0, 2, "cr-user", "a", "cr-pass"), &creds()), Verdict::Accepted);
    assert_eq!(g.check(now, &message(T0, 3, "cr-user", "a", "cr-pass"), &creds()), Verdict::Refused("rate limit"));
    assert_eq!(g.check(at(T0 + 30), &message(T0 + 30, 3, "cr-user", "a", "cr-pass"), &creds()), Verdict::Accepted);
}

#[test]
fn malformed_datagrams_are_refused() {
    let cases: [(&[u8], &str); 9] = [
        (b"", "not an HTTP/1.1 GET"),
        (b"POST http://h?ts=1 HTTP/1.1\r\n", "not an HTTP/1.1 GET"),
        (b"GET /path?ts=1 HTTP/1.1\r\n", "not an absolute http URI"),
        (b"GET http://h HTTP/1.1\r\n", "no query"),
        (b"GET http://h?ts=1&id=2&un=u&cn=c HTTP/1.1\r\n", "missing parameter"),
        (b"GET http://h?ts=1&ts=1&id=2&un=u&cn=c&sig=0 HTTP/1.1\r\n", "repeated parameter"),
        (b"GET http://h?ts=-1&id=2&un=u&cn=c&sig=0 HTTP/1.1\r\n", "bad ts"),
        (b"GET http://h?ts=1&id=2&un=%zz&cn=c&sig=0 HTTP/1.1\r\n", "bad percent-encoding"),
        (b"\xff\xfe", "not text"),
    ];
    for (d, why) in cases {
        assert_eq!(parse(d).err(), Some(why), "{:?}", String::from_utf8_lossy(d));
    }
    assert_eq!(parse(&vec![b'G'; MAX_DATAGRAM + 1]).err(), Some("too long"));
}
