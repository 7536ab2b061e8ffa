//! OCI image layouts as container DUs (OCI image-spec 1.0: image-layout.md, image-index.md,
//! manifest.md, config.md, layer.md), sans-IO: the JSON of `index.json`, a manifest and an
//! image config read into the few fields the crun ExecEnv needs (layer digests in order;
//! Entrypoint, Cmd, Env), digests checked for form (`sha256:` and 64 lower-case hex digits,
//! the only algorithm accepted) and turned into `blobs/sha256/HEX`, and layer entry names
//! confined to the root with whiteouts (`.wh.NAME`, `.wh..wh..opq`) recognised.
//!
//! [`blob_matches`] verifies a blob against its digest; [`describe`] reads the image's
//! annotations (annotations.md) and [`resolve_user`] its `User`. The layers are applied to a
//! root by [`super::oci_layer`].

use std::path::{Component, Path, PathBuf};

/// A JSON value (RFC 8259); numbers kept as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

/// Nesting deeper than this is refused (a hostile file must not exhaust the stack).
const MAX_DEPTH: usize = 32;

impl Json {
    /// Member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// An array of strings (anything else: `None`).
    pub fn strings(&self) -> Option<Vec<String>> {
        match self {
            Json::Arr(a) => a.iter().map(|v| v.as_str().map(str::to_string)).collect(),
            _ => None,
        }
    }
}

/// Parses one JSON document; `None` for anything that is not exactly one valid value.
pub fn parse_json(text: &str) -> Option<Json> {
    let mut p = Parser { b: text.as_bytes(), i: 0 };
    let v = p.value(0)?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn word(&mut self, w: &str, v: Json) -> Option<Json> {
        let end = self.i.checked_add(w.len())?;
        (self.b.get(self.i..end)? == w.as_bytes()).then(|| {
            self.i = end;
            v
        })
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'n' => self.word("null", Json::Null),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'"' => self.string().map(Json::Str),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
            self.i += 1;
        }
        let s = core::str::from_utf8(self.b.get(start..self.i)?).ok()?;
        s.parse::<f64>().ok().map(|_| Json::Num(s.to_string()))
    }

    fn array(&mut self, depth: usize) -> Option<Json> {
        self.i += 1;
        let mut out = Vec::new();
        if self.eat(b']').is_some() {
            return Some(Json::Arr(out));
        }
        loop {
            out.push(self.value(depth + 1)?);
            if self.eat(b']').is_some() {
                return Some(Json::Arr(out));
            }
            self.eat(b',')?;
        }
    }

    fn object(&mut self, depth: usize) -> Option<Json> {
        self.i += 1;
        let mut out = Vec::new();
        if self.eat(b'}').is_some() {
            return Some(Json::Obj(out));
        }
        loop {
            self.ws();
            let k = self.string()?;
            self.eat(b':')?;
            out.push((k, self.value(depth + 1)?));
            if self.eat(b'}').is_some() {
                return Some(Json::Obj(out));
            }
            self.eat(b',')?;
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let s = core::str::from_utf8(self.b.get(self.i..self.i.checked_add(4)?)?).ok()?;
        self.i += 4;
        u32::from_str_radix(s, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        (self.peek()? == b'"').then_some(())?;
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return None,
                    };
                    out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0..=0x1f => return None,
                _ => out.push(c),
            }
        }
    }

    fn unicode(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        if (0xd800..0xdc00).contains(&hi) {
            (self.b.get(self.i..self.i.checked_add(2)?)? == b"\\u").then_some(())?;
            self.i += 2;
            let lo = self.hex4()?;
            (0xdc00..0xe000).contains(&lo).then_some(())?;
            return char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
        }
        char::from_u32(hi)
    }
}

/// `blobs/sha256/HEX` for a digest of the accepted form; `None` otherwise.
pub fn blob_path(digest: &str) -> Option<PathBuf> {
    let hex = digest.strip_prefix("sha256:")?;
    let ok = hex.len() == 64 && hex.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
    ok.then(|| Path::new("blobs/sha256").join(hex))
}

/// True when `blob` hashes to `digest` (`sha256:HEX`, the form [`blob_path`] accepts).
pub fn blob_matches(blob: &[u8], digest: &str) -> bool {
    let Some(want) = digest.strip_prefix("sha256:").filter(|_| blob_path(digest).is_some()) else { return false };
    let got = ring::digest::digest(&ring::digest::SHA256, blob);
    let hex: String = got.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    hex == want
}

/// The digest of a descriptor object (`digest` member), checked for form.
fn descriptor(v: &Json) -> Option<String> {
    let d = v.get("digest")?.as_str()?;
    blob_path(d).map(|_| d.to_string())
}

/// The manifest digest of `index.json` (its first manifest: a DU holds one image).
pub fn parse_index(text: &str) -> Option<String> {
    match parse_json(text)?.get("manifests")? {
        Json::Arr(m) => descriptor(m.first()?),
        _ => None,
    }
}

/// A manifest: the config digest and the layer digests in order, each with its media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub config: String,
    pub layers: Vec<(String, String)>,
}

