/**
 * introduction-response (A's side): accepted only from the walked address echoing an
 * outstanding identifier. Marks the responder walk, votes our WAN address, keeps its
 * address-validation token, and adds the introduced peer as intro, expecting its puncture.
 * On a peer, the walker's peer part hears of it once the token is kept (the offers' answered
 * rounds, first-contact follow-ups, ../first-contact.ts; catch-up's idle check).
 */
import { chooseAddress, subnetKeys } from '../../nat/index.js'
import { addressKey, type Address, type IntroductionResponse } from '../../wire/index.js'
import type { OverlayWalk } from '../overlay.js'
import type { WalkerView } from '../walker-types.js'

/** What this handler uses of the walker. */
export type IntroductionResponseWalker = Pick<WalkerView, 'c' | 'voter' | 'peer' | 'requests' | 'punctures' | 'keepToken' | 'wan' | 'isSelf'>

export function onIntroductionResponse(w: IntroductionResponseWalker, from: Address, overlay: OverlayWalk, res: IntroductionResponse): void {
  const { clock, guard, counters } = w.c
  const now = clock.now()
  const key = addressKey(from)
  const request = w.requests.take(res.identifier, key)
  if (request === undefined || request.overlayKey !== overlay.key) {
    counters.drop('unexpected-response')
    return
  }
  // It received our random identifier at this address: the address is proven.
  guard.validate(key)
  overlay.recordWalkReply(key, { lan: res.sourceLan, wan: res.sourceWan, connectionType: res.connectionType }, now)
  w.voter.vote(from, res.destination, res.sourceWan)
  if (res.globalTime > 0) {
    // One median vote per /24 (IPv4) or /48 (IPv6): many ports or hosts of one subnet are one peer (issue 8).
    overlay.clock.reportPeer(subnetKeys(from.host)?.narrow ?? key, res.globalTime, now)
    overlay.notePeerTime(key, res.globalTime)
  }
  if (res.token !== undefined) w.keepToken(key, res.token)
  w.peer?.answered(overlay, from, res, request)
  const intro = res.introduced
  if (intro === undefined) return
  const target = chooseAddress(intro.lan, intro.wan, w.wan().host)
  if (w.isSelf(target) || w.isSelf(intro.wan)) return
  overlay.recordIntro(addressKey(target), { lan: intro.lan, wan: intro.wan }, now)
  w.punctures.expect(res.identifier, [intro.lan, intro.wan], now)
}
