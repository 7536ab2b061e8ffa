//! Worker threads of the shell: blocking work (an HTTP exchange with the ACS, a download,
//! waiting for an apply command) runs here and its outcome comes back to the loop as an
//! [`Input`]. Two long-lived threads, started once: one for the session's POSTs and one for
//! transfer jobs, so a download never holds back a session and no thread is started per
//! session or per job. Work queued on a thread runs in order (the brain runs one session
//! and one transfer job at a time).

use super::Input;
use smol::channel::Sender;
use std::sync::mpsc;

type Work = Box<dyn FnOnce() -> Input + Send>;

/// One named worker thread.
#[derive(Debug)]
pub struct Worker {
    jobs: mpsc::Sender<Work>,
}

impl Worker {
    /// Starts the thread; its results go to `inputs`.
    pub fn start(name: &str, inputs: Sender<Input>) -> std::io::Result<Worker> {
        let (jobs, queue) = mpsc::channel::<Work>();
        std::thread::Builder::new().name(name.into()).spawn(move || {
            for work in queue {
                if inputs.send_blocking(work()).is_err() {
                    return;
                }
            }
        })?;
        Ok(Worker { jobs })
    }

    /// Queues `work`; its Input reaches the loop when it is done.
    pub fn run(&self, work: impl FnOnce() -> Input + Send + 'static) {
        if self.jobs.send(Box::new(work)).is_err() {
            log::error!("worker thread gone: work dropped");
        }
    }
}
