//! The ubus codec (`cwmpd::proto::ubus`: ubusmsg.h messages, blob/blobmsg attributes) and
//! the netifd field paths over what it decodes (`backend::uci::runtime`): never panic; a
//! decoded message re-encodes to bytes that decode and re-encode to the same bytes.
#![no_main]
use cwmpd::backend::uci::runtime;
use cwmpd::proto::ubus::{blob, frame_len, Message, HEAD_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(head) = data.get(..HEAD_LEN) {
        if let Ok(n) = frame_len(head) {
            assert!(n >= HEAD_LEN && n <= 8 + (1 << 20));
        }
    }
    if let Ok(m) = Message::decode(data) {
        let bytes = m.encode();
        let again = Message::decode(&bytes).expect("re-encoded message decodes");
        assert_eq!(again.encode(), bytes);
    }
    let (path, body) = data.split_at(data.len().min(24));
    if let Ok(table) = blob::decode_table(body) {
        let v = blob::Value::Table(table);
        let path = String::from_utf8_lossy(path);
        let _ = runtime::field(&v, &path);
        for src in ["netifd", "netifd-mask", "netdev"].iter().filter_map(|c| runtime::parse(c, &path)) {
            let _ = runtime::read(&v, &src, |_, _| None);
        }
    }
});
