/* store.c - the SQLite backend of store.h. */
#include "store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	Q_SENSOR_ADD,
	Q_SENSOR_GET,
	Q_SENSOR_REVOKE,
	Q_SENSOR_LAST_SEQ,
	Q_OBS_INSERT,
	Q_OBS_RTREE,
	Q_OBS_HASH,
	Q_REJECT,
	Q_REGISTRY_LOG,
	Q_OBS_LOGGED_AT,
	Q_COUNT_
};

static const char *const sql_text[Q_COUNT_] = {
	[Q_SENSOR_ADD] =
		"INSERT INTO sensors(id, owner, modality, pubkey, lat, lon, alt_m, survey_sigma_m,"
		" timing_sigma_s, releasability, valid_from, valid_until, revoked_at, enrolled_at,"
		" registry_line) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
	[Q_SENSOR_GET] =
		"SELECT registry_line, revoked_at, last_seq FROM sensors WHERE id = ?1",
	[Q_SENSOR_REVOKE] = "UPDATE sensors SET revoked_at = ?2 WHERE id = ?1",
	[Q_SENSOR_LAST_SEQ] = "UPDATE sensors SET last_seq = ?2 WHERE id = ?1",
	[Q_OBS_INSERT] =
		"INSERT INTO observations(log_index, sensor, seq, kind, t_ns, t_end_ns, received_ns,"
		" lat, lon, payload_sha256, envelope) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
	[Q_OBS_RTREE] =
		"INSERT INTO obs_rtree(id, min_lat, max_lat, min_lon, max_lon) VALUES (?1,?2,?3,?4,?5)",
	[Q_OBS_HASH] = "SELECT payload_sha256 FROM observations WHERE sensor = ?1 AND seq = ?2",
	[Q_REJECT] =
		"INSERT INTO rejections(received_ns, source, line, code, reason, message, sensor,"
		" line_sha256) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
	[Q_REGISTRY_LOG] =
		"INSERT INTO registry_log(idx, op, sensor, at_ns, entry) VALUES (?1,?2,?3,?4,?5)",
	[Q_OBS_LOGGED_AT] = "SELECT 1 FROM observations WHERE log_index = ?1",
};

struct vg_store {
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT_];
	int version;
	bool in_txn;
};

/* Migrations: index i brings the schema from version i to i+1. Append only. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE sensors("
	" id TEXT PRIMARY KEY,"
	" owner TEXT NOT NULL,"
	" modality TEXT NOT NULL,"
	" pubkey BLOB NOT NULL CHECK(length(pubkey) = 32),"
	" lat REAL, lon REAL, alt_m REAL, survey_sigma_m REAL,"
	" timing_sigma_s REAL,"
	" releasability TEXT NOT NULL,"
	" valid_from INTEGER NOT NULL,"
	" valid_until INTEGER NOT NULL,"
	" revoked_at INTEGER NOT NULL,"
	" last_seq INTEGER,"
	" enrolled_at INTEGER NOT NULL,"
	" registry_line TEXT NOT NULL"
	") STRICT;"
	"CREATE TABLE observations("
	" id INTEGER PRIMARY KEY,"
	" log_index INTEGER UNIQUE,"
	" sensor TEXT NOT NULL REFERENCES sensors(id),"
	" seq INTEGER NOT NULL,"
	" kind INTEGER NOT NULL,"
	" t_ns INTEGER NOT NULL,"
	" t_end_ns INTEGER NOT NULL,"
	" received_ns INTEGER NOT NULL,"
	" lat REAL, lon REAL,"
	" payload_sha256 BLOB NOT NULL CHECK(length(payload_sha256) = 32),"
	" envelope BLOB NOT NULL,"
	" UNIQUE(sensor, seq)"
	") STRICT;"
	"CREATE INDEX observations_time ON observations(t_ns);"
	"CREATE VIRTUAL TABLE obs_rtree USING rtree(id, min_lat, max_lat, min_lon, max_lon);"
	"CREATE TABLE rejections("
	" id INTEGER PRIMARY KEY,"
	" received_ns INTEGER NOT NULL,"
	" source TEXT,"
	" line INTEGER,"
	" code INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" message TEXT NOT NULL,"
	" sensor TEXT,"
	" line_sha256 BLOB NOT NULL"
	") STRICT;"
	"CREATE INDEX rejections_code ON rejections(code);",
	/* 1 -> 2: the transparency log. Every log entry lives in exactly one
	 * table with its index; log_entries is their union, from which the
	 * tiles can be rebuilt (and are, after a crash between a commit here
	 * and the tiles' sync). */
	"CREATE TABLE registry_log("
	" idx INTEGER PRIMARY KEY,"
	" op TEXT NOT NULL,"
	" sensor TEXT NOT NULL,"
	" at_ns INTEGER NOT NULL,"
	" entry BLOB NOT NULL"
	") STRICT;"
	"CREATE VIEW log_entries(idx, entry) AS"
	" SELECT log_index, envelope FROM observations WHERE log_index IS NOT NULL"
	" UNION ALL SELECT idx, entry FROM registry_log;",
	/* 2 -> 3: fused events (src/fusion): the deterministic record line plus
	 * columns for queries; an R*Tree over the event positions. */
	"CREATE TABLE events("
	" seq INTEGER PRIMARY KEY,"
	" type TEXT NOT NULL,"
	" t_ns INTEGER NOT NULL,"
	" lat REAL NOT NULL, lon REAL NOT NULL,"
	" cep90_m REAL,"
	" emitted_ns INTEGER NOT NULL,"
	" record BLOB NOT NULL"
	") STRICT;"
	"CREATE INDEX events_time ON events(t_ns);",
	/* 3 -> 4: the HTTP API (src/server): bearer tokens, stored as the
	 * SHA-256 of the token only, and the witness cosignatures submitted to
	 * it (each line verified against a configured witness key). */
	"CREATE TABLE api_tokens("
	" id INTEGER PRIMARY KEY,"
	" token_sha256 BLOB NOT NULL UNIQUE CHECK(length(token_sha256) = 32),"
	" member TEXT NOT NULL,"
	" role TEXT NOT NULL,"
	" created_ns INTEGER NOT NULL,"
	" revoked_ns INTEGER"
	") STRICT;"
	"CREATE TABLE witness_cosignatures("
	" id INTEGER PRIMARY KEY,"
	" size INTEGER NOT NULL,"
	" root BLOB NOT NULL,"
	" witness TEXT NOT NULL,"
	" key_id INTEGER NOT NULL,"
	" time_s INTEGER NOT NULL,"
	" line TEXT NOT NULL,"
	" checkpoint TEXT NOT NULL,"
	" received_ns INTEGER NOT NULL,"
	" UNIQUE(size, witness, key_id)"
	") STRICT;",
	/* 4 -> 5: external, unsigned observations (src/rules: NASA FIRMS
	 * thermal anomalies), and an index of observations by kind. Kept apart from `observations`, whose every row is
	 * a signed envelope in the transparency log: these carry their feed,
	 * the SHA-256 of the source row (duplicates ignored) and a trust. */
	"CREATE TABLE external_observations("
	" id INTEGER PRIMARY KEY,"
	" feed TEXT NOT NULL,"
	" source TEXT NOT NULL,"
	" row_sha256 BLOB NOT NULL CHECK(length(row_sha256) = 32),"
	" kind INTEGER NOT NULL,"
	" type INTEGER NOT NULL,"
	" t_ns INTEGER NOT NULL,"
	" lat REAL NOT NULL, lon REAL NOT NULL,"
	" sigma_m REAL NOT NULL,"
	" frp_mw REAL,"
	" satellite TEXT, instrument TEXT, confidence TEXT,"
	" trust REAL NOT NULL,"
	" imported_ns INTEGER NOT NULL,"
	" row TEXT NOT NULL,"
	" UNIQUE(feed, row_sha256)"
	") STRICT;"
	"CREATE INDEX external_time ON external_observations(t_ns);"
	/* adjudication reads a few kinds (fire, detection, change, coverage)
	 * out of millions of impulses: without this, every such query scans
	 * the whole table */
	"CREATE INDEX observations_kind ON observations(kind);",
	/* 5 -> 6: rule findings (src/rules, `vigil adjudicate`): the
	 * deterministic NDJSON line of each finding of the last run plus
	 * columns for queries (seq is the finding's order). */
	"CREATE TABLE findings("
	" seq INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL UNIQUE,"
	" rule TEXT NOT NULL,"
	" rule_id TEXT NOT NULL,"
	" party TEXT,"
	" grade TEXT NOT NULL,"
	" from_ns INTEGER NOT NULL,"
	" until_ns INTEGER NOT NULL,"
	" lat REAL NOT NULL, lon REAL NOT NULL,"
	" record BLOB NOT NULL"
	") STRICT;"
	"CREATE INDEX findings_time ON findings(from_ns);",
	/* 6 -> 7: publications: every fused event and finding ever published,
	 * each once (by the SHA-256 of its record line), as a statement signed
	 * by the log key and appended to the transparency log. Rows written by
	 * a process that did not hold the log wait with log_index NULL until
	 * the log's holder adopts them (vg_journal_adopt). The row id orders
	 * the alert stream. */
	"CREATE TABLE publications("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind TEXT NOT NULL CHECK(kind IN ('event', 'finding')),"
	" record_sha256 BLOB NOT NULL CHECK(length(record_sha256) = 32),"
	" published_ns INTEGER NOT NULL,"
	" record BLOB NOT NULL,"
	" log_index INTEGER UNIQUE,"
	" entry BLOB,"
	" UNIQUE(kind, record_sha256),"
	" CHECK((log_index IS NULL) = (entry IS NULL))"
	") STRICT;"
	"DROP VIEW log_entries;"
	"CREATE VIEW log_entries(idx, entry) AS"
	" SELECT log_index, envelope FROM observations WHERE log_index IS NOT NULL"
	" UNION ALL SELECT idx, entry FROM registry_log"
	" UNION ALL SELECT log_index, entry FROM publications WHERE log_index IS NOT NULL;",
	/* 7 -> 8: a spatio-temporal index of the findings (GET /v1/findings
	 * with a box and a time range over a million findings): an R*Tree over
	 * (time in seconds, lat, lon), filled by a trigger; SQLite stores its
	 * coordinates as 32-bit floats rounded outward, so it only narrows the
	 * candidates and the exact test runs on the findings' own columns. */
	"CREATE VIRTUAL TABLE findings_rtree USING rtree(id, min_t, max_t, min_lat, max_lat,"
	" min_lon, max_lon);"
	"INSERT INTO findings_rtree SELECT seq, from_ns / 1e9, until_ns / 1e9, lat, lat, lon, lon"
	" FROM findings;"
	"CREATE TRIGGER findings_rtree_ins AFTER INSERT ON findings BEGIN"
	" INSERT INTO findings_rtree VALUES (new.seq, new.from_ns / 1e9, new.until_ns / 1e9,"
	" new.lat, new.lat, new.lon, new.lon); END;",
	/* 8 -> 9: small named counters that a process keeps across restarts
	 * (`vigil serve --live`: the last observation row whose consequences
	 * were committed, so that a restart publishes what a crash left). */
	"CREATE TABLE state(key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static vg_status db_err(vg_store *st, struct vg_err *err, const char *what)
{
	return vg_err_set(err, VG_ERR_STORE, "%s: %s", what, sqlite3_errmsg(st->db));
}

