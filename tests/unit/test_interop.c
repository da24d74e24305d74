/* test_interop.c - the KML writer (escaping, schema order, sticky geometry
 * errors, orientation), number formatting and the ellipse ring
 * (src/interop/interop.h). GDAL reads the real exports in
 * tests/e2e/gis_exports.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "geo/geo.h"
#include "interop/interop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *mem_text;
static size_t mem_len;

static FILE *mem_open(void)
{
	mem_text = NULL;
	mem_len = 0;
	FILE *f = open_memstream(&mem_text, &mem_len);
	assert_non_null(f);
	return f;
}

static void numbers(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(vg_interop_num(b, 37.5, 9), "37.5");
	assert_string_equal(vg_interop_num(b, -0.0000000001, 9), "0");
	assert_string_equal(vg_interop_num(b, -12.0, 9), "-12");
	assert_string_equal(vg_interop_num(b, 47.12345678912, 9), "47.123456789");
	assert_string_equal(vg_interop_num(b, 0.1, 0), "0");
}

static void escaping(void **state)
{
	(void)state;
	FILE *f = mem_open();
	/* & < > " ' , CR kept as a reference, a control character, invalid
	 * UTF-8 (a lone continuation byte, an overlong '/', a surrogate),
	 * U+FFFE, and valid multi-byte text kept */
	vg_kml_text(f, "a&b<c>d\"e'f\rg\x01h\x80i\xc0\xafj\xed\xa0\x80k\xef\xbf\xbel\xc3\xa9\xe2\x82\xac");
	fclose(f);
	assert_string_equal(mem_text, "a&amp;b&lt;c&gt;d&quot;e&apos;f&#13;g\xef\xbf\xbdh\xef\xbf\xbdi"
	                              "\xef\xbf\xbd\xef\xbf\xbdj\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdk"
	                              "\xef\xbf\xbdl\xc3\xa9\xe2\x82\xac");
	free(mem_text);
}

static void document(void **state)
{
	(void)state;
	FILE *f = mem_open();
	struct vg_kml k;
	struct vg_err err;
	vg_kml_begin(&k, f, "D <1>", NULL);
	vg_kml_style(&k, "s1", 0xff0000ffu, 2, 0, 0);
	vg_kml_folder_begin(&k, "F");
	vg_kml_placemark_begin(&k, "P&1", "s1");
	vg_kml_timespan(&k, 0, 1500000000); /* description left out: order still right */
	vg_kml_data(&k, "a", "1");
	vg_kml_data(&k, "b\"", "<2>");
	/* a clockwise ring: written counterclockwise */
	double cw[5][2] = {{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}};
	const double(*rings[1])[2] = {(const double(*)[2])cw};
	size_t rn[1] = {5};
	vg_kml_polygon(&k, rings, rn, 1);
	vg_kml_placemark_end(&k);
	vg_kml_placemark_begin(&k, "P2", NULL);
	vg_kml_point(&k, -0.0000000001, 12.3456789012);
	vg_kml_placemark_end(&k);
	vg_kml_folder_end(&k);
	assert_int_equal(vg_kml_end(&k, &err), VG_OK);
	fclose(f);
	const char *want =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n"
	        " <Document>\n"
	        "  <name>D &lt;1&gt;</name>\n"
	        "  <Style id=\"s1\">\n"
	        "   <LineStyle>\n"
	        "    <color>ff0000ff</color>\n"
	        "    <width>2</width>\n"
	        "   </LineStyle>\n"
	        "  </Style>\n"
	        "  <Folder>\n"
	        "   <name>F</name>\n"
	        "   <Placemark>\n"
	        "    <name>P&amp;1</name>\n"
	        "    <TimeSpan>\n"
	        "     <begin>1970-01-01T00:00:00Z</begin>\n"
	        "     <end>1970-01-01T00:00:01.5Z</end>\n"
	        "    </TimeSpan>\n"
	        "    <styleUrl>#s1</styleUrl>\n"
	        "    <ExtendedData>\n"
	        "     <Data name=\"a\"><value>1</value></Data>\n"
	        "     <Data name=\"b&quot;\"><value>&lt;2&gt;</value></Data>\n"
	        "    </ExtendedData>\n"
	        "    <Polygon>\n"
	        "     <tessellate>1</tessellate>\n"
	        "     <outerBoundaryIs>\n"
	        "      <LinearRing>\n"
	        "       <coordinates>0,0 1,0 1,1 0,1 0,0</coordinates>\n"
	        "      </LinearRing>\n"
	        "     </outerBoundaryIs>\n"
	        "    </Polygon>\n"
	        "   </Placemark>\n"
	        "   <Placemark>\n"
	        "    <name>P2</name>\n"
	        "    <Point>\n"
	        "     <coordinates>0,12.345678901</coordinates>\n"
	        "    </Point>\n"
	        "   </Placemark>\n"
	        "  </Folder>\n"
	        " </Document>\n"
	        "</kml>\n";
	assert_string_equal(mem_text, want);
	free(mem_text);
}

