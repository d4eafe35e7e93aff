#!/usr/bin/env python3
"""Compare the SAs and keys of ikeref and charon after a lifecycle step (RFC 7296 §1.3, §1.4).

Usage: lifecycle_check.py CHARON_LIST_SAS_RAW CHARON_LOG IKEREF_LIST_JSON CONN CHILDREN

Passes (exit 0) when:
  - charon lists exactly one IKE SA of CONN in state ESTABLISHED (REKEYED / DELETING ones are
    ignored) and ikeref exactly one in state "Established";
  - both have the same SPIi/SPIr; ikeref's SK_d, SK_ei, SK_er, SK_ai, SK_ar, SK_pi, SK_pr equal
    the Sk_* charon logged for the IKE SA with that uniqueid (an IKE rekey logs them again under
    the new SA's <NAME|ID>);
  - charon's INSTALLED CHILD SAs and ikeref's CHILD SAs pair up one to one (ikeref spi_in =
    charon spi-out, spi_out = spi-in), CHILDREN of them; for each, ikeref's encr/integ key out =
    the key charon logged for its inbound direction and in = outbound. charon's log names keys
    "initiator"/"responder" by the exchange that created the CHILD SA (§2.17): the role is taken
    from the last "parsed IKE_AUTH|CREATE_CHILD_SA request|response" of the same IKE SA before
    the "CHILD_SA ... established with SPIs" line (parsed request: charon responded, so its
    inbound key is the initiator key).
CHILDREN may be "-" for "no IKE SA at all on either side" (after a delete / terminate).
Prints one "ok"/"FAIL" line per check.
"""
import json
import re
import sys

LINE = re.compile(r"^[0-9:.]+ +[0-9]+\[([A-Z]+)\] +(?:<([^>]*)> )?(.*)$")
DUMP = re.compile(r"^(.*) => ([0-9]+) bytes @ (?:0x)?[0-9a-fA-F]+$")
ROW = re.compile(r"^ *[0-9]+: ((?:[0-9A-F]{2} )+)")
IKE_KEYS = {"Sk_d secret": "SK_d", "Sk_ai secret": "SK_ai", "Sk_ar secret": "SK_ar",
            "Sk_ei secret": "SK_ei", "Sk_er secret": "SK_er", "Sk_pi secret": "SK_pi",
            "Sk_pr secret": "SK_pr"}
CHILD_KEYS = {"encryption initiator key": "encr_i", "encryption responder key": "encr_r",
              "integrity initiator key": "integ_i", "integrity responder key": "integ_r"}


def sa_id(ctx):
    """'home|3' or '3' -> '3'."""
    if ctx is None:
        return None
    return ctx.split("|")[-1]


