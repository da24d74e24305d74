/* cmd_obs.c - `vigil obs`: read stored observations back. */
#include "cli.h"
#include "codec/codec.h"
#include "store/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil obs [--db PATH] [--from TIME] [--until TIME]\n"
	        "                 [--bbox WEST,SOUTH,EAST,NORTH] [--sensor ID] [--kind KIND]\n"
	        "                 [--format ndjson|csv|geojson] [--limit N] [--after ID]\n\n"
	        "Stored observations whose observed time overlaps [--from, --until] and whose\n"
	        "position lies in the box (degrees, RFC 7946 bbox order), in storage order.\n"
	        "  ndjson   the envelopes exactly as received (re-verifiable, re-ingestable)\n"
	        "  csv      one row per observation, the decoded payload in the last column\n"
	        "  geojson  an RFC 7946 FeatureCollection; properties carry the payload\n\n"
	        "example:\n"
	        "  vigil obs --from 2026-03-01T04:00:00Z --until 2026-03-01T05:00:00Z \\\n"
	        "      --bbox 37.5,47.8,38.0,48.2 --kind impulse --format geojson\n");
}

enum fmt { F_NDJSON, F_CSV, F_GEOJSON };

struct octx {
	enum fmt fmt;
	long n;
	struct vg_arena arena;
	bool failed;
};

static json_t *payload_json(struct octx *c, const struct vg_obs_stored *o)
{
	struct vg_envelope env;
	struct vg_err err;
	vg_arena_reset(&c->arena);
	if (vg_envelope_decode(o->envelope, o->envelope_len, &c->arena, &env, &err) != VG_OK)
		return NULL;
	return json_loadb((const char *)env.payload, env.payload_len, 0, NULL);
}

static void csv_field(const char *s)
{
	bool q = strpbrk(s, ",\"\n\r") != NULL;
	if (!q) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static json_t *geometry(const struct vg_obs_stored *o, json_t *payload)
{
	const char *kind = vg_obs_kind_name(o->kind);
	json_t *member = payload ? json_object_get(payload, kind) : NULL;
	json_t *ring = member ? json_object_get(member, "polygon") : NULL;
	if (ring && json_is_array(ring))
		return json_pack("{s:s, s:[O]}", "type", "Polygon", "coordinates", ring);
	if (!o->has_pos)
		return json_null();
	if (o->kind == VG_OBS_FIRE && member) {
		json_t *l = json_object_get(member, "launch"), *i = json_object_get(member, "impact");
		if (l && i)
			return json_pack("{s:s, s:[[f,f],[f,f]]}", "type", "MultiPoint", "coordinates",
			                 json_number_value(json_object_get(l, "lon")),
			                 json_number_value(json_object_get(l, "lat")),
			                 json_number_value(json_object_get(i, "lon")),
			                 json_number_value(json_object_get(i, "lat")));
	}
	return json_pack("{s:s, s:[f,f]}", "type", "Point", "coordinates",
	                 (o->min_lon_deg + o->max_lon_deg) / 2, (o->min_lat_deg + o->max_lat_deg) / 2);
}

static int row_cb(void *ctx, const struct vg_obs_stored *o)
{
	struct octx *c = ctx;
	char t0[VG_TIME_STR_MAX], t1[VG_TIME_STR_MAX], tr[VG_TIME_STR_MAX];
	if (c->fmt == F_NDJSON) {
		fwrite(o->envelope, 1, o->envelope_len, stdout);
		fputc('\n', stdout);
		c->n++;
		return ferror(stdout) ? 1 : 0;
	}
	vg_time_format(o->t_ns, t0);
	vg_time_format(o->t_end_ns, t1);
	vg_time_format(o->received_ns, tr);
	json_t *p = payload_json(c, o);
	if (c->fmt == F_CSV) {
		printf("%lld,", (long long)o->id);
		if (o->log_index >= 0)
			printf("%lld", (long long)o->log_index);
		printf(",");
		csv_field(o->sensor);
		printf(",%lld,%s,%s,%s,%s,", (long long)o->seq, vg_obs_kind_name(o->kind), t0, t1, tr);
		if (o->has_pos)
			printf("%.7f,%.7f", (o->min_lat_deg + o->max_lat_deg) / 2,
			       (o->min_lon_deg + o->max_lon_deg) / 2);
		else
			printf(",");
		printf(",");
		char *txt = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		csv_field(txt ? txt : "");
		free(txt);
		printf("\n");
	} else {
		json_t *props = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)o->id,
		                          "sensor", o->sensor, "seq", (json_int_t)o->seq, "kind",
		                          vg_obs_kind_name(o->kind), "time", t0, "time_end", t1,
		                          "received", tr);
		if (o->log_index >= 0)
			json_object_set_new(props, "log_index", json_integer(o->log_index));
		json_object_set(props, "observation", p ? p : json_null());
		json_t *feat = json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", geometry(o, p),
		                         "properties", props);
		char *txt = json_dumps(feat, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		printf("%s%s", c->n ? ",\n" : "\n", txt ? txt : "null");
		free(txt);
		json_decref(feat);
	}
	json_decref(p);
	c->n++;
	return ferror(stdout) ? 1 : 0;
}

