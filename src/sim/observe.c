/*
 * observe.c - what each sensor reports about the world (docs/simulator.md,
 * "Sensors"): acoustic nodes and arrays, counter-battery radars, drones,
 * imaging satellites and the FIRMS thermal feed; then the delivery pass
 * that numbers each sensor's reports (seq) and makes its link FIFO.
 *
 * Each sensor draws from its own stream (RS_SENSOR_BASE + hash of its id) and the
 * world is visited in a fixed order, so adding a sensor does not change
 * what the others report.
 *
 * Sound: the wavefront of an impulse in a uniform wind w is a sphere of
 * radius c tau whose centre drifts with the wind, so the travel time tau
 * to a sensor at r from the source solves |r - w tau| = c tau:
 *   tau = (-(r.w) + sqrt((r.w)^2 + (c^2 - w^2) |r|^2)) / (c^2 - w^2),
 * i.e. |r| / (c + w.u) to first order (P. M. Morse, K. U. Ingard,
 * "Theoretical Acoustics", McGraw-Hill 1968, sec. 11.1; moving media), and
 * an array sees the wave normal, which points at the drifted centre
 * source + w tau: the crosswind bias of acoustic bearings.
 */
#include "sim/sim_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DEG (M_PI / 180.0)
#define NS(s) ((int64_t)llround((s) * 1e9))
#define US_ROUND(t) (((t) + 500) / 1000 * 1000)

struct obs_ctx {
	struct sim_world *w;
	struct vg_rng *rng; /* per sensor */
	struct vg_err *err;
	double wind_e, wind_n; /* the wind vector (towards), m/s */
};

static double lognormal(struct vg_rng *r, const struct sim_latency *l)
{
	return l->median_s * exp(l->sigma_ln * vg_rng_normal(r));
}

static vg_status push(struct obs_ctx *c, const struct sim_obs *o)
{
	struct sim_world *w = c->w;
	if (w->n_obs >= w->max_obs)
		return vg_err_set(c->err, VG_ERR_LIMIT,
		                  "more than %llu observations: raise --max-observations or shorten the "
		                  "scenario",
		                  (unsigned long long)w->max_obs);
	vg_status st = SIM_PUSH(w, obs, n_obs, cap_obs, (uint32_t)w->max_obs, "observations", c->err);
	if (st)
		return st;
	w->obs[w->n_obs] = *o;
	w->obs[w->n_obs].gen = w->n_obs;
	w->n_obs++;
	if (o->flags & OBS_F_FALSE)
		w->n_false++;
	return VG_OK;
}

static bool in_outage(const struct sim_sensor *s, int64_t t)
{
	for (uint32_t i = 0; i < s->n_outage; i++)
		if (t >= s->outage[i][0] && t < s->outage[i][1])
			return true;
	return false;
}

static int draw_class(struct vg_rng *r, const double row[4])
{
	double u = vg_rng_uniform(r), acc = 0;
	for (int k = 0; k < 4; k++) {
		acc += row[k];
		if (u < acc)
			return k;
	}
	return 0;
}

static double wrap360(double a)
{
	a = fmod(a, 360.0);
	if (a < 0)
		a += 360.0;
	if (a >= 360.0)
		a = 0;
	return a;
}

/* The acoustic model of sensor group g at time t. */
static void acoustic_model(const struct obs_ctx *c, const struct sim_acoustic_spec *a, int64_t t,
                           struct vg_sim_acoustic *m)
{
	const struct sim_env *e = &c->w->sc->env;
	m->temp_c = sim_temp_at(c->w, t);
	m->rh_pct = e->rh_pct;
	m->p_kpa = e->p_kpa;
	m->wind_east_mps = c->wind_e;
	m->wind_north_mps = c->wind_n;
	m->excess_db_per_km = e->excess_db_per_km;
	m->fade_sigma_db = e->fade_sigma_db;
	m->noise_db = a->noise_db;
	m->threshold_db = a->threshold_db;
	m->pick_floor_s = e->pick_floor_s;
	m->pick_rise_s = e->pick_rise_s;
}

/* Range beyond which detection probability is below 1e-5 (bisection on the
 * monotone Pd). */
