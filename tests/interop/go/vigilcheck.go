// vigilcheck checks a Vigil log with Go's independent implementation of
// signed notes and tiled transparency logs (golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog, as packaged by Debian's
// golang-golang-x-mod-dev). Nobody at Vigil wrote those; if they accept
// Vigil's checkpoints, tiles and proofs, so can any auditor.
//
// Usage (GO111MODULE=off GOPATH=/usr/share/gocode):
//
//	go run vigilcheck.go -dir LOGDIR -vkey VERIFIERKEY \
//	    [-checkpoint FILE] [-incl a.json,b.json] [-cons c.json] \
//	    [-witness WITNESSVKEY -cosigned FILE]
//
// It exits non-zero on the first disagreement. Checks:
//   - note.Open accepts the checkpoint with the log's verifier key, and
//     rejects it with the signature bit-flipped;
//   - tlog.TileHashReader (which authenticates every tile it reads against
//     the checkpoint root) gives tlog.TreeHash == the checkpoint root;
//   - every entry in the entry bundles hashes (tlog.RecordHash) to the
//     hash the authenticated tiles hold for its index;
//   - tlog.ReadTileData recomputes every full tile and the partial tile of
//     each level byte-for-byte equal to Vigil's tile files;
//   - each inclusion proof (vigil log prove-inclusion --json) passes
//     tlog.CheckRecord, equals tlog.ProveRecord's, and fails when altered;
//   - each consistency proof (vigil log prove-consistency --json) passes
//     tlog.CheckTree, equals tlog.ProveTree's, and fails when altered;
//   - a witness cosignature (C2SP cosignature/v1) verifies with
//     crypto/ed25519 over "cosignature/v1\ntime <t>\n" + checkpoint body,
//     with the key ID computed with type byte 0x04.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "vigilcheck: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// Vigil's tiles are C2SP tlog-tiles: Go's sumdb paths without the height.
func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), "tile/8/", "tile/", 1)
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

// readTile reads a tile file; a partial tile that is gone (allowed once the
// full tile exists) is read as the prefix of the full tile.
func (d dirTiles) readTile(t tlog.Tile, want int) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
	if err != nil && errors.Is(err, os.ErrNotExist) && t.W < 256 {
		full := t
		full.W = 256
		b, err = os.ReadFile(filepath.Join(d.dir, c2spPath(full)))
		if err == nil && len(b) >= want {
			b = b[:want]
		}
	}
	return b, err
}

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := d.readTile(t, t.W*tlog.HashSize)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func parseCheckpoint(text string) checkpoint {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		die("checkpoint body: %q", text)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		die("checkpoint size %q", lines[1])
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		die("checkpoint root %q: %v", lines[2], err)
	}
	return checkpoint{lines[0], tlog.Tree{N: n, Hash: h}}
}

func b64hash(s string) tlog.Hash {
	h, err := tlog.ParseHash(s)
	if err != nil {
		die("hash %q: %v", s, err)
	}
	return h
}

