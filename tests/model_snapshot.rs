//! One snapshot per GetParameterValues/GetParameterNames answer (TR-069 Amd 6 A.3.2.2,
//! A.3.2.3): against a test double whose table changes size on every call, the array size
//! announced in `arrayType` equals the number of structs in the encoded XML, for a small
//! answer (encoded whole) and a large one (streamed), and every value is read once.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::hal::{Backend, Location, Result, Value};
use cwmpd::model::Model;
use cwmpd::model::ModelState;
use cwmpd::proto::listing::Listing;
use cwmpd::proto::rpc::{Envelope, Header};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::Read;
use std::rc::Rc;

const TABLE: &str = "Device.Users.User.{i}.";
const PARAMS: &[&str] = &["Enable", "Username", "Password", "UserID"];

/// Test double: a user table whose size cycles through `sizes` on every `instances` call (a platform table changing under the walk), counting `get` calls.
#[derive(Debug, Clone)]
struct ChurningTableDouble {
    sizes: [usize; 3],
    calls: Rc<Cell<usize>>,
    reads: Rc<RefCell<BTreeMap<(String, String), usize>>>,
}

impl Backend for ChurningTableDouble {
    fn name(&self) -> &str {
        "churning-double"
    }
    fn serves(&self, object: &str) -> bool {
        object == TABLE
    }
    fn parameters(&self, object: &str) -> Vec<String> {
        if object == TABLE {
            PARAMS.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        }
    }
    fn instances(&self, _at: &Location) -> Result<Vec<String>> {
        let n = self.calls.get();
        self.calls.set(n + 1);
        let rows = self.sizes.get(n % 3).copied().unwrap_or(0);
        Ok((0..rows).map(|i| format!("u{i}")).collect())
    }
    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key().unwrap_or("").to_string();
        *self.reads.borrow_mut().entry((key.clone(), param.to_string())).or_default() += 1;
        Ok(match param {
            "Enable" => Some("true".into()),
            "UserID" => Some("7".into()),
            "Username" | "Password" => Some(Value::Text(key)),
            _ => None,
        })
    }
}

fn model(sizes: [usize; 3]) -> (Model, ChurningTableDouble) {
    let double = ChurningTableDouble { sizes, calls: Rc::default(), reads: Rc::default() };
    let cfg = engine_support::config();
    let state = ModelState::default();
    let mut m = Model::new(
        Box::new(AgentBackend::new(&cfg, Identity::from_host(&cfg, std::path::Path::new("/nonexistent")), "/".into())),
        &state,
    );
    m.add_backend(Box::new(double.clone()), &state);
    (m, double)
}

/// The envelope as the agent sends it: whole below 512 entries, streamed from there on.
fn encoded(listing: &Listing) -> String {
    let env = Envelope {
        namespace: Default::default(),
        header: Header { id: Some("1".into()), ..Header::default() },
        body: listing.empty_response(),
    };
    if listing.len() < 512 {
        return cwmpd::proto::soap::stream::encode_listing(&env, listing).unwrap();
    }
    let mut out = String::new();
    cwmpd::proto::soap::stream::listing_body(&env, listing).unwrap().read_to_string(&mut out).unwrap();
    out
}

/// The size `arrayType` announces and the number of structs of `tag`.
fn announced_and_sent(xml: &str, tag: &str) -> (usize, usize) {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let list = doc.descendants().find(|n| n.has_tag_name("ParameterList")).unwrap();
    let array_type = list.attributes().find(|a| a.name() == "arrayType").map(|a| a.value().to_string()).unwrap();
    let inner = array_type.strip_prefix(&format!("cwmp:{tag}[")).unwrap().strip_suffix(']').unwrap();
    let sent = list.children().filter(|n| n.has_tag_name(tag)).count();
    (inner.parse().unwrap(), sent)
}

fn check(sizes: [usize; 3], streamed: bool) {
    let (m, double) = model(sizes);
    let mut lengths = Vec::new();
    for _ in 0..3 {
        double.reads.borrow_mut().clear();
        let values = m.parameter_values(&["Device.Users.".into()]).unwrap();
        assert_eq!(values.len() >= 512, streamed, "{} entries", values.len());
        let (announced, sent) = announced_and_sent(&encoded(&values), "ParameterValueStruct");
        assert_eq!(announced, sent);
        assert_eq!(sent, values.len());
        assert!(double.reads.borrow().values().all(|&n| n == 1), "a value read twice in one answer");
        lengths.push(values.len());

        let names = m.parameter_names(&"Device.Users.".into(), false).unwrap();
        let (announced, sent) = announced_and_sent(&encoded(&names), "ParameterInfoStruct");
        assert_eq!(announced, sent);
        assert_eq!(sent, names.len());
    }
    // The double did change between answers: the equality above is not a coincidence.
    assert!(lengths.windows(2).any(|w| w[0] != w[1]), "{lengths:?}");
}

#[test]
fn small_answer_count_matches_structs_while_rows_change() {
    check([10, 15, 20], false);
}

#[test]
fn streamed_answer_count_matches_structs_while_rows_change() {
    check([200, 300, 250], true);
}

#[test]
fn local_control_and_typed_answers_come_from_the_same_snapshot() {
    let (m, _double) = model([3, 3, 3]);
    let snapshot = m.parameter_values(&["Device.Users.User.2.".into()]).unwrap();
    let typed = m.get_parameter_values(&["Device.Users.User.2.".into()]).unwrap();
    assert_eq!(snapshot.value_structs(), typed);
    let names: Vec<&str> = snapshot.iter().map(|e| e.name).collect();
    assert_eq!(names.len(), PARAMS.len() + 1, "{names:?}");
}
