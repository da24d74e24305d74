/* adjudicate.c - apply an agreement's rules to observations and events
 * (docs/rules.md). */
#include "rules/rules.h"

#include "crypto/crypto.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEG (M_PI / 180.0)

struct sensor_rec {
	char id[VG_ID_MAX + 1];
	int owner;
	int modality;
};

/* A located impulsive item: a fusion event or a radar fire report. */
struct loc_item {
	int type;                 /* enum vg_event_type */
	int64_t t;
	double lat, lon;
	double cov[2][2];
	int cls;
	int sensor;               /* radar reports: sensor index; events: -1 */
	int64_t log_index;        /* radar reports; -1 for events */
	int64_t *ev;              /* events: evidence log indices (owned) */
	uint32_t n_ev;
	char id[VG_ID_MAX + 1];   /* events: id */
	char pair[VG_ID_MAX + 1]; /* events: fusion's launch/impact partner, "" none */
	int mate;                 /* the loc index of the event `pair` names, -1 none (vg_adj_run) */
	vg_class_mask classes;    /* events: the weapon classes it may be (its pair's) */
	bool paired;              /* events: in a launch/impact pair (either names the other) */
	int wcls;                 /* launches: the pair's best-fitting weapon class, 0 none */
	int scls;                 /* launches: the class it is a sighting of (place_classes), 0 none */
	int side;                 /* sighting launches: its side (party, -1 none), */
	double line_m, line_err_m;/* its distance to the contact line (within line_err_m), */
	bool holding;             /* and whether it stands in its side's holding area */
	double p[VG_AG_MAX_PARTIES];
	int cluster;
	bool external;            /* unsigned external feed (FIRMS) */
};

/* Launch sightings (withdrawal): launches within PLACE_M and PLACE_S of
 * each other are one place's (place_classes); a sighting within PLACE_M of
 * a group's launches joins it up to PLACE_GAP_NS after its last launch
 * (rule_presence). */
#define PLACE_M 300.0
#define PLACE_S (6 * 3600)
#define PLACE_GAP_NS ((int64_t)24 * 3600 * 1000000000)
/* Weapons on the move (withdrawal): a detection reporting at least
 * MOVING_MPS with a heading. A group seen only on the move is a column
 * driving somewhere; a sighting that would start a group of its party
 * within TRANSIT_GAP_NS after it, within reach (ROAD_MPS, at most
 * TRANSIT_MAX_M) and on its way (ahead, at most TRANSIT_CROSS_M off the
 * line of its last heading; transit_group) is where it went: the same
 * weapons (docs/rules.md). */
#define MOVING_MPS 3.0
#define ROAD_MPS 20.0
#define TRANSIT_MAX_M 50000.0
#define TRANSIT_CROSS_M 5000.0
#define TRANSIT_GAP_NS PLACE_GAP_NS
/* Sightings corroborate each other (withdrawal's min_sightings) when two
 * of them lie within CORROB_M: a battery's guns stand within a few hundred
 * metres; two lone reports 1 km apart are two things seen once each. */
#define CORROB_M 500.0
/* a sighting launch within SPOT_M of one whose distance to the line was
 * measured takes that distance (place_classes) */
#define SPOT_M 5.0

/* A detection or a change (point). */
struct pt_item {
	int kind;                 /* VG_OBS_DETECTION, VG_OBS_CHANGE */
	int64_t t;
	double lat, lon, sigma;
	int cls;                  /* detection class / change type */
	int sensor;
	int64_t log_index;
	uint32_t count;           /* items the detection stands for (1: one object) */
	double conf;              /* detection: class_conf; else 1 */
	double speed, heading;    /* detection: m/s and degrees, NAN if not reported */
};

struct log_sensor {
	int64_t idx;
	int sensor;
};

/* Where a registered drone said it was (its own `pos`). */
struct monitor_fix {
	int64_t t;
	double lat, lon;
};

struct vg_adjudicator {
	struct vg_agreement *ag;
	struct sensor_rec *sensors;   /* insertion order: items keep their index */
	uint32_t n_sensors, cap_sensors;
	uint32_t *order;              /* indices sorted by id, for lookups */
	uint32_t cap_order;
	bool sensors_sorted;
	char (*owners)[VG_ID_MAX + 1];
	uint32_t n_owners, cap_owners;
	struct loc_item *loc;
	uint32_t n_loc, cap_loc;
	struct pt_item *pts;
	uint32_t n_pts, cap_pts;
	struct log_sensor *ls;
	uint32_t n_ls, cap_ls;
	struct monitor_fix *mon;
	uint32_t n_mon, cap_mon;
};

#define GROW(arr, n, cap)                                                                  \
	do {                                                                               \
		if ((n) == (cap)) {                                                        \
			uint32_t nc_ = (cap) ? (cap) * 2 : 256;                           \
			void *np_ = realloc((arr), (size_t)nc_ * sizeof *(arr));          \
			if (!np_)                                                          \
				return vg_err_set(err, VG_ERR_NOMEM, "adjudicator");     \
			(arr) = np_;                                                       \
			(cap) = nc_;                                                       \
		}                                                                          \
	} while (0)

vg_status vg_adj_new(struct vg_agreement *ag, vg_adjudicator **out, struct vg_err *err)
{
	vg_adjudicator *a = calloc(1, sizeof *a);
	if (!a)
		return vg_err_set(err, VG_ERR_NOMEM, "adjudicator");
	a->ag = ag;
	*out = a;
	return VG_OK;
}

void vg_adj_free(vg_adjudicator *a)
{
	if (!a)
		return;
	for (uint32_t i = 0; i < a->n_loc; i++)
		free(a->loc[i].ev);
	free(a->loc);
	free(a->pts);
	free(a->sensors);
	free(a->order);
	free(a->owners);
	free(a->ls);
	free(a->mon);
	free(a);
}

/* Lookups: bsearch over the order array with a key that carries the table. */
struct sensor_key {
	const struct sensor_rec *tab;
	const char *id;
};

static int cmp_key(const void *k, const void *y)
{
	const struct sensor_key *key = k;
	return strcmp(key->id, key->tab[*(const uint32_t *)y].id);
}

vg_status vg_adj_add_sensor(vg_adjudicator *a, const char *id, const char *owner, int modality,
                            struct vg_err *err)
{
	int o = -1;
	for (uint32_t i = 0; i < a->n_owners; i++)
		if (!strcmp(a->owners[i], owner))
			o = (int)i;
	if (o < 0) {
		GROW(a->owners, a->n_owners, a->cap_owners);
		snprintf(a->owners[a->n_owners], VG_ID_MAX + 1, "%s", owner);
		o = (int)a->n_owners++;
	}
	GROW(a->sensors, a->n_sensors, a->cap_sensors);
	GROW(a->order, a->n_sensors, a->cap_order);
	a->order[a->n_sensors] = a->n_sensors;
	struct sensor_rec *s = &a->sensors[a->n_sensors++];
	snprintf(s->id, sizeof s->id, "%s", id);
	s->owner = o;
	s->modality = modality;
	a->sensors_sorted = false;
	return VG_OK;
}

static int sensor_index(vg_adjudicator *a, const char *id)
{
	if (!a->n_sensors)
		return -1;
	if (!a->sensors_sorted) {
		/* insertion sort (sensors are hundreds; sorted once after adding) */
		for (uint32_t i = 1; i < a->n_sensors; i++) {
			uint32_t v = a->order[i], j = i;
			while (j > 0 && strcmp(a->sensors[a->order[j - 1]].id, a->sensors[v].id) > 0) {
				a->order[j] = a->order[j - 1];
				j--;
			}
			a->order[j] = v;
		}
		a->sensors_sorted = true;
	}
	struct sensor_key key = {a->sensors, id};
	const uint32_t *r = bsearch(&key, a->order, a->n_sensors, sizeof *a->order, cmp_key);
	return r ? (int)*r : -1;
}

vg_status vg_adj_add_log_sensor(vg_adjudicator *a, int64_t log_index, const char *sensor,
                                struct vg_err *err)
{
	if (log_index < 0)
		return VG_OK;
	GROW(a->ls, a->n_ls, a->cap_ls);
	a->ls[a->n_ls].idx = log_index;
	a->ls[a->n_ls].sensor = sensor_index(a, sensor);
	a->n_ls++;
	return VG_OK;
}

static vg_status add_fire_point(vg_adjudicator *a, int type, const struct vg_fire_point *fp,
                                int cls, int sensor, int64_t log_index, struct vg_err *err)
{
	GROW(a->loc, a->n_loc, a->cap_loc);
	struct loc_item *L = &a->loc[a->n_loc++];
	memset(L, 0, sizeof *L);
	L->type = type;
	L->t = fp->t_ns;
	L->lat = fp->lat_deg;
	L->lon = fp->lon_deg;
	double s = fp->cep_m / 1.1774; /* CEP (50 %) of a circular normal */
	if (!(s > 1))
		s = 1;
	L->cov[0][0] = L->cov[1][1] = s * s;
	L->cls = cls;
	L->sensor = sensor;
	L->log_index = log_index;
	L->cluster = -1;
	return VG_OK;
}

static vg_status add_pt(vg_adjudicator *a, int kind, int64_t t, double lat, double lon, double sigma,
                        int cls, double conf, double speed, double heading, int sensor, int64_t log_index,
                        struct vg_err *err)
{
	GROW(a->pts, a->n_pts, a->cap_pts);
	struct pt_item *P = &a->pts[a->n_pts++];
	P->kind = kind;
	P->t = t;
	P->lat = lat;
	P->lon = lon;
	P->sigma = sigma > 1 ? sigma : 1;
	P->cls = cls;
	P->sensor = sensor;
	P->log_index = log_index;
	P->count = 1; /* the codec's detections name one object each */
	P->conf = conf;
	P->speed = speed;
	P->heading = heading;
	return VG_OK;
}