func main() {
	dir := flag.String("dir", "", "log directory")
	vkey := flag.String("vkey", "", "log verifier key")
	cpFile := flag.String("checkpoint", "", "checkpoint file (default DIR/checkpoint)")
	incl := flag.String("incl", "", "comma-separated inclusion proof JSON files")
	cons := flag.String("cons", "", "comma-separated consistency proof JSON files")
	wkey := flag.String("witness", "", "witness verifier key (type 0x04)")
	cosigned := flag.String("cosigned", "", "checkpoint with the witness cosignature")
	flag.Parse()
	if *dir == "" || *vkey == "" {
		die("-dir and -vkey are required")
	}
	if *cpFile == "" {
		*cpFile = filepath.Join(*dir, "checkpoint")
	}

	// 1. The signed checkpoint, opened by Go's note package.
	v, err := note.NewVerifier(*vkey)
	if err != nil {
		die("note.NewVerifier(%q): %v", *vkey, err)
	}
	msg, err := os.ReadFile(*cpFile)
	if err != nil {
		die("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		die("note.Open(checkpoint): %v", err)
	}
	cp := parseCheckpoint(n.Text)
	if cp.origin != v.Name() {
		die("origin %q, key name %q", cp.origin, v.Name())
	}
	bad := append([]byte(nil), msg...)
	bad[len(bad)-6] ^= 1
	if _, err := note.Open(bad, note.VerifierList(v)); err == nil {
		die("note.Open accepted a checkpoint with a damaged signature")
	}
	fmt.Printf("note.Open: ok (%s, size %d, root %s)\n", cp.origin, cp.tree.N, cp.tree.Hash)

	// 2. Tiles, authenticated against the root by tlog.TileHashReader.
	tr := dirTiles{*dir}
	hr := tlog.TileHashReader(cp.tree, tr)
	th, err := tlog.TreeHash(cp.tree.N, hr)
	if err != nil {
		die("tlog.TreeHash: %v", err)
	}
	if th != cp.tree.Hash {
		die("tlog.TreeHash = %s, checkpoint root %s", th, cp.tree.Hash)
	}
	fmt.Printf("tlog.TreeHash over the tiles: ok\n")

	// 3. Every entry against the authenticated level-0 hashes.
	size := cp.tree.N
	for t := int64(0); t*256 < size; t++ {
		w := size - t*256
		if w > 256 {
			w = 256
		}
		tile := tlog.Tile{H: 8, L: 0, N: t, W: int(w)}
		// Entry bundles live at tile/entries/N (Go would say tile/8/data/N).
		p := strings.Replace(c2spPath(tile), "tile/0/", "tile/entries/", 1)
		data, err := os.ReadFile(filepath.Join(*dir, p))
		if err != nil && w < 256 {
			full := strings.Replace(c2spPath(tlog.Tile{H: 8, L: 0, N: t, W: 256}), "tile/0/", "tile/entries/", 1)
			data, err = os.ReadFile(filepath.Join(*dir, full))
		}
		if err != nil {
			die("%v", err)
		}
		idx := make([]int64, w)
		for i := range idx {
			idx[i] = tlog.StoredHashIndex(0, t*256+int64(i))
		}
		hashes, err := hr.ReadHashes(idx)
		if err != nil {
			die("ReadHashes(tile %d): %v", t, err)
		}
		for i := int64(0); i < w; i++ {
			if len(data) < 2 {
				die("%s: truncated at entry %d", p, i)
			}
			l := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+l {
				die("%s: entry %d runs past the end", p, i)
			}
			if tlog.RecordHash(data[2:2+l]) != hashes[i] {
				die("%s: entry %d does not hash to its tile hash", p, i)
			}
			data = data[2+l:]
		}
		if w == 256 && len(data) != 0 {
			die("%s: %d trailing bytes", p, len(data))
		}
	}
	fmt.Printf("entry bundles: %d entries match tlog.RecordHash\n", size)

	// 4. tlog.ReadTileData recomputes Vigil's tile files.
	count := 0
	for _, t := range tlog.NewTiles(8, 0, size) {
		full := t.W == 256
		last := int64(t.W) == (size>>(8*uint(t.L)))-t.N*256
		if !full && !last {
			continue // widths of sizes that were never checkpointed
		}
		want, err := tlog.ReadTileData(t, hr)
		if err != nil {
			die("tlog.ReadTileData(%s): %v", t.Path(), err)
		}
		got, err := tr.readTile(t, len(want))
		if err != nil {
			die("%v", err)
		}
		if !bytes.Equal(got, want) {
			die("%s differs from tlog.ReadTileData", c2spPath(t))
		}
		count++
	}
	fmt.Printf("tlog.ReadTileData: %d tiles identical\n", count)

	// 5. Inclusion proofs.
	for _, f := range strings.Split(*incl, ",") {
		if f == "" {
			continue
		}
		var j struct {
			LeafIdx  int64    `json:"leafIdx"`
			TreeSize int64    `json:"treeSize"`
			LeafHash string   `json:"leafHash"`
			Root     string   `json:"root"`
			Proof    []string `json:"proof"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			die("%v", err)
		}
		if err := json.Unmarshal(b, &j); err != nil {
			die("%s: %v", f, err)
		}
		var p tlog.RecordProof
		for _, s := range j.Proof {
			p = append(p, b64hash(s))
		}
		root, leaf := b64hash(j.Root), b64hash(j.LeafHash)
		if err := tlog.CheckRecord(p, j.TreeSize, root, j.LeafIdx, leaf); err != nil {
			die("%s: tlog.CheckRecord: %v", f, err)
		}
		// The root must be the log's at that size, and Go's own proof identical.
		thr := tlog.TileHashReader(cp.tree, tr)
		r2, err := tlog.TreeHash(j.TreeSize, thr)
		if err != nil || r2 != root {
			die("%s: root for size %d is not the log's (%v)", f, j.TreeSize, err)
		}
		gp, err := tlog.ProveRecord(j.TreeSize, j.LeafIdx, thr)
		if err != nil {
			die("%s: tlog.ProveRecord: %v", f, err)
		}
		if len(gp) != len(p) {
			die("%s: %d hashes, Go's proof has %d", f, len(p), len(gp))
		}
		for i := range gp {
			if gp[i] != p[i] {
				die("%s: hash %d differs from Go's proof", f, i)
			}
		}
		if len(p) > 0 {
			q := append(tlog.RecordProof(nil), p...)
			q[0][0] ^= 1
			if tlog.CheckRecord(q, j.TreeSize, root, j.LeafIdx, leaf) == nil {
				die("%s: an altered proof passed", f)
			}
			if tlog.CheckRecord(p[:len(p)-1], j.TreeSize, root, j.LeafIdx, leaf) == nil {
				die("%s: a proof missing a hash passed", f)
			}
		}
		if tlog.CheckRecord(append(append(tlog.RecordProof(nil), p...), root), j.TreeSize, root, j.LeafIdx, leaf) == nil {
			die("%s: a proof with an extra hash passed", f)
		}
		fmt.Printf("tlog.CheckRecord: ok: entry %d in size %d (%d hashes, = tlog.ProveRecord)\n", j.LeafIdx, j.TreeSize, len(p))
	}

	// 6. Consistency proofs.
	for _, f := range strings.Split(*cons, ",") {
		if f == "" {
			continue
		}
		var j struct {
			Size1 int64    `json:"size1"`
			Size2 int64    `json:"size2"`
			Root1 string   `json:"root1"`
			Root2 string   `json:"root2"`
			Proof []string `json:"proof"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			die("%v", err)
		}
		if err := json.Unmarshal(b, &j); err != nil {
			die("%s: %v", f, err)
		}
		var p tlog.TreeProof
		for _, s := range j.Proof {
			p = append(p, b64hash(s))
		}
		r1, r2 := b64hash(j.Root1), b64hash(j.Root2)
		if err := tlog.CheckTree(p, j.Size2, r2, j.Size1, r1); err != nil {
			die("%s: tlog.CheckTree: %v", f, err)
		}
		thr := tlog.TileHashReader(cp.tree, tr)
		gp, err := tlog.ProveTree(j.Size2, j.Size1, thr)
		if err != nil {
			die("%s: tlog.ProveTree: %v", f, err)
		}
		if len(gp) != len(p) {
			die("%s: %d hashes, Go's proof has %d", f, len(p), len(gp))
		}
		for i := range gp {
			if gp[i] != p[i] {
				die("%s: hash %d differs from Go's proof", f, i)
			}
		}
		if len(p) > 0 {
			q := append(tlog.TreeProof(nil), p...)
			q[len(q)-1][5] ^= 1
			if tlog.CheckTree(q, j.Size2, r2, j.Size1, r1) == nil {
				die("%s: an altered proof passed", f)
			}
		}
		fmt.Printf("tlog.CheckTree: ok: %d -> %d (%d hashes, = tlog.ProveTree)\n", j.Size1, j.Size2, len(p))
	}

	// 7. A witness cosignature, checked with crypto/ed25519 only.
	if *wkey != "" {
		parts := strings.SplitN(*wkey, "+", 3)
		if len(parts) != 3 {
			die("witness key %q", *wkey)
		}
		raw, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil || len(raw) != 33 || raw[0] != 0x04 {
			die("witness key %q: not type 0x04", *wkey)
		}
		name, pk := parts[0], ed25519.PublicKey(raw[1:])
		kh := sha256.Sum256(append(append([]byte(name+"\n"), 0x04), pk...))
		id := binary.BigEndian.Uint32(kh[:4])
		if fmt.Sprintf("%08x", id) != parts[1] {
			die("witness key id %s, computed %08x", parts[1], id)
		}
		msg, err := os.ReadFile(*cosigned)
		if err != nil {
			die("%v", err)
		}
		// The log signature still verifies with Go's note package.
		wn, err := note.Open(msg, note.VerifierList(v))
		if err != nil {
			die("note.Open(cosigned): %v", err)
		}
		found := false
		for _, s := range wn.UnverifiedSigs {
			if s.Name != name || s.Hash != id {
				continue
			}
			sig, err := base64.StdEncoding.DecodeString(s.Base64)
			if err != nil || len(sig) != 4+8+64 {
				die("cosignature: %d bytes", len(sig))
			}
			ts := binary.BigEndian.Uint64(sig[4:12])
			signed := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, wn.Text)
			if !ed25519.Verify(pk, []byte(signed), sig[12:]) {
				die("cosignature by %s does not verify", name)
			}
			fmt.Printf("cosignature/v1: ok: %s at %d\n", name, ts)
			found = true
		}
		if !found {
			die("no cosignature by %s", name)
		}
	}
	fmt.Println("vigilcheck: all checks passed")
}
