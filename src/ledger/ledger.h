/*
 * ledger.h - the contract of Vigil's transparency log: RFC 9162 Merkle
 * hashing and proofs, C2SP tlog-tiles storage, C2SP signed notes and
 * tlog-checkpoints (Ed25519), witness cosignatures (C2SP tlog-cosignature
 * v1) and an auditor's full verification.
 *
 * References
 *  - RFC 9162 (Certificate Transparency 2.0) section 2.1: the Merkle tree,
 *    inclusion (2.1.3) and consistency (2.1.4) proofs. Hashing is RFC 6962's:
 *    leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right),
 *    empty tree = SHA-256("").
 *  - c2sp.org/tlog-tiles, c2sp.org/tlog-checkpoint, c2sp.org/signed-note,
 *    c2sp.org/tlog-cosignature, c2sp.org/tlog-witness (simplified: a local
 *    library call instead of an HTTP endpoint).
 *  - docs/log-format.md: the on-disk layout, worked examples, and how an
 *    auditor checks a log with Go's golang.org/x/mod/sumdb/{note,tlog}.
 *
 * Ownership. Every struct declared here with visible fields is plain data
 * owned by the caller (no pointers to free), except struct vg_note, whose
 * text/name pointers borrow from the caller's input buffer. A vg_ledger
 * handle is created by vg_ledger_open and released by vg_ledger_free
 * (_free(NULL) is a no-op). Strings returned by vg_ledger_* accessors are
 * owned by the handle and valid until the next call that changes it
 * (append, sync, free).
 *
 * Thread safety. The functions without a vg_ledger argument keep no state
 * and are thread-safe once vg_crypto_init() has run. A vg_ledger handle is
 * used by one thread at a time (the caller serialises: typically one
 * writer thread doing group commit). One process at a time may hold a log
 * directory open for writing (an exclusive flock on DIR/.vigil/lock);
 * read-only handles take no lock and only see what was durable when they
 * opened.
 *
 * Durability. vg_ledger_append only changes memory. vg_ledger_sync makes
 * every appended entry durable and then publishes a new signed checkpoint
 * covering them, in this order: (1) new tile and entry-bundle files are
 * written (only paths beyond the last published checkpoint, so no
 * published file is ever rewritten), the private hash index is appended
 * and the new signed checkpoint is written to a temporary file; (2) all of
 * them, and every directory that gained a name, are fsync'ed; (3) the
 * temporary file is renamed over DIR/checkpoint and the directory
 * fsync'ed. One round (two commit points) per batch (group commit), never
 * per entry. An entry may be acknowledged once sync returned
 * VG_OK. After a crash, vg_ledger_open recovers the state of the last
 * checkpoint: whatever lies beyond it (a torn tail) is ignored and
 * overwritten by later appends, so the next checkpoint is consistent with
 * the last one published. If sync fails after it started writing, the
 * handle refuses further appends and syncs (VG_ERR_IO): Linux may drop
 * dirty pages after a failed fsync, so the only safe retry is to reopen.
 *
 * Errors. Status in the return value, results through out-parameters,
 * untouched on failure; messages name the file, field and value.
 *  VG_ERR_INVALID_ARG   a documented precondition broken by the caller
 *  VG_ERR_LIMIT         entry > 65,535 bytes, too much pending data, too
 *                       many signatures, a name too long
 *  VG_ERR_RANGE         an index or size outside the tree (index >= size,
 *                       size1 > size2, a size going backwards)
 *  VG_ERR_IO            a read/write/fsync failed
 *  VG_ERR_BUSY          the log is open for writing by another process
 *  VG_ERR_NOT_FOUND     no log (no checkpoint) in the directory
 *  VG_ERR_EXISTS        vg_ledger_create on a directory holding a log
 *  VG_ERR_CORRUPT       stored data fails an integrity check; the message
 *                       names the tile or bundle path (e.g.
 *                       "tile/0/x001/234: hash 17 ... does not match")
 *  VG_ERR_INCONSISTENT  a proof does not verify; two checkpoints of one log
 *                       disagree (split view); a checkpoint of another origin
 *  VG_ERR_SIGNATURE     a note has no valid signature by a known key, or a
 *                       known key's signature fails
 *  VG_ERR_KEY           a malformed key string or key file
 *  VG_ERR_BASE64        a hash or signature that is not strict base64
 *  VG_ERR_VERSION       a malformed note / checkpoint / proof text
 */