static vg_status exec(vg_store *st, const char *sql, struct vg_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		vg_status s = vg_err_set(err, VG_ERR_STORE, "%s", msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return s;
	}
	return VG_OK;
}

static vg_status read_version(vg_store *st, int *out, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_version'", -1,
	                       &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading schema");
	int have = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) > 0;
	sqlite3_finalize(q);
	if (!have) {
		*out = 0;
		return VG_OK;
	}
	if (sqlite3_prepare_v2(st->db, "SELECT version FROM schema_version", -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading schema_version");
	*out = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	return VG_OK;
}

static vg_status migrate(vg_store *st, struct vg_err *err)
{
	vg_status s = exec(st, "BEGIN IMMEDIATE", err);
	if (s)
		return s;
	int v;
	if ((s = read_version(st, &v, err)))
		goto out_rollback;
	if (v > N_MIGRATIONS) {
		s = vg_err_set(err, VG_ERR_VERSION,
		               "database schema version %d is newer than this vigil (%d): upgrade vigil", v,
		               N_MIGRATIONS);
		goto out_rollback;
	}
	if (v == 0 && (s = exec(st, "CREATE TABLE schema_version(version INTEGER NOT NULL);"
	                            "INSERT INTO schema_version VALUES (0);",
	                        err)))
		goto out_rollback;
	for (; v < N_MIGRATIONS; v++) {
		if ((s = exec(st, migrations[v], err))) {
			vg_err_prefix(err, "schema migration %d -> %d", v, v + 1);
			goto out_rollback;
		}
		char sql[64];
		snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d", v + 1);
		if ((s = exec(st, sql, err)))
			goto out_rollback;
	}
	st->version = v;
	return exec(st, "COMMIT", err);
out_rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return s;
}

static vg_status open_common(const char *path, bool ro, vg_store **out, struct vg_err *err)
{
	vg_status s;
	vg_store *st = calloc(1, sizeof *st);
	if (!st)
		return vg_err_set(err, VG_ERR_NOMEM, "store handle");
	int flags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		s = vg_err_set(err, VG_ERR_STORE, "%s: %s", path,
		               st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto out_free;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 10000);
	if (!ro) {
		/* WAL + synchronous=FULL: a committed transaction survives power loss. */
		if ((s = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		                  "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;",
		              err))) {
			vg_err_prefix(err, "%s", path);
			goto out_free;
		}
		if ((s = migrate(st, err))) {
			vg_err_prefix(err, "%s", path);
			goto out_free;
		}
	} else {
		if ((s = read_version(st, &st->version, err)))
			goto out_free;
		if (st->version != N_MIGRATIONS) {
			s = vg_err_set(err, VG_ERR_VERSION, "%s: schema version %d, this vigil needs %d%s",
			               path, st->version, N_MIGRATIONS,
			               st->version == 0 ? " (not a Vigil database?)" : "");
			goto out_free;
		}
	}
	for (int i = 0; i < Q_COUNT_; i++) {
		if (ro && i != Q_SENSOR_GET && i != Q_OBS_HASH)
			continue;
		if (sqlite3_prepare_v3(st->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i],
		                       NULL) != SQLITE_OK) {
			s = db_err(st, err, "preparing statements");
			goto out_free;
		}
	}
	*out = st;
	return VG_OK;
out_free:
	vg_store_free(st);
	return s;
}

vg_status vg_store_open(const char *path, vg_store **out, struct vg_err *err)
{
	return open_common(path, false, out, err);
}

vg_status vg_store_open_ro(const char *path, vg_store **out, struct vg_err *err)
{
	return open_common(path, true, out, err);
}

void vg_store_free(vg_store *st)
{
	if (!st)
		return;
	if (st->in_txn)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < Q_COUNT_; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_close(st->db);
	free(st);
}

int vg_store_schema_version(vg_store *st) { return st->version; }

