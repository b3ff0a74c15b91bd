/**
 * A strict reader of the Prometheus text exposition format 0.0.4 (what `promtool check
 * metrics` parses): `# HELP`, `# TYPE` before a family's samples, `name{label="value",…} value`.
 * Throws on the first line that is not of that form, so a test using it checks validity.
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  types: Map<string, string>
  help: Map<string, string>
  samples: Sample[]
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`)
const LABEL_PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`)
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case). */
function parseValue(text: string, line: string): number {
  if (/^\+?inf$/i.test(text)) return Infinity
  if (/^-inf$/i.test(text)) return -Infinity
  if (/^nan$/i.test(text)) return NaN
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`)
  return Number(text)
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let rest = text
  while (rest.length > 0) {
    const m = rest.match(LABEL_PAIR)
    if (m === null) throw new Error(`bad labels in: ${line}`)
    if (m[1]! in labels) throw new Error(`repeated label ${m[1]} in: ${line}`)
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
    rest = rest.slice(m[0].length)
    if (rest.startsWith(',')) rest = rest.slice(1)
    else if (rest.length > 0) throw new Error(`bad labels in: ${line}`)
  }
  return labels
}

/** The family a sample belongs to (histogram and summary samples carry suffixes). */
function family(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length)
    if (name.endsWith(suffix) && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base
  }
  return undefined
}

/** Parses and validates an exposition; throws naming the first bad line. */
export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const samples: Sample[] = []
  const seen = new Set<string>()
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline')
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      const m = line.match(new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`))
      if (m === null) continue // a comment
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3]!)) throw new Error(`unknown type in: ${line}`)
        if (types.has(m[2]!)) throw new Error(`second TYPE for ${m[2]}`)
        types.set(m[2]!, m[3]!)
      } else help.set(m[2]!, m[3]!)
      continue
    }
    const m = line.match(SAMPLE)
    if (m === null) throw new Error(`not a sample: ${line}`)
    const labels = m[2] === undefined ? {} : parseLabels(m[2], line)
    const name = m[1]!
    const fam = family(name, types)
    if (fam === undefined) throw new Error(`sample before its TYPE: ${line}`)
    const value = parseValue(m[3]!, line)
    if (types.get(fam) === 'counter' && !(value >= 0)) throw new Error(`negative or NaN counter: ${line}`)
    const key = name + JSON.stringify(Object.entries(labels).sort())
    if (seen.has(key)) throw new Error(`duplicate sample: ${line}`)
    seen.add(key)
    samples.push({ name, labels, value })
  }
  return { types, help, samples }
}

/** The value of the one sample named `name` with exactly these labels (among others absent), or undefined. */
export function sampleValue(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels)
  return e.samples.find((s) => s.name === name && Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v))?.value
}
