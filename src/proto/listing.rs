//! An owned snapshot of a GetParameterValues or GetParameterNames answer (TR-069 Amd 6
//! A.3.2.2, A.3.2.3): taken by the data-model engine in one walk, so the array size the
//! response announces (`arrayType="cwmp:ParameterValueStruct[N]"`) and the structs it
//! carries always agree, and every value is read once per answer.
//!
//! It borrows nothing (`Send + 'static`): the engine's thread takes it, another thread may
//! encode it ([`crate::proto::soap::stream`]) while the HTTP body is written. Compact: names and
//! values live in text chunks of 4 KiB growing to 64 KiB (filled, never reallocated, so
//! taking a large answer does not copy it over and over); an entry is two offsets, a type
//! and a flag (12 bytes).

use super::rpc::{Body, ParameterInfoStruct, ParameterValueStruct, ValueType};

/// Which answer a listing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// GetParameterValuesResponse: names, values and their types.
    Values,
    /// GetParameterNamesResponse: names and whether each is writable.
    Names,
}

/// Size of a text chunk (a longer entry gets a chunk of its own size).
const CHUNK: usize = 64 * 1024;
/// Size of the first chunk; each next one is twice as large, up to [`CHUNK`].
const FIRST_CHUNK: usize = 4 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// End of the name in its chunk; the name starts where the previous entry of the same
    /// chunk ends (at 0 for the chunk's first entry).
    name_end: u32,
    /// End of the value (equal to `name_end` for a names listing).
    value_end: u32,
    value_type: ValueType,
    writable: bool,
}

/// One entry, borrowed from its listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub name: &'a str,
    /// Empty in a names listing.
    pub value: &'a str,
    pub value_type: ValueType,
    /// Always false in a values listing.
    pub writable: bool,
}

/// Where [`Listing::read`] is: the next entry, its chunk and where its text starts.
/// `ReadAt::default()` is the first entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadAt {
    next: usize,
    chunk: usize,
    start: u32,
}

/// One entry of 4 GiB or more: the answer is refused (9004) rather than cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// The snapshot: the entries of one answer, in the order they are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    kind: ListKind,
    chunks: Vec<String>,
    /// Index of the first entry of each chunk.
    chunk_starts: Vec<usize>,
    entries: Vec<Entry>,
}

impl AsRef<Listing> for Listing {
    fn as_ref(&self) -> &Listing {
        self
    }
}

impl Listing {
    pub fn new(kind: ListKind) -> Listing {
        Listing { kind, chunks: Vec::new(), chunk_starts: Vec::new(), entries: Vec::new() }
    }

    pub fn kind(&self) -> ListKind {
        self.kind
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of names and values held.
    pub fn text_len(&self) -> usize {
        self.chunks.iter().map(String::len).sum()
    }

    /// Appends an entry whose name is `name[0]` followed by `name[1]` and whose value is
    /// `value` (empty for a name).
    fn push(&mut self, name: [&str; 2], value: &str, value_type: ValueType, writable: bool) -> Result<(), TooLarge> {
        let [object, param] = name;
        let need = object.len().saturating_add(param.len()).saturating_add(value.len());
        let fits = self.chunks.last().is_some_and(|c| c.len().saturating_add(need) <= c.capacity());
        if !fits {
            // Small answers stay small: 4 KiB first, doubling up to CHUNK.
            let size = FIRST_CHUNK.checked_shl(u32::try_from(self.chunks.len()).unwrap_or(u32::MAX)).unwrap_or(CHUNK);
            self.chunks.push(String::with_capacity(need.max(size.min(CHUNK))));
            self.chunk_starts.push(self.entries.len());
        }
        let chunk = self.chunks.last_mut().ok_or(TooLarge)?;
        chunk.push_str(object);
        chunk.push_str(param);
        let name_end = u32::try_from(chunk.len()).map_err(|_| TooLarge)?;
        chunk.push_str(value);
        let value_end = u32::try_from(chunk.len()).map_err(|_| TooLarge)?;
        self.entries.push(Entry { name_end, value_end, value_type, writable });
        Ok(())
    }

    /// Appends a GetParameterValues entry.
    pub fn push_value(&mut self, name: &str, value: &str, value_type: ValueType) -> Result<(), TooLarge> {
        self.push([name, ""], value, value_type, false)
    }

    /// Appends a GetParameterValues entry named `object` followed by `param` (an object's
    /// name and a parameter's), without joining them first.
    pub fn push_value_at(
        &mut self,
        object: &str,
        param: &str,
        value: &str,
        value_type: ValueType,
    ) -> Result<(), TooLarge> {
        self.push([object, param], value, value_type, false)
    }

    /// Appends a GetParameterNames entry.
    pub fn push_name(&mut self, name: &str, writable: bool) -> Result<(), TooLarge> {
        self.push([name, ""], "", ValueType::String, writable)
    }

    /// Entry `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<EntryRef<'_>> {
        let e = self.entries.get(i)?;
        let c = self.chunk_starts.partition_point(|&s| s <= i).checked_sub(1)?;
        let text = self.chunks.get(c)?;
        let start = match self.chunk_starts.get(c) {
            Some(&first) if first == i => 0,
            _ => self.entries.get(i.checked_sub(1)?)?.value_end,
        };
        let (start, name_end, value_end) = (start as usize, e.name_end as usize, e.value_end as usize);
        Some(EntryRef {
            name: text.get(start..name_end)?,
            value: text.get(name_end..value_end)?,
            value_type: e.value_type,
            writable: e.writable,
        })
    }

