//! The FTP command sequence without sockets: every step of a download and an upload, TLS,
//! the PASV fallback, and each failure's fault.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

fn job(direction: Direction, tls: bool) -> Job {
    Job {
        direction,
        path: "fw/img.bin".into(),
        user: "u".into(),
        password: "secret".into(),
        tls,
        file_size: 1000,
        room: 5000,
    }
}

fn r(code: u16, text: &str) -> Reply {
    Reply { code, text: text.into() }
}

fn send(s: &str) -> Next {
    Next::Send(format!("{s}\r\n"))
}

/// Feeds `replies` in order and returns every step, stopping at the first error.
fn run(c: &mut Client, replies: &[Reply]) -> Result<Vec<Next>, FtpError> {
    let mut steps = Vec::new();
    for reply in replies {
        let next = c.on_reply(reply)?;
        let next = match next {
            Next::StartTls => {
                steps.push(Next::StartTls);
                c.tls_ready()
            }
            Next::OpenData(p) => {
                steps.push(Next::OpenData(p));
                c.data_open()
            }
            Next::Stream => {
                steps.push(Next::Stream);
                c.data_done()
            }
            other => other,
        };
        steps.push(next);
    }
    Ok(steps)
}

#[test]
fn download_over_tls_with_epsv() {
    let mut c = Client::new(job(Direction::Download, true)).unwrap();
    let replies = [
        r(220, "hi"),
        r(234, "go"),
        r(200, "PBSZ=0"),
        r(200, "PROT now Private."),
        r(331, "pw"),
        r(230, "in"),
        r(200, "binary"),
        r(213, "1000"),
        r(229, "Entering Extended Passive Mode (|||40001|)"),
        r(150, "opening"),
        r(226, "done"),
        r(221, "bye"),
    ];
    let steps = run(&mut c, &replies).unwrap();
    let want = vec![
        send("AUTH TLS"),
        Next::StartTls,
        send("PBSZ 0"),
        send("PROT P"),
        send("USER u"),
        send("PASS secret"),
        send("TYPE I"),
        send("SIZE fw/img.bin"),
        send("EPSV"),
        Next::OpenData(40001),
        send("RETR fw/img.bin"),
        Next::Stream,
        Next::Read,
        send("QUIT"),
        Next::Done,
    ];
    assert_eq!(steps, want);
    assert_eq!(c.size(), Some(1000));
    assert!(c.transferred());
}

#[test]
fn upload_in_clear_with_pasv_fallback_and_no_password_step() {
    let mut c = Client::new(job(Direction::Upload, false)).unwrap();
    let replies = [
        r(120, "soon"),
        r(220, "hi"),
        r(230, "no password needed"),
        r(200, "binary"),
        r(500, "EPSV?"),
        r(227, "Entering Passive Mode (10,0,0,9,156,65)"),
        r(125, "go"),
        r(110, "marker"),
        r(250, "stored"),
        r(421, "bye, rudely"),
    ];
    let steps = run(&mut c, &replies).unwrap();
    let want = vec![
        Next::Read,
        send("USER u"),
        send("TYPE I"),
        send("EPSV"),
        send("PASV"),
        Next::OpenData(40001),
        send("STOR fw/img.bin"),
        Next::Stream,
        Next::Read,
        Next::Read,
        send("QUIT"),
        Next::Done,
    ];
    assert_eq!(steps, want);
}

/// The fault code of the error after `replies` in `direction`.
fn fails(direction: Direction, tls: bool, replies: &[Reply]) -> u32 {
    let mut c = Client::new(job(direction, tls)).unwrap();
    run(&mut c, replies).unwrap_err().fault(direction).fault_code
}

