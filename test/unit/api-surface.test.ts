// openid-client's public API surface is grantline's (issue 12, "Done when"): the installed openid-client's
// declaration files (`build/index.d.ts` for `.`, `build/passport.d.ts` for `./passport`) are read with the
// TypeScript compiler API, and every export is looked up in grantline's `src/index.ts` / `src/passport/index.ts`:
// the same kind (class, function, symbol, constant, type), the same parameter count for functions and
// constructors, and, for classes, every public member. A failure lists everything missing at once.

import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const oracleDir = join(dirname(createRequire(import.meta.url).resolve('openid-client')), '.')
const ORACLE = { main: join(oracleDir, 'index.d.ts'), passport: join(oracleDir, 'passport.d.ts') }
const OURS = { main: join(root, 'src/index.ts'), passport: join(root, 'src/passport/index.ts') }

type Kind = 'class' | 'function' | 'symbol' | 'constant' | 'type'

interface Export {
  name: string
  kinds: Set<Kind>
  /** Highest parameter count over a function's overloads, or over a class's constructors. */
  parameters?: number
  /** A class's public instance members (string-named and well-known-symbol-named). */
  members?: string[]
}

let checker: ts.TypeChecker
let program: ts.Program

beforeAll(() => {
  const { options } = ts.parseJsonConfigFileContent(
    ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config,
    ts.sys,
    root,
  )
  program = ts.createProgram({
    rootNames: [ORACLE.main, ORACLE.passport, OURS.main, OURS.passport],
    options: { ...options, noEmit: true, skipLibCheck: true },
  })
  checker = program.getTypeChecker()
}, 60_000)

function exportsOf(file: string): Map<string, Export> {
  const source = program.getSourceFile(file)
  if (source === undefined) throw new Error(`${file} is not part of the program`)
  const moduleSymbol = checker.getSymbolAtLocation(source)
  const out = new Map<string, Export>()
  if (moduleSymbol === undefined) return out // a module without exports (a placeholder)
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    out.set(exported.name, describe_(exported))
  }
  return out
}

function describe_(exported: ts.Symbol): Export {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
  const result: Export = { name: exported.name, kinds: new Set() }
  const flags = symbol.flags
  if (flags & ts.SymbolFlags.Class) {
    result.kinds.add('class')
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0]
    if (declaration) {
      const constructorType = checker.getTypeOfSymbolAtLocation(symbol, declaration)
      result.parameters = maxParameters(constructorType.getConstructSignatures())
    }
    const instance = checker.getDeclaredTypeOfSymbol(symbol)
    result.members = checker
      .getPropertiesOfType(instance)
      .filter((member) => !isPrivate(member))
      .map((member) => memberName(member))
      .sort()
  } else if (flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable)) {
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0]
    const type = declaration ? checker.getTypeOfSymbolAtLocation(symbol, declaration) : undefined
    if (flags & ts.SymbolFlags.Function || (type && type.getCallSignatures().length > 0)) {
      result.kinds.add('function')
      result.parameters = maxParameters(type?.getCallSignatures() ?? [])
    } else if (type && type.flags & ts.TypeFlags.UniqueESSymbol) {
      result.kinds.add('symbol')
    } else {
      result.kinds.add('constant')
    }
  }
  if (
    flags &
    (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class | ts.SymbolFlags.Enum)
  ) {
    result.kinds.add('type')
  }
  if (flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) && !(flags & ts.SymbolFlags.Class)) {
    // The members of an object type (an interface, or an alias of an object or intersection type)
    const type = checker.getDeclaredTypeOfSymbol(symbol)
    if (!(type.flags & ts.TypeFlags.Union) && type.getCallSignatures().length === 0) {
      result.members = checker
        .getPropertiesOfType(type)
        .map((member) => memberName(member))
        .sort()
    }
  }
  return result
}

function maxParameters(signatures: readonly ts.Signature[]): number {
  return Math.max(0, ...signatures.map((signature) => signature.getParameters().length))
}

