// The chart of BENCHMARKS.svg: client CPU per token request, per client, server, mode and concurrency, with the
// round-to-round spread as whiskers. Hand-written SVG: no chart dependency, nothing loaded from elsewhere.

import { CLIENTS, MODES, MODE_LABEL, type ClientName } from './clients.js'
import * as settings from './config.js'
import { summarize } from './stats.js'
import type { Cell } from './throughput.js'

const COLORS: Record<ClientName, string> = {
  'grantline (node)': '#1a7f37',
  'grantline (fetch)': '#8fd19e',
  'openid-client': '#d9730d',
  'raw fetch': '#8250df',
  'raw node:http': '#6e7781',
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** A round axis maximum above `value`, in 4 to 8 grid steps of 1, 2, 2.5 or 5 times a power of ten. */
function niceMax(value: number): { max: number; step: number } {
  const raw = value / 8
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power
  return { max: Math.ceil(value / step) * step, step }
}

export interface ChartInput {
  servers: string[]
  cells: Cell[]
  subtitle: string
}

export function renderChart({ servers, cells, subtitle }: ChartInput): string {
  const width = 1000
  const left = 64
  const right = 16
  const top = 92
  const panelHeight = 230
  const panelGap = 78
  const groups = MODES.flatMap((mode) =>
    [1, settings.CONCURRENCY].map((concurrency) => ({ mode, concurrency })),
  )
  const groupWidth = (width - left - right) / groups.length
  const barWidth = Math.min(22, (groupWidth - 24) / CLIENTS.length)
  const height = top + servers.length * (panelHeight + panelGap) + 8

  const stats = cells.map((cell) => ({ cell, cpu: summarize(cell.samples.map((s) => s.cpuUs)) }))
  const { max, step } = niceMax(Math.max(1, ...stats.map((s) => s.cpu.max)))

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="title desc">`,
    `<title id="title">Client CPU per token request, by client (lower is better)</title>`,
    `<desc id="desc">${escape(subtitle)}. Bars are medians of ${settings.ROUNDS} rounds; whiskers span the fastest and slowest round.</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="26" ${FONT} font-size="17" font-weight="600" fill="#1f2328">Client CPU per token request, µs (lower is better)</text>`,
    `<text x="${left}" y="46" ${FONT} font-size="12" fill="#57606a">${escape(subtitle)}. Bar: median of ${settings.ROUNDS} rounds; whisker: min–max.</text>`,
  ]
  // Legend.
  let x = left
  for (const client of CLIENTS) {
    out.push(
      `<rect x="${x}" y="60" width="12" height="12" fill="${COLORS[client]}"/>`,
      `<text x="${x + 17}" y="70.5" ${FONT} font-size="12" fill="#1f2328">${escape(client)}</text>`,
    )
    x += 30 + client.length * 7
  }

  servers.forEach((server, p) => {
    const y0 = top + p * (panelHeight + panelGap) + 18
    const yOf = (value: number) => y0 + panelHeight - (Math.min(value, max) / max) * panelHeight
    out.push(
      `<text x="${left}" y="${y0 - 8}" ${FONT} font-size="13" font-weight="600" fill="#1f2328">${escape(server)}</text>`,
    )
    for (let v = 0; v <= max + 1e-9; v += step) {
      const y = yOf(v).toFixed(1)
      out.push(
        `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="${v === 0 ? '#8c959f' : '#d0d7de'}" stroke-width="1"/>`,
        `<text x="${left - 6}" y="${Number(y) + 4}" ${FONT} font-size="11" fill="#57606a" text-anchor="end">${Number(v.toFixed(6))}</text>`,
      )
    }
    groups.forEach(({ mode, concurrency }, g) => {
      const gx = left + g * groupWidth
      const barsWidth = barWidth * CLIENTS.length
      const x0 = gx + (groupWidth - barsWidth) / 2
      CLIENTS.forEach((client, c) => {
        const found = stats.find(
          (s) =>
            s.cell.server === server &&
            s.cell.mode === mode &&
            s.cell.concurrency === concurrency &&
            s.cell.client === client,
        )
        if (!found) return
        const { median, min, max: high } = found.cpu
        const bx = x0 + c * barWidth
        const cx = (bx + (barWidth - 2) / 2).toFixed(1)
        const label = `${client}, ${MODE_LABEL[mode]}, ${concurrency} in flight: ${median.toFixed(0)} µs (${min.toFixed(0)}–${high.toFixed(0)})`
        out.push(
          `<g><title>${escape(label)}</title>`,
          `<rect x="${bx.toFixed(1)}" y="${yOf(median).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(yOf(0) - yOf(median)).toFixed(1)}" fill="${COLORS[client]}"/>`,
          `<line x1="${cx}" x2="${cx}" y1="${yOf(min).toFixed(1)}" y2="${yOf(high).toFixed(1)}" stroke="#1f2328" stroke-width="1.2"/>`,
          `<line x1="${(Number(cx) - 4).toFixed(1)}" x2="${(Number(cx) + 4).toFixed(1)}" y1="${yOf(min).toFixed(1)}" y2="${yOf(min).toFixed(1)}" stroke="#1f2328" stroke-width="1.2"/>`,
          `<line x1="${(Number(cx) - 4).toFixed(1)}" x2="${(Number(cx) + 4).toFixed(1)}" y1="${yOf(high).toFixed(1)}" y2="${yOf(high).toFixed(1)}" stroke="#1f2328" stroke-width="1.2"/>`,
          `</g>`,
        )
      })
      const cx = gx + groupWidth / 2
      const name = mode === 'dpop' ? 'DPoP + basic' : mode
      out.push(
        `<text x="${cx.toFixed(1)}" y="${y0 + panelHeight + 16}" ${FONT} font-size="12" fill="#1f2328" text-anchor="middle">${escape(name)}</text>`,
        `<text x="${cx.toFixed(1)}" y="${y0 + panelHeight + 31}" ${FONT} font-size="11" fill="#57606a" text-anchor="middle">${concurrency} in flight</text>`,
      )
    })
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
