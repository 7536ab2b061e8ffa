//! Map codec `row-of(<nested table>[,<overriding option>])`: an option naming a UCI section
//! whose own row of a `rows=parent` nested table is the reference (TR-106 pathRef to a nested
//! row, [`Reference::Nested`] keyed `[section, section]`), e.g. 6rd's `tunlink` -> the
//! `IP.Interface.{i}.IPv4Address.{i}.` row of that interface (TR-181 Device:2.19
//! IPv6rd.InterfaceSetting.{i}.AddressSource: the WAN address 6rd.sh takes as its local
//! endpoint). While the overriding option is set (6rd's `ipaddr`, an address given outright)
//! the reference is absent; writing a row sets the option and removes the override; writing
//! nothing removes the option.

use super::{invalid, Edit};
use crate::backend::uci::doc::{valid_name, Section};
use crate::hal::{Reference, Result, Value};

/// `table[,override]`.
fn split(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once(',') {
        Some((table, over)) => (table, Some(over)),
        None => (arg, None),
    }
}

pub fn read(section: &Section, option: &str, arg: &str) -> Option<Value> {
    let (table, over) = split(arg);
    if over.is_some_and(|o| section.option(o).is_some()) {
        return None;
    }
    let owner = section.option(option).filter(|v| !v.is_empty())?;
    Some(Value::nested(table, &[owner, owner]))
}

pub fn write(option: &str, arg: &str, refs: &[Reference]) -> Result<Vec<Edit>> {
    let (table, over) = split(arg);
    let mut edits = match refs {
        [] => vec![Edit::Delete(option.to_string())],
        [Reference::Nested { table: t, keys, .. }] if t == table => match keys.as_slice() {
            [parent, row] if parent == row && valid_name(row) => vec![Edit::Set(option.to_string(), row.clone())],
            _ => return Err(invalid(format!("{option}: an interface's own row of {table} expected"))),
        },
        _ => return Err(invalid(format!("reference to {table} expected"))),
    };
    if let Some(o) = over.filter(|_| !refs.is_empty()) {
        edits.push(Edit::Delete(o.to_string()));
    }
    Ok(edits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::backend::uci::doc::Doc;

    const T: &str = "Device.IP.Interface.{i}.IPv4Address.{i}.";

    #[test]
    fn reads_the_named_sections_row_unless_overridden() {
        let doc = Doc::parse(
            "config interface 'a'\n\toption tunlink 'wan'\n\nconfig interface 'b'\n\toption tunlink 'wan'\n\
             \toption ipaddr '192.0.2.1'\n\nconfig interface 'c'\n",
        )
        .unwrap();
        let arg = format!("{T},ipaddr");
        let r = |k: &str| read(&doc.section(k).unwrap(), "tunlink", &arg).map(|v| v.to_string());
        assert_eq!(r("a"), Some(format!("@ref({T}|wan|wan)")));
        assert_eq!((r("b"), r("c")), (None, None));
    }

    #[test]
    fn writes_the_section_name_and_drops_the_override() {
        let arg = format!("{T},ipaddr");
        let row = |a: &str, b: &str| Reference::Nested { table: T.into(), keys: vec![a.into(), b.into()], dot: false };
        let e = write("tunlink", &arg, &[row("wan", "wan")]).unwrap();
        assert_eq!(e, vec![Edit::Set("tunlink".into(), "wan".into()), Edit::Delete("ipaddr".into())]);
        assert_eq!(write("tunlink", &arg, &[]).unwrap(), vec![Edit::Delete("tunlink".into())]);
        assert!(write("tunlink", &arg, &[row("wan", "lan")]).is_err());
        assert!(write("tunlink", &arg, &[Reference::Row { table: T.into(), key: "wan".into(), dot: false }]).is_err());
    }
}
