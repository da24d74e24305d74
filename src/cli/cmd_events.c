/* cmd_events.c - `vigil events`: query the fused events of the store. */
#include "cli.h"
#include "interop/interop.h"
#include "store/store.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil events [--db PATH] [--from TIME] [--until TIME]\n"
	        "                    [--bbox WEST,SOUTH,EAST,NORTH] [--type TYPE]\n"
	        "                    [--format ndjson|csv|geojson|kml]\n\n"
	        "The events of the last `vigil fuse`, in emission order, whose origin time\n"
	        "lies in [--from, --until] and position in the box (degrees, RFC 7946 order).\n"
	        "  ndjson   the event records exactly as fusion wrote them (docs/fusion.md)\n"
	        "  csv      id, type, time, lat, lon, sigmas, CEPs, class, counts, emitted\n"
	        "  geojson  an RFC 7946 FeatureCollection: each event is its 90 %% error\n"
	        "           ellipse as a polygon (72 geodesic vertices, counterclockwise);\n"
	        "           properties = the record\n"
	        "  kml      KML 2.2: a Placemark per event (origin point + 90 %% ellipse, its\n"
	        "           time, the record as ExtendedData), a style per type\n\n"
	        "example:\n"
	        "  vigil events --db vigil.db --type launch --format geojson > launches.geojson\n");
}

enum fmt { F_NDJSON, F_CSV, F_GEOJSON, F_KML };

struct ectx {
	enum fmt fmt;
	long n;
	struct vg_kml kml;
	struct vg_err err; /* the first record KML refused */
};

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The 90 % ellipse (chi-square 2 dof: 2.146 sigma) as a closed ring,
 * counterclockwise (RFC 7946 3.1.6; src/interop/geom.c). */
static json_t *ellipse_ring(json_t *rec, double lat, double lon)
{
	json_t *el = json_object_get(rec, "ellipse");
	double ring[VG_INTEROP_ELLIPSE_N + 1][2];
	if (!vg_interop_ellipse_ring(lat, lon, num(el, "smaj_m"), num(el, "smin_m"), num(el, "az_deg"),
	                             ring))
		return NULL;
	json_t *arr = json_array();
	for (int i = 0; i <= VG_INTEROP_ELLIPSE_N; i++)
		json_array_append_new(arr, json_pack("[f,f]", ring[i][0], ring[i][1]));
	return arr;
}

static int row_cb(void *ctx, const struct vg_event_row *e)
{
	struct ectx *c = ctx;
	if (c->fmt == F_NDJSON) {
		fwrite(e->record, 1, e->record_len, stdout);
		fputc('\n', stdout);
		c->n++;
		return ferror(stdout) ? 1 : 0;
	}
	if (c->fmt == F_KML) {
		if (vg_interop_kml_event(&c->kml, e->record, e->record_len, &c->err))
			return 1;
		c->n++;
		return ferror(stdout) ? 1 : 0;
	}
	json_t *rec = json_loadb(e->record, e->record_len, 0, NULL);
	if (!rec)
		return 1;
	if (c->fmt == F_CSV) {
		json_t *el = json_object_get(rec, "ellipse");
		printf("%s,%s,%s,%.8f,%.8f,%.6f,%.3f,%.3f,%.2f,%.3f,%.3f,%s,%lld,%lld,%lld,%s\n",
		       json_string_value(json_object_get(rec, "id")), e->type,
		       json_string_value(json_object_get(rec, "time")), e->lat_deg, e->lon_deg,
		       num(rec, "time_sigma_s"), num(el, "smaj_m"), num(el, "smin_m"), num(el, "az_deg"),
		       num(rec, "cep50_m"), num(rec, "cep90_m"),
		       json_string_value(json_object_get(rec, "class")),
		       (long long)json_integer_value(json_object_get(rec, "n_arrivals")),
		       (long long)json_integer_value(json_object_get(rec, "n_bearings")),
		       (long long)json_integer_value(json_object_get(rec, "n_radar")),
		       json_string_value(json_object_get(rec, "emitted")));
	} else {
		json_t *ring = ellipse_ring(rec, e->lat_deg, e->lon_deg);
		json_t *geom = ring ? json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring)
		                    : json_pack("{s:s, s:[f,f]}", "type", "Point", "coordinates",
		                                e->lon_deg, e->lat_deg);
		json_t *feat = json_pack("{s:s, s:o, s:O}", "type", "Feature", "geometry", geom,
		                         "properties", rec);
		char *txt = json_dumps(feat, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		printf("%s%s", c->n ? ",\n" : "\n", txt ? txt : "null");
		free(txt);
		json_decref(feat);
	}
	json_decref(rec);
	c->n++;
	return ferror(stdout) ? 1 : 0;
}