static double max_range_m(const struct vg_sim_acoustic *m, double src_db, double f_hz)
{
	double lo = 1, hi = 1e6;
	if (vg_sim_detect_prob(m, src_db, f_hz, hi) > 1e-5)
		return hi;
	for (int i = 0; i < 60; i++) {
		double mid = sqrt(lo * hi);
		if (vg_sim_detect_prob(m, src_db, f_hz, mid) > 1e-5)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static double travel_time_s(double e, double n, double c, double we, double wn)
{
	double rw = e * we + n * wn, w2 = we * we + wn * wn, r2 = e * e + n * n;
	double den = c * c - w2;
	return (-rw + sqrt(rw * rw + den * r2)) / den;
}

/* ---- Acoustic nodes and arrays -------------------------------------------- */

static vg_status observe_acoustic(struct obs_ctx *c)
{
	struct sim_world *w = c->w;
	const struct vg_sim_scenario *sc = w->sc;
	vg_status st;
	/* Cache of max ranges per (group, class, launch/impact), at the mean temperature. */
	uint32_t ng = sc->n_acoustic;
	double *rmax = calloc((size_t)(ng ? ng : 1) * VG_CLS_COUNT_ * 2, sizeof *rmax);
	if (!rmax)
		return vg_err_set(c->err, VG_ERR_NOMEM, "acoustic ranges");
	for (uint32_t g = 0; g < ng; g++) {
		struct vg_sim_acoustic m;
		acoustic_model(c, &sc->acoustic[g], w->t0, &m);
		m.temp_c = sc->env.temp_c + sc->env.diurnal_c; /* the warmest, the least absorbing */
		m.rh_pct = sc->env.rh_pct;
		for (int cls = 0; cls < VG_CLS_COUNT_; cls++) {
			const struct sim_weapon *wp = &sc->weapons[cls];
			if (!wp->indirect)
				continue;
			rmax[((size_t)g * VG_CLS_COUNT_ + cls) * 2] = max_range_m(&m, wp->launch_db, wp->freq_hz);
			rmax[((size_t)g * VG_CLS_COUNT_ + cls) * 2 + 1] = max_range_m(&m, wp->impact_db, wp->freq_hz);
		}
	}
	for (uint32_t ei = 0; ei < w->n_ev; ei++) {
		struct sim_event *ev = &w->ev[ei];
		if ((ev->type != EV_LAUNCH && ev->type != EV_IMPACT) || (ev->type == EV_IMPACT && ev->dud))
			continue;
		const struct sim_weapon *wp = &sc->weapons[ev->cls];
		int is_imp = ev->type == EV_IMPACT;
		double src_db = is_imp ? wp->impact_db : wp->launch_db;
		double temp = sim_temp_at(w, ev->t_ns);
		double cs = vg_sim_sound_speed_mps(temp);
		for (uint32_t si = 0; si < w->n_sen; si++) {
			struct sim_sensor *s = &w->sen[si];
			if (s->kind != SK_ACOUSTIC && s->kind != SK_ARRAY)
				continue;
			const struct sim_acoustic_spec *a = &sc->acoustic[s->spec];
			double rm = rmax[((size_t)s->spec * VG_CLS_COUNT_ + ev->cls) * 2 + is_imp];
			double dx = s->p.x - ev->p.x, dy = s->p.y - ev->p.y;
			double gate = rm * 1.03 + 1000.0;
			if (dx * dx + dy * dy > gate * gate)
				continue;
			struct vg_rng *r = &c->rng[si];
			double e, n;
			double d = sim_surface_distance(ev->p.lat, ev->p.ecef, s->p.ecef, ev->p.lon, &e, &n);
			double h = hypot(e, n);
			if (h > 0) {
				e *= d / h;
				n *= d / h;
			}
			double tau = travel_time_s(e, n, cs, c->wind_e, c->wind_n);
			int64_t t_arr = ev->t_ns + NS(tau);
			struct vg_sim_acoustic m;
			acoustic_model(c, a, ev->t_ns, &m);
			double snr = vg_sim_snr_db(&m, src_db, wp->freq_hz, d) +
			             m.fade_sigma_db * vg_rng_normal(r);
			if (snr < m.threshold_db || in_outage(s, t_arr))
				continue;
			double sig_pick = vg_sim_pick_sigma_s(&m, snr);
			double err_t = sig_pick * vg_rng_normal(r) + s->clock_offset_s +
			               s->clock_jitter_s * vg_rng_normal(r);
			double snr_rep = snr + vg_rng_normal(r); /* the estimate of SNR is noisy by ~1 dB */
			struct sim_obs o;
			memset(&o, 0, sizeof o);
			o.kind = VG_OBS_IMPULSE;
			o.sensor = si;
			o.ev = ei + 1;
			o.u.imp.t = US_ROUND(t_arr + NS(err_t));
			o.u.imp.sigma_s = (float)hypot(vg_sim_pick_sigma_s(&m, snr_rep), s->timing_sigma_s);
			o.u.imp.snr_db = (float)snr_rep;
			o.cls = (uint8_t)draw_class(r, sc->env.confusion[is_imp]);
			double sig_b = 0;
			if (s->kind == SK_ARRAY) {
				/* The wave normal points at the drifted centre source + w tau. */
				double es, ns;
				sim_surface_distance(s->p.lat, s->p.ecef, ev->p.ecef, s->p.lon, &es, &ns);
				double hs = hypot(es, ns);
				if (hs > 0) {
					es *= d / hs;
					ns *= d / hs;
				}
				es += c->wind_e * tau;
				ns += c->wind_n * tau;
				double amp = pow(10.0, snr / 20.0);
				sig_b = hypot(a->bearing_floor_deg, a->bearing_rise_deg / amp);
				double amp_rep = pow(10.0, snr_rep / 20.0);
				o.flags |= OBS_F_BEARING;
				o.u.imp.bearing_deg = (float)wrap360(atan2(es, ns) / DEG + sig_b * vg_rng_normal(r));
				o.u.imp.bearing_sigma_deg = (float)hypot(a->bearing_floor_deg, a->bearing_rise_deg / amp_rep);
			}
			/* Detection pipeline: the node confirms the pulse about 1 s after onset. */
			o.t_send = t_arr + VG_NS_PER_S;
			o.latency_s = (float)lognormal(r, &a->latency);
			if ((st = push(c, &o)))
				goto out;
			ev = &w->ev[ei];
			ev->n_obs[s->kind]++;
			/* CRLB: pick + clock sigma, and the survey error along the path. */
			double sig_t = sqrt(sig_pick * sig_pick + s->timing_sigma_s * s->timing_sigma_s +
			                    (s->survey_sigma_m / cs) * (s->survey_sigma_m / cs));
			if (d > 0)
				vg_sim_crlb_add_toa(&ev->crlb, e / d, n / d, d, d / tau, sig_t);
			if (s->kind == SK_ARRAY && d > 0)
				vg_sim_crlb_add_bearing(&ev->crlb, -e, -n, tau, sig_b * DEG);
		}
	}
	/* False alarms (Poisson per sensor) and heartbeats. */
	double hours = (double)(w->t1 - w->t0) / 3.6e12;
	for (uint32_t si = 0; si < w->n_sen; si++) {
		struct sim_sensor *s = &w->sen[si];
		if (s->kind != SK_ACOUSTIC && s->kind != SK_ARRAY)
			continue;
		const struct sim_acoustic_spec *a = &sc->acoustic[s->spec];
		struct vg_rng *r = &c->rng[si];
		struct vg_sim_acoustic m;
		uint64_t nfa = vg_rng_poisson(r, a->false_per_h * hours);
		for (uint64_t k = 0; k < nfa; k++) {
			int64_t t = w->t0 + (int64_t)(vg_rng_uniform(r) * (double)(w->t1 - w->t0));
			acoustic_model(c, a, t, &m);
			double snr = m.threshold_db + vg_rng_exponential(r, 3.0);
			if (in_outage(s, t))
				continue;
			struct sim_obs o;
			memset(&o, 0, sizeof o);
			o.kind = VG_OBS_IMPULSE;
			o.flags = OBS_F_FALSE;
			o.sensor = si;
			o.u.imp.t = US_ROUND(t);
			o.u.imp.snr_db = (float)snr;
			o.u.imp.sigma_s = (float)hypot(vg_sim_pick_sigma_s(&m, snr), s->timing_sigma_s);
			o.cls = (uint8_t)draw_class(r, sc->env.confusion[2]);
			if (s->kind == SK_ARRAY) {
				o.flags |= OBS_F_BEARING;
				o.u.imp.bearing_deg = (float)wrap360(vg_rng_range(r, 0, 360));
				o.u.imp.bearing_sigma_deg =
					(float)hypot(a->bearing_floor_deg, a->bearing_rise_deg / pow(10.0, snr / 20.0));
			}
			o.t_send = t + VG_NS_PER_S;
			o.latency_s = (float)lognormal(r, &a->latency);
			if ((st = push(c, &o)))
				goto out;
		}
		int64_t step = NS(a->status_interval_s);
		for (int64_t t = w->t0 + (int64_t)(vg_rng_uniform(r) * (double)step); t < w->t1; t += step) {
			if (in_outage(s, t))
				continue;
			struct sim_obs o;
			memset(&o, 0, sizeof o);
			o.kind = VG_OBS_STATUS;
			o.sensor = si;
			o.u.st.t = US_ROUND(t);
			/* About 0.4 %/h: a week on one charge (assumed). */
			double b = s->battery0_pct - 0.4 * (double)(t - w->t0) / 3.6e12;
			o.u.st.batt = (float)(b < 0 ? 0 : b);
			o.u.st.clock_sigma = (float)s->timing_sigma_s;
			o.t_send = t;
			o.latency_s = (float)lognormal(r, &a->latency);
			if ((st = push(c, &o)))
				goto out;
		}
	}
	st = VG_OK;
out:
	free(rmax);
	return st;
}

/* ---- Counter-battery radars ------------------------------------------------ */

static const int cb_classes[] = {VG_CLS_ARTILLERY, VG_CLS_ARTILLERY_LIGHT, VG_CLS_MORTAR,
                                 VG_CLS_MLRS, VG_CLS_MLRS_HEAVY, VG_CLS_TACTICAL_MISSILE};

static int confuse_cb(struct vg_rng *r, int cls, double p_correct)
{
	if (vg_rng_uniform(r) < p_correct)
		return cls;
	int k;
	do
		k = cb_classes[vg_rng_below(r, 6)];
	while (k == cls);
	return k;
}

/* Displace (lat, lon) by (de, dn) metres. */
static void offset_ll(const struct sim_world *w, double lat, double lon, double de, double dn,
                      double *olat, double *olon)
{
	double k_lon = w->fr.k_lon * cos(lat * DEG) / cos(w->fr.lat0 * DEG);
	*olat = lat + dn / w->fr.k_lat;
	*olon = lon + de / k_lon;
}

static vg_status observe_radars(struct obs_ctx *c)
{
	struct sim_world *w = c->w;
	const struct vg_sim_scenario *sc = w->sc;
	vg_status st;
	for (uint32_t si = 0; si < w->n_sen; si++) {
		struct sim_sensor *s = &w->sen[si];
		if (s->kind != SK_RADAR)
			continue;
		const struct sim_radar_spec *rs = &sc->radars[s->spec];
		struct vg_rng *r = &c->rng[si];
		double facing = rs->facing_deg;
		if (!rs->has_facing) {
			/* Face the line, square to its course over +-15 km. */
			facing = sim_line_facing_deg(w, s->p.x, s->p.y, 15000.0);
		}
		for (uint32_t ei = 0; ei < w->n_ev; ei++) {
			struct sim_event *ev = &w->ev[ei];
			if (ev->type != EV_LAUNCH)
				continue;
			double e, n;
			double d = sim_surface_distance(s->p.lat, s->p.ecef, ev->p.ecef, s->p.lon, &e, &n);
			if (d < rs->range_km.lo * 1000.0 || d > rs->range_km.hi * 1000.0)
				continue;
			double az = atan2(e, n) / DEG;
			double off = fabs(wrap360(az - facing + 180.0) - 180.0);
			if (off > rs->sector_deg / 2)
				continue;
			if (vg_rng_uniform(r) >= rs->pd)
				continue;
			const struct sim_event *imp = ev->pair ? &w->ev[ev->pair - 1] : NULL;
			double sl = rs->launch_cep_frac * d / 1.1774;
			struct sim_obs o;
			memset(&o, 0, sizeof o);
			o.kind = VG_OBS_FIRE;
			o.sensor = si;
			o.ev = ei + 1;
			o.u.fire.tl = US_ROUND(ev->t_ns + NS(0.1 * vg_rng_normal(r)));
			offset_ll(w, ev->p.lat, ev->p.lon, sl * vg_rng_normal(r), sl * vg_rng_normal(r),
			          &o.u.fire.llat, &o.u.fire.llon);
			o.u.fire.lcep = (float)(rs->launch_cep_frac * d);
			double si_m = 0;
			if (imp) {
				double di = sim_surface_distance(s->p.lat, s->p.ecef, imp->p.ecef, s->p.lon, NULL, NULL);
				si_m = rs->impact_cep_frac * di / 1.1774;
				double tof = (double)(imp->t_ns - ev->t_ns) / 1e9;
				int64_t ti = imp->t_ns + NS((0.01 * tof + 0.2) * vg_rng_normal(r));
				o.u.fire.ti = US_ROUND(ti > o.u.fire.tl ? ti : o.u.fire.tl);
				offset_ll(w, imp->p.lat, imp->p.lon, si_m * vg_rng_normal(r), si_m * vg_rng_normal(r),
				          &o.u.fire.ilat, &o.u.fire.ilon);
				o.u.fire.icep = (float)(rs->impact_cep_frac * di);
			}
			o.cls = (uint8_t)confuse_cb(r, ev->cls, rs->class_correct);
			o.t_send = ev->t_ns + NS(rs->track_s);
			o.latency_s = (float)lognormal(r, &rs->latency);
			if ((st = push(c, &o)))
				return st;
			ev = &w->ev[ei];
			ev->n_obs[SK_RADAR]++;
			vg_sim_crlb_add_position(&ev->crlb, sl);
			if (imp && si_m > 0) {
				struct sim_event *im = &w->ev[ev->pair - 1];
				vg_sim_crlb_add_position(&im->crlb, si_m);
				im->n_obs[SK_RADAR]++;
			}
		}
		/* False tracks: a launch somewhere in the sector, an impact beyond. */
		uint64_t nfa = vg_rng_poisson(r, rs->false_per_h * (double)(w->t1 - w->t0) / 3.6e12);
		for (uint64_t k = 0; k < nfa; k++) {
			int64_t t = w->t0 + (int64_t)(vg_rng_uniform(r) * (double)(w->t1 - w->t0));
			double az = (facing + vg_rng_range(r, -rs->sector_deg / 2, rs->sector_deg / 2)) * DEG;
			double d = vg_rng_range(r, rs->range_km.lo, rs->range_km.hi) * 1000.0;
			double d2 = vg_rng_range(r, 3000, 15000);
			struct sim_obs o;
			memset(&o, 0, sizeof o);
			o.kind = VG_OBS_FIRE;
			o.flags = OBS_F_FALSE;
			o.sensor = si;
			o.u.fire.tl = US_ROUND(t);
			o.u.fire.ti = US_ROUND(t + NS(d2 / 400.0));
			offset_ll(w, s->p.lat, s->p.lon, d * sin(az), d * cos(az), &o.u.fire.llat, &o.u.fire.llon);
			offset_ll(w, s->p.lat, s->p.lon, (d - d2) * sin(az), (d - d2) * cos(az), &o.u.fire.ilat,
			          &o.u.fire.ilon);
			o.u.fire.lcep = (float)(rs->launch_cep_frac * d);
			o.u.fire.icep = (float)(rs->impact_cep_frac * fabs(d - d2));
			if (!(o.u.fire.icep > 0))
				o.u.fire.icep = 1;
			o.cls = (uint8_t)cb_classes[vg_rng_below(r, 4)];
			o.t_send = t + NS(rs->track_s);
			o.latency_s = (float)lognormal(r, &rs->latency);
			if ((st = push(c, &o)))
				return st;
		}
	}
	return VG_OK;
}

/* ---- Drones -------------------------------------------------------------------- */

struct patrol {
	uint32_t n;
	double (*p)[2]; /* front frame polyline */
	double *cum;    /* cumulative length */
	double len;
};

static vg_status patrol_build(const struct sim_world *w, const struct sim_drone_spec *d,
                              struct patrol *pt, struct vg_err *err)
{
	/* Lawnmower legs that follow the contact line at offsets across the
	 * patrol band, spaced by 90 % of the footprint width, flown there and
	 * back so the pattern is a cycle. */
	double sw = d->footprint_cross_m * 0.9 / 1000.0;
	uint32_t legs = (uint32_t)floor((d->offset_km.hi - d->offset_km.lo) / sw) + 1;
	if (legs > 200)
		legs = 200;
	uint32_t per = (uint32_t)ceil(d->along_km.hi - d->along_km.lo) + 1;
	if (per < 2)
		per = 2;
	uint32_t cyc = legs > 1 ? 2 * legs - 2 : 1;
	uint32_t n = cyc * per + 1;
	pt->p = calloc(n, sizeof *pt->p);
	pt->cum = calloc(n, sizeof *pt->cum);
	if (!pt->p || !pt->cum)
		return vg_err_set(err, VG_ERR_NOMEM, "drone patrol");
	uint32_t k = 0;
	for (uint32_t li = 0; li < cyc; li++) {
		uint32_t leg = li < legs ? li : 2 * legs - 2 - li;
		double off = legs > 1 ? d->offset_km.lo + (d->offset_km.hi - d->offset_km.lo) * leg / (legs - 1)
		                      : (d->offset_km.lo + d->offset_km.hi) / 2;
		for (uint32_t j = 0; j < per; j++) {
			double f = (double)j / (per - 1);
			if (li % 2)
				f = 1 - f;
			double al = d->along_km.lo + f * (d->along_km.hi - d->along_km.lo);
			sim_place_front(w, -1, al, off, &pt->p[k][0], &pt->p[k][1]);
			k++;
		}
	}
	pt->p[k][0] = pt->p[0][0];
	pt->p[k][1] = pt->p[0][1];
	k++;
	pt->n = k;
	pt->cum[0] = 0;
	for (uint32_t i = 1; i < k; i++)
		pt->cum[i] = pt->cum[i - 1] + hypot(pt->p[i][0] - pt->p[i - 1][0], pt->p[i][1] - pt->p[i - 1][1]);
	pt->len = pt->cum[k - 1];
	return VG_OK;
}

static void patrol_at(const struct patrol *pt, double dist, double *x, double *y, double *hd)
{
	dist = fmod(dist, pt->len);
	uint32_t lo = 0, hi = pt->n - 1;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (pt->cum[mid] <= dist)
			lo = mid;
		else
			hi = mid;
	}
	double seg = pt->cum[hi] - pt->cum[lo];
	double f = seg > 0 ? (dist - pt->cum[lo]) / seg : 0;
	double dx = pt->p[hi][0] - pt->p[lo][0], dy = pt->p[hi][1] - pt->p[lo][1];
	*x = pt->p[lo][0] + f * dx;
	*y = pt->p[lo][1] + f * dy;
	*hd = atan2(dx, dy);
}

/* Convex hull (Andrew's monotone chain) of up to 8 points, closed ring, CCW. */
static uint32_t hull(double (*p)[2], uint32_t n, double (*out)[2])
{
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && (p[j][0] < p[j - 1][0] || (p[j][0] == p[j - 1][0] && p[j][1] < p[j - 1][1])); j--) {
			double t0 = p[j][0], t1 = p[j][1];
			p[j][0] = p[j - 1][0];
			p[j][1] = p[j - 1][1];
			p[j - 1][0] = t0;
			p[j - 1][1] = t1;
		}
	uint32_t k = 0;
#define CROSS(o, a, b) (((a)[0] - (o)[0]) * ((b)[1] - (o)[1]) - ((a)[1] - (o)[1]) * ((b)[0] - (o)[0]))
	for (uint32_t i = 0; i < n; i++) {
		while (k >= 2 && CROSS(out[k - 2], out[k - 1], p[i]) <= 0)
			k--;
		out[k][0] = p[i][0];
		out[k][1] = p[i][1];
		k++;
	}
	for (uint32_t i = n - 1, t = k + 1; i-- > 0;) {
		while (k >= t && CROSS(out[k - 2], out[k - 1], p[i]) <= 0)
			k--;
		out[k][0] = p[i][0];
		out[k][1] = p[i][1];
		k++;
	}
#undef CROSS
	return k; /* last == first */
}