vg_status vg_store_data_version(vg_store *st, int64_t *out, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading data_version");
	vg_status s = VG_OK;
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	else
		s = db_err(st, err, "reading data_version");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_begin(vg_store *st, struct vg_err *err)
{
	vg_assert(!st->in_txn);
	vg_status s = exec(st, "BEGIN IMMEDIATE", err);
	if (!s)
		st->in_txn = true;
	return s;
}

vg_status vg_store_commit(vg_store *st, struct vg_err *err)
{
	vg_assert(st->in_txn);
	vg_status s = exec(st, "COMMIT", err);
	if (s) {
		vg_store_rollback(st);
		return s;
	}
	st->in_txn = false;
	return VG_OK;
}

void vg_store_rollback(vg_store *st)
{
	if (!st->in_txn)
		return;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = false;
}

/* ---- Sensors ------------------------------------------------------------ */

static void bind_opt_double(sqlite3_stmt *q, int i, bool has, double v)
{
	if (has)
		sqlite3_bind_double(q, i, v);
	else
		sqlite3_bind_null(q, i);
}

static vg_status step_done(vg_store *st, sqlite3_stmt *q, struct vg_err *err, const char *what)
{
	int rc = sqlite3_step(q);
	vg_status s = VG_OK;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		s = vg_err_set(err, VG_ERR_EXISTS, "%s: already exists", what);
	else if (rc != SQLITE_DONE)
		s = db_err(st, err, what);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return s;
}

vg_status vg_store_sensor_add(vg_store *st, const struct vg_sensor *s, int64_t now_ns,
                              struct vg_err *err)
{
	char line[VG_LINE_MAX];
	size_t n = vg_sensor_format(s, line, sizeof line);
	if (!n)
		return vg_err_set(err, VG_ERR_LIMIT, "sensor %s: registry line too long", s->id);
	char rel[VG_RELEASE_MAX * (VG_ID_MAX + 3) + 3];
	size_t o = 0;
	rel[o++] = '[';
	for (uint32_t i = 0; i < s->n_release; i++)
		o += (size_t)snprintf(rel + o, sizeof rel - o, "%s\"%s\"", i ? "," : "", s->release[i]);
	rel[o++] = ']';
	rel[o] = '\0';

	sqlite3_stmt *q = st->q[Q_SENSOR_ADD];
	sqlite3_bind_text(q, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, vg_modality_name(s->modality), -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, s->pk, VG_PK_BYTES, SQLITE_STATIC);
	bind_opt_double(q, 5, s->has_pos, s->lat_deg);
	bind_opt_double(q, 6, s->has_pos, s->lon_deg);
	bind_opt_double(q, 7, s->has_pos, s->alt_m);
	bind_opt_double(q, 8, s->has_pos, s->survey_sigma_m);
	bind_opt_double(q, 9, s->has_timing, s->timing_sigma_s);
	sqlite3_bind_text(q, 10, rel, (int)o, SQLITE_STATIC);
	sqlite3_bind_int64(q, 11, s->valid_from_ns);
	sqlite3_bind_int64(q, 12, s->valid_until_ns);
	sqlite3_bind_int64(q, 13, s->revoked_at_ns);
	sqlite3_bind_int64(q, 14, now_ns);
	sqlite3_bind_text(q, 15, line, (int)n, SQLITE_STATIC);
	vg_status r = step_done(st, q, err, "sensor");
	if (r == VG_ERR_EXISTS)
		vg_err_set(err, VG_ERR_EXISTS, "sensor %s: already enrolled", s->id);
	return r;
}

vg_status vg_store_sensor_get(vg_store *st, const char *id, struct vg_sensor *out,
                              struct vg_err *err)
{
	sqlite3_stmt *q = st->q[Q_SENSOR_GET];
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	vg_status s = VG_OK;
	if (rc == SQLITE_ROW) {
		struct vg_sensor tmp;
		const char *line = (const char *)sqlite3_column_text(q, 0);
		int len = sqlite3_column_bytes(q, 0);
		s = vg_sensor_parse(line, (size_t)len, &tmp, err);
		if (s) {
			vg_err_prefix(err, "stored registry line of sensor %s", id);
			s = VG_ERR_CORRUPT;
		} else {
			tmp.revoked_at_ns = sqlite3_column_int64(q, 1);
			tmp.has_last_seq = sqlite3_column_type(q, 2) != SQLITE_NULL;
			tmp.last_seq = tmp.has_last_seq ? sqlite3_column_int64(q, 2) : 0;
			*out = tmp;
		}
	} else if (rc == SQLITE_DONE) {
		s = vg_err_set(err, VG_ERR_NOT_FOUND, "sensor %s: not enrolled", id);
	} else {
		s = db_err(st, err, "reading sensor");
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return s;
}

vg_status vg_store_sensor_revoke(vg_store *st, const char *id, int64_t at_ns, struct vg_err *err)
{
	struct vg_sensor s;
	vg_status r = vg_store_sensor_get(st, id, &s, err);
	if (r)
		return r;
	if (s.revoked_at_ns != INT64_MAX) {
		char t[VG_TIME_STR_MAX];
		vg_time_format(s.revoked_at_ns, t);
		return vg_err_set(err, VG_ERR_EXISTS, "sensor %s: already revoked at %s", id, t);
	}
	sqlite3_stmt *q = st->q[Q_SENSOR_REVOKE];
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, at_ns);
	return step_done(st, q, err, "revoking sensor");
}

vg_status vg_store_sensor_set_last_seq(vg_store *st, const char *id, int64_t seq,
                                       struct vg_err *err)
{
	sqlite3_stmt *q = st->q[Q_SENSOR_LAST_SEQ];
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, seq);
	return step_done(st, q, err, "updating sensor seq");
}

vg_status vg_store_sensor_each(vg_store *st, int (*fn)(void *ctx, const struct vg_sensor *s),
                               void *ctx, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, registry_line, revoked_at, last_seq FROM sensors ORDER BY id",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "listing sensors");
	vg_status s = VG_OK;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vg_sensor sn;
		const char *line = (const char *)sqlite3_column_text(q, 1);
		if ((s = vg_sensor_parse(line, (size_t)sqlite3_column_bytes(q, 1), &sn, err))) {
			vg_err_prefix(err, "stored registry line of sensor %s", sqlite3_column_text(q, 0));
			s = VG_ERR_CORRUPT;
			break;
		}
		sn.revoked_at_ns = sqlite3_column_int64(q, 2);
		sn.has_last_seq = sqlite3_column_type(q, 3) != SQLITE_NULL;
		sn.last_seq = sn.has_last_seq ? sqlite3_column_int64(q, 3) : 0;
		if (fn(ctx, &sn))
			break;
	}
	if (!s && rc != SQLITE_ROW && rc != SQLITE_DONE)
		s = db_err(st, err, "listing sensors");
	sqlite3_finalize(q);
	return s;
}

/* ---- Observations ------------------------------------------------------- */

