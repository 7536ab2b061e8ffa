//! Diagnostic tests on worker threads (TR-181 Issue 2 Amd 19 DiagnosticsState; TR-069 Amd 6
//! 3.7.1.5 `8 DIAGNOSTICS COMPLETE`): the brain decides when a test starts
//! (`crate::proto::cpe`, after the session that requested it), the shell snapshots the test
//! parameters from the diagnostics backend's store, runs the test on the diagnostics worker thread and
//! stores its outcome, then tells the brain, which raises the event.

use super::{Input, Shell};
use crate::backend::diagnostics::{run, Change, Outcome, Run};
use crate::proto::cpe::DiagnosticKind;

impl Shell {
    /// Values were written: the requests and cancels they made go to the brain.
    pub(super) fn diagnostics_written(&mut self) {
        let now = self.now();
        for (kind, change) in self.diagnostics.take_changes() {
            match change {
                Change::Requested => self.cpe.handle_diagnostic_requested(now, kind),
                Change::Canceled => self.cpe.handle_diagnostic_canceled(now, kind),
            }
        }
    }

    /// The brain started `kind`: its parameters as they are now, run on a worker.
    pub(super) fn start_diagnostic(&mut self, kind: DiagnosticKind) {
        let Some(mut run) = self.diagnostics.start(kind) else {
            // No longer Requested (canceled meanwhile): nothing runs, nothing completes.
            self.cpe.handle_diagnostic_canceled(self.now(), kind);
            return;
        };
        if kind == DiagnosticKind::IpLayerCapacity {
            // The AuthCode rows as they are now, by their Alias (the engine's).
            use crate::backend::diagnostics::ipcap_authcode::{table, TABLE_NAME};
            run.auth_table = table(&self.diag_auth_keys, |row| self.model.alias_of_key(TABLE_NAME, row));
        }
        log::info!("diagnostic {} running", kind.object());
        self.diag_worker.run(move || {
            let outcome = run::run(&run);
            Input::DiagnosticDone(Box::new((run, outcome)))
        });
    }

    /// A run ended: its outcome is stored unless the test was canceled or requested again
    /// meanwhile; a stored one completes the test in the brain.
    pub(super) fn diagnostic_done(&mut self, run: Run, outcome: Outcome) {
        let state = outcome.state;
        if self.diagnostics.finish(&run, outcome) {
            log::info!("diagnostic {}: {state}", run.kind.object());
            self.cpe.handle_diagnostic_done(self.now(), run.kind);
        }
    }
}
