#!/usr/bin/env python3
"""Fails when the crate's modules depend on each other in a cycle.

The rule: inside any module, its submodules form a directed acyclic graph. A reference from
`a::x::y` to `a::z::w` counts as `a::x -> a::z` (lifted to the children of the deepest module that
holds both). A module may use its ancestors' own items (what a parent declares is shared by its
children) and its own descendants (a parent owns its children), so neither counts.

Usage: python3 .ci/module_cycles.py [SRC_DIR]   (default: src). Exit 1 and the cycles on failure.
"""
import os
import re
import sys
from collections import defaultdict

SRC = sys.argv[1] if len(sys.argv) > 1 else "src"
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel in (["lib"], ["main"]):
        return ()
    if rel[-1] == "mod":
        rel = rel[:-1]
    return tuple(rel)


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = re.sub(r"\s+", "", tree)
    out = []

    def walk(prefix, rest):
        i = 0
        depth = 0
        start = 0
        # split top-level commas
        parts = []
        while i < len(rest):
            ch = rest[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(rest[start:i])
                start = i + 1
            i += 1
        parts.append(rest[start:])
        for part in parts:
            if not part:
                continue
            brace = part.find("{")
            if brace >= 0 and part.endswith("}"):
                head = part[:brace].rstrip(":")
                walk(prefix + ([h for h in head.split("::") if h] if head else []), part[brace + 1 : -1])
            else:
                segs = [s for s in re.sub(r"\bas\b.*$", "", part).split("::") if s]
                out.append(prefix + segs)

    walk([], tree)
    return out


def references(text, here):
    """Absolute module paths (tuples) this file's code names."""
    text = strip_comments(text)
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths.extend(expand_use(m.group(1)))
    body = re.sub(r"\buse\s+[^;]+;", "", text)
    for m in re.finditer(r"\b((?:crate|super|self)(?:::" + IDENT + r")+)", body):
        paths.append(m.group(1).split("::"))
    absolute = []
    for segs in paths:
        if not segs:
            continue
        if segs[0] == "crate":
            absolute.append(tuple(segs[1:]))
        elif segs[0] in ("super", "self"):
            base = list(here)
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super" and base:
                    base.pop()
                segs = segs[1:]
            absolute.append(tuple(base + segs))
    return absolute


def main():
    modules = {}
    for root, _, files in os.walk(SRC):
        for name in files:
            if name.endswith(".rs"):
                path = os.path.join(root, name)
                modules[module_of(path)] = path
    known = set(modules)
    edges = defaultdict(lambda: defaultdict(set))  # parent -> child_a -> {child_b}
    why = {}
    for here, path in modules.items():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # test-only modules inside a file are ignored: tests may use anything
        text = re.split(r"#\[cfg\(test\)\]\s*mod\s+tests\s*\{", text)[0]
        for target in references(text, here):
            while target and target not in known:
                target = target[:-1]
            if target == here or here[: len(target)] == target or target[: len(here)] == here:
                continue  # itself, an ancestor, or a descendant
            common = 0
            while common < min(len(here), len(target)) and here[common] == target[common]:
                common += 1
            parent, a, b = here[:common], here[common], target[common]
            edges[parent][a].add(b)
            why.setdefault((parent, a, b), f"{path} uses {'::'.join(('crate',) + target)}")
    cycles = []
    for parent, graph in sorted(edges.items()):
        for members, cycle in find_cycles(graph):
            cycles.append((parent, members, cycle))
    if not cycles:
        print(f"no module cycles ({len(modules)} modules)")
        return 0
    for parent, members, cycle in cycles:
        name = "::".join(("crate",) + parent)
        print(f"in {name}, these depend on each other: {', '.join(sorted(members))}")
        print(f"  for example {' -> '.join(cycle + [cycle[0]])}:")
        for a, b in zip(cycle, cycle[1:] + [cycle[0]]):
            print(f"    {why[(parent, a, b)]}")
    print(f"{len(cycles)} module cycle(s)")
    return 1


def find_cycles(graph):
    """One cycle per strongly connected component of more than one node (Tarjan)."""
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]
    nodes = set(graph) | {b for bs in graph.values() for b in bs}

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    for v in sorted(nodes):
        if v not in index:
            strong(v)
    cycles = []
    for comp in comps:
        members = set(comp)
        start = sorted(comp)[0]
        # shortest path back to start, breadth first
        prev = {start: None}
        queue = [start]
        found = None
        while queue and not found:
            nxt = []
            for v in queue:
                for w in sorted(graph.get(v, ())):
                    if w not in members:
                        continue
                    if w == start:
                        found = v
                        break
                    if w not in prev:
                        prev[w] = v
                        nxt.append(w)
                if found:
                    break
            queue = nxt
        path = []
        v = found
        while v is not None:
            path.append(v)
            v = prev[v]
        cycles.append((comp, list(reversed(path))))
    return cycles


if __name__ == "__main__":
    sys.exit(main())
