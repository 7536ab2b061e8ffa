#!/usr/bin/env python3
"""Generate cwmpd's compact data-model schemas from the official BBF XML.

What it does: reads the self-contained "full" CWMP data-model files published by
the Broadband Forum (TR-181 Device:2 and the TR-104/135/140/196 service models)
and writes one line-oriented, tab-separated ``.schema`` file per model: named
data types (``T``), objects (``O``), parameters (``P``) and profiles with their
resolved effective membership (``F`` + ``FO``).  The format is specified in
datamodel/README.md; the Rust build reads it, nothing else.

What it must not do: copy prose (descriptions, enumeration descriptions,
bibliography) into the output, emit items whose status is ``deleted``, depend on
anything but the Python 3.11 standard library, or write anything
non-deterministic (timestamps, absolute paths, hash-order iteration).

Spec: BBF DM Schema cwmp-datamodel-1-14/1-15 (object/parameter/syntax/profile
elements, attribute defaults), TR-106 (named data types, facets), TR-069
Amendment 6 (forcedInform, activeNotify, hidden, command semantics).

Usage:
  gen_schema.py [--spec DIR] [--out DIR]     regenerate the committed schemas
  gen_schema.py [--spec DIR] [--out DIR] --check
                                             exit 1 if they differ from a fresh run
  gen_schema.py --stats FILE.schema          print the figures checked against
                                             shared/spec/SOURCES.md
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

FORMAT_VERSION = 1

# (source file in the spec directory, committed output file)
MODELS = [
    ("tr-181-2-19-1-cwmp-full.xml", "tr-181-2-19.schema"),
    ("tr-104-2-0-2-cwmp-full.xml", "tr-104-2-0.schema"),
    ("tr-135-1-4-1-cwmp-full.xml", "tr-135-1-4.schema"),
    ("tr-140-1-3-1-cwmp-full.xml", "tr-140-1-3.schema"),
    ("tr-196-2-1-2-cwmp-full.xml", "tr-196-2-1.schema"),
]
# Fallback for named types a model file does not define itself (the "full"
# files are self-contained, so this is normally never consulted).
TYPES_FILE = "tr-106-types.xml"

# Number of positional fields after the record kind (README.md, "Records").
POSITIONAL = {"M": 1, "T": 2, "O": 5, "P": 3, "F": 2, "FO": 3}

PRIMITIVES = (
    "base64", "boolean", "dateTime", "decimal", "hexBinary",
    "int", "long", "string", "unsignedInt", "unsignedLong",
)
STATUS_RANK = {"current": 0, "deprecated": 1, "obsoleted": 2, "deleted": 3}
ACCESS_CODE = {"readOnly": "R", "readWrite": "W", "writeOnceReadOnly": "O"}
PARAM_REQ_RANK = {"readOnly": 0, "writeOnceReadOnly": 1, "readWrite": 2}
OBJ_REQ_RANK = {"notSpecified": 0, "present": 1, "create": 2, "delete": 2,
                "createDelete": 3}
DMR = "{urn:broadband-forum-org:cwmp:datamodel-report-"


# ----------------------------------------------------------------- escaping

def esc(value: str) -> str:
    """Percent-escape %, comma, TAB, CR, LF and other control characters."""
    out = []
    for ch in value:
        if ch in "%," or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("%%%02X" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def unesc(value: str) -> str:
    """Inverse of esc()."""
    if "%" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        if value[i] == "%" and i + 3 <= len(value):
            out.append(chr(int(value[i + 1:i + 3], 16)))
            i += 3
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def esc_list(items) -> str:
    return ",".join(esc(x) for x in items)


def record(kind: str, positional, options) -> str:
    """One line: kind, positional fields, then key=value options (in order)."""
    fields = [kind] + [esc(str(p)) for p in positional]
    fields += ["%s=%s" % (k, v) for k, v in options if v is not None]
    return "\t".join(fields)


# ------------------------------------------------------------------- facets

class Facets:
    """Resolved syntax of a type or parameter (base type plus restrictions)."""

    KINDS = ("size", "range", "enum", "enumro", "pattern", "units", "pathref",
             "enumref", "enumnull")

    def __init__(self):
        self.base = None          # primitive type name
        self.named = None         # named data type (dataType ref / base)
        self.is_list = False
        self.list_size = []       # [(min, max)] of the whole list string
        self.items = None         # (minItems, maxItems)
        self.nested = None        # nestedBrackets
        self.inner_list = False   # item type is itself a list (nested list)
        for kind in self.KINDS:
            setattr(self, kind, None)

    def copy(self) -> "Facets":
        new = Facets()
        new.__dict__.update(self.__dict__)
        return new

    def apply(self, elem) -> None:
        """Apply facet children of elem; a kind given here replaces the inherited one."""
        sizes, ranges, enums, enum_ro, patterns = [], [], [], [], []
        for child in elem:
            tag = child.tag
            if tag == "size":
                lo, hi = child.get("minLength"), child.get("maxLength")
                if lo is not None or hi is not None:
                    sizes.append(bounds(lo, hi))
            elif tag == "range":
                ranges.append(bounds(child.get("minInclusive"),
                                     child.get("maxInclusive"), child.get("step")))
            elif tag == "enumeration":
                if child.get("status") == "deleted":
                    continue
                enums.append(child.get("value", ""))
                if child.get("access") == "readOnly":
                    enum_ro.append(child.get("value", ""))
            elif tag == "pattern":
                if child.get("status") != "deleted":
                    patterns.append(child.get("value", ""))
            elif tag == "units":
                self.units = child.get("value")
            elif tag == "pathRef":
                self.pathref = pathref_items(child)
            elif tag == "enumerationRef":
                self.enumref = child.get("targetParam")
                self.enumnull = child.get("nullValue")
        if sizes:
            self.size = sizes
        if ranges:
            self.range = ranges
        if enums:
            self.enum, self.enumro = enums, enum_ro or None
        if patterns:
            self.pattern = patterns

    def apply_list(self, elem) -> None:
        self.is_list = True
        lo, hi = elem.get("minItems"), elem.get("maxItems")
        if lo is not None or hi is not None:
            self.items = bounds(lo, hi)
        if elem.get("nestedBrackets"):
            self.nested = elem.get("nestedBrackets")
        sizes = [bounds(c.get("minLength"), c.get("maxLength")) for c in elem
                 if c.tag == "size" and (c.get("minLength") or c.get("maxLength"))]
        if sizes:
            self.list_size = sizes

    def options(self):
        """key=value options in the fixed order documented in README.md."""
        opts = []
        if self.is_list:
            opts.append(("list", "1"))
            if self.list_size:
                opts.append(("listsize", esc_list(self.list_size)))
            if self.items:
                opts.append(("items", esc(self.items)))
            if self.nested:
                opts.append(("nested", esc(self.nested)))
            if self.inner_list:
                opts.append(("innerlist", "1"))
        for key in ("size", "range", "enum", "enumro", "pattern", "pathref"):
            value = getattr(self, key)
            if value is not None:
                opts.append((key, esc_list(value)))
        for key in ("enumref", "enumnull", "units"):
            value = getattr(self, key)
            if value is not None:
                opts.append((key, esc(value)))
        return opts


def bounds(lo, hi, step=None) -> str:
    text = "%s..%s" % (lo or "", hi or "")
    if step is not None:
        text += "/" + step
    return text


def pathref_items(elem):
    items = [elem.get("refType", ""), elem.get("targetType", "any")]
    items += (elem.get("targetParent") or "").split()
    return items


class TypeTable:
    """Named data types of one document, resolved along their base chain."""

    def __init__(self, elems, fallback=None):
        self.elems = elems              # name -> <dataType> element, document order
        self.fallback = fallback or {}
        self.resolved = {}

    def resolve(self, name: str) -> Facets:
        if name in self.resolved:
            return self.resolved[name]
        elem = self.elems.get(name)
        if elem is None:
            elem = self.fallback.get(name)
        if elem is None:
            raise SystemExit("unknown data type %r" % name)
        facets = self.resolve(elem.get("base")).copy() if elem.get("base") else Facets()
        facets.named = elem.get("base")
        apply_syntax(facets, elem, self)
        self.resolved[name] = facets
        return facets


def apply_syntax(facets: Facets, elem, types: TypeTable) -> None:
    """Apply a <syntax> or <dataType name=> body: list, primitive or dataType ref, facets."""
    for child in elem:
        tag = child.tag
        if tag == "list":
            facets.apply_list(child)
        elif tag in PRIMITIVES:
            facets.base = tag
            facets.apply(child)
        elif tag == "dataType":       # <dataType ref=X> or anonymous <dataType base=X>
            name = child.get("ref") or child.get("base")
            merge_named(facets, types.resolve(name), name)
            facets.apply(child)
    # facets given directly (a derived <dataType name= base=>); none in <syntax>
    facets.apply(elem)


def merge_named(facets: Facets, named: Facets, name: str) -> None:
    """Take base type and item facets of a named type into a parameter's facets."""
    own_list = facets.is_list
    saved = (facets.is_list, facets.list_size, facets.items, facets.nested)
    for kind in ("base",) + Facets.KINDS:
        setattr(facets, kind, getattr(named, kind))
    facets.named = name
    if own_list and named.is_list:
        facets.inner_list = True
    if own_list:
        facets.is_list, facets.list_size, facets.items, facets.nested = saved
    else:
        facets.is_list, facets.list_size = named.is_list, list(named.list_size)
        facets.items, facets.nested = named.items, named.nested