#ifndef VG_LEDGER_H
#define VG_LEDGER_H

#include "core/core.h"
#include "crypto/crypto.h"

#define VG_HASH_BYTES 32
/* Entries are length-prefixed by a big-endian uint16 in entry bundles. */
#define VG_LEDGER_ENTRY_MAX 65535
/* Tree sizes are kept below 2^63 (Go's tlog uses int64). */
#define VG_LEDGER_SIZE_MAX ((uint64_t)INT64_MAX)
/* Tiles are 2^8 hashes wide (C2SP tlog-tiles). */
#define VG_TILE_HEIGHT 8
#define VG_TILE_WIDTH 256
/* An inclusion proof has at most 63 hashes and a consistency proof at most
 * 64 for sizes below 2^63. */
#define VG_MERKLE_PROOF_MAX 64
/* Key names / origins: non-empty, valid UTF-8, no spaces, no '+'. */
#define VG_NOTE_NAME_MAX 255
/* A note (text + signature lines) and the signatures kept per note. */
#define VG_NOTE_MAX 16384
#define VG_NOTE_SIGS_MAX 32
/* Longest signature line: "— " name " " base64(4 + 8 + 64) "\n". */
#define VG_NOTE_SIGLINE_MAX (4 + VG_NOTE_NAME_MAX + 1 + 104 + 2)
/* Longest key strings (with NUL). */
#define VG_NOTE_VKEY_MAX (VG_NOTE_NAME_MAX + 1 + 8 + 1 + 48 + 1)
#define VG_NOTE_SKEY_MAX (12 + VG_NOTE_VKEY_MAX)
/* Longest tile path "tile/<L>/x.../NNN.p/WWW" (with NUL). */
#define VG_TILE_PATH_MAX 112
/* Text form of a proof: one base64 hash (44 chars) and "\n" per hash. */
#define VG_MERKLE_PROOF_TEXT_MAX (VG_MERKLE_PROOF_MAX * 45 + 1)

/* ==== Merkle tree (RFC 9162 2.1) ======================================== */

/* Leaf hash of one entry: SHA-256(0x00 || entry). Any length (the 65,535
 * cap is the log's, not the hash's). */
void vg_merkle_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[VG_HASH_BYTES]);
/* Interior node: SHA-256(0x01 || left || right). out may alias an input. */
void vg_merkle_node_hash(const uint8_t left[VG_HASH_BYTES], const uint8_t right[VG_HASH_BYTES],
                         uint8_t out[VG_HASH_BYTES]);
/* Root of the empty tree: SHA-256(""). */
void vg_merkle_empty_root(uint8_t out[VG_HASH_BYTES]);

/*
 * The right edge of a tree ("compact range"): the roots of the perfect
 * subtrees that make up a tree of `size` leaves, h[l] valid iff bit l of
 * size is set. Appending costs O(log n) hashing and no storage; this is
 * how the log computes roots incrementally and how an auditor recomputes a
 * root while streaming the leaves.
 */
struct vg_merkle_frontier {
	uint64_t size;
	uint8_t h[64][VG_HASH_BYTES];
};
void vg_merkle_frontier_init(struct vg_merkle_frontier *f);
/* Precondition: f->size < VG_LEDGER_SIZE_MAX. */
void vg_merkle_frontier_push(struct vg_merkle_frontier *f, const uint8_t leaf_hash[VG_HASH_BYTES]);
void vg_merkle_frontier_root(const struct vg_merkle_frontier *f, uint8_t root[VG_HASH_BYTES]);

/* A proof: n hashes of exactly 32 bytes each, in RFC 9162 order (from the
 * leaf, or the old tree, toward the root). */
struct vg_merkle_proof {
	size_t n;
	uint8_t h[VG_MERKLE_PROOF_MAX][VG_HASH_BYTES];
};