function isPrivate(member: ts.Symbol): boolean {
  const modifiers = member.valueDeclaration ? ts.getCombinedModifierFlags(member.valueDeclaration) : 0
  return (
    (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 ||
    member.name.startsWith('#') ||
    // `_config`... (openid-client's passport Strategy declares none, its build has them); `__@x@1` is a symbol key
    (member.name.startsWith('_') && !member.name.startsWith('__@'))
  )
}

/** `[customFetch]` for a member keyed by an exported unique symbol, else the member's name. */
function memberName(member: ts.Symbol): string {
  if (member.escapedName.toString().startsWith('__@')) {
    const declaration = member.valueDeclaration ?? member.declarations?.[0]
    const name = declaration && ts.getNameOfDeclaration(declaration)
    if (name && ts.isComputedPropertyName(name)) {
      return `[${name.expression.getText().replace(/^(oauth|client)\./, '')}]`
    }
  }
  return member.name
}

function show(e: Export | undefined): string {
  if (e === undefined) return 'missing'
  const kinds = [...e.kinds].join('+') || 'unknown'
  return e.parameters === undefined ? kinds : `${kinds}(${e.parameters} parameters)`
}

/** Every way in which `ours` falls short of `theirs`, one line each. */
function compare(theirs: Map<string, Export>, ours: Map<string, Export>): string[] {
  const problems: string[] = []
  for (const [name, oracle] of [...theirs].sort(([a], [b]) => a.localeCompare(b))) {
    const mine = ours.get(name)
    if (mine === undefined) {
      problems.push(`${name}: missing (openid-client: ${show(oracle)})`)
      continue
    }
    for (const kind of oracle.kinds) {
      if (!mine.kinds.has(kind))
        problems.push(`${name}: is ${show(mine)}, openid-client's is ${show(oracle)}`)
    }
    if (oracle.parameters !== undefined && mine.parameters !== oracle.parameters) {
      problems.push(
        `${name}: takes ${mine.parameters} parameters, openid-client's takes ${oracle.parameters}`,
      )
    }
    for (const member of oracle.members ?? []) {
      if (!mine.members?.includes(member)) problems.push(`${name}: has no member ${member}`)
    }
  }
  return problems
}

describe('the public API surface is openid-client 6.9.0’s', () => {
  it('reads the oracle: the declaration files list what openid-client exports', () => {
    const main = exportsOf(ORACLE.main)
    const passport = exportsOf(ORACLE.passport)
    // A broken parse would find nothing and pass vacuously.
    expect(main.size).toBeGreaterThan(100)
    expect(show(main.get('fetchUserInfo'))).toBe('function(4 parameters)')
    expect(show(main.get('Configuration'))).toBe('class+type(4 parameters)')
    expect(show(main.get('skipSubjectCheck'))).toBe('symbol')
    expect(show(main.get('UserInfoResponse'))).toBe('type')
    expect(main.get('Configuration')?.members).toEqual(
      expect.arrayContaining(['serverMetadata', 'clientMetadata', 'timeout', '[customFetch]']),
    )
    expect(show(passport.get('Strategy'))).toBe('class+type(2 parameters)')
    expect(show(passport.get('getDPoPHandle'))).toBe('type')
  })

  it('`grantline` exports everything `openid-client` does, with the same kind and parameter count', () => {
    const problems = compare(exportsOf(ORACLE.main), exportsOf(OURS.main))
    expect(problems, `grantline misses openid-client exports:\n${problems.join('\n')}`).toEqual([])
  })

  it('`grantline/passport` exports everything `openid-client/passport` does, with the same shape', () => {
    const problems = compare(exportsOf(ORACLE.passport), exportsOf(OURS.passport))
    expect(problems, `grantline/passport misses exports:\n${problems.join('\n')}`).toEqual([])
  })

  it('`grantline/passport` loads nothing at runtime but grantline’s public API (D86)', () => {
    const folder = dirname(OURS.passport)
    const files = program.getSourceFiles().filter((file) => dirname(resolve(file.fileName)) === folder)
    expect(files.map((file) => file.fileName.slice(folder.length + 1)).sort()).toContain('index.ts')
    const runtime = new Set<string>()
    const typeOnly = new Set<string>()
    for (const source of files) {
      for (const statement of source.statements) {
        if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue
        const specifier = statement.moduleSpecifier
        if (specifier === undefined || !ts.isStringLiteral(specifier)) continue
        const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined
        const onlyTypes = ts.isImportDeclaration(statement)
          ? clause?.isTypeOnly === true ||
            (clause?.name === undefined &&
              clause?.namedBindings !== undefined &&
              ts.isNamedImports(clause.namedBindings) &&
              clause.namedBindings.elements.every((element) => element.isTypeOnly))
          : statement.isTypeOnly
        ;(onlyTypes ? typeOnly : runtime).add(specifier.text)
      }
    }
    // grantline's barrel and the folder's own modules, nothing else
    expect([...runtime].filter((s) => s !== '../index.js' && !/^\.\/[\w-]+\.js$/.test(s))).toEqual([])
    expect(runtime.has('../index.js')).toBe(true)
    expect([...typeOnly]).toEqual(expect.arrayContaining(['express', 'passport']))
  })

  it('the comparison fails when something is missing or has another shape', () => {
    const oracle = new Map<string, Export>([
      ['f', { name: 'f', kinds: new Set(['function']), parameters: 2 }],
      ['C', { name: 'C', kinds: new Set(['class', 'type']), parameters: 1, members: ['m'] }],
      ['T', { name: 'T', kinds: new Set(['type']) }],
    ])
    const ours = new Map<string, Export>([
      ['f', { name: 'f', kinds: new Set(['function']), parameters: 3 }],
      ['C', { name: 'C', kinds: new Set(['type']), members: [] }],
    ])
    expect(compare(oracle, ours)).toEqual([
      "C: is type, openid-client's is class+type(1 parameters)",
      "C: takes undefined parameters, openid-client's takes 1",
      'C: has no member m',
      "f: takes 3 parameters, openid-client's takes 2",
      'T: missing (openid-client: type)',
    ])
  })
})
