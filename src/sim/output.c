/*
 * output.c - the files of a run: agreement.geojson, sensors.ndjson,
 * keys/<id>.key, observations.ndjson and truth.json.
 *
 * Observations are formatted and signed on N threads in chunks; the main
 * thread writes chunk i only after chunk i-1, so the file is the same bytes
 * for any N. Numbers are printed with fixed decimals per quantity
 * (sim_fmt_fixed), never "-0", so output does not depend on printf's
 * shortest-representation choices.
 */
#include "sim/sim_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- Buffers and numbers --------------------------------------------------- */

size_t sim_fmt_fixed(char *buf, size_t cap, double x, int dec)
{
	if (!isfinite(x))
		x = 0;
	int n = snprintf(buf, cap, "%.*f", dec, x);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '0';
		buf[1] = 0;
		return 1;
	}
	if (dec > 0) {
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = 0;
		if (n > 0 && buf[n - 1] == '.')
			buf[--n] = 0;
	}
	if (!strcmp(buf, "-0")) {
		buf[0] = '0';
		buf[1] = 0;
		n = 1;
	}
	return (size_t)n;
}

void sim_buf_init(struct sim_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void sim_buf_release(struct sim_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static bool buf_reserve(struct sim_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t nc = b->cap ? b->cap : 4096;
	while (nc < b->len + n + 1)
		nc *= 2;
	if (nc > b->max) {
		if (b->len + n + 1 > b->max) {
			b->oom = true;
			return false;
		}
		nc = b->max;
	}
	char *p = realloc(b->p, nc);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = nc;
	return true;
}

void sim_buf_put(struct sim_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void sim_buf_puts(struct sim_buf *b, const char *s) { sim_buf_put(b, s, strlen(s)); }

void sim_buf_printf(struct sim_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sim_buf_put(b, tmp, (size_t)n);
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sim_buf_num(struct sim_buf *b, double x, int dec)
{
	char tmp[64];
	size_t n = sim_fmt_fixed(tmp, sizeof tmp, x, dec);
	sim_buf_put(b, tmp, n);
}

void sim_buf_time(struct sim_buf *b, int64_t t_ns)
{
	char tmp[VG_TIME_STR_MAX];
	vg_time_format(t_ns, tmp);
	sim_buf_put(b, "\"", 1);
	sim_buf_puts(b, tmp);
	sim_buf_put(b, "\"", 1);
}

void sim_buf_str(struct sim_buf *b, const char *s)
{
	sim_buf_put(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '"' || ch == '\\') {
			char e[2] = {'\\', (char)ch};
			sim_buf_put(b, e, 2);
		} else if (ch < 0x20) {
			char e[8];
			snprintf(e, sizeof e, "\\u%04x", ch);
			sim_buf_put(b, e, 6);
		} else {
			sim_buf_put(b, p, 1);
		}
	}
	sim_buf_put(b, "\"", 1);
}

/* "key":value helpers */
static void kv_num(struct sim_buf *b, const char *k, double x, int dec)
{
	sim_buf_printf(b, "\"%s\":", k);
	sim_buf_num(b, x, dec);
}

static void kv_time(struct sim_buf *b, const char *k, int64_t t)
{
	sim_buf_printf(b, "\"%s\":", k);
	sim_buf_time(b, t);
}

static void kv_str(struct sim_buf *b, const char *k, const char *v)
{
	sim_buf_printf(b, "\"%s\":", k);
	sim_buf_str(b, v);
}

static void put_ring(struct sim_buf *b, const double (*ll)[2], uint32_t n)
{
	sim_buf_put(b, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		sim_buf_puts(b, i ? ",[" : "[");
		sim_buf_num(b, ll[i][0], 7);
		sim_buf_put(b, ",", 1);
		sim_buf_num(b, ll[i][1], 7);
		sim_buf_put(b, "]", 1);
	}
	sim_buf_put(b, "]", 1);
}

/* ---- Observation payloads ---------------------------------------------------- */

static void put_pos(struct sim_buf *b, double lat, double lon, double alt, double sig)
{
	sim_buf_puts(b, ",\"pos\":{");
	kv_num(b, "lat", lat, 7);
	sim_buf_put(b, ",", 1);
	kv_num(b, "lon", lon, 7);
	sim_buf_put(b, ",", 1);
	kv_num(b, "alt_m", alt, 1);
	sim_buf_put(b, ",", 1);
	kv_num(b, "sigma_m", sig, 1);
	sim_buf_put(b, "}", 1);
}

/* A polygon from the pool, with the closing vertex made bit-identical to the first
 * after 7-decimal rounding (it already is: the pool stores it twice). */
static void put_pool_ring(struct sim_buf *b, const struct sim_world *w, uint32_t first, uint32_t n)
{
	put_ring(b, (const double (*)[2])(w->pts + first), n);
}

void sim_obs_payload(const struct sim_world *w, const struct sim_obs *o, struct sim_buf *b)
{
	const struct sim_sensor *s = &w->sen[o->sensor];
	sim_buf_puts(b, "{\"v\":1,");
	kv_str(b, "sensor", s->id);
	sim_buf_printf(b, ",\"seq\":%lld,\"kind\":\"%s\"", (long long)o->seq, vg_obs_kind_name(o->kind));
	switch (o->kind) {
	case VG_OBS_IMPULSE:
		sim_buf_puts(b, ",\"impulse\":{");
		kv_time(b, "arrival", o->u.imp.t);
		sim_buf_put(b, ",", 1);
		kv_num(b, "sigma_s", fmax(o->u.imp.sigma_s, 1e-6), 6);
		if (o->flags & OBS_F_BEARING) {
			sim_buf_put(b, ",", 1);
			double bd = round(o->u.imp.bearing_deg * 100) / 100;
			kv_num(b, "bearing_deg", bd >= 360 ? 0 : bd, 2);
			sim_buf_put(b, ",", 1);
			kv_num(b, "bearing_sigma_deg", fmax(o->u.imp.bearing_sigma_deg, 0.01), 2);
		}
		sim_buf_put(b, ",", 1);
		kv_num(b, "snr_db", o->u.imp.snr_db, 1);
		sim_buf_put(b, ",", 1);
		kv_str(b, "class", vg_impulse_class_name(o->cls));
		sim_buf_put(b, "}", 1);
		break;
	case VG_OBS_DETECTION:
		if (!(o->flags & OBS_F_IMAGE)) /* a drone's position; a satellite's is not given */
			put_pos(b, o->u.det.plat, o->u.det.plon, o->u.det.palt, o->u.det.psig);
		sim_buf_puts(b, ",\"detection\":{");
		kv_time(b, "time", o->u.det.t);
		sim_buf_put(b, ",", 1);
		kv_num(b, "lat", o->u.det.lat, 7);
		sim_buf_put(b, ",", 1);
		kv_num(b, "lon", o->u.det.lon, 7);
		sim_buf_put(b, ",", 1);
		kv_num(b, "sigma_m", o->u.det.sigma_m, 1);
		sim_buf_put(b, ",", 1);
		kv_str(b, "class", vg_object_class_name(o->cls));
		sim_buf_put(b, ",", 1);
		kv_num(b, "class_conf", o->u.det.conf, 2);
		if (!(o->flags & OBS_F_IMAGE)) { /* one image shows no speed */
			sim_buf_put(b, ",", 1);
			kv_num(b, "speed_mps", o->u.det.speed, 1);
		}
		if (o->flags & OBS_F_HEADING) {
			sim_buf_put(b, ",", 1);
			double hd = round(o->u.det.heading * 10) / 10;
			kv_num(b, "heading_deg", hd >= 360 ? 0 : hd, 1);
		}
		sim_buf_put(b, "}", 1);
		break;
	case VG_OBS_FIRE:
		sim_buf_puts(b, ",\"fire\":{\"launch\":{");
		kv_time(b, "time", o->u.fire.tl);
		sim_buf_put(b, ",", 1);
		kv_num(b, "lat", o->u.fire.llat, 7);
		sim_buf_put(b, ",", 1);
		kv_num(b, "lon", o->u.fire.llon, 7);
		sim_buf_put(b, ",", 1);
		kv_num(b, "cep_m", fmax(o->u.fire.lcep, 0.1), 1);
		sim_buf_put(b, "}", 1);
		if (o->u.fire.icep > 0) {
			sim_buf_puts(b, ",\"impact\":{");
			kv_time(b, "time", o->u.fire.ti);
			sim_buf_put(b, ",", 1);
			kv_num(b, "lat", o->u.fire.ilat, 7);
			sim_buf_put(b, ",", 1);
			kv_num(b, "lon", o->u.fire.ilon, 7);
			sim_buf_put(b, ",", 1);
			kv_num(b, "cep_m", fmax(o->u.fire.icep, 0.1), 1);
			sim_buf_put(b, "}", 1);
		}
		sim_buf_put(b, ",", 1);
		kv_str(b, "class", vg_object_class_name(o->cls));
		sim_buf_put(b, "}", 1);
		break;
	case VG_OBS_CHANGE:
		sim_buf_puts(b, ",\"change\":{");
		kv_time(b, "acquired", o->u.chg.t);
		sim_buf_put(b, ",", 1);
		kv_str(b, "type", vg_change_type_name(o->sub));
		sim_buf_put(b, ",", 1);
		kv_num(b, "resolution_m", fmax(o->u.chg.res, 0.1), 1);
		sim_buf_put(b, ",", 1);
		kv_num(b, "confidence", o->u.chg.conf, 2);
		if (o->u.chg.npoly) {
			sim_buf_puts(b, ",\"polygon\":");
			put_pool_ring(b, w, o->u.chg.poly, o->u.chg.npoly);
		} else {
			sim_buf_puts(b, ",\"point\":{");
			kv_num(b, "lat", o->u.chg.lat, 7);
			sim_buf_put(b, ",", 1);
			kv_num(b, "lon", o->u.chg.lon, 7);
			sim_buf_put(b, ",", 1);
			kv_num(b, "sigma_m", fmax(o->u.chg.sigma_m, 0.1), 1);
			sim_buf_put(b, "}", 1);
		}
		if (o->flags & OBS_F_FRP) {
			sim_buf_put(b, ",", 1);
			kv_num(b, "frp_mw", o->u.chg.frp, 2);
		}
		sim_buf_put(b, "}", 1);
		break;
	case VG_OBS_COVERAGE:
		sim_buf_puts(b, ",\"coverage\":{");
		kv_time(b, "from", o->u.cov.from);
		sim_buf_put(b, ",", 1);
		kv_time(b, "until", o->u.cov.until);
		sim_buf_puts(b, ",\"polygon\":");
		put_pool_ring(b, w, o->u.cov.poly, o->u.cov.npoly);
		sim_buf_put(b, "}", 1);
		break;
	case VG_OBS_STATUS:
		if (o->flags & OBS_F_POS)
			put_pos(b, o->u.st.plat, o->u.st.plon, o->u.st.palt, o->u.st.psig);
		sim_buf_puts(b, ",\"status\":{");
		kv_time(b, "time", o->u.st.t);
		sim_buf_puts(b, ",\"alive\":true,");
		kv_num(b, "battery_pct", o->u.st.batt, 1);
		sim_buf_put(b, ",", 1);
		kv_num(b, "clock_sigma_s", fmax(o->u.st.clock_sigma, 1e-9), 9);
		sim_buf_put(b, "}", 1);
		break;
	default:
		vg_assert(!"unknown observation kind");
	}
	sim_buf_put(b, "}", 1);
}

/* ---- Files ---------------------------------------------------------------------- */

struct out_file {
	FILE *f;
	char path[4096];
	uint64_t bytes;
};

static vg_status of_open(struct out_file *o, const char *dir, const char *name, struct vg_err *err)
{
	snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
	o->bytes = 0;
	o->f = fopen(o->path, "wx");
	if (!o->f)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", o->path, strerror(errno));
	setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	return VG_OK;
}

static vg_status of_write(struct out_file *o, const void *p, size_t n, struct vg_err *err)
{
	if (n && fwrite(p, 1, n, o->f) != n)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", o->path, strerror(errno));
	o->bytes += n;
	return VG_OK;
}

/* Write the buffer out if it holds more than `keep` bytes (or always when keep == 0). */
static vg_status of_flush_buf(struct out_file *o, struct sim_buf *b, size_t keep, struct vg_err *err)
{
	if (b->oom)
		return vg_err_set(err, VG_ERR_NOMEM, "%s: output buffer", o->path);
	if (b->len <= keep && keep)
		return VG_OK;
	vg_status st = of_write(o, b->p, b->len, err);
	b->len = 0;
	return st;
}

static vg_status of_close(struct out_file *o, vg_status st, struct vg_err *err)
{
	if (!o->f)
		return st;
	int bad = fflush(o->f) != 0 || fsync(fileno(o->f)) != 0;
	bad |= fclose(o->f) != 0;
	o->f = NULL;
	if (bad && st == VG_OK)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", o->path, strerror(errno));
	return st;
}

static vg_status prepare_dir(const char *dir, struct vg_err *err)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", dir, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	bool empty = true;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty)
		return vg_err_set(err, VG_ERR_EXISTS, "%s: not empty; refusing to overwrite a run", dir);
	return VG_OK;
}

/* ---- agreement.geojson ------------------------------------------------------------- */

static void feature_head(struct sim_buf *b, bool first, const char *id)
{
	sim_buf_puts(b, first ? "\n{\"type\":\"Feature\"," : ",\n{\"type\":\"Feature\",");
	kv_str(b, "id", id);
	sim_buf_puts(b, ",\"properties\":{");
}

static vg_status write_agreement(struct sim_world *w, const char *dir, struct vg_err *err)
{
	const struct vg_sim_scenario *sc = w->sc;
	struct out_file of;
	struct sim_buf b;
	vg_status st = of_open(&of, dir, "agreement.geojson", err);
	if (st)
		return st;
	if (sc->front.loaded) /* the agreement the scenario reused, byte for byte */
		return of_close(&of, of_write(&of, sc->front.file_bytes, sc->front.file_len, err), err);
	sim_buf_init(&b, 64u << 20);
	sim_buf_puts(&b, "{\"type\":\"FeatureCollection\",\n\"agreement\":{");
	kv_str(&b, "name", sc->agreement.name);
	sim_buf_puts(&b, ",\"version\":1,\"parties\":[");
	sim_buf_str(&b, sc->agreement.parties[0]);
	sim_buf_put(&b, ",", 1);
	sim_buf_str(&b, sc->agreement.parties[1]);
	sim_buf_puts(&b, "],");
	kv_time(&b, "effective", sc->agreement.effective_ns);
	if (sc->agreement.weapon_classes_json) {
		sim_buf_puts(&b, ",\"weapon_classes\":");
		sim_buf_puts(&b, sc->agreement.weapon_classes_json);
	}
	sim_buf_puts(&b, ",\"rules\":");
	sim_buf_puts(&b, sc->agreement.rules_json ? sc->agreement.rules_json : "[]");
	sim_buf_puts(&b, "},\n\"features\":[");

	feature_head(&b, true, "contact-line");
	sim_buf_puts(&b, "\"role\":\"contact_line\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
	for (uint32_t i = 0; i < w->n_line; i++) {
		double la, lo;
		sim_frame_to_ll(&w->fr, w->line_xy[i][0], w->line_xy[i][1], &la, &lo);
		sim_buf_puts(&b, i ? ",[" : "[");
		sim_buf_num(&b, lo, 7);
		sim_buf_put(&b, ",", 1);
		sim_buf_num(&b, la, 7);
		sim_buf_put(&b, "]", 1);
	}
	sim_buf_puts(&b, "]}}");
	for (int s = 0; s < 2; s++) {
		char id[VG_ID_MAX + 8];
		snprintf(id, sizeof id, "side-%s", sc->agreement.parties[s]);
		feature_head(&b, false, id);
		sim_buf_puts(&b, "\"role\":\"side\",");
		kv_str(&b, "party", sc->agreement.parties[s]);
		sim_buf_puts(&b, "},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[");
		put_ring(&b, (const double (*)[2])w->side_ll[s], w->n_side[s]);
		sim_buf_puts(&b, "]}}");
	}
	feature_head(&b, false, "security-zone");
	sim_buf_puts(&b, "\"role\":\"zone\",\"zone\":\"security_zone\",");
	kv_num(&b, "half_width_km", sc->front.security_zone_km, 3);
	sim_buf_puts(&b, "},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[");
	put_ring(&b, (const double (*)[2])w->zone_ll, w->n_zone);
	sim_buf_puts(&b, "]}}");
	for (uint32_t i = 0; i < w->n_hold; i++) {
		feature_head(&b, false, sc->front.holding[i].id);
		sim_buf_puts(&b, "\"role\":\"zone\",\"zone\":\"holding_area\",");
		kv_str(&b, "party", sc->agreement.parties[w->hold[i].party]);
		sim_buf_puts(&b, "},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[");
		put_ring(&b, (const double (*)[2])w->hold[i].ll, w->hold[i].n);
		sim_buf_puts(&b, "]}}");
	}
	sim_buf_puts(&b, "\n]}\n");
	st = of_flush_buf(&of, &b, 0, err);
	sim_buf_release(&b);
	return of_close(&of, st, err);
}

/* ---- sensors.ndjson and keys ----------------------------------------------------- */

static vg_status write_sensors(struct sim_world *w, const char *dir, struct vg_err *err)
{
	char kdir[4096], path[4200], line[4096];
	snprintf(kdir, sizeof kdir, "%s/keys", dir);
	if (mkdir(kdir, 0700) != 0)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", kdir, strerror(errno));
	struct out_file of;
	vg_status st = of_open(&of, dir, "sensors.ndjson", err);
	if (st)
		return st;
	for (uint32_t i = 0; i < w->n_sen && !st; i++) {
		const struct sim_sensor *s = &w->sen[i];
		struct vg_sensor r;
		memset(&r, 0, sizeof r);
		snprintf(r.id, sizeof r.id, "%s", s->id);
		snprintf(r.owner, sizeof r.owner, "%s", s->owner);
		r.modality = s->modality;
		memcpy(r.pk, s->key.pk, VG_PK_BYTES);
		r.has_pos = s->fixed;
		if (s->fixed) {
			r.lat_deg = round(s->reg_lat * 1e7) / 1e7;
			r.lon_deg = round(s->reg_lon * 1e7) / 1e7;
			r.alt_m = 0;
			r.survey_sigma_m = s->survey_sigma_m > 0 ? s->survey_sigma_m : 0.01;
		}
		r.has_timing = s->timing_sigma_s > 0;
		r.timing_sigma_s = s->timing_sigma_s;
		r.valid_from_ns = w->t0 - 86400 * VG_NS_PER_S;
		r.valid_until_ns = INT64_MAX;
		r.revoked_at_ns = INT64_MAX;
		size_t n = vg_sensor_format(&r, line, sizeof line - 1);
		if (n == 0) {
			st = vg_err_set(err, VG_ERR_INTERNAL, "sensor %s: registry line does not fit", s->id);
			break;
		}
		line[n++] = '\n';
		st = of_write(&of, line, n, err);
		if (!st) {
			snprintf(path, sizeof path, "%s/%s.key", kdir, s->id);
			st = vg_key_write_secret(path, &s->key, err);
		}
	}
	return of_close(&of, st, err);
}

/* ---- observations.ndjson: format + sign in parallel, write in order --------------- */

#define CHUNK 4096
#define SLOTS_PER_THREAD 2

struct slot {
	int64_t chunk; /* chunk held, -1 free */
	bool ready;
	struct sim_buf buf;
};

struct pipe {
	const struct sim_world *w;
	const uint32_t *order;
	uint32_t n, n_chunks;
	unsigned threads, n_slots;
	struct slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool failed;
};

struct worker {
	struct pipe *p;
	unsigned tid;
};

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct pipe *p = wk->p;
	struct sim_buf payload;
	sim_buf_init(&payload, VG_LINE_MAX);
	size_t ecap = 4 * (size_t)VG_LINE_MAX / 3 + 1024;
	char *env = malloc(ecap);
	for (uint32_t c = wk->tid; c < p->n_chunks; c += p->threads) {
		struct slot *s = &p->slots[c % p->n_slots];
		pthread_mutex_lock(&p->mu);
		while (s->chunk != -1 && !p->failed)
			pthread_cond_wait(&p->cv, &p->mu);
		bool failed = p->failed;
		if (!failed)
			s->chunk = c;
		pthread_mutex_unlock(&p->mu);
		if (failed)
			break;
		s->buf.len = 0;
		bool ok = env != NULL;
		uint32_t end = (c + 1) * CHUNK < p->n ? (c + 1) * CHUNK : p->n;
		for (uint32_t k = c * CHUNK; k < end && ok; k++) {
			const struct sim_obs *o = &p->w->obs[p->order[k]];
			payload.len = 0;
			sim_obs_payload(p->w, o, &payload);
			if (payload.oom) {
				ok = false;
				break;
			}
			const struct sim_sensor *sen = &p->w->sen[o->sensor];
			size_t n = vg_envelope_encode((const uint8_t *)payload.p, payload.len, sen->id,
			                              &sen->key, env, ecap - 1);
			if (n == 0) {
				ok = false;
				break;
			}
			env[n++] = '\n';
			sim_buf_put(&s->buf, env, n);
			ok = !s->buf.oom;
		}
		pthread_mutex_lock(&p->mu);
		if (ok)
			s->ready = true;
		else
			p->failed = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (!ok)
			break;
	}
	free(env);
	sim_buf_release(&payload);
	return NULL;
}

static int by_arrival(const void *a, const void *b, void *ctx)
{
	const struct sim_obs *o = ctx;
	const struct sim_obs *x = &o[*(const uint32_t *)a], *y = &o[*(const uint32_t *)b];
	if (x->t_arrive != y->t_arrive)
		return x->t_arrive < y->t_arrive ? -1 : 1;
	if (x->sensor != y->sensor)
		return x->sensor < y->sensor ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static vg_status write_observations(struct sim_world *w, const char *dir, unsigned threads,
                                    struct vg_sim_stats *stats, struct vg_err *err)
{
	uint32_t n = w->n_obs;
	uint32_t *order = malloc((size_t)(n + 1) * sizeof *order);
	uint32_t *tmp = malloc((size_t)(n + 1) * sizeof *tmp);
	if (!order || !tmp) {
		free(order);
		free(tmp);
		return vg_err_set(err, VG_ERR_NOMEM, "ordering %u observations", n);
	}
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	sim_sort_index(order, n, by_arrival, w->obs, tmp);
	free(tmp);

	struct out_file of;
	vg_status st = of_open(&of, dir, "observations.ndjson", err);
	if (st) {
		free(order);
		return st;
	}
	struct pipe p;
	memset(&p, 0, sizeof p);
	p.w = w;
	p.order = order;
	p.n = n;
	p.n_chunks = (n + CHUNK - 1) / CHUNK;
	p.threads = threads;
	p.n_slots = threads * SLOTS_PER_THREAD;
	p.slots = calloc(p.n_slots, sizeof *p.slots);
	pthread_t *tids = calloc(threads, sizeof *tids);
	struct worker *wks = calloc(threads, sizeof *wks);
	unsigned started = 0;
	if (!p.slots || !tids || !wks) {
		st = vg_err_set(err, VG_ERR_NOMEM, "signing pipeline");
		goto out;
	}
	for (unsigned i = 0; i < p.n_slots; i++) {
		p.slots[i].chunk = -1;
		sim_buf_init(&p.slots[i].buf, (size_t)CHUNK * (4 * (size_t)VG_LINE_MAX / 3 + 1024));
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (unsigned i = 0; i < threads; i++) {
		wks[i].p = &p;
		wks[i].tid = i;
		if (pthread_create(&tids[i], NULL, worker_main, &wks[i]) != 0) {
			pthread_mutex_lock(&p.mu);
			p.failed = true;
			pthread_cond_broadcast(&p.cv);
			pthread_mutex_unlock(&p.mu);
			st = vg_err_set(err, VG_ERR_INTERNAL, "cannot start signing thread");
			break;
		}
		started++;
	}
	for (uint32_t c = 0; c < p.n_chunks && !st; c++) {
		struct slot *s = &p.slots[c % p.n_slots];
		pthread_mutex_lock(&p.mu);
		while (!(s->chunk == (int64_t)c && s->ready) && !p.failed)
			pthread_cond_wait(&p.cv, &p.mu);
		bool failed = p.failed;
		pthread_mutex_unlock(&p.mu);
		if (failed) {
			st = vg_err_set(err, VG_ERR_INTERNAL, "formatting or signing an observation failed");
			break;
		}
		st = of_write(&of, s->buf.p, s->buf.len, err);
		pthread_mutex_lock(&p.mu);
		s->ready = false;
		s->chunk = -1;
		if (st)
			p.failed = true;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
out:
	if (p.slots)
		for (unsigned i = 0; i < p.n_slots; i++)
			sim_buf_release(&p.slots[i].buf);
	free(p.slots);
	free(tids);
	free(wks);
	free(order);
	if (stats)
		stats->bytes_observations = of.bytes;
	return of_close(&of, st, err);
}

/* ---- truth.json ---------------------------------------------------------------- */

static const char *ev_type_name(int t)
{
	return t == EV_LAUNCH ? "launch" : t == EV_IMPACT ? "impact" : "fire";
}

static const char *rule_name(int r)
{
	return r == VR_NO_FIRE ? "no_fire" : r == VR_WITHDRAWAL ? "withdrawal" : "no_new_fortification";
}

static void put_cov(struct sim_buf *b, const double c[2][2])
{
	sim_buf_puts(b, "[[");
	sim_buf_num(b, c[0][0], 3);
	sim_buf_put(b, ",", 1);
	sim_buf_num(b, c[0][1], 3);
	sim_buf_puts(b, "],[");
	sim_buf_num(b, c[1][0], 3);
	sim_buf_put(b, ",", 1);
	sim_buf_num(b, c[1][1], 3);
	sim_buf_puts(b, "]]");
}

static vg_status write_truth(struct sim_world *w, const char *dir, struct vg_err *err)
{
	const struct vg_sim_scenario *sc = w->sc;
	const char *const *parties = (const char *const[]){sc->agreement.parties[0], sc->agreement.parties[1]};
	struct out_file of;
	struct sim_buf b;
	vg_status st = of_open(&of, dir, "truth.json", err);
	if (st)
		return st;
	sim_buf_init(&b, 64u << 20);
	/* Events of each mission, as linked lists. */
	uint32_t *head = malloc((size_t)(w->n_mis + 1) * sizeof *head);
	uint32_t *next = malloc((size_t)(w->n_ev + 1) * sizeof *next);
	if (!head || !next) {
		st = vg_err_set(err, VG_ERR_NOMEM, "truth");
		goto out;
	}
	for (uint32_t i = 0; i < w->n_mis; i++)
		head[i] = UINT32_MAX;
	for (uint32_t i = w->n_ev; i-- > 0;) {
		const struct sim_event *e = &w->ev[i];
		next[i] = UINT32_MAX;
		if (e->mission != UINT32_MAX && e->type != EV_FIRE) {
			next[i] = head[e->mission];
			head[e->mission] = i;
		}
	}

	sim_buf_puts(&b, "{\"vigil_truth\":1,");
	kv_str(&b, "scenario", sc->name);
	sim_buf_printf(&b, ",\"seed\":%llu,", (unsigned long long)w->seed);
	kv_time(&b, "start", w->t0);
	sim_buf_put(&b, ",", 1);
	kv_time(&b, "end", w->t1);
	sim_buf_puts(&b, ",\n\"agreement\":{");
	kv_str(&b, "name", sc->agreement.name);
	sim_buf_put(&b, ",", 1);
	kv_time(&b, "effective", sc->agreement.effective_ns);
	sim_buf_puts(&b, ",\"parties\":[");
	sim_buf_str(&b, parties[0]);
	sim_buf_put(&b, ",", 1);
	sim_buf_str(&b, parties[1]);
	sim_buf_puts(&b, "]},\n\"environment\":{");
	const struct sim_env *e = &sc->env;
	kv_num(&b, "temperature_c", e->temp_c, 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "diurnal_amplitude_c", e->diurnal_c, 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "humidity_pct", e->rh_pct, 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "pressure_kpa", e->p_kpa, 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "wind_mps", e->wind_mps, 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "wind_from_deg", e->wind_from_deg, 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "sound_speed_mps", vg_sim_sound_speed_mps(e->temp_c), 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "cloud_prob", e->cloud_prob, 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "medium_temp_sigma_c", e->medium_temp_sigma_c, 3);
	sim_buf_put(&b, ",", 1);
	kv_num(&b, "medium_wind_sigma_mps", e->medium_wind_sigma_mps, 3);
	sim_buf_puts(&b, "},\n\"events\":[");

	static const char *const kind_key[SK_COUNT_] = {"acoustic", "acoustic_array", "counter_battery_radar",
	                                                "drone", "satellite_optical", "satellite_sar", "firms"};
	for (uint32_t i = 0; i < w->n_ev && !st; i++) {
		const struct sim_event *ev = &w->ev[i];
		sim_buf_puts(&b, i ? ",\n{" : "\n{");
		sim_buf_printf(&b, "\"id\":\"ev-%06u\",\"type\":\"%s\",", ev->id, ev_type_name(ev->type));
		kv_time(&b, "time", ev->t_ns);
		if (ev->type == EV_FIRE) {
			sim_buf_put(&b, ",", 1);
			kv_time(&b, "until", ev->until_ns);
		}
		sim_buf_put(&b, ",", 1);
		kv_num(&b, "lat", ev->p.lat, 7);
		sim_buf_put(&b, ",", 1);
		kv_num(&b, "lon", ev->p.lon, 7);
		if (ev->type != EV_FIRE) {
			sim_buf_put(&b, ",", 1);
			kv_str(&b, "class", vg_object_class_name(ev->cls));
		}
		sim_buf_puts(&b, ",\"party\":");
		if (ev->party >= 0)
			sim_buf_str(&b, parties[ev->party]);
		else
			sim_buf_puts(&b, "null");
		sim_buf_put(&b, ",", 1);
		kv_str(&b, "side", parties[ev->side]);
		if (ev->type == EV_FIRE) {
			sim_buf_put(&b, ",", 1);
			kv_num(&b, "frp_mw", ev->frp_mw, 3);
			sim_buf_put(&b, ",", 1);
			kv_str(&b, "cause", ev->party >= 0 ? "impact" : "background");
		} else {
			sim_buf_put(&b, ",", 1);
			kv_str(&b, "unit", w->units[ev->unit].id);
			sim_buf_put(&b, ",", 1);
			kv_str(&b, "weapon", w->obj[ev->obj].id);
			sim_buf_printf(&b, ",\"mission\":\"m-%05u\"", ev->mission + 1);
			if (ev->pair)
				sim_buf_printf(&b, ",\"%s\":\"ev-%06u\"", ev->type == EV_LAUNCH ? "impact" : "launch",
				               ev->pair);
			sim_buf_printf(&b, ",\"dud\":%s", ev->dud ? "true" : "false");
		}
		sim_buf_puts(&b, ",\"detections\":{");
		bool first = true;
		for (int k = 0; k < SK_COUNT_; k++) {
			if (!ev->n_obs[k])
				continue;
			sim_buf_printf(&b, "%s\"%s\":%u", first ? "" : ",", kind_key[k], ev->n_obs[k]);
			first = false;
		}
		sim_buf_put(&b, "}", 1);
		if (ev->type != EV_FIRE) {
			double rms, cov[2][2];
			if (vg_sim_crlb_solve(&ev->crlb, &rms, cov)) {
				sim_buf_put(&b, ",", 1);
				kv_num(&b, "crlb_rms_m", rms, 3);
				sim_buf_puts(&b, ",\"crlb_cov_m2\":");
				put_cov(&b, (const double (*)[2])cov);
			} else {
				sim_buf_puts(&b, ",\"crlb_rms_m\":null,\"crlb_cov_m2\":null");
			}
			/* With the medium estimated too: c from the temperature prior
			 * (dc/dT = c(T) / (2 (273.15 + T))), the wind from its prior. */
			double tc = e->temp_c;
			double sc_c = vg_sim_sound_speed_mps(tc) / (2 * (273.15 + tc)) * e->medium_temp_sigma_c;
			if (vg_sim_crlb_solve_medium(&ev->crlb, sc_c, e->medium_wind_sigma_mps, &rms, cov)) {
				sim_buf_put(&b, ",", 1);
				kv_num(&b, "crlb_medium_rms_m", rms, 3);
				sim_buf_puts(&b, ",\"crlb_medium_cov_m2\":");
				put_cov(&b, (const double (*)[2])cov);
			} else {
				sim_buf_puts(&b, ",\"crlb_medium_rms_m\":null,\"crlb_medium_cov_m2\":null");
			}
		}
		int64_t dec = ev->arr3[2] < ev->fire_arrival ? ev->arr3[2] : ev->fire_arrival;
		sim_buf_puts(&b, ",\"decided_at\":");
		if (dec != INT64_MAX)
			sim_buf_time(&b, dec);
		else
			sim_buf_puts(&b, "null");
		sim_buf_put(&b, "}", 1);
		st = of_flush_buf(&of, &b, 1u << 20, err);
	}
	sim_buf_puts(&b, "\n],\n\"violations\":[");
	for (uint32_t i = 0; i < w->n_viol && !st; i++) {
		const struct sim_violation *v = &w->viol[i];
		sim_buf_puts(&b, i ? ",\n{" : "\n{");
		sim_buf_printf(&b, "\"id\":\"vio-%05u\",\"rule\":\"%s\",", i + 1, rule_name(v->rule));
		kv_str(&b, "party", parties[v->party]);
		if (v->rule != VR_FORTIFICATION) {
			sim_buf_put(&b, ",", 1);
			kv_str(&b, "class", vg_object_class_name(v->cls));
		}
		sim_buf_put(&b, ",", 1);
		kv_time(&b, "from", v->from_ns);
		sim_buf_put(&b, ",", 1);
		kv_time(&b, "until", v->until_ns);
		sim_buf_put(&b, ",", 1);
		kv_num(&b, "lat", v->lat, 7);
		sim_buf_put(&b, ",", 1);
		kv_num(&b, "lon", v->lon, 7);
		sim_buf_printf(&b, ",\"injected\":%s", v->injected ? "true" : "false");
		if (v->rule == VR_NO_FIRE) {
			sim_buf_printf(&b, ",\"mission\":\"m-%05u\",\"unit\":", v->ref + 1);
			sim_buf_str(&b, w->units[w->mis[v->ref].unit].id);
			/* events of the mission the sensors could locate (decided_at set):
			 * 0 means no sensor could have seen it (docs/scoring.md) */
			uint32_t seen = 0;
			for (uint32_t k = head[v->ref]; k != UINT32_MAX; k = next[k]) {
				const struct sim_event *ev = &w->ev[k];
				seen += (ev->arr3[2] < ev->fire_arrival ? ev->arr3[2] : ev->fire_arrival) != INT64_MAX;
			}
			sim_buf_printf(&b, ",\"rounds\":%u,\"detections\":%u,\"events\":[",
			               w->mis[v->ref].n_rounds, seen);
			bool first = true;
			for (uint32_t k = head[v->ref]; k != UINT32_MAX; k = next[k]) {
				sim_buf_printf(&b, "%s\"ev-%06u\"", first ? "" : ",", w->ev[k].id);
				first = false;
			}
			sim_buf_put(&b, "]", 1);
		} else if (v->rule == VR_WITHDRAWAL) {
			sim_buf_puts(&b, ",\"unit\":");
			sim_buf_str(&b, w->units[v->ref].id);
			/* how often the unit's weapons were reported (true detections
			 * by drones and satellites) during the violation: 0 means no
			 * sensor saw it,
			 * which the scorer tells apart (docs/scoring.md) */
			uint32_t seen = 0;
			const struct sim_unit *un = &w->units[v->ref];
			for (uint32_t k = 0; k < w->n_obs; k++) {
				const struct sim_obs *o = &w->obs[k];
				if (o->kind != VG_OBS_DETECTION || !o->obj)
					continue;
				uint32_t oi = o->obj - 1;
				if (oi >= un->first_obj && oi < un->first_obj + un->n_obj &&
				    o->u.det.t >= v->from_ns && o->u.det.t <= v->until_ns + 60 * VG_NS_PER_S)
					seen++;
			}
			/* and how many of its launches in that time the sensors could
			 * locate (decided_at set): a gun that fires is observed where
			 * it fires (docs/rules.md, launch sightings) */
			uint32_t heard = 0;
			const int64_t step = 60 * VG_NS_PER_S;
			for (uint32_t k = 0; k < w->n_ev; k++) {
				const struct sim_event *ev = &w->ev[k];
				if (ev->type != EV_LAUNCH || ev->unit != v->ref || ev->t_ns < v->from_ns - step ||
				    ev->t_ns > v->until_ns + step)
					continue;
				heard += (ev->arr3[2] < ev->fire_arrival ? ev->arr3[2] : ev->fire_arrival) != INT64_MAX;
			}
			sim_buf_printf(&b, ",\"detections\":%u,\"launches_heard\":%u,\"weapons\":%u,", seen, heard,
			               w->units[v->ref].n_obj);
			kv_num(&b, "min_distance_km", v->min_dist_km, 3);
			sim_buf_put(&b, ",", 1);
			kv_num(&b, "limit_km", sc->weapons[v->cls].withdrawal_km, 3);
		} else {
			/* the satellite change reports of it: 0 means no pass saw it */
			sim_buf_printf(&b, ",\"zone\":\"security-zone\",\"detections\":%u,",
			               w->fort[v->ref].n_seen);
			kv_num(&b, "size_m", w->fort[v->ref].size_m, 1);
		}
		sim_buf_put(&b, "}", 1);
		st = of_flush_buf(&of, &b, 1u << 20, err);
	}
	sim_buf_puts(&b, "\n],\n\"tracks\":[");
	for (uint32_t i = 0; i < w->n_obj && !st; i++) {
		const struct sim_object *o = &w->obj[i];
		sim_buf_puts(&b, i ? ",\n{" : "\n{");
		kv_str(&b, "id", o->id);
		sim_buf_put(&b, ",", 1);
		kv_str(&b, "unit", w->units[o->unit].id);
		sim_buf_put(&b, ",", 1);
		kv_str(&b, "class", vg_object_class_name(o->cls));
		sim_buf_put(&b, ",", 1);
		kv_str(&b, "party", parties[o->party]);
		sim_buf_puts(&b, ",\"points\":[");
		for (uint32_t k = 0; k < o->n_wp; k++) {
			double la, lo;
			sim_frame_to_ll(&w->fr, o->wp[k].x, o->wp[k].y, &la, &lo);
			sim_buf_puts(&b, k ? ",[" : "[");
			sim_buf_time(&b, o->wp[k].t_ns);
			sim_buf_put(&b, ",", 1);
			sim_buf_num(&b, la, 7);
			sim_buf_put(&b, ",", 1);
			sim_buf_num(&b, lo, 7);
			sim_buf_put(&b, "]", 1);
		}
		sim_buf_puts(&b, "]}");
		st = of_flush_buf(&of, &b, 1u << 20, err);
	}
	sim_buf_puts(&b, "\n],\n\"fortifications\":[");
	for (uint32_t i = 0; i < w->n_fort; i++) {
		const struct sim_fort *f = &w->fort[i];
		sim_buf_puts(&b, i ? ",\n{" : "\n{");
		kv_str(&b, "party", parties[f->party]);
		sim_buf_put(&b, ",", 1);
		kv_time(&b, "time", f->t_ns);
		sim_buf_put(&b, ",", 1);
		kv_num(&b, "lat", f->p.lat, 7);
		sim_buf_put(&b, ",", 1);
		kv_num(&b, "lon", f->p.lon, 7);
		sim_buf_put(&b, ",", 1);
		kv_num(&b, "size_m", f->size_m, 1);
		sim_buf_put(&b, "}", 1);
	}
	sim_buf_puts(&b, "\n],\n\"sensors\":[");
	for (uint32_t i = 0; i < w->n_sen && !st; i++) {
		const struct sim_sensor *s = &w->sen[i];
		sim_buf_puts(&b, i ? ",\n{" : "\n{");
		kv_str(&b, "id", s->id);
		sim_buf_put(&b, ",", 1);
		kv_str(&b, "kind", kind_key[s->kind]);
		if (s->fixed) {
			sim_buf_put(&b, ",", 1);
			kv_num(&b, "lat", s->p.lat, 7);
			sim_buf_put(&b, ",", 1);
			kv_num(&b, "lon", s->p.lon, 7);
		}
		sim_buf_put(&b, ",", 1);
		kv_num(&b, "clock_offset_s", s->clock_offset_s, 9);
		sim_buf_printf(&b, ",\"bad_clock\":%s,\"outages\":[", s->bad_clock ? "true" : "false");
		for (uint32_t k = 0; k < s->n_outage; k++) {
			sim_buf_puts(&b, k ? ",[" : "[");
			sim_buf_time(&b, s->outage[k][0]);
			sim_buf_put(&b, ",", 1);
			sim_buf_time(&b, s->outage[k][1]);
			sim_buf_put(&b, "]", 1);
		}
		sim_buf_puts(&b, "]}");
		st = of_flush_buf(&of, &b, 1u << 20, err);
	}
	if (!st) {
		sim_buf_puts(&b, "\n]}\n");
		st = of_flush_buf(&of, &b, 0, err);
	}
out:
	free(head);
	free(next);
	sim_buf_release(&b);
	return of_close(&of, st, err);
}

vg_status sim_write_all(struct sim_world *w, const struct vg_sim_options *opt,
                        struct vg_sim_stats *stats, struct vg_err *err)
{
	vg_status st;
	unsigned threads = opt->threads ? opt->threads : 2;
	if (threads > 64)
		threads = 64;
	if ((st = prepare_dir(opt->out_dir, err)) || (st = write_agreement(w, opt->out_dir, err)) ||
	    (st = write_sensors(w, opt->out_dir, err)) ||
	    (st = write_observations(w, opt->out_dir, threads, stats, err)) ||
	    (st = write_truth(w, opt->out_dir, err)))
		return st;
	return VG_OK;
}
