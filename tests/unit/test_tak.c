/* test_tak.c - src/tak: the CoT writer (events and findings: types, uid,
 * times, ce, escaping, caps, determinism), the class <-> type mapping, the
 * strict parser (every required attribute, every refusal named, every
 * truncation of a good message refused, DOCTYPE/entities/PIs), the
 * classification of received reports, and the UDP/TCP transports on
 * loopback (framing of streams, caps, truncation, protobuf datagrams). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tak/tak.h"
#include "test_util.h"

#include <math.h>

#define EV_LAUNCH                                                                                       \
	"{\"id\":\"e-000001\",\"type\":\"launch\",\"time\":\"2026-03-01T00:38:55.760045Z\","                \
	"\"time_sigma_s\":0.100000,\"lat\":47.99705590,\"lon\":37.85315110,"                                  \
	"\"cov_m2\":[[2553.7940,0.0000],[0.0000,2553.7940]],"                                                \
	"\"ellipse\":{\"smaj_m\":50.535,\"smin_m\":30.000,\"az_deg\":90.00},\"cep50_m\":59.501,"            \
	"\"cep90_m\":108.447,\"class\":\"mortar\",\"emitted\":\"2026-03-01T00:41:37.059078Z\","              \
	"\"p_launch\":1.0000,\"pair\":\"e-000003\",\"n_arrivals\":2,\"n_bearings\":0,\"n_radar\":1,"         \
	"\"arrivals\":[12,10],\"residuals\":[0.1,0.2],\"rejected\":[],\"radar\":[203]}"

#define FINDING                                                                                         \
	"{\"id\":\"f-000001\",\"rule\":\"no_fire\",\"rule_id\":\"no-fire\",\"party\":\"B\",\"p_party\":1,"  \
	"\"from\":\"2026-03-01T00:38:55.760045Z\",\"until\":\"2026-03-01T00:39:41.013914588Z\","             \
	"\"lat\":47.9994682,\"lon\":37.8541398,\"cov_m2\":[[3600,0],[0,900]],\"cep90_m\":263.2,"            \
	"\"line_dist_m\":3824.6,\"class\":\"mortar\",\"count\":14,\"grade\":\"confirmed\",\"sensors\":27,"  \
	"\"owners\":2,\"modalities\":2,\"agreement_version\":1,\"events\":[\"e-000001\",\"e-000002\"],"     \
	"\"evidence\":[203,204,211]}"

static char out[VG_TAK_OUT_MAX];

static void event_cot(const struct vg_tak_opts *o, const char *rec, size_t *len)
{
	struct vg_err e;
	vg_status st = vg_tak_event_cot(o, rec, strlen(rec), out, sizeof out, len, &e);
	if (st)
		fail_msg("%s", e.msg);
	assert_int_equal(strlen(out), *len);
}

static void finding_cot(const struct vg_tak_opts *o, const char *rec, size_t *len)
{
	struct vg_err e;
	vg_status st = vg_tak_finding_cot(o, rec, strlen(rec), out, sizeof out, len, &e);
	if (st)
		fail_msg("%s", e.msg);
}

static bool has(const char *s)
{
	return strstr(out, s) != NULL;
}

/* ---- writer ---------------------------------------------------------------- */

