// Headless Chromium: `grantline` here is the package's browser build (grantline/browser, jose inlined), served
// beside this file as ./grantline.js and loaded without an import map. The runner calls window.runSuite(env).
import * as client from 'grantline'
import { runSuite } from '../suite.ts'

globalThis.runSuite = (env) => runSuite(client, env)