vg_status vg_adj_add_obs(vg_adjudicator *a, int64_t log_index, const struct vg_obs *o,
                         struct vg_err *err)
{
	int s = sensor_index(a, o->sensor);
	vg_status st = VG_OK;
	if (log_index >= 0 && (st = vg_adj_add_log_sensor(a, log_index, o->sensor, err)))
		return st;
	if (o->has_sensor_pos && s >= 0 && a->sensors[s].modality == VG_MOD_DRONE) {
		GROW(a->mon, a->n_mon, a->cap_mon);
		a->mon[a->n_mon++] = (struct monitor_fix){o->t_ns, o->sensor_lat_deg, o->sensor_lon_deg};
	}
	switch (o->kind) {
	case VG_OBS_FIRE:
		if (o->u.fire.has_launch &&
		    (st = add_fire_point(a, VG_EVT_LAUNCH, &o->u.fire.launch, o->u.fire.cls, s, log_index, err)))
			return st;
		if (o->u.fire.has_impact &&
		    (st = add_fire_point(a, VG_EVT_IMPACT, &o->u.fire.impact, o->u.fire.cls, s, log_index, err)))
			return st;
		return VG_OK;
	case VG_OBS_DETECTION:
		return add_pt(a, VG_OBS_DETECTION, o->t_ns, o->u.detection.lat_deg, o->u.detection.lon_deg,
		              o->u.detection.sigma_m, o->u.detection.cls, o->u.detection.class_conf,
		              o->u.detection.has_speed ? o->u.detection.speed_mps : NAN,
		              o->u.detection.has_heading ? o->u.detection.heading_deg : NAN, s, log_index, err);
	case VG_OBS_CHANGE: {
		double lat, lon, sig;
		if (o->u.change.has_point) {
			lat = o->u.change.lat_deg;
			lon = o->u.change.lon_deg;
			sig = o->u.change.sigma_m;
		} else { /* polygon: vertex mean (rings are small and convex-ish) */
			double sl = 0, so = 0;
			uint32_t n = o->u.change.poly.n - 1;
			for (uint32_t i = 0; i < n; i++) {
				so += o->u.change.poly.pts[i][0];
				sl += o->u.change.poly.pts[i][1];
			}
			lat = sl / n;
			lon = so / n;
			sig = o->u.change.resolution_m;
		}
		return add_pt(a, VG_OBS_CHANGE, o->t_ns, lat, lon, sig, o->u.change.type, 1.0, NAN, NAN, s, log_index,
		              err);
	}
	default:
		return VG_OK;
	}
}

vg_status vg_adj_add_external_fire(vg_adjudicator *a, const char *id, int64_t t_ns, double lat,
                                   double lon, double sigma_m, struct vg_err *err)
{
	GROW(a->loc, a->n_loc, a->cap_loc);
	struct loc_item *L = &a->loc[a->n_loc++];
	memset(L, 0, sizeof *L);
	L->type = VG_EVT_FIRE;
	L->t = t_ns;
	L->lat = lat;
	L->lon = lon;
	double s = sigma_m > 1 ? sigma_m : 1;
	L->cov[0][0] = L->cov[1][1] = s * s;
	L->sensor = -1;
	L->log_index = -1;
	L->external = true;
	snprintf(L->id, sizeof L->id, "%s", id);
	L->cluster = -1;
	return VG_OK;
}

vg_status vg_adj_add_event(vg_adjudicator *a, struct vg_rule_event *ev, struct vg_err *err)
{
	GROW(a->loc, a->n_loc, a->cap_loc);
	struct loc_item *L = &a->loc[a->n_loc++];
	memset(L, 0, sizeof *L);
	L->type = ev->type;
	L->t = ev->t_ns;
	L->lat = ev->lat_deg;
	L->lon = ev->lon_deg;
	memcpy(L->cov, ev->cov_m2, sizeof L->cov);
	L->cls = ev->cls;
	L->sensor = -1;
	L->log_index = -1;
	L->ev = ev->evidence;
	L->n_ev = ev->n_evidence;
	ev->evidence = NULL;
	ev->n_evidence = 0;
	snprintf(L->id, sizeof L->id, "%s", ev->id);
	snprintf(L->pair, sizeof L->pair, "%s", ev->pair);
	L->classes = ev->classes;
	L->paired = ev->pair[0] != 0;
	L->wcls = ev->pair[0] ? ev->cls : 0;
	L->cluster = -1;
	return VG_OK;
}

/* ---- Helpers ------------------------------------------------------------------ */

