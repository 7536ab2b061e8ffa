//! FTP reply parser (RFC 959 4.2) and the client state machine fed with what it parses: never
//! panics, never consumes more than it was given, codes stay in 100..=599, and every command
//! the client sends is one line with no control character before its CRLF.
#![no_main]
use cwmpd::proto::ftp::reply::parse;
use cwmpd::proto::ftp::{Client, Job, Next};
use cwmpd::proto::transfer::Direction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (flags, mut rest) = data.split_first().map(|(f, r)| (*f, r)).unwrap_or((0, &[][..]));
    let job = Job {
        direction: if flags & 1 == 0 { Direction::Download } else { Direction::Upload },
        path: "d/f".into(),
        user: "u".into(),
        password: "p".into(),
        tls: flags & 2 != 0,
        file_size: u64::from(flags >> 4),
        room: 1 << 20,
    };
    let mut client = Client::new(job).expect("clean job");
    while let Ok(Some((reply, used))) = parse(rest) {
        assert!(used > 0 && used <= rest.len());
        assert!((100..=599).contains(&reply.code));
        rest = &rest[used..];
        let next = match client.on_reply(&reply) {
            Ok(Next::StartTls) => client.tls_ready(),
            Ok(Next::OpenData(_)) => client.data_open(),
            Ok(Next::Stream) => client.data_done(),
            Ok(n) => n,
            Err(e) => {
                let _ = e.fault(Direction::Download);
                break;
            }
        };
        if let Next::Send(line) = next {
            let body = line.strip_suffix("\r\n").expect("CRLF");
            assert!(!body.chars().any(char::is_control), "{line:?}");
        }
    }
});
