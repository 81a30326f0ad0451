// `node scripts/check-examples.mjs`: type-checks every `@example` of the public API (issue 14, item 4).
//
// The public API is what the four entry points export: `grantline` (src/index.ts), `grantline/node`,
// `grantline/redis` and `grantline/passport`. For each exported symbol (and the members of exported classes and
// interfaces), every ```ts block in an `@example` tag becomes one virtual module, written as a user writes it:
//
//   - an example with its own `import` statements is taken as is;
//   - otherwise the module gets `import * as client from 'grantline'` (`'grantline/node'` for that entry) and
//     named imports of every export of the symbol's entry point that the example does not declare itself, so
//     both `client.genericGrantRequest(...)` and `genericGrantRequest(...)` work. Free variables must be
//     declared in the example (`let config!: client.Configuration`), as the seed page does.
//
// All examples are checked in one TypeScript program, with `grantline*` mapped to the sources through `paths`
// (no build needed). The virtual files live under the repository root, so `passport`, `express` and `redis`
// resolve from node_modules like in a user's project. Nothing is written to disk.
//
// Also fails when an exported function has no `@example` at all.
// Exit code 0 when clean; 1 with one line per problem: file, symbol, error.
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Entry points: module specifier → source barrel. Order matters: a symbol belongs to the first entry exporting it. */
export const ENTRIES = [
  ['grantline', 'src/index.ts'],
  ['grantline/node', 'src/node/index.ts'],
  ['grantline/redis', 'src/redis/index.ts'],
  ['grantline/passport', 'src/passport/index.ts'],
]

const baseOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  types: ['node'],
  // a user's usual settings: strict, without exactOptionalPropertyTypes
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  allowImportingTsExtensions: false,
}

/** The ```ts blocks of a JSDoc tag's text. */
function codeBlocks(text) {
  const blocks = []
  const re = /```(?:ts|typescript)[^\n]*\n([\s\S]*?)```/g
  let m
  while ((m = re.exec(text)) !== null) blocks.push(m[1])
  return blocks
}

function tagText(tag) {
  const c = tag.comment
  if (c === undefined) return ''
  if (typeof c === 'string') return c
  return c.map((part) => part.text).join('')
}

/** Names declared at the top level of an example (so the wrapper does not import them too). */
function declaredNames(code) {
  const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const names = new Set()
  let hasImport = false
  const bind = (name) => {
    if (ts.isIdentifier(name)) names.add(name.text)
    else if (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name)) {
      for (const el of name.elements) if (!ts.isOmittedExpression(el)) bind(el.name)
    }
  }
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st)) hasImport = true
    else if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) bind(d.name)
    else if (
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) ||
        ts.isEnumDeclaration(st)) &&
      st.name
    )
      names.add(st.name.text)
  }
  return { names, hasImport }
}

/**
 * Collects the public API's examples and the exported functions without one.
 * @returns {{ examples: { entry: string, symbol: string, file: string, line: number, code: string }[], missing: { entry: string, symbol: string, file: string }[], exportsOf: Map<string, string[]> }}
 */