# ------------------------------------------------------------------- model

def status_of(elem, inherited="current") -> str:
    own = (elem.get("status") or "current").strip()
    return own if STATUS_RANK[own] >= STATUS_RANK[inherited] else inherited


def type_records(types: TypeTable):
    lines = []
    for name in types.elems:
        facets = types.resolve(name)
        opts = []
        if types.elems[name].get("base"):
            opts.append(("parent", esc(types.elems[name].get("base"))))
        opts += facets.options()
        lines.append(record("T", [name, facets.base or ""], opts))
    return lines


def object_record(obj, status):
    path = obj.get("name")
    multi = "1" if path.endswith(".{i}.") else "0"
    opts = [
        ("num", obj.get("numEntriesParameter")),
        ("enable", obj.get("enableParameter")),
    ]
    keys, nfkeys = [], []
    for key in obj.findall("uniqueKey"):
        if key.get("status") == "deleted":
            continue
        names = "+".join(p.get("ref") for p in key.findall("parameter"))
        (keys if key.get("functional", "true") == "true" else nfkeys).append(names)
    opts.append(("keys", esc_list(keys) if keys else None))
    opts.append(("nfkeys", esc_list(nfkeys) if nfkeys else None))
    opts.append(("status", status if status != "current" else None))
    access = ACCESS_CODE[obj.get("access", "readOnly")]
    return record("O", [path, access, multi, obj.get("minEntries", "1"),
                        obj.get("maxEntries", "1")], opts)