vg_status vg_store_obs_insert(vg_store *st, struct vg_obs_row *row, struct vg_err *err)
{
	const struct vg_obs *o = row->obs;
	sqlite3_stmt *q = st->q[Q_OBS_INSERT];
	if (row->log_index >= 0)
		sqlite3_bind_int64(q, 1, row->log_index);
	sqlite3_bind_text(q, 2, o->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, o->seq);
	sqlite3_bind_int(q, 4, o->kind);
	sqlite3_bind_int64(q, 5, o->t_ns);
	sqlite3_bind_int64(q, 6, o->t_end_ns);
	sqlite3_bind_int64(q, 7, row->received_ns);
	if (o->has_bbox) {
		sqlite3_bind_double(q, 8, (o->min_lat_deg + o->max_lat_deg) / 2);
		sqlite3_bind_double(q, 9, (o->min_lon_deg + o->max_lon_deg) / 2);
	} else if (row->has_reg_pos) {
		sqlite3_bind_double(q, 8, row->reg_lat_deg);
		sqlite3_bind_double(q, 9, row->reg_lon_deg);
	}
	sqlite3_bind_blob(q, 10, row->payload_sha256, VG_SHA256_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(q, 11, row->envelope, (int)row->envelope_len, SQLITE_STATIC);
	vg_status s = step_done(st, q, err, "observation");
	if (s == VG_ERR_EXISTS)
		return vg_err_set(err, VG_ERR_EXISTS, "observation %s seq %lld: already stored", o->sensor,
		                  (long long)o->seq);
	if (s)
		return s;
	row->id = sqlite3_last_insert_rowid(st->db);
	if (o->has_bbox) {
		q = st->q[Q_OBS_RTREE];
		sqlite3_bind_int64(q, 1, row->id);
		sqlite3_bind_double(q, 2, o->min_lat_deg);
		sqlite3_bind_double(q, 3, o->max_lat_deg);
		sqlite3_bind_double(q, 4, o->min_lon_deg);
		sqlite3_bind_double(q, 5, o->max_lon_deg);
		s = step_done(st, q, err, "observation position index");
	}
	return s;
}

vg_status vg_store_obs_hash(vg_store *st, const char *sensor, int64_t seq,
                            uint8_t out[VG_SHA256_BYTES], struct vg_err *err)
{
	sqlite3_stmt *q = st->q[Q_OBS_HASH];
	sqlite3_bind_text(q, 1, sensor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, seq);
	int rc = sqlite3_step(q);
	vg_status s = VG_OK;
	if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 0) == VG_SHA256_BYTES)
		memcpy(out, sqlite3_column_blob(q, 0), VG_SHA256_BYTES);
	else if (rc == SQLITE_DONE)
		s = VG_ERR_NOT_FOUND;
	else
		s = db_err(st, err, "reading observation hash");
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return s;
}

vg_status vg_store_reject_insert(vg_store *st, const struct vg_rejection *r, struct vg_err *err)
{
	sqlite3_stmt *q = st->q[Q_REJECT];
	sqlite3_bind_int64(q, 1, r->received_ns);
	if (r->source)
		sqlite3_bind_text(q, 2, r->source, -1, SQLITE_STATIC);
	if (r->line > 0)
		sqlite3_bind_int64(q, 3, r->line);
	sqlite3_bind_int(q, 4, (int)r->code);
	sqlite3_bind_text(q, 5, vg_status_name(r->code), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, r->message ? r->message : "", -1, SQLITE_STATIC);
	if (r->sensor)
		sqlite3_bind_text(q, 7, r->sensor, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 8, r->line_sha256, VG_SHA256_BYTES, SQLITE_STATIC);
	return step_done(st, q, err, "rejection");
}

vg_status vg_store_obs_query(vg_store *st, const struct vg_obs_filter *f,
                             int (*fn)(void *ctx, const struct vg_obs_stored *o), void *ctx,
                             struct vg_err *err)
{
	/* One query builder for both (vg_store_obs_query_sensors, below). */
	return vg_store_obs_query_sensors(st, f, NULL, fn, ctx, err);
}

vg_status vg_store_count(vg_store *st, const char *table, int64_t *out, struct vg_err *err)
{
	static const char *const allowed[] = {"sensors", "observations", "rejections", "events",
	                                      "findings", "publications"};
	bool ok = false;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		ok |= !strcmp(table, allowed[i]);
	if (!ok)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "no table %s", table);
	char sql[64];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "counting");
	vg_status s = VG_OK;
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	else
		s = db_err(st, err, "counting");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_reject_counts(vg_store *st, int (*fn)(void *ctx, const char *code, int64_t n),
                                 void *ctx, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT reason, count(*) FROM rejections GROUP BY reason ORDER BY reason",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "counting rejections");
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1)))
			break;
	vg_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK
	                                                    : db_err(st, err, "counting rejections");
	sqlite3_finalize(q);
	return s;
}

/* ---- Log entries -------------------------------------------------------- */

vg_status vg_store_log_next(vg_store *st, int64_t *next, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT max(m) FROM (SELECT max(log_index) AS m FROM observations"
	                       " UNION ALL SELECT max(idx) FROM registry_log"
	                       " UNION ALL SELECT max(log_index) FROM publications)",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading the log size");
	vg_status s = VG_OK;
	if (sqlite3_step(q) == SQLITE_ROW)
		*next = sqlite3_column_type(q, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, 0) + 1;
	else
		s = db_err(st, err, "reading the log size");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_log_each(vg_store *st, int64_t from,
                            vg_status (*fn)(void *ctx, int64_t idx, const uint8_t *entry,
                                            size_t len, struct vg_err *err),
                            void *ctx, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT idx, entry FROM log_entries WHERE idx >= ?1 ORDER BY idx", -1,
	                       &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading log entries");
	sqlite3_bind_int64(q, 1, from);
	vg_status s = VG_OK;
	int rc;
	int64_t want = from;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t idx = sqlite3_column_int64(q, 0);
		if (idx != want) {
			s = vg_err_set(err, VG_ERR_CORRUPT, "log entry %lld missing from the store",
			               (long long)want);
			break;
		}
		want++;
		if ((s = fn(ctx, idx, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1), err)))
			break;
	}
	if (!s && rc != SQLITE_ROW && rc != SQLITE_DONE)
		s = db_err(st, err, "reading log entries");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_registry_log_insert(vg_store *st, int64_t idx, const char *op, const char *sensor,
                                       int64_t at_ns, const uint8_t *entry, size_t len,
                                       struct vg_err *err)
{
	sqlite3_stmt *q = st->q[Q_REGISTRY_LOG];
	sqlite3_bind_int64(q, 1, idx);
	sqlite3_bind_text(q, 2, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, sensor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, at_ns);
	sqlite3_bind_blob(q, 5, entry, (int)len, SQLITE_STATIC);
	return step_done(st, q, err, "registry log entry");
}

vg_status vg_store_registry_logged(vg_store *st, const char *op, const char *sensor, bool *has,
                                   struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM registry_log WHERE op = ?1 AND sensor = ?2",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading the registry log");
	sqlite3_bind_text(q, 1, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, sensor, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	vg_status s = VG_OK;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		*has = rc == SQLITE_ROW;
	else
		s = db_err(st, err, "reading the registry log");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_obs_unlogged(vg_store *st, int (*fn)(void *ctx, int64_t id), void *ctx,
                                struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM observations WHERE log_index IS NULL ORDER BY id",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "listing unlogged observations");
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(ctx, sqlite3_column_int64(q, 0)))
			break;
	vg_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK
	                                                    : db_err(st, err, "listing unlogged observations");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_obs_set_log_index(vg_store *st, int64_t id, int64_t idx, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "UPDATE observations SET log_index = ?2 WHERE id = ?1", -1, &q,
	                       NULL) != SQLITE_OK)
		return db_err(st, err, "setting a log index");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, idx);
	vg_status s = sqlite3_step(q) == SQLITE_DONE ? VG_OK : db_err(st, err, "setting a log index");
	sqlite3_finalize(q);
	return s;
}

/* ---- Fused events (schema 3) ---------------------------------------------- */

vg_status vg_store_events_clear(vg_store *st, struct vg_err *err)
{
	return exec(st, "DELETE FROM events", err);
}