/* Fast metric distance for clustering (equirectangular; clusters are km). */
static double near_m(double lat1, double lon1, double lat2, double lon2)
{
	double x = (lon2 - lon1) * cos(0.5 * (lat1 + lat2) * DEG) * 111319.49;
	double y = (lat2 - lat1) * 110946.0;
	return hypot(x, y);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

static int cmp_ls(const void *x, const void *y)
{
	const struct log_sensor *a = x, *b = y;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_loc(const void *x, const void *y)
{
	const struct loc_item *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->type != b->type)
		return a->type - b->type;
	if (a->lat != b->lat)
		return a->lat < b->lat ? -1 : 1;
	if (a->lon != b->lon)
		return a->lon < b->lon ? -1 : 1;
	if (a->log_index != b->log_index)
		return a->log_index < b->log_index ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int cmp_pt(const void *x, const void *y)
{
	const struct pt_item *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->log_index != b->log_index)
		return a->log_index < b->log_index ? -1 : 1;
	if (a->lat != b->lat)
		return a->lat < b->lat ? -1 : 1;
	return a->lon < b->lon ? -1 : a->lon > b->lon;
}

/* A finding under construction. */
#define ACC_SPOTS 8
struct acc {
	struct vg_finding f;
	uint32_t n_pos;
	double sum_lat, sum_lon, sum_ll, sum_oo, sum_lo; /* for the scatter */
	double cov_sum[2][2];
	double p_sum[VG_AG_MAX_PARTIES];
	uint32_t n_p;
	int64_t last_t;
	double last_lat, last_lon;
	uint32_t cap_ev, cap_ids;
	uint8_t *sens_seen;   /* per sensor */
	bool pseudo_acoustic; /* events without evidence: an acoustic network fix */
	uint32_t cls_votes[VG_CLS_COUNT_];
	double conf_own;      /* presence rules: class_conf of its sightings (a launch: 1) */
	bool transit;         /* withdrawal: every sighting so far a weapon on the move */
	double heading;       /* and the last one's heading, degrees */
	bool open;
	/* presence rules: where the group's launches were located (launch
	 * sightings; spots PLACE_M apart, the first ACC_SPOTS) and when the
	 * last was */
	uint32_t n_spots;
	double spot[ACC_SPOTS][2];
	int64_t fire_t;
};

static vg_status acc_evidence(struct acc *c, int64_t idx, struct vg_err *err)
{
	if (idx < 0)
		return VG_OK;
	if (c->f.n_evidence == c->cap_ev) {
		uint32_t nc = c->cap_ev ? c->cap_ev * 2 : 16;
		int64_t *np = realloc(c->f.evidence, nc * sizeof *np);
		if (!np)
			return vg_err_set(err, VG_ERR_NOMEM, "evidence");
		c->f.evidence = np;
		c->cap_ev = nc;
	}
	c->f.evidence[c->f.n_evidence++] = idx;
	return VG_OK;
}

static vg_status acc_event_id(struct acc *c, const char *id, struct vg_err *err)
{
	if (!id[0])
		return VG_OK;
	if (c->f.n_events == c->cap_ids) {
		uint32_t nc = c->cap_ids ? c->cap_ids * 2 : 8;
		void *np = realloc(c->f.events, nc * sizeof *c->f.events);
		if (!np)
			return vg_err_set(err, VG_ERR_NOMEM, "events");
		c->f.events = np;
		c->cap_ids = nc;
	}
	snprintf(c->f.events[c->f.n_events++], VG_ID_MAX + 1, "%s", id);
	return VG_OK;
}

static void acc_pos(struct acc *c, double lat, double lon, const double cov[2][2])
{
	c->n_pos++;
	c->sum_lat += lat;
	c->sum_lon += lon;
	c->sum_ll += lat * lat;
	c->sum_oo += lon * lon;
	c->sum_lo += lat * lon;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			c->cov_sum[i][j] += cov[i][j];
}

static void mark_sensor(vg_adjudicator *a, struct acc *c, int s)
{
	if (s >= 0 && (uint32_t)s < a->n_sensors)
		c->sens_seen[s] = 1;
}

static int log_sensor(const vg_adjudicator *a, int64_t idx)
{
	struct log_sensor key = {.idx = idx};
	const struct log_sensor *r = a->n_ls ? bsearch(&key, a->ls, a->n_ls, sizeof *a->ls, cmp_ls) : NULL;
	return r ? r->sensor : -1;
}

static vg_status acc_init(vg_adjudicator *a, struct acc *c, const struct vg_ag_rule *r, int version,
                          struct vg_err *err)
{
	memset(c, 0, sizeof *c);
	c->sens_seen = calloc(a->n_sensors + 1, 1);
	if (!c->sens_seen)
		return vg_err_set(err, VG_ERR_NOMEM, "adjudicator");
	c->f.rule = r->type;
	snprintf(c->f.rule_id, sizeof c->f.rule_id, "%s", r->id);
	c->f.agreement_version = version;
	c->open = true;
	return VG_OK;
}

static void acc_drop(struct acc *c)
{
	free(c->sens_seen);
	c->sens_seen = NULL;
	vg_finding_clear(&c->f);
}

/* Complete the finding: position, covariance, grade, party, evidence. */
static vg_status acc_finish(vg_adjudicator *a, struct acc *c, bool use_mean, struct vg_findings *out,
                            struct vg_err *err)
{
	struct vg_finding *f = &c->f;
	if (use_mean && c->n_pos) {
		double n = c->n_pos;
		f->lat_deg = c->sum_lat / n;
		f->lon_deg = c->sum_lon / n;
		/* covariance of the place: mean item covariance / n plus the
		 * scatter of the items (a battery is spread over hundreds of m) */
		double klat = 110946.0, klon = cos(f->lat_deg * DEG) * 111319.49;
		double vll = c->sum_ll / n - f->lat_deg * f->lat_deg;
		double voo = c->sum_oo / n - f->lon_deg * f->lon_deg;
		double vlo = c->sum_lo / n - f->lat_deg * f->lon_deg;
		f->cov_m2[0][0] = c->cov_sum[0][0] / (n * n) + fmax(voo, 0) * klon * klon;
		f->cov_m2[1][1] = c->cov_sum[1][1] / (n * n) + fmax(vll, 0) * klat * klat;
		f->cov_m2[0][1] = f->cov_m2[1][0] = c->cov_sum[0][1] / (n * n) + vlo * klat * klon;
	}
	/* a record writes the covariance to 0.1 m^2 (findings.c); where that
	 * would not be a covariance (a place known to 30 cm, or items on one
	 * line), it becomes the nearest one that is, at that resolution */
	{
		double (*cv)[2] = f->cov_m2;
		double ee = round(cv[0][0] * 10) / 10, en = round(cv[0][1] * 10) / 10,
		       nn = round(cv[1][1] * 10) / 10;
		if (!(ee > 0 && nn > 0 && ee * nn - en * en > 0)) {
			ee = fmax(ee, 0.1);
			nn = fmax(nn, 0.1);
			while (ee * nn - en * en <= 0 && en != 0) /* |en| down, 0.1 m^2 at a time or 1 % */
				en = copysign(fmax(0, round((fabs(en) - fmax(0.1, 0.01 * fabs(en))) * 10) / 10), en);
			cv[0][0] = ee;
			cv[1][1] = nn;
			cv[0][1] = cv[1][0] = en;
		}
	}
	double tr = f->cov_m2[0][0] + f->cov_m2[1][1];
	f->cep90_m = 2.146 * sqrt(tr / 2);
	struct vg_place pl;
	vg_agreement_place(a->ag, f->lat_deg, f->lon_deg, &pl);
	f->line_dist_m = pl.line_dist_m;
	/* Party: the mean of the items' attribution probabilities. */
	if (c->n_p) {
		int best = -1;
		double bp = -1;
		for (uint32_t p = 0; p < a->ag->n_parties; p++)
			if (c->p_sum[p] > bp) {
				bp = c->p_sum[p];
				best = (int)p;
			}
		if (best >= 0 && bp > 0) {
			snprintf(f->party, sizeof f->party, "%s", a->ag->parties[best]);
			f->p_party = bp / c->n_p;
			if (f->p_party > 1)
				f->p_party = 1;
		}
	}
	/* Evidence: sorted, unique; sensors of the evidence. */
	if (f->n_evidence)
		qsort(f->evidence, f->n_evidence, sizeof *f->evidence, cmp_i64);
	uint32_t m = 0;
	for (uint32_t i = 0; i < f->n_evidence; i++)
		if (m == 0 || f->evidence[i] != f->evidence[m - 1])
			f->evidence[m++] = f->evidence[i];
	f->n_evidence = m;
	for (uint32_t i = 0; i < f->n_evidence; i++)
		mark_sensor(a, c, log_sensor(a, f->evidence[i]));
	uint32_t mods = 0;
	uint8_t *own = calloc(a->n_owners + 1, 1);
	if (!own)
		return vg_err_set(err, VG_ERR_NOMEM, "adjudicator");
	f->n_sensors = f->n_owners = 0;
	for (uint32_t s = 0; s < a->n_sensors; s++)
		if (c->sens_seen[s]) {
			f->n_sensors++;
			mods |= 1u << a->sensors[s].modality;
			if (!own[a->sensors[s].owner]) {
				own[a->sensors[s].owner] = 1;
				f->n_owners++;
			}
		}
	free(own);
	if (c->pseudo_acoustic && !(mods & (1u << VG_MOD_ACOUSTIC | 1u << VG_MOD_ACOUSTIC_ARRAY))) {
		/* an event located by the acoustic network (>= 3 arrivals) whose
		 * arrivals we were not told */
		mods |= 1u << VG_MOD_ACOUSTIC;
		f->n_sensors += 3;
	}
	/* Arrays and single acoustic nodes are one modality (sound). */
	if (mods & (1u << VG_MOD_ACOUSTIC_ARRAY)) {
		mods &= ~(1u << VG_MOD_ACOUSTIC_ARRAY);
		mods |= 1u << VG_MOD_ACOUSTIC;
	}
	f->n_modalities = (uint32_t)__builtin_popcount(mods);
	f->grade = f->n_modalities >= 2 || f->n_owners >= 2 ? VG_GRADE_CONFIRMED
	           : f->n_sensors >= 2                      ? VG_GRADE_PROBABLE
	                                                    : VG_GRADE_POSSIBLE;
	/* Class: the plurality of the items' classes. */
	if (!f->class_name[0]) {
		int bc = 0;
		uint32_t bv = 0;
		for (int k = 1; k < VG_CLS_COUNT_; k++)
			if (c->cls_votes[k] > bv) {
				bv = c->cls_votes[k];
				bc = k;
			}
		if (bc)
			snprintf(f->class_name, sizeof f->class_name, "%s", vg_object_class_name(bc));
	}
	free(c->sens_seen);
	c->sens_seen = NULL;
	if (out->n == out->cap) {
		uint32_t nc = out->cap ? out->cap * 2 : 64;
		void *np = realloc(out->v, nc * sizeof *out->v);
		if (!np) {
			vg_finding_clear(f);
			return vg_err_set(err, VG_ERR_NOMEM, "findings");
		}
		out->v = np;
		out->cap = nc;
	}
	out->v[out->n++] = *f;
	memset(f, 0, sizeof *f);
	return VG_OK;
}

/* ---- no_fire ------------------------------------------------------------------- */

static vg_status add_loc_to(vg_adjudicator *a, struct acc *c, const struct loc_item *L, bool pos,
                            bool party, struct vg_err *err)
{
	vg_status st;
	if (!c->f.from_ns && !c->f.until_ns)
		c->f.from_ns = c->f.until_ns = L->t;
	if (L->t < c->f.from_ns)
		c->f.from_ns = L->t;
	if (L->t > c->f.until_ns)
		c->f.until_ns = L->t;
	if (pos) {
		/* the anchor of its id: the lowest log index of the items that
		 * place it (name_findings) */
		int64_t lo = L->log_index;
		for (uint32_t i = 0; i < L->n_ev; i++)
			if (L->ev[i] >= 0 && (lo < 0 || L->ev[i] < lo))
				lo = L->ev[i];
		if (lo >= 0 && (!c->f.anchor_type || lo < c->f.anchor)) {
			c->f.anchor = lo;
			c->f.anchor_type = L->type;
		}
		acc_pos(c, L->lat, L->lon, L->cov);
		c->last_t = L->t;
		c->last_lat = c->sum_lat / c->n_pos;
		c->last_lon = c->sum_lon / c->n_pos;
		c->f.count++;
		if (L->cls > 0 && L->cls < VG_CLS_COUNT_)
			c->cls_votes[L->cls]++;
	}
	if (party) {
		for (uint32_t p = 0; p < a->ag->n_parties; p++)
			c->p_sum[p] += L->p[p];
		c->n_p++;
	}
	mark_sensor(a, c, L->sensor);
	if ((st = acc_evidence(c, L->log_index, err)))
		return st;
	for (uint32_t i = 0; i < L->n_ev; i++)
		if ((st = acc_evidence(c, L->ev[i], err)))
			return st;
	if (L->sensor < 0 && L->n_ev == 0 && !L->external)
		c->pseudo_acoustic = true;
	return acc_event_id(c, L->id, err);
}

/* Cluster items of the given types in time order: an item joins the open
 * cluster nearest to it within cluster_m whose last item is at most gap_s
 * older. */
static vg_status cluster_items(vg_adjudicator *a, const struct vg_ag_rule *r, int vi, uint32_t types,
                               int party_mode, struct acc **accs, uint32_t *n_acc, uint32_t *cap_acc,
                               bool attach_only, uint32_t base, struct vg_err *err)
{
	const struct vg_agreement *ag = a->ag;
	int64_t gap = (int64_t)(r->gap_s * 1e9);
	int64_t vfrom = ag->versions[vi].effective_ns;
	int64_t vto = vi + 1 < (int)ag->n_versions ? ag->versions[vi + 1].effective_ns : INT64_MAX;
	uint32_t first_open = base;
	vg_status st;
	for (uint32_t i = 0; i < a->n_loc; i++) {
		struct loc_item *L = &a->loc[i];
		if (!(types & (1u << L->type)) || L->t < vfrom || L->t >= vto || L->cluster >= 0)
			continue;
		if (attach_only) {
			/* impacts: join the launch cluster (any open within 300 s
			 * after its last launch) nearest in place, within 80 km */
			int best = -1;
			double bd = 80000;
			for (uint32_t k = base; k < *n_acc; k++) {
				struct acc *c = &(*accs)[k];
				/* not a mission too small to be a finding: the impact
				 * would be lost with it (it finds a mission, or its own) */
				if (c->f.count < r->min_items)
					continue;
				if (L->t < c->f.from_ns - 5 * VG_NS_PER_S || L->t > c->last_t + 300 * VG_NS_PER_S)
					continue;
				double d = near_m(L->lat, L->lon, c->last_lat, c->last_lon);
				if (d < bd) {
					bd = d;
					best = (int)k;
				}
			}
			if (best >= 0) {
				L->cluster = best;
				if ((st = add_loc_to(a, &(*accs)[best], L, false, false, err)))
					return st;
			}
			continue;
		}
		while (first_open < *n_acc && (*accs)[first_open].last_t + gap < L->t)
			first_open++;
		/* The join distance grows with the item's own uncertainty (a
		 * poorly located launch of a battery still belongs to its
		 * mission): cluster_m + 3 sigma, at most 2 cluster_m. */
		double sig = sqrt(0.5 * (L->cov[0][0] + L->cov[1][1]));
		double gate = r->cluster_m + 3 * (isfinite(sig) ? sig : 0);
		if (gate > 2 * r->cluster_m)
			gate = 2 * r->cluster_m;
		int best = -1;
		double bd = gate;
		for (uint32_t k = first_open; k < *n_acc; k++) {
			struct acc *c = &(*accs)[k];
			if (c->last_t + gap < L->t)
				continue;
			double d = near_m(L->lat, L->lon, c->last_lat, c->last_lon);
			if (d <= bd) {
				bd = d;
				best = (int)k;
			}
		}
		if (best < 0) {
			if (*n_acc == *cap_acc) {
				uint32_t nc = *cap_acc ? *cap_acc * 2 : 64;
				void *np = realloc(*accs, nc * sizeof **accs);
				if (!np)
					return vg_err_set(err, VG_ERR_NOMEM, "clusters");
				*accs = np;
				*cap_acc = nc;
			}
			if ((st = acc_init(a, &(*accs)[*n_acc], r, ag->versions[vi].version, err)))
				return st;
			best = (int)(*n_acc)++;
		}
		L->cluster = best;
		/* Attribution of this item to a side. */
		if (party_mode) {
			double p[VG_AG_MAX_PARTIES];
			vg_agreement_attribute(ag, L->lat, L->lon, L->cov, p);
			if (party_mode == 2 && ag->n_parties == 2) {
				/* an impact: fired from the other side */
				double t0 = p[0];
				p[0] = p[1];
				p[1] = t0;
			}
			memcpy(L->p, p, sizeof L->p);
		}
		/* keep the cluster list ordered by last_t for the open window:
		 * clusters are appended in time order and last_t only grows, so
		 * a linear scan from first_open is enough */
		if ((st = add_loc_to(a, &(*accs)[best], L, true, party_mode != 0, err)))
			return st;
	}
	return VG_OK;
}

static int cmp_loc_id(const void *x, const void *y)
{
	const struct loc_item *p = *(const struct loc_item *const *)x, *q = *(const struct loc_item *const *)y;
	return strcmp(p->id, q->id);
}

/* Impacts fusion paired with a launch (time of flight and range of one
 * weapon: docs/fusion.md) join that launch's mission; a nearest-place
 * guess would give them to whichever battery is closest to where they
 * fell, splitting the mission into a launch finding and an impact one. */
static vg_status attach_pairs(vg_adjudicator *a, struct acc *accs, uint32_t n_launch, uint32_t ie,
                              uint32_t min_items, struct vg_err *err)
{
	vg_status st = VG_OK;
	for (uint32_t i = 0; !st && i < a->n_loc; i++) {
		struct loc_item *L = &a->loc[i];
		if (L->mate < 0)
			continue;
		struct loc_item *P = &a->loc[L->mate];
		/* one is the launch (in a launch cluster), the other the impact */
		struct loc_item *launch = L->type == VG_EVT_LAUNCH ? L : P->type == VG_EVT_LAUNCH ? P : NULL;
		struct loc_item *impact = launch == L ? P : L;
		if (!launch || !(ie & (1u << impact->type)) || impact->cluster >= 0 || launch->cluster < 0 ||
		    (uint32_t)launch->cluster >= n_launch || accs[launch->cluster].f.count < min_items)
			continue;
		impact->cluster = launch->cluster;
		st = add_loc_to(a, &accs[launch->cluster], impact, false, false, err);
	}
	return st;
}

static vg_status rule_no_fire(vg_adjudicator *a, const struct vg_ag_rule *r, int vi,
                              struct vg_findings *out, struct vg_err *err)
{
	struct acc *accs = NULL;
	uint32_t n = 0, cap = 0;
	vg_status st = VG_OK;
	for (uint32_t i = 0; i < a->n_loc; i++)
		a->loc[i].cluster = -1;
	/* 1. launches: missions by place and time; party by side. */
	uint32_t base = 0;
	if (r->types & (1u << VG_EVT_LAUNCH))
		st = cluster_items(a, r, vi, 1u << VG_EVT_LAUNCH, 1, &accs, &n, &cap, false, base, err);
	uint32_t n_launch = n;
	/* 2. impacts and explosions join a mission when they can. */
	uint32_t ie = r->types & (1u << VG_EVT_IMPACT | 1u << VG_EVT_EXPLOSION);
	if (!st && ie && n_launch)
		st = attach_pairs(a, accs, n_launch, ie, r->min_items, err);
	if (!st && ie && n_launch)
		st = cluster_items(a, r, vi, ie, 0, &accs, &n, &cap, true, 0, err);
	/* A launch cluster too small to be a finding (a lone, perhaps false,
	 * launch) must not swallow the impacts that joined it: they go back
	 * and form their own clusters below. */
	for (uint32_t i = 0; !st && i < a->n_loc; i++) {
		struct loc_item *L = &a->loc[i];
		if (L->cluster >= 0 && (uint32_t)L->cluster < n_launch && (ie & (1u << L->type)) &&
		    accs[L->cluster].f.count < r->min_items)
			L->cluster = -1;
	}
	/* 3. the rest form their own clusters: impacts fired from the other
	 * side, explosions undecided (no party), fires no party. */
	if (!st && (r->types & (1u << VG_EVT_IMPACT)))
		st = cluster_items(a, r, vi, 1u << VG_EVT_IMPACT, 2, &accs, &n, &cap, false, n, err);
	if (!st && (r->types & (1u << VG_EVT_EXPLOSION)))
		st = cluster_items(a, r, vi, 1u << VG_EVT_EXPLOSION, 0, &accs, &n, &cap, false, n, err);
	if (!st && (r->types & (1u << VG_EVT_FIRE)))
		st = cluster_items(a, r, vi, 1u << VG_EVT_FIRE, 0, &accs, &n, &cap, false, n, err);
	for (uint32_t k = 0; k < n; k++) {
		/* Located reports that placed it: launches (or, for a cluster of
		 * impacts, impacts); attached impacts do not count. A lone
		 * uncorroborated report (a radar's false track, a false fusion
		 * event) is not a finding. */
		uint32_t items = accs[k].f.count; /* launches (or impacts) that placed it */
		if (!st && items >= r->min_items)
			st = acc_finish(a, &accs[k], true, out, err);
		else
			acc_drop(&accs[k]);
	}
	free(accs);
	return st;
}

/* ---- Presence rules: withdrawal, no_fly, disengagement ------------------------- */

static bool in_holding(const struct vg_agreement *ag, int party, double lat, double lon)
{
	for (uint32_t k = 0; k < ag->n_features; k++) {
		const struct vg_ag_feature *F = &ag->features[k];
		if (F->role == VG_ROLE_ZONE && F->party == party && !strcmp(F->zone, "holding_area") &&
		    vg_geo_area_contains(F->area, lat, lon))
			return true;
	}
	return false;
}

static bool in_rule_zone(const struct vg_agreement *ag, const struct vg_ag_rule *r, double lat,
                         double lon)
{
	for (uint32_t z = 0; z < r->n_zones; z++)
		if (vg_geo_area_contains(ag->features[r->zone[z]].area, lat, lon))
			return true;
	return false;
}

/* Is item P, whatever its class, where rule r forbids it (side, zone,
 * distance to the party's reference line, holding areas, monitoring
 * drones)? Sets *party (side) and *dist. */
static bool presence_place(const vg_adjudicator *a, const struct vg_ag_rule *r,
                           const struct pt_item *P, int *party, double *dist)
{
	const struct vg_agreement *ag = a->ag;
	struct vg_place pl;
	vg_agreement_place(ag, P->lat, P->lon, &pl);
	*party = pl.side;
	*dist = pl.line_dist_m;
	if (r->type == VG_RULE_DISENGAGEMENT || r->type == VG_RULE_NO_NEW_FORTIFICATION)
		return in_rule_zone(ag, r, P->lat, P->lon);
	if (pl.side < 0)
		return false;
	if (r->exempt_holding && r->type == VG_RULE_WITHDRAWAL && in_holding(ag, pl.side, P->lat, P->lon))
		return false;
	if (r->exempt_monitoring && P->cls == VG_CLS_UAV) {
		/* a registered monitoring drone seen by another sensor: within
		 * 500 m and 120 s of a position it reported of itself */
		for (uint32_t i = 0; i < a->n_mon; i++)
			if (llabs(a->mon[i].t - P->t) <= 120 * VG_NS_PER_S &&
			    near_m(a->mon[i].lat, a->mon[i].lon, P->lat, P->lon) <= 500)
				return false;
	}
	const struct vg_ag_feature *L = &ag->features[r->ref_line[pl.side]];
	double d = L->line == ag->features[ag->contact_line].line
	               ? pl.line_dist_m
	               : vg_geo_line_distance(L->line, P->lat, P->lon, NULL);
	*dist = d;
	return d < r->distance_m[pl.side];
}

/* Is item P a candidate for rule r: of its classes (or a fortification),
 * and where the rule forbids it? */
static bool presence_candidate(const vg_adjudicator *a, const struct vg_ag_rule *r,
                               const struct pt_item *P, int *party, double *dist)
{
	if (r->type == VG_RULE_NO_NEW_FORTIFICATION || (r->type == VG_RULE_DISENGAGEMENT && P->kind == VG_OBS_CHANGE)) {
		if (P->kind != VG_OBS_CHANGE || P->cls != VG_CHG_FORTIFICATION)
			return false;
		if (r->type == VG_RULE_DISENGAGEMENT && !r->types)
			return false;
	} else {
		if (P->kind != VG_OBS_DETECTION || P->cls <= 0 || !(r->classes & VG_CLASS_BIT(P->cls)))
			return false;
	}
	return presence_place(a, r, P, party, dist);
}

/*
 * A located launch as a sighting of its weapon (withdrawal): a gun that
 * fires is seen where it fires. Fusion pairs a launch with its impact by
 * range and time of flight and names every weapon class that fits the pair
 * (a 152 mm and a 122 mm gun fly alike); the launch counts for rule r if
 * the best-fitting class is one of r's, the launch is where r forbids it,
 * and every class that fits is forbidden there by some withdrawal rule of
 * the version: a launch that may be of a class allowed there proves
 * nothing. Unpaired launches (no class) and radar reports alone (the
 * radar's class guess) are not sightings.
 */
/* presence_place for a sighting launch, from its place computed once
 * (place_classes): on its side, within r's distance of the side's
 * reference line, outside its holding areas if r exempts them. */
static bool launch_forbidden(const vg_adjudicator *a, const struct vg_ag_rule *r,
                             const struct loc_item *L, double *dist, bool *approx)
{
	const struct vg_agreement *ag = a->ag;
	*dist = L->line_m;
	*approx = L->line_err_m > 0;
	if (L->side < 0 || (r->exempt_holding && L->holding))
		return false;
	const struct vg_ag_feature *R = &ag->features[r->ref_line[L->side]];
	double lim = r->distance_m[L->side];
	if (R->line != ag->features[ag->contact_line].line ||
	    (*approx && fabs(*dist - lim) <= L->line_err_m)) { /* another line, or too close to tell */
		*dist = vg_geo_line_distance(R->line, L->lat, L->lon, NULL);
		*approx = false;
	}
	return *dist < lim;
}

static bool launch_candidate(const vg_adjudicator *a, const struct vg_ag_rule *r, int vi,
                             const struct loc_item *L, int *party, double *dist, bool *approx)
{
	if (r->type != VG_RULE_WITHDRAWAL || L->scls <= 0 || !(r->classes & VG_CLASS_BIT(L->scls)))
		return false;
	*party = L->side;
	if (!launch_forbidden(a, r, L, dist, approx))
		return false;
	const struct vg_ag_version *v = &a->ag->versions[vi];
	vg_class_mask all = L->classes | VG_CLASS_BIT(L->wcls);
	for (int k = 1; k < VG_CLS_COUNT_; k++) {
		if (!(all & VG_CLASS_BIT(k)))
			continue;
		bool forbidden = false;
		for (uint32_t q = 0; q < v->n_rules && !forbidden; q++) {
			const struct vg_ag_rule *r2 = &v->rules[q];
			double d2;
			bool a2;
			forbidden = r2->type == VG_RULE_WITHDRAWAL && (r2->classes & VG_CLASS_BIT(k)) &&
			            launch_forbidden(a, r2, L, &d2, &a2);
		}
		if (!forbidden)
			return false;
	}
	return true;
}

/* Distinct guns among a group's launches: the most launches within one
 * minute more than GUN_SEP_M from each other (a battery's guns stand 50 m
 * and more apart; one gun's rounds are located within metres). */
#define GUN_SEP_M 30.0
static uint32_t launch_guns(const vg_adjudicator *a, const uint32_t *li, uint32_t n)
{
	uint32_t most = 0;
	uint32_t *g = malloc((n + 1) * sizeof *g);
	if (!g)
		return n ? 1 : 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct loc_item *A = &a->loc[li[i]];
		uint32_t ng = 0;
		for (uint32_t j = i; j < n && a->loc[li[j]].t - A->t <= 60 * VG_NS_PER_S; j++) {
			const struct loc_item *B = &a->loc[li[j]];
			bool same = false;
			for (uint32_t k = 0; k < ng && !same; k++)
				same = near_m(B->lat, B->lon, a->loc[g[k]].lat, a->loc[g[k]].lon) < GUN_SEP_M;
			if (!same)
				g[ng++] = li[j];
		}
		if (ng > most)
			most = ng;
	}
	free(g);
	return most;
}

