//! Instance numbers of table rows (TR-069 Amd 6 A.3.2.6; TR-106 3.6 "instance numbers"):
//! the CPE chooses them, they are never reused for another row of the same table, and they
//! stay fixed for the life of the row, across restarts (kept in the state file).
//!
//! A row is known to the backends by a key; this map assigns each (table, key) a number on
//! first sight, preferring the number a backend suggests (a replayed dump's own numbering)
//! when it is still free. Rows that vanish keep their number (an interface that comes back
//! gets it again) until the table's map grows well past its live rows; then stale entries
//! are dropped, but the counter never goes back.
//!
//! Each row also carries its Alias (TR-069 Amd 6 3.6.1, TR-181 `Alias` parameters), which
//! the engine serves when the backend does not: `cpe-<number>` until the ACS writes one.

use super::ModelState;
use std::collections::BTreeMap;

/// Entries kept beyond the live rows of a table before stale ones are dropped.
const STALE_SLACK: usize = 16;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Row {
    key: String,
    number: u32,
    alias: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Table {
    rows: Vec<Row>,
    next: u32,
}

/// The map for every table, keyed by concrete table path (`Device.IP.Interface.3.IPv4Address.`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instances {
    tables: BTreeMap<String, Table>,
    dirty: bool,
}

impl Instances {
    pub fn from_state(state: &ModelState) -> Instances {
        let mut out = Instances::default();
        for (table, key, number, alias) in &state.instances {
            let t = out.tables.entry(table.clone()).or_default();
            t.rows.push(Row { key: key.clone(), number: *number, alias: alias.clone() });
            t.next = t.next.max(number.saturating_add(1));
        }
        for (table, next) in &state.instance_next {
            let t = out.tables.entry(table.clone()).or_default();
            t.next = t.next.max(*next);
        }
        out
    }

    /// Copies the map into the state when it changed; true if it did.
    pub fn save(&mut self, state: &mut ModelState) -> bool {
        if !self.dirty {
            return false;
        }
        state.instances.clear();
        state.instance_next.clear();
        for (path, t) in &self.tables {
            for r in &t.rows {
                state.instances.push((path.clone(), r.key.clone(), r.number, r.alias.clone()));
            }
            state.instance_next.insert(path.clone(), t.next);
        }
        self.dirty = false;
        true
    }

    /// Numbers for the live `keys` of `table` (same order), assigning new ones as needed.
    /// `hint` suggests a number for a key (e.g. its number in a replayed dump).
    pub fn numbers(&mut self, table: &str, keys: &[String], hint: impl Fn(&str) -> Option<u32>) -> Vec<u32> {
        // One lookup for a table seen before (the usual case).
        let (out, changed) = match self.tables.get_mut(table) {
            Some(t) => assign(t, keys, &hint),
            None => {
                let mut t = Table::default();
                let assigned = assign(&mut t, keys, &hint);
                self.tables.insert(table.to_string(), t);
                assigned
            }
        };
        self.dirty |= changed;
        out
    }

    /// The key of row `number` of `table`, if it has been seen.
    pub fn key(&self, table: &str, number: u32) -> Option<&str> {
        self.tables.get(table)?.rows.iter().find(|r| r.number == number).map(|r| r.key.as_str())
    }

    /// The number of the row with `key`, if it has been seen.
    pub fn number(&self, table: &str, key: &str) -> Option<u32> {
        self.tables.get(table)?.rows.iter().find(|r| r.key == key).map(|r| r.number)
    }

    /// Forgets a deleted row (its number is not reused) and every table below it.
    pub fn remove(&mut self, table: &str, number: u32) {
        if let Some(t) = self.tables.get_mut(table) {
            t.rows.retain(|r| r.number != number);
        }
        let below = format!("{table}{number}.");
        self.tables.retain(|path, _| !path.starts_with(&below));
        self.dirty = true;
    }

    /// Moves the number (and Alias) of row `old` of `table` to the key `new` (a backend
    /// renamed a row before it existed on the platform); a stale row with key `new` goes.
    pub fn rekey(&mut self, table: &str, old: &str, new: &str) {
        let Some(t) = self.tables.get_mut(table) else { return };
        if !t.rows.iter().any(|r| r.key == old) {
            return;
        }
        t.rows.retain(|r| r.key != new);
        for r in t.rows.iter_mut().filter(|r| r.key == old) {
            r.key = new.to_string();
        }
        self.dirty = true;
    }

    /// The Alias of a row: what the ACS set, else `cpe-<number>`.
    pub fn alias(&self, table: &str, number: u32) -> String {
        let set = self.tables.get(table).and_then(|t| t.rows.iter().find(|r| r.number == number));
        match set {
            Some(r) if !r.alias.is_empty() => r.alias.clone(),
            _ => format!("cpe-{number}"),
        }
    }