static void test_event_launch(void **state)
{
	(void)state;
	struct vg_tak_opts o;
	vg_tak_opts_init(&o);
	size_t n;
	event_cot(&o, EV_LAUNCH, &n);
	assert_non_null(strstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><event "));
	assert_null(strchr(out, '\n'));
	assert_true(has(" uid=\"vigil-event-e-000001\""));
	assert_true(has(" type=\"a-h-G-U-C-F-M\"")); /* a launch with a class: the weapon */
	assert_true(has(" how=\"m-f\""));
	/* time = emitted, start = origin time (ms, floor), stale = time + 1 h */
	assert_true(has(" time=\"2026-03-01T00:41:37.059Z\" start=\"2026-03-01T00:38:55.760Z\""
	                " stale=\"2026-03-01T01:41:37.059Z\""));
	/* ce: the ellipse's 1-sigma semi-major axis */
	assert_true(has("<point lat=\"47.99705590\" lon=\"37.85315110\" hae=\"9999999.0\" ce=\"50.53\""
	                " le=\"9999999.0\"/>"));
	assert_true(has("<contact callsign=\"launch e-000001\"/>"));
	assert_true(has(" cep90_m=\"108.447\""));
	assert_true(has(" evidence_of=\"log\" n_evidence=\"3\" evidence=\"12 10 203\""));
	assert_true(has("<link uid=\"vigil-event-e-000003\" type=\"b-d\" relation=\"c\"/>"));
	assert_true(has("</detail></event>"));

	/* the parser reads back what was written, and knows it for vigil's */
	struct vg_tak_report r;
	struct vg_err e;
	assert_int_equal(vg_tak_parse(out, n, &r, &e), VG_OK);
	assert_string_equal(r.uid, "vigil-event-e-000001");
	assert_string_equal(r.type, "a-h-G-U-C-F-M");
	assert_string_equal(r.how, "m-f");
	assert_string_equal(r.callsign, "launch e-000001");
	assert_non_null(strstr(r.remarks, "Vigil fused launch (mortar)"));
	assert_true(fabs(r.lat_deg - 47.9970559) < 1e-12 && fabs(r.lon_deg - 37.8531511) < 1e-12);
	assert_true(r.has_ce && fabs(r.ce_m - 50.53) < 1e-9);
	assert_false(r.has_hae);
	assert_false(r.has_le);
	int64_t t;
	assert_int_equal(vg_time_parse("2026-03-01T00:38:55.760Z", 24, &t, &e), VG_OK);
	assert_int_equal(r.start_ns, t);
	assert_int_equal(r.stale_ns - r.time_ns, 3600 * VG_NS_PER_S);
	assert_true(r.from_vigil);
	assert_int_equal(vg_tak_classify(&r, &e), VG_ERR_CLASS);
	assert_non_null(strstr(e.msg, "detail.vigil"));

	/* deterministic, whatever the member order */
	char first[VG_TAK_OUT_MAX];
	memcpy(first, out, n + 1);
	event_cot(&o, EV_LAUNCH, &n);
	assert_string_equal(first, out);
	const char *reordered =
		"{\"lon\":37.85315110,\"lat\":47.99705590,\"radar\":[203],\"arrivals\":[12,10],"
		"\"type\":\"launch\",\"id\":\"e-000001\",\"emitted\":\"2026-03-01T00:41:37.059078Z\","
		"\"time\":\"2026-03-01T00:38:55.760045Z\",\"time_sigma_s\":0.1,\"class\":\"mortar\","
		"\"cov_m2\":[[2553.7940,0.0000],[0.0000,2553.7940]],"
		"\"ellipse\":{\"az_deg\":90.00,\"smin_m\":30.000,\"smaj_m\":50.535},\"cep50_m\":59.501,"
		"\"cep90_m\":108.447,\"p_launch\":1.0000,\"pair\":\"e-000003\",\"n_arrivals\":2,"
		"\"n_bearings\":0,\"n_radar\":1}";
	event_cot(&o, reordered, &n);
	assert_string_equal(first, out);

	/* options: prefix, affiliation, TTL */
	o.uid_prefix = "sector-3";
	o.affiliation = 's';
	o.event_ttl_ns = 60 * VG_NS_PER_S;
	event_cot(&o, EV_LAUNCH, &n);
	assert_true(has(" uid=\"sector-3-event-e-000001\" type=\"a-s-G-U-C-F-M\""));
	assert_true(has(" stale=\"2026-03-01T00:42:37.059Z\""));
	assert_true(has("<link uid=\"sector-3-event-e-000003\""));
}

static void test_event_types(void **state)
{
	(void)state;
	struct vg_tak_opts o;
	vg_tak_opts_init(&o);
	size_t n;
	event_cot(&o, "{\"id\":\"e-7\",\"type\":\"impact\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,"
	              "\"lon\":2,\"class\":\"mortar\",\"pair\":\"e-6\",\"cov_m2\":[[100,0],[0,400]]}", &n);
	assert_true(has(" type=\"b-d-i\"")); /* the weapon is not at the impact */
	assert_true(has(" ce=\"20.00\""));  /* no ellipse: sqrt of the covariance's larger eigenvalue */
	assert_true(has(" time=\"2026-03-01T00:00:00.000Z\" start=\"2026-03-01T00:00:00.000Z\""));
	assert_true(has("<link uid=\"vigil-event-e-6\" type=\"b-d\" relation=\"p-p\"/>"));
	event_cot(&o, "{\"id\":\"e-8\",\"type\":\"explosion\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,"
	              "\"lon\":2,\"cep90_m\":21.46}", &n);
	assert_true(has(" type=\"b-d-a-i\""));
	assert_true(has(" ce=\"10.00\"")); /* only CEP90: circular, sigma = CEP90 / 2.146 */
	event_cot(&o, "{\"id\":\"e-9\",\"type\":\"launch\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,"
	              "\"lon\":2,\"class\":\"unknown\",\"obs\":[4,5]}", &n);
	assert_true(has(" type=\"b-d-l\""));
	assert_true(has(" ce=\"9999999.0\"")); /* no error given: unknown */
	assert_true(has(" evidence_of=\"row\" n_evidence=\"2\" evidence=\"4 5\""));
	/* times before 1970 floor to the millisecond below */
	event_cot(&o, "{\"id\":\"e-10\",\"type\":\"impact\",\"time\":\"1969-12-31T23:59:59.9995Z\","
	              "\"lat\":-1,\"lon\":-2}", &n);
	assert_true(has(" start=\"1969-12-31T23:59:59.999Z\""));
	/* no -0 */
	event_cot(&o, "{\"id\":\"e-11\",\"type\":\"impact\",\"time\":\"2026-03-01T00:00:00Z\","
	              "\"lat\":-0.000000001,\"lon\":0}", &n);
	assert_true(has("<point lat=\"0.00000000\" lon=\"0.00000000\""));
}

static void test_event_bad(void **state)
{
	(void)state;
	struct vg_tak_opts o;
	vg_tak_opts_init(&o);
	struct vg_err e;
	size_t n;
	static const struct {
		const char *rec;
		vg_status st;
		const char *field;
	} cases[] = {
		{"not json", VG_ERR_JSON, "event record"},
		{"[1]", VG_ERR_TYPE, "object"},
		{"{\"type\":\"launch\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,\"lon\":2}", VG_ERR_MISSING, "id"},
		{"{\"id\":\"e\",\"type\":\"launch\",\"time\":\"2026-03-01T00:00:00Z\",\"lon\":2}", VG_ERR_MISSING, "lat"},
		{"{\"id\":\"e\",\"type\":\"launch\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":91,\"lon\":2}", VG_ERR_RANGE,
		 "lat, lon"},
		{"{\"id\":\"e\",\"type\":\"launch\",\"time\":\"2026-02-30T00:00:00Z\",\"lat\":1,\"lon\":2}", VG_ERR_TIME,
		 "time"},
		{"{\"id\":\"e\",\"type\":\"boom\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,\"lon\":2}", VG_ERR_CLASS,
		 "type"},
		{"{\"id\":7,\"type\":\"launch\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,\"lon\":2}", VG_ERR_TYPE, "id"},
		{"{\"id\":\"e\",\"type\":\"launch\",\"time\":\"2262-04-11T00:00:00Z\",\"lat\":1,\"lon\":2}", VG_ERR_TIME,
		 "outside 1900..2200"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		vg_status st = vg_tak_event_cot(&o, cases[i].rec, strlen(cases[i].rec), out, sizeof out, &n, &e);
		if (st != cases[i].st || !strstr(e.msg, cases[i].field))
			fail_msg("case %zu: status %d, message \"%s\"", i, st, e.msg);
	}
	/* a buffer too small is a limit, not an overflow */
	char small[100];
	assert_int_equal(vg_tak_event_cot(&o, EV_LAUNCH, strlen(EV_LAUNCH), small, sizeof small, &n, &e),
	                 VG_ERR_LIMIT);
}

static void test_finding_types(void **state)
{
	(void)state;
	struct vg_tak_opts o;
	vg_tak_opts_init(&o);
	size_t n;
	/* without an index, what the mission was is not known */
	finding_cot(&o, FINDING, &n);
	assert_true(has(" uid=\"vigil-finding-f-000001\" type=\"b-d\""));
	assert_true(has(" time=\"2026-03-01T00:39:41.013Z\" start=\"2026-03-01T00:38:55.760Z\""
	                " stale=\"2026-03-02T00:39:41.013Z\""));
	assert_true(has(" ce=\"60.00\""));
	assert_true(has(" party=\"B\" p_party=\"1.0000\" grade=\"confirmed\""));
	assert_true(has(" events=\"e-000001 e-000002\" n_events=\"2\" evidence_of=\"log\" n_evidence=\"3\""
	                " evidence=\"203 204 211\""));
	assert_true(has("<link uid=\"vigil-event-e-000001\" type=\"b-d\" relation=\"c\"/>"
	                "<link uid=\"vigil-event-e-000002\" type=\"b-d\" relation=\"c\"/>"));
	/* with one: a launch mission is the weapon, an impact-only one b-d-i */
	struct vg_tak_event_type t[2] = {{"e-000001", "launch"}, {"e-000002", "impact"}};
	struct vg_tak_event_index idx = {t, 2};
	o.events = &idx;
	assert_string_equal(vg_tak_event_index_type(&idx, "e-000002"), "impact");
	assert_null(vg_tak_event_index_type(&idx, "e-000009"));
	finding_cot(&o, FINDING, &n);
	assert_true(has(" type=\"a-h-G-U-C-F-M\""));
	struct vg_tak_event_type t2[2] = {{"e-000001", "impact"}, {"e-000002", "impact"}};
	idx.v = t2;
	finding_cot(&o, FINDING, &n);
	assert_true(has(" type=\"b-d-i\""));

	static const struct {
		const char *rule, *cls, *type;
	} rules[] = {
		{"withdrawal", "tank", "a-h-G-E-V-A-T"},
		{"withdrawal", "heavy_artillery", "a-h-G-E-W"}, /* an agreement's class: a weapon */
		{"no_fly", "aircraft", "a-h-A"},
		{"no_fly", "uav", "a-h-A-M-F-Q"},
		{"disengagement", "forces", "a-h-G-U"},
		{"no_new_fortification", "fortification", "a-h-G-I"},
		{"zone_cap", "tank", "a-h-G-E-V-A-T"},
		{"zone_cap", "short_range_artillery", "a-h-G-E-W"},
		{"a_future_rule", "tank", "b-d"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		char rec[512];
		snprintf(rec, sizeof rec,
		         "{\"id\":\"f-9\",\"rule\":\"%s\",\"from\":\"2026-03-01T00:00:00Z\","
		         "\"until\":\"2026-03-01T01:00:00Z\",\"lat\":48,\"lon\":38,\"class\":\"%s\","
		         "\"party\":\"A&B <\\\"x\\\">\",\"events\":[],\"evidence\":[]}",
		         rules[i].rule, rules[i].cls);
		finding_cot(&o, rec, &n);
		char want[64];
		snprintf(want, sizeof want, " type=\"%s\"", rules[i].type);
		if (!has(want))
			fail_msg("%s %s: %s", rules[i].rule, rules[i].cls, out);
		/* escaped, and still XML */
		assert_true(has(" party=\"A&amp;B &lt;&quot;x&quot;&gt;\""));
		struct vg_tak_report r;
		struct vg_err e;
		assert_int_equal(vg_tak_parse(out, n, &r, &e), VG_OK);
		assert_non_null(strstr(r.remarks, "by A&B <\"x\">"));
	}

	/* caps: 64 evidence indices, 32 event ids, 16 links; counts stay whole */
	char big[8192];
	int k = snprintf(big, sizeof big, "{\"id\":\"f-2\",\"rule\":\"no_fire\",\"from\":\"2026-03-01T00:00:00Z\","
	                                  "\"until\":\"2026-03-01T01:00:00Z\",\"lat\":48,\"lon\":38,\"events\":[");
	for (int i = 0; i < 100; i++)
		k += snprintf(big + k, sizeof big - (size_t)k, "%s\"e-%06d\"", i ? "," : "", i);
	k += snprintf(big + k, sizeof big - (size_t)k, "],\"evidence\":[");
	for (int i = 0; i < 500; i++)
		k += snprintf(big + k, sizeof big - (size_t)k, "%s%d", i ? "," : "", i);
	snprintf(big + k, sizeof big - (size_t)k, "]}");
	finding_cot(&o, big, &n);
	assert_true(has(" n_events=\"100\""));
	assert_true(has(" n_evidence=\"500\""));
	assert_true(has(" evidence=\"0 1 2 "));
	assert_true(has(" 62 63\"/>"));
	assert_true(has("e-000031\" n_events"));
	int links = 0;
	for (const char *p = out; (p = strstr(p, "<link ")); p++)
		links++;
	assert_int_equal(links, VG_TAK_LINKS_MAX);
	assert_true(n < 8192);
}

static void test_class_map(void **state)
{
	(void)state;
	for (int c = 0; c < VG_CLS_COUNT_; c++) {
		const char *p = vg_tak_class_path(c);
		assert_non_null(p);
		assert_int_equal(vg_tak_path_class(p), c);
	}
	assert_null(vg_tak_class_path(-1));
	assert_null(vg_tak_class_path(VG_CLS_COUNT_));
	static const struct {
		const char *path;
		int cls;
	} more[] = {
		{"G-E-W-H-H-S", VG_CLS_ARTILLERY}, {"G-U-C-F-M-T", VG_CLS_MORTAR},
		{"G-E-V-A-T-H", VG_CLS_TANK},      {"A-M-F-Q-r", VG_CLS_UAV},
		{"G-E-W-X-M", VG_CLS_MLRS},        {"G-E-W-X-H", VG_CLS_MLRS_HEAVY},
		{"G-U-C-F-H-L", VG_CLS_ARTILLERY_LIGHT},
		{"G-U-C-FX", VG_CLS_UNKNOWN},      /* a token, not a prefix */
		{"S-C", VG_CLS_UNKNOWN},           {"", VG_CLS_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
		if (vg_tak_path_class(more[i].path) != more[i].cls)
			fail_msg("%s: %d, want %d", more[i].path, vg_tak_path_class(more[i].path), more[i].cls);
}

/* ---- parser ---------------------------------------------------------------- */

#define GOOD                                                                                          \
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"                                    \
	"<event version=\"2.0\" uid=\"ANDROID-0a1b\" type=\"a-h-G-U-C-F\" how=\"h-e\""                     \
	" time=\"2026-03-01T00:45:10.250Z\" start=\"2026-03-01T00:45:10.250Z\""                            \
	" stale=\"2026-03-01T01:45:10.250Z\" access=\"Undefined\">\n"                                        \
	"  <point lat=\"47.9612\" lon=\"37.8841\" hae=\"120.5\" ce=\"35.0\" le=\"9999999.0\"/>\n"         \
	"  <detail><contact callsign=\"OSCE-7\" endpoint=\"*:-1:stcp\"/><__group name=\"Cyan\"/>"           \
	"<remarks source=\"x\">battery &amp; <![CDATA[4 <guns>]]></remarks>"                               \
	"<_flow-tags_ TAK-Server=\"2026-03-01T00:45:11Z\"/></detail>\n"                                     \
	"</event>\n"

static vg_status parse(const char *m, struct vg_tak_report *r, struct vg_err *e)
{
	return vg_tak_parse(m, strlen(m), r, e);
}

static void test_parse_good(void **state)
{
	(void)state;
	struct vg_tak_report r;
	struct vg_err e;
	if (parse(GOOD, &r, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(r.uid, "ANDROID-0a1b");
	assert_string_equal(r.type, "a-h-G-U-C-F");
	assert_string_equal(r.how, "h-e");
	assert_string_equal(r.callsign, "OSCE-7");
	assert_string_equal(r.remarks, "battery & 4 <guns>");
	assert_true(r.has_hae && r.hae_m == 120.5);
	assert_true(r.has_ce && r.ce_m == 35.0);
	assert_false(r.has_le);
	assert_false(r.from_vigil);
	assert_int_equal(r.stale_ns - r.start_ns, 3600 * VG_NS_PER_S);
	assert_int_equal(vg_tak_classify(&r, &e), VG_OK);
	assert_int_equal(r.kind, VG_OBS_DETECTION);
	assert_int_equal(r.cls, VG_CLS_ARTILLERY);

	/* the key ignores what relays add (flow tags), not the report */
	uint8_t k1[32], k2[32];
	vg_tak_report_key(&r, k1);
	struct vg_tak_report r2;
	char m2[2048];
	snprintf(m2, sizeof m2, "%s", GOOD);
	char *ft = strstr(m2, "2026-03-01T00:45:11Z");
	ft[18] = '9';
	assert_int_equal(parse(m2, &r2, &e), VG_OK);
	vg_tak_report_key(&r2, k2);
	assert_memory_equal(k1, k2, 32);
	snprintf(m2, sizeof m2, "%s", GOOD);
	strstr(m2, "47.9612")[6] = '3';
	assert_int_equal(parse(m2, &r2, &e), VG_OK);
	vg_tak_report_key(&r2, k2);
	assert_memory_not_equal(k1, k2, 32);

	/* forms the schema allows: no declaration, no detail, times with an
	 * offset and twelve fraction digits, version 2, exponent */
	const char *m = "<event version=\"2\" uid=\"u\" type=\"b-d-l-m\" how=\"m-g\""
	                " time=\"2026-03-01T02:45:10.123456789123+02:00\" start=\"2026-03-01T00:45:10Z\""
	                " stale=\"2026-03-01T00:45:10Z\"><point lat=\"-4.5e1\" lon=\"180\" hae=\"0\""
	                " ce=\"9999999\" le=\"0\"/></event>";
	if (parse(m, &r, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(r.time_ns % VG_NS_PER_S, 123456789);
	assert_true(r.lat_deg == -45.0 && !r.has_ce && r.has_le);
	assert_int_equal(vg_tak_classify(&r, &e), VG_OK);
	assert_int_equal(r.kind, VG_OBS_IMPULSE);
	assert_int_equal(r.cls, VG_IMP_LAUNCH);
}

/* GOOD with `from` replaced by `to` (first occurrence). */
static const char *variant(const char *from, const char *to)
{
	static char b[4096];
	const char *p = strstr(GOOD, from);
	assert_non_null(p);
	snprintf(b, sizeof b, "%.*s%s%s", (int)(p - GOOD), GOOD, to, p + strlen(from));
	return b;
}

static void test_parse_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{"<event ", "<!DOCTYPE event [<!ENTITY x \"y\">]><event ", "DOCTYPE"},
		{"<event ", "<!DOCTYPE event SYSTEM \"file:///etc/passwd\"><event ", "DOCTYPE"},
		{"battery", "&x;", "undefined entity"},
		{"<event ", "<?xml-stylesheet href=\"a\"?><event ", "processing instruction"},
		{"<point ", "<?pi x?><point ", "processing instruction"},
		{"version=\"2.0\" uid", "version=\"1.0\" uid", "event.version"},
		{" uid=\"ANDROID-0a1b\"", "", "event.uid: missing"},
		{" uid=\"ANDROID-0a1b\"", " uid=\"\"", "event.uid"},
		{" type=\"a-h-G-U-C-F\"", "", "event.type: missing"},
		{" type=\"a-h-G-U-C-F\"", " type=\"a h\"", "event.type"},
		{" type=\"a-h-G-U-C-F\"", " type=\"a--h\"", "event.type"},
		{" how=\"h-e\"", "", "event.how: missing"},
		{" time=\"2026-03-01T00:45:10.250Z\"", "", "event.time: missing"},
		{" time=\"2026-03-01T00:45:10.250Z\"", " time=\"2026-13-01T00:45:10Z\"", "event.time"},
		{" start=\"2026-03-01T00:45:10.250Z\"", "", "event.start: missing"},
		{" stale=\"2026-03-01T01:45:10.250Z\"", "", "event.stale: missing"},
		{" stale=\"2026-03-01T01:45:10.250Z\"", " stale=\"2026-03-01T00:45:10.249Z\"", "before start"},
		{" access=\"Undefined\"", " foo=\"1\"", "event.foo: unknown attribute"},
		{"<point lat=\"47.9612\"", "<point", "point.lat: missing"},
		{" lon=\"37.8841\"", "", "point.lon: missing"},
		{" hae=\"120.5\"", "", "point.hae: missing"},
		{" ce=\"35.0\"", "", "point.ce: missing"},
		{" le=\"9999999.0\"", "", "point.le: missing"},
		{"lat=\"47.9612\"", "lat=\"91\"", "point.lat = \"91\": must be in [-90, 90]"},
		{"lon=\"37.8841\"", "lon=\"-180.5\"", "point.lon"},
		{"lat=\"47.9612\"", "lat=\"abc\"", "point.lat = \"abc\": not a number"},
		{"lat=\"47.9612\"", "lat=\"nan\"", "point.lat"},
		{"lat=\"47.9612\"", "lat=\"0x10\"", "point.lat"},
		{"lat=\"47.9612\"", "lat=\" 4\"", "point.lat"},
		{"hae=\"120.5\"", "hae=\"1e999\"", "point.hae"},
		{"ce=\"35.0\"", "ce=\"-1\"", "point.ce"},
		{"le=\"9999999.0\"", "le=\"9999999.0\" x=\"1\"", "point.x: unknown attribute"},
		{"/>\n  <detail>", "><foo/></point>\n  <detail>", "point.foo"},
		{"<detail>", "<point lat=\"1\" lon=\"1\" hae=\"1\" ce=\"1\" le=\"1\"/><detail>",
		 "event.point: more than one"},
		{"<detail>", "<track/><detail>", "event.track: unknown element"},
		{"</detail>", "</detail><detail/>", "event.detail: more than one"},
		{"</detail>\n", "</detail>junk\n", "text outside elements"},
		{"<event ", "<evt ", "root element <evt>"},
		{"</event>\n", "</event><event/>", "junk after document element"},
		{"OSCE-7", "OSCE\xff", "XML:"},         /* not UTF-8 */
		{"OSCE-7", "OSCE&#1;", "XML:"},          /* a control character */
		{"<point lat=\"47.9612\" lon=\"37.8841\" hae=\"120.5\" ce=\"35.0\" le=\"9999999.0\"/>", "",
		 "event.point: missing"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct vg_tak_report r;
		struct vg_err e;
		const char *m = variant(cases[i].from, cases[i].to);
		vg_status st = parse(m, &r, &e);
		if (st == VG_OK || !strstr(e.msg, cases[i].want))
			fail_msg("case %zu (%s): status %d, message \"%s\"", i, cases[i].want, st, e.msg);
	}
	/* a root that is not <event> */
	struct vg_tak_report r;
	struct vg_err e;
	assert_int_equal(parse("<foo/>", &r, &e), VG_ERR_ENVELOPE);
	assert_non_null(strstr(e.msg, "root element <foo>"));
	assert_int_not_equal(parse("", &r, &e), VG_OK);
	/* nesting in <detail> is capped */
	char deep[2048];
	int k = snprintf(deep, sizeof deep, "%s", GOOD);
	char *d = strstr(deep, "<detail>") + 8;
	char tail[1024];
	snprintf(tail, sizeof tail, "%s", d);
	k = (int)(d - deep);
	for (int i = 0; i < 40; i++)
		k += snprintf(deep + k, sizeof deep - (size_t)k, "<a>");
	for (int i = 0; i < 40; i++)
		k += snprintf(deep + k, sizeof deep - (size_t)k, "</a>");
	snprintf(deep + k, sizeof deep - (size_t)k, "%s", tail);
	assert_int_equal(parse(deep, &r, &e), VG_ERR_LIMIT);
	assert_non_null(strstr(e.msg, "nested deeper"));
	/* the size cap */
	size_t big = VG_TAK_MSG_MAX + 1;
	char *b = malloc(big);
	assert_non_null(b);
	memset(b, ' ', big);
	assert_int_equal(vg_tak_parse(b, big, &r, &e), VG_ERR_LINE_TOO_LONG);
	free(b);
}

/* Every proper prefix of a good message is refused, naming what is open. */
static void test_parse_truncated(void **state)
{
	(void)state;
	size_t n = strlen(GOOD);
	const char *end = strstr(GOOD, "</event>") + 8;
	for (size_t cut = 0; cut < (size_t)(end - GOOD); cut++) {
		struct vg_tak_report r;
		struct vg_err e;
		vg_status st = vg_tak_parse(GOOD, cut, &r, &e);
		if (st == VG_OK)
			fail_msg("prefix of %zu bytes accepted", cut);
		const char *want = cut == 0 ? "message: empty"
		                   : cut < (size_t)(strstr(GOOD, "<point") - GOOD) ? "truncated message: "
		                                                                     : "truncated message: <";
		if (!strstr(e.msg, want))
			fail_msg("prefix of %zu bytes: \"%s\"", cut, e.msg);
	}
	struct vg_tak_report r;
	struct vg_err e;
	assert_int_equal(vg_tak_parse(GOOD, n, &r, &e), VG_OK);
}

static void test_classify(void **state)
{
	(void)state;
	static const struct {
		const char *type;
		vg_status st;
		int kind, cls;
	} cases[] = {
		{"a-h-G-U-C-F", VG_OK, VG_OBS_DETECTION, VG_CLS_ARTILLERY},
		{"a-u-A-M-F-Q", VG_OK, VG_OBS_DETECTION, VG_CLS_UAV},
		{"a-s-G-E-V-A-T", VG_OK, VG_OBS_DETECTION, VG_CLS_TANK},
		{"a-n-G", VG_OK, VG_OBS_DETECTION, VG_CLS_UNKNOWN},
		{"a-h", VG_OK, VG_OBS_DETECTION, VG_CLS_UNKNOWN},
		{"a-f-G-U-C", VG_ERR_CLASS, 0, 0},
		{"a-a-G", VG_ERR_CLASS, 0, 0},
		{"a-z-G", VG_ERR_CLASS, 0, 0},
		{"a-hh-G", VG_ERR_CLASS, 0, 0},
		{"b-d-l", VG_OK, VG_OBS_IMPULSE, VG_IMP_LAUNCH},
		{"b-d-l-m", VG_OK, VG_OBS_IMPULSE, VG_IMP_LAUNCH},
		{"b-d-i-m", VG_OK, VG_OBS_IMPULSE, VG_IMP_IMPACT},
		{"b-d-a-i", VG_OK, VG_OBS_IMPULSE, VG_IMP_EXPLOSION},
		{"b-d-a", VG_ERR_CLASS, 0, 0},
		{"b-d-lx", VG_ERR_CLASS, 0, 0},
		{"t-x-c-t", VG_ERR_CLASS, 0, 0},
		{"b-t-f", VG_ERR_CLASS, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct vg_tak_report r = {0};
		struct vg_err e;
		snprintf(r.type, sizeof r.type, "%s", cases[i].type);
		vg_status st = vg_tak_classify(&r, &e);
		if (st != cases[i].st || (st == VG_OK && (r.kind != cases[i].kind || r.cls != cases[i].cls)))
			fail_msg("%s: status %d kind %d cls %d", cases[i].type, st, r.kind, r.cls);
		if (st)
			assert_non_null(strstr(e.msg, "event.type"));
	}
}

/* ---- transports -------------------------------------------------------------- */

static void test_endpoints(void **state)
{
	(void)state;
	struct vg_tak_endpoint ep;
	struct vg_err e;
	assert_int_equal(vg_tak_endpoint_parse("udp://239.2.3.1:6969", &ep, &e), VG_OK);
	assert_int_equal(ep.proto, VG_TAK_UDP);
	assert_string_equal(ep.host, "239.2.3.1");
	assert_string_equal(ep.port, "6969");
	assert_int_equal(vg_tak_endpoint_parse("tcp://[::1]:8087", &ep, &e), VG_OK);
	assert_string_equal(ep.host, "::1");
	assert_int_equal(ep.proto, VG_TAK_TCP);
	const char *bad[] = {"http://a:1", "udp://a", "udp://a:", "udp://:5", "udp://a:70000", "udp://a:0",
	                     "tcp://::1:80", "udp://a:1x", "tcp://[::1]80"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (vg_tak_endpoint_parse(bad[i], &ep, &e) == VG_OK)
			fail_msg("%s accepted", bad[i]);
}

struct got {
	int n, framing;
	char what[16][96];
};

static int collect(void *ctx, const char *peer, const char *msg, size_t len, const struct vg_err *fe)
{
	struct got *g = ctx;
	assert_true(g->n < 16);
	if (fe) {
		g->framing++;
		snprintf(g->what[g->n], sizeof g->what[0], "! %.90s", fe->msg);
	} else {
		struct vg_tak_report r;
		struct vg_err e;
		if (vg_tak_parse(msg, len, &r, &e))
			snprintf(g->what[g->n], sizeof g->what[0], "? %.90s", e.msg);
		else
			snprintf(g->what[g->n], sizeof g->what[0], "%s %.80s", strncmp(peer, "udp:", 4) ? "tcp" : "udp",
			         r.uid);
	}
	g->n++;
	return 0;
}

static void run_until(vg_tak_listener *l, struct got *g, int want)
{
	int64_t end = vg_time_mono_ns() + 5 * VG_NS_PER_S;
	while (g->n < want && vg_time_mono_ns() < end) {
		bool to;
		struct vg_err e;
		assert_int_equal(vg_tak_listener_run(l, vg_time_mono_ns() + 100000000, NULL, collect, g, &to, &e),
		                 VG_OK);
	}
}

static void test_loopback(void **state)
{
	(void)state;
	struct vg_err e;
	struct vg_tak_listen_opts lo = {.udp = {"127.0.0.1:0"}, .n_udp = 1, .tcp = {"127.0.0.1:0"}, .n_tcp = 1};
	vg_tak_listener *l;
	assert_int_equal(vg_tak_listener_new(&lo, &l, &e), VG_OK);
	char desc[256], up[8], tp[8];
	vg_tak_listener_describe(l, desc, sizeof desc);
	assert_int_equal(sscanf(desc, "udp 127.0.0.1:%7s tcp 127.0.0.1:%7s", up, tp), 2);

	/* vigil's own messages through the sender: one datagram, one stream */
	struct vg_tak_opts o;
	vg_tak_opts_init(&o);
	size_t n;
	event_cot(&o, EV_LAUNCH, &n);
	struct vg_tak_endpoint eps[2] = {{VG_TAK_UDP, "127.0.0.1", ""}, {VG_TAK_TCP, "127.0.0.1", ""}};
	snprintf(eps[0].port, sizeof eps[0].port, "%s", up);
	snprintf(eps[1].port, sizeof eps[1].port, "%s", tp);
	struct vg_tak_send_opts so;
	vg_tak_send_opts_init(&so);
	so.connect_timeout_ms = 300;
	vg_tak_sender *s;
	assert_int_equal(vg_tak_sender_new(eps, 2, &so, &s, &e), VG_OK);
	assert_int_equal(vg_tak_sender_send(s, out, n, &e), VG_OK);
	/* the listener accepts only when it runs: no close comes back, and
	 * the flush waits its timeout out (what TCP can tell) */
	assert_int_equal(vg_tak_sender_flush(s, &e), VG_OK);
	struct vg_tak_sender_stats st;
	vg_tak_sender_stats(s, 1, &st);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed, 0);
	vg_tak_sender_free(s);
	struct got g = {0};
	run_until(l, &g, 2);
	assert_int_equal(g.n, 2);
	assert_true(!strcmp(g.what[0], "udp vigil-event-e-000001") || !strcmp(g.what[1], "udp vigil-event-e-000001"));
	assert_true(!strcmp(g.what[0], "tcp vigil-event-e-000001") || !strcmp(g.what[1], "tcp vigil-event-e-000001"));

	/* a raw stream: two messages in one write, one too long, one split
	 * across writes, and a truncated tail */
	struct vg_tak_endpoint raw = {VG_TAK_TCP, "127.0.0.1", ""};
	snprintf(raw.port, sizeof raw.port, "%s", tp);
	so.retries = 0;
	assert_int_equal(vg_tak_sender_new(&raw, 1, &so, &s, &e), VG_OK);
	char two[4096];
	snprintf(two, sizeof two, "%s%s", variant("ANDROID-0a1b", "one"), "");
	char second[2048];
	snprintf(second, sizeof second, "%s", variant("ANDROID-0a1b", "two"));
	strcat(two, second);
	assert_int_equal(vg_tak_sender_send(s, two, strlen(two), &e), VG_OK);
	size_t bl = VG_TAK_MSG_MAX + 5000;
	char *big = malloc(bl + 2048);
	assert_non_null(big);
	const char *g3 = variant("battery", "BATTERY");
	const char *cut = strstr(g3, "BATTERY");
	int hl = (int)(cut - g3);
	memcpy(big, g3, (size_t)hl);
	memset(big + hl, 'x', bl);
	snprintf(big + hl + bl, 2048, "%s", cut + 7);
	assert_int_equal(vg_tak_sender_send(s, big, strlen(big), &e), VG_OK);
	free(big);
	const char *four = variant("ANDROID-0a1b", "four");
	size_t fl = strlen(four), half = (size_t)(strstr(four, "<point") - four);
	/* in two writes (the sender ends each with a newline: between elements) */
	assert_int_equal(vg_tak_sender_send(s, four, half, &e), VG_OK);
	assert_int_equal(vg_tak_sender_send(s, four + half, fl - half, &e), VG_OK);
	assert_int_equal(vg_tak_sender_send(s, "<event version=\"2.0\" uid=\"tail\"", 31, &e), VG_OK);
	vg_tak_sender_free(s); /* closes: the tail is cut off */
	memset(&g, 0, sizeof g);
	run_until(l, &g, 5);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.what[0], "tcp one");
	assert_string_equal(g.what[1], "tcp two");
	if (strncmp(g.what[2], "! message: ", 11) || !strstr(g.what[2], "over the 65536-byte cap"))
		fail_msg("%s / %s / %s", g.what[2], g.what[3], g.what[4]);
	assert_string_equal(g.what[3], "tcp four");
	assert_non_null(strstr(g.what[4], "! truncated message: the stream ended"));

	/* a TAK protocol (protobuf) datagram is named, not parsed */
	struct vg_tak_endpoint u = eps[0];
	assert_int_equal(vg_tak_sender_new(&u, 1, &so, &s, &e), VG_OK);
	assert_int_equal(vg_tak_sender_send(s, "\xbf\x01\xbf\x12\x00", 5, &e), VG_OK);
	vg_tak_sender_free(s);
	memset(&g, 0, sizeof g);
	run_until(l, &g, 1);
	assert_int_equal(g.framing, 1);
	assert_non_null(strstr(g.what[0], "TAK protocol (protobuf)"));

	/* nothing listens: the failure names the endpoint; the ring keeps it */
	vg_tak_listener_free(l);
	assert_int_equal(vg_tak_sender_new(&raw, 1, &so, &s, &e), VG_OK);
	assert_int_equal(vg_tak_sender_send(s, out, n, &e), VG_ERR_IO);
	assert_non_null(strstr(e.msg, "tcp://127.0.0.1:"));
	vg_tak_sender_stats(s, 0, &st);
	assert_int_equal(st.failed, 1);
	vg_tak_sender_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_launch),
		cmocka_unit_test(test_event_types),
		cmocka_unit_test(test_event_bad),
		cmocka_unit_test(test_finding_types),
		cmocka_unit_test(test_class_map),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