/* Withdrawal: the group a generic `vehicle` detection P supports, -1 none.
 * A detector that cannot tell a weapon's type reports `vehicle` (the
 * simulator's drones: 15 % of their reports); in the frame of a group's
 * own-class detections (same sensor, within 60 s, within cluster_m of one
 * of them, at a place the rule forbids) it is most likely one of the
 * group's weapons, so it counts as a sighting of the group. Alone, or in a
 * frame without a detection of the rule's classes, it is nothing. */
static int vehicle_support(const vg_adjudicator *a, const struct vg_ag_rule *r, uint32_t i,
                           const int *assign, const int *acc_party)
{
	const struct pt_item *P = &a->pts[i];
	int party;
	double dist;
	if (P->kind != VG_OBS_DETECTION || P->cls != VG_CLS_VEHICLE || (r->classes & VG_CLASS_BIT(P->cls)) ||
	    !presence_place(a, r, P, &party, &dist))
		return -1;
	const int64_t frame = 60 * VG_NS_PER_S;
	int best = -1;
	double bd = r->cluster_m;
	uint32_t j = i;
	while (j > 0 && P->t - a->pts[j - 1].t <= frame)
		j--;
	for (; j < a->n_pts && a->pts[j].t - P->t <= frame; j++) {
		const struct pt_item *Q = &a->pts[j];
		if (assign[j] < 0 || Q->sensor != P->sensor || acc_party[assign[j]] != party)
			continue;
		double d = near_m(P->lat, P->lon, Q->lat, Q->lon);
		if (d <= bd) {
			bd = d;
			best = assign[j];
		}
	}
	return best;
}

