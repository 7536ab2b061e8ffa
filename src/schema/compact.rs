//! The compact form of the compiled schema tables and their decoding (issue 16 item 5:
//! flash per parameter). `build.rs` writes every distinct string once into one blob
//! (`STRS`, `STR_END` the end offset of each), each parameter as a `[u16; 4]` record (name,
//! default, facet set, flags), each object as an [`Obj`], and the distinct facet sets as one
//! `u16` stream (`FACETS`, see [`facets`]) over a table of distinct bounds (`BOUNDS`): about
//! 8 bytes a parameter instead of a 32-byte `ParamSpec` with pointers and 124-byte facet
//! sets with `i128` bounds (mipsel).
//!
//! [`facets`], [`params`] and [`decode`] expand them once, at the first schema lookup, into
//! the [`Facets`], [`ParamSpec`] and [`ObjectSpec`] values the rest of the crate reads
//! (names and defaults borrow the static blob, objects their parameters; the facets' item
//! lists live as long as the program). The flag bits are those `build.rs` (`fn param`) writes: the base type in bits 0-3
//! (in [`Base`]'s declaration order), the notify attribute (TR-106 3.8.1) in bits 4-5, then
//! writable, hidden, command, forced inform, reference, deprecated and reference to a
//! parameter (pathRef targetType `parameter`).

use super::{Base, Bound, Facets, Notify, ObjectSpec, ParamSpec};
use std::borrow::Cow;

/// One compiled object: its strings by number (`num_entries`/`enable` are number + 1, 0
/// for none) and its parameters `PARAMS[first..first + count]`.
pub struct Obj {
    pub path: u16,
    pub num_entries: u16,
    pub enable: u16,
    pub first: u16,
    pub count: u16,
    pub writable: bool,
    pub multi: bool,
    pub max_entries: Option<u32>,
}

const BASES: [Base; 10] = [
    Base::Base64,
    Base::Boolean,
    Base::DateTime,
    Base::Decimal,
    Base::HexBinary,
    Base::Int,
    Base::Long,
    Base::String,
    Base::UnsignedInt,
    Base::UnsignedLong,
];

const NOTIFY: [Notify; 4] = [Notify::Normal, Notify::ForceEnabled, Notify::ForceDefaultEnabled, Notify::CanDeny];

