//! The XMPP stream splitter, stanza parser and client (`proto::xmpp`, TR-069 Annex K,
//! RFC 6120): hostile server bytes in chunks never panic; every stanza the splitter cuts
//! out stays within MAX_STANZA, and the client fed the same bytes at any stage only
//! answers or closes.
#![no_main]
use cwmpd::clock::Instant;
use cwmpd::proto::xmpp::connreq::{answer_iq, ConnReqRules};
use cwmpd::proto::xmpp::split::{Piece, Splitter, MAX_STANZA};
use cwmpd::proto::xmpp::stanza::{stream_header, with_stanza};
use cwmpd::proto::xmpp::{Client, ClientConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else { return };
    let chunk = usize::from(chunk).max(1);
    let rules = ConnReqRules { username: "u".into(), password: "p".into(), allowed: vec![], enabled: true };
    let mut s = Splitter::new();
    'feed: for part in rest.chunks(chunk) {
        s.push(part);
        loop {
            match s.next_piece() {
                Ok(Some(Piece::Stanza(t))) => {
                    assert!(t.len() <= MAX_STANZA + chunk);
                    let _ = with_stanza(&t, |n| answer_iq(n, &rules));
                }
                Ok(Some(Piece::StreamOpen(t))) => {
                    let _ = stream_header(&t);
                }
                Ok(Some(Piece::StreamClose)) => {}
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    let config = ClientConfig { username: "u".into(), domain: "x".into(), require_tls: chunk % 2 == 0, ..Default::default() };
    let mut c = Client::new(config, rules, "nonce".into(), Instant(0));
    for (i, part) in rest.chunks(chunk).enumerate() {
        c.handle_data(Instant(i as u64), part);
        if i == 1 {
            c.tls_established(Instant(1));
        }
        while c.poll_output().is_some() {}
    }
    c.handle_timeout(Instant(120_000));
    while c.poll_output().is_some() {}
});