/*
 * RFC 9162 2.1.3.2: verify that leaf_hash is leaf `index` of the tree of
 * `size` leaves whose root is `root`. VG_ERR_RANGE if index >= size,
 * VG_ERR_INCONSISTENT if the proof (wrong hash, one hash too many or too
 * few) does not lead to root.
 */
vg_status vg_merkle_verify_inclusion(uint64_t index, uint64_t size,
                                     const uint8_t leaf_hash[VG_HASH_BYTES],
                                     const struct vg_merkle_proof *proof,
                                     const uint8_t root[VG_HASH_BYTES], struct vg_err *err) VG_WUR;

/*
 * RFC 9162 2.1.4.2: verify that the tree (size1, root1) is a prefix of the
 * tree (size2, root2). size1 == size2 needs an empty proof and root1 ==
 * root2. size1 == 0 is refused (VG_ERR_RANGE): a proof from the empty tree
 * proves nothing, and callers handle that case themselves (the witness
 * accepts any first checkpoint of a log without a proof). VG_ERR_RANGE if
 * size1 > size2 (a size going backwards), VG_ERR_INCONSISTENT if the proof
 * does not verify.
 */
vg_status vg_merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                       const struct vg_merkle_proof *proof,
                                       const uint8_t root1[VG_HASH_BYTES],
                                       const uint8_t root2[VG_HASH_BYTES],
                                       struct vg_err *err) VG_WUR;

/*
 * Proof text: one strict-base64 hash per line, each "\n"-terminated (the
 * final newline may be missing). Each line must decode to exactly 32
 * bytes; an empty line, a 31- or 33-byte hash, or more than
 * VG_MERKLE_PROOF_MAX lines is refused (VG_ERR_BASE64 / VG_ERR_LIMIT).
 * An empty text is the empty proof.
 */
vg_status vg_merkle_proof_parse(const char *text, size_t len, struct vg_merkle_proof *proof,
                                struct vg_err *err) VG_WUR;
/* Format into out (VG_MERKLE_PROOF_TEXT_MAX bytes always suffice); returns
 * the length without the NUL. */
size_t vg_merkle_proof_format(const struct vg_merkle_proof *proof, char *out, size_t cap);

/*
 * Proof generation over any source of complete-subtree hashes: node(ctx,
 * level, index) returns the root of the perfect subtree of 2^level leaves
 * starting at leaf index << level (level 0 = leaf hashes). Incomplete
 * right-edge subtrees are combined from complete ones, so a source only
 * ever gets asked for nodes inside the tree. The number of node lookups is
 * O(log size).
 */
typedef vg_status (*vg_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
                                       uint8_t out[VG_HASH_BYTES], struct vg_err *err);
/* RFC 9162 2.1.3.1. VG_ERR_RANGE unless index < size <= VG_LEDGER_SIZE_MAX. */
vg_status vg_merkle_prove_inclusion(vg_merkle_node_fn node, void *ctx, uint64_t index,
                                    uint64_t size, struct vg_merkle_proof *proof,
                                    struct vg_err *err) VG_WUR;
/* RFC 9162 2.1.4.1. VG_ERR_RANGE unless 0 < size1 <= size2; equal sizes
 * give the empty proof. */
vg_status vg_merkle_prove_consistency(vg_merkle_node_fn node, void *ctx, uint64_t size1,
                                      uint64_t size2, struct vg_merkle_proof *proof,
                                      struct vg_err *err) VG_WUR;
/* Root of the first `size` leaves (the empty root for size 0). */
vg_status vg_merkle_root(vg_merkle_node_fn node, void *ctx, uint64_t size,
                         uint8_t root[VG_HASH_BYTES], struct vg_err *err) VG_WUR;

/* ==== Tiles (C2SP tlog-tiles) ============================================ */

/* Level value selecting entry bundles instead of hash tiles. */
#define VG_TILE_ENTRIES (-1)
/*
 * Path of a tile relative to the log directory: "tile/<L>/<N>[.p/<W>]", or
 * "tile/entries/<N>[.p/<W>]" for level VG_TILE_ENTRIES. N is written in
 * 3-digit groups, all but the last prefixed with 'x' (1234067 ->
 * x001/x234/067). width is 1..256; 256 is a full tile (no .p suffix).
 * Returns the length. Precondition: -1 <= level <= 63, 1 <= width <= 256.
 */