/// String number `i` of the blob ("" if out of range: the tables are generated, so only a
/// build.rs bug could get there, and the tests would see it).
pub fn string(strs: &'static str, ends: &[impl Copy + Into<u32>], i: usize) -> &'static str {
    let end = ends.get(i).map_or(0, |e| (*e).into() as usize);
    let start = match i.checked_sub(1) {
        Some(p) => ends.get(p).map_or(0, |e| (*e).into() as usize),
        None => 0,
    };
    strs.get(start..end).unwrap_or("")
}

/// A `number + 1` string reference: `None` for 0.
fn opt_string(strs: &'static str, ends: &[impl Copy + Into<u32>], i: u16) -> Option<&'static str> {
    usize::from(i).checked_sub(1).map(|i| string(strs, ends, i))
}

fn param(strs: &'static str, ends: &[impl Copy + Into<u32>], facets: &'static [Facets], r: [u16; 4]) -> ParamSpec {
    let [name, default, facet, flags] = r;
    let bit = |n: u16| flags & (1 << n) != 0;
    ParamSpec {
        name: Cow::Borrowed(string(strs, ends, usize::from(name))),
        base: BASES.get(usize::from(flags & 0xf)).copied().unwrap_or(Base::String),
        writable: bit(6),
        facets: facets.get(usize::from(facet)).unwrap_or(&Facets::NONE),
        notify: NOTIFY.get(usize::from(flags >> 4 & 3)).copied().unwrap_or(Notify::Normal),
        hidden: bit(7),
        command: bit(8),
        forced_inform: bit(9),
        reference: bit(10),
        deprecated: bit(11),
        param_ref: bit(12),
        default: opt_string(strs, ends, default),
    }
}

/// A bound's number text (+ 1, 0: none) as a number.
fn number(strs: &'static str, ends: &[impl Copy + Into<u32>], i: u16) -> Option<i128> {
    opt_string(strs, ends, i).and_then(|s| s.parse().ok())
}

/// The facet sets of the `u16` stream build.rs writes (`fn facets`): per set a head (bit 0:
/// list; bit 1 + n: list n present, in the order listsize, items, size, range, enums,
/// enumro, patterns), then each present list's length and items (numbers in `bounds`, then
/// string numbers). The item lists are allocated once and never freed (called once per
/// process from [`super::objects`]).
pub fn facets(strs: &'static str, ends: &[impl Copy + Into<u32>], bounds: &[[u16; 3]], stream: &[u16]) -> Vec<Facets> {
    // First pass: every list's items into two arrays, each list as a range of one of them.
    let mut all_bounds: Vec<Bound> = Vec::new();
    let mut all_strs: Vec<&'static str> = Vec::new();
    let mut sets: Vec<(bool, [core::ops::Range<usize>; 7])> = Vec::new();
    let mut words = stream.iter().copied();
    while let Some(head) = words.next() {
        let mut ranges: [core::ops::Range<usize>; 7] = Default::default();
        for (n, range) in ranges.iter_mut().enumerate() {
            if head & (2 << n) == 0 {
                continue;
            }
            let len = usize::from(words.next().unwrap_or(0));
            let items = words.by_ref().take(len);
            *range = if n < 4 {
                let start = all_bounds.len();
                all_bounds.extend(items.map(|b| {
                    let [min, max, step] = bounds.get(usize::from(b)).copied().unwrap_or_default();
                    Bound {
                        min: number(strs, ends, min),
                        max: number(strs, ends, max),
                        step: number(strs, ends, step).unwrap_or(1),
                    }
                }));
                start..all_bounds.len()
            } else {
                let start = all_strs.len();
                all_strs.extend(items.map(|s| string(strs, ends, usize::from(s))));
                start..all_strs.len()
            };
        }
        sets.push((head & 1 != 0, ranges));
    }
    let all_bounds: &'static [Bound] = Box::leak(all_bounds.into_boxed_slice());
    let all_strs: &'static [&'static str] = Box::leak(all_strs.into_boxed_slice());
    let b = |r: &core::ops::Range<usize>| all_bounds.get(r.clone()).unwrap_or(&[]);
    let s = |r: &core::ops::Range<usize>| all_strs.get(r.clone()).unwrap_or(&[]);
    sets.iter()
        .map(|(list, [listsize, items, size, range, enums, enumro, patterns])| Facets {
            list: *list,
            listsize: b(listsize),
            items: b(items),
            size: b(size),
            range: b(range),
            enums: s(enums),
            enumro: s(enumro),
            patterns: s(patterns),
        })
        .collect()
}

/// Expands the parameter records, in table order.
pub fn params(
    strs: &'static str,
    ends: &[impl Copy + Into<u32>],
    facets: &'static [Facets],
    records: &[[u16; 4]],
) -> Vec<ParamSpec> {
    records.iter().map(|r| param(strs, ends, facets, *r)).collect()
}

/// Expands the object records, in table order; each borrows its parameters from `params`
/// (what [`params`] expanded), so that cloning an object stays cheap.
pub fn decode(
    strs: &'static str,
    ends: &[impl Copy + Into<u32>],
    params: &'static [ParamSpec],
    objects: &[Obj],
) -> Vec<ObjectSpec> {
    objects
        .iter()
        .map(|o| {
            let first = usize::from(o.first);
            ObjectSpec {
                path: Cow::Borrowed(string(strs, ends, usize::from(o.path))),
                writable: o.writable,
                multi: o.multi,
                max_entries: o.max_entries,
                num_entries: opt_string(strs, ends, o.num_entries),
                enable: opt_string(strs, ends, o.enable),
                params: Cow::Borrowed(params.get(first..first.saturating_add(usize::from(o.count))).unwrap_or(&[])),
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn records_decode() {
        static FACETS: [Facets; 1] = [Facets::NONE];
        let strs = "Device.X.EnableNumberOfEntries1";
        let ends: &[u16] = &[9, 15, 30, 31];
        // Enable: boolean (1), canDeny (3 << 4), writable, forced inform; default "1".
        let flags = 1 | 3 << 4 | 1 << 6 | 1 << 9;
        let objects = [Obj {
            path: 0,
            num_entries: 3,
            enable: 2,
            first: 0,
            count: 2,
            writable: true,
            multi: false,
            max_entries: Some(4),
        }];
        let params = params(strs, ends, &FACETS, &[[1, 4, 0, flags], [2, 0, 7, 7 | 1 << 11]]);
        let out = decode(strs, ends, Box::leak(params.into_boxed_slice()), &objects);
        let o = out.first().unwrap();
        assert_eq!((o.path.as_ref(), o.num_entries, o.enable), ("Device.X.", Some("NumberOfEntries"), Some("Enable")));
        assert_eq!((o.writable, o.multi, o.max_entries), (true, false, Some(4)));
        let p = o.param("Enable").unwrap();
        assert_eq!((p.base, p.notify, p.default), (Base::Boolean, Notify::CanDeny, Some("1")));
        assert!(p.writable && p.forced_inform && !p.hidden && !p.command && !p.reference && !p.deprecated);
        let q = o.param("NumberOfEntries").unwrap();
        assert_eq!((q.base, q.default, q.deprecated, q.writable), (Base::String, None, true, false));
        assert_eq!(q.facets, &Facets::NONE, "a facet number out of range is no facet");
    }

    #[test]
    fn facet_sets_decode() {
        let strs = "-164ab";
        let ends: &[u16] = &[2, 3, 4, 5, 6];
        let bounds = [[1, 3, 0], [0, 0, 2]]; // -1..4, ../6
                                             // A list (bit 0) with listsize (bit 1) -1..4 and enums (bit 5) a, b; then a set
                                             // with range (bit 4) -1..4, ../6.
        let stream = [1 | 2 | 32, 1, 0, 2, 3, 4, 16, 2, 0, 1];
        let f = facets(strs, ends, &bounds, &stream);
        assert_eq!(f.len(), 2);
        let [a, b] = [&f[0], &f[1]];
        assert!(a.list && a.items.is_empty() && a.size.is_empty() && a.range.is_empty());
        assert_eq!(a.listsize, &[Bound { min: Some(-1), max: Some(4), step: 1 }]);
        assert_eq!((a.enums, a.enumro, a.patterns), (&["a", "b"][..], &[][..], &[][..]));
        assert!(!b.list && b.listsize.is_empty() && b.enums.is_empty());
        assert_eq!(b.range, &[Bound { min: Some(-1), max: Some(4), step: 1 }, Bound { min: None, max: None, step: 6 }]);
    }
}