static bool in_convex(const double (*r)[2], uint32_t n, double x, double y)
{
	for (uint32_t i = 0; i + 1 < n; i++) {
		double cr = (r[i + 1][0] - r[i][0]) * (y - r[i][1]) - (r[i + 1][1] - r[i][1]) * (x - r[i][0]);
		if (cr < 0)
			return false;
	}
	return true;
}

static vg_status ring_to_pool(struct sim_world *w, const double (*xy)[2], uint32_t n,
                              uint32_t *first, struct vg_err *err)
{
	double ll[16][2];
	for (uint32_t i = 0; i < n && i < 16; i++)
		sim_frame_to_ll(&w->fr, xy[i][0], xy[i][1], &ll[i][1], &ll[i][0]);
	ll[n - 1][0] = ll[0][0];
	ll[n - 1][1] = ll[0][1];
	return sim_poly_add(w, (const double (*)[2])ll, n, first, err);
}

static const int vehicle_classes[] = {VG_CLS_TANK, VG_CLS_APC, VG_CLS_IFV, VG_CLS_TRUCK,
                                      VG_CLS_ARTILLERY, VG_CLS_MLRS, VG_CLS_AIR_DEFENCE};

static int confuse_obj(struct vg_rng *r, int cls, double p_correct, double *conf)
{
	double u = vg_rng_uniform(r);
	if (u < p_correct) {
		*conf = vg_rng_range(r, 0.6, 0.95);
		return cls;
	}
	*conf = vg_rng_range(r, 0.3, 0.6);
	if (u < p_correct + (1 - p_correct) * 0.75)
		return VG_CLS_VEHICLE;
	int k;
	do
		k = vehicle_classes[vg_rng_below(r, 7)];
	while (k == cls);
	return k;
}