static bool parse_bbox(const char *s, struct vg_obs_filter *f)
{
	double v[4];
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return false;
	strcpy(buf, s);
	char *save = NULL, *t = strtok_r(buf, ",", &save);
	for (int i = 0; i < 4; i++, t = strtok_r(NULL, ",", &save))
		if (!t || !vg_cli_parse_double(t, &v[i])) /* finite numbers only */
			return false;
	if (t)
		return false;
	double w = v[0], so = v[1], e = v[2], n = v[3];
	/* A box across the antimeridian (west > east) is not supported yet. */
	if (w < -180 || e > 180 || so < -90 || n > 90 || w > e || so > n)
		return false;
	f->has_bbox = true;
	f->min_lon_deg = w;
	f->min_lat_deg = so;
	f->max_lon_deg = e;
	f->max_lat_deg = n;
	return true;
}

int vg_cmd_obs(int argc, char **argv)
{
	const char *db = vg_cli_default_db(), *v;
	struct vg_obs_filter f = {0};
	struct octx c = {.fmt = F_NDJSON};
	struct vg_err err;
	bool has_from = false, has_until = false;
	f.t0_ns = INT64_MIN;
	f.t1_ns = INT64_MAX;
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &v)) {
			if (!(db = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--from", &v)) {
			if (!v || vg_time_parse(v, strlen(v), &f.t0_ns, &err) != VG_OK) {
				vg_cli_error("obs", "--from %s", v ? err.msg : "needs a time");
				return VG_EXIT_USAGE;
			}
			has_from = true;
		} else if (vg_cli_opt(argc, argv, &i, "--until", &v)) {
			if (!v || vg_time_parse(v, strlen(v), &f.t1_ns, &err) != VG_OK) {
				vg_cli_error("obs", "--until %s", v ? err.msg : "needs a time");
				return VG_EXIT_USAGE;
			}
			has_until = true;
		} else if (vg_cli_opt(argc, argv, &i, "--bbox", &v)) {
			if (!v || !parse_bbox(v, &f)) {
				vg_cli_error("obs", "--bbox %s: want WEST,SOUTH,EAST,NORTH in degrees"
				             " (west <= east: boxes across the antimeridian are not supported)",
				             v ? v : "");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--sensor", &v)) {
			if (!(f.sensor = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--kind", &v)) {
			if (!v || (f.kind = vg_obs_kind_parse(v)) <= 0) {
				vg_cli_error("obs", "--kind %s: want impulse, detection, fire, change,"
				             " coverage or status", v ? v : "");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--format", &v)) {
			if (v && !strcmp(v, "ndjson"))
				c.fmt = F_NDJSON;
			else if (v && !strcmp(v, "csv"))
				c.fmt = F_CSV;
			else if (v && !strcmp(v, "geojson"))
				c.fmt = F_GEOJSON;
			else {
				vg_cli_error("obs", "--format %s: want ndjson, csv or geojson", v ? v : "");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--limit", &v)) {
			if (!vg_cli_parse_i64(v, 1, INT64_MAX, &f.limit)) {
				vg_cli_error("obs", "--limit: want a positive count");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--after", &v)) {
			if (!vg_cli_parse_i64(v, 0, INT64_MAX, &f.after_id)) {
				vg_cli_error("obs", "--after: want a row id");
				return VG_EXIT_USAGE;
			}
		} else {
			vg_cli_error("obs", "unknown argument '%s'", argv[i]);
			help(stderr);
			return VG_EXIT_USAGE;
		}
	}
	f.has_time = has_from || has_until;
	if (f.t0_ns > f.t1_ns) {
		vg_cli_error("obs", "--from is after --until");
		return VG_EXIT_USAGE;
	}
	vg_store *st;
	if (vg_store_open_ro(db, &st, &err) != VG_OK) {
		vg_cli_error("obs", "%s", err.msg);
		return VG_EXIT_FATAL;
	}
	vg_arena_init(&c.arena, 1u << 20);
	if (c.fmt == F_CSV)
		printf("id,log_index,sensor,seq,kind,time,time_end,received,lat,lon,observation\n");
	else if (c.fmt == F_GEOJSON)
		printf("{\"type\":\"FeatureCollection\",\"features\":[");
	int rc = VG_EXIT_OK;
	if (vg_store_obs_query(st, &f, row_cb, &c, &err) != VG_OK) {
		vg_cli_error("obs", "%s", err.msg);
		rc = VG_EXIT_FATAL;
	}
	if (c.fmt == F_GEOJSON)
		printf("%s]}\n", c.n ? "\n" : "");
	vg_arena_release(&c.arena);
	vg_store_free(st);
	if (fflush(stdout) != 0)
		rc = VG_EXIT_FATAL;
	return rc;
}
