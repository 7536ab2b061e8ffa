#!/usr/bin/env python3
"""A minimal cwmpd plugin (docs/external-backend.md, "A worked example").

Serves one set-top box, Device.Services.STBService.1., with a writable Enable, over
standard input and output (cwmpd's `option command`). Example only, not device support.
"""
import sys

ROOT = "Device.Services.STBService."
values = {"Device.Services.STBService.box.Enable": "true"}   # committed values, rows by key
staged = None                                                # the open transaction


def unescape(field):
    if field == "%-":
        return ""
    out, i, raw = bytearray(), 0, field.encode()
    while i < len(raw):
        if raw[i] == 0x25:                                   # '%' XX
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode()


def escape(field):
    if field == "":
        return "%-"
    return "".join("%%%02X" % ord(c) if c == "%" or ord(c) < 0x21 or ord(c) == 0x7F else c for c in field)


def path(schema_path, keys):
    """Device.Services.STBService.{i}. + ["box"] -> Device.Services.STBService.box."""
    for k in keys:
        schema_path = schema_path.replace("{i}", k, 1)
    return schema_path


def handle(verb, args):
    global staged, values
    if verb == "hello":                                      # min max root
        return ["1", "stb-minimal"] if int(args[0]) <= 1 <= int(args[1]) else None
    if verb == "instances":                                  # table keys...
        return ["box"] if args[0] == ROOT + "{i}." else []
    if verb == "get":                                        # object param keys...
        v = values.get(path(args[0], args[2:]) + args[1])
        return [] if v is None else [v]                      # no field: absent
    if verb == "creatable":
        return ["0"]
    if verb == "begin":
        staged = dict(values)
        return []
    if verb == "set":                                        # object param value keys...
        name = path(args[0], args[3:]) + args[1]
        if name not in staged:
            raise KeyError("notwritable", name)
        staged[name] = args[2]
        return []
    if verb in ("add", "delete"):
        raise KeyError("denied", "the box table is fixed")
    if verb == "prepare":
        return []
    if verb == "commit":
        values, staged = staged, None
        return ["now"]
    if verb == "abort":
        staged = None
        return []
    if verb == "apply":                                      # after the session
        sys.stderr.write("stb-minimal: Enable is now %s\n" % values["Device.Services.STBService.box.Enable"])
        return []
    raise KeyError("denied", "unknown request " + verb)


for line in sys.stdin:
    fields = [unescape(f) for f in line.rstrip("\n").split(" ")]
    rid, verb, args = fields[0], fields[1], fields[2:]
    try:
        reply = handle(verb, args)
        out = [rid, "ok"] + reply if reply is not None else [rid, "err", "internal", "version"]
    except KeyError as e:
        out = [rid, "err", e.args[0], e.args[1]]
    sys.stdout.write(" ".join(escape(f) for f in out) + "\n")
    sys.stdout.flush()