/* A detection record of object oi (index + 1 in o->obj) seen at (la, lo)
 * with an error of sigma_m, its class confused (drones and imagery alike;
 * the draws: two position normals, then the class). */
static void det_true(struct sim_obs *o, const struct sim_world *w, uint32_t si, uint32_t oi, int cls,
                     int64_t t, double la, double lo, double sigma_m, double p_correct, struct vg_rng *r)
{
	double conf;
	memset(o, 0, sizeof *o);
	o->kind = VG_OBS_DETECTION;
	o->sensor = si;
	o->obj = oi + 1;
	o->u.det.t = t;
	offset_ll(w, la, lo, sigma_m * vg_rng_normal(r), sigma_m * vg_rng_normal(r), &o->u.det.lat,
	          &o->u.det.lon);
	o->u.det.sigma_m = (float)sigma_m;
	o->cls = (uint8_t)confuse_obj(r, cls, p_correct, &conf);
	o->u.det.conf = (float)conf;
}

/* A false report at frame (x, y): a vehicle class at random, confidence
 * 0.3-0.7 (the draws: the class, then the confidence). */
static void det_false(struct sim_obs *o, const struct sim_world *w, uint32_t si, int64_t t, double x,
                      double y, double sigma_m, struct vg_rng *r)
{
	memset(o, 0, sizeof *o);
	o->kind = VG_OBS_DETECTION;
	o->flags = OBS_F_FALSE;
	o->sensor = si;
	o->u.det.t = t;
	sim_frame_to_ll(&w->fr, x, y, &o->u.det.lat, &o->u.det.lon);
	o->u.det.sigma_m = (float)sigma_m;
	o->cls = (uint8_t)vehicle_classes[vg_rng_below(r, 7)];
	o->u.det.conf = (float)vg_rng_range(r, 0.3, 0.7);
}