size_t vg_tile_path(int level, uint64_t index, unsigned width, char out[VG_TILE_PATH_MAX]);

/* ==== Signed notes and keys (C2SP signed-note) ========================== */

/* Signature type bytes of c2sp.org/signed-note. */
enum vg_note_type {
	VG_NOTE_ED25519 = 0x01,        /* Ed25519 over the note text (log keys) */
	VG_NOTE_COSIGNATURE_V1 = 0x04, /* timestamped witness cosignature */
};

/* A public key a verifier knows: its name, type and key ID
 * (first 4 bytes, big-endian, of SHA-256(name || 0x0A || type || pk)). */
struct vg_note_verifier {
	char name[VG_NOTE_NAME_MAX + 1];
	uint8_t type;
	uint32_t key_id;
	uint8_t pk[VG_PK_BYTES];
};

/* A private key: its public half and the secret. Wipe with
 * vg_note_signer_wipe. */
struct vg_note_signer {
	struct vg_note_verifier pub;
	struct vg_secret_key key;
};

/* Key ID of (name, type, pk) per the signed-note recommendation. */
uint32_t vg_note_key_id(const char *name, uint8_t type, const uint8_t pk[VG_PK_BYTES]);
/* true iff name is a valid key name / origin: 1..255 bytes of valid UTF-8
 * without Unicode spaces, '+' or control characters. */
bool vg_note_name_valid(const char *name, size_t len);

/*
 * Verifier key string "<name>+<key id, 8 lowercase hex>+<base64(type ||
 * pk)>" (Go's note.NewVerifier format). Parsing checks the key ID against
 * the name and key, the type (0x01 or 0x04) and the public key
 * (vg_key_check_public). VG_ERR_KEY on any deviation.
 */
vg_status vg_note_verifier_parse(const char *s, size_t len, struct vg_note_verifier *v,
                                 struct vg_err *err) VG_WUR;
/* Format into out (VG_NOTE_VKEY_MAX bytes); returns the length. */
size_t vg_note_verifier_format(const struct vg_note_verifier *v, char *out, size_t cap);

/*
 * Private key string "PRIVATE+KEY+<name>+<key id hex>+<base64(type ||
 * 32-byte seed)>" (Go's note.NewSigner format for type 0x01; Vigil uses
 * the same shape with type 0x04 for witness keys).
 */
vg_status vg_note_signer_parse(const char *s, size_t len, struct vg_note_signer *sk,
                               struct vg_err *err) VG_WUR;
/* Format into out (VG_NOTE_SKEY_MAX bytes); returns the length. The caller
 * wipes out with sodium_memzero when done. */
size_t vg_note_signer_format(const struct vg_note_signer *sk, char *out, size_t cap);
/* A fresh key of the given type (0x01 or 0x04) for name (validated). */
vg_status vg_note_signer_generate(const char *name, uint8_t type, struct vg_note_signer *sk,
                                  struct vg_err *err) VG_WUR;
/* Deterministic key from a seed (tests). */
vg_status vg_note_signer_from_seed(const char *name, uint8_t type,
                                   const uint8_t seed[VG_SEED_BYTES], struct vg_note_signer *sk,
                                   struct vg_err *err) VG_WUR;
void vg_note_signer_wipe(struct vg_note_signer *sk);
/* Key files: one line, the private key string and "\n"; written with
 * mode 0600 and O_EXCL (never overwrites; VG_ERR_EXISTS). */
vg_status vg_note_key_write(const char *path, const struct vg_note_signer *sk,
                            struct vg_err *err) VG_WUR;
vg_status vg_note_key_read(const char *path, struct vg_note_signer *sk, struct vg_err *err) VG_WUR;

/* One signature line of an opened note. name points into the note. */
struct vg_note_sig {
	const char *name;
	size_t name_len;
	uint32_t key_id;
	int verifier;      /* index in known[] of the key that verified it; -1: unknown key */
	int64_t timestamp; /* cosignature/v1 time (Unix seconds); -1 for other types */
};

