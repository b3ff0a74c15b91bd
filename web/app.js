// The status page: polls /api/status every 2 s and follows the room's chat on /api/events
// (server-sent events: the stored history first, then each message as the node delivers it).
// Everything shown is set as text, never as HTML.
'use strict'

const $ = (id) => document.getElementById(id)
const shown = new Set()
const STATUS_EVERY_MS = 2000

function el(tag, className, text) {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

function clock(at) {
  if (typeof at !== 'number') return '--:--'
  const d = new Date(at)
  return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0')
}

function duration(s) {
  if (s < 60) return s + ' s'
  if (s < 3600) return Math.floor(s / 60) + ' min'
  if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min'
  return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h'
}

function rate(bytesPerSecond) {
  if (bytesPerSecond < 1000) return bytesPerSecond.toFixed(0) + ' B/s'
  if (bytesPerSecond < 1e6) return (bytesPerSecond / 1e3).toFixed(1) + ' kB/s'
  return (bytesPerSecond / 1e6).toFixed(2) + ' MB/s'
}

// --- chat ---

function addMessage(m) {
  if (shown.has(m.id)) return
  shown.add(m.id)
  const list = $('messages')
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40
  const li = el('li', m.own ? 'own' : '')
  li.dataset.id = m.id
  li.append(el('span', 'time', clock(m.at)))
  if (m.text === null) {
    li.append(el('span', 'author', ' (' + m.author + ') '), el('em', '', 'not a chat message'))
  } else {
    li.append(el('span', 'nick', m.nick), el('span', 'author', '(' + m.author + ')'), document.createTextNode(' ' + m.text))
  }
  if (m.missingParents) li.append(el('span', 'mark', '(earlier messages missing)'))
  list.append(li)
  if (atBottom) list.scrollTop = list.scrollHeight
}

function follow() {
  const events = new EventSource('api/events')
  events.addEventListener('message', (e) => addMessage(JSON.parse(e.data)))
  events.addEventListener('ready', () => document.body.classList.add('chat-ready'))
}

function token() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token')
  if (fromHash) sessionStorage.setItem('bloomwalk-token', fromHash)
  return sessionStorage.getItem('bloomwalk-token')
}

async function post(event) {
  event.preventDefault()
  const nick = $('nick').value.trim()
  const text = $('text').value
  if (!nick || !text.trim()) return
  localStorage.setItem('bloomwalk-nick', nick)
  const headers = { 'content-type': 'application/json' }
  const t = token()
  if (t) headers.authorization = 'Bearer ' + t
  const res = await fetch('api/messages', { method: 'POST', headers, body: JSON.stringify({ nick, text }) })
  const body = await res.json().catch(() => ({}))
  if (res.ok) {
    $('text').value = ''
    $('post-status').textContent = ''
    addMessage(body)
  } else {
    $('post-status').textContent = 'not sent: ' + (body.error || res.status) + (res.status === 401 ? ' (open the page as …/#token=TOKEN)' : '')
  }
}

// --- status ---

function fact(list, name, value) {
  const d = el('div')
  d.append(el('dt', '', name), el('dd', '', String(value)))
  list.append(d)
}

function chart(traffic) {
  const svg = $('chart')
  svg.replaceChildren()
  const samples = traffic.samples
  if (samples.length < 2) return
  const perSecond = (s, key) => (s.ms > 0 ? (s[key] * 1000) / s.ms : 0)
  const max = Math.max(1, ...samples.map((s) => Math.max(perSecond(s, 'inBytes'), perSecond(s, 'outBytes'))))
  const line = (key, className) => {
    const points = samples.map((s, i) => ((i / (samples.length - 1)) * 300).toFixed(1) + ',' + (88 - (perSecond(s, key) / max) * 84).toFixed(1))
    const p = document.createElementNS('http://www.w3.org/2000/svg', 'polyline')
    p.setAttribute('points', points.join(' '))
    p.setAttribute('class', className)
    svg.append(p)
  }
  line('inBytes', 'in')
  line('outBytes', 'out')
  const last = samples[samples.length - 1]
  $('traffic-now').textContent = 'now: in ' + rate(perSecond(last, 'inBytes')) + ', out ' + rate(perSecond(last, 'outBytes')) + ' (peak ' + rate(max) + ')'
}

function renderRooms(rooms) {
  const rows = rooms.listed.map((r) => {
    const tr = el('tr')
    const count = Object.entries(r.candidates).filter(([k]) => k !== 'total').reduce((n, [, v]) => n + v, 0)
    tr.append(el('td', '', r.overlay.slice(0, 16)), el('td', '', String(count)))
    return tr
  })
  $('rooms-list').replaceChildren(...rows)
  $('rooms-count').textContent = rooms.count + ' served' + (rooms.count > rooms.listed.length ? ', ' + rooms.listed.length + ' listed' : '')
}

function render(s) {
  // A tracker's page: no chat, no sync; the rooms it serves instead.
  document.body.classList.toggle('tracker', s.role === 'tracker')
  $('room').textContent = s.room === null ? '(' + s.role + ')' : s.room
  if (s.role === 'tracker') renderRooms(s.rooms)
  $('address').textContent = s.address === s.advertised ? s.address : s.address + ' (advertised ' + s.advertised + ')'
  $('wan').textContent = s.wan
  $('nat').textContent = s.connectionType
  $('uptime').textContent = duration(s.uptimeSeconds)
  $('version').textContent = s.version
  const sync = $('sync')
  sync.replaceChildren()
  if (s.sync !== null) {
    fact(sync, 'bundles', s.sync.bundlesStored)
    fact(sync, 'global time', s.sync.globalTime)
    fact(sync, 'waiting for parents', s.sync.waitingForParents)
    fact(sync, 'walks', s.sync.walks + ' (' + s.sync.walkTimeouts + ' timed out)')
    fact(sync, 'catch-up sessions', s.sync.catchUp.sessions + ' (' + s.sync.catchUp.decoded + ' decoded)')
    fact(sync, 'pushed to us', s.sync.push.received + ' (' + s.sync.push.fresh + ' new)')
  }
  chart(s.traffic)
  const drops = $('drops')
  drops.replaceChildren()
  const reasons = Object.entries(s.drops)
  if (reasons.length === 0) drops.append(el('li', 'note', 'none'))
  for (const [reason, n] of reasons) drops.append(el('li', '', reason + ': ' + n))
  $('candidate-counts').textContent = Object.entries(s.candidateCounts).map(([k, v]) => k + ' ' + v).join(' · ')
  const rows = s.candidates.map((c) => {
    const tr = el('tr')
    tr.append(el('td', '', c.address), el('td', '', c.category), el('td', '', c.connectionType), el('td', '', c.ageSeconds === null ? '–' : duration(c.ageSeconds) + ' ago'))
    return tr
  })
  $('candidates').replaceChildren(...rows)
  document.body.classList.add('status-ready')
}

async function refresh() {
  try {
    const res = await fetch('api/status')
    if (res.ok) render(await res.json())
  } catch {
    // the node stopped or restarts: try again at the next tick
  }
}

$('nick').value = localStorage.getItem('bloomwalk-nick') || 'web'
$('post').addEventListener('submit', (e) => void post(e))
// The chat exists on a peer's page only: follow it once the status says which this is.
fetch('api/status')
  .then((r) => r.json())
  .then((s) => {
    if (s.role !== 'tracker') follow()
    render(s)
  })
  .catch(() => follow())
setInterval(refresh, STATUS_EVERY_MS)
