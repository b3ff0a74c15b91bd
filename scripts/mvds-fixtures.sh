#!/usr/bin/env bash
# MVDS interop fixtures from the reference implementation, vacp2p/mvds (issue 19).
#
#   scripts/mvds-fixtures.sh <mvds checkout> gen            > test/wire/fixtures/mvds-head.json
#   scripts/mvds-fixtures.sh <mvds checkout> verify < ours.json   (what Go decodes from our bytes)
#
# <mvds checkout> is a git directory or work tree of github.com/vacp2p/mvds (the fixtures in
# test/wire/fixtures/mvds-head.json came from d6b27d3, its HEAD on 2026-12-06). Needs Go
# (Debian: apt-get install golang-go) and builds offline from the reference's vendor/ tree.
# Nothing of the reference is copied into bloomwalk: the checkout is exported to a temporary
# directory, the small driver below (bloomwalk's own code) is added there, built and run.
#
# gen: runs two reference nodes (node.NewEphemeralNode, in-memory store and state) over a
# capturing transport, once in batch and once in interactive mode, and records every payload
# they send as proto.Marshal bytes with the values Go sees in it; adds payloads built by hand
# with every record type and Metadata. verify: reads [{name, hex}] on stdin and prints what
# the reference's protobuf.Payload decodes from each.
set -euo pipefail
src=${1:?usage: $0 <mvds checkout> gen|verify}
cmd=${2:?usage: $0 <mvds checkout> gen|verify}
work=$(mktemp -d /tmp/bw-mvds-ref.XXXXXX)
trap 'rm -rf "$work"' EXIT
if git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
  # File by file: a partial clone may lack a large blob (vendored sqlite3.c, see below).
  git -C "$src" ls-tree -r HEAD | while read -r _mode _type blob path; do
    mkdir -p "$work/$(dirname "$path")"
    git -C "$src" cat-file blob "$blob" > "$work/$path" 2>/dev/null || rm -f "$work/$path"
  done
  commit=$(git -C "$src" rev-parse HEAD)
else
  cp -r "$src"/. "$work"
  commit=unknown
fi
# The in-memory nodes never open SQLite, but the persistence packages import the SQLCipher
# driver for its side effect; without its amalgamation (sqlite3.c) an empty package stands in.
sqlcipher="$work/vendor/github.com/mutecomm/go-sqlcipher"
if [ -d "$sqlcipher" ] && [ ! -f "$sqlcipher/sqlite3.c" ]; then
  rm -rf "$sqlcipher" && mkdir -p "$sqlcipher"
  printf '// Package sqlite3 is an empty stand-in (see scripts/mvds-fixtures.sh).\npackage sqlite3\n' > "$sqlcipher/doc.go"
fi
mkdir -p "$work/cmd/bloomwalkfixtures"
cat > "$work/cmd/bloomwalkfixtures/main.go" <<'GO'
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/vacp2p/mvds/node"
	"github.com/vacp2p/mvds/protobuf"
	"github.com/vacp2p/mvds/state"
	"github.com/vacp2p/mvds/transport"
)

type meta struct {
	Parents   []string `json:"parents"`
	Ephemeral bool     `json:"ephemeral"`
}

type msg struct {
	GroupID   string `json:"groupId"`
	Timestamp int64  `json:"timestamp"`
	Body      string `json:"body"`
	ID        string `json:"id"`
	Metadata  *meta  `json:"metadata,omitempty"`
}

type rec struct {
	Name     string   `json:"name"`
	Hex      string   `json:"hex"`
	Acks     []string `json:"acks"`
	Offers   []string `json:"offers"`
	Requests []string `json:"requests"`
	Messages []msg    `json:"messages"`
	Error    string   `json:"error,omitempty"`
}

func hexes(l [][]byte) []string {
	out := []string{}
	for _, b := range l {
		out = append(out, hex.EncodeToString(b))
	}
	return out
}

func values(name string, p *protobuf.Payload) rec {
	b, err := proto.Marshal(p)
	if err != nil {
		panic(err)
	}
	r := rec{Name: name, Hex: hex.EncodeToString(b), Acks: hexes(p.Acks), Offers: hexes(p.Offers), Requests: hexes(p.Requests), Messages: []msg{}}
	for _, m := range p.Messages {
		id := m.ID()
		v := msg{GroupID: hex.EncodeToString(m.GroupId), Timestamp: m.Timestamp, Body: hex.EncodeToString(m.Body), ID: hex.EncodeToString(id[:])}
		if m.Metadata != nil {
			v.Metadata = &meta{Parents: hexes(m.Metadata.Parents), Ephemeral: m.Metadata.Ephemeral}
		}
		r.Messages = append(r.Messages, v)
	}
	return r
}

type capture struct {
	in    chan transport.Packet
	peers map[state.PeerID]chan transport.Packet
	mu    *sync.Mutex
	seen  map[string]bool
	out   *[]rec
	label string
}

func (c *capture) Watch() transport.Packet { return <-c.in }

func (c *capture) Send(sender state.PeerID, peer state.PeerID, p protobuf.Payload) error {
	c.mu.Lock()
	r := values("", &p)
	if !c.seen[r.Hex] {
		c.seen[r.Hex] = true
		r.Name = fmt.Sprintf("%s-%02d", c.label, len(*c.out))
		*c.out = append(*c.out, r)
	}
	c.mu.Unlock()
	c.peers[peer] <- transport.Packet{Sender: sender, Payload: p}
	return nil
}