def parameter_record(path, param, status, types: TypeTable):
    syntax = param.find("syntax")
    facets = Facets()
    apply_syntax(facets, syntax, types)
    if facets.base is None:
        raise SystemExit("no type for %s" % path)
    opts = [("dt", esc(facets.named) if facets.named else None)] + facets.options()
    default = syntax.find("default")
    if default is not None and default.get("status") != "deleted":
        opts.append(("default", esc(default.get("value", ""))))
        opts.append(("deftype", esc(default.get("type", ""))))
    notify = param.get("activeNotify", "normal")
    opts += [
        ("fi", "1" if param.get("forcedInform") == "true" else None),
        ("notify", notify if notify != "normal" else None),
        ("hidden", "1" if syntax.get("hidden") == "true" else None),
        ("secured", "1" if syntax.get("secured") == "true" else None),
        ("command", "1" if syntax.get("command") == "true" else None),
        ("status", status if status != "current" else None),
    ]
    access = ACCESS_CODE[param.get("access", "readOnly")]
    return record("P", [path, facets.base, access], opts)


def model_records(model, types: TypeTable, is_service: bool):
    """O and P records in document order; returns (lines, {live path: position})."""
    lines, live = [], {}
    if is_service:
        lines.append(record("O", ["", "R", "0", "1", "1"], []))
        live[""] = len(live)
        for param in model.findall("parameter"):
            st = status_of(param)
            if st != "deleted":
                lines.append(parameter_record(param.get("name"), param, st, types))
                live[param.get("name")] = len(live)
    for obj in model.findall("object"):
        obj_status = status_of(obj)
        if obj_status == "deleted":
            continue
        lines.append(object_record(obj, obj_status))
        live[obj.get("name")] = len(live)
        for param in obj.findall("parameter"):
            st = status_of(param, obj_status)
            if st == "deleted":
                continue
            path = obj.get("name") + param.get("name")
            lines.append(parameter_record(path, param, st, types))
            live[path] = len(live)
    return lines, live


