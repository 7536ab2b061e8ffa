//! When the XMPP connection of the connection requests (TR-069 Amd 6 Annex K;
//! ManagementServer.ConnReqXMPPConnection) is opened again, sans-IO: the reconnection
//! back-off of TR-181 XMPP.Connection.{i} (ServerConnectAttempts,
//! ServerRetryInitialInterval, ServerRetryIntervalMultiplier, ServerRetryMaxInterval).
//!
//! The connection is opened at once when it becomes enabled or its account changes. After a
//! failed attempt or a lost connection, retry `k` (1, 2, ...) waits a random time between 0
//! and `min(ServerRetryInitialInterval * (ServerRetryIntervalMultiplier / 1000)^(k-1),
//! ServerRetryMaxInterval)` seconds; with the defaults the bounds are 1, 2, 4, ... 512
//! minutes as TR-181 lists them. After ServerConnectAttempts attempts the one server of the
//! connection is exhausted; the CPE then starts a new round (k = 1) rather than stay
//! unreachable (TR-181 leaves the fallback to RFC 6120 3.2). A connection that came up
//! resets the count. The shell runs each attempt ([`Action::XmppConnect`] with a
//! generation) and reports it with [`Cpe::handle_xmpp_up`] / [`Cpe::handle_xmpp_down`];
//! reports of older generations are ignored.

use super::{Action, Cpe};
use crate::clock::{Instant, Now};
use core::time::Duration;

/// The XMPP.Connection.{i} values the back-off depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmppSettings {
    /// The connection is enabled and referenced by ConnReqXMPPConnection.
    pub enable: bool,
    /// Changes whenever the account, server or TLS setting changes (a reconnection is due).
    pub revision: u64,
    pub connect_attempts: u32,
    pub retry_initial: u32,
    pub retry_multiplier: u32,
    pub retry_max: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Link {
    #[default]
    Off,
    Connecting(u64),
    Up(u64),
    Waiting(Instant),
}

/// The brain's part of the XMPP connection.
#[derive(Debug, Clone, Default)]
pub(super) struct XmppLink {
    settings: XmppSettings,
    link: Link,
    generation: u64,
    /// Failed attempts since the connection was last up (or enabled).
    failures: u32,
}

/// The upper bound of the wait before retry `k` (1-based), in seconds.
pub fn retry_bound(s: &XmppSettings, k: u32) -> u64 {
    let max = u64::from(s.retry_max.max(1));
    let mut bound = u64::from(s.retry_initial.max(1));
    let multiplier = u64::from(s.retry_multiplier.max(1000));
    for _ in 1..k {
        if bound >= max {
            break;
        }
        bound = bound.saturating_mul(multiplier) / 1000;
    }
    bound.min(max)
}

impl XmppLink {
    fn connect(&mut self, actions: &mut std::collections::VecDeque<Action>) {
        self.generation = self.generation.wrapping_add(1);
        self.link = Link::Connecting(self.generation);
        actions.push_back(Action::XmppConnect(self.generation));
    }
}

impl Cpe {
    /// New XMPP connection settings (at start and after every change of the connection or
    /// of ConnReqXMPPConnection).
    pub fn set_xmpp_settings(&mut self, now: Now, settings: XmppSettings) {
        self.now = now;
        let x = &mut self.xmpp;
        let was = core::mem::replace(&mut x.settings, settings);
        if !x.settings.enable {
            if matches!(x.link, Link::Connecting(_) | Link::Up(_)) {
                self.actions.push_back(Action::XmppDisconnect);
            }
            x.link = Link::Off;
            x.failures = 0;
            return;
        }
        if !was.enable || was.revision != x.settings.revision || x.link == Link::Off {
            if matches!(x.link, Link::Connecting(_) | Link::Up(_)) {
                self.actions.push_back(Action::XmppDisconnect);
            }
            x.failures = 0;
            x.connect(&mut self.actions);
        }
    }

    /// Attempt `generation` bound its resource: the connection is up.
    pub fn handle_xmpp_up(&mut self, now: Now, generation: u64) {
        self.now = now;
        let x = &mut self.xmpp;
        if x.link == Link::Connecting(generation) {
            x.link = Link::Up(generation);
            x.failures = 0;
        }
    }

    /// Attempt `generation` failed or its connection was lost; `random` picks the wait.
    pub fn handle_xmpp_down(&mut self, now: Now, generation: u64, random: u64) {
        self.now = now;
        let x = &mut self.xmpp;
        if !matches!(x.link, Link::Connecting(g) | Link::Up(g) if g == generation) {
            return;
        }
        let attempts = x.settings.connect_attempts;
        x.failures = if attempts > 0 && x.failures >= attempts { 1 } else { x.failures.saturating_add(1) };
        let bound_ms = retry_bound(&x.settings, x.failures).saturating_mul(1000);
        let wait = Duration::from_millis(random % bound_ms.saturating_add(1));
        log::info!("XMPP: reconnecting in {} s (retry {})", wait.as_secs(), x.failures);
        x.link = Link::Waiting(now.instant.saturating_add(wait));
    }

    /// True while the XMPP connection is bound (connection requests can arrive).
    pub fn xmpp_up(&self) -> bool {
        matches!(self.xmpp.link, Link::Up(_))
    }

    pub(super) fn xmpp_deadline(&self) -> Option<Instant> {
        match self.xmpp.link {
            Link::Waiting(t) => Some(t),
            _ => None,
        }
    }

    pub(super) fn xmpp_timeout(&mut self) {
        if let Link::Waiting(t) = self.xmpp.link {
            if t <= self.now.instant {
                self.xmpp.connect(&mut self.actions);
            }
        }
    }
}

#[cfg(test)]
#[path = "xmpp_tests.rs"]
mod tests;