/* The places of group k's sightings into pos: its detections and launches
 * first (the count returned in *n_own), then, with sup, the generic
 * vehicles that support it. Returns the total. */
static uint32_t group_places(const vg_adjudicator *a, const int *assign, const int *sup,
                             const int *assign_loc, int k, double (*pos)[2], uint32_t *n_own)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < a->n_pts; i++)
		if (assign[i] == k) {
			pos[m][0] = a->pts[i].lat;
			pos[m][1] = a->pts[i].lon;
			m++;
		}
	for (uint32_t j = 0; j < a->n_loc; j++)
		if (assign_loc[j] == k) {
			pos[m][0] = a->loc[j].lat;
			pos[m][1] = a->loc[j].lon;
			m++;
		}
	*n_own = m;
	for (uint32_t i = 0; sup && i < a->n_pts; i++)
		if (sup[i] == k) {
			pos[m][0] = a->pts[i].lat;
			pos[m][1] = a->pts[i].lon;
			m++;
		}
	return m;
}

/* Whether two of the m places lie within CORROB_M of each other (a pair is
 * usually among the first few: a battery's guns, a gun's rounds located
 * within metres; the whole square only when there is none). */
static bool corroborated(const double (*pos)[2], uint32_t m)
{
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = i + 1; j < m; j++)
			if (near_m(pos[i][0], pos[i][1], pos[j][0], pos[j][1]) <= CORROB_M)
				return true;
	return false;
}

/* The group in transit that sighting P continues, -1 none: of party,
 * seen only on the move, its last sighting before P within TRANSIT_GAP_NS,
 * P within reach of it (ROAD_MPS for the time between, at most
 * TRANSIT_MAX_M) and on its way: ahead of its last heading and at most
 * TRANSIT_CROSS_M to either side of that line, unless within PLACE_M of
 * where it was seen. The most recent such group, then the one P lies
 * nearest the line of. */
static int transit_group(const struct acc *accs, const int *acc_party, uint32_t n, int party,
                         const struct pt_item *P)
{
	int best = -1;
	int64_t bdt = INT64_MAX;
	double bx = INFINITY;
	for (uint32_t k = 0; k < n; k++) {
		const struct acc *c = &accs[k];
		int64_t dt = P->t - c->last_t;
		if (!c->open || !c->transit || acc_party[k] != party || dt <= 0 || dt > TRANSIT_GAP_NS || dt > bdt)
			continue;
		double d = near_m(c->last_lat, c->last_lon, P->lat, P->lon);
		if (d > fmin(ROAD_MPS * (double)dt / 1e9, TRANSIT_MAX_M) + PLACE_M)
			continue;
		double cross = 0;
		if (d > PLACE_M) {
			double az;
			vg_geo_inverse(c->last_lat, c->last_lon, P->lat, P->lon, &az);
			double off = (az - c->heading) * DEG;
			cross = fabs(d * sin(off));
			if (d * cos(off) <= 0 || cross > TRANSIT_CROSS_M)
				continue;
		}
		if (dt == bdt && cross >= bx)
			continue;
		best = (int)k;
		bdt = dt;
		bx = cross;
	}
	return best;
}