# ---------------------------------------------------------------- profiles

def profile_items(profile, live):
    """Own items of a profile: {object path: [requirement, {param: requirement}]}."""
    items = {}
    for child in profile:
        if child.get("status") == "deleted":
            continue
        if child.tag == "parameter":       # service-model root parameter
            add_param(items, "", child, live)
        elif child.tag == "object":
            path = child.get("ref")
            if path not in live:
                continue
            entry = items.setdefault(path, ["notSpecified", {}])
            entry[0] = stronger_obj(entry[0], child.get("requirement").strip())
            for param in child.findall("parameter"):
                if param.get("status") != "deleted":
                    add_param(items, path, param, live)
    return items


def add_param(items, path, param, live):
    name = param.get("ref")
    if path + name not in live:
        return
    entry = items.setdefault(path, ["notSpecified", {}])
    entry[1][name] = stronger_param(entry[1].get(name), param.get("requirement").strip())


def stronger_obj(a, b):
    return a if OBJ_REQ_RANK[a] >= OBJ_REQ_RANK[b] else b


def stronger_param(old, new):
    if old is None or PARAM_REQ_RANK[new] > PARAM_REQ_RANK[old]:
        return new
    return old


def merge_items(into, other):
    for path, (req, params) in other.items():
        entry = into.setdefault(path, ["notSpecified", {}])
        entry[0] = stronger_obj(entry[0], req)
        for name, preq in params.items():
            entry[1][name] = stronger_param(entry[1].get(name), preq)


def effective_profiles(profiles, live):
    """name -> effective items after base/extends (recursively)."""
    done = {}

    def resolve(name, stack=()):
        if name in done:
            return done[name]
        if name in stack or name not in profiles:
            raise SystemExit("bad profile reference %r" % name)
        prof = profiles[name]
        items = {}
        refs = ([prof.get("base")] if prof.get("base") else [])
        refs += (prof.get("extends") or "").split()
        for ref in refs:
            merge_items(items, resolve(ref, stack + (name,)))
        merge_items(items, profile_items(prof, live))
        done[name] = items
        return items

    for name in profiles:
        resolve(name)
    return done


def profile_records(model, live):
    profiles = {p.get("name"): p for p in model.findall("profile")}
    effective = effective_profiles(profiles, live)
    lines = []
    for name, prof in profiles.items():
        st = status_of(prof)
        if name.startswith("_") or st == "deleted":
            continue
        extends = (prof.get("extends") or "").split()
        lines.append(record("F", [name, st], [
            ("base", esc(prof.get("base")) if prof.get("base") else None),
            ("extends", esc_list(extends) if extends else None),
        ]))
        items = effective[name]
        for path in sorted(items, key=live.__getitem__):
            req, params = items[path]
            names = sorted(params, key=lambda n, p=path: live[p + n])
            plist = ["%s:%s" % (n, ACCESS_CODE[params[n]]) for n in names]
            lines.append(record("FO", [name, path, req],
                                [("params", esc_list(plist) if plist else None)]))
    return lines