static vg_status drone_frame(struct obs_ctx *c, uint32_t si, const struct sim_drone_spec *d,
                             const struct patrol *pt, double dist_a, double dist_b, int64_t ta,
                             int64_t tb)
{
	struct sim_world *w = c->w;
	struct vg_rng *r = &c->rng[si];
	vg_status st;
	double pts[8][2], ring[10][2];
	double xa, ya, ha, xb, yb, hb;
	patrol_at(pt, dist_a, &xa, &ya, &ha);
	patrol_at(pt, dist_b, &xb, &yb, &hb);
	double cw = d->footprint_cross_m / 2, aw = d->footprint_along_m / 2;
	const double cx[2] = {xa, xb}, cy[2] = {ya, yb}, hh[2] = {ha, hb};
	for (int k = 0; k < 2; k++) {
		double ux = sin(hh[k]), uy = cos(hh[k]), vx = uy, vy = -ux;
		for (int q = 0; q < 4; q++) {
			double sa = (q == 0 || q == 3) ? aw : -aw, sc2 = (q < 2) ? cw : -cw;
			pts[k * 4 + q][0] = cx[k] + sa * ux + sc2 * vx;
			pts[k * 4 + q][1] = cy[k] + sa * uy + sc2 * vy;
		}
	}
	uint32_t nr = hull(pts, 8, ring);
	uint32_t poly;
	if ((st = ring_to_pool(w, (const double (*)[2])ring, nr, &poly, c->err)))
		return st;
	int64_t tm = ta + (tb - ta) / 2;
	double xm, ym, hm, plat, plon;
	patrol_at(pt, (dist_a + dist_b) / 2, &xm, &ym, &hm);
	sim_frame_to_ll(&w->fr, xm, ym, &plat, &plon);
	double nav_e = d->nav_sigma_m * vg_rng_normal(r), nav_n = d->nav_sigma_m * vg_rng_normal(r);
	offset_ll(w, plat, plon, nav_e, nav_n, &plat, &plon);
	struct sim_obs o;
	memset(&o, 0, sizeof o);
	o.kind = VG_OBS_COVERAGE;
	o.sensor = si;
	o.u.cov.from = ta;
	o.u.cov.until = tb;
	o.u.cov.poly = poly;
	o.u.cov.npoly = nr;
	o.t_send = tb;
	o.latency_s = (float)lognormal(r, &d->latency);
	if ((st = push(c, &o)))
		return st;

	double minx = ring[0][0], maxx = minx, miny = ring[0][1], maxy = miny;
	for (uint32_t i = 1; i < nr; i++) {
		minx = fmin(minx, ring[i][0]);
		maxx = fmax(maxx, ring[i][0]);
		miny = fmin(miny, ring[i][1]);
		maxy = fmax(maxy, ring[i][1]);
	}
	for (uint32_t oi = 0; oi < w->n_obj; oi++) {
		const struct sim_object *ob = &w->obj[oi];
		double x, y, sp, hd;
		if (!sim_object_at(ob, tm, &x, &y, &sp, &hd))
			continue;
		if (x < minx || x > maxx || y < miny || y > maxy ||
		    !in_convex((const double (*)[2])ring, nr, x, y))
			continue;
		if (vg_rng_uniform(r) >= d->pd)
			continue;
		double la, lo;
		sim_frame_to_ll(&w->fr, x, y, &la, &lo);
		det_true(&o, w, si, oi, ob->cls, US_ROUND(tm), la, lo, d->sigma_m, d->class_correct, r);
		o.flags = OBS_F_POS;
		double spm = sp + 0.5 * vg_rng_normal(r);
		o.u.det.speed = (float)(spm > 0 ? spm : 0);
		if (sp > 1) {
			o.flags |= OBS_F_HEADING;
			o.u.det.heading = (float)wrap360(hd + 5 * vg_rng_normal(r));
		}
		o.u.det.plat = plat;
		o.u.det.plon = plon;
		o.u.det.palt = (float)d->alt_m;
		o.u.det.psig = (float)d->nav_sigma_m;
		o.t_send = tm + 2 * VG_NS_PER_S;
		o.latency_s = (float)lognormal(r, &d->latency);
		if ((st = push(c, &o)))
			return st;
	}
	/* False reports: Poisson in the swept area, uniform inside it. */
	double area_km2 = 0;
	for (uint32_t i = 0; i + 1 < nr; i++)
		area_km2 += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
	area_km2 = fabs(area_km2) / 2 / 1e6;
	uint64_t nfa = vg_rng_poisson(r, d->false_per_km2 * area_km2);
	for (uint64_t k = 0; k < nfa; k++) {
		double x, y;
		int tries = 0;
		do {
			x = vg_rng_range(r, minx, maxx);
			y = vg_rng_range(r, miny, maxy);
		} while (!in_convex((const double (*)[2])ring, nr, x, y) && ++tries < 100);
		det_false(&o, w, si, US_ROUND(ta + (int64_t)(vg_rng_uniform(r) * (double)(tb - ta))), x, y,
		          d->sigma_m, r);
		o.flags |= OBS_F_POS;
		o.u.det.plat = plat;
		o.u.det.plon = plon;
		o.u.det.palt = (float)d->alt_m;
		o.u.det.psig = (float)d->nav_sigma_m;
		o.t_send = tm + 2 * VG_NS_PER_S;
		o.latency_s = (float)lognormal(r, &d->latency);
		if ((st = push(c, &o)))
			return st;
	}
	return VG_OK;
}

static vg_status observe_drones(struct obs_ctx *c)
{
	struct sim_world *w = c->w;
	const struct vg_sim_scenario *sc = w->sc;
	vg_status st = VG_OK;
	for (uint32_t si = 0; si < w->n_sen; si++) {
		struct sim_sensor *s = &w->sen[si];
		if (s->kind != SK_DRONE)
			continue;
		const struct sim_drone_spec *d = &sc->drones[s->spec];
		struct vg_rng *r = &c->rng[si];
		struct patrol pt = {0};
		if ((st = patrol_build(w, d, &pt, c->err)))
			goto out;
		double flown = 0;
		int64_t cycle = NS((d->endurance_h + d->turnaround_h) * 3600.0);
		for (int64_t t_launch = w->t0 + NS(d->first_launch_h * 3600.0); t_launch < w->t1;
		     t_launch += cycle) {
			int64_t t_end = t_launch + NS(d->endurance_h * 3600.0);
			/* Loss (shot down, crashed): the flight ends early; OSCE SMM lost
			 * 10 UAVs in 2020. */
			if (vg_rng_uniform(r) < d->loss_per_flight)
				t_end = t_launch + (int64_t)(vg_rng_uniform(r) * (double)(t_end - t_launch));
			if (t_end > w->t1)
				t_end = w->t1;
			/* Jamming episodes: the link and GNSS are lost, nothing is reported. */
			int64_t jam[64][2];
			uint32_t nj = 0;
			double fl_h = (double)(t_end - t_launch) / 3.6e12;
			double tj = vg_rng_exponential(r, d->jam_per_h > 0 ? 1.0 / d->jam_per_h : 1e12);
			while (d->jam_per_h > 0 && tj < fl_h && nj < 64) {
				double dur = vg_rng_exponential(r, d->jam_mean_min / 60.0);
				jam[nj][0] = t_launch + NS(tj * 3600.0);
				jam[nj][1] = t_launch + NS((tj + dur) * 3600.0);
				nj++;
				tj += dur + vg_rng_exponential(r, 1.0 / d->jam_per_h);
			}
			int64_t step = NS(d->frame_s);
			int64_t next_status = t_launch;
			for (int64_t ta = t_launch; ta < t_end; ta += step) {
				int64_t tb = ta + step < t_end ? ta + step : t_end;
				double da = flown, db = flown + d->speed_mps * (double)(tb - ta) / 1e9;
				flown = db;
				bool jammed = false;
				for (uint32_t k = 0; k < nj; k++)
					if (ta < jam[k][1] && tb > jam[k][0])
						jammed = true;
				if (jammed || tb - ta < VG_NS_PER_S)
					continue;
				if ((st = drone_frame(c, si, d, &pt, da, db, ta, tb)))
					goto out;
				if (ta >= next_status) {
					double x, y, hd, la, lo;
					patrol_at(&pt, da, &x, &y, &hd);
					sim_frame_to_ll(&w->fr, x, y, &la, &lo);
					struct sim_obs o;
					memset(&o, 0, sizeof o);
					o.kind = VG_OBS_STATUS;
					o.flags = OBS_F_POS;
					o.sensor = si;
					o.u.st.t = US_ROUND(ta);
					double fuel = 100.0 * (1.0 - (double)(ta - t_launch) / (d->endurance_h * 3.6e12));
					o.u.st.batt = (float)(fuel < 0 ? 0 : fuel);
					o.u.st.clock_sigma = (float)s->timing_sigma_s;
					o.u.st.plat = la;
					o.u.st.plon = lo;
					o.u.st.palt = (float)d->alt_m;
					o.u.st.psig = (float)d->nav_sigma_m;
					o.t_send = ta;
					o.latency_s = (float)lognormal(r, &d->latency);
					if ((st = push(c, &o)))
						goto out;
					next_status = ta + NS(d->status_interval_s);
				}
			}
		}
	out:
		free(pt.p);
		free(pt.cum);
		if (st)
			return st;
	}
	return VG_OK;
}