export function collectExamples() {
  const rootNames = ENTRIES.map(([, file]) => join(ROOT, file))
  const program = ts.createProgram(rootNames, { ...baseOptions, noResolve: false })
  const checker = program.getTypeChecker()
  const seen = new Set()
  const examples = []
  const missing = []
  const exportsOf = new Map()

  const visitDeclaration = (entry, symbolName, decl, isExportedFunction) => {
    if (seen.has(decl)) return
    seen.add(decl)
    const sf = decl.getSourceFile()
    const file = relative(ROOT, sf.fileName)
    let found = 0
    for (const tag of ts.getJSDocTags(decl)) {
      if (tag.tagName.text !== 'example') continue
      for (const code of codeBlocks(tagText(tag))) {
        found++
        const { line } = sf.getLineAndCharacterOfPosition(tag.getStart(sf))
        examples.push({ entry, symbol: symbolName, file, line: line + 1, code })
      }
    }
    if (isExportedFunction && found === 0) missing.push({ entry, symbol: symbolName, file })
    return found
  }

  for (const [entry, file] of ENTRIES) {
    const sf = program.getSourceFile(join(ROOT, file))
    const moduleSymbol = checker.getSymbolAtLocation(sf)
    const names = []
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      names.push(exported.name)
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const decls = target.declarations ?? []
      const fnDecls = decls.filter((d) => ts.isFunctionDeclaration(d))
      // overloads: one example anywhere among the overloads is enough
      if (fnDecls.length > 0 && fnDecls.some((d) => seen.has(d))) continue
      let fnExamples = 0
      for (const d of decls) {
        const isFn = ts.isFunctionDeclaration(d)
        const n = visitDeclaration(entry, exported.name, d, false) ?? 0
        if (isFn) fnExamples += n
        if (ts.isClassDeclaration(d) || ts.isInterfaceDeclaration(d)) {
          for (const member of d.members) {
            const memberName = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined
            if (memberName !== undefined)
              visitDeclaration(entry, `${exported.name}.${memberName}`, member, false)
          }
        }
      }
      if (fnDecls.length > 0 && fnExamples === 0)
        missing.push({
          entry,
          symbol: exported.name,
          file: relative(ROOT, fnDecls[0].getSourceFile().fileName),
        })
    }
    exportsOf.set(entry, names)
  }
  return { examples, missing, exportsOf }
}

/** Wraps one example into a module a user could have written. */
function wrap(example, exportsOf) {
  const { names, hasImport } = declaredNames(example.code)
  if (hasImport) return `${example.code}\nexport {}\n`
  const ns = example.entry === 'grantline/node' ? 'grantline/node' : 'grantline'
  const imported = exportsOf.get(example.entry).filter((n) => !names.has(n) && n !== 'client')
  const lines = []
  if (!names.has('client')) lines.push(`import * as client from '${ns}'`)
  if (imported.length > 0) lines.push(`import { ${imported.join(', ')} } from '${example.entry}'`)
  return { header: lines.join('\n') + '\n', text: `${lines.join('\n')}\n${example.code}\nexport {}\n` }
}

/** Type-checks every example in one program; returns one message per problem. */
export function checkExamples() {
  const { examples, missing, exportsOf } = collectExamples()
  const problems = missing.map(
    (m) => `${m.file}: ${m.entry} ${m.symbol}: an exported function without an @example`,
  )
  const virtual = new Map()
  const meta = new Map()
  examples.forEach((ex, i) => {
    const fileName = join(ROOT, '.examples', `${String(i).padStart(3, '0')}-${ex.symbol}.ts`)
    const w = wrap(ex, exportsOf)
    const text = typeof w === 'string' ? w : w.text
    const headerLines = typeof w === 'string' ? 0 : w.header.split('\n').length - 1
    virtual.set(fileName, text)
    meta.set(fileName, { ...ex, headerLines })
  })
  const paths = Object.fromEntries(ENTRIES.map(([spec, file]) => [spec, [join(ROOT, file)]]))
  const options = { ...baseOptions, baseUrl: ROOT, paths }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(fileName)
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true)
    return getSourceFile(fileName, languageVersion, onError, shouldCreate)
  }
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists(fileName)
  const readFile = host.readFile.bind(host)
  host.readFile = (fileName) => virtual.get(fileName) ?? readFile(fileName)
  const program = ts.createProgram([...virtual.keys()], options, host)
  for (const [fileName] of virtual) {
    const sf = program.getSourceFile(fileName)
    const m = meta.get(fileName)
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
    for (const d of diags) {
      const { line } = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start) : { line: 0 }
      const exampleLine = Math.max(1, line + 1 - m.headerLines)
      problems.push(
        `${m.file}:${m.line}: ${m.entry} ${m.symbol} @example, line ${exampleLine}: ` +
          ts.flattenDiagnosticMessageText(d.messageText, ' '),
      )
    }
  }
  return { problems, count: examples.length }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { problems, count } = checkExamples()
  if (problems.length > 0) {
    console.error(
      `check-examples: ${problems.length} problem(s) in ${count} example(s):\n${problems.join('\n')}`,
    )
    process.exit(1)
  }
  console.log(`check-examples: ${count} example(s) type-check`)
}