# ----------------------------------------------------------------- driver

def copyright_lines(raw: bytes):
    text = raw.decode("utf-8", "replace")
    start, end = text.find("<!--"), text.find("-->")
    if start < 0 or end < start:
        return []
    return [ln.strip() for ln in text[start:end].splitlines()
            if ln.strip().startswith("Copyright")]


def load_fallback_types(spec_dir: Path):
    path = spec_dir / TYPES_FILE
    if not path.exists():
        return {}
    root = ET.parse(path).getroot()
    return {d.get("name"): d for d in root.findall("dataType")}


def generate(source: Path, fallback) -> str:
    raw = source.read_bytes()
    root = ET.fromstring(raw)
    model = root.find("model")
    is_service = model.get("isService") == "true"
    types = TypeTable({d.get("name"): d for d in root.findall("dataType")}, fallback)
    head = [
        "#cwmpd-schema %d %s %s %s" % (FORMAT_VERSION, model.get("name"), source.name,
                                       hashlib.sha256(raw).hexdigest()),
        "# Generated by datamodel/gen_schema.py from the BBF XML named above; do not edit.",
    ]
    head += ["# " + ln for ln in copyright_lines(raw)]
    head.append("# Derived from Broadband Forum material under the BSD 3-Clause License"
                " (full text in datamodel/README.md).")
    body = [record("M", [model.get("name")], [
        ("spec", esc(root.get("spec", ""))),
        ("service", "1" if is_service else None),
    ])]
    body += type_records(types)
    objs, live = model_records(model, types, is_service)
    body += objs
    body += profile_records(model, live)
    return "\n".join(head + body) + "\n"


