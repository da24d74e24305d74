/*
 * journal.h - the transparency log attached to a store.
 *
 * A store at PATH has its log in PATH.log/ (C2SP tiles, servable as is) and
 * the log's Ed25519 key in PATH.logkey (signed-note private key, mode 0600;
 * never inside the served directory). Every log entry is a DSSE envelope:
 *   - observations: the envelope line exactly as the sensor sent it
 *     (payloadType application/vnd.vigil.observation+json, signed by the
 *     sensor);
 *   - registry statements (payloadType VG_REGISTRY_PAYLOAD_TYPE, signed by
 *     the log key, keyid = the log's origin): the log key itself ("log-key",
 *     always entry 0), sensor enrolments ("enrol", with the full registry
 *     line) and revocations ("revoke"). So an auditor holding only the log's
 *     public key can judge every observation's signature against the keys
 *     valid at its position in the log (vg_journal_audit_entry).
 *
 * Order of durability: the store commits an entry with its index first,
 * then the ledger appends and syncs (tiles, then the signed checkpoint);
 * only then is anything acknowledged. After a crash between the two, the
 * next vg_journal_open rebuilds the ledger forward from the store.
 *
 * A journal handle is used by one thread at a time (the ingest writer).
 * One process at a time holds a store's log (vg_journal_open fails with
 * VG_ERR_BUSY in the others).
 */
#ifndef VG_JOURNAL_H
#define VG_JOURNAL_H

#include "ledger/ledger.h"
#include "store/store.h"

#define VG_REGISTRY_PAYLOAD_TYPE "application/vnd.vigil.registry+json"
/* Fused events and rule findings, signed by the log key like registry
 * statements: {"v":1,"op":"event"|"finding","at":T,"record_sha256":HEX,
 * "record":{...}} (a record over 40,000 bytes is stated by "record_bytes"
 * instead of inline). The record names the log indices of the
 * observations it rests on; an auditor checks each is an earlier
 * observation entry. */
#define VG_PUBLICATION_PAYLOAD_TYPE "application/vnd.vigil.publication+json"

struct vg_journal;

/*
 * Open the log of the store at db_path (creating the log and its key if
 * neither exists; origin NULL: "vigil/<hostname>/<db file name>"), bring
 * it level with the store, and, for a store that has data but no log yet,
 * adopt it: the log-key statement, an enrolment per registered sensor (id
 * order), then every stored observation (row order).
 */
vg_status vg_journal_open(vg_store *st, const char *db_path, const char *origin,
                          struct vg_journal **out, struct vg_err *err) VG_WUR;
void vg_journal_free(struct vg_journal *j);

vg_ledger *vg_journal_ledger(struct vg_journal *j);
/* The log's verifier key string "<origin>+<id>+<base64>". */
const char *vg_journal_verifier(const struct vg_journal *j);
/* Next index to assign (== entries in store and ledger once synced). */
int64_t vg_journal_next(const struct vg_journal *j);

/* Reserve the next index (the caller stores the entry under it in its
 * open transaction, then calls vg_journal_append after COMMIT). */
int64_t vg_journal_reserve(struct vg_journal *j);
/* Give back indices reserved since `next` (the transaction rolled back). */
void vg_journal_unreserve(struct vg_journal *j, int64_t next);
/* Append the entry stored at idx (indices must come in order). */
vg_status vg_journal_append(struct vg_journal *j, int64_t idx, const uint8_t *entry, size_t len,
                            struct vg_err *err) VG_WUR;
/* Make appended entries durable and publish the checkpoint. */
vg_status vg_journal_sync(struct vg_journal *j, struct vg_err *err) VG_WUR;

/* Enrol / revoke with a registry statement in the log (one store
 * transaction + one ledger sync each). Same errors as the store calls. */
/* Staged forms for many at once: inside the caller's store transaction;
 * after COMMIT call vg_journal_catch_up (after ROLLBACK,
 * vg_journal_unreserve to the index noted before). */
vg_status vg_journal_stage_enrol(struct vg_journal *j, vg_store *st, const struct vg_sensor *s,
                                 int64_t at_ns, struct vg_err *err) VG_WUR;
vg_status vg_journal_stage_revoke(struct vg_journal *j, vg_store *st, const char *id,
                                  int64_t at_ns, struct vg_err *err) VG_WUR;
/* Publish an event or finding record (one JSON line, no newline) unless
 * the same record was published before (*published false): stored with a
 * statement at the next index inside the caller's transaction (then
 * COMMIT and vg_journal_catch_up). j NULL (the log is held by another
 * process, e.g. `vigil serve`): stored unlogged; the holder logs it with
 * vg_journal_adopt. */
vg_status vg_journal_stage_publication(struct vg_journal *j, vg_store *st, const char *kind,
                                       const char *record, size_t len, int64_t now_ns,
                                       bool *published, struct vg_err *err) VG_WUR;
/* Log what the store holds but the log does not yet (registry changes made
 * by other processes while this one held the log: enrolments, revocations;
 * see `vigil sensor revoke` while an ingest runs; events and findings
 * published by `vigil fuse` / `vigil adjudicate`), then sync. */
vg_status vg_journal_adopt(struct vg_journal *j, vg_store *st, struct vg_err *err) VG_WUR;
/* Append what the store holds beyond the ledger, then sync. */
vg_status vg_journal_catch_up(struct vg_journal *j, vg_store *st, struct vg_err *err) VG_WUR;
vg_status vg_journal_enrol(struct vg_journal *j, vg_store *st, const struct vg_sensor *s,
                           int64_t at_ns, struct vg_err *err) VG_WUR;
vg_status vg_journal_revoke(struct vg_journal *j, vg_store *st, const char *id, int64_t at_ns,
                            struct vg_err *err) VG_WUR;

/*
 * Auditing a log's entries in order (a vg_ledger_entry_fn): checks each
 * registry statement's signature against the log key and each
 * observation's signature against the registry as the log stated it at
 * that point (enrolled, not yet revoked, strict Ed25519). Counts go into
 * the context. Create with vg_journal_audit_new(log verifier).
 */
struct vg_journal_audit;
vg_status vg_journal_audit_new(const struct vg_note_verifier *log_key,
                               struct vg_journal_audit **out, struct vg_err *err) VG_WUR;
vg_status vg_journal_audit_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t len,
                                 struct vg_err *err);
void vg_journal_audit_counts(const struct vg_journal_audit *a, int64_t *statements,
                             int64_t *observations, int64_t *sensors);
/* Event and finding statements checked (signature, record hash, evidence
 * pointing at earlier observation entries). */
int64_t vg_journal_audit_publications(const struct vg_journal_audit *a);
void vg_journal_audit_free(struct vg_journal_audit *a);

#endif
