//! fw4 rule set matches as TR-181 Device:2.19 `Firewall.Chain.{i}.Rule.{i}.`
//! SourceMatchSet, SourceMatchSetExclude, DestMatchSet, DestMatchSetExclude: references to
//! `Firewall.Set.{i}.` rows (fw4 `ipset` sections). A rule's `ipset` option names a set by
//! its `name`, optionally followed by the direction (`blocked src`); `!` negates it (the
//! Exclude parameters). Without a direction word the set's own `match` (`src_ip`,
//! `dest_net`...) tells it. The codec argument is the parameter's direction, `src` or
//! `dest`, with `!` for the Exclude one.
//!
//! Reading: the set's row when the rule's match is of this parameter's direction and
//! negation, else no reference (the criterion is not used); absent when the set is unknown
//! or its direction cannot be told. Writing a reference makes the rule match that set in
//! this direction (replacing its one `ipset` match); writing no reference removes the match
//! only when it is this parameter's.

use super::{invalid, set, Edit, View};
use crate::backend::uci::doc::Section;
use crate::hal::{Reference, Result, Value};

/// The table of the sets.
pub const SET_TABLE: &str = "Device.Firewall.Set.{i}.";

/// (negated, set name, explicit direction) of an `ipset` option.
fn parse(value: &str) -> Option<(bool, &str, Option<&str>)> {
    let negated = value.starts_with('!');
    let mut words = value.trim_start_matches('!').split_whitespace();
    let name = words.next()?;
    Some((negated, name, words.next()))
}

/// The `ipset` section named `name`.
fn set_named<'a>(view: &View<'a>, name: &str) -> Option<Section<'a>> {
    let doc = view.get("firewall")?;
    doc.sections().into_iter().find(|s| s.kind == "ipset" && s.option("name") == Some(name))
}

/// `src` or `dest`: the explicit word, else the direction of the set's `match`.
fn direction<'a>(explicit: Option<&'a str>, set: &Section<'a>) -> Option<&'a str> {
    let word = match explicit {
        Some(w) => w,
        None => set.option("match")?.split('_').next()?,
    };
    ["src", "dest"].contains(&word).then_some(word)
}

/// The reference `want` (`src`, `!src`, `dest`, `!dest`) reads for the rule's `ipset`.
pub fn read(view: &View, value: Option<&str>, want: &str) -> Option<Value> {
    let none = Some(Value::Refs(Vec::new()));
    let Some((negated, name, explicit)) = value.and_then(parse) else { return none };
    let set = set_named(view, name)?;
    let dir = direction(explicit, &set)?;
    if negated == want.starts_with('!') && dir == want.trim_start_matches('!') {
        Some(Value::row(SET_TABLE, set.id))
    } else {
        none
    }
}

/// The edits that make the rule's `ipset` option read `refs` for `want` (module doc).
pub fn write(view: &View, section: &Section, option: &str, want: &str, refs: &[Reference]) -> Result<Vec<Edit>> {
    match refs {
        [] => {
            let current = read(view, section.option(option), want);
            let mine = matches!(current, Some(Value::Refs(r)) if !r.is_empty());
            Ok(if mine { vec![Edit::Delete(option.to_string())] } else { Vec::new() })
        }
        [Reference::Row { table, key, .. }] if table == SET_TABLE => {
            let doc = view.get("firewall").ok_or_else(|| invalid("no firewall configuration"))?;
            let name = doc.section(key).filter(|s| s.kind == "ipset").and_then(|s| s.option("name"));
            let name = name.ok_or_else(|| invalid(format!("set {key} has no name")))?;
            let negated = if want.starts_with('!') { "!" } else { "" };
            Ok(set(option, format!("{negated}{name} {}", want.trim_start_matches('!'))))
        }
        _ => Err(invalid(format!("reference to {SET_TABLE} expected"))),
    }
}
