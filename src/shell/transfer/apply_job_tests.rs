//! Unit tests of the apply files, read by [`super::adopt`] and [`super::wait`] (the real
//! supervisor process is exercised by `tests/apply_supervisor.rs` and `tests/apply_kill.rs`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("cwmpd-applyjob-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The lock of transfer `id` taken through a file of this process (as a supervisor would).
fn hold(dir: &Path, id: u64) -> File {
    let f = File::create(ApplyFiles::new(dir, id).lock).unwrap();
    assert!(try_lock(&f).unwrap());
    f
}

#[test]
fn outcomes_round_trip_and_garbage_is_refused() {
    for o in [Outcome::Exited(0), Outcome::Exited(3), Outcome::Signalled(9), Outcome::NotRun("no\nsuch".into())] {
        let back = Outcome::decode(&o.encode()).unwrap();
        match (&o, &back) {
            (Outcome::NotRun(_), Outcome::NotRun(text)) => assert_eq!(text, "no such"),
            _ => assert_eq!(back, o),
        }
    }
    for bad in ["", "exit 0", "exit x\n", "exit\n", "done 0\n", "exit 0\nexit 1", "exit 0\nexit 1\n", "error a\rb\n"] {
        assert_eq!(Outcome::decode(bad), None, "{bad:?}");
    }
    assert_eq!(Outcome::Exited(0).fault().fault_code, 0);
    for o in [Outcome::Exited(1), Outcome::Signalled(15), Outcome::NotRun("x".into())] {
        let f = o.fault();
        assert_eq!(f.fault_code, 9018);
        assert!(!f.fault_string.is_empty());
    }
}

#[test]
fn adopt_reads_what_the_files_say() {
    let d = Dir::new("adopt");
    let files = ApplyFiles::new(&d.0, 4);
    assert!(matches!(adopt(&d.0, 4), Adopted::NotStarted), "nothing there: never ran");
    std::fs::write(&files.lock, b"").unwrap();
    assert!(matches!(adopt(&d.0, 4), Adopted::NotStarted), "a free lock alone: never ran");
    std::fs::write(&files.started, b"1\n").unwrap();
    assert!(matches!(adopt(&d.0, 4), Adopted::Interrupted), "ran, no result");
    std::fs::write(&files.status, b"garbage").unwrap();
    assert!(matches!(adopt(&d.0, 4), Adopted::Interrupted), "an unreadable result is no result");
    std::fs::write(&files.status, Outcome::Exited(2).encode()).unwrap();
    match adopt(&d.0, 4) {
        Adopted::Finished(f) => assert_eq!(f.fault_code, 9018),
        other => panic!("{other:?}"),
    }
    let held = hold(&d.0, 4);
    assert!(matches!(adopt(&d.0, 4), Adopted::Running(_)), "a held lock: still running");
    forget(&d.0, 4);
    assert!(files.status.exists() && files.lock.exists(), "files of a running apply are kept");
    drop(held);
    forget(&d.0, 4);
    assert!(!files.status.exists() && !files.started.exists() && !files.lock.exists());
    forget(&d.0, 4);
}

#[test]
fn wait_on_an_adopted_apply_returns_when_its_lock_is_released() {
    let d = Dir::new("wait");
    let files = ApplyFiles::new(&d.0, 9);
    let held = hold(&d.0, 9);
    let Adopted::Running(handle) = adopt(&d.0, 9) else { panic!("not running") };
    let waiter = std::thread::spawn(move || wait(handle));
    std::fs::write(&files.started, b"1\n").unwrap();
    std::fs::write(&files.status, Outcome::Exited(0).encode()).unwrap();
    drop(held);
    assert_eq!(waiter.join().unwrap().fault_code, 0);
    // A supervisor that died without writing its result.
    let _ = std::fs::remove_file(&files.status);
    let held = hold(&d.0, 9);
    let Adopted::Running(handle) = adopt(&d.0, 9) else { panic!("not running") };
    drop(held);
    assert_eq!(wait(handle), interrupted());
}

#[test]
fn start_refuses_an_apply_that_ran_or_runs() {
    let d = Dir::new("start");
    let argv = ["/bin/true".to_string()];
    let job =
        ApplyJob { argv: &argv, file: Path::new("/x"), file_type: "3 Vendor Configuration File", target_file_name: "" };
    let held = hold(&d.0, 1);
    assert_eq!(start(Path::new("/bin/true"), &d.0, 1, &job).unwrap_err(), StartError::Exists);
    drop(held);
    std::fs::write(ApplyFiles::new(&d.0, 1).started, b"1\n").unwrap();
    assert_eq!(start(Path::new("/bin/true"), &d.0, 1, &job).unwrap_err(), StartError::Exists);
    match start(Path::new("/nonexistent/cwmpd"), &d.0, 2, &job).unwrap_err() {
        StartError::Failed(f) => assert_eq!(f.fault_code, 9002),
        other => panic!("{other:?}"),
    }
    assert!(matches!(adopt(&d.0, 2), Adopted::NotStarted), "a failed spawn left no trace of a run");
}

#[test]
fn apply_file_names_carry_the_transfer_id() {
    let f = ApplyFiles::new(Path::new("/d"), 12);
    assert_eq!(f.lock, PathBuf::from("/d/apply-12.lock"));
    assert_eq!(file_id("apply-12.status"), Some(12));
    assert_eq!(file_id("apply-x.status"), None);
    assert_eq!(file_id("transfer-12"), None);
}