/* An opened note. text points into the caller's buffer. */
struct vg_note {
	const char *text; /* the signed text, ending in "\n" */
	size_t text_len;
	size_t nsigs;     /* signature lines kept (duplicates dropped) */
	size_t nverified; /* of which verified by a known key */
	struct vg_note_sig sigs[VG_NOTE_SIGS_MAX];
};

/*
 * Parse and verify a signed note against a list of known keys, as the
 * spec says: the note must be valid UTF-8 without control characters
 * other than '\n', and end with a blank line and signature lines.
 * Signatures by unknown (name, key ID) pairs are kept unverified and
 * ignored; a signature by a known key that fails to verify rejects the
 * whole note (VG_ERR_SIGNATURE); so does a note with no verified
 * signature. Type 0x04 known keys verify cosignature/v1 payloads
 * (timestamp || signature over "cosignature/v1\ntime <t>\n" || text).
 * Repeated identical signature lines are dropped. More than
 * VG_NOTE_SIGS_MAX signature lines: VG_ERR_LIMIT.
 */
vg_status vg_note_open(const char *msg, size_t len, const struct vg_note_verifier *known,
                       size_t nknown, struct vg_note *note, struct vg_err *err) VG_WUR;

/*
 * One signature line "— <name> base64(key ID || signature)\n" over text
 * (which must end in "\n"). For a type 0x04 signer the signature is
 * timestamp(8, big-endian) || Ed25519 over the cosignature/v1 message with
 * time_s (>= 0); time_s is ignored for type 0x01. Returns the length in
 * *line_len; line needs VG_NOTE_SIGLINE_MAX bytes.
 */
vg_status vg_note_sign_line(const struct vg_note_signer *sk, const char *text, size_t text_len,
                            int64_t time_s, char *line, size_t cap, size_t *line_len,
                            struct vg_err *err) VG_WUR;
/* A signed note: text + "\n" + one signature line by sk. */
vg_status vg_note_sign(const struct vg_note_signer *sk, const char *text, size_t text_len,
                       int64_t time_s, char *out, size_t cap, size_t *out_len,
                       struct vg_err *err) VG_WUR;

/* ==== Checkpoints (C2SP tlog-checkpoint) ================================ */