    /// Whether another row of `table` already uses `alias`.
    pub fn alias_taken(&self, table: &str, number: u32, alias: &str) -> bool {
        let Some(t) = self.tables.get(table) else { return false };
        t.rows.iter().any(|r| {
            r.number != number && (r.alias == alias || (r.alias.is_empty() && format!("cpe-{}", r.number) == alias))
        })
    }

    pub fn set_alias(&mut self, table: &str, number: u32, alias: &str) {
        if let Some(r) = self.tables.get_mut(table).and_then(|t| t.rows.iter_mut().find(|r| r.number == number)) {
            r.alias = alias.to_string();
            self.dirty = true;
        }
    }
}

/// Numbers for the live `keys` of table `t` (see [`Instances::numbers`]), and
/// whether `t` changed.
/// One copy of the code for every caller's `hint` (a `dyn`: the router's flash).
fn assign(t: &mut Table, keys: &[String], hint: &dyn Fn(&str) -> Option<u32>) -> (Vec<u32>, bool) {
    // A table seen for the first time takes every suggested number that is free.
    let fresh = t.rows.is_empty() && t.next == 0;
    let mut out = Vec::with_capacity(keys.len());
    let mut changed = false;
    for (j, k) in keys.iter().enumerate() {
        // Listed in the same order as last time (the usual case): no search.
        let same_place = t.rows.get(j).filter(|r| &r.key == k);
        if let Some(r) = same_place.or_else(|| t.rows.iter().find(|r| &r.key == k)) {
            out.push(r.number);
            continue;
        }
        let n = match hint(k).filter(|h| *h > 0 && !t.rows.iter().any(|r| r.number == *h)) {
            Some(h) if fresh || h >= t.next => h,
            _ => t.next.max(1),
        };
        t.next = t.next.max(n.saturating_add(1));
        t.rows.push(Row { key: k.clone(), number: n, alias: String::new() });
        out.push(n);
        changed = true;
    }
    if t.rows.len() > keys.len() + STALE_SLACK {
        t.rows.retain(|r| keys.contains(&r.key));
        changed = true;
    }
    (out, changed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stable_and_never_reused() {
        let mut m = Instances::default();
        let t = "Device.IP.Interface.";
        assert_eq!(m.numbers(t, &keys(&["lan", "wan"]), |_| None), vec![1, 2]);
        assert_eq!(m.numbers(t, &keys(&["wan", "lan", "guest"]), |_| None), vec![2, 1, 3]);
        m.remove(t, 3);
        assert_eq!(m.numbers(t, &keys(&["lan", "wan", "iot"]), |_| None), vec![1, 2, 4]);
        let mut state = ModelState::default();
        assert!(m.save(&mut state));
        let back = Instances::from_state(&state);
        assert_eq!(back.number(t, "iot"), Some(4));
        let mut back = back;
        assert_eq!(back.numbers(t, &keys(&["new"]), |_| None), vec![5]);
    }

    #[test]
    fn hints_and_aliases() {
        let mut m = Instances::default();
        let t = "Device.NAT.PortMapping.";
        assert_eq!(m.numbers(t, &keys(&["3", "7", "10", "2"]), |k| k.parse().ok()), vec![3, 7, 10, 2]);
        m.remove(t, 10);
        m.remove(t, 2);
        assert_eq!(m.numbers(t, &keys(&["3", "7", "5"]), |k| k.parse().ok()), vec![3, 7, 11]);
        assert_eq!(m.alias(t, 3), "cpe-3");
        assert!(m.alias_taken(t, 7, "cpe-3"));
        m.set_alias(t, 3, "web");
        assert_eq!(m.alias(t, 3), "web");
        assert!(!m.alias_taken(t, 7, "cpe-3"));
    }

    #[test]
    fn a_renamed_row_keeps_its_number() {
        let mut m = Instances::default();
        let t = "Device.Users.User.";
        assert_eq!(m.numbers(t, &keys(&["root", "user1", "bob"]), |_| None), vec![1, 2, 3]);
        m.set_alias(t, 2, "acs");
        m.remove(t, 3);
        m.rekey(t, "user1", "bob");
        m.rekey(t, "ghost", "carol");
        assert_eq!(m.numbers(t, &keys(&["root", "bob"]), |_| None), vec![1, 2]);
        assert_eq!((m.key(t, 2), m.alias(t, 2).as_str()), (Some("bob"), "acs"));
        assert_eq!(m.number(t, "carol"), None);
    }

    #[test]
    fn stale_rows_dropped_past_slack() {
        let mut m = Instances::default();
        let t = "Device.Hosts.Host.";
        for i in 0..40 {
            m.numbers(t, &keys(&[&format!("h{i}")]), |_| None);
        }
        assert!(m.tables.get(t).unwrap().rows.len() <= 1 + STALE_SLACK + 1);
        assert_eq!(m.numbers(t, &keys(&["again"]), |_| None), vec![41]);
    }
}
