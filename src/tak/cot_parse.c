/*
 * cot_parse.c - strict reader of one received CoT message (tak.h).
 *
 * expat (a streaming, non-validating parser) with every door that XML
 * leaves open for abuse closed: the encoding is forced to UTF-8 (a
 * declared one is ignored: bytes that are not UTF-8 are an error), a
 * DOCTYPE stops the parse before its internal subset is read (so no entity
 * is ever declared, and billion-laughs or external-entity tricks have
 * nothing to expand), processing instructions are refused, nesting is
 * capped, and the caller caps the size (VG_TAK_MSG_MAX). Attributes are
 * checked against the CoT Event schema 2.0 (MITRE Event-PUBLIC.xsd): the
 * event's version, uid, type, how, time, start, stale are required, as are
 * the point's lat, lon, hae, ce, le; unknown attributes of those two
 * elements and unknown children of <event> are refused, while <detail> is
 * open content as the schema says (only contact@callsign, remarks and a
 * <vigil> element are read from it).
 */
#include "tak/tak.h"

#include <ctype.h>
#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 32

struct pctx {
	XML_Parser p;
	struct vg_tak_report *r;
	struct vg_err *err;
	vg_status st;             /* first failure (VG_OK: none) */
	int depth;                /* open elements */
	int detail_depth;         /* depth of <detail> while open, else 0 */
	bool in_remarks;
	size_t remarks_len;
	bool seen_event, seen_point, seen_detail;
	char open[DEPTH_MAX + 1][32]; /* names of the open elements (truncated) */
};

