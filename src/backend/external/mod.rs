//! The external backend (issue 17): another program (a "plugin") serves a subtree of the
//! data model (a service model such as `Device.Services.VoiceService.`, vendor `X_`
//! objects) over the line protocol of [`crate::hal::plugin`] (reference:
//! `docs/external-backend.md`), through a Unix socket or a child process's standard input
//! and output ([`link`]). Declared by `backend` sections of the configuration.
//!
//! Every HAL call is one request: rows (`instances`), values (`get`), the transaction
//! (`begin`, `set`, `add`, `delete`, `prepare`, `commit`, `abort`: TR-069 Amd 6 A.3.2.1,
//! all or nothing across backends), `apply` after the session, and `notify` notices from
//! the plugin feed the value-change check (A.3.2.4 active notification). The engine has
//! validated every value against the compiled schema before the plugin sees it.
//!
//! Crash isolation: a dead, hung or restarted plugin makes its parameters fault 9002 (its
//! own error kinds map to their faults, A.5.1); a transaction begun on a connection that
//! has since gone is refused rather than committed half-way.
//!
//! Must not: run anything through a shell, wait longer than the timeout for a reply.

pub mod link;

use crate::hal::plugin::{self, Request};
use crate::hal::{Applied, Backend, ErrorKind, HalError, Location, Result, Value};
use link::{Endpoint, Link};
use std::time::Duration;

/// A `backend` section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalConfig {
    /// The section's name (logs).
    pub name: String,
    /// The subtree served, a schema path ending in `.` (`Device.Services.STBService.`).
    pub root: String,
    pub endpoint: Endpoint,
    pub timeout: Duration,
}

/// One plugin behind the data model.
#[derive(Debug)]
pub struct ExternalBackend {
    name: String,
    root: String,
    link: Link,
    /// The connection generation the open transaction was begun on.
    transaction: Option<u32>,
    /// Committed changes not yet applied.
    pending: bool,
}

impl ExternalBackend {
    /// Starts the plugin's link (the first connection is attempted at once, in the
    /// background).
    pub fn start(config: &ExternalConfig) -> std::io::Result<ExternalBackend> {
        let link = Link::start(&config.name, &config.root, config.endpoint.clone(), config.timeout)?;
        Ok(ExternalBackend {
            name: format!("external:{}", config.name),
            root: config.root.clone(),
            link,
            transaction: None,
            pending: false,
        })
    }

    /// Waits up to `wait` for the plugin's first `hello` answer (start-up and tests).
    pub fn wait_ready(&self, wait: Duration) -> bool {
        let end = std::time::Instant::now() + wait;
        while std::time::Instant::now() < end {
            if self.link.generation().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.link.generation().is_some()
    }

    /// A request inside the open transaction: refused when the plugin has been reconnected
    /// since `begin` (it has lost what was staged).
    fn in_transaction(&self, request: &Request) -> Result<Vec<String>> {
        let restarted =
            || HalError::new(ErrorKind::Internal, format!("{}: restarted during the transaction", self.name));
        if self.transaction.is_none() || self.link.generation() != self.transaction {
            return Err(restarted());
        }
        let (fields, generation) = self.link.call(request)?;
        if self.transaction != Some(generation) {
            return Err(restarted());
        }
        Ok(fields)
    }
}

impl Backend for ExternalBackend {
    fn name(&self) -> &str {
        &self.name
    }

    fn serves(&self, object: &str) -> bool {
        object.starts_with(&self.root)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        crate::schema::object(object)
            .filter(|_| self.serves(object))
            .map(|o| o.params.iter().map(|p| p.name.to_string()).collect())
            .unwrap_or_default()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        Ok(self.link.call(&Request::Instances { table: at.object, keys: at.keys })?.0)
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        plugin::get_value(self.link.call(&Request::Get { object: at.object, param, keys: at.keys })?.0)
    }

    fn creatable(&self, at: &Location) -> bool {
        self.link.call(&Request::Creatable { table: at.object, keys: at.keys }).is_ok_and(|(f, _)| plugin::flag(&f))
    }

    fn watch(&mut self, changed: Box<dyn Fn() + Send>) -> bool {
        self.link.on_change(changed);
        true
    }

    fn begin(&mut self) -> Result<()> {
        self.transaction = None;
        let (_, generation) = self.link.call(&Request::Begin)?;
        self.transaction = Some(generation);
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let value = plugin::value_text(value);
        self.in_transaction(&Request::Set { object: at.object, param, value: &value, keys: at.keys }).map(drop)
    }

    fn add(&mut self, at: &Location) -> Result<String> {
        plugin::added_key(self.in_transaction(&Request::Add { table: at.object, keys: at.keys })?)
    }

    fn delete(&mut self, at: &Location) -> Result<()> {
        self.in_transaction(&Request::Delete { object: at.object, keys: at.keys }).map(drop)
    }

    fn prepare(&mut self) -> Result<()> {
        self.in_transaction(&Request::Prepare).map(drop)
    }

    fn commit(&mut self) -> Result<Applied> {
        let result = self.in_transaction(&Request::Commit).and_then(|f| plugin::applied(&f));
        self.transaction = None;
        self.pending |= result.is_ok();
        result
    }

    fn abort(&mut self) {
        if self.transaction.take().is_some() {
            let _ = self.link.call(&Request::Abort);
        }
    }

    fn apply(&mut self) -> Result<()> {
        if !core::mem::take(&mut self.pending) {
            return Ok(());
        }
        self.link.call(&Request::Apply).map(drop)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;