int vg_cmd_events(int argc, char **argv)
{
	const char *db = NULL, *v = NULL;
	struct vg_event_filter flt;
	memset(&flt, 0, sizeof flt);
	flt.t0_ns = INT64_MIN;
	flt.t1_ns = INT64_MAX;
	struct ectx c;
	memset(&c, 0, sizeof c);
	vg_err_clear(&c.err);
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	struct vg_err err;
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &v)) {
			if (!(db = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--from", &v) ||
		           vg_cli_opt(argc, argv, &i, "--until", &v)) {
			bool from = !strcmp(argv[i - 1], "--from");
			int64_t t;
			if (!v || vg_time_parse(v, strlen(v), &t, &err)) {
				vg_cli_error("events", "%s %s: %s", from ? "--from" : "--until", v ? v : "",
				             v ? err.msg : "missing value");
				return VG_EXIT_USAGE;
			}
			flt.has_time = true;
			if (from)
				flt.t0_ns = t;
			else
				flt.t1_ns = t;
		} else if (vg_cli_opt(argc, argv, &i, "--bbox", &v)) {
			double w, s, e, n;
			char tail;
			if (!v || sscanf(v, "%lf,%lf,%lf,%lf%c", &w, &s, &e, &n, &tail) != 4 || w < -180 ||
			    e > 180 || s < -90 || n > 90 || w > e || s > n) {
				vg_cli_error("events", "--bbox %s: want WEST,SOUTH,EAST,NORTH degrees", v ? v : "");
				return VG_EXIT_USAGE;
			}
			flt.has_bbox = true;
			flt.min_lon_deg = w;
			flt.min_lat_deg = s;
			flt.max_lon_deg = e;
			flt.max_lat_deg = n;
		} else if (vg_cli_opt(argc, argv, &i, "--type", &v)) {
			if (!v || (strcmp(v, "launch") && strcmp(v, "impact") && strcmp(v, "explosion"))) {
				vg_cli_error("events", "--type %s: want launch, impact or explosion", v ? v : "");
				return VG_EXIT_USAGE;
			}
			flt.type = v;
		} else if (vg_cli_opt(argc, argv, &i, "--format", &v)) {
			if (v && !strcmp(v, "ndjson"))
				c.fmt = F_NDJSON;
			else if (v && !strcmp(v, "csv"))
				c.fmt = F_CSV;
			else if (v && !strcmp(v, "geojson"))
				c.fmt = F_GEOJSON;
			else if (v && !strcmp(v, "kml"))
				c.fmt = F_KML;
			else {
				vg_cli_error("events", "--format %s: want ndjson, csv, geojson or kml", v ? v : "");
				return VG_EXIT_USAGE;
			}
		} else {
			vg_cli_error("events", "unknown argument '%s' (see --help)", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	if (!db)
		db = vg_cli_default_db();
	vg_store *st;
	if (vg_store_open_ro(db, &st, &err)) {
		vg_cli_error("events", "%s", err.msg);
		return VG_EXIT_FATAL;
	}
	if (c.fmt == F_CSV)
		printf("id,type,time,lat,lon,time_sigma_s,smaj_m,smin_m,az_deg,cep50_m,cep90_m,class,"
		       "n_arrivals,n_bearings,n_radar,emitted\n");
	else if (c.fmt == F_GEOJSON)
		printf("{\"type\":\"FeatureCollection\",\"features\":[");
	else if (c.fmt == F_KML)
		vg_interop_kml_events_begin(&c.kml, stdout);
	vg_status s = vg_store_event_query(st, &flt, row_cb, &c, &err);
	if (c.fmt == F_GEOJSON)
		printf("\n]}\n");
	vg_store_free(st);
	if (c.err.status) {
		vg_cli_error("events", "%s", c.err.msg);
		return VG_EXIT_FATAL;
	}
	if (s) {
		vg_cli_error("events", "%s", err.msg);
		return VG_EXIT_FATAL;
	}
	if (c.fmt == F_KML && vg_interop_kml_events_end(&c.kml, &err)) {
		vg_cli_error("events", "%s", err.msg);
		return VG_EXIT_FATAL;
	}
	if (fflush(stdout) || ferror(stdout))
		return VG_EXIT_FATAL;
	return VG_EXIT_OK;
}