vg_status vg_store_event_insert(vg_store *st, const struct vg_event_row *e, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "INSERT INTO events(seq, type, t_ns, lat, lon, cep90_m, emitted_ns, record)"
	                       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "inserting event");
	sqlite3_bind_int64(q, 1, e->seq);
	sqlite3_bind_text(q, 2, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, e->t_ns);
	sqlite3_bind_double(q, 4, e->lat_deg);
	sqlite3_bind_double(q, 5, e->lon_deg);
	bind_opt_double(q, 6, e->cep90_m > 0, e->cep90_m);
	sqlite3_bind_int64(q, 7, e->emitted_ns);
	sqlite3_bind_blob(q, 8, e->record, (int)e->record_len, SQLITE_STATIC);
	vg_status s = step_done(st, q, err, "event");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_event_query(vg_store *st, const struct vg_event_filter *f,
                               int (*fn)(void *ctx, const struct vg_event_row *e), void *ctx,
                               struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT seq, type, t_ns, lat, lon, cep90_m, emitted_ns, record FROM events"
	                       " WHERE (?1 = 0 OR (t_ns >= ?2 AND t_ns <= ?3))"
	                       " AND (?4 = 0 OR (lat >= ?5 AND lat <= ?6 AND lon >= ?7 AND lon <= ?8))"
	                       " AND (?9 IS NULL OR type = ?9) ORDER BY seq",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "querying events");
	sqlite3_bind_int(q, 1, f->has_time);
	sqlite3_bind_int64(q, 2, f->t0_ns);
	sqlite3_bind_int64(q, 3, f->t1_ns);
	sqlite3_bind_int(q, 4, f->has_bbox);
	sqlite3_bind_double(q, 5, f->min_lat_deg);
	sqlite3_bind_double(q, 6, f->max_lat_deg);
	sqlite3_bind_double(q, 7, f->min_lon_deg);
	sqlite3_bind_double(q, 8, f->max_lon_deg);
	if (f->type)
		sqlite3_bind_text(q, 9, f->type, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 9);
	vg_status s = VG_OK;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vg_event_row e = {
			.seq = sqlite3_column_int64(q, 0),
			.type = (const char *)sqlite3_column_text(q, 1),
			.t_ns = sqlite3_column_int64(q, 2),
			.lat_deg = sqlite3_column_double(q, 3),
			.lon_deg = sqlite3_column_double(q, 4),
			.cep90_m = sqlite3_column_type(q, 5) == SQLITE_NULL ? 0 : sqlite3_column_double(q, 5),
			.emitted_ns = sqlite3_column_int64(q, 6),
			.record = sqlite3_column_blob(q, 7),
			.record_len = (size_t)sqlite3_column_bytes(q, 7),
		};
		if (fn(ctx, &e))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		s = db_err(st, err, "querying events");
	sqlite3_finalize(q);
	return s;
}

/* ---- API tokens and witness cosignatures (schema 4, src/server) ---------- */

vg_status vg_store_token_add(vg_store *st, const uint8_t sha256[VG_SHA256_BYTES], const char *member,
                             const char *role, int64_t now_ns, int64_t *id, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "INSERT INTO api_tokens(token_sha256, member, role, created_ns)"
	                       " VALUES (?1,?2,?3,?4)",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "adding a token");
	sqlite3_bind_blob(q, 1, sha256, VG_SHA256_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, member, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, now_ns);
	vg_status s = step_done(st, q, err, "token");
	if (!s)
		*id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_token_find(vg_store *st, const uint8_t sha256[VG_SHA256_BYTES],
                              struct vg_token_row *out, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, member, role, created_ns FROM api_tokens"
	                       " WHERE token_sha256 = ?1 AND revoked_ns IS NULL",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading tokens");
	sqlite3_bind_blob(q, 1, sha256, VG_SHA256_BYTES, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	vg_status s = VG_OK;
	if (rc == SQLITE_ROW) {
		struct vg_token_row t = {.id = sqlite3_column_int64(q, 0),
		                         .created_ns = sqlite3_column_int64(q, 3)};
		snprintf(t.member, sizeof t.member, "%s", (const char *)sqlite3_column_text(q, 1));
		snprintf(t.role, sizeof t.role, "%s", (const char *)sqlite3_column_text(q, 2));
		*out = t;
	} else if (rc == SQLITE_DONE) {
		s = VG_ERR_NOT_FOUND;
	} else {
		s = db_err(st, err, "reading tokens");
	}
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_token_each(vg_store *st, int (*fn)(void *ctx, const struct vg_token_row *t,
                                                      int64_t revoked_ns),
                              void *ctx, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, member, role, created_ns, revoked_ns FROM api_tokens"
	                       " ORDER BY id",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "listing tokens");
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vg_token_row t = {.id = sqlite3_column_int64(q, 0),
		                         .created_ns = sqlite3_column_int64(q, 3)};
		snprintf(t.member, sizeof t.member, "%s", (const char *)sqlite3_column_text(q, 1));
		snprintf(t.role, sizeof t.role, "%s", (const char *)sqlite3_column_text(q, 2));
		int64_t rv = sqlite3_column_type(q, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, 4);
		if (fn(ctx, &t, rv))
			break;
	}
	vg_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK : db_err(st, err, "listing tokens");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_token_revoke(vg_store *st, int64_t id, int64_t at_ns, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "UPDATE api_tokens SET revoked_ns = ?2 WHERE id = ?1 AND revoked_ns IS NULL",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "revoking a token");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, at_ns);
	vg_status s = step_done(st, q, err, "revoking a token");
	if (!s && sqlite3_changes(st->db) == 0)
		s = vg_err_set(err, VG_ERR_NOT_FOUND, "token %lld: no such active token", (long long)id);
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_cosig_insert(vg_store *st, const struct vg_cosig_row *c, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "INSERT INTO witness_cosignatures(size, root, witness, key_id, time_s, line,"
	                       " received_ns, checkpoint) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"
	                       " ON CONFLICT(size, witness, key_id) DO UPDATE SET time_s = excluded.time_s,"
	                       " line = excluded.line, received_ns = excluded.received_ns"
	                       " WHERE excluded.time_s > time_s",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "storing a cosignature");
	sqlite3_bind_int64(q, 1, c->size);
	sqlite3_bind_blob(q, 2, c->root, VG_SHA256_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, c->witness, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, c->key_id);
	sqlite3_bind_int64(q, 5, c->time_s);
	sqlite3_bind_text(q, 6, c->line, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, c->received_ns);
	sqlite3_bind_text(q, 8, c->checkpoint, -1, SQLITE_STATIC);
	vg_status s = step_done(st, q, err, "cosignature");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_cosig_each(vg_store *st, int64_t size,
                              int (*fn)(void *ctx, const struct vg_cosig_row *c), void *ctx,
                              struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT size, root, witness, key_id, time_s, line, received_ns, checkpoint"
	                       " FROM witness_cosignatures WHERE size = (CASE WHEN ?1 < 0 THEN"
	                       " (SELECT max(size) FROM witness_cosignatures) ELSE ?1 END)"
	                       " ORDER BY witness, key_id",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading cosignatures");
	sqlite3_bind_int64(q, 1, size);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vg_cosig_row c = {
			.size = sqlite3_column_int64(q, 0),
			.witness = (const char *)sqlite3_column_text(q, 2),
			.key_id = sqlite3_column_int64(q, 3),
			.time_s = sqlite3_column_int64(q, 4),
			.line = (const char *)sqlite3_column_text(q, 5),
			.received_ns = sqlite3_column_int64(q, 6),
			.checkpoint = (const char *)sqlite3_column_text(q, 7),
		};
		if (sqlite3_column_bytes(q, 1) == VG_SHA256_BYTES)
			memcpy(c.root, sqlite3_column_blob(q, 1), VG_SHA256_BYTES);
		if (fn(ctx, &c))
			break;
	}
	vg_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK
	                                                    : db_err(st, err, "reading cosignatures");
	sqlite3_finalize(q);
	return s;
}

/* One pass of vg_store_obs_query_sensors: ids in (lo, hi] (hi < 0: no
 * upper bound), at most limit rows (0: no limit). scan: test the box on the
 * joined row (a scan in id order: cheap when matches are dense); else from
 * the two indexes (cheap when they are sparse). */
struct obs_pass {
	int (*fn)(void *ctx, const struct vg_obs_stored *o);
	void *ctx;
	int64_t rows;
	bool stopped;
};