static vg_status rule_presence(vg_adjudicator *a, const struct vg_ag_rule *r, int vi,
                               struct vg_findings *out, struct vg_err *err)
{
	const struct vg_agreement *ag = a->ag;
	int64_t vfrom = ag->versions[vi].effective_ns;
	int64_t vto = vi + 1 < (int)ag->n_versions ? ag->versions[vi + 1].effective_ns : INT64_MAX;
	bool fort = r->type == VG_RULE_NO_NEW_FORTIFICATION;
	int64_t gap = fort ? INT64_MAX / 4 : (int64_t)(r->gap_s * 1e9);
	uint32_t min_s = fort ? 1 : r->min_sightings;
	struct acc *accs = NULL;
	int *acc_party = NULL;
	double *acc_mind = NULL;
	uint32_t n = 0, cap = 0;
	vg_status st = VG_OK;
	int *assign = malloc((a->n_pts + 1) * sizeof *assign);
	int *assign_loc = malloc((a->n_loc + 1) * sizeof *assign_loc);
	if (!assign || !assign_loc) {
		free(assign);
		free(assign_loc);
		return vg_err_set(err, VG_ERR_NOMEM, "clusters");
	}
	for (uint32_t i = 0; i < a->n_pts; i++)
		assign[i] = -1;
	for (uint32_t j = 0; j < a->n_loc; j++)
		assign_loc[j] = -1;
	/* detections (pts) and, for withdrawal, located launches (loc), both
	 * in time order, merged (a detection first at equal times) */
	bool launches = r->type == VG_RULE_WITHDRAWAL;
	for (uint32_t i = 0, j = 0; (i < a->n_pts || (launches && j < a->n_loc)) && !st;) {
		bool take_loc = launches && j < a->n_loc && (i >= a->n_pts || a->loc[j].t < a->pts[i].t);
		const struct loc_item *L = take_loc ? &a->loc[j] : NULL;
		struct pt_item lp;
		const struct pt_item *P = &lp;
		uint32_t li = j;
		if (take_loc) {
			j++;
			memset(&lp, 0, sizeof lp);
			lp.kind = VG_OBS_FIRE;
			lp.t = L->t;
			lp.lat = L->lat;
			lp.lon = L->lon;
			double sg = sqrt(0.5 * (L->cov[0][0] + L->cov[1][1]));
			lp.sigma = sg > 1 ? sg : 1;
			lp.cls = L->scls;
			lp.sensor = -1;
			lp.log_index = -1;
		} else {
			P = &a->pts[i++];
		}
		if (P->t < vfrom || P->t >= vto)
			continue;
		int party;
		double dist;
		bool approx = false;
		if (take_loc ? !launch_candidate(a, r, vi, L, &party, &dist, &approx)
		             : !presence_candidate(a, r, P, &party, &dist))
			continue;
		int best = -1;
		double bd = r->cluster_m;
		for (uint32_t k = 0; k < n; k++) {
			struct acc *c = &accs[k];
			if (!c->open || acc_party[k] != party)
				continue;
			/* a gun firing again where the group's launches were located
			 * (to metres), or a weapon seen there (to within PLACE_M / 3),
			 * is the same weapon seen again, even after a longer silence */
			double ds = INFINITY;
			if (P->sigma <= PLACE_M / 3 && c->n_spots && c->fire_t + PLACE_GAP_NS >= P->t)
				for (uint32_t q = 0; q < c->n_spots; q++)
					ds = fmin(ds, near_m(P->lat, P->lon, c->spot[q][0], c->spot[q][1]));
			bool same_spot = ds <= PLACE_M;
			if (c->last_t + gap < P->t && !same_spot)
				continue;
			double d = fmin(near_m(P->lat, P->lon, c->last_lat, c->last_lon), ds);
			if (d <= bd) {
				bd = d;
				best = (int)k;
			}
		}
		if (best < 0 && r->type == VG_RULE_WITHDRAWAL)
			best = transit_group(accs, acc_party, n, party, P);
		if (best < 0) {
			if (n == cap) {
				uint32_t nc = cap ? cap * 2 : 64;
				void *np = realloc(accs, nc * sizeof *accs);
				void *pp = realloc(acc_party, nc * sizeof *acc_party);
				void *dp = realloc(acc_mind, nc * sizeof *acc_mind);
				if (np)
					accs = np;
				if (pp)
					acc_party = pp;
				if (dp)
					acc_mind = dp;
				if (!np || !pp || !dp) {
					st = vg_err_set(err, VG_ERR_NOMEM, "clusters");
					break;
				}
				cap = nc;
			}
			if ((st = acc_init(a, &accs[n], r, ag->versions[vi].version, err)))
				break;
			acc_party[n] = party;
			acc_mind[n] = INFINITY;
			struct acc *c = &accs[n];
			/* where the weapons were first seen in violation */
			c->f.lat_deg = P->lat;
			c->f.lon_deg = P->lon;
			c->f.cov_m2[0][0] = c->f.cov_m2[1][1] = P->sigma * P->sigma;
			c->f.from_ns = P->t;
			best = (int)n++;
		}
		struct acc *c = &accs[best];
		if (take_loc)
			assign_loc[li] = best;
		else
			assign[i - 1] = best;
		/* the smallest distance seen; a launch's from a neighbour's
		 * measurement (line_err_m) is made exact at the end */
		if (!approx && dist < acc_mind[best])
			acc_mind[best] = dist;
		c->f.until_ns = P->t;
		c->last_t = P->t;
		c->last_lat = P->lat;
		c->last_lon = P->lon;
		double cv[2][2] = {{P->sigma * P->sigma, 0}, {0, P->sigma * P->sigma}};
		if (take_loc)
			memcpy(cv, L->cov, sizeof cv);
		bool moving = !take_loc && P->kind == VG_OBS_DETECTION && P->speed >= MOVING_MPS &&
		              isfinite(P->heading);
		c->transit = (c->n_pos == 0 || c->transit) && moving;
		if (moving)
			c->heading = P->heading;
		acc_pos(c, P->lat, P->lon, cv);
		c->conf_own += take_loc ? 1.0 : P->conf;
		if ((P->kind == VG_OBS_DETECTION || take_loc) && P->cls > 0 && P->cls < VG_CLS_COUNT_)
			c->cls_votes[P->cls]++;
		double p[VG_AG_MAX_PARTIES];
		vg_agreement_attribute(ag, P->lat, P->lon, cv, p);
		for (uint32_t q = 0; q < ag->n_parties; q++)
			c->p_sum[q] += p[q];
		c->n_p++;
		if (take_loc) {
			c->fire_t = P->t;
			bool known = false;
			for (uint32_t q = 0; q < c->n_spots && !known; q++)
				known = near_m(P->lat, P->lon, c->spot[q][0], c->spot[q][1]) <= PLACE_M;
			if (!known && c->n_spots < ACC_SPOTS) {
				c->spot[c->n_spots][0] = P->lat;
				c->spot[c->n_spots][1] = P->lon;
				c->n_spots++;
			}
			/* the launch's arrivals and radar reports are the evidence */
			for (uint32_t e = 0; e < L->n_ev && !st; e++)
				st = acc_evidence(c, L->ev[e], err);
			if (L->n_ev == 0)
				c->pseudo_acoustic = true;
			if (!st)
				st = acc_event_id(c, L->id, err);
			continue;
		}
		mark_sensor(a, c, P->sensor);
		st = acc_evidence(c, P->log_index, err);
	}
	/* Generic vehicles in a group's frames: sightings of it (withdrawal). */
	uint32_t *n_support = calloc(n + 1, sizeof *n_support);
	int *sup = launches ? malloc((a->n_pts + 1) * sizeof *sup) : NULL;
	double (*gpos)[2] = launches ? malloc((a->n_pts + a->n_loc + 1) * sizeof *gpos) : NULL;
	if (launches && (!sup || !gpos) && !st)
		st = vg_err_set(err, VG_ERR_NOMEM, "clusters");
	for (uint32_t i = 0; sup && i < a->n_pts; i++)
		sup[i] = -1;
	uint32_t *assign_loc_tmp = malloc((a->n_loc + 1) * sizeof *assign_loc_tmp);
	if ((!n_support || !assign_loc_tmp) && !st)
		st = vg_err_set(err, VG_ERR_NOMEM, "clusters");
	for (uint32_t i = 0; i < a->n_pts && !st && r->type == VG_RULE_WITHDRAWAL; i++) {
		const struct pt_item *P = &a->pts[i];
		if (P->t < vfrom || P->t >= vto || assign[i] >= 0)
			continue;
		int k = vehicle_support(a, r, i, assign, acc_party);
		if (k < 0)
			continue;
		n_support[k]++;
		sup[i] = k;
		mark_sensor(a, &accs[k], P->sensor);
		st = acc_evidence(&accs[k], P->log_index, err);
	}
	/* Filter and finish. */
	for (uint32_t k = 0; k < n; k++) {
		struct acc *c = &accs[k];
		/* withdrawal: the sightings' class confidences (a located launch
		 * 1) must add up to one weapon of the class at least: two
		 * doubtful reports of a gun among a column of APCs are not one */
		bool keep = !st && c->n_pos + n_support[k] >= min_s &&
		            (r->type != VG_RULE_WITHDRAWAL || c->conf_own >= 1.0 - 1e-9) &&
		            (double)(c->f.until_ns - c->f.from_ns) / 1e9 >= r->min_duration_s;
		uint32_t n_own = 0, n_all = 0;
		if (keep && launches) {
			n_all = group_places(a, assign, sup, assign_loc, (int)k, gpos, &n_own);
			if (min_s > 1)
				keep = corroborated((const double (*)[2])gpos, n_all);
		}
		if (keep && !fort && (r->type != VG_RULE_DISENGAGEMENT)) {
			/* Class vote: detections of other specific classes at the same
			 * place and time must not outnumber this class (no_fly), or for
			 * withdrawal, weighed by their class confidence, must weigh less
			 * than the group's own (a located launch weighs 1): one vehicle
			 * of a tank company called artillery, the others tanks or just
			 * vehicles, is not a battery. */
			double other = 0;
			uint32_t n_other = 0;
			double cl = c->sum_lat / c->n_pos, co = c->sum_lon / c->n_pos;
			for (uint32_t i = 0; i < a->n_pts; i++) {
				const struct pt_item *P = &a->pts[i];
				if (P->kind != VG_OBS_DETECTION || P->t < c->f.from_ns || P->t > c->f.until_ns ||
				    P->cls <= 0 || P->cls == VG_CLS_VEHICLE || (r->classes & VG_CLASS_BIT(P->cls)))
					continue;
				/* withdrawal: near any of its sightings (a column and where
				 * it parked are not one place); no_fly: near its mean */
				bool near = false;
				if (launches)
					for (uint32_t q = 0; q < n_own && !near; q++)
						near = near_m(P->lat, P->lon, gpos[q][0], gpos[q][1]) <= r->cluster_m;
				else
					near = near_m(P->lat, P->lon, cl, co) <= r->cluster_m;
				if (near) {
					other += P->conf;
					n_other++;
				}
			}
			if (launches ? other > 0 && other >= c->conf_own : n_other > c->n_pos)
				keep = false;
		}
		if (!keep) {
			acc_drop(c);
			continue;
		}
		/* Repeated sightings of the same weapon count once: the count is
		 * the most detections one sensor made within one minute (one
		 * frame of one drone, one scene of one satellite). */
		uint32_t most = 0;
		for (uint32_t i = 0; i < a->n_pts; i++) {
			if (assign[i] != (int)k)
				continue;
			uint32_t same = 0;
			for (uint32_t j = i; j < a->n_pts && a->pts[j].t - a->pts[i].t <= 60 * VG_NS_PER_S; j++)
				if (assign[j] == (int)k && a->pts[j].sensor == a->pts[i].sensor)
					same++;
			if (same > most)
				most = same;
		}
		if (launches) {
			/* the guns seen firing: a count of weapons too */
			uint32_t nl = 0;
			for (uint32_t j = 0; j < a->n_loc; j++)
				if (assign_loc[j] == (int)k)
					assign_loc_tmp[nl++] = j;
			uint32_t guns = launch_guns(a, assign_loc_tmp, nl);
			if (guns > most)
				most = guns;
			/* the smallest distance exactly: measure the launches whose
			 * distance, within its error, may be the smallest */
			double U = acc_mind[k];
			for (uint32_t q = 0; q < nl; q++) {
				const struct loc_item *L = &a->loc[assign_loc_tmp[q]];
				if (L->line_err_m > 0)
					U = fmin(U, L->line_m + L->line_err_m);
			}
			const vg_geo_line *cl = ag->features[ag->contact_line].line;
			for (uint32_t q = 0; q < nl; q++) {
				const struct loc_item *L = &a->loc[assign_loc_tmp[q]];
				if (L->line_err_m > 0 && L->line_m - L->line_err_m <= U &&
				    ag->features[r->ref_line[L->side]].line == cl)
					acc_mind[k] = fmin(acc_mind[k], vg_geo_line_distance(cl, L->lat, L->lon, NULL));
			}
		}
		c->f.count = most;
		if (r->type == VG_RULE_WITHDRAWAL || r->type == VG_RULE_NO_FLY) {
			if (!r->class_name[0] || vg_agreement_classes(NULL, r->class_name))
				c->f.class_name[0] = '\0'; /* plurality of the sightings */
			else
				snprintf(c->f.class_name, sizeof c->f.class_name, "%s", r->class_name);
		} else {
			snprintf(c->f.class_name, sizeof c->f.class_name, "%s", r->class_name);
		}
		if ((st = acc_finish(a, c, false, out, err)))
			continue;
		out->v[out->n - 1].line_dist_m = acc_mind[k];
	}
	free(accs);
	free(acc_party);
	free(acc_mind);
	free(assign);
	free(assign_loc);
	free(assign_loc_tmp);
	free(n_support);
	free(sup);
	free(gpos);
	return st;
}

/* ---- zone_cap ------------------------------------------------------------------- */

/* Counting distinct items from repeated sightings (docs/rules.md, zone_cap):
 *  - sightings of one window chain into groups as withdrawal's do (the
 *    nearest group whose last position is within cluster_m), with no time
 *    gap inside the window: a weapon parked all day and seen at 08:00 and
 *    20:00 is one group;
 *  - a group counts the items of its best frame, not its sightings: a
 *    frame is what one sensor saw within frame_s (one drone pass, one
 *    satellite scene), and inside a frame two sightings are the same item
 *    if they are within 3 combined sigmas plus speed_mps times their time
 *    apart (the same tank reported every 5 s by a drone's video is one
 *    tank; two tanks 100 m apart in one image are two);
 *  - a sighting that stands for a group (count n) and its repeats in the
 *    frame count max(n, ...), never the sum;
 *  - the window's count is the sum over its groups.
 * Each step merges when in doubt: the count is a lower bound of the items
 * present, so a finding (count > cap) does not rest on double counting. */

/* Is P in rule r's place: on the party's side, and in one of the zones or
 * in the band [min_distance_m, distance_m) from the party's line? */
static bool cap_place(const struct vg_agreement *ag, const struct vg_ag_rule *r,
                      const struct pt_item *P)
{
	if (!vg_geo_area_contains(ag->features[ag->side[r->party]].area, P->lat, P->lon))
		return false;
	if (r->n_zones)
		return in_rule_zone(ag, r, P->lat, P->lon);
	double d = vg_geo_line_distance(ag->features[r->ref_line[r->party]].line, P->lat, P->lon, NULL);
	return d >= r->min_distance_m && d < r->distance_m[r->party];
}

/* A group's sightings sorted by (sensor, pts index): pts are in time
 * order, so frames are runs of one sensor in time order. */
struct frame_key {
	int sensor;
	uint32_t idx;
};

