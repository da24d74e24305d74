/*
 * sensors.c - the sensor network: where each sensor is, what the registry
 * says about it (surveyed position, claimed clock quality), how its clock
 * really behaves, when it is silent, and its key.
 *
 * Keys are derived, not drawn: seed_i = SHA-256("vigil-sim-key-v1" || 0 ||
 * seed as 8 little-endian bytes || sensor id), so a run's keys are a pure
 * function of (seed, id) and tests can re-derive them.
 */
#include "sim/sim_int.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#define NS(s) ((int64_t)llround((s) * 1e9))

static vg_status new_sensor(struct sim_world *w, const char *id, const char *owner, int kind,
                            int modality, uint32_t spec, struct sim_sensor **out,
                            struct vg_err *err)
{
	if (!vg_id_valid(id, strlen(id)))
		return vg_err_set(err, VG_ERR_RANGE, "sensor id \"%s\" is not valid", id);
	for (uint32_t i = 0; i < w->n_sen; i++)
		if (!strcmp(w->sen[i].id, id))
			return vg_err_set(err, VG_ERR_RANGE, "scenario.sensors: duplicate sensor id \"%s\"", id);
	vg_status st = SIM_PUSH(w, sen, n_sen, cap_sen, SIM_MAX_SENSORS, "sensors", err);
	if (st)
		return st;
	struct sim_sensor *s = &w->sen[w->n_sen++];
	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "%s", id);
	snprintf(s->owner, sizeof s->owner, "%s", owner);
	s->kind = kind;
	s->modality = modality;
	s->spec = spec;
	s->battery0_pct = 100;
	uint8_t buf[16 + 1 + 8 + VG_ID_MAX], seed[VG_SHA256_BYTES];
	size_t n = 0;
	memcpy(buf, "vigil-sim-key-v1", 16);
	n = 16;
	buf[n++] = 0;
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(w->seed >> (8 * i));
	memcpy(buf + n, id, strlen(id));
	n += strlen(id);
	vg_sha256(buf, n, seed);
	vg_key_from_seed(&s->key, seed);
	sodium_memzero(seed, sizeof seed);
	*out = s;
	return VG_OK;
}

static void set_fixed(struct sim_world *w, struct sim_sensor *s, double x, double y,
                      double survey_sigma_m, struct vg_rng *rng)
{
	s->fixed = true;
	sim_pos_from_xy(&w->fr, x, y, &s->p);
	s->survey_sigma_m = survey_sigma_m;
	/* The registry holds the surveyed position: truth + survey error. */
	double ex = survey_sigma_m * vg_rng_normal(rng), ey = survey_sigma_m * vg_rng_normal(rng);
	double k_lat = w->fr.k_lat, k_lon = w->fr.k_lon * cos(s->p.lat * M_PI / 180) /
	                                    cos(w->fr.lat0 * M_PI / 180);
	s->reg_lat = s->p.lat + ey / k_lat;
	s->reg_lon = s->p.lon + ex / k_lon;
}

static vg_status outages(struct sim_world *w, struct sim_sensor *s, double per_day, double mean_h,
                         struct vg_rng *rng, struct vg_err *err)
{
	double span_s = (double)(w->t1 - w->t0) / 1e9;
	if (!(per_day > 0))
		return VG_OK;
	uint32_t cap = 0;
	double t = vg_rng_exponential(rng, 86400.0 / per_day);
	while (t < span_s) {
		double d = vg_rng_exponential(rng, mean_h * 3600.0);
		vg_status st = sim_grow((void **)&s->outage, &cap, s->n_outage, sizeof *s->outage, 100000,
		                        "outages", err);
		if (st)
			return st;
		s->outage[s->n_outage][0] = w->t0 + NS(t);
		s->outage[s->n_outage][1] = w->t0 + NS(t + d);
		s->n_outage++;
		t += d + vg_rng_exponential(rng, 86400.0 / per_day);
	}
	return VG_OK;
}