static vg_status obs_query_pass(vg_store *st, const struct vg_obs_filter *f,
                                const char *sensors_json, bool scan, int64_t lo, int64_t hi,
                                int64_t limit, struct obs_pass *ps, struct vg_err *err)
{
	char sql[1600];
	size_t n = (size_t)snprintf(sql, sizeof sql,
	                            "SELECT o.id, o.log_index, o.sensor, o.seq, o.kind, o.t_ns, o.t_end_ns,"
	                            " o.received_ns, coalesce(r.min_lat, o.lat), coalesce(r.max_lat, o.lat),"
	                            " coalesce(r.min_lon, o.lon), coalesce(r.max_lon, o.lon), o.envelope"
	                            " FROM observations o LEFT JOIN obs_rtree r ON r.id = o.id"
	                            " WHERE o.id > ?1");
	if (hi >= 0)
		n += (size_t)snprintf(sql + n, sizeof sql - n, " AND o.id <= ?12");
	if (f->has_time)
		n += (size_t)snprintf(sql + n, sizeof sql - n, " AND o.t_ns <= ?3 AND o.t_end_ns >= ?2");
	if (f->sensor)
		n += (size_t)snprintf(sql + n, sizeof sql - n, " AND o.sensor = ?4");
	if (f->kind)
		n += (size_t)snprintf(sql + n, sizeof sql - n, " AND o.kind = ?5");
	if (f->has_bbox && scan)
		n += (size_t)snprintf(sql + n, sizeof sql - n,
		                      " AND (CASE WHEN r.id IS NULL THEN o.sensor IN (SELECT id FROM sensors"
		                      " WHERE lat BETWEEN ?6 AND ?7 AND lon BETWEEN ?8 AND ?9)"
		                      " ELSE (r.max_lat >= ?6 AND r.min_lat <= ?7 AND r.max_lon >= ?8"
		                      " AND r.min_lon <= ?9) END)");
	else if (f->has_bbox)
		n += (size_t)snprintf(sql + n, sizeof sql - n,
		                      " AND (o.id IN (SELECT id FROM obs_rtree WHERE max_lat >= ?6 AND"
		                      " min_lat <= ?7 AND max_lon >= ?8 AND min_lon <= ?9)"
		                      " OR (o.sensor IN (SELECT id FROM sensors WHERE"
		                      " lat BETWEEN ?6 AND ?7 AND lon BETWEEN ?8 AND ?9)"
		                      " AND NOT EXISTS (SELECT 1 FROM obs_rtree r2 WHERE r2.id = o.id)))");
	/* In the windowed scan the unary + keeps SQLite from driving the query
	 * by the sensor index instead of the id range. */
	if (sensors_json)
		n += (size_t)snprintf(sql + n, sizeof sql - n,
		                      " AND %so.sensor IN (SELECT value FROM json_each(?11))",
		                      scan && hi >= 0 ? "+" : "");
	n += (size_t)snprintf(sql + n, sizeof sql - n, " ORDER BY o.id");
	if (limit > 0)
		snprintf(sql + n, sizeof sql - n, " LIMIT ?10");
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "querying observations");
	sqlite3_bind_int64(q, 1, lo);
	if (hi >= 0)
		sqlite3_bind_int64(q, 12, hi);
	if (f->has_time) {
		sqlite3_bind_int64(q, 2, f->t0_ns);
		sqlite3_bind_int64(q, 3, f->t1_ns);
	}
	if (f->sensor)
		sqlite3_bind_text(q, 4, f->sensor, -1, SQLITE_STATIC);
	if (f->kind)
		sqlite3_bind_int(q, 5, f->kind);
	if (f->has_bbox) {
		sqlite3_bind_double(q, 6, f->min_lat_deg);
		sqlite3_bind_double(q, 7, f->max_lat_deg);
		sqlite3_bind_double(q, 8, f->min_lon_deg);
		sqlite3_bind_double(q, 9, f->max_lon_deg);
	}
	if (limit > 0)
		sqlite3_bind_int64(q, 10, limit);
	if (sensors_json)
		sqlite3_bind_text(q, 11, sensors_json, -1, SQLITE_STATIC);
	vg_status s = VG_OK;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vg_obs_stored o = {
			.id = sqlite3_column_int64(q, 0),
			.log_index = sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 1),
			.sensor = (const char *)sqlite3_column_text(q, 2),
			.seq = sqlite3_column_int64(q, 3),
			.kind = sqlite3_column_int(q, 4),
			.t_ns = sqlite3_column_int64(q, 5),
			.t_end_ns = sqlite3_column_int64(q, 6),
			.received_ns = sqlite3_column_int64(q, 7),
			.has_pos = sqlite3_column_type(q, 8) != SQLITE_NULL,
			.min_lat_deg = sqlite3_column_double(q, 8),
			.max_lat_deg = sqlite3_column_double(q, 9),
			.min_lon_deg = sqlite3_column_double(q, 10),
			.max_lon_deg = sqlite3_column_double(q, 11),
			.envelope = sqlite3_column_blob(q, 12),
			.envelope_len = (size_t)sqlite3_column_bytes(q, 12),
		};
		ps->rows++;
		if (ps->fn(ps->ctx, &o)) {
			ps->stopped = true;
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		s = db_err(st, err, "querying observations");
	sqlite3_finalize(q);
	return s;
}

/* Rows scanned in id order before switching to the indexes (a box query). */
#define OBS_SCAN_WINDOW 4096

vg_status vg_store_obs_query_sensors(vg_store *st, const struct vg_obs_filter *f,
                                     const char *sensors_json,
                                     int (*fn)(void *ctx, const struct vg_obs_stored *o),
                                     void *ctx, struct vg_err *err)
{
	/* The same rows as vg_store_obs_query, restricted to the sensor list.
	 * A box query first scans a window of ids (a dense box fills its page
	 * there, with no sort), then answers the rest of the id range from the
	 * R*Tree and the observations-by-sensor index (a sparse box costs what
	 * it matches, never a table scan). Both passes return ids in order and
	 * together cover (after_id, end] exactly once. */
	struct obs_pass ps = {.fn = fn, .ctx = ctx};
	if (!f->has_bbox)
		return obs_query_pass(st, f, sensors_json, false, f->after_id, -1, f->limit, &ps, err);
	int64_t hi = f->after_id > INT64_MAX - OBS_SCAN_WINDOW ? INT64_MAX
	                                                       : f->after_id + OBS_SCAN_WINDOW;
	vg_status s = obs_query_pass(st, f, sensors_json, true, f->after_id, hi, f->limit, &ps, err);
	if (s || ps.stopped || (f->limit > 0 && ps.rows >= f->limit) || hi == INT64_MAX)
		return s;
	/* With a sensor list the rest is driven by the observations-by-sensor
	 * index (the box tested per row); without, by the two box indexes. */
	return obs_query_pass(st, f, sensors_json, sensors_json != NULL, hi, -1,
	                      f->limit > 0 ? f->limit - ps.rows : 0, &ps, err);
}

/* ---- External observations (schema 5, src/rules) -------------------------- */

static void bind_opt_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