/* ---- Satellites -------------------------------------------------------------- */

/* A rectangle in (s, v) (km) as a closed front-frame ring into the pool. */
static vg_status sv_rect(struct sim_world *w, double s0, double s1, double v0, double v1,
                         uint32_t *first, struct vg_err *err)
{
	double ring[5][2];
	const double sv[4][2] = {{s0, v0}, {s1, v0}, {s1, v1}, {s0, v1}};
	for (int i = 0; i < 4; i++)
		sim_frame_sv_to_xy(&w->fr, sv[i][0] * 1000.0, sv[i][1] * 1000.0, &ring[i][0], &ring[i][1]);
	ring[4][0] = ring[0][0];
	ring[4][1] = ring[0][1];
	/* CCW in x/y: s runs along the front, v to its right, so (s, v) order
	 * is clockwise; reverse. */
	double rev[5][2];
	for (int i = 0; i < 5; i++) {
		rev[i][0] = ring[4 - i][0];
		rev[i][1] = ring[4 - i][1];
	}
	return ring_to_pool(w, (const double (*)[2])rev, 5, first, err);
}

static vg_status push_change(struct obs_ctx *c, uint32_t si, int type, int64_t t, double lat,
                             double lon, double sigma_m, double res, double conf, int64_t send,
                             double latency_s, uint32_t ev, bool is_false)
{
	struct sim_obs o;
	memset(&o, 0, sizeof o);
	o.kind = VG_OBS_CHANGE;
	o.sub = (uint8_t)type;
	o.sensor = si;
	o.ev = ev;
	o.flags = is_false ? OBS_F_FALSE : 0;
	o.u.chg.t = t;
	o.u.chg.lat = lat;
	o.u.chg.lon = lon;
	o.u.chg.sigma_m = (float)sigma_m;
	o.u.chg.res = (float)res;
	o.u.chg.conf = (float)conf;
	o.t_send = send;
	o.latency_s = (float)latency_s;
	return push(c, &o);
}

/* FNV-1a of a sensor id: its random streams' numbers. */
static uint64_t id_hash(const char *id)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
	return h;
}

/* A scene: the band |v| < H along the whole front (L km), cut into cells
 * of cell km, clear[] per cell (SAR: all clear). */
struct scene {
	const struct sim_world *w;
	double L, H, cell;
	uint32_t ncs, ncv;
	const uint8_t *clear;
};

/* Is front-frame (x, y) in the scene and under clear sky? */
static bool scene_seen(const struct scene *sn, double x, double y)
{
	double s, v;
	sim_frame_xy_to_sv(&sn->w->fr, x, y, &s, &v);
	s /= 1000.0;
	v /= 1000.0;
	if (!(s >= 0 && s < sn->L && v >= -sn->H && v < sn->H))
		return false;
	uint32_t is = (uint32_t)(s / sn->cell), iv = (uint32_t)((v + sn->H) / sn->cell);
	return is < sn->ncs && iv < sn->ncv && sn->clear[iv * sn->ncs + is];
}

/* A point drawn uniformly in the scene's clear area (100 tries), for
 * false reports; false if none was found. */
static bool scene_random_clear(const struct scene *sn, struct vg_rng *r, double *x, double *y)
{
	for (int tries = 0; tries < 100; tries++) {
		sim_frame_sv_to_xy(&sn->w->fr, vg_rng_range(r, 0, sn->L) * 1000.0,
		                   vg_rng_range(r, -sn->H, sn->H) * 1000.0, x, y);
		if (scene_seen(sn, *x, *y))
			return true;
	}
	return false;
}