def parse_log(path):
    """-> (ike_keys: {IKE SA uniqueid: {SK_*: hex}}, children: {charon spi_in: {...}})."""
    ike, children = {}, {}
    role, pending, fresh = {}, {}, {}
    label, want, hexs, owner = None, 0, "", None

    def flush():
        nonlocal label, hexs
        if label is None:
            return
        if label in IKE_KEYS:
            if IKE_KEYS[label] == "SK_d":
                fresh[owner] = {}
            fresh.setdefault(owner, {})[IKE_KEYS[label]] = hexs
        elif label in CHILD_KEYS:
            pending.setdefault(owner, {})[CHILD_KEYS[label]] = hexs
        label, hexs = None, ""

    for raw in open(path, errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        _, ctx, text = m.groups()
        sid = sa_id(ctx)
        if label is not None and sid == owner:
            r = ROW.match(text)
            if r:
                hexs += r.group(1).replace(" ", "").lower()
                if len(hexs) >= 2 * want:
                    hexs = hexs[: 2 * want]
                    flush()
                continue
        d = DUMP.match(text)
        if d:
            flush()
            if d.group(1) in IKE_KEYS or d.group(1) in CHILD_KEYS:
                label, want, hexs, owner = d.group(1), int(d.group(2)), "", sid
                if want == 0:
                    flush()
            continue
        # The keys belong to the IKE SA that becomes ESTABLISHED next in the same context (a
        # rekey requester logs the new SA's keys under the old SA's <NAME|ID>).
        st = re.match(r"IKE_SA \S+\[([0-9]+)\] state change: \S+ => ESTABLISHED", text)
        if st and (st.group(1) in fresh or sid in fresh):
            ike[st.group(1)] = fresh.pop(st.group(1) if st.group(1) in fresh else sid)
            continue
        p = re.match(r"parsed (IKE_AUTH|CREATE_CHILD_SA) (request|response)", text)
        if p:
            role[sid] = "r" if p.group(2) == "request" else "i"
            continue
        e = re.match(r"(?:inbound )?CHILD_SA \S+ established with SPIs ([0-9a-f]+)_i ([0-9a-f]+)_o", text)
        if e and not text.startswith("outbound"):
            k = pending.pop(sid, {})
            # charon responded (r): traffic it receives comes from the initiator -> encr_i in.
            inn, out = ("i", "r") if role.get(sid) == "r" else ("r", "i")
            children[e.group(1)] = {
                "spi_out": e.group(2),
                "encr_in": k.get("encr_" + inn, ""), "encr_out": k.get("encr_" + out, ""),
                "integ_in": k.get("integ_" + inn, ""), "integ_out": k.get("integ_" + out, ""),
                "role": role.get(sid, "?")}
    flush()
    for sid, k in fresh.items():
        ike.setdefault(sid, k)
    return ike, children


def parse_list_sas(path):
    """swanctl --list-sas --raw -> [ {ike fields..., 'name', 'children': [ {...} ]} ]."""
    sas = []
    for line in open(path, errors="replace"):
        if not line.startswith("list-sa event "):
            continue
        toks = re.findall(r"\{|\}|\[[^\]]*\]|[^\s{}=\[\]]+=\[[^\]]*\]|[^\s{}]+", line[len("list-sa event "):])
        stack, pending = [{}], None
        for t in toks:
            if t == "{":
                node = {}
                stack[-1].setdefault("__kids", []).append((pending, node))
                stack.append(node)
                pending = None
            elif t == "}":
                stack.pop()
            elif "=" in t:
                k, v = t.split("=", 1)
                stack[-1][k] = v.strip("[]")
            else:
                pending = t
        outer = stack[0].get("__kids", [(None, {})])[0][1]  # "{NAME {...}}"
        for name, ike in outer.get("__kids", []):
            sa = {k: v for k, v in ike.items() if k != "__kids"}
            sa["name"] = name
            sa["children"] = []
            for kname, kids in ike.get("__kids", []):
                if kname == "child-sas":
                    for cname, c in kids.get("__kids", []):
                        sa["children"].append({k: v for k, v in c.items() if k != "__kids"})
            sas.append(sa)
    return sas


def main():
    raw, log, js, conn, want = sys.argv[1:6]
    bad = 0

    def check(what, ok, detail=""):
        nonlocal bad
        print("  %s %-34s %s" % ("ok  " if ok else "FAIL", what, detail))
        bad += not ok

    charon = [s for s in parse_list_sas(raw) if s["name"] == conn and s.get("state") == "ESTABLISHED"]
    try:
        listing = json.load(open(js))
    except (OSError, ValueError) as e:
        check("ikeref list --json", False, str(e))
        return 1
    ours = [s for s in listing.get("ike_sas", []) if s.get("connection") == conn]
    if want == "-":
        check("charon: no IKE SA of " + conn, not charon, "%d listed" % len(charon))
        check("ikeref: no IKE SA of " + conn, not ours, "%d listed" % len(ours))
        return 1 if bad else 0
    check("charon: one ESTABLISHED IKE SA", len(charon) == 1, "%d" % len(charon))
    live = [s for s in ours if s.get("state") == "Established"]
    check("ikeref: one IKE SA, Established", len(ours) == 1 and len(live) == 1,
          ", ".join(s.get("state", "?") for s in ours) or "none")
    if len(charon) != 1 or len(live) != 1:
        return 1
    c, o = charon[0], live[0]
    check("SPIi", c.get("initiator-spi") == o.get("SPIi"), "%s / %s" % (c.get("initiator-spi"), o.get("SPIi")))
    check("SPIr", c.get("responder-spi") == o.get("SPIr"), "%s / %s" % (c.get("responder-spi"), o.get("SPIr")))
    ike_keys, child_keys = parse_log(log)
    logged = ike_keys.get(c.get("uniqueid"), {})
    check("charon logged IKE keys of #" + str(c.get("uniqueid")), bool(logged), ",".join(sorted(logged)))
    keys = o.get("keys") or {}
    for n in ("SK_d", "SK_ei", "SK_er", "SK_ai", "SK_ar", "SK_pi", "SK_pr"):
        exp, got = logged.get(n, ""), (keys.get(n) or "").lower()
        if not exp and not got:
            continue  # AEAD: no SK_a (RFC 5282 §7)
        check(n, exp == got, got[:16] + "..." if exp == got else "charon %s ikeref %s" % (exp, got))
    installed = [k for k in c["children"] if k.get("state") == "INSTALLED"]
    kids = o.get("children") or []
    check("CHILD SAs: charon INSTALLED", len(installed) == int(want), "%d (want %s)" % (len(installed), want))
    check("CHILD SAs: ikeref", len(kids) == int(want), "%d (want %s)" % (len(kids), want))
    for k in kids:
        mate = [x for x in installed if x.get("spi-out") == k.get("spi_in") and x.get("spi-in") == k.get("spi_out")]
        check("CHILD %s/%s in charon" % (k.get("spi_in"), k.get("spi_out")), len(mate) == 1)
        if not mate:
            continue
        lk = child_keys.get(mate[0]["spi-in"])
        check("  charon logged its keys", lk is not None, "(charon %s exchange)" % (
            "initiated the" if lk and lk["role"] == "i" else "answered the") if lk else "")
        if not lk:
            continue
        for ours_name, theirs in (("encr_key_out", "encr_in"), ("encr_key_in", "encr_out"),
                                  ("integ_key_out", "integ_in"), ("integ_key_in", "integ_out")):
            exp, got = lk[theirs], (k.get(ours_name) or "").lower()
            if not exp and not got:
                continue  # AEAD: no integrity key
            check("  " + ours_name, exp == got, got[:16] + "..." if exp == got else "charon %s ikeref %s" % (exp, got))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
