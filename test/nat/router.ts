/**
 * One NAT router of the lab (./harness.ts): its nftables ruleset, and reading back its rule
 * counters and conntrack table. Pure text in, text out: the harness runs `nft` and reads
 * /proc inside the router's namespace.
 */

/** How a NAT router maps and filters (docs/nat-traversal.md). */
export type NatKind = 'cone' | 'symmetric'

/** The nftables table the rules live in. */
export const RULES_TABLE = 'bw'

/** Packet counters of one router (nft rule counters, by name). */
export interface RouterCounters {
  /** Datagrams sent out of the WAN side, per destination router (`out.any`: all). */
  out: Record<string, number>
  /** Inbound datagrams admitted as replies, per source router (`in.any`: all). */
  in: Record<string, number>
  /** Unsolicited inbound datagrams dropped, per source router (`drop.any`: all). */
  drop: Record<string, number>
}

/** One UDP conntrack entry of a router, as /proc/net/nf_conntrack shows it. */
export interface ConntrackEntry {
  /** The original direction (as the first packet had it, before NAT). */
  src: string
  sport: number
  dst: string
  dport: number
  /** The reply direction: `replyDport` is the public port the NAT mapped the flow to. */
  replySrc: string
  replySport: number
  replyDport: number
  /** Seconds until it expires. */
  timeout: number
  /** Seconds since it was created (needs `nf_conntrack_timestamp=1`; NaN otherwise). */
  age: number
  replied: boolean
}

/**
 * The ruleset of a router whose WAN side is `wan0`: masquerade (port-preserving for `cone`,
 * `fully-random` for `symmetric`) plus a stateful firewall that admits only replies, with a
 * counter per other router (`peers`) and direction.
 */
export function routerRules(kind: NatKind, peers: ReadonlyArray<{ name: string; wan: string }>): string {
  const masquerade = kind === 'symmetric' ? 'masquerade fully-random' : 'masquerade'
  // nft 1.0.6 wants one statement per line ("; }" on one line is a syntax error).
  return [
    `table ip ${RULES_TABLE} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "wan0" ${masquerade}`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    '    oifname "wan0" counter comment "out:any"',
    ...peers.map((o) => `    oifname "wan0" ip daddr ${o.wan} counter comment "out:${o.name}"`),
    '    iifname "wan0" ct state established,related counter comment "in:any"',
    ...peers.map((o) => `    iifname "wan0" ip saddr ${o.wan} ct state established,related counter comment "in:${o.name}"`),
    '    iifname "wan0" ct state established,related accept',
    '    iifname "wan0" counter comment "drop:any"',
    ...peers.map((o) => `    iifname "wan0" ip saddr ${o.wan} counter comment "drop:${o.name}"`),
    '    iifname "wan0" drop',
    '  }',
    // Unsolicited datagrams to the WAN address match no mapping, so they are addressed to the
    // router itself: dropped here, at filter priority, before conntrack confirms an entry for
    // them (a confirmed entry would later force a different public port: natlab pitfall 1).
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    '    iifname "wan0" ct state established,related accept',
    '    iifname "wan0" counter comment "drop:any"',
    ...peers.map((o) => `    iifname "wan0" ip saddr ${o.wan} counter comment "drop:${o.name}"`),
    '    iifname "wan0" drop',
    '  }',
    '}',
    ''
  ].join('\n')
}

/** Sums the packet counters of `nft -j list table ip bw` by rule comment (`<direction>:<peer>`). */
export function parseCounters(nftJson: string): RouterCounters {
  const json = JSON.parse(nftJson) as { nftables: Array<{ rule?: { comment?: string; expr: Array<Record<string, unknown>> } }> }
  const c: RouterCounters = { out: {}, in: {}, drop: {} }
  for (const item of json.nftables) {
    const comment = item.rule?.comment
    const counter = item.rule?.expr.find((e) => 'counter' in e)?.counter as { packets: number } | undefined
    if (comment === undefined || counter === undefined) continue
    const [dir, peer] = comment.split(':') as [keyof RouterCounters, string | undefined]
    if (!(dir in c) || peer === undefined) continue
    c[dir][peer] = (c[dir][peer] ?? 0) + counter.packets
  }
  return c
}

/** The UDP entries of /proc/net/nf_conntrack. */
export function parseConntrack(text: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = []
  for (const line of text.split('\n')) {
    // ipv4 2 udp 17 <timeout> src= dst= sport= dport= [UNREPLIED] src= dst= sport= dport= … delta-time=<s> …
    const f = line.trim().split(/\s+/)
    if (f[2] !== 'udp') continue
    const kv = (key: string, nth: number): string => f.filter((w) => w.startsWith(key + '='))[nth]?.slice(key.length + 1) ?? ''
    entries.push({
      src: kv('src', 0),
      dst: kv('dst', 0),
      sport: Number(kv('sport', 0)),
      dport: Number(kv('dport', 0)),
      replySrc: kv('src', 1),
      replySport: Number(kv('sport', 1)),
      replyDport: Number(kv('dport', 1)),
      timeout: Number(f[4]),
      age: Number(kv('delta-time', 0) || NaN),
      replied: !line.includes('[UNREPLIED]')
    })
  }
  return entries
}