struct vg_checkpoint {
	char origin[VG_NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[VG_HASH_BYTES];
};

/* Body "<origin>\n<size>\n<base64 root>\n"; returns the length, 0 if cap
 * is too small (VG_NOTE_NAME_MAX + 70 always suffices). */
size_t vg_checkpoint_format(const struct vg_checkpoint *cp, char *out, size_t cap);
/* Parse a note text as a checkpoint body: a non-empty origin, a decimal
 * size without leading zeros (< 2^63), a strict base64 32-byte root; any
 * extension lines must be non-empty and are ignored. VG_ERR_VERSION with
 * the line number otherwise. */
vg_status vg_checkpoint_parse(const char *text, size_t len, struct vg_checkpoint *cp,
                              struct vg_err *err) VG_WUR;
/* Open a signed checkpoint of the log whose key is log_key (type 0x01): the
 * note must carry a valid log signature (VG_ERR_SIGNATURE) and its origin
 * must equal the key name (VG_ERR_INCONSISTENT: a checkpoint of another
 * log). */
vg_status vg_checkpoint_open(const char *note, size_t len, const struct vg_note_verifier *log_key,
                             struct vg_checkpoint *cp, struct vg_err *err) VG_WUR;
/*
 * Split-view check of two checkpoints of one log: equal sizes must have
 * equal roots; otherwise `proof` must prove the smaller a prefix of the
 * larger. VG_OK if consistent, VG_ERR_INCONSISTENT if not (different
 * origins included). A checkpoint of size 0 is a prefix of everything
 * (the proof must then be empty).
 */
vg_status vg_checkpoint_consistent(const struct vg_checkpoint *a, const struct vg_checkpoint *b,
                                   const struct vg_merkle_proof *proof, struct vg_err *err) VG_WUR;
/*
 * K-of-N finality: the note must carry a valid signature by log_key; then
 * *cosigned counts the distinct keys in witnesses[] (type 0x04) whose
 * cosignature verifies, and *final = (*cosigned >= quorum). A configured
 * witness whose cosignature fails to verify rejects the note
 * (VG_ERR_SIGNATURE), per the signed-note rules.
 */
vg_status vg_checkpoint_final(const char *note, size_t len, const struct vg_note_verifier *log_key,
                              const struct vg_note_verifier *witnesses, size_t nwitnesses,
                              size_t quorum, size_t *cosigned, bool *final,
                              struct vg_err *err) VG_WUR;

/* ==== The log ============================================================ */

/*
 * Layout of a log directory DIR (docs/log-format.md):
 *   DIR/checkpoint                 the latest signed checkpoint
 *   DIR/tile/<L>/<N>[.p/<W>]       hash tiles
 *   DIR/tile/entries/<N>[.p/<W>]   entry bundles
 *   DIR/.vigil/                    private: lock, hash index (a cache of
 *                                  every interior hash, derived from the
 *                                  tiles); not part of the published log
 */
typedef struct vg_ledger vg_ledger;

/* Flags for vg_ledger_open. */
enum {
	/* Skip every fsync (bulk loads, benchmarks): NOT durable. */
	VG_LEDGER_NO_FSYNC = 1u << 0,
};

/* Create an empty log in dir (created if missing; must not hold a log:
 * VG_ERR_EXISTS) with origin = key->pub.name and publish the signed
 * checkpoint of size 0. key must be of type 0x01. */
vg_status vg_ledger_create(const char *dir, const struct vg_note_signer *key,
                           struct vg_err *err) VG_WUR;

/*
 * Open the log in dir. With key (type 0x01) the handle may append; the
 * stored checkpoint must carry key's valid signature and origin. With key
 * NULL the handle is read-only and trusts the local checkpoint (callers
 * that need to check it use vg_checkpoint_open on vg_ledger_checkpoint).
 * Recovery: the state is the one of DIR/checkpoint; the right edge (one
 * partial tile per level and the partial entry bundle) is reloaded and must
 * hash to the checkpoint's root (VG_ERR_CORRUPT naming the tile path
 * otherwise); anything beyond it is ignored. The private hash index is
 * trimmed to the checkpoint, or rebuilt from the tiles if missing.
 */
vg_status vg_ledger_open(const char *dir, const struct vg_note_signer *key, unsigned flags,
                         vg_ledger **out, struct vg_err *err) VG_WUR;
void vg_ledger_free(vg_ledger *lg);

/* Entries appended so far (durable or not), and the size of the last
 * published checkpoint. */
uint64_t vg_ledger_size(const vg_ledger *lg);
uint64_t vg_ledger_durable_size(const vg_ledger *lg);
const char *vg_ledger_origin(const vg_ledger *lg);
/* The last published signed checkpoint, exactly as stored and served. */
const char *vg_ledger_checkpoint(const vg_ledger *lg, size_t *len);

/*
 * Append one entry (1..65,535 bytes; the empty entry is allowed too, as
 * RFC 9162 allows) in memory; *index gets its position. Costs one leaf
 * hash and amortised one node hash. Not durable until vg_ledger_sync.
 * VG_ERR_LIMIT if len > 65,535 or more than 256 MiB or 1,048,576 entries
 * are pending (sync first); VG_ERR_INVALID_ARG on a read-only handle.
 */
vg_status vg_ledger_append(vg_ledger *lg, const uint8_t *entry, size_t len, uint64_t *index,
                           struct vg_err *err) VG_WUR;
/* Make everything appended durable and publish a checkpoint for it (see
 * "Durability" above). A no-op when nothing is pending. */
vg_status vg_ledger_sync(vg_ledger *lg, struct vg_err *err) VG_WUR;

/* Root of the first `size` entries, size <= vg_ledger_size. */
vg_status vg_ledger_root(vg_ledger *lg, uint64_t size, uint8_t root[VG_HASH_BYTES],
                         struct vg_err *err) VG_WUR;
vg_status vg_ledger_leaf_hash(vg_ledger *lg, uint64_t index, uint8_t out[VG_HASH_BYTES],
                              struct vg_err *err) VG_WUR;
/* Copy entry `index` into buf (cap >= VG_LEDGER_ENTRY_MAX always
 * suffices; VG_ERR_LIMIT if it does not fit). */
vg_status vg_ledger_entry(vg_ledger *lg, uint64_t index, uint8_t *buf, size_t cap, size_t *len,
                          struct vg_err *err) VG_WUR;
/* Proofs for any sizes up to vg_ledger_size (they only mean something
 * against a published checkpoint, i.e. up to vg_ledger_durable_size). */
vg_status vg_ledger_prove_inclusion(vg_ledger *lg, uint64_t index, uint64_t size,
                                    struct vg_merkle_proof *proof, struct vg_err *err) VG_WUR;
vg_status vg_ledger_prove_consistency(vg_ledger *lg, uint64_t size1, uint64_t size2,
                                      struct vg_merkle_proof *proof, struct vg_err *err) VG_WUR;

/* ==== Audit ============================================================== */

/*
 * Called for every entry, in index order, after its leaf hash matched the
 * level-0 tile: the hook for checking each entry's content (e.g. a sensor
 * signature against the registry recorded earlier in the log). A status
 * other than VG_OK stops the audit and is returned, the message prefixed
 * with "entry <index>".
 */
typedef vg_status (*vg_ledger_entry_fn)(void *ctx, uint64_t index, const uint8_t *entry,
                                        size_t len, struct vg_err *err);

struct vg_ledger_audit {
	struct vg_checkpoint checkpoint; /* the verified checkpoint */
	uint64_t entries;                /* entries checked */
	uint64_t tiles;                  /* hash tiles + entry bundles checked */
};

/*
 * An auditor's full check of a log directory or mirror, trusting only
 * log_key: the checkpoint's signature and origin; every entry bundle
 * (exactly W entries, no trailing bytes) against its level-0 tile; every
 * tile at level L+1 against the hashes of the full tiles at level L; and
 * the root recomputed from the tiles against the checkpoint. It reads the
 * published files only (never DIR/.vigil). The first mismatch is returned
 * as VG_ERR_CORRUPT naming the tile path (missing, truncated, a wrong
 * hash at an index). O(n) time, O(log n) memory. *out is filled on VG_OK.
 */
vg_status vg_ledger_audit(const char *dir, const struct vg_note_verifier *log_key,
                          vg_ledger_entry_fn on_entry, void *ctx, struct vg_ledger_audit *out,
                          struct vg_err *err) VG_WUR;

/* ==== Witness (C2SP tlog-witness semantics, local) ====================== */

/* Evidence of a split view: the checkpoint this witness cosigned before
 * (as stored: log signature and our cosignature) and the one offered. */
struct vg_witness_evidence {
	char cosigned[VG_NOTE_MAX];
	size_t cosigned_len;
	char offered[VG_NOTE_MAX];
	size_t offered_len;
};

/*
 * A witness run by a coalition member. state_path holds the last
 * checkpoint it cosigned for the log of log_key (absent: none yet). The
 * offered checkpoint must carry a valid signature by log_key with its
 * origin (VG_ERR_SIGNATURE / VG_ERR_INCONSISTENT). Then:
 *  - no state yet, or the cosigned size is 0: accepted (proof must be
 *    empty or NULL);
 *  - offered size < cosigned size: VG_ERR_RANGE (a size going backwards);
 *  - same size: the roots must be equal (re-cosigned with a new time);
 *  - larger: `proof` must prove consistency from the cosigned checkpoint.
 * Two roots for one size, or a proof that fails, is a split view (or a
 * broken log): VG_ERR_INCONSISTENT, and *ev (if not NULL) gets both
 * checkpoints. On success the state file is replaced atomically (temp,
 * fsync, rename, fsync dir) BEFORE the cosignature line (type 0x04, time
 * now_s) is returned in line (VG_NOTE_SIGLINE_MAX bytes), so a witness
 * never cosigns what it did not record.
 */
vg_status vg_witness_cosign(const char *state_path, const struct vg_note_signer *witness,
                            const struct vg_note_verifier *log_key, const char *checkpoint,
                            size_t len, const struct vg_merkle_proof *proof, int64_t now_s,
                            char *line, size_t cap, size_t *line_len,
                            struct vg_witness_evidence *ev, struct vg_err *err) VG_WUR;

#endif
