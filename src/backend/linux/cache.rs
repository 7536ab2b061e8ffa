//! A short-lived memo of one platform reading (a netlink dump turned into keyed rows), so
//! that a GetParameterValues over a whole table costs one dump, not one per parameter.
//!
//! Entries live [`TTL`]: long enough for one RPC's walk, short enough that the next RPC sees
//! the system as it is. It never serves a reading older than that, and a failed reading is
//! not kept.

use crate::hal::Result;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a reading is reused.
pub const TTL: Duration = Duration::from_secs(1);

/// One memoized reading of type `T`.
#[derive(Debug)]
pub struct Cache<T> {
    slot: Mutex<Option<(Instant, Arc<T>)>>,
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache { slot: Mutex::new(None) }
    }
}

impl<T> Cache<T> {
    /// The reading if fresh, else a new one from `read` (kept when it succeeds).
    pub fn get_or(&self, read: impl FnOnce() -> Result<T>) -> Result<Arc<T>> {
        if let Ok(slot) = self.slot.lock() {
            if let Some((at, value)) = slot.as_ref() {
                if at.elapsed() < TTL {
                    return Ok(Arc::clone(value));
                }
            }
        }
        let value = Arc::new(read()?);
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((Instant::now(), Arc::clone(&value)));
        }
        Ok(value)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hal::{ErrorKind, HalError};

    #[test]
    fn reuses_then_expires_and_never_keeps_errors() {
        let cache = Cache::default();
        assert!(cache.get_or(|| Err(HalError::new(ErrorKind::Internal, "x"))).is_err());
        assert_eq!(*cache.get_or(|| Ok(1)).unwrap(), 1);
        assert_eq!(*cache.get_or(|| Ok(2)).unwrap(), 1);
        *cache.slot.lock().unwrap() = Some((Instant::now() - TTL, Arc::new(1)));
        assert_eq!(*cache.get_or(|| Ok(3)).unwrap(), 3);
    }
}
