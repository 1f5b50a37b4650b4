#!/usr/bin/env python3
"""Prints the import graph between eks-kc's top-level modules (src/*.rs and src/*/) and any
cycle in it; exits 1 when there is one. Test code (`#[cfg(test)]` onwards, tests.rs files) is
left out. Run: python3 bench/modgraph.py"""
import collections
import os
import re
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
edges = collections.defaultdict(set)
for root, _, files in os.walk(SRC):
    for f in files:
        if not f.endswith(".rs") or f == "tests.rs":
            continue
        path = os.path.join(root, f)
        top = os.path.relpath(path, SRC).split(os.sep)[0].removesuffix(".rs")
        if top in ("main", "lib"):
            continue
        text = open(path).read().split("#[cfg(test)]")[0]
        code = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))
        names = set(re.findall(r"crate::([a-z_]+)", code))
        for group in re.findall(r"use crate::\{([^}]*)\}", code, re.S):
            names.update(re.findall(r"\b([a-z_]+)\b", group))
        edges[top].update(n for n in names if n not in (top, "self"))

index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            visit(w)
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
            cycles.append(sorted(comp))

for v in list(edges):
    if v not in index:
        visit(v)
for k in sorted(edges):
    print(f"{k} -> {', '.join(sorted(edges[k]))}")
print("cycles:", cycles or "none")
sys.exit(1 if cycles else 0)