pub fn parse_manifest(text: &str) -> Option<Manifest> {
    let v = parse_json(text)?;
    let config = descriptor(v.get("config")?)?;
    let Json::Arr(list) = v.get("layers")? else { return None };
    let layers = list
        .iter()
        .map(|l| Some((descriptor(l)?, l.get("mediaType")?.as_str()?.to_string())))
        .collect::<Option<Vec<_>>>()?;
    Some(Manifest { config, layers })
}

/// The process of an image config: Entrypoint then Cmd is the command; Env the environment;
/// WorkingDir and User as written (config.md "Properties").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
}

pub fn parse_image_config(text: &str) -> Option<ImageConfig> {
    let v = parse_json(text)?;
    let Some(c) = v.get("config") else { return Some(ImageConfig::default()) };
    let list = |k: &str| match c.get(k) {
        None | Some(Json::Null) => Some(Vec::new()),
        Some(x) => x.strings(),
    };
    let text = |k: &str| match c.get(k) {
        None | Some(Json::Null) => Some(String::new()),
        Some(x) => x.as_str().map(str::to_string),
    };
    let mut args = list("Entrypoint")?;
    args.extend(list("Cmd")?);
    Some(ImageConfig { args, env: list("Env")?, working_dir: text("WorkingDir")?, user: text("User")? })
}

/// The string members of an object member `key` (annotations, labels).
fn string_map<'a>(v: Option<&'a Json>, key: &str) -> Vec<(&'a str, &'a str)> {
    match v.and_then(|v| v.get(key)) {
        Some(Json::Obj(m)) => m.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect(),
        _ => Vec::new(),
    }
}

/// What the image says of itself (annotations.md, `org.opencontainers.image.*`): title,
/// version, vendor, description. Looked up in the manifest's annotations, then in those of
/// the index's descriptor of it, then in the config's `Labels` (where `docker build` puts
/// them); each value on one line, at most 256 characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Described {
    pub title: String,
    pub version: String,
    pub vendor: String,
    pub description: String,
}

pub fn describe(index: &str, manifest: &str, config: &str) -> Described {
    let (i, m, c) = (parse_json(index), parse_json(manifest), parse_json(config));
    let descriptor = match i.as_ref().and_then(|i| i.get("manifests")) {
        Some(Json::Arr(a)) => a.first(),
        _ => None,
    };
    let maps = [
        string_map(m.as_ref(), "annotations"),
        string_map(descriptor, "annotations"),
        string_map(c.as_ref().and_then(|c| c.get("config")), "Labels"),
    ];
    let find = |k: &str| {
        let key = format!("org.opencontainers.image.{k}");
        let v = maps.iter().flatten().find(|(name, _)| *name == key).map(|(_, v)| *v).unwrap_or("");
        v.chars().map(|c| if c.is_control() { ' ' } else { c }).take(256).collect::<String>().trim().to_string()
    };
    Described {
        title: find("title"),
        version: find("version"),
        vendor: find("vendor"),
        description: find("description"),
    }
}

/// The uid and gid of an image config's `User` (`uid`, `uid:gid`, `name`, `name:group`;
/// empty: root), names looked up in the image's own `/etc/passwd` and `/etc/group` text.
pub fn resolve_user(user: &str, passwd: &str, group: &str) -> Option<(u32, u32)> {
    if user.is_empty() {
        return Some((0, 0));
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let (uid, primary) = match u.parse::<u32>() {
        Ok(n) => (n, id_rows(passwd).find(|r| r.1 == n).and_then(|r| r.2)),
        Err(_) => id_rows(passwd).find(|r| r.0 == u).map(|r| (r.1, r.2))?,
    };
    let gid = match g {
        None => primary.unwrap_or(0),
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => id_rows(group).find(|r| r.0 == g)?.1,
        },
    };
    Some((uid, gid))
}

/// `name:password:id[:gid...]` rows of a passwd or group file.
fn id_rows(table: &str) -> impl Iterator<Item = (&str, u32, Option<u32>)> {
    table.lines().filter_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _password = f.next()?;
        let id = f.next()?.parse().ok()?;
        Some((name, id, f.next().and_then(|g| g.parse().ok())))
    })
}

/// What a layer entry does to the root (layer.md "Whiteouts").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file or directory at this path (relative, confined to the root).
    Put(PathBuf),
    /// `.wh.NAME`: remove NAME from the lower layers.
    Remove(PathBuf),
    /// `DIR/.wh..wh..opq`: empty DIR of what lower layers put there.
    Opaque(PathBuf),
}

/// Reads a layer entry name; `None` for a name that would leave the root (`..`, absolute
/// after `./` is stripped, or empty).
pub fn layer_entry(name: &str) -> Option<Entry> {
    let mut rel = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(p) => rel.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    let file = rel.file_name()?.to_str()?.to_string();
    let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
    if file == ".wh..wh..opq" {
        return Some(Entry::Opaque(parent));
    }
    match file.strip_prefix(".wh.") {
        // A whiteout names one entry of its directory: never itself or its parent
        // (`.wh..` and `.wh...`, found by the `oci_image` fuzz target).
        Some("" | "." | "..") => None,
        Some(target) => Some(Entry::Remove(parent.join(target))),
        None => Some(Entry::Put(rel)),
    }
}

#[cfg(test)]
#[path = "oci_image_tests.rs"]
mod tests;
