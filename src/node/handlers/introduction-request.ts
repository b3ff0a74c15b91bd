/**
 * introduction-request (B's side of a walk step, DESIGN §6): mark the walker stumble, vote
 * our WAN address, introduce a peer, ask that peer to puncture toward the walker, and —
 * on a peer — have the responder answer the sync offer within the response and
 * anti-amplification budgets; the response says how many bundles follow (answer_bundles), or,
 * when the 3× bound would cut the answer to an unvalidated walker, that it is held back and
 * the walker's echo is answered instead.
 */
import { addressKey, encodePacket, parseAddressKey, type Address, type IntroductionRequest, type IntroductionResponse, type PunctureRequest } from '../../wire/index.js'
import type { Bundle } from '../../bundle/types.js'
import { subnetKeys } from '../../nat/index.js'
import { hex } from '../../bytes.js'
import { shortIdOf } from '../../reconcile/index.js'
import type { OverlayWalk } from '../overlay.js'
import type { WalkerView } from '../walker-types.js'

/** What this handler uses of the walker. */
export type IntroductionRequestWalker = Pick<WalkerView, 'c' | 'voter' | 'peer' | 'init' | 'lan' | 'wan' | 'connectionType'>

export async function onIntroductionRequest(w: IntroductionRequestWalker, from: Address, overlay: OverlayWalk, req: IntroductionRequest): Promise<void> {
  const { clock, guard, rng, counters } = w.c
  const now = clock.now()
  const key = addressKey(from)
  guard.checkToken(key, req.token)
  overlay.recordStumble(key, { lan: req.sourceLan, wan: req.sourceWan, connectionType: req.connectionType }, now)
  // Only a validated address's view of us is a WAN vote: spoofed requests must not choose our WAN
  // address (70 of them made a peer's address "ours", and its datagrams were dropped as self; issue 8).
  if (guard.isValidated(key)) w.voter.vote(from, req.destination, req.sourceWan)
  if (w.peer !== undefined && guard.isValidated(key)) {
    // One median vote per /24 (IPv4) or /48 (IPv6): many ports or hosts of one subnet are one peer (issue 8).
    overlay.clock.reportPeer(subnetKeys(from.host)?.narrow ?? key, req.globalTime, now)
    overlay.notePeerTime(key, req.globalTime)
  }
  w.peer?.walkedBy(from, overlay, req, guard.isValidated(key))

  const introduced = req.advice ? overlay.pickIntroduction(key, req.connectionType, req.sourceWan.host, now, rng) : undefined
  // The introduced peer's WAN address is where we reach it: our own observation, not its claim.
  const introducedWan = introduced === undefined ? undefined : (parseAddressKey(introduced.key) ?? undefined)
  /** Sends the response (and the puncture-request); true when the answer `datagrams` must be held back. */
  const respond = (datagrams: readonly Bundle[][]): boolean => {
    const response: IntroductionResponse = {
      type: 'introduction-response',
      destination: from,
      sourceLan: w.lan(),
      sourceWan: w.wan(),
      introduced: introduced === undefined || introducedWan === undefined ? undefined : { lan: introduced.lan, wan: introducedWan },
      connectionType: w.connectionType(),
      identifier: req.identifier,
      // A tracker's clock never moves: it reports 0, holding nothing to sync.
      globalTime: overlay.clock.time,
      token: guard.token(key)
    }
    // Our freshest bundles by short id, so a walker push missed asks for them at once: those
    // at a global time up to the walker's (what is above, it fetches by `newer_than` when it
    // sees our global time), less those the answer below carries. The introduced peer gets
    // them all: we do not know its global time.
    const named = notAnswered(w.peer?.recentIds(overlay, req.globalTime) ?? [], datagrams)
    if (named.length > 0) response.recentShort = named
    // First contact (DESIGN §13): an answer the 3× bound would cut is not sent piecemeal. The
    // response says so; the walker echoes the token at once and its next request is answered whole.
    const deferred = datagrams.length > 0 && !guard.isValidated(key) && answerBytes(overlay, response, datagrams) > guard.remaining(key)
    if (deferred) response.answerDeferred = true
    // How many bundles follow: the walker's round is productive even if they are still on
    // their way (or being stored) when its next step claims an offer (DESIGN §5, skip curve).
    else {
      const bundles = datagrams.reduce((n, d) => n + d.length, 0)
      if (bundles > 0) response.answerBundles = bundles
    }
    w.c.send(from, overlay.id, response, 'destination')
    if (introduced !== undefined && introducedWan !== undefined && w.init.punctureRequests) {
      // The walker's WAN address is where its request came from.
      // Our global time tells the introduced peer whether it is behind us (a tracker's is 0: not told).
      const punctureRequest: PunctureRequest = { type: 'puncture-request', walkerLan: req.sourceLan, walkerWan: from, identifier: req.identifier }
      if (overlay.clock.time > 0) punctureRequest.globalTime = overlay.clock.time
      const recent = w.peer?.recentIds(overlay) ?? []
      if (recent.length > 0) punctureRequest.recentShort = recent
      w.c.send(introducedWan, overlay.id, punctureRequest, 'destination')
    }
    if (deferred) counters.answersDeferred++
    return deferred
  }
  if (req.sync === undefined || w.peer === undefined) {
    respond([])
    return
  }
  await w.peer.answerOffer(from, overlay, req, respond)
}

/** Bytes of the response (flagged) and of every answer datagram, as they would be sent. */
function answerBytes(overlay: OverlayWalk, response: IntroductionResponse, datagrams: readonly Bundle[][]): number {
  let bytes = encodePacket(overlay.id, { ...response, answerDeferred: true }).length
  for (const d of datagrams) bytes += encodePacket(overlay.id, { type: 'bundles', bundles: d }).length
  return bytes
}

/** The short ids of `recent` that none of the answer's bundles has. */
function notAnswered(recent: readonly Uint8Array[], datagrams: readonly Bundle[][]): Uint8Array[] {
  if (recent.length === 0 || datagrams.length === 0) return [...recent]
  const answered = new Set<string>()
  for (const d of datagrams) for (const b of d) answered.add(hex(shortIdOf(b.id)))
  return recent.filter((s) => !answered.has(hex(s)))
}
