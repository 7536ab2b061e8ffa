//! Full-tree GetParameterValues and GetParameterNames on the largest real device dump
//! (TP-Link XX230v, ~6,400 rows, `../shared/devices`): time from the decoded request to the
//! last byte of the response envelope, and the extra heap at the peak (counting allocator).
//!
//! `cargo bench --bench gpv`. Prints one table; one run on this machine.
//!
//! `gpv --callgrind MODE` answers one request and exits, for `benches/callgrind-gpv.sh`
//! (instruction counts under valgrind): `full` (GetParameterValues `Device.`), `leaves`
//! (every leaf named explicitly, as many ACSs ask), `one` (one leaf). Each decodes the
//! request envelope, takes the snapshot and streams the response envelope, as a session
//! does; `--build-only` stops before the answer (the baseline the script subtracts).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::indexing_slicing,
    clippy::panic,
    unsafe_code
)]

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::replay::ReplayTree;
use cwmpd::config::Config;
use cwmpd::model::Model;
use cwmpd::model::ModelState;
use cwmpd::proto::rpc::{Body, Envelope, Header};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes and their peak.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Off under `--callgrind`: the instruction counts are the agent's, not this instrument's.
static COUNTING: AtomicBool = AtomicBool::new(true);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn measure(label: &str, runs: usize, mut f: impl FnMut() -> usize) {
    let mut times = Vec::with_capacity(runs);
    let mut extra = 0;
    let mut bytes = 0;
    for _ in 0..runs {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        bytes = f();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        extra = extra.max(PEAK.load(Ordering::Relaxed) - base);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!("| {label} | {median:.2} ms | {:.0} KiB | {bytes} bytes |", extra as f64 / 1024.0);
}

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/devices/anlix-genieacs-sim/device-1C61B4-XX230v-22275A7000395-2023-04-27T154050686Z.csv");
    let before_load = LIVE.load(Ordering::Relaxed);
    let Ok(tree) = ReplayTree::load(&path) else {
        println!("skipped: {} absent", path.display());
        return;
    };
    let cfg = Config::parse("config cpe\n\toption manufacturer_oui '1C61B4'\n").unwrap();
    let state = ModelState::default();
    let mut model = Model::new(
        Box::new(AgentBackend::new(&cfg, Identity::from_host(&cfg, std::path::Path::new("/nonexistent")), "/".into())),
        &state,
    );
    let rows = tree.len();
    let tree_bytes = LIVE.load(Ordering::Relaxed) - before_load;
    model.attach_replay(tree, &state);
    let args: Vec<String> = std::env::args().collect();
    if let Some(path) = args.iter().position(|a| a == "--write").and_then(|i| args.get(i + 1)) {
        // The streamed envelopes, for a byte comparison between two builds.
        let mut out = Vec::new();
        let listings = [
            model.parameter_values(&["Device.".into()]).unwrap(),
            model.parameter_names(&"Device.".into(), false).unwrap(),
            model.parameter_names(&"Device.".into(), true).unwrap(),
        ];
        for listing in &listings {
            let env = Envelope {
                namespace: Default::default(),
                header: Header { id: Some("1".into()), ..Header::default() },
                body: listing.empty_response(),
            };
            let mut reader = cwmpd::proto::soap::stream::listing_body(&env, listing).unwrap();
            std::io::copy(&mut reader, &mut out).unwrap();
            out.extend_from_slice(cwmpd::proto::soap::stream::encode_listing(&env, listing).unwrap().as_bytes());
        }
        return std::fs::write(path, out).unwrap();
    }
    if let Some(n) = args.iter().position(|a| a == "--loop").and_then(|i| args.get(i + 1)) {
        // A profiler's run (`perf record`): the streamed full-tree answer, N times.
        let names: Vec<cwmpd::proto::name::Name> = vec!["Device.".into()];
        let mut bytes = 0;
        for _ in 0..n.parse::<usize>().unwrap() {
            let listing = model.parameter_values(std::hint::black_box(&names)).unwrap();
            let env = Envelope {
                namespace: Default::default(),
                header: Header { id: Some("1".into()), ..Header::default() },
                body: listing.empty_response(),
            };
            let mut reader = cwmpd::proto::soap::stream::listing_body(&env, &listing).unwrap();
            bytes += std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        }
        return println!("{bytes} bytes");
    }
    if let Some(mode) = args.iter().position(|a| a == "--callgrind").and_then(|i| args.get(i + 1)) {
        COUNTING.store(false, Ordering::Relaxed);
        callgrind(&model, mode, args.iter().any(|a| a == "--build-only"));
        return;
    }
    println!(
        "Replay tree of the XX230v dump: {tree_bytes} bytes of heap, {} per row ({rows} rows)",
        tree_bytes / rows.max(1)
    );
    println!("GetParameterValues / GetParameterNames of `Device.` on the XX230v dump ({rows} rows), 20 runs, median");
    println!("| request | time to last byte | extra heap at peak | response |\n|---|---|---|---|");
    let respond = |body: Body| {
        let env = Envelope {
            namespace: Default::default(),
            header: Header { id: Some("1".into()), ..Header::default() },
            body,
        };
        cwmpd::proto::soap::encode(&env).len()
    };
    measure("GetParameterValues Device. (typed structs)", 20, || {
        let list = model.get_parameter_values(&["Device.".into()]).unwrap();
        respond(Body::GetParameterValuesResponse { parameter_list: list })
    });
    // What the agent does: one walk into an owned snapshot, then the envelope encoded from
    // it while the body is written.
    let stream = |listing: cwmpd::proto::listing::Listing| {
        let env = Envelope {
            namespace: Default::default(),
            header: Header { id: Some("1".into()), ..Header::default() },
            body: listing.empty_response(),
        };
        let mut reader = cwmpd::proto::soap::stream::listing_body(&env, &listing).unwrap();
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap() as usize
    };
    measure("GetParameterValues Device. (snapshot, streamed)", 20, || {
        stream(model.parameter_values(&["Device.".into()]).unwrap())
    });
    measure("GetParameterNames Device. false (snapshot, streamed)", 20, || {
        stream(model.parameter_names(&"Device.".into(), false).unwrap())
    });
    measure("GetParameterNames Device. true (snapshot, streamed)", 20, || {
        stream(model.parameter_names(&"Device.".into(), true).unwrap())
    });
}