static vg_status observe_sats(struct obs_ctx *c)
{
	struct sim_world *w = c->w;
	const struct vg_sim_scenario *sc = w->sc;
	double L = sc->front.length_km;
	vg_status st;
	for (uint32_t si = 0; si < w->n_sen; si++) {
		struct sim_sensor *s = &w->sen[si];
		if (s->kind != SK_SAT_OPTICAL && s->kind != SK_SAT_SAR)
			continue;
		const struct sim_sat_spec *p = &sc->sats[s->spec];
		struct vg_rng *r = &c->rng[si];
		bool optical = p->type == SAT_OPTICAL;
		double H = p->scene_half_km, cell = p->cloud_cell_km;
		uint32_t ncs = (uint32_t)ceil(L / cell), ncv = (uint32_t)ceil(2 * H / cell);
		if (ncs * ncv > 1000000)
			return vg_err_set(c->err, VG_ERR_LIMIT, "%s: too many cloud cells", s->id);
		uint8_t *clear = calloc((size_t)ncs * ncv + 1, 1);
		if (!clear)
			return vg_err_set(c->err, VG_ERR_NOMEM, "cloud cells");
		st = VG_OK;
		uint64_t pass = 0;
		for (int64_t tp = w->t0 + NS(p->first_pass_h * 3600.0); tp < w->t1;
		     tp += NS(p->revisit_h * 3600.0), pass++) {
			int64_t tprev = tp - NS(p->revisit_h * 3600.0);
			double lat_s = vg_rng_range(r, p->latency_h.lo, p->latency_h.hi) * 3600.0;
			int64_t send = tp;
			double clear_km2 = 0;
			for (uint32_t k = 0; k < ncs * ncv; k++) {
				clear[k] = !optical || vg_rng_uniform(r) >= sc->env.cloud_prob;
				if (clear[k])
					clear_km2 += cell * cell;
			}
			/* Coverage: the scene (SAR) or the clear runs of each row (optical). */
			for (uint32_t iv = 0; iv < ncv; iv++) {
				for (uint32_t is = 0; is < ncs;) {
					if (!clear[iv * ncs + is]) {
						is++;
						continue;
					}
					uint32_t js = is;
					while (js < ncs && clear[iv * ncs + js])
						js++;
					double s0 = is * cell, s1 = fmin(js * cell, L);
					double v0 = -H + iv * cell, v1 = fmin(-H + (iv + 1) * cell, H);
					struct sim_obs o;
					memset(&o, 0, sizeof o);
					o.kind = VG_OBS_COVERAGE;
					o.sensor = si;
					o.u.cov.from = tp;
					o.u.cov.until = tp;
					if ((st = sv_rect(w, s0, s1, v0, v1, &o.u.cov.poly, c->err)))
						goto out;
					o.u.cov.npoly = 5;
					o.t_send = send;
					o.latency_s = (float)lat_s;
					if ((st = push(c, &o)))
						goto out;
					is = js;
				}
			}
			const struct scene sn = {w, L, H, cell, ncs, ncv, clear};
			double sig = hypot(p->geoloc_sigma_m, p->resolution_m / 2);
			/* Craters of impacts since the previous pass. */
			for (uint32_t ei = 0; ei < w->n_ev; ei++) {
				const struct sim_event *ev = &w->ev[ei];
				if (ev->type != EV_IMPACT || ev->dud || ev->t_ns <= tprev || ev->t_ns > tp)
					continue;
				bool ok = scene_seen(&sn, ev->p.x, ev->p.y);
				double cr = sc->weapons[ev->cls].crater_m / p->resolution_m;
				if (!ok || vg_rng_uniform(r) >= 1.0 - exp(-cr * cr))
					continue;
				double la, lo;
				offset_ll(w, ev->p.lat, ev->p.lon, sig * vg_rng_normal(r), sig * vg_rng_normal(r), &la, &lo);
				if ((st = push_change(c, si, VG_CHG_CRATER, tp, la, lo, sig, p->resolution_m,
				                      vg_rng_range(r, 0.5, 0.9), send, lat_s, ei + 1, false)))
					goto out;
				w->ev[ei].n_obs[s->kind]++;
			}
			/* Vehicles that appeared or moved (more than 2 pixels) since the previous pass. */
			for (uint32_t oi = 0; oi < w->n_obj; oi++) {
				const struct sim_object *ob = &w->obj[oi];
				double x, y, x0, y0;
				if (!sim_object_at(ob, tp, &x, &y, NULL, NULL))
					continue;
				bool was = sim_object_at(ob, tprev, &x0, &y0, NULL, NULL);
				if (was && hypot(x - x0, y - y0) <= 2 * p->resolution_m)
					continue;
				bool ok = scene_seen(&sn, x, y);
				double lr = sc->weapons[ob->cls].length_m / p->resolution_m;
				if (!ok || vg_rng_uniform(r) >= p->pd_vehicle * (1.0 - exp(-lr * lr)))
					continue;
				double la, lo, la2, lo2;
				sim_frame_to_ll(&w->fr, x, y, &la, &lo);
				offset_ll(w, la, lo, sig * vg_rng_normal(r), sig * vg_rng_normal(r), &la2, &lo2);
				if ((st = push_change(c, si, VG_CHG_VEHICLE, tp, la2, lo2, sig, p->resolution_m,
				                      vg_rng_range(r, 0.5, 0.9), send, lat_s, 0, false)))
					goto out;
			}
			/* New fortifications: a polygon. */
			for (uint32_t fi = 0; fi < w->n_fort; fi++) {
				const struct sim_fort *f = &w->fort[fi];
				if (f->t_ns <= tprev || f->t_ns > tp)
					continue;
				bool ok = scene_seen(&sn, f->x, f->y);
				if (!ok || vg_rng_uniform(r) >= p->pd_fortification)
					continue;
				double ex = p->geoloc_sigma_m * vg_rng_normal(r), ey = p->geoloc_sigma_m * vg_rng_normal(r);
				double hs = f->size_m / 2, ring[5][2];
				const double q[5][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}, {-1, -1}};
				for (int k = 0; k < 5; k++) {
					ring[k][0] = f->x + ex + q[k][0] * hs;
					ring[k][1] = f->y + ey + q[k][1] * hs;
				}
				struct sim_obs o;
				memset(&o, 0, sizeof o);
				o.kind = VG_OBS_CHANGE;
				o.sub = VG_CHG_FORTIFICATION;
				o.sensor = si;
				o.u.chg.t = tp;
				o.u.chg.res = (float)p->resolution_m;
				o.u.chg.conf = (float)vg_rng_range(r, 0.6, 0.9);
				if ((st = ring_to_pool(w, (const double (*)[2])ring, 5, &o.u.chg.poly, c->err)))
					goto out;
				o.u.chg.npoly = 5;
				o.t_send = send;
				o.latency_s = (float)lat_s;
				if ((st = push(c, &o)))
					goto out;
				w->fort[fi].n_seen++;
			}
			/* False changes over the clear area (SAR: PWTT precision 0.51). */
			uint64_t nfa = vg_rng_poisson(r, p->false_per_1000km2 * clear_km2 / 1000.0);
			for (uint64_t k = 0; k < nfa; k++) {
				double x, y, la, lo;
				if (!scene_random_clear(&sn, r, &x, &y))
					continue;
				sim_frame_to_ll(&w->fr, x, y, &la, &lo);
				int type = vg_rng_uniform(r) < 0.5 ? VG_CHG_CRATER : VG_CHG_VEHICLE;
				if ((st = push_change(c, si, type, tp, la, lo, sig, p->resolution_m,
				                      vg_rng_range(r, 0.3, 0.7), send, lat_s, 0, true)))
					goto out;
			}
			/* Imagery fine enough to tell a gun from a truck (class_correct >
			 * 0: optical at 1 m or finer by default): every object under
			 * clear sky is a classified `detection`, whether it moved or
			 * not, with the vehicle detection probability; drawn from a
			 * stream of their own per pass, so the changes of this and
			 * later passes do not depend on them. */
			if (p->class_correct > 0) {
				struct vg_rng ro;
				vg_rng_seed(&ro, w->seed, RS_SAT_OBJECTS ^ (pass << 48) ^ (id_hash(s->id) >> 16));
				for (uint32_t oi = 0; oi < w->n_obj; oi++) {
					const struct sim_object *ob = &w->obj[oi];
					double x, y;
					if (!sim_object_at(ob, tp, &x, &y, NULL, NULL))
						continue;
					bool ok = scene_seen(&sn, x, y);
					double lr = sc->weapons[ob->cls].length_m / p->resolution_m;
					if (!ok || vg_rng_uniform(&ro) >= p->pd_vehicle * (1.0 - exp(-lr * lr)))
						continue;
					double la, lo;
					sim_frame_to_ll(&w->fr, x, y, &la, &lo);
					struct sim_obs o;
					det_true(&o, w, si, oi, ob->cls, tp, la, lo, sig, p->class_correct, &ro);
					o.flags = OBS_F_IMAGE;
					o.t_send = send;
					o.latency_s = (float)lat_s;
					if ((st = push(c, &o)))
						goto out;
				}
				uint64_t nfo = vg_rng_poisson(&ro, p->false_objects_per_1000km2 * clear_km2 / 1000.0);
				for (uint64_t k = 0; k < nfo; k++) {
					double x, y;
					if (!scene_random_clear(&sn, &ro, &x, &y))
						continue;
					struct sim_obs o;
					det_false(&o, w, si, tp, x, y, sig, &ro);
					o.flags |= OBS_F_IMAGE;
					o.t_send = send;
					o.latency_s = (float)lat_s;
					if ((st = push(c, &o)))
						goto out;
				}
			}
		}
	out:
		free(clear);
		if (st)
			return st;
	}
	return VG_OK;
}

/* ---- FIRMS thermal anomalies ------------------------------------------------- */