#[test]
fn each_failure_gives_its_fault() {
    use Direction::{Download as D, Upload as U};
    let login = [r(220, ""), r(331, ""), r(230, ""), r(200, "")];
    let with = |rest: &[Reply]| [&login[..], rest].concat();
    assert_eq!(fails(D, false, &[r(421, "busy")]), 9015);
    assert_eq!(fails(D, false, &[r(520, "go away")]), 9015);
    assert_eq!(fails(D, true, &[r(220, ""), r(530, "no TLS")]), 9015, "no clear-text fallback");
    assert_eq!(fails(D, true, &[r(220, ""), r(234, ""), r(536, "")]), 9015);
    assert_eq!(fails(D, false, &[r(220, ""), r(331, ""), r(530, "Login incorrect")]), 9012);
    assert_eq!(fails(U, false, &[r(220, ""), r(530, "no such user")]), 9012);
    assert_eq!(fails(D, false, &[r(220, ""), r(331, ""), r(332, "account?")]), 9012);
    assert_eq!(fails(D, false, &[r(220, ""), r(331, ""), r(421, "")]), 9015);
    assert_eq!(fails(D, false, &[r(220, ""), r(331, ""), r(430, "")]), 9015);
    assert_eq!(fails(D, false, &with(&[r(213, "999")])), 9018);
    assert_eq!(fails(D, false, &with(&[r(213, "1000"), r(229, "(|||0|)")])), 9015);
    assert_eq!(fails(D, false, &with(&[r(550, "no"), r(229, "(|||5|)"), r(550, "No such file")])), 9016);
    assert_eq!(fails(U, false, &[&login[..], &[r(229, "(|||5|)"), r(553, "denied")]].concat()), 9011);
    assert_eq!(fails(D, false, &with(&[r(213, "1000"), r(229, "(|||5|)"), r(425, "no data")])), 9015);
    assert_eq!(fails(D, false, &with(&[r(213, "x"), r(229, "(|||5|)"), r(150, ""), r(426, "aborted")])), 9017);
    assert_eq!(fails(U, false, &[&login[..], &[r(229, "(|||5|)"), r(150, ""), r(451, "disk")]].concat()), 9011);
    assert_eq!(fails(D, false, &with(&[r(213, "1000"), r(421, "")])), 9015);
    assert_eq!(fails(D, false, &with(&[r(213, "1000"), r(502, ""), r(500, "")])), 9015);
    let mut small = job(D, false);
    small.room = 10;
    let mut c = Client::new(small).unwrap();
    assert_eq!(run(&mut c, &with(&[r(213, "1000")])).unwrap_err().fault(D).fault_code, 9010);
}

#[test]
fn end_of_connection_by_phase() {
    let mut c = Client::new(job(Direction::Download, false)).unwrap();
    assert_eq!(c.on_eof("reset").fault(Direction::Download).fault_code, 9015);
    run(&mut c, &[r(220, ""), r(230, ""), r(200, ""), r(213, "1000"), r(229, "(|||5|)"), r(150, "")]).unwrap();
    assert_eq!(c.on_eof("reset").fault(Direction::Download).fault_code, 9017);
    assert!(!c.transferred());
}

#[test]
fn control_characters_are_refused_before_anything_is_sent() {
    for (path, user, password) in [("a\r\nDELE b", "u", "p"), ("a", "u\n", "p"), ("a", "u", "p\0")] {
        let j =
            Job { path: path.into(), user: user.into(), password: password.into(), ..job(Direction::Upload, false) };
        let e = Client::new(j).unwrap_err();
        assert_eq!(e, FtpError::Unsafe);
        assert_eq!(e.fault(Direction::Upload).fault_code, 9011);
    }
}

#[test]
fn password_only_in_the_pass_command() {
    let mut c = Client::new(job(Direction::Download, false)).unwrap();
    let steps = run(&mut c, &[r(220, ""), r(331, "")]).unwrap();
    assert_eq!(steps, vec![send("USER u"), send("PASS secret")]);
    let e = format!("{:?}", run(&mut c, &[r(530, "Login incorrect")]).unwrap_err());
    assert!(!e.contains("secret"));
}