/// The request envelope of GetParameterValues for `names`, as an ACS sends it.
fn request(names: &[String]) -> Vec<u8> {
    let body = Body::GetParameterValues { parameter_names: names.iter().map(|n| n.as_str().into()).collect() };
    let env =
        Envelope { namespace: Default::default(), header: Header { id: Some("1".into()), ..Header::default() }, body };
    cwmpd::proto::soap::encode(&env).into_bytes()
}

/// One request decoded, answered and streamed: the work of a session's GetParameterValues.
#[inline(never)]
fn answer(model: &Model, request: &[u8]) -> usize {
    let env = cwmpd::proto::soap::decode(request).unwrap();
    let Body::GetParameterValues { parameter_names } = &env.body else { panic!("not a GetParameterValues") };
    let listing = model.parameter_values(parameter_names).unwrap();
    let reply = Envelope { namespace: env.namespace, header: env.header.clone(), body: listing.empty_response() };
    let mut reader = cwmpd::proto::soap::stream::listing_body(&reply, &listing).unwrap();
    std::io::copy(&mut reader, &mut std::io::sink()).unwrap() as usize
}

/// `--callgrind MODE [--build-only]`: with `--build-only` everything but the answer (tree,
/// leaf list, request envelope), the baseline the script subtracts.
fn callgrind(model: &Model, mode: &str, build_only: bool) {
    let leaves: Vec<String> =
        model.parameter_values(&["Device.".into()]).unwrap().iter().map(|e| e.name.to_string()).collect();
    let names = match mode {
        "full" => vec!["Device.".to_string()],
        "leaves" => leaves,
        "one" => vec!["Device.DeviceInfo.SoftwareVersion".to_string()],
        _ => panic!("--callgrind full|leaves|one [--build-only]"),
    };
    let req = request(&names);
    if build_only {
        return println!("{} names, not answered", names.len());
    }
    println!("{} names, response {} bytes", names.len(), answer(model, std::hint::black_box(&req)));
}
