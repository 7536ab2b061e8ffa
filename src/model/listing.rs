//! Large list answers streamed from the tree (TR-069 Amd 6 A.3.2.2 GetParameterValues,
//! A.3.2.3 GetParameterNames with NextLevel false): every requested name is resolved first
//! (so a bad name is still a clean fault), the items are counted (the SOAP array carries
//! its size) in a walk that also builds a small answer whole, then, for a large one,
//! [`Model::listing_body`] encodes the items while the HTTP body is written.
//!
//! A parameter that appears or vanishes between the count and the write makes the count
//! differ by that much; both passes read the same tree within milliseconds.

use super::cursor::Cursor;
use super::walk::{Item, Target};
use super::Model;
use crate::cwmp::rpc::{Body, Envelope, Fault};
use crate::soap::stream::{self, ListBody};

/// A resolved list request, ready to stream.
#[derive(Debug, Clone)]
pub struct Listing {
    targets: Vec<Target>,
    values: bool,
    count: usize,
}

impl Listing {
    pub fn count(&self) -> usize {
        self.count
    }
}

/// What a planned list request turned out to be.
#[derive(Debug)]
pub enum Planned {
    /// Fewer entries than the streaming threshold: the whole response, built in the same
    /// walk that counted them.
    Answer(Body),
    /// To be streamed with [`Model::listing_body`].
    Stream(Listing),
}

impl Model {
    /// One walk: counts the entries, keeping them while there are fewer than `stream_from`.
    fn plan(&self, targets: Vec<Target>, values: bool, stream_from: usize) -> Planned {
        let mut cursor = Cursor::over(self, targets.clone(), values);
        let (mut count, mut kept_values, mut kept_infos) = (0, Vec::new(), Vec::new());
        while let Some(item) = cursor.next() {
            if count < stream_from {
                match item {
                    Item::Param { place, spec, value, .. } if values => {
                        kept_values.push(super::read::value_struct(place, spec, value));
                    }
                    item => kept_infos.push(self.info(&item)),
                }
            }
            count += 1;
        }
        match (count < stream_from, values) {
            (true, true) => Planned::Answer(Body::GetParameterValuesResponse { parameter_list: kept_values }),
            (true, false) => Planned::Answer(Body::GetParameterNamesResponse { parameter_list: kept_infos }),
            (false, _) => Planned::Stream(Listing { targets, values, count }),
        }
    }

    /// Plans a GetParameterValuesResponse: streamed from `stream_from` entries on.
    pub fn plan_values(&self, names: &[String], stream_from: usize) -> Result<Planned, Fault> {
        let targets = names.iter().map(|n| self.resolve(n)).collect::<Result<Vec<_>, _>>()?;
        Ok(self.plan(targets, true, stream_from))
    }

    /// Plans a GetParameterNamesResponse for NextLevel false: streamed from `stream_from` on.
    pub fn plan_names(&self, path: &str, stream_from: usize) -> Result<Planned, Fault> {
        let target = self.resolve(path)?;
        Ok(self.plan(vec![target], false, stream_from))
    }

    /// The response body for `listing` inside `env` (whose list response is empty and
    /// gives the namespace and header). `None` if `env` is not a list response.
    pub fn listing_body<'m>(&'m self, listing: &Listing, env: &Envelope) -> Option<impl std::io::Read + 'm> {
        let (prefix, suffix) = stream::list_parts(env, listing.count)?;
        let mut cursor = Cursor::over(self, listing.targets.clone(), listing.values);
        let values = listing.values;
        Some(ListBody::new(prefix, suffix, move |out| match cursor.next() {
            None => false,
            Some(Item::Param { place, spec, value, .. }) if values => {
                stream::value_struct_into(out, &super::read::value_struct(place, spec, value));
                true
            }
            Some(item) => {
                stream::info_struct_into(out, &self.info(&item));
                true
            }
        }))
    }
}