static int cmp_frame(const void *x, const void *y)
{
	const struct frame_key *a = x, *b = y;
	if (a->sensor != b->sensor)
		return a->sensor < b->sensor ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

struct cap_item {
	double lat, lon, sigma;
	int64_t t;
	uint32_t count;
};

/* The count of one group: the most distinct items in one of its frames.
 * m: the group's sightings, sorted by cmp_frame. */
static uint64_t cap_group_count(const vg_adjudicator *a, const struct vg_ag_rule *r,
                                const struct frame_key *m, uint32_t n, struct cap_item *items)
{
	int64_t frame_ns = (int64_t)llround(r->frame_s * 1e9);
	uint64_t best = 0;
	for (uint32_t s = 0; s < n;) {
		const struct pt_item *F = &a->pts[m[s].idx];
		uint32_t e = s, n_items = 0;
		for (; e < n && m[e].sensor == F->sensor && a->pts[m[e].idx].t - F->t <= frame_ns; e++) {
			const struct pt_item *P = &a->pts[m[e].idx];
			int hit = -1;
			double hd = INFINITY;
			for (uint32_t k = 0; k < n_items; k++) {
				const struct cap_item *I = &items[k];
				double d = near_m(P->lat, P->lon, I->lat, I->lon);
				double gate = 3 * sqrt(P->sigma * P->sigma + I->sigma * I->sigma) +
				              r->speed_mps * (double)(P->t - I->t) / 1e9;
				if (d <= gate && d < hd) {
					hd = d;
					hit = (int)k;
				}
			}
			if (hit < 0)
				items[hit = (int)n_items++] = (struct cap_item){.count = 0};
			struct cap_item *I = &items[hit];
			I->lat = P->lat; /* follow the item */
			I->lon = P->lon;
			I->sigma = P->sigma;
			I->t = P->t;
			if (P->count > I->count)
				I->count = P->count;
		}
		uint64_t total = 0;
		for (uint32_t k = 0; k < n_items; k++)
			total += items[k].count;
		if (total > best)
			best = total;
		s = e;
	}
	return best;
}

/* One cap in one window [wfrom, wto): cand[0..n) are the rule's
 * candidates of the window in time order. */
static vg_status cap_window(vg_adjudicator *a, const struct vg_ag_rule *r, int vi,
                            const struct vg_ag_cap *cap, const uint32_t *cand, uint32_t n,
                            int64_t wfrom, int64_t wto, struct vg_findings *out, struct vg_err *err)
{
	const struct vg_agreement *ag = a->ag;
	vg_status st = VG_OK;
	/* Sightings of this cap's classes; if even their sum is within the
	 * cap, there is nothing to count. */
	uint32_t *m = malloc((n + 1) * sizeof *m);
	int *grp = malloc((n + 1) * sizeof *grp);
	if (!m || !grp) {
		free(m);
		free(grp);
		return vg_err_set(err, VG_ERR_NOMEM, "zone_cap");
	}
	uint32_t nm = 0;
	uint64_t upper = 0;
	for (uint32_t i = 0; i < n; i++)
		if (cap->classes & VG_CLASS_BIT(a->pts[cand[i]].cls)) {
			m[nm++] = cand[i];
			upper += a->pts[cand[i]].count;
		}
	if (upper <= cap->max)
		goto out;
	/* Groups: chains of sightings within cluster_m of the group's last
	 * position, in time order. */
	struct gpos {
		double lat, lon;
	} *gp = malloc((nm + 1) * sizeof *gp);
	struct frame_key *gm = malloc((nm + 1) * sizeof *gm);
	uint32_t *gstart = calloc(nm + 2, sizeof *gstart);
	struct cap_item *items = malloc((nm + 1) * sizeof *items);
	if (!gp || !gm || !gstart || !items) {
		st = vg_err_set(err, VG_ERR_NOMEM, "zone_cap");
		goto out_groups;
	}
	uint32_t ng = 0;
	for (uint32_t i = 0; i < nm; i++) {
		const struct pt_item *P = &a->pts[m[i]];
		int best = -1;
		double bd = r->cluster_m;
		for (uint32_t g = 0; g < ng; g++) {
			double d = near_m(P->lat, P->lon, gp[g].lat, gp[g].lon);
			if (d <= bd) {
				bd = d;
				best = (int)g;
			}
		}
		if (best < 0)
			best = (int)ng++;
		gp[best].lat = P->lat;
		gp[best].lon = P->lon;
		grp[i] = best;
	}
	/* Members of each group, contiguous (counting sort), then frames. */
	for (uint32_t i = 0; i < nm; i++)
		gstart[grp[i] + 1]++;
	for (uint32_t g = 0; g < ng; g++)
		gstart[g + 1] += gstart[g];
	{
		uint32_t *fill = calloc(ng + 1, sizeof *fill);
		if (!fill) {
			st = vg_err_set(err, VG_ERR_NOMEM, "zone_cap");
			goto out_groups;
		}
		for (uint32_t i = 0; i < nm; i++)
			gm[gstart[grp[i]] + fill[grp[i]]++] = (struct frame_key){a->pts[m[i]].sensor, m[i]};
		free(fill);
	}
	uint64_t total = 0;
	for (uint32_t g = 0; g < ng; g++) {
		struct frame_key *gs = gm + gstart[g];
		uint32_t k = gstart[g + 1] - gstart[g];
		qsort(gs, k, sizeof *gs, cmp_frame);
		total += cap_group_count(a, r, gs, k, items);
	}
	if (total <= cap->max)
		goto out_groups;

	/* A finding: the window, the place of the sightings, every sighting
	 * counted as evidence, the party bound by the cap. */
	struct acc c;
	if ((st = acc_init(a, &c, r, ag->versions[vi].version, err)))
		goto out_groups;
	double p_sum = 0;
	for (uint32_t i = 0; i < nm && !st; i++) {
		const struct pt_item *P = &a->pts[m[i]];
		double cv[2][2] = {{P->sigma * P->sigma, 0}, {0, P->sigma * P->sigma}};
		acc_pos(&c, P->lat, P->lon, cv);
		double p[VG_AG_MAX_PARTIES];
		vg_agreement_attribute(ag, P->lat, P->lon, cv, p);
		p_sum += p[r->party];
		mark_sensor(a, &c, P->sensor);
		st = acc_evidence(&c, P->log_index, err);
	}
	if (st) {
		acc_drop(&c);
		goto out_groups;
	}
	c.f.from_ns = wfrom;
	c.f.until_ns = wto;
	c.f.count = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
	c.f.has_cap = true;
	c.f.cap = cap->max;
	snprintf(c.f.class_name, sizeof c.f.class_name, "%s", cap->name);
	if ((st = acc_finish(a, &c, true, out, err)))
		goto out_groups;
	struct vg_finding *f = &out->v[out->n - 1];
	snprintf(f->party, sizeof f->party, "%s", ag->parties[r->party]);
	f->p_party = nm ? fmin(p_sum / nm, 1) : 1;
out_groups:
	free(gp);
	free(gm);
	free(gstart);
	free(items);
out:
	free(m);
	free(grp);
	return st;
}

static vg_status rule_zone_cap(vg_adjudicator *a, const struct vg_ag_rule *r, int vi,
                               struct vg_findings *out, struct vg_err *err)
{
	const struct vg_agreement *ag = a->ag;
	int64_t vfrom = ag->versions[vi].effective_ns;
	int64_t vto = vi + 1 < (int)ag->n_versions ? ag->versions[vi + 1].effective_ns : INT64_MAX;
	int64_t win = r->window_ns;
	/* The same grid of windows from an origin in [0, win): no overflow in
	 * t - origin. */
	int64_t origin = r->window_origin_ns % win;
	if (origin < 0)
		origin += win;
	uint32_t *cand = malloc((a->n_pts + 1) * sizeof *cand), nc = 0;
	if (!cand)
		return vg_err_set(err, VG_ERR_NOMEM, "zone_cap");
	for (uint32_t i = 0; i < a->n_pts; i++) {
		const struct pt_item *P = &a->pts[i];
		if (P->kind != VG_OBS_DETECTION || P->cls <= 0 || P->cls >= VG_CLS_COUNT_ ||
		    !(r->classes & VG_CLASS_BIT(P->cls)) || P->t < vfrom || P->t >= vto ||
		    !cap_place(ag, r, P))
			continue;
		cand[nc++] = i;
	}
	/* pts are in time order: each window is a run of candidates. */
	vg_status st = VG_OK;
	for (uint32_t s = 0; s < nc && !st;) {
		int64_t d = a->pts[cand[s]].t - origin;
		int64_t w = d / win - (d % win < 0);
		int64_t ws = origin + w * win;
		int64_t we = ws > INT64_MAX - win ? INT64_MAX : ws + win;
		uint32_t e = s;
		while (e < nc && a->pts[cand[e]].t < we)
			e++;
		for (uint32_t k = 0; k < r->n_caps && !st; k++)
			st = cap_window(a, r, vi, &r->caps[k], cand + s, e - s, ws > vfrom ? ws : vfrom,
			                we < vto ? we : vto, out, err);
		s = e;
	}
	free(cand);
	return st;
}

/* ---- Run ------------------------------------------------------------------------ */

static int cmp_finding(const void *x, const void *y)
{
	const struct vg_finding *a = x, *b = y;
	if (a->from_ns != b->from_ns)
		return a->from_ns < b->from_ns ? -1 : 1;
	if (a->rule != b->rule)
		return a->rule - b->rule;
	int c = strcmp(a->rule_id, b->rule_id);
	if (c)
		return c;
	if (a->lat_deg != b->lat_deg)
		return a->lat_deg < b->lat_deg ? -1 : 1;
	if (a->lon_deg != b->lon_deg)
		return a->lon_deg < b->lon_deg ? -1 : 1;
	if (a->until_ns != b->until_ns)
		return a->until_ns < b->until_ns ? -1 : 1;
	/* zone_cap: the caps of one window share place and time */
	return strcmp(a->class_name, b->class_name);
}

/* Fusion names a pair in its later-emitted event: each event that names
 * one learns its index (mate: no_fire attaches impacts to their launch's
 * mission by it), and a launch emitted first learns its weapon classes
 * from the impact that names it (launch sightings). */
static vg_status resolve_pairs(vg_adjudicator *a, struct vg_err *err)
{
	struct loc_item **by_id = malloc((a->n_loc + 1) * sizeof *by_id);
	if (!by_id)
		return vg_err_set(err, VG_ERR_NOMEM, "pairs");
	uint32_t m = 0;
	for (uint32_t i = 0; i < a->n_loc; i++)
		if (a->loc[i].id[0] && a->loc[i].sensor < 0)
			by_id[m++] = &a->loc[i];
	qsort(by_id, m, sizeof *by_id, cmp_loc_id);
	for (uint32_t i = 0; i < a->n_loc; i++) {
		struct loc_item *E = &a->loc[i];
		E->mate = -1;
		if (E->sensor >= 0 || !E->pair[0])
			continue;
		struct loc_item key, *kp = &key, **hit;
		snprintf(key.id, sizeof key.id, "%s", E->pair);
		hit = bsearch(&kp, by_id, m, sizeof *by_id, cmp_loc_id);
		if (!hit)
			continue;
		struct loc_item *P = *hit;
		E->mate = (int)(P - a->loc);
		P->paired = true;
		if (P->type == VG_EVT_LAUNCH && E->type != VG_EVT_LAUNCH && !P->wcls && !E->external) {
			P->classes = E->classes;
			P->wcls = E->cls;
		}
	}
	free(by_id);
	return VG_OK;
}

/*
 * The weapon class of each paired launch as its place says: a battery
 * fires one kind of gun, but in dense fire fusion pairs some launches with
 * another battery's impact, and the class that range and time of flight
 * fit is then another (on collapse about 3 % of the pairs). So each
 * paired launch takes the class most of the paired launches within
 * PLACE_M and PLACE_S of it fit best (itself included, ties to the lower
 * class), if its own pair fits that class too; else it is no sighting.
 * Two launches, at least, must agree.
 */
struct lat_idx {
	double lat;
	uint32_t i;
};

static int cmp_lat_idx(const void *x, const void *y)
{
	const struct lat_idx *p = x, *q = y;
	if (p->lat != q->lat)
		return p->lat < q->lat ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

static vg_status place_classes(vg_adjudicator *a, struct vg_err *err)
{
	struct lat_idx *ix = malloc((a->n_loc + 1) * sizeof *ix);
	uint32_t n = 0;
	if (!ix)
		return vg_err_set(err, VG_ERR_NOMEM, "launch classes");
	for (uint32_t i = 0; i < a->n_loc; i++) {
		struct loc_item *L = &a->loc[i];
		L->scls = 0;
		if (L->type == VG_EVT_LAUNCH && L->sensor < 0 && !L->external && L->paired && L->wcls > 0 &&
		    L->wcls < VG_CLS_COUNT_)
			ix[n++] = (struct lat_idx){L->lat, i};
	}
	qsort(ix, n, sizeof *ix, cmp_lat_idx);
	const double dlat = PLACE_M / 110000.0;
	for (uint32_t k = 0; k < n; k++) {
		struct loc_item *L = &a->loc[ix[k].i];
		uint32_t votes[VG_CLS_COUNT_] = {0};
		uint32_t lo = k;
		while (lo > 0 && L->lat - ix[lo - 1].lat <= dlat)
			lo--;
		for (uint32_t j = lo; j < n && ix[j].lat - L->lat <= dlat; j++) {
			const struct loc_item *M = &a->loc[ix[j].i];
			if (llabs(M->t - L->t) <= (int64_t)PLACE_S * VG_NS_PER_S &&
			    near_m(L->lat, L->lon, M->lat, M->lon) <= PLACE_M)
				votes[M->wcls]++;
		}
		int best = 0;
		for (int c = 1; c < VG_CLS_COUNT_; c++)
			if (votes[c] > votes[best])
				best = c;
		if (best && votes[best] >= 2 && ((L->classes | VG_CLASS_BIT(L->wcls)) & VG_CLASS_BIT(best))) {
			L->scls = best;
			/* its place, once: side and holding area exactly; the distance
			 * to the contact line (a geodesic search along the line,
			 * ~0.3 ms) from a launch measured within SPOT_M of it where
			 * there is one: a gun's rounds are located within metres, and
			 * the distance to a line moves by at most what the point
			 * does (line_err_m; launch_forbidden measures again where a
			 * limit is that close) */
			const struct vg_agreement *ag = a->ag;
			L->side = vg_agreement_side(ag, L->lat, L->lon);
			L->holding = L->side >= 0 && in_holding(ag, L->side, L->lat, L->lon);
			const struct loc_item *S = NULL;
			double ds = SPOT_M;
			for (uint32_t j = k; j-- > 0 && L->lat - ix[j].lat <= SPOT_M / 110000.0;) {
				const struct loc_item *M = &a->loc[ix[j].i];
				double d;
				if (M->scls && M->line_err_m == 0 && (d = near_m(L->lat, L->lon, M->lat, M->lon)) <= ds) {
					ds = d;
					S = M;
				}
			}
			if (S) {
				L->line_m = S->line_m;
				L->line_err_m = 1.01 * ds + 0.01; /* near_m's own error, and a centimetre */
			} else {
				L->line_m = vg_geo_line_distance(ag->features[ag->contact_line].line, L->lat, L->lon,
				                                 NULL);
				L->line_err_m = 0;
			}
		}
	}
	free(ix);
	return VG_OK;
}

/* A finding's id names what it rests on, not its place in the list, so that
 * it names the same finding in every later run over a grown log, in the
 * transparency log's statements, in reports and in analysts' notes: "f-"
 * and the first 16 hex digits of the SHA-256 of
 *
 *   v<agreement version>|<rule id>|<cap>|<anchor>[|<k>]
 *
 * <cap> the zone_cap cap's name ("" for other rules: the rule id and the
 * version name its classes; a finding's own class, a vote, may change as it
 * grows). <anchor> its first observation: for no_fire, the type and lowest
 * log index of the items that placed it ("launch:e1234"; one radar report
 * places a launch and an impact, two clusters); for the others, the lowest
 * log index of its evidence ("e1234"); without logged evidence, its
 * smallest event id ("ev<id>"); without events either, its start and place
 * ("t<ns>|<lat>|<lon>", 7 decimals). Observations logged later have higher
 * indices and leave the anchor alone. <k>: findings of one run with the same
 * key are numbered 1, 2, ... after the first, in output order. docs/rules.md
 * (Findings) says when an id does change. */
static void key_add(char *key, size_t cap, size_t *n, const char *fmt, ...) VG_PRINTF(4, 5);
static void key_add(char *key, size_t cap, size_t *n, const char *fmt, ...)
{
	if (*n >= cap - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(key + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n = *n + (size_t)w < cap - 1 ? *n + (size_t)w : cap - 1; /* cut, never past the end */
}

static const char *const anchor_type_name[] = {"", "launch", "impact", "explosion", "fire"};

static void finding_key_id(const struct vg_finding *f, uint32_t k, char id[24])
{
	char key[3 * VG_ID_MAX + 128];
	size_t n = 0;
	key_add(key, sizeof key, &n, "v%d|%s|%s|", f->agreement_version, f->rule_id,
	        f->rule == VG_RULE_ZONE_CAP ? f->class_name : "");
	if (f->anchor_type > 0 && f->anchor_type <= VG_EVT_FIRE)
		key_add(key, sizeof key, &n, "%s:e%lld", anchor_type_name[f->anchor_type], (long long)f->anchor);
	else if (f->n_evidence)
		key_add(key, sizeof key, &n, "e%lld", (long long)f->evidence[0]);
	else if (f->n_events) {
		const char *lo = f->events[0];
		for (uint32_t i = 1; i < f->n_events; i++)
			if (strcmp(f->events[i], lo) < 0)
				lo = f->events[i];
		key_add(key, sizeof key, &n, "ev%s", lo);
	} else {
		key_add(key, sizeof key, &n, "t%lld|%.7f|%.7f", (long long)f->from_ns, f->lat_deg, f->lon_deg);
	}
	if (k)
		key_add(key, sizeof key, &n, "|%u", k);
	uint8_t h[VG_SHA256_BYTES];
	vg_sha256((const uint8_t *)key, n, h);
	memcpy(id, "f-", 2);
	vg_hex_encode(h, 8, id + 2);
}

/* Ids, then places in the list (the pointers' order). */
static int cmp_id_at(const void *x, const void *y)
{
	const struct vg_finding *a = *(const struct vg_finding *const *)x,
	                        *b = *(const struct vg_finding *const *)y;
	int c = strcmp(a->id, b->id);
	return c ? c : (a > b) - (a < b);
}

static vg_status name_findings(struct vg_findings *out, struct vg_err *err)
{
	if (!out->n)
		return VG_OK;
	struct vg_finding **ord = malloc(out->n * sizeof *ord);
	uint32_t *rep = calloc(out->n, sizeof *rep);
	if (!ord || !rep) {
		free(ord);
		free(rep);
		vg_findings_free(out);
		return vg_err_set(err, VG_ERR_NOMEM, "finding ids");
	}
	for (uint32_t i = 0; i < out->n; i++) {
		finding_key_id(&out->v[i], 0, out->v[i].id);
		ord[i] = &out->v[i];
	}
	/* Repeats of a key, in output order: 1, 2, ... after the first. */
	qsort(ord, out->n, sizeof *ord, cmp_id_at);
	for (uint32_t i = 1, k = 0; i < out->n; i++) {
		k = strcmp(ord[i]->id, ord[i - 1]->id) ? 0 : k + 1;
		rep[ord[i] - out->v] = k;
	}
	for (uint32_t i = 0; i < out->n; i++)
		if (rep[i])
			finding_key_id(&out->v[i], rep[i], out->v[i].id);
	/* A numbered repeat meeting another key's id (a 64-bit coincidence):
	 * the later takes the next number until none are left. */
	for (bool again = true; again;) {
		again = false;
		qsort(ord, out->n, sizeof *ord, cmp_id_at);
		for (uint32_t i = 1; i < out->n; i++)
			if (!strcmp(ord[i]->id, ord[i - 1]->id)) {
				uint32_t j = (uint32_t)(ord[i] - out->v);
				finding_key_id(ord[i], ++rep[j], ord[i]->id);
				again = true;
			}
	}
	free(ord);
	free(rep);
	return VG_OK;
}

vg_status vg_adj_run(vg_adjudicator *a, struct vg_findings *out, struct vg_err *err)
{
	memset(out, 0, sizeof *out);
	if (a->n_loc)
		qsort(a->loc, a->n_loc, sizeof *a->loc, cmp_loc);
	vg_status rs = resolve_pairs(a, err);
	if (!rs)
		rs = place_classes(a, err);
	if (rs)
		return rs;
	if (a->n_pts)
		qsort(a->pts, a->n_pts, sizeof *a->pts, cmp_pt);
	if (a->n_ls)
		qsort(a->ls, a->n_ls, sizeof *a->ls, cmp_ls);
	vg_status st = VG_OK;
	const struct vg_agreement *ag = a->ag;
	for (uint32_t vi = 0; vi < ag->n_versions && !st; vi++) {
		const struct vg_ag_version *v = &ag->versions[vi];
		for (uint32_t k = 0; k < v->n_rules && !st; k++) {
			const struct vg_ag_rule *r = &v->rules[k];
			if (r->type == VG_RULE_NO_FIRE)
				st = rule_no_fire(a, r, (int)vi, out, err);
			else if (r->type == VG_RULE_ZONE_CAP)
				st = rule_zone_cap(a, r, (int)vi, out, err);
			else
				st = rule_presence(a, r, (int)vi, out, err);
		}
	}
	if (st) {
		vg_findings_free(out);
		return st;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_finding);
	return name_findings(out, err);
}