vg_status vg_store_ext_insert(vg_store *st, const struct vg_ext_obs *x, bool *inserted,
                              struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "INSERT OR IGNORE INTO external_observations(feed, source, row_sha256, kind,"
	                       " type, t_ns, lat, lon, sigma_m, frp_mw, satellite, instrument, confidence,"
	                       " trust, imported_ns, row) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
	                       "?13,?14,?15,?16)",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "preparing external insert");
	sqlite3_bind_text(q, 1, x->feed, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, x->source, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, x->row_sha256, VG_SHA256_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, x->kind);
	sqlite3_bind_int(q, 5, x->type);
	sqlite3_bind_int64(q, 6, x->t_ns);
	sqlite3_bind_double(q, 7, x->lat_deg);
	sqlite3_bind_double(q, 8, x->lon_deg);
	sqlite3_bind_double(q, 9, x->sigma_m);
	bind_opt_double(q, 10, !isnan(x->frp_mw), x->frp_mw);
	bind_opt_text(q, 11, x->satellite);
	bind_opt_text(q, 12, x->instrument);
	bind_opt_text(q, 13, x->confidence);
	sqlite3_bind_double(q, 14, x->trust);
	sqlite3_bind_int64(q, 15, x->imported_ns);
	sqlite3_bind_text(q, 16, x->row, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	vg_status s = rc == SQLITE_DONE ? VG_OK : db_err(st, err, "inserting external observation");
	sqlite3_finalize(q);
	if (!s)
		*inserted = sqlite3_changes(st->db) > 0;
	return s;
}

vg_status vg_store_ext_query(vg_store *st, int64_t t0_ns, int64_t t1_ns,
                             int (*fn)(void *ctx, const struct vg_ext_obs *x), void *ctx,
                             struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, feed, source, row_sha256, kind, type, t_ns, lat, lon, sigma_m,"
	                       " frp_mw, satellite, instrument, confidence, trust, imported_ns, row"
	                       " FROM external_observations WHERE t_ns BETWEEN ?1 AND ?2 ORDER BY t_ns, id",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "preparing external query");
	sqlite3_bind_int64(q, 1, t0_ns);
	sqlite3_bind_int64(q, 2, t1_ns);
	vg_status s = VG_OK;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vg_ext_obs x = {
			.id = sqlite3_column_int64(q, 0),
			.feed = (const char *)sqlite3_column_text(q, 1),
			.source = (const char *)sqlite3_column_text(q, 2),
			.kind = sqlite3_column_int(q, 4),
			.type = sqlite3_column_int(q, 5),
			.t_ns = sqlite3_column_int64(q, 6),
			.lat_deg = sqlite3_column_double(q, 7),
			.lon_deg = sqlite3_column_double(q, 8),
			.sigma_m = sqlite3_column_double(q, 9),
			.frp_mw = sqlite3_column_type(q, 10) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 10),
			.satellite = (const char *)sqlite3_column_text(q, 11),
			.instrument = (const char *)sqlite3_column_text(q, 12),
			.confidence = (const char *)sqlite3_column_text(q, 13),
			.trust = sqlite3_column_double(q, 14),
			.imported_ns = sqlite3_column_int64(q, 15),
			.row = (const char *)sqlite3_column_text(q, 16),
		};
		if (sqlite3_column_bytes(q, 3) == VG_SHA256_BYTES)
			memcpy(x.row_sha256, sqlite3_column_blob(q, 3), VG_SHA256_BYTES);
		if (fn(ctx, &x))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		s = db_err(st, err, "querying external observations");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_kind_sensors(vg_store *st, int kind, int (*fn)(void *ctx, const char *sensor),
                                void *ctx, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT DISTINCT sensor FROM observations WHERE kind = ?1 ORDER BY sensor",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "preparing kind sensors");
	sqlite3_bind_int64(q, 1, kind);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(q, 0)))
			break;
	vg_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK : db_err(st, err, "reading kind sensors");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_log_sensors(vg_store *st, int kind,
                               int (*fn)(void *ctx, int64_t log_index, const char *sensor),
                               void *ctx, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT log_index, sensor FROM observations WHERE kind = ?1"
	                       " AND log_index IS NOT NULL ORDER BY log_index",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "preparing log sensors");
	sqlite3_bind_int64(q, 1, kind);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1)))
			break;
	vg_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK : db_err(st, err, "reading log sensors");
	sqlite3_finalize(q);
	return s;
}

/* ---- Rule findings (schema 6, src/rules) ---------------------------------- */

vg_status vg_store_findings_replace(vg_store *st, const struct vg_finding_row *rows, size_t n,
                                    struct vg_err *err)
{
	bool own = !st->in_txn;
	vg_status s;
	if (own && (s = vg_store_begin(st, err)))
		return s;
	sqlite3_stmt *q = NULL;
	if ((s = exec(st, "DELETE FROM findings; DELETE FROM findings_rtree;", err)))
		goto out;
	if (sqlite3_prepare_v2(st->db,
	                       "INSERT INTO findings(seq, id, rule, rule_id, party, grade, from_ns,"
	                       " until_ns, lat, lon, record) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
	                       -1, &q, NULL) != SQLITE_OK) {
		s = db_err(st, err, "inserting finding");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vg_finding_row *r = &rows[i];
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, r->seq);
		sqlite3_bind_text(q, 2, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, r->rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, r->rule_id, -1, SQLITE_STATIC);
		bind_opt_text(q, 5, r->party && r->party[0] ? r->party : NULL);
		sqlite3_bind_text(q, 6, r->grade, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, r->from_ns);
		sqlite3_bind_int64(q, 8, r->until_ns);
		sqlite3_bind_double(q, 9, r->lat_deg);
		sqlite3_bind_double(q, 10, r->lon_deg);
		sqlite3_bind_blob(q, 11, r->record, (int)r->record_len, SQLITE_STATIC);
		if ((s = step_done(st, q, err, "finding")))
			goto out;
	}
	{
		int64_t run = 0;
		bool found = false;
		if ((s = vg_store_state_get(st, VG_FINDINGS_RUN, &run, &found, err)) ||
		    (s = vg_store_state_set(st, VG_FINDINGS_RUN, run + 1, err)))
			goto out;
	}
out:
	sqlite3_finalize(q);
	if (own) {
		if (s)
			vg_store_rollback(st);
		else
			s = vg_store_commit(st, err);
	}
	return s;
}