func peerID(b byte) state.PeerID {
	var id state.PeerID
	for i := range id {
		id[i] = b
	}
	return id
}

func session(mode node.Mode, label string, out *[]rec, mu *sync.Mutex) {
	var group state.GroupID
	for i := range group {
		group[i] = 0x47
	}
	a, b := peerID(0xa1), peerID(0xb2)
	inA, inB := make(chan transport.Packet, 256), make(chan transport.Packet, 256)
	seen := map[string]bool{}
	tA := &capture{in: inA, peers: map[state.PeerID]chan transport.Packet{b: inB}, mu: mu, seen: seen, out: out, label: label}
	tB := &capture{in: inB, peers: map[state.PeerID]chan transport.Packet{a: inA}, mu: mu, seen: seen, out: out, label: label}
	next := func(count uint64, epoch int64) int64 { return epoch + 1000 } // no retransmission inside the session
	nA := node.NewEphemeralNode(a, tA, next, 0, mode, nil)
	nB := node.NewEphemeralNode(b, tB, next, 0, mode, nil)
	_ = nA.AddPeer(group, b)
	_ = nB.AddPeer(group, a)
	nA.Start(20 * time.Millisecond)
	nB.Start(20 * time.Millisecond)
	if _, err := nA.AppendMessage(group, []byte("hello")); err != nil {
		panic(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := nA.AppendMessage(group, []byte("world, after hello")); err != nil {
		panic(err)
	}
	if _, err := nB.AppendEphemeralMessage(group, []byte("typing")); err != nil {
		panic(err)
	}
	time.Sleep(500 * time.Millisecond)
	nA.Stop()
	nB.Stop()
}

func id(b byte) []byte {
	out := make([]byte, 32)
	for i := range out {
		out[i] = b
	}
	return out
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bloomwalkfixtures gen <commit> | verify")
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	switch os.Args[1] {
	case "gen":
		out := []rec{}
		mu := &sync.Mutex{}
		session(node.BatchMode, "batch", &out, mu)
		session(node.InteractiveMode, "interactive", &out, mu)
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		group := id(0x47)
		hand := []struct {
			name string
			p    protobuf.Payload
		}{
			{"empty", protobuf.Payload{}},
			{"acks", protobuf.Payload{Acks: [][]byte{id(1), id(2)}}},
			{"offers", protobuf.Payload{Offers: [][]byte{id(3)}}},
			{"requests", protobuf.Payload{Requests: [][]byte{id(4), id(5), id(6)}}},
			{"message-no-metadata", protobuf.Payload{Messages: []*protobuf.Message{{GroupId: group, Timestamp: 1565000000, Body: []byte("plain")}}}},
			{"message-negative-timestamp", protobuf.Payload{Messages: []*protobuf.Message{{GroupId: group, Timestamp: -5, Body: []byte{}}}}},
			{"every-record-type", protobuf.Payload{
				Acks: [][]byte{id(7)}, Offers: [][]byte{id(8), id(9)}, Requests: [][]byte{id(10)},
				Messages: []*protobuf.Message{
					{GroupId: group, Timestamp: 1565000001, Body: []byte("with parents"), Metadata: &protobuf.Metadata{Parents: [][]byte{id(11), id(12)}}},
					{GroupId: group, Timestamp: 1565000002, Body: []byte("ephemeral"), Metadata: &protobuf.Metadata{Ephemeral: true}},
					{GroupId: group, Timestamp: 1565000003, Body: []byte("empty metadata"), Metadata: &protobuf.Metadata{}},
				},
			}},
		}
		for _, h := range hand {
			p := h.p
			out = append(out, values(h.name, &p))
		}
		commit := "unknown"
		if len(os.Args) > 2 {
			commit = os.Args[2]
		}
		_ = enc.Encode(map[string]interface{}{"reference": "github.com/vacp2p/mvds", "commit": commit, "payloads": out})
	case "verify":
		var in []struct {
			Name string `json:"name"`
			Hex  string `json:"hex"`
		}
		if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
			panic(err)
		}
		out := []rec{}
		for _, x := range in {
			b, err := hex.DecodeString(x.Hex)
			var p protobuf.Payload
			if err == nil {
				err = proto.Unmarshal(b, &p)
			}
			if err != nil {
				out = append(out, rec{Name: x.Name, Hex: x.Hex, Error: err.Error()})
				continue
			}
			r := values(x.Name, &p)
			r.Hex = x.Hex
			out = append(out, r)
		}
		_ = enc.Encode(out)
	}
}
GO
cd "$work"
export GOFLAGS=-mod=vendor GOPROXY=off GOCACHE=${GOCACHE:-/tmp/bw-mvds-gocache} GOPATH=${GOPATH:-/tmp/bw-mvds-gopath} CGO_ENABLED=${CGO_ENABLED:-1}
go build -o "$work/fixtures" ./cmd/bloomwalkfixtures
case "$cmd" in
  gen) "$work/fixtures" gen "$commit" ;;
  verify) "$work/fixtures" verify ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
