//! Which key and key ID an authenticated IPLayerCapacityMetrics test uses (TR-181 Issue 2
//! Amd 19, the description of `Device.IP.Diagnostics.IPLayerCapacityMetrics.`): from
//! AuthenticationCode, AuthenticationAlias, AuthenticationKeyFileLocation and the
//! `IPLayerCapacityAuthCode.{i}.` rows.
//!
//! | Code | Alias | File | key, key ID |
//! |------|-------|------|-------------|
//! | yes  | -     | -    | Code, 0 (the reference's default key ID) |
//! | yes  | yes   | -    | Code, Alias |
//! | -    | yes   | -    | the row whose Alias it is: its AuthenticationKey, Alias (no row: error) |
//! | -    | yes   | yes  | the file's entry with ID Alias (none: error) |
//! | -    | -     | yes  | the file's only entry (not exactly one: error) |
//!
//! Any other combination is an error. The protocol's key ID is a number (0-255): an alias
//! used as key ID is that number, or when it does not read as one (an Alias starts with a
//! letter) the decimal digits it ends with (`key-3`: 3). All errors end the test in
//! `Error_Other`: they are the ACS's inputs, not a fault of the agent (Error_Internal); an
//! unreadable key file too (its location is an input). No key is ever put in a message.

use crate::proto::diag::udpst_auth::Auth;
use crate::proto::diag::udpst_keys::{parse_key_file, KeyEntry};

/// The key ID an alias names.
pub fn key_id(alias: &str) -> Option<u8> {
    if let Ok(id) = alias.parse() {
        return Some(id);
    }
    let start = alias.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    alias.get(start..).filter(|d| !d.is_empty())?.parse().ok()
}

/// The inputs of the choice; `read_file` reads the key file (IO stays with the caller).
pub struct Inputs<'a> {
    pub code: &'a str,
    pub alias: &'a str,
    pub file: &'a str,
    /// `IPLayerCapacityAuthCode.{i}.`: (Alias, AuthenticationKey).
    pub table: &'a [(String, String)],
}

impl core::fmt::Debug for Inputs<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inputs").field("alias", &self.alias).field("file", &self.file).finish_non_exhaustive()
    }
}

/// The key and key ID to use, or why there is none (a message without the key).
pub fn select(i: &Inputs<'_>, read_file: impl Fn(&str) -> Option<String>) -> Result<Auth, &'static str> {
    let id = || key_id(i.alias).ok_or("AuthenticationAlias is not a key ID");
    let from_file = || -> Result<Vec<KeyEntry>, &'static str> {
        let text = read_file(i.file).ok_or("the key file cannot be read")?;
        parse_key_file(&text).map_err(|_| "the key file is invalid")
    };
    match (!i.code.is_empty(), !i.alias.is_empty(), !i.file.is_empty()) {
        (true, false, false) => Ok(Auth { key: i.code.as_bytes().to_vec(), key_id: 0 }),
        (true, true, false) => Ok(Auth { key: i.code.as_bytes().to_vec(), key_id: id()? }),
        (false, true, false) => {
            let (_, key) =
                i.table.iter().find(|(a, _)| a == i.alias).ok_or("AuthenticationAlias is not in the table")?;
            Ok(Auth { key: key.as_bytes().to_vec(), key_id: id()? })
        }
        (false, true, true) => {
            let id = id()?;
            let e = from_file()?.into_iter().find(|e| e.id == id).ok_or("the key file has no such key ID")?;
            Ok(Auth { key: e.key, key_id: e.id })
        }
        (false, false, true) => match from_file()?.as_slice() {
            [e] => Ok(Auth { key: e.key.clone(), key_id: e.id }),
            _ => Err("the key file has not exactly one entry"),
        },
        _ => Err("no valid combination of AuthenticationCode, Alias and KeyFileLocation"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn inputs<'a>(code: &'a str, alias: &'a str, file: &'a str, table: &'a [(String, String)]) -> Inputs<'a> {
        Inputs { code, alias, file, table }
    }

    fn files(path: &str) -> Option<String> {
        match path {
            "/one" => Some("# one\n5,filekey\n".into()),
            "/two" => Some("5,five\n6,six\n".into()),
            "/bad" => Some("5\n".into()),
            _ => None,
        }
    }

    fn ok(r: Result<Auth, &'static str>) -> (String, u8) {
        let a = r.unwrap();
        (String::from_utf8(a.key).unwrap(), a.key_id)
    }

    #[test]
    fn key_ids_of_aliases() {
        assert_eq!(key_id("7"), Some(7));
        assert_eq!(key_id("key-12"), Some(12));
        assert_eq!(key_id("cpe-255"), Some(255));
        assert_eq!(key_id("key-256"), None);
        assert_eq!(key_id("key"), None);
        assert_eq!(key_id(""), None);
    }

    #[test]
    fn each_combination_of_the_spec() {
        let table = [("key-3".to_string(), "rowkey".to_string())];
        let t = &table[..];
        assert_eq!(ok(select(&inputs("code", "", "", t), files)), ("code".into(), 0));
        assert_eq!(ok(select(&inputs("code", "key-3", "", t), files)), ("code".into(), 3));
        assert_eq!(ok(select(&inputs("", "key-3", "", t), files)), ("rowkey".into(), 3));
        assert_eq!(ok(select(&inputs("", "6", "/two", t), files)), ("six".into(), 6));
        assert_eq!(ok(select(&inputs("", "", "/one", t), files)), ("filekey".into(), 5));
    }

    #[test]
    fn errors_of_the_spec() {
        let table = [("key-3".to_string(), "rowkey".to_string())];
        let t = &table[..];
        let err = |code, alias, file| select(&inputs(code, alias, file, t), files).unwrap_err();
        assert_eq!(err("", "key-4", ""), "AuthenticationAlias is not in the table");
        assert_eq!(err("", "", "/two"), "the key file has not exactly one entry");
        assert_eq!(err("", "", "/bad"), "the key file is invalid");
        assert_eq!(err("", "", "/none"), "the key file cannot be read");
        assert_eq!(err("", "7", "/two"), "the key file has no such key ID");
        assert_eq!(err("", "", ""), "no valid combination of AuthenticationCode, Alias and KeyFileLocation");
        assert_eq!(err("code", "", "/one"), "no valid combination of AuthenticationCode, Alias and KeyFileLocation");
        assert_eq!(err("code", "word", ""), "AuthenticationAlias is not a key ID");
    }
}
