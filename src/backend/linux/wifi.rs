//! The WiFi runtime state the kernel's nl80211 tells (Linux `include/uapi/linux/nl80211.h`),
//! read over generic netlink for TR-181 Device:2.19 `Device.WiFi.`: every wireless
//! interface (GET_INTERFACE dump), every wiphy's bands and capabilities (GET_WIPHY split
//! dump, [`super::nl80211_wiphy`]), and of each access point or station interface its
//! stations (GET_STATION dump) and channel surveys (GET_SURVEY dump).
//!
//! One [`Snapshot`] is taken per [`cache::TTL`] (a GetParameterValues over the
//! AssociatedDevice table costs one set of dumps). A kernel without cfg80211 (no `nl80211`
//! family), or any failed dump, gives an empty snapshot: the runtime parameters are then
//! absent, never made up. The codec is the sans-IO [`super::nl80211`].

use super::cache::Cache;
use super::nl80211::{self, Interface, Station, Survey, IFTYPE_AP, IFTYPE_STATION};
use super::nl80211_wiphy::{self, Wiphy};
use super::socket;
use crate::hal::Result;
use std::collections::HashMap;
use std::sync::Arc;

/// What nl80211 said at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub interfaces: Vec<Interface>,
    /// Stations by the ifindex of the interface they are associated with.
    pub stations: HashMap<u32, Vec<Station>>,
    /// Channel surveys by ifindex.
    pub surveys: HashMap<u32, Vec<Survey>>,
    pub wiphys: Vec<Wiphy>,
}

impl Snapshot {
    pub fn interface(&self, ifname: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.ifname == ifname)
    }

    pub fn stations_of(&self, ifname: &str) -> &[Station] {
        self.interface(ifname).and_then(|i| self.stations.get(&i.ifindex)).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn wiphy(&self, index: u32) -> Option<&Wiphy> {
        self.wiphys.iter().find(|w| w.index == index)
    }

    /// The survey of the channel `ifname` operates on.
    pub fn survey_in_use(&self, ifname: &str) -> Option<&Survey> {
        let i = self.interface(ifname)?;
        self.surveys.get(&i.ifindex)?.iter().find(|s| s.in_use || Some(s.freq) == i.freq)
    }
}

/// Where snapshots come from: the running kernel, or a fixed one (tests, replays).
#[derive(Debug, Default)]
pub struct Runtime {
    cache: Cache<Snapshot>,
    fixed: Option<Arc<Snapshot>>,
}

impl Runtime {
    /// Always this snapshot (no netlink).
    pub fn fixed(snapshot: Snapshot) -> Runtime {
        Runtime { cache: Cache::default(), fixed: Some(Arc::new(snapshot)) }
    }

    /// The current snapshot (empty when nl80211 is missing).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        if let Some(s) = &self.fixed {
            return Arc::clone(s);
        }
        self.cache.get_or(|| Ok(read())).unwrap_or_default()
    }
}

/// The nl80211 family id, `None` when the kernel has none (no cfg80211).
fn family() -> Option<u16> {
    socket::generic(&nl80211::family_request).ok()?.iter().find_map(|p| nl80211::family_id(p))
}

fn dump(family: u16, command: u8, ifindex: Option<u32>) -> Result<Vec<Vec<u8>>> {
    socket::generic_dump(&|seq| nl80211::dump_request(family, command, ifindex, seq))
}

/// One snapshot from the kernel; empty when nl80211 is missing or a dump fails.
fn read() -> Snapshot {
    let Some(family) = family() else {
        return Snapshot::default();
    };
    let Ok(answers) = dump(family, nl80211::CMD_GET_INTERFACE, None) else {
        return Snapshot::default();
    };
    let mut s =
        Snapshot { interfaces: answers.iter().filter_map(|p| nl80211::interface(p)).collect(), ..Snapshot::default() };
    if let Ok(parts) = socket::generic_dump(&|seq| nl80211_wiphy::request(family, seq)) {
        s.wiphys = nl80211_wiphy::merge(parts.iter().filter_map(|p| nl80211_wiphy::part(p)));
    }
    for i in &s.interfaces {
        if !matches!(i.iftype, Some(IFTYPE_AP | IFTYPE_STATION)) {
            continue;
        }
        if let Ok(a) = dump(family, nl80211::CMD_GET_STATION, Some(i.ifindex)) {
            s.stations.insert(i.ifindex, a.iter().filter_map(|p| nl80211::station(p)).collect());
        }
        if let Ok(a) = dump(family, nl80211::CMD_GET_SURVEY, Some(i.ifindex)) {
            s.surveys.insert(i.ifindex, a.iter().filter_map(|p| nl80211::survey(p)).collect());
        }
    }
    s
}
