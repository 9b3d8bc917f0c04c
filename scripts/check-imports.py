#!/usr/bin/env python3
"""The import graph of src/: no cycles (type-only imports count), and layers talk downward only.
Usage: python3 scripts/check-imports.py   (exit 1 with the offending cycle or import)"""
import os, re, sys
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src')
# lower index = lower layer; a module may import its own layer or lower ones
LAYERS = ['encoding', 'common', 'config', 'msgr2', 'auth', 'mon', 'rados', 'rbd', 'glance', 'cli', '']
IMP = re.compile(r"^(?:import|export)\b[^;]*?from\s+'(\.[^']+)'", re.M)
graph = {}
for d, _, fs in os.walk(ROOT):
    for f in fs:
        if not f.endswith('.ts'):
            continue
        p = os.path.normpath(os.path.join(d, f))
        src = open(p).read()
        graph[p] = [os.path.normpath(os.path.join(d, m.group(1).replace('.js', '.ts'))) for m in IMP.finditer(src)]
def layer(p):
    rel = os.path.relpath(p, ROOT).split(os.sep)
    return LAYERS.index(rel[0]) if len(rel) > 1 and rel[0] in LAYERS else LAYERS.index('')
bad = []
for p, deps in graph.items():
    for q in deps:
        if layer(q) > layer(p):
            bad.append(f'{os.path.relpath(p, ROOT)} imports {os.path.relpath(q, ROOT)} (a higher layer)')
state, stack = {}, []
def visit(p):
    state[p] = 1; stack.append(p)
    for q in graph.get(p, []):
        if state.get(q) == 1:
            cyc = stack[stack.index(q):] + [q]
            bad.append('cycle: ' + ' -> '.join(os.path.relpath(x, ROOT) for x in cyc))
        elif q in graph and not state.get(q):
            visit(q)
    stack.pop(); state[p] = 2
for p in sorted(graph):
    if not state.get(p):
        visit(p)
for b in bad:
    print(b)
print(f'{len(graph)} modules, {sum(map(len, graph.values()))} imports, {len(bad)} problems')
sys.exit(1 if bad else 0)