static void fail(struct pctx *c, vg_status s, const char *fmt, ...) VG_PRINTF(3, 4);
static void fail(struct pctx *c, vg_status s, const char *fmt, ...)
{
	if (c->st)
		return;
	char msg[VG_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->st = vg_err_set(c->err, s, "%s", msg);
	XML_StopParser(c->p, XML_FALSE);
}

/* A value for an error message: quoted, escaped, cut at 48 bytes. */
static const char *q(const char *v, char buf[64])
{
	vg_quote(v, strlen(v), buf, 64);
	return buf;
}

/* CoT type / how syntax: tokens of [A-Za-z0-9_.] joined by '-'. */
static bool type_ok(const char *s)
{
	if (!*s)
		return false;
	bool tok = false;
	for (; *s; s++) {
		if (isalnum((unsigned char)*s) || *s == '_' || *s == '.')
			tok = true;
		else if (*s == '-' && tok)
			tok = false;
		else
			return false;
	}
	return tok;
}

/* A decimal number as xs:decimal/xs:double write it (core.h). */
static bool num(const char *s, double *out)
{
	return vg_decimal_parse(s, out);
}

static bool time_attr(struct pctx *c, const char *field, const char *v, int64_t *out)
{
	/* xs:dateTime allows any number of fraction digits; keep nine */
	char b[64];
	size_t n = strlen(v);
	if (n >= sizeof b) {
		char qb[64];
		fail(c, VG_ERR_TIME, "event.%s = %s: not an RFC 3339 time", field, q(v, qb));
		return false;
	}
	const char *dot = strchr(v, '.');
	if (dot) {
		size_t digits = strspn(dot + 1, "0123456789");
		size_t head = (size_t)(dot + 1 - v);
		if (digits > 9) {
			memcpy(b, v, head + 9);
			snprintf(b + head + 9, sizeof b - head - 9, "%s", dot + 1 + digits);
			v = b;
		}
	}
	struct vg_err e;
	if (vg_time_parse(v, strlen(v), out, &e) != VG_OK) {
		char qb[64];
		fail(c, VG_ERR_TIME, "event.%s = %s: %s", field, q(v, qb), e.msg);
		return false;
	}
	return true;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void event_attrs(struct pctx *c, const XML_Char **a)
{
	struct vg_tak_report *r = c->r;
	const char *version = NULL, *uid = NULL, *type = NULL, *how = NULL, *t = NULL, *start = NULL,
	           *stale = NULL;
	char qb[64];
	for (; *a; a += 2) {
		const char *k = a[0], *v = a[1];
		if (!strcmp(k, "version")) version = v;
		else if (!strcmp(k, "uid")) uid = v;
		else if (!strcmp(k, "type")) type = v;
		else if (!strcmp(k, "how")) how = v;
		else if (!strcmp(k, "time")) t = v;
		else if (!strcmp(k, "start")) start = v;
		else if (!strcmp(k, "stale")) stale = v;
		else if (strcmp(k, "access") && strcmp(k, "qos") && strcmp(k, "opex")) {
			fail(c, VG_ERR_UNKNOWN_MEMBER, "event.%.48s: unknown attribute", k);
			return;
		}
	}
	const char *miss = !version ? "version" : !uid ? "uid" : !type ? "type" : !how ? "how"
	                   : !t ? "time" : !start ? "start" : !stale ? "stale" : NULL;
	if (miss) {
		fail(c, VG_ERR_MISSING, "event.%s: missing", miss);
		return;
	}
	if (version[0] != '2' || (version[1] && (version[1] != '.' || !version[2] ||
	                                         strspn(version + 2, "0123456789") != strlen(version + 2)))) {
		fail(c, VG_ERR_VERSION, "event.version = %s: want 2.0", q(version, qb));
		return;
	}
	size_t n = strlen(uid);
	if (!n || n > VG_TAK_UID_MAX || !printable(uid)) {
		fail(c, VG_ERR_RANGE, "event.uid = %s: want 1..%d printable bytes", q(uid, qb), VG_TAK_UID_MAX);
		return;
	}
	memcpy(r->uid, uid, n + 1);
	if (strlen(type) > VG_TAK_TYPE_MAX || !type_ok(type)) {
		fail(c, VG_ERR_CLASS, "event.type = %s: not a CoT type (tokens of letters, digits, '.' "
		                      "joined by '-', at most %d bytes)",
		     q(type, qb), VG_TAK_TYPE_MAX);
		return;
	}
	strcpy(r->type, type);
	if (strlen(how) > VG_TAK_TYPE_MAX || !type_ok(how)) {
		fail(c, VG_ERR_CLASS, "event.how = %s: not a CoT how (e.g. h-e, m-g)", q(how, qb));
		return;
	}
	strcpy(r->how, how);
	if (!time_attr(c, "time", t, &r->time_ns) || !time_attr(c, "start", start, &r->start_ns) ||
	    !time_attr(c, "stale", stale, &r->stale_ns))
		return;
	if (r->stale_ns < r->start_ns)
		fail(c, VG_ERR_TIME, "event.stale = %s: before start %.40s", q(stale, qb), start);
}

static void point_attrs(struct pctx *c, const XML_Char **a)
{
	struct vg_tak_report *r = c->r;
	static const char *const names[5] = {"lat", "lon", "hae", "ce", "le"};
	const char *val[5] = {0};
	char qb[64];
	for (; *a; a += 2) {
		int k = 0;
		while (k < 5 && strcmp(a[0], names[k]))
			k++;
		if (k == 5) {
			fail(c, VG_ERR_UNKNOWN_MEMBER, "point.%.48s: unknown attribute", a[0]);
			return;
		}
		val[k] = a[1];
	}
	double v[5];
	for (int k = 0; k < 5; k++) {
		if (!val[k]) {
			fail(c, VG_ERR_MISSING, "point.%s: missing", names[k]);
			return;
		}
		if (!num(val[k], &v[k])) {
			fail(c, VG_ERR_NUMBER, "point.%s = %s: not a number", names[k], q(val[k], qb));
			return;
		}
	}
	if (v[0] < -90 || v[0] > 90) {
		fail(c, VG_ERR_RANGE, "point.lat = %s: must be in [-90, 90]", q(val[0], qb));
		return;
	}
	if (v[1] < -180 || v[1] > 180) {
		fail(c, VG_ERR_RANGE, "point.lon = %s: must be in [-180, 180]", q(val[1], qb));
		return;
	}
	for (int k = 3; k < 5; k++)
		if (v[k] < 0) {
			fail(c, VG_ERR_RANGE, "point.%s = %s: must be >= 0 (%.0f: unknown)", names[k],
			     q(val[k], qb), VG_TAK_UNKNOWN);
			return;
		}
	r->lat_deg = v[0];
	r->lon_deg = v[1];
	r->has_hae = v[2] != VG_TAK_UNKNOWN;
	r->hae_m = r->has_hae ? v[2] : 0;
	r->has_ce = v[3] < VG_TAK_UNKNOWN;
	r->ce_m = r->has_ce ? v[3] : 0;
	r->has_le = v[4] < VG_TAK_UNKNOWN;
	r->le_m = r->has_le ? v[4] : 0;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct pctx *c = ud;
	if (c->st)
		return;
	if (c->depth >= DEPTH_MAX) {
		fail(c, VG_ERR_LIMIT, "detail: nested deeper than %d elements", DEPTH_MAX);
		return;
	}
	const char *parent = c->depth ? c->open[c->depth - 1] : NULL;
	if (c->depth == 0) {
		if (strcmp(name, "event")) {
			fail(c, VG_ERR_ENVELOPE, "root element <%.48s>: want <event>", name);
			return;
		}
		c->seen_event = true;
		event_attrs(c, atts);
	} else if (c->depth == 1) {
		if (!strcmp(name, "point")) {
			if (c->seen_point) {
				fail(c, VG_ERR_ENVELOPE, "event.point: more than one");
				return;
			}
			c->seen_point = true;
			point_attrs(c, atts);
		} else if (!strcmp(name, "detail")) {
			if (c->seen_detail) {
				fail(c, VG_ERR_ENVELOPE, "event.detail: more than one");
				return;
			}
			c->seen_detail = true;
			c->detail_depth = 1;
		} else {
			fail(c, VG_ERR_UNKNOWN_MEMBER, "event.%.48s: unknown element (want point, detail)", name);
			return;
		}
	} else if (!strcmp(parent, "point") && c->depth == 2) {
		fail(c, VG_ERR_UNKNOWN_MEMBER, "point.%.48s: unknown element (point has no children)", name);
		return;
	} else if (c->depth == 2) { /* a child of <detail> */
		if (!strcmp(name, "contact")) {
			for (const XML_Char **a = atts; *a; a += 2)
				if (!strcmp(a[0], "callsign")) {
					size_t n = strlen(a[1]);
					if (n > VG_TAK_UID_MAX || !printable(a[1])) {
						char qb[64];
						fail(c, VG_ERR_RANGE, "detail.contact.callsign = %s: want at most %d "
						                      "printable bytes",
						     q(a[1], qb), VG_TAK_UID_MAX);
						return;
					}
					memcpy(c->r->callsign, a[1], n + 1);
				}
		} else if (!strcmp(name, "remarks")) {
			c->in_remarks = true;
		} else if (!strcmp(name, "vigil")) {
			c->r->from_vigil = true;
		}
	}
	snprintf(c->open[c->depth], sizeof c->open[0], "%s", name);
	c->depth++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct pctx *c = ud;
	(void)name;
	if (c->st)
		return;
	c->depth--;
	if (c->depth == 2 && c->in_remarks)
		c->in_remarks = false;
	if (c->depth == 1 && c->detail_depth)
		c->detail_depth = 0;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct pctx *c = ud;
	if (c->st)
		return;
	if (c->in_remarks && c->depth == 3) {
		size_t room = VG_TAK_REMARKS_MAX - c->remarks_len;
		size_t n = (size_t)len < room ? (size_t)len : room;
		/* cut at a character boundary */
		while (n < (size_t)len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(c->r->remarks + c->remarks_len, s, n);
		c->remarks_len += n;
		c->r->remarks[c->remarks_len] = '\0';
		if (n < (size_t)len)
			c->remarks_len = VG_TAK_REMARKS_MAX; /* full: keep no more */
		return;
	}
	if (c->depth <= 2 && !c->detail_depth) {
		for (int i = 0; i < len; i++)
			if (!isspace((unsigned char)s[i])) {
				fail(c, VG_ERR_ENVELOPE, "%s: text outside elements",
				     c->depth ? c->open[c->depth - 1] : "message");
				return;
			}
	}
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
	struct pctx *c = ud;
	(void)sysid;
	(void)pubid;
	fail(c, VG_ERR_ENVELOPE, "DOCTYPE %.32s%s: not allowed (CoT has no DTD; no entities are expanded)",
	     name, has_internal_subset ? " [...]" : "");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                              int value_len, const XML_Char *base, const XML_Char *sysid,
                              const XML_Char *pubid, const XML_Char *notation)
{
	struct pctx *c = ud;
	(void)is_param; (void)value; (void)value_len; (void)base; (void)sysid; (void)pubid;
	(void)notation;
	fail(c, VG_ERR_ENVELOPE, "ENTITY %.32s: not allowed", name);
}

static void XMLCALL on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	struct pctx *c = ud;
	(void)data;
	fail(c, VG_ERR_ENVELOPE, "processing instruction <?%.32s?>: not allowed", target);
}

vg_status vg_tak_parse(const char *msg, size_t len, struct vg_tak_report *out, struct vg_err *err)
{
	if (len > VG_TAK_MSG_MAX)
		return vg_err_set(err, VG_ERR_LINE_TOO_LONG, "message: %zu bytes: over the %d-byte cap", len,
		                  VG_TAK_MSG_MAX);
	memset(out, 0, sizeof *out);
	XML_Parser p = XML_ParserCreate("UTF-8");
	if (!p)
		return vg_err_set(err, VG_ERR_NOMEM, "XML parser");
	struct pctx c = {.p = p, .r = out, .err = err};
	XML_SetUserData(p, &c);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	XML_SetEntityDeclHandler(p, on_entity);
	XML_SetProcessingInstructionHandler(p, on_pi);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	enum XML_Status xs = XML_Parse(p, msg, (int)len, XML_TRUE);
	vg_status st = c.st;
	if (!st && xs != XML_STATUS_OK) {
		enum XML_Error code = XML_GetErrorCode(p);
		unsigned long line = (unsigned long)XML_GetCurrentLineNumber(p);
		unsigned long col = (unsigned long)XML_GetCurrentColumnNumber(p) + 1;
		size_t ws = 0;
		while (ws < len && strchr(" \t\r\n", msg[ws]))
			ws++;
		if (ws == len)
			st = vg_err_set(err, VG_ERR_EMPTY_LINE, "message: empty");
		else if (code == XML_ERROR_NO_ELEMENTS || code == XML_ERROR_UNCLOSED_TOKEN ||
		         code == XML_ERROR_PARTIAL_CHAR || code == XML_ERROR_UNCLOSED_CDATA_SECTION)
			/* the input ended inside something: name it */
			st = vg_err_set(err, VG_ERR_ENVELOPE, "truncated message: %s%s%s (XML: %s at line %lu, "
			                                      "column %lu)",
			                c.depth ? "<" : "no complete <event> start tag",
			                c.depth ? c.open[c.depth - 1] : "", c.depth ? "> not closed" : "",
			                XML_ErrorString(code), line, col);
		else
			st = vg_err_set(err, VG_ERR_ENVELOPE, "XML: %s at line %lu, column %lu",
			                XML_ErrorString(code), line, col);
	}
	if (!st && !c.seen_point)
		st = vg_err_set(err, VG_ERR_MISSING, "event.point: missing");
	XML_ParserFree(p);
	return st;
}

void vg_tak_report_key(const struct vg_tak_report *r, uint8_t out[VG_SHA256_BYTES])
{
	char b[VG_TAK_UID_MAX + 2 * VG_TAK_TYPE_MAX + 256];
	int n = snprintf(b, sizeof b, "%s\n%s\n%s\n%lld\n%lld\n%lld\n%.9f\n%.9f\n%.3f\n%.3f\n%.3f", r->uid,
	                 r->type, r->how, (long long)r->time_ns, (long long)r->start_ns,
	                 (long long)r->stale_ns, r->lat_deg, r->lon_deg,
	                 r->has_hae ? r->hae_m : VG_TAK_UNKNOWN, r->has_ce ? r->ce_m : VG_TAK_UNKNOWN,
	                 r->has_le ? r->le_m : VG_TAK_UNKNOWN);
	vg_sha256((const uint8_t *)b, n > 0 && (size_t)n < sizeof b ? (size_t)n : sizeof b - 1, out);
}