static vg_status observe_firms(struct obs_ctx *c)
{
	struct sim_world *w = c->w;
	const struct vg_sim_scenario *sc = w->sc;
	const struct sim_firms_spec *f = &sc->firms;
	double L = sc->front.length_km, H = f->scene_half_km;
	vg_status st;
	for (uint32_t si = 0; si < w->n_sen; si++) {
		struct sim_sensor *s = &w->sen[si];
		if (s->kind != SK_FIRMS)
			continue;
		struct vg_rng *r = &c->rng[si];
		int64_t day0 = (w->t0 / (86400 * VG_NS_PER_S) - 1) * 86400 * VG_NS_PER_S;
		for (int64_t day = day0; day < w->t1; day += 86400 * VG_NS_PER_S) {
			for (int ov = 0; ov < 2; ov++) {
				/* Local solar time of the overpass -> UTC at the front's longitude;
				 * the satellites of the constellation follow each other. */
				double utc_h = f->overpass_local_h[ov] - sc->front.lon / 15.0 +
				               s->spec * f->spacing_min / 60.0;
				int64_t tp = day + NS(utc_h * 3600.0);
				if (tp < w->t0 || tp >= w->t1)
					continue;
				double lat_s = vg_rng_range(r, f->latency_h.lo, f->latency_h.hi) * 3600.0;
				struct sim_obs o;
				memset(&o, 0, sizeof o);
				o.kind = VG_OBS_COVERAGE;
				o.sensor = si;
				o.u.cov.from = tp;
				o.u.cov.until = tp;
				if ((st = sv_rect(w, 0, L, -H, H, &o.u.cov.poly, c->err)))
					return st;
				o.u.cov.npoly = 5;
				o.t_send = tp;
				o.latency_s = (float)lat_s;
				if ((st = push(c, &o)))
					return st;
				/* Pixel grid of this overpass: a random phase; pixels grow
				 * off nadir (scan factor 1-1.9: 0.375-0.72 km). */
				double phx = vg_rng_uniform(r), phy = vg_rng_uniform(r);
				for (uint32_t ei = 0; ei < w->n_ev; ei++) {
					const struct sim_event *ev = &w->ev[ei];
					if (ev->type != EV_FIRE || ev->t_ns > tp || ev->until_ns <= tp)
						continue;
					double sv_s, sv_v;
					sim_frame_xy_to_sv(&w->fr, ev->p.x, ev->p.y, &sv_s, &sv_v);
					if (sv_s < 0 || sv_s > L * 1000 || fabs(sv_v) > H * 1000)
						continue;
					double pd = (1.0 - exp(-ev->frp_mw / f->frp_detect_mw)) * (1.0 - sc->env.cloud_prob);
					if (vg_rng_uniform(r) >= pd)
						continue;
					double pix = f->pixel_m * vg_rng_range(r, 1.0, 1.9);
					double gx = (floor(ev->p.x / pix - phx) + 0.5 + phx) * pix;
					double gy = (floor(ev->p.y / pix - phy) + 0.5 + phy) * pix;
					double la, lo;
					sim_frame_to_ll(&w->fr, gx + f->geoloc_sigma_m * vg_rng_normal(r),
					                gy + f->geoloc_sigma_m * vg_rng_normal(r), &la, &lo);
					memset(&o, 0, sizeof o);
					o.kind = VG_OBS_CHANGE;
					o.sub = VG_CHG_THERMAL;
					o.flags = OBS_F_FRP;
					o.sensor = si;
					o.ev = ei + 1;
					o.u.chg.t = tp;
					o.u.chg.lat = la;
					o.u.chg.lon = lo;
					o.u.chg.sigma_m = (float)hypot(pix / sqrt(12.0), f->geoloc_sigma_m);
					o.u.chg.res = (float)pix;
					o.u.chg.conf = 0.8f;
					o.u.chg.frp = (float)(ev->frp_mw * exp(0.3 * vg_rng_normal(r)));
					o.t_send = tp;
					o.latency_s = (float)lat_s;
					if ((st = push(c, &o)))
						return st;
					w->ev[ei].n_obs[SK_FIRMS]++;
				}
				uint64_t nfa = vg_rng_poisson(r, f->false_per_1000km2 * L * 2 * H / 1000.0);
				for (uint64_t k = 0; k < nfa; k++) {
					double x, y, la, lo;
					sim_frame_sv_to_xy(&w->fr, vg_rng_range(r, 0, L) * 1000.0,
					                   vg_rng_range(r, -H, H) * 1000.0, &x, &y);
					sim_frame_to_ll(&w->fr, x, y, &la, &lo);
					memset(&o, 0, sizeof o);
					o.kind = VG_OBS_CHANGE;
					o.sub = VG_CHG_THERMAL;
					o.flags = OBS_F_FRP | OBS_F_FALSE;
					o.sensor = si;
					o.u.chg.t = tp;
					o.u.chg.lat = la;
					o.u.chg.lon = lo;
					o.u.chg.sigma_m = (float)hypot(f->pixel_m / sqrt(12.0), f->geoloc_sigma_m);
					o.u.chg.res = (float)f->pixel_m;
					o.u.chg.conf = 0.5f;
					o.u.chg.frp = (float)vg_rng_range(r, 0.3, 2.0);
					o.t_send = tp;
					o.latency_s = (float)lat_s;
					if ((st = push(c, &o)))
						return st;
				}
			}
		}
	}
	return VG_OK;
}

/* ---- Delivery: seq numbers and FIFO links -------------------------------------- */

static int by_sensor_send(const void *a, const void *b, void *ctx)
{
	const struct sim_obs *o = ctx;
	const struct sim_obs *x = &o[*(const uint32_t *)a], *y = &o[*(const uint32_t *)b];
	if (x->sensor != y->sensor)
		return x->sensor < y->sensor ? -1 : 1;
	if (x->t_send != y->t_send)
		return x->t_send < y->t_send ? -1 : 1;
	return x->gen < y->gen ? -1 : x->gen > y->gen;
}

static vg_status deliver(struct sim_world *w, struct vg_err *err)
{
	uint32_t n = w->n_obs;
	uint32_t *idx = malloc((size_t)(n + 1) * sizeof *idx), *tmp = malloc((size_t)(n + 1) * sizeof *tmp);
	if (!idx || !tmp) {
		free(idx);
		free(tmp);
		return vg_err_set(err, VG_ERR_NOMEM, "delivery order of %u observations", n);
	}
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	sim_sort_index(idx, n, by_sensor_send, w->obs, tmp);
	uint32_t prev_sensor = UINT32_MAX;
	int64_t seq = 0, last = INT64_MIN;
	for (uint32_t k = 0; k < n; k++) {
		struct sim_obs *o = &w->obs[idx[k]];
		if (o->sensor != prev_sensor) {
			prev_sensor = o->sensor;
			seq = 0;
			last = INT64_MIN;
		}
		o->seq = ++seq;
		/* A sensor's link delivers in order: never before its previous report. */
		int64_t t = US_ROUND(o->t_send + NS((double)o->latency_s));
		if (last != INT64_MIN && t <= last)
			t = last + 1000;
		o->t_arrive = last = t;
		if (o->ev) {
			struct sim_event *ev = &w->ev[o->ev - 1];
			if (o->kind == VG_OBS_IMPULSE) {
				for (int j = 0; j < 3; j++)
					if (t < ev->arr3[j]) {
						for (int m = 2; m > j; m--)
							ev->arr3[m] = ev->arr3[m - 1];
						ev->arr3[j] = t;
						break;
					}
			} else if ((o->kind == VG_OBS_FIRE ||
			            (o->kind == VG_OBS_CHANGE && o->sub == VG_CHG_THERMAL)) &&
			           t < ev->fire_arrival) {
				ev->fire_arrival = t;
			}
		}
	}
	free(idx);
	free(tmp);
	return VG_OK;
}

vg_status sim_observe(struct sim_world *w, struct vg_err *err)
{
	const struct sim_env *e = &w->sc->env;
	struct obs_ctx c = {w, NULL, err, 0, 0};
	/* Meteorological convention: the wind comes FROM wind_from_deg. */
	c.wind_e = -e->wind_mps * sin(e->wind_from_deg * DEG);
	c.wind_n = -e->wind_mps * cos(e->wind_from_deg * DEG);
	c.rng = calloc(w->n_sen + 1, sizeof *c.rng);
	if (!c.rng)
		return vg_err_set(err, VG_ERR_NOMEM, "sensor streams");
	/* A sensor's stream depends on its id only (FNV-1a), so adding or
	 * reordering sensors leaves the others' reports unchanged. */
	for (uint32_t i = 0; i < w->n_sen; i++)
		vg_rng_seed(&c.rng[i], w->seed, RS_SENSOR_BASE + (id_hash(w->sen[i].id) >> 16));
	vg_status st;
	if ((st = observe_acoustic(&c)) || (st = observe_radars(&c)) || (st = observe_drones(&c)) ||
	    (st = observe_sats(&c)) || (st = observe_firms(&c)) || (st = deliver(w, err)))
		goto out;
	st = VG_OK;
out:
	free(c.rng);
	return st;
}
