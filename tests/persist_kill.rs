//! The state file survives SIGKILL at any moment: a child process rewrites it in a loop
//! (each state numbered), the parent kills it at random moments, and every time the file
//! loads as one complete state, never a torn one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cwmpd::shell::persist::{self, State};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const CHILD_ENV: &str = "CWMPD_PERSIST_WRITER";

fn state(n: u64) -> State {
    let mut s = State { boot_count: n, ..State::default() };
    s.model.parameter_key = format!("key-{n}");
    for i in 0..50 {
        s.model.values.insert(format!("Device.X.{i}"), format!("value {n} {}", "x".repeat(200)));
    }
    s
}

/// The writer half: runs when the test binary is started with CHILD_ENV set.
#[test]
fn writer_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else { return };
    let path = PathBuf::from(path);
    for n in 1.. {
        persist::save(&path, &state(n).as_ref()).unwrap();
    }
}

#[test]
fn kill_9_never_leaves_a_torn_file() {
    let dir = std::env::temp_dir().join(format!("cwmpd-kill9-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state");
    persist::save(&path, &state(0).as_ref()).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    for round in 0..20u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", "writer_child", "--nocapture"])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(30 + (round * 7919) % 70));
        child.kill().unwrap();
        child.wait().unwrap();
        let loaded = persist::load(&path).expect("the file must always load");
        assert_eq!(loaded, state(loaded.boot_count), "a complete state, never a mix");
        last = last.max(loaded.boot_count);
    }
    assert!(last > 0, "the writer made progress");
    let _ = std::fs::remove_dir_all(&dir);
}