    /// The entry at `at` and `at` moved to the next one: reading in order finds each entry's
    /// text without a search (what the streamed response does).
    pub fn read(&self, at: &mut ReadAt) -> Option<EntryRef<'_>> {
        let e = self.entries.get(at.next)?;
        if self.chunk_starts.get(at.chunk.wrapping_add(1)) == Some(&at.next) {
            at.chunk += 1;
            at.start = 0;
        }
        let text = self.chunks.get(at.chunk)?;
        let (start, name_end, value_end) = (at.start as usize, e.name_end as usize, e.value_end as usize);
        let entry = EntryRef {
            name: text.get(start..name_end)?,
            value: text.get(name_end..value_end)?,
            value_type: e.value_type,
            writable: e.writable,
        };
        at.next += 1;
        at.start = e.value_end;
        Some(entry)
    }

    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> + '_ {
        let mut at = ReadAt::default();
        core::iter::from_fn(move || self.read(&mut at))
    }

    /// The entries as typed `ParameterValueStruct`s (a values listing).
    pub fn value_structs(&self) -> Vec<ParameterValueStruct> {
        let to = |e: EntryRef<'_>| ParameterValueStruct {
            name: e.name.to_string(),
            value: e.value.to_string(),
            value_type: Some(e.value_type),
        };
        self.iter().map(to).collect()
    }

    /// The entries as typed `ParameterInfoStruct`s (a names listing).
    pub fn info_structs(&self) -> Vec<ParameterInfoStruct> {
        self.iter().map(|e| ParameterInfoStruct { name: e.name.to_string(), writable: e.writable }).collect()
    }

    /// The response body with an empty list: what a session records for the answer while
    /// the listing itself is encoded into the envelope ([`crate::proto::soap::stream`]).
    pub fn empty_response(&self) -> Body {
        match self.kind {
            ListKind::Values => Body::GetParameterValuesResponse { parameter_list: Vec::new() },
            ListKind::Names => Body::GetParameterNamesResponse { parameter_list: Vec::new() },
        }
    }

    /// The whole typed response body.
    pub fn to_response(&self) -> Body {
        match self.kind {
            ListKind::Values => Body::GetParameterValuesResponse { parameter_list: self.value_structs() },
            ListKind::Names => Body::GetParameterNamesResponse { parameter_list: self.info_structs() },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_as_pushed() {
        let mut l = Listing::new(ListKind::Values);
        l.push_value("Device.A", "1", ValueType::UnsignedInt).unwrap();
        l.push_value("Device.B", "", ValueType::String).unwrap();
        l.push_value("Device.C", "x<y", ValueType::String).unwrap();
        let names: Vec<(&str, &str)> = l.iter().map(|e| (e.name, e.value)).collect();
        assert_eq!(names, [("Device.A", "1"), ("Device.B", ""), ("Device.C", "x<y")]);
        assert_eq!(l.get(0).unwrap().value_type, ValueType::UnsignedInt);
        assert!(l.get(3).is_none());
        let mut n = Listing::new(ListKind::Names);
        n.push_name("Device.", false).unwrap();
        n.push_name("Device.X.1.", true).unwrap();
        assert_eq!(n.info_structs()[1], ParameterInfoStruct { name: "Device.X.1.".into(), writable: true });
        assert!(
            matches!(n.empty_response(), Body::GetParameterNamesResponse { parameter_list } if parameter_list.is_empty())
        );
    }

    #[test]
    fn entries_across_chunks_and_one_larger_than_a_chunk() {
        let mut l = Listing::new(ListKind::Values);
        let big = "x".repeat(CHUNK + 10);
        for i in 0..5000 {
            let value = if i == 2500 { big.as_str() } else { "v" };
            l.push_value(&format!("Device.A.{i}.Name"), value, ValueType::String).unwrap();
        }
        assert!(l.chunks.len() > 2, "{} chunks", l.chunks.len());
        for (i, e) in l.iter().enumerate() {
            assert_eq!(e.name, format!("Device.A.{i}.Name"));
            assert_eq!(e.value.len(), if i == 2500 { CHUNK + 10 } else { 1 });
        }
        assert_eq!(l.iter().count(), 5000);
        assert!(l.chunks.iter().all(|c| c.capacity() <= CHUNK + 10 + 32), "a chunk grew past its size");
    }

    #[test]
    fn entry_is_small_and_listing_is_sendable() {
        fn sendable<T: Send + 'static>() {}
        sendable::<Listing>();
        assert!(core::mem::size_of::<Entry>() <= 12);
    }
}