static void sticky_errors(void **state)
{
	(void)state;
	FILE *f = mem_open();
	struct vg_kml k;
	struct vg_err err;
	vg_err_clear(&err);
	vg_kml_begin(&k, f, "D", "d");
	vg_kml_placemark_begin(&k, "bad-point", NULL);
	vg_kml_point(&k, NAN, 1);
	vg_kml_placemark_end(&k);
	vg_kml_placemark_begin(&k, "open-ring", NULL);
	double open_ring[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
	const double(*rings[1])[2] = {(const double(*)[2])open_ring};
	size_t rn[1] = {4};
	vg_kml_polygon(&k, rings, rn, 1);
	vg_kml_placemark_end(&k);
	assert_int_equal(vg_kml_end(&k, &err), VG_ERR_RANGE);
	fclose(f);
	printf("%s\n", err.msg);
	assert_non_null(strstr(err.msg, "placemark 1 (\"bad-point\")"));
	assert_null(strstr(mem_text, "nan"));
	assert_null(strstr(mem_text, "<Point>"));
	assert_null(strstr(mem_text, "<Polygon>"));
	assert_non_null(strstr(mem_text, "</kml>\n"));
	free(mem_text);
}

static void ellipse(void **state)
{
	(void)state;
	double ring[VG_INTEROP_ELLIPSE_N + 1][2];
	const double lat = 48.0, lon = 37.8, a = 40, b = 10, az = 30;
	assert_true(vg_interop_ellipse_ring(lat, lon, a, b, az, ring));
	assert_true(ring[0][0] == ring[VG_INTEROP_ELLIPSE_N][0] &&
	            ring[0][1] == ring[VG_INTEROP_ELLIPSE_N][1]);
	assert_true(vg_interop_ring_area2((const double(*)[2])ring, VG_INTEROP_ELLIPSE_N + 1) > 0);
	/* vertex 0 on the major axis at k a; vertex 18 (90 degrees on) on the
	 * minor axis at k b, 90 degrees counterclockwise (az - 90) */
	double az1, s = vg_geo_inverse(lat, lon, ring[0][1], ring[0][0], &az1);
	assert_true(fabs(s - VG_INTEROP_K90 * a) < 1e-6 && fabs(az1 - az) < 1e-6);
	s = vg_geo_inverse(lat, lon, ring[18][1], ring[18][0], &az1);
	assert_true(fabs(s - VG_INTEROP_K90 * b) < 1e-6 && fabs(az1 - (az - 90)) < 1e-6);
	/* K90: P(chi2_2 <= k^2) = 1 - exp(-k^2 / 2) = 0.9 */
	assert_true(fabs(1 - exp(-VG_INTEROP_K90 * VG_INTEROP_K90 / 2) - 0.9) < 1e-15);
	assert_false(vg_interop_ellipse_ring(lat, lon, NAN, b, az, ring));
	assert_false(vg_interop_ellipse_ring(lat, lon, a, -1, az, ring));
	assert_false(vg_interop_ellipse_ring(91, lon, a, b, az, ring));
	/* a zero ellipse is drawn at the minimum size, still a polygon */
	assert_true(vg_interop_ellipse_ring(lat, lon, 0, 0, 0, ring));
	assert_true(vg_interop_ring_area2((const double(*)[2])ring, VG_INTEROP_ELLIPSE_N + 1) > 0);

	double smaj, smin, e_az;
	double c1[2][2] = {{100, 0}, {0, 25}};
	assert_true(vg_interop_cov_ellipse(c1, &smaj, &smin, &e_az));
	assert_true(fabs(smaj - 10) < 1e-12 && fabs(smin - 5) < 1e-12 && fabs(e_az - 90) < 1e-9);
	double c2[2][2] = {{1, 2}, {2, 1}}; /* not positive semi-definite */
	assert_false(vg_interop_cov_ellipse(c2, &smaj, &smin, &e_az));
	double c3[2][2] = {{0, 0}, {0, 0}};
	assert_false(vg_interop_cov_ellipse(c3, &smaj, &smin, &e_az));
	double c4[2][2] = {{1, NAN}, {NAN, 1}};
	assert_false(vg_interop_cov_ellipse(c4, &smaj, &smin, &e_az));
}

static void agreement_errors(void **state)
{
	(void)state;
	struct vg_err err;
	FILE *f = mem_open();
	const char *bad = "{\"type\":\"FeatureCollection\",\"features\":[]}";
	assert_int_equal(vg_interop_agreement_kml(bad, strlen(bad), f, &err), VG_ERR_MISSING);
	assert_int_equal(vg_interop_agreement_geojson(bad, strlen(bad), f, &err), VG_ERR_MISSING);
	fclose(f);
	assert_int_equal(mem_len, 0); /* nothing written for a refused agreement */
	printf("%s\n", err.msg);
	free(mem_text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers),       cmocka_unit_test(escaping),
		cmocka_unit_test(document),      cmocka_unit_test(sticky_errors),
		cmocka_unit_test(ellipse),       cmocka_unit_test(agreement_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
