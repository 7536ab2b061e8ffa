//! Large list answers streamed from the tree (TR-069 Amd 6 A.3.2.2 GetParameterValues,
//! A.3.2.3 GetParameterNames with NextLevel false): every requested name is resolved first
//! (so a bad name is still a clean fault), the items are counted (the SOAP array carries
//! its size), then [`Model::listing_body`] encodes them while the HTTP body is written.
//!
//! A parameter that appears or vanishes between the count and the write makes the count
//! differ by that much; both passes read the same tree within milliseconds.

use super::cursor::Cursor;
use super::walk::{Item, Target};
use super::Model;
use crate::cwmp::rpc::{Envelope, Fault};
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

impl Model {
    fn plan(&self, targets: Vec<Target>, values: bool) -> Listing {
        let mut cursor = Cursor::over(self, targets.clone(), values);
        let mut count = 0;
        while cursor.next().is_some() {
            count += 1;
        }
        Listing { targets, values, count }
    }

    /// Plans a streamed GetParameterValuesResponse.
    pub fn plan_values(&self, names: &[String]) -> Result<Listing, Fault> {
        let targets = names.iter().map(|n| self.resolve(n)).collect::<Result<Vec<_>, _>>()?;
        Ok(self.plan(targets, true))
    }

    /// Plans a streamed GetParameterNamesResponse for NextLevel false.
    pub fn plan_names(&self, path: &str) -> Result<Listing, Fault> {
        let target = self.resolve(path)?;
        Ok(self.plan(vec![target], false))
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