vg_status vg_store_finding_query(vg_store *st, const struct vg_finding_filter *f,
                                 int (*fn)(void *ctx, const struct vg_finding_row *r), void *ctx,
                                 struct vg_err *err)
{
	sqlite3_stmt *q;
	/* With a box or a time range, the R*Tree gives the candidates (in a
	 * sorted list: rows come in seq order without a sort); else the seq
	 * order of the table itself. */
	bool indexed = f->has_time || f->has_bbox;
	if (sqlite3_prepare_v2(st->db,
	                       indexed
	                           ? "SELECT seq, id, rule, rule_id, party, grade, from_ns, until_ns, lat,"
	                             " lon, record FROM findings WHERE seq IN (SELECT id FROM findings_rtree"
	                             " WHERE max_t >= ?14 AND min_t <= ?15 AND max_lat >= ?16"
	                             " AND min_lat <= ?17 AND max_lon >= ?18 AND min_lon <= ?19)"
	                             " AND seq > ?1"
	                             " AND (?2 = 0 OR (from_ns <= ?4 AND until_ns >= ?3))"
	                             " AND (?5 = 0 OR (lat >= ?6 AND lat <= ?7 AND lon >= ?8 AND lon <= ?9))"
	                             " AND (?10 IS NULL OR rule = ?10) AND (?11 IS NULL OR party = ?11)"
	                             " AND (?12 IS NULL OR grade = ?12) ORDER BY seq LIMIT ?13"
	                           :
	                       "SELECT seq, id, rule, rule_id, party, grade, from_ns, until_ns, lat, lon,"
	                       " record FROM findings WHERE seq > ?1"
	                       " AND (?2 = 0 OR (from_ns <= ?4 AND until_ns >= ?3))"
	                       " AND (?5 = 0 OR (lat >= ?6 AND lat <= ?7 AND lon >= ?8 AND lon <= ?9))"
	                       " AND (?10 IS NULL OR rule = ?10) AND (?11 IS NULL OR party = ?11)"
	                       " AND (?12 IS NULL OR grade = ?12) ORDER BY seq LIMIT ?13",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "querying findings");
	sqlite3_bind_int64(q, 1, f->after_seq);
	sqlite3_bind_int(q, 2, f->has_time);
	sqlite3_bind_int64(q, 3, f->t0_ns);
	sqlite3_bind_int64(q, 4, f->t1_ns);
	sqlite3_bind_int(q, 5, f->has_bbox);
	sqlite3_bind_double(q, 6, f->min_lat_deg);
	sqlite3_bind_double(q, 7, f->max_lat_deg);
	sqlite3_bind_double(q, 8, f->min_lon_deg);
	sqlite3_bind_double(q, 9, f->max_lon_deg);
	bind_opt_text(q, 10, f->rule);
	bind_opt_text(q, 11, f->party);
	bind_opt_text(q, 12, f->grade);
	sqlite3_bind_int64(q, 13, f->limit > 0 ? f->limit : -1);
	if (indexed) {
		sqlite3_bind_double(q, 14, f->has_time ? (double)f->t0_ns / 1e9 : -1e30);
		sqlite3_bind_double(q, 15, f->has_time ? (double)f->t1_ns / 1e9 : 1e30);
		sqlite3_bind_double(q, 16, f->has_bbox ? f->min_lat_deg : -1e30);
		sqlite3_bind_double(q, 17, f->has_bbox ? f->max_lat_deg : 1e30);
		sqlite3_bind_double(q, 18, f->has_bbox ? f->min_lon_deg : -1e30);
		sqlite3_bind_double(q, 19, f->has_bbox ? f->max_lon_deg : 1e30);
	}
	vg_status s = VG_OK;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vg_finding_row r = {
			.seq = sqlite3_column_int64(q, 0),
			.id = (const char *)sqlite3_column_text(q, 1),
			.rule = (const char *)sqlite3_column_text(q, 2),
			.rule_id = (const char *)sqlite3_column_text(q, 3),
			.party = sqlite3_column_type(q, 4) == SQLITE_NULL ? ""
			                                                 : (const char *)sqlite3_column_text(q, 4),
			.grade = (const char *)sqlite3_column_text(q, 5),
			.from_ns = sqlite3_column_int64(q, 6),
			.until_ns = sqlite3_column_int64(q, 7),
			.lat_deg = sqlite3_column_double(q, 8),
			.lon_deg = sqlite3_column_double(q, 9),
			.record = sqlite3_column_blob(q, 10),
			.record_len = (size_t)sqlite3_column_bytes(q, 10),
		};
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		s = db_err(st, err, "querying findings");
	sqlite3_finalize(q);
	return s;
}

/* ---- Publications (schema 7) ------------------------------------------------ */

vg_status vg_store_pub_insert(vg_store *st, const char *kind, const uint8_t sha256[VG_SHA256_BYTES],
                              const char *record, size_t len, int64_t now_ns, int64_t log_index,
                              const uint8_t *entry, size_t entry_len, bool *inserted,
                              struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "INSERT INTO publications(kind, record_sha256, published_ns, record,"
	                       " log_index, entry) VALUES (?1,?2,?3,?4,?5,?6)"
	                       " ON CONFLICT(kind, record_sha256) DO NOTHING",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "publishing");
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, sha256, VG_SHA256_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now_ns);
	sqlite3_bind_blob(q, 4, record, (int)len, SQLITE_STATIC);
	if (entry) {
		sqlite3_bind_int64(q, 5, log_index);
		sqlite3_bind_blob(q, 6, entry, (int)entry_len, SQLITE_STATIC);
	}
	vg_status s = VG_OK;
	if (sqlite3_step(q) != SQLITE_DONE)
		s = db_err(st, err, "publishing");
	else if (inserted)
		*inserted = sqlite3_changes(st->db) > 0;
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_pub_exists(vg_store *st, const char *kind, const uint8_t sha256[VG_SHA256_BYTES],
                              bool *has, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT 1 FROM publications WHERE kind = ?1 AND record_sha256 = ?2", -1,
	                       &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading publications");
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, sha256, VG_SHA256_BYTES, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	*has = rc == SQLITE_ROW;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK : db_err(st, err, "reading publications");
}

vg_status vg_store_pub_set_logged(vg_store *st, int64_t id, int64_t log_index, const uint8_t *entry,
                                  size_t len, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "UPDATE publications SET log_index = ?2, entry = ?3"
	                       " WHERE id = ?1 AND log_index IS NULL",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "logging a publication");
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, log_index);
	sqlite3_bind_blob(q, 3, entry, (int)len, SQLITE_STATIC);
	vg_status s = VG_OK;
	if (sqlite3_step(q) != SQLITE_DONE)
		s = db_err(st, err, "logging a publication");
	else if (sqlite3_changes(st->db) != 1)
		s = vg_err_set(err, VG_ERR_INCONSISTENT, "publication %lld already logged", (long long)id);
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_pub_each(vg_store *st, int64_t after_id, bool unlogged_only, int64_t limit,
                            int (*fn)(void *ctx, const struct vg_pub_row *p), void *ctx,
                            struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       unlogged_only
	                           ? "SELECT id, kind, record_sha256, published_ns, record, log_index"
	                             " FROM publications WHERE id > ?1 AND log_index IS NULL"
	                             " ORDER BY id LIMIT ?2"
	                           : "SELECT id, kind, record_sha256, published_ns, record, log_index"
	                             " FROM publications WHERE id > ?1 ORDER BY id LIMIT ?2",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "reading publications");
	sqlite3_bind_int64(q, 1, after_id);
	sqlite3_bind_int64(q, 2, limit > 0 ? limit : -1);
	vg_status s = VG_OK;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vg_pub_row p = {
			.id = sqlite3_column_int64(q, 0),
			.kind = (const char *)sqlite3_column_text(q, 1),
			.published_ns = sqlite3_column_int64(q, 3),
			.record = (const char *)sqlite3_column_blob(q, 4),
			.record_len = (size_t)sqlite3_column_bytes(q, 4),
			.log_index = sqlite3_column_type(q, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 5),
		};
		if (sqlite3_column_bytes(q, 2) == VG_SHA256_BYTES)
			memcpy(p.sha256, sqlite3_column_blob(q, 2), VG_SHA256_BYTES);
		if (fn(ctx, &p))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		s = db_err(st, err, "reading publications");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_pub_last_id(vg_store *st, int64_t *out, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(id), 0) FROM publications", -1, &q,
	                       NULL) != SQLITE_OK)
		return db_err(st, err, "reading publications");
	vg_status s = VG_OK;
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	else
		s = db_err(st, err, "reading publications");
	sqlite3_finalize(q);
	return s;
}

vg_status vg_store_obs_logged_at(vg_store *st, int64_t log_index, bool *is_obs, struct vg_err *err)
{
	sqlite3_stmt *q = st->q[Q_OBS_LOGGED_AT]; /* prepared once: called per evidence index */
	sqlite3_bind_int64(q, 1, log_index);
	int rc = sqlite3_step(q);
	*is_obs = rc == SQLITE_ROW;
	vg_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK : db_err(st, err, "reading observations");
	sqlite3_reset(q);
	return s;
}

vg_status vg_store_state_get(vg_store *st, const char *key, int64_t *value, bool *found,
                             struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM state WHERE key = ?1", -1, &q, NULL) !=
	    SQLITE_OK)
		return db_err(st, err, "reading state");
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	*found = rc == SQLITE_ROW;
	if (*found)
		*value = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? VG_OK : db_err(st, err, "reading state");
}

vg_status vg_store_state_set(vg_store *st, const char *key, int64_t value, struct vg_err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db,
	                       "INSERT INTO state(key, value) VALUES (?1, ?2)"
	                       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_err(st, err, "writing state");
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, value);
	vg_status s = sqlite3_step(q) == SQLITE_DONE ? VG_OK : db_err(st, err, "writing state");
	sqlite3_finalize(q);
	return s;
}
