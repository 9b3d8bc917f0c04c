// Every type that appears in a public signature (the exports of src/index.ts and of the
// rbd-ts/openstack entry, src/glance/index.ts, their members, parameters and results) is
// itself exported by name. Members marked @internal (stripped from the published .d.ts) and
// private ones do not count. Usage: node scripts/check-public-types.mjs (exit 1 on a miss).
import ts from 'typescript';
const SRC = new URL('../src/', import.meta.url).pathname;
const entries = ['src/index.ts', 'src/glance/index.ts'].map((p) => new URL('../' + p, import.meta.url).pathname);
const program = ts.createProgram(entries, {
  strict: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
});
const checker = program.getTypeChecker();
const exported = new Set();
for (const e of entries) {
  const sf = program.getSourceFile(e);
  for (const s of checker.getExportsOfModule(checker.getSymbolAtLocation(sf))) {
    const t = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    exported.add(t);
  }
}
const missing = new Map();
const seen = new Set();
function visitType(t, from) {
  if (!t || seen.has(t)) return;
  seen.add(t);
  const sym = t.aliasSymbol ?? t.getSymbol();
  if (sym) {
    const d = sym.declarations?.[0];
    if (
      d &&
      d.getSourceFile().fileName.includes(SRC) &&
      (ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isClassDeclaration(d) || ts.isEnumDeclaration(d)) &&
      !exported.has(sym)
    ) {
      missing.set(sym.name + ' (' + d.getSourceFile().fileName.replace(/^.*\/src\//, 'src/') + ')', from);
    }
  }
  if (t.aliasTypeArguments) t.aliasTypeArguments.forEach((a) => visitType(a, from));
  if (t.isUnionOrIntersection()) t.types.forEach((x) => visitType(x, from));
  if (t.typeArguments) t.typeArguments.forEach((x) => visitType(x, from));
  if (checker.isArrayType?.(t)) checker.getTypeArguments(t).forEach((x) => visitType(x, from));
  if (t.flags & ts.TypeFlags.Object && sym && sym.declarations?.[0]?.getSourceFile().fileName.includes(SRC)) {
    for (const p of checker.getPropertiesOfType(t)) {
      const pd = p.valueDeclaration ?? p.declarations?.[0];
      if (!pd) continue;
      const mods = ts.getCombinedModifierFlags(pd);
      if (
        mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) ||
        p.name.startsWith('#') ||
        ts.getJSDocTags(pd).some((t) => t.tagName.text === 'internal') ||
        /@internal/.test(pd.getFullText())
      )
        continue;
      visitSig(checker.getTypeOfSymbolAtLocation(p, pd), from + '.' + p.name);
    }
  }
}
function visitSig(t, from) {
  for (const s of [...t.getCallSignatures(), ...t.getConstructSignatures()]) {
    for (const p of s.parameters) visitType(checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration), from + '(' + p.name + ')');
    visitType(s.getReturnType(), from + ' returns');
  }
  visitType(t, from);
}
for (const s of exported) {
  const d = s.valueDeclaration ?? s.declarations?.[0];
  if (!d) continue;
  if (s.flags & ts.SymbolFlags.Class) {
    const inst = checker.getDeclaredTypeOfSymbol(s);
    visitType(inst, s.name);
    for (const c of d.members ?? [])
      if (ts.isConstructorDeclaration(c) && !/@internal/.test(c.getFullText()) && !(ts.getCombinedModifierFlags(c) & ts.ModifierFlags.Private))
        visitSig(checker.getTypeOfSymbolAtLocation(s, d), s.name);
  } else if (s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable)) visitSig(checker.getTypeOfSymbolAtLocation(s, d), s.name);
  else visitType(checker.getDeclaredTypeOfSymbol(s), s.name);
}
for (const [k, v] of missing) console.log(k, '<-', v);
console.log(missing.size, 'unexported types in public signatures');
process.exit(missing.size ? 1 : 0);
