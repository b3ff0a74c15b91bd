import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SCHEMA_DESCRIPTOR } from '../../src/wire/schema.generated.js'
import { EnvelopeType, MvdsPayloadType } from '../../src/wire/schema.js'

interface Generator {
  buildDescriptor(protoDir?: string): unknown
  renderModule(descriptor: unknown): string
  OUTPUT: string
}

const generator = (): Promise<Generator> => import(new URL('../../scripts/generate-schema.mjs', import.meta.url).href) as Promise<Generator>

describe('schema', () => {
  it('schema.generated.ts matches proto/*.proto', async () => {
    const { buildDescriptor, renderModule, OUTPUT } = await generator()
    const fresh = buildDescriptor()
    // Compare as plain JSON so a stale module fails with the instruction to regenerate.
    const stale = JSON.stringify(fresh) !== JSON.stringify(SCHEMA_DESCRIPTOR)
    expect(stale, 'schema.generated.ts is stale: run npm run generate').toBe(false)
    expect(SCHEMA_DESCRIPTOR, 'schema.generated.ts is stale: run npm run generate').toEqual(fresh)
    expect(readFileSync(OUTPUT, 'utf8'), 'schema.generated.ts is stale: run npm run generate').toBe(renderModule(fresh))
  })

  it('envelope field numbers are the published ones', () => {
    const ids = Object.fromEntries(EnvelopeType.fieldsArray.map((f) => [f.name, f.id]))
    expect(ids).toEqual({
      version: 1,
      overlay: 2,
      introductionRequest: 3,
      introductionResponse: 4,
      punctureRequest: 5,
      puncture: 6,
      bundles: 7,
      mvds: 8,
      symbolsRequest: 9,
      symbolsResponse: 10,
      bundleRequest: 11,
      push: 12
    })
    expect(EnvelopeType.oneofsArray.map((o) => o.name)).toEqual(['body'])
  })

  it('mvds.Payload matches vacp2p/mvds sync.proto at HEAD (d6b27d3) field for field; mvds.Ids is the 2019 (1762929) Ack / Offer / Request', () => {
    const shape = (t: typeof MvdsPayloadType) => t.fieldsArray.map((f) => `${f.id}:${f.repeated ? 'repeated ' : ''}${f.type} ${f.name}`)
    expect(shape(MvdsPayloadType)).toEqual(['1:repeated bytes acks', '2:repeated bytes offers', '3:repeated bytes requests', '4:repeated Message messages'])
    expect(shape(MvdsPayloadType.lookupType('Message'))).toEqual(['1:bytes groupId', '2:int64 timestamp', '3:bytes body', '4:Metadata metadata'])
    expect(shape(MvdsPayloadType.lookupType('Metadata'))).toEqual(['1:repeated bytes parents', '2:bool ephemeral'])
    expect(shape(MvdsPayloadType.lookupType('Ids'))).toEqual(['1:repeated bytes ids'])
  })

  it('src/wire reads no files at runtime', () => {
    const dir = new URL('../../src/wire/', import.meta.url).pathname
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8')
      expect(text, file).not.toMatch(/from '(node:)?fs|loadSync|Date\.now|Math\.random/)
    }
  })
})