def write_all(spec_dir: Path, out_dir: Path):
    fallback = load_fallback_types(spec_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for src, dst in MODELS:
        text = generate(spec_dir / src, fallback)
        (out_dir / dst).write_text(text, encoding="utf-8", newline="\n")


def check(spec_dir: Path, out_dir: Path) -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        write_all(spec_dir, Path(tmp))
        for _, dst in MODELS:
            fresh = (Path(tmp) / dst).read_text(encoding="utf-8").splitlines()
            committed_path = out_dir / dst
            if not committed_path.exists():
                print("%s: missing (run gen_schema.py)" % dst)
                failures += 1
                continue
            committed = committed_path.read_text(encoding="utf-8").splitlines()
            if fresh == committed:
                print("%s: up to date (%d lines)" % (dst, len(fresh)))
                continue
            failures += 1
            diff = list(difflib.unified_diff(committed, fresh, "committed/" + dst,
                                             "fresh/" + dst, n=0, lineterm=""))
            changed = sum(1 for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---"))
            print("%s: DIFFERS (%d changed lines); first differences:" % (dst, changed))
            for line in diff[:20]:
                print("  " + line[:200])
    return 1 if failures else 0


# ------------------------------------------------------------------ stats

def parse_schema(path: Path):
    """Parse a .schema file into (header, records); records are (kind, fields, opts)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(" ")
    records = []
    for line in lines[1:]:
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        count = POSITIONAL.get(parts[0])
        if count is None or len(parts) <= count:
            raise SystemExit("%s: bad record %r" % (path, line[:80]))
        positional = [unesc(p) for p in parts[1:count + 1]]
        opts = dict(part.partition("=")[::2] for part in parts[count + 1:])
        records.append((parts[0], positional, opts))
    return header, records


def split_list(value):
    return [unesc(v) for v in value.split(",")]


def tally(records):
    """Counts by status (O, M multi-instance, P, W writable, D canDeny) and lists."""
    by = {"O": {}, "M": {}, "P": {}, "W": {}, "D": {}}
    lists = {"fi": [], "forceEnabled": [], "forceDefaultEnabled": [], "roots": []}
    profiles = {}

    def bump(key, status):
        by[key][status] = by[key].get(status, 0) + 1

    for kind, pos, opts in records:
        st = opts.get("status", "current")
        if kind == "O" and pos[0]:              # "" = service root, not an <object>
            bump("O", st)
            if pos[2] == "1":
                bump("M", st)
        elif kind == "P" and "." not in pos[0]:
            lists["roots"].append(pos[0])       # service-model root parameter
        elif kind == "P":
            bump("P", st)
            if pos[2] == "W":
                bump("W", st)
            if opts.get("notify") == "canDeny":
                bump("D", st)
            if opts.get("fi") == "1":
                lists["fi"].append(pos[0])
            lists.get(opts.get("notify"), []).append(pos[0])
        elif kind == "F":
            profiles[pos[0]] = [pos[1], []]
        elif kind == "FO":
            params = split_list(opts["params"]) if "params" in opts else []
            profiles[pos[0]][1].append((pos[1], pos[2], params))
    return by, lists, profiles


def stats(path: Path) -> int:
    header, records = parse_schema(path)
    print("model %s from %s" % (header[2], header[3]))
    by, lists, profiles = tally(records)
    for label, key in (("objects", "O"), ("multi-instance objects", "M"),
                       ("parameters", "P"), ("writable parameters", "W"),
                       ("canDeny parameters", "D")):
        counts = by[key]
        detail = " ".join("%s=%d" % (s, counts.get(s, 0))
                          for s in ("current", "deprecated", "obsoleted"))
        print("%-24s %5d  (%s)" % (label, sum(counts.values()), detail))
    if lists["roots"]:
        print("service root parameters (not counted above): %s" % " ".join(lists["roots"]))
    for key, label in (("fi", "forcedInform"), ("forceEnabled", "forceEnabled"),
                       ("forceDefaultEnabled", "forceDefaultEnabled")):
        print("%s (%d): %s" % (label, len(lists[key]), " ".join(lists[key])))
    cur = sum(1 for v in profiles.values() if v[0] == "current")
    print("profiles %d (current %d, deprecated/obsoleted %d)"
          % (len(profiles), cur, len(profiles) - cur))
    if "Baseline:4" in profiles:
        print_profile("Baseline:4", profiles["Baseline:4"][1])
    return 0


def print_profile(name, members):
    nparams = sum(len(p) for _, _, p in members)
    print("%s effective members: %d objects, %d parameters" % (name, len(members), nparams))
    for path, req, params in members:
        print("  %s (%s): %s" % (path, req, " ".join(params)))


# ------------------------------------------------------------------- main

def default_spec_dir(script_dir: Path) -> Path:
    shared = os.environ.get("CWMPD_SHARED")
    if shared:
        return Path(shared) / "spec"
    return script_dir.parent.parent / "shared" / "spec"


def main(argv=None) -> int:
    script_dir = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spec", type=Path, default=None,
                        help="directory with the BBF XML (default $CWMPD_SHARED/spec"
                             " or ../shared/spec next to the repository)")
    parser.add_argument("--out", type=Path, default=script_dir,
                        help="output directory (default: this script's directory)")
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a temporary directory and compare")
    parser.add_argument("--stats", type=Path, metavar="FILE",
                        help="print the verification figures of one .schema file")
    args = parser.parse_args(argv)
    if args.stats:
        return stats(args.stats)
    spec_dir = args.spec or default_spec_dir(script_dir)
    if not (spec_dir / MODELS[0][0]).exists():
        print("spec directory %s lacks %s" % (spec_dir, MODELS[0][0]), file=sys.stderr)
        return 2
    if args.check:
        return check(spec_dir, args.out)
    write_all(spec_dir, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
