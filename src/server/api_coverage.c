/*
 * api_coverage.c - GET /v1/coverage?from=T&until=T[&bbox=W,S,E,N][&watched=S]:
 * "was this area watched between t1 and t2?" over HTTP, as `vigil coverage
 * --json` answers it (src/rules/coverage.c): for the box, or for every side
 * and zone of the agreement given to `vigil serve --agreement`, the share
 * of its area inside at least one `coverage` footprint (drone frames,
 * satellite scenes) whose time overlaps the range, the unobserved share,
 * and whether the observed share reaches `watched` (default 0.95). Members
 * and auditors; derived data only. The range is at most 31 days (each
 * request unions the footprints with GEOS).
 */
#include "rules/rules.h"
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COVERAGE_MAX_NS ((int64_t)31 * 86400 * VG_NS_PER_S)

static bool parse_box(const char *v, double b[4])
{
	char tail;
	if (sscanf(v, "%lf,%lf,%lf,%lf%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4)
		return false;
	return b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[0] < b[2] &&
	       b[1] < b[3];
}

static void area_row(struct vg_buf *b, bool *first, const char *name, const char *kind,
                     const char *party, bool identifying, double km2, double share, double watched)
{
	vg_buf_str(b, *first ? "{" : ",{");
	*first = false;
	vg_buf_str(b, "\"area\":");
	sb_json_str(b, name, strlen(name));
	vg_buf_str(b, ",\"kind\":");
	sb_json_str(b, kind, strlen(kind));
	vg_buf_str(b, ",\"party\":");
	sb_json_str(b, party, strlen(party));
	vg_buf_str(b, identifying ? ",\"sensors\":\"identifying\"" : ",\"sensors\":\"all\"");
	vg_buf_printf(b, ",\"area_km2\":%.1f,\"observed_share\":%.4f,\"unobserved_share\":%.4f,\"watched\":%s}",
	          km2, share, 1 - share, share >= watched ? "true" : "false");
}

enum MHD_Result api_coverage(struct vg_server *s, struct MHD_Connection *c)
{
	static const char *const allowed[] = {"from", "until", "bbox", "watched", NULL};
	const char *bad, *v;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	int64_t t0, t1;
	const char *from = srv_param(c, "from"), *until = srv_param(c, "until");
	if (!from || vg_time_parse(from, strlen(from), &t0, NULL) != VG_OK)
		return srv_error(s, c, 400, "bad_parameter", "parameter from: want an RFC 3339 time");
	if (!until || vg_time_parse(until, strlen(until), &t1, NULL) != VG_OK)
		return srv_error(s, c, 400, "bad_parameter", "parameter until: want an RFC 3339 time");
	if (t1 < t0)
		return srv_error(s, c, 400, "bad_parameter", "parameter from: is after until");
	if (t1 - t0 > COVERAGE_MAX_NS)
		return srv_error(s, c, 400, "bad_parameter", "parameter until: at most 31 days after from");
	double watched = 0.95;
	if ((v = srv_param(c, "watched"))) {
		char *end;
		watched = strtod(v, &end);
		if (*end || end == v || !(watched >= 0 && watched <= 1))
			return srv_error(s, c, 400, "bad_parameter", "parameter watched: want a share in [0, 1]");
	}
	double box[4];
	bool has_box = false;
	if ((v = srv_param(c, "bbox"))) {
		if (!parse_box(v, box))
			return srv_error(s, c, 400, "bad_parameter",
			                 "parameter bbox: want WEST,SOUTH,EAST,NORTH in degrees");
		has_box = true;
	}
	if (!has_box && !s->agreement)
		return srv_error(s, c, 400, "bad_parameter",
		                 "parameter bbox: required (the server has no --agreement whose areas to"
		                 " report)");

	struct vg_err err;
	vg_err_clear(&err);
	struct vg_agreement *ag = NULL;
	vg_geo_area *area = NULL;
	struct vg_coverage *cov = NULL;
	struct vg_belt *belts = NULL;
	uint32_t n_belts = 0;
	struct vg_buf b;
	vg_buf_init(&b, 1u << 20);
	unsigned status = 500;
	vg_store *st = srv_read_handle(s);
	if (!st) {
		vg_buf_release(&b);
		return srv_error(s, c, 503, "unavailable", NULL);
	}
	if (has_box) {
		char gj[320];
		snprintf(gj, sizeof gj,
		         "{\"type\":\"Polygon\",\"coordinates\":[[[%.9g,%.9g],[%.9g,%.9g],[%.9g,%.9g],"
		         "[%.9g,%.9g],[%.9g,%.9g]]]}",
		         box[0], box[1], box[2], box[1], box[2], box[3], box[0], box[3], box[0], box[1]);
		if (vg_geo_area_from_geojson(gj, &area, &err) != VG_OK) {
			status = 400;
			goto out;
		}
	} else if (vg_agreement_parse(s->agreement, s->agreement_len, &ag, &err) != VG_OK) {
		goto out;
	}
	if (vg_coverage_load(st, t0, t1, &cov, &err) != VG_OK)
		goto out;
	char ta[VG_TIME_STR_MAX], tb[VG_TIME_STR_MAX];
	vg_time_format(t0, ta);
	vg_time_format(t1, tb);
	vg_buf_printf(&b, "{\"from\":\"%s\",\"until\":\"%s\",\"watched_min\":%.4g,\"footprints\":%u,\"areas\":[",
	          ta, tb, watched, vg_coverage_count(cov));
	bool first = true;
	for (uint32_t k = 0; k < (area ? 1 : ag->n_features); k++) {
		const struct vg_ag_feature *F = area ? NULL : &ag->features[k];
		if (F && !F->area)
			continue;
		double share = 0, km2 = 0;
		if (vg_coverage_share(cov, area ? area : F->area, t0, t1, &share, &km2, &err) != VG_OK)
			goto out;
		area_row(&b, &first, area ? "bbox" : F->id,
		         area ? "box" : F->role == VG_ROLE_SIDE ? "side" : F->zone,
		         F && F->party >= 0 ? ag->parties[F->party] : "", false, km2, share, watched);
	}
	/* withdrawal belts, watched only by sensors that identify weapons */
	if (ag && vg_agreement_belts(ag, t0, t1, &belts, &n_belts, &err) != VG_OK)
		goto out;
	for (uint32_t k = 0; k < n_belts; k++) {
		double share = 0, km2 = 0;
		if (vg_coverage_share_by(cov, belts[k].area, t0, t1, true, &share, &km2, &err) != VG_OK)
			goto out;
		area_row(&b, &first, belts[k].rule_id, "withdrawal_belt", ag->parties[belts[k].party], true, km2,
		         share, watched);
	}
	vg_buf_str(&b, "]}");
	status = 200;
out:
	srv_read_release(s, st);
	vg_belts_free(belts, n_belts);
	vg_coverage_free(cov);
	vg_geo_area_free(area);
	vg_agreement_free(ag);
	if (status == 200)
		return srv_json(s, c, 200, &b);
	vg_buf_release(&b);
	if (status == 400)
		return srv_error(s, c, 400, "bad_parameter", "parameter bbox: not a valid area");
	vg_log(VG_LOG_ERROR, "serve: coverage: %s", err.msg);
	return srv_error(s, c, 500, "internal", NULL);
}
