// `npm run build` (and `prepare`, so a git install or a clean clone builds itself): dist/ as it is published.
//
//   dist/index.js, dist/node/index.js, dist/redis/index.js, dist/passport/index.js, dist/cli/main.js, and
//   dist/browser/grantline.js: esbuild, with the options in scripts/build-config.mjs.
//   dist/index.d.ts, dist/node/index.d.ts, dist/redis/index.d.ts, dist/passport/index.d.ts
//       one bundled declaration file per entry point, with only what that entry exports (and the types those
//       exports mention). The Node.js, Redis and Passport entries import the core's types from `../index.js`,
//       so a `Configuration` from `grantline` is the same type in `grantline/node`.
//
// No source maps: the tarball ships no sources for them to point at.
//
// Steps: type-check the portable core without Node.js types, emit declarations for everything into a temporary
// folder, bundle them with dts-bundle-generator (the core first, then the other entries against it), esbuild.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { generateDtsBundle } from 'dts-bundle-generator'
import { browserBuildOptions, jsBuildOptions } from './build-config.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DIST = join(ROOT, 'dist')
const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

/** Entries with types, by folder under src/ ('' is the core). The CLI has no types. */
const TYPED = ['', 'node', 'redis', 'passport']
const SIDE_ENTRIES = TYPED.filter(Boolean)

const started = performance.now()
const step = (what) => {
  if (process.env['GRANTLINE_BUILD_VERBOSE'] === '1') {
    console.error(`build: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`)
  }
}

rmSync(DIST, { recursive: true, force: true })

// 1. The portable core compiles without Node.js types (tsconfig.build.json excludes the Node.js-only folders).
step('tsc portable check')
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--noEmit'], {
  stdio: 'inherit',
})

// 2. Declarations for everything, into a temporary folder (never into dist/: internals are not shipped).
const work = mkdtempSync(join(tmpdir(), 'grantline-build-'))
try {
  const dts = join(work, 'dts')
  step('tsc declarations')
  execFileSync(
    process.execPath,
    [tsc, '-p', join(ROOT, 'tsconfig.node.json'), '--emitDeclarationOnly', '--outDir', dts],
    { stdio: 'inherit' },
  )

  const tsconfig = join(work, 'tsconfig.json')
  writeFileSync(
    tsconfig,
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
      },
      include: ['dts/**/*.d.ts'],
    }),
  )
  const entryOptions = { output: { noBanner: true, exportReferencedTypes: false } }

  // 3a. The core.
  step('bundle core declarations')
  const [core] = generateDtsBundle([{ filePath: join(dts, 'index.d.ts'), ...entryOptions }], {
    preferredConfigPath: tsconfig,
  })
  writeOut('index.d.ts', core)

  // 3b. The other entries see the core as the package `grantline` (a library, so its types are imported, not
  // inlined); afterwards the import is pointed at the core's file. A name the core does not export stays
  // inlined (an internal type, which no public declaration of the core can then clash with).
  const publicNames = exportedNames(core)
  const coreDeclarations = declaredNames(core)
  const library = join(work, 'node_modules', 'grantline')
  mkdirSync(library, { recursive: true })
  writeFileSync(
    join(library, 'package.json'),
    JSON.stringify({ name: 'grantline', type: 'module', types: 'index.d.ts' }),
  )
  writeFileSync(join(library, 'index.d.ts'), core)
  for (const folder of SIDE_ENTRIES) pointAtCore(join(dts, folder), folder, publicNames)
  step('bundle side-entry declarations')
  const bundles = generateDtsBundle(
    SIDE_ENTRIES.map((folder) => ({
      filePath: join(dts, folder, 'index.d.ts'),
      ...entryOptions,
    })),
    { preferredConfigPath: tsconfig },
  )
  SIDE_ENTRIES.forEach((folder, i) => {
    const text = bundles[i].replace(/(from\s+)(['"])grantline\2/g, `$1'../index.js'`)
    // A second declaration of a core export would be a second, incompatible type (classes, unique symbols).
    // (A declaration of another kind under a core name, such as passport's `type getDPoPHandle`, is its own.)
    const twice = [...declaredNames(text)].filter(
      (name) => coreDeclarations.has(name) && publicNames.has(name.split(' ')[1]),
    )
    if (twice.length > 0) {
      throw new Error(
        `build: ${folder}/index.d.ts declares ${twice.join(', ')} again instead of importing the core's`,
      )
    }
    writeOut(`${folder}/index.d.ts`, text)
  })
} finally {
  rmSync(work, { recursive: true, force: true })
}

// 4. JavaScript.
step('esbuild')
await build(jsBuildOptions(DIST))
await build(browserBuildOptions(join(DIST, 'browser', 'grantline.js')))
step('done')

function writeOut(path, text) {
  const file = join(DIST, path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
}

/** Every name a bundled declaration file exports (`export declare ...`, `export { a, b as c }`). */
function exportedNames(text) {
  const names = new Set()
  for (const m of text.matchAll(
    /^export\s+(?:declare\s+)?(?:abstract\s+)?(?:const|let|function|class|type|interface|enum|namespace)\s+([A-Za-z_$][\w$]*)/gm,
  )) {
    names.add(m[1])
  }
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const part of m[1].split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.replace(/^type\s+/, '')
      if (name) names.add(name)
    }
  }
  return names
}

/** Every `kind name` a bundled declaration file declares at its top level, exported or not. */
function declaredNames(text) {
  const names = new Set()
  for (const m of text.matchAll(
    /^(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(const|let|function|class|type|interface|enum|namespace)\s+([A-Za-z_$][\w$]*)/gm,
  )) {
    names.add(`${m[1]} ${m[2]}`)
  }
  return names
}

/**
 * In the declarations of one side entry (src/<folder>), every import of the core (a relative path that leaves
 * the folder) becomes an import of `grantline` when every name it imports is public (the others are internals
 * that no public declaration of the entry reaches; if one did, the duplicate check above would name it).
 */
function pointAtCore(dir, folder, publicNames) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue
    const file = join(entry.parentPath ?? entry.path, entry.name)
    const depth = relative(dir, dirname(file)).split(/[\\/]/).filter(Boolean).length
    const up = '../'.repeat(depth + 1)
    const original = readFileSync(file, 'utf8')
    const text = original.replace(
      /^(import|export)(\s+type)?(\s*\{([^}]*)\}\s*from\s*|\s*\*\s*from\s*)(['"])([^'"]+)\5;?$/gm,
      (line, kw, type, _clause, names, _q, specifier) => {
        if (!specifier.startsWith(up) || specifier.startsWith(`${up}${folder}/`)) return line
        if (names === undefined) return line.replace(specifier, 'grantline')
        // Split the names: the public ones come from `grantline`, the others stay where they were.
        const parts = names
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean)
        const isPublic = (part) => publicNames.has(part.replace(/^type\s+/, '').split(/\s+as\s+/)[0])
        const statement = (list, from) => `${kw}${type ?? ''} { ${list.join(', ')} } from '${from}';`
        const shared = parts.filter(isPublic)
        const own = parts.filter((part) => !isPublic(part))
        return [
          ...(shared.length ? [statement(shared, 'grantline')] : []),
          ...(own.length ? [statement(own, specifier)] : []),
        ].join('\n')
      },
    )
    if (text !== original) writeFileSync(file, text)
  }
}
