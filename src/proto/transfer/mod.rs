//! File transfers, sans-IO (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload, A.4.1.10
//! ScheduleDownload, A.4.1.8 CancelTransfer, A.4.1.1/A.4.1.6 (All)QueuedTransfers, A.3.3.2
//! TransferComplete): the queue (admission, start times and windows, retries, the durable
//! phase of every transfer, the TransferComplete owed) and its state-file records. Time is
//! an argument (Unix seconds). The HTTP transfers and apply commands are in
//! `crate::shell::transfer`.

pub mod queue;
pub mod record;

pub use queue::{Direction, Phase, Transfer, TransferQueue, Window};

/// Download FileTypes with a fixed meaning (A.3.2.8).
pub const FIRMWARE: &str = "1 Firmware Upgrade Image";
pub const WEB_CONTENT: &str = "2 Web Content";
pub const VENDOR_CONFIG: &str = "3 Vendor Configuration File";
