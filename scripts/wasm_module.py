#!/usr/bin/env python3
"""Reads a canister wasm module's imports and exports for scripts/build.sh.

  wasm_module.py check-imports FILE   fails unless every import comes from the `ic0` system API:
                                      a canister importing anything else (`__wbindgen_*`, `wasi_*`,
                                      a stray `env` symbol) cannot be installed on the IC.
  wasm_module.py system-exports FILE  prints, one a line in ic-wasm's `--hidden` format, the
                                      exports that are for the system rather than for clients
                                      (lifecycle hooks, the global timer, ic-cdk internals), so
                                      `ic-wasm check-endpoints` compares everything else with
                                      the .did.
  wasm_module.py endpoint-errors DID  reads `ic-wasm check-endpoints` output on stdin and prints
                                      the real mismatches. ic-wasm 0.11.1 reads `composite_query`
                                      in a .did as a plain query, so for a method the .did
                                      declares `composite_query` it reports a missing
                                      `canister_query:M` and an unexpected
                                      `canister_composite_query:M`; exactly that pair is dropped
                                      (for methods the .did declares composite_query, over any
                                      number of lines).

Reads the sections directly: no tool beyond Python is needed.
"""
import sys


def leb128(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def name(data, pos):
    length, pos = leb128(data, pos)
    return data[pos:pos + length].decode("utf-8"), pos + length


def sections(data):
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    pos = 8
    while pos < len(data):
        section_id = data[pos]
        size, pos = leb128(data, pos + 1)
        yield section_id, pos
        pos += size


def imports(data):
    for section_id, pos in sections(data):
        if section_id == 2:
            count, p = leb128(data, pos)
            for _ in range(count):
                module, p = name(data, p)
                field, p = name(data, p)
                kind = data[p]
                p += 1
                if kind == 0:  # function: type index
                    _, p = leb128(data, p)
                elif kind == 1:  # table: reftype + limits
                    p += 1
                    flags, p = leb128(data, p)
                    _, p = leb128(data, p)
                    if flags & 1:
                        _, p = leb128(data, p)
                elif kind == 2:  # memory: limits
                    flags, p = leb128(data, p)
                    _, p = leb128(data, p)
                    if flags & 1:
                        _, p = leb128(data, p)
                elif kind == 3:  # global: valtype + mutability
                    p += 2
                else:
                    raise ValueError(f"unknown import kind {kind}")
                yield module, field


def function_exports(data):
    for section_id, pos in sections(data):
        if section_id == 7:
            count, p = leb128(data, pos)
            for _ in range(count):
                field, p = name(data, p)
                kind = data[p]
                _, p = leb128(data, p + 1)
                if kind == 0:
                    yield field


SYSTEM_HOOKS = {
    "canister_init",
    "canister_pre_upgrade",
    "canister_post_upgrade",
    "canister_inspect_message",
    "canister_heartbeat",
    "canister_global_timer",
    "canister_on_low_wasm_memory",
}


def system_exports(data):
    for field in function_exports(data):
        if field in SYSTEM_HOOKS:
            yield field
        elif field.startswith("canister_update <ic-cdk internal> "):
            # ic-wasm's --hidden format writes the method kind and name apart with a colon.
            yield "canister_update:" + field[len("canister_update "):]


def composite_queries(did_text):
    """Names of the service's methods declared `composite_query`, however their signatures are
    split over lines: the service body is cut at the `;` that are outside any braces or
    parentheses (records and variants use `;` inside)."""
    import re
    text = re.sub(r"//[^\n]*", "", did_text)
    service = re.search(r"^service\s*:[^{]*?(->\s*)?\{", text, re.M)
    start = service.end() - 1
    depth, item, methods = 0, [], []
    for ch in text[start + 1:]:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            if depth == 0:
                break
            depth -= 1
        if ch == ";" and depth == 0:
            methods.append("".join(item))
            item = []
        else:
            item.append(ch)
    names = set()
    for m in methods:
        found = re.match(r"\s*\"?(\w+)\"?\s*:", m)
        if found and re.search(r"\)\s*composite_query\s*$", m.strip()):
            names.add(found.group(1))
    return names


def endpoint_errors(did_text, report):
    import re
    errors = [line.strip() for line in report.splitlines() if line.startswith("ERROR")]
    missing = {m for e in errors for m in re.findall(r"missing from the WASM exports section: canister_query:(\S+)", e)}
    unexpected = {m for e in errors for m in re.findall(r"unexpected in the WASM exports section: canister_composite_query:(\S+)", e)}
    composite = composite_queries(did_text)
    tolerated = missing & unexpected & composite
    for e in errors:
        method = e.rsplit(":", 1)[-1]
        if method in tolerated and ("canister_query:" in e or "canister_composite_query:" in e):
            continue
        yield e


def main(command, path):
    with open(path, "rb") as f:
        data = f.read()
    if command == "check-imports":
        foreign = [f"{m}.{f}" for m, f in imports(data) if m != "ic0"]
        if foreign:
            print(f"{path}: imports outside ic0: {', '.join(foreign)}", file=sys.stderr)
            return 1
        return 0
    if command == "endpoint-errors":
        remaining = list(endpoint_errors(data.decode("utf-8"), sys.stdin.read()))
        for e in remaining:
            print(e)
        return 1 if remaining else 0
    if command == "system-exports":
        for field in system_exports(data):
            print(field)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]) if len(sys.argv) == 3 else main("", ""))