static vg_status build_acoustic(struct sim_world *w, struct vg_rng *rng, struct vg_err *err)
{
	const struct vg_sim_scenario *sc = w->sc;
	vg_status st;
	for (uint32_t g = 0; g < sc->n_acoustic; g++) {
		const struct sim_acoustic_spec *a = &sc->acoustic[g];
		double a0 = a->along_km.lo, a1 = a->along_km.hi, o0 = a->offset_km.lo, o1 = a->offset_km.hi;
		uint32_t rows = 1, cols = a->count;
		if (a->layout == LAYOUT_GRID && a->count > 0 && o1 > o0) {
			double sp = sqrt((a1 - a0) * (o1 - o0) / a->count);
			rows = (uint32_t)fmax(1.0, round((o1 - o0) / sp));
			cols = (a->count + rows - 1) / rows;
		}
		for (uint32_t i = 0; i < a->count; i++) {
			char id[VG_ID_MAX + 1];
			snprintf(id, sizeof id, "%.40s-%04u", a->prefix, i + 1);
			struct sim_sensor *s;
			if ((st = new_sensor(w, id, a->owner, a->array ? SK_ARRAY : SK_ACOUSTIC,
			                     a->array ? VG_MOD_ACOUSTIC_ARRAY : VG_MOD_ACOUSTIC, g, &s, err)))
				return st;
			double x, y, al, of;
			switch (a->layout) {
			case LAYOUT_POINTS:
				sim_frame_from_ll(&w->fr, a->points[i][0], a->points[i][1], &x, &y);
				break;
			case LAYOUT_RANDOM:
				al = vg_rng_range(rng, a0, a1);
				of = vg_rng_range(rng, o0, o1);
				sim_place_front(w, -1, al, of, &x, &y);
				break;
			case LAYOUT_LINE:
				al = a->count > 1 ? a0 + (a1 - a0) * i / (a->count - 1) : (a0 + a1) / 2;
				sim_place_front(w, -1, al, (o0 + o1) / 2, &x, &y);
				break;
			default: {
				uint32_t r = i % rows, c = i / rows;
				double da = (a1 - a0) / cols, dof = (o1 - o0) / rows;
				al = a0 + (c + 0.5 + (r % 2 ? 0.25 : -0.25)) * da + vg_rng_range(rng, -0.15, 0.15) * da;
				of = o0 + (r + 0.5) * dof + vg_rng_range(rng, -0.15, 0.15) * dof;
				al = al < a0 ? a0 : al > a1 ? a1 : al;
				sim_place_front(w, -1, al, of, &x, &y);
				break;
			}
			}
			if (a->layout == LAYOUT_POINTS) {
				s->fixed = true;
				sim_pos_from_ll(&w->fr, a->points[i][0], a->points[i][1], &s->p);
				s->survey_sigma_m = a->survey_sigma_m;
				s->reg_lat = s->p.lat;
				s->reg_lon = s->p.lon;
				/* Listed points are surveyed exactly only if sigma is 0. */
				if (a->survey_sigma_m > 0)
					set_fixed(w, s, x, y, a->survey_sigma_m, rng);
			} else {
				set_fixed(w, s, x, y, a->survey_sigma_m, rng);
			}
			s->timing_sigma_s = a->timing_sigma_s;
			/* Clock: GPS-disciplined offsets are drawn from the claimed sigma;
			 * a "bad" clock runs on NMEA/serial time (gpsd: 10-700 ms
			 * offsets, 100-300 ms jitter) while claiming the same sigma. */
			s->clock_offset_s = a->timing_sigma_s * vg_rng_normal(rng);
			if (vg_rng_uniform(rng) < a->bad_clock_fraction) {
				s->bad_clock = true;
				s->clock_offset_s = vg_rng_range(rng, 0.010, 0.700);
				s->clock_jitter_s = vg_rng_range(rng, 0.100, 0.300);
			}
			s->battery0_pct = vg_rng_range(rng, 70, 100);
			if ((st = outages(w, s, a->outages_per_day, a->outage_mean_h, rng, err)))
				return st;
		}
	}
	return VG_OK;
}

vg_status sim_sensors_build(struct sim_world *w, struct vg_err *err)
{
	const struct vg_sim_scenario *sc = w->sc;
	struct vg_rng rng;
	vg_rng_seed(&rng, w->seed, RS_SENSOR_LAYOUT);
	vg_status st = build_acoustic(w, &rng, err);
	if (st)
		return st;
	for (uint32_t i = 0; i < sc->n_radars; i++) {
		const struct sim_radar_spec *r = &sc->radars[i];
		struct sim_sensor *s;
		if ((st = new_sensor(w, r->id, r->owner, SK_RADAR, VG_MOD_COUNTER_BATTERY, i, &s, err)))
			return st;
		double x, y;
		if (r->place.mode == PLACE_POINT)
			sim_frame_from_ll(&w->fr, r->place.lat, r->place.lon, &x, &y);
		else
			sim_place_front(w, -1, vg_rng_range(&rng, r->place.along_km.lo, r->place.along_km.hi),
			                vg_rng_range(&rng, r->place.dist_km.lo, r->place.dist_km.hi), &x, &y);
		set_fixed(w, s, x, y, 5.0, &rng);
		s->timing_sigma_s = 1e-3;
	}
	for (uint32_t i = 0; i < sc->n_drones; i++) {
		struct sim_sensor *s;
		if ((st = new_sensor(w, sc->drones[i].id, sc->drones[i].owner, SK_DRONE, VG_MOD_DRONE, i,
		                     &s, err)))
			return st;
		s->timing_sigma_s = 1e-3;
	}
	for (uint32_t i = 0; i < sc->n_sats; i++) {
		const struct sim_sat_spec *p = &sc->sats[i];
		struct sim_sensor *s;
		if ((st = new_sensor(w, p->id, p->owner, p->type == SAT_SAR ? SK_SAT_SAR : SK_SAT_OPTICAL,
		                     p->type == SAT_SAR ? VG_MOD_SATELLITE_SAR : VG_MOD_SATELLITE_OPTICAL,
		                     i, &s, err)))
			return st;
	}
	if (sc->firms.enabled) {
		static const char *const names[3] = {"firms-snpp", "firms-noaa20", "firms-noaa21"};
		for (uint32_t k = 0; k < sc->firms.n_sats; k++) {
			struct sim_sensor *s;
			if ((st = new_sensor(w, names[k], sc->firms.owner, SK_FIRMS, VG_MOD_EXTERNAL, k, &s, err)))
				return st;
		}
	}
	return VG_OK;
}
