/* test_server.c - src/server: tile path validation, tokens, roles, the token
 * and cosignature tables, and an in-process server answering on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ingest/journal.h"
#include "server/server.h"
#include "store/store.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void tile_paths(void **state)
{
	(void)state;
	static const struct { int level; uint64_t n; unsigned w; } ok[] = {
		{0, 0, 256}, {0, 1, 17}, {1, 272, 256}, {2, 1234067, 5}, {63, 999, 255},
		{VG_TILE_ENTRIES, 0, 256}, {VG_TILE_ENTRIES, 273, 112}, {VG_TILE_ENTRIES, 1000, 1},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char p[VG_TILE_PATH_MAX];
		size_t n = vg_tile_path(ok[i].level, ok[i].n, ok[i].w, p);
		int lv = -99;
		assert_true(vg_server_tile_path_valid(p, n, &lv));
		assert_int_equal(lv, ok[i].level);
	}
	static const char *const bad[] = {
		"", "tile", "tile/", "tile/0", "tile/0/", "tile/0/00", "tile/0/0000", "tile/00/000",
		"tile/64/000", "tile/-1/000", "tile/0/x000/000", "tile/0/x001/00", "tile/0/001.p/0",
		"tile/0/001.p/256", "tile/0/001.p/07", "tile/0/001.p/", "tile/0/001.p", "tile/0/000/",
		"tile/../000", "tile/0/../../etc/passwd", "tile/0/..", "tile/entries/../checkpoint",
		"tile//000", "tile/0//000", "tile/0/000\x7f", "tile/0/0a0", "tile/0/x001", "tile/0/x001/",
		"tile/entries/000/..", "tile/0/000.p/1/", "TILE/0/000", "tile/0/+00", "tile/ 0/000",
		"tile/0/x000/x000/x000/x000/x000/x000/x000/000",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int lv;
		if (vg_server_tile_path_valid(bad[i], strlen(bad[i]), &lv))
			fail_msg("accepted %s", bad[i]);
	}
}

static void tokens_and_roles(void **state)
{
	(void)state;
	char t1[VG_SERVER_TOKEN_LEN + 1], t2[VG_SERVER_TOKEN_LEN + 1];
	vg_server_token_generate(t1);
	vg_server_token_generate(t2);
	assert_int_equal(strlen(t1), VG_SERVER_TOKEN_LEN);
	assert_true(vg_server_token_valid(t1, strlen(t1)));
	assert_string_not_equal(t1, t2);
	char bad[VG_SERVER_TOKEN_LEN + 1];
	memcpy(bad, t1, sizeof bad);
	bad[10] = 'G';
	assert_false(vg_server_token_valid(bad, strlen(bad)));
	assert_false(vg_server_token_valid(t1, strlen(t1) - 1));
	assert_false(vg_server_token_valid("vgt_", 4));
	assert_int_equal(vg_server_role_parse("member"), VG_ROLE_MEMBER);
	assert_int_equal(vg_server_role_parse("auditor"), VG_ROLE_AUDITOR);
	assert_int_equal(vg_server_role_parse("sensor"), VG_ROLE_SENSOR);
	assert_int_equal(vg_server_role_parse("admin"), -1);
	assert_int_equal(vg_server_role_parse(NULL), -1);
	assert_string_equal(vg_server_role_name(VG_ROLE_AUDITOR), "auditor");
}

static void token_and_cosig_tables(void **state)
{
	(void)state;
	char dir[64], db[128];
	assert_non_null(tu_tmpdir(dir, sizeof dir));
	snprintf(db, sizeof db, "%s/t.db", dir);
	struct vg_err err;
	vg_store *st;
	assert_int_equal(vg_store_open(db, &st, &err), VG_OK);
	assert_int_equal(vg_store_schema_version(st), VG_STORE_SCHEMA_VERSION);
	uint8_t h[VG_SHA256_BYTES];
	vg_sha256((const uint8_t *)"x", 1, h);
	int64_t id;
	assert_int_equal(vg_store_token_add(st, h, "NOR", "member", 5, &id, &err), VG_OK);
	assert_int_equal(vg_store_token_add(st, h, "NOR", "member", 5, &id, &err), VG_ERR_EXISTS);
	struct vg_token_row row;
	assert_int_equal(vg_store_token_find(st, h, &row, &err), VG_OK);
	assert_string_equal(row.member, "NOR");
	assert_string_equal(row.role, "member");
	assert_int_equal(vg_store_token_revoke(st, row.id, 6, &err), VG_OK);
	assert_int_equal(vg_store_token_find(st, h, &row, &err), VG_ERR_NOT_FOUND);
	assert_int_equal(vg_store_token_revoke(st, row.id, 7, &err), VG_ERR_NOT_FOUND);

	struct vg_cosig_row c = {.size = 10, .witness = "w1", .key_id = 1, .time_s = 100,
	                         .line = "— w1 AAAA\n", .checkpoint = "o\n10\nr\n\n— o x\n",
	                         .received_ns = 1};
	assert_int_equal(vg_store_cosig_insert(st, &c, &err), VG_OK);
	c.time_s = 50; /* older: ignored */
	assert_int_equal(vg_store_cosig_insert(st, &c, &err), VG_OK);
	c.size = 12;
	c.time_s = 200;
	assert_int_equal(vg_store_cosig_insert(st, &c, &err), VG_OK);
	vg_store_free(st);
	tu_rmdir(dir);
}

/* ---- In-process server ----------------------------------------------------- */

static int http(uint16_t port, const char *req, char *resp, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		return -1;
	size_t len = strlen(req), off = 0;
	while (off < len) {
		ssize_t w = write(fd, req + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	size_t n = 0;
	ssize_t r;
	while (n + 1 < cap && (r = read(fd, resp + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	resp[n] = '\0';
	close(fd);
	int code = -1;
	if (sscanf(resp, "HTTP/1.1 %d", &code) != 1)
		code = -1;
	return code;
}

static void serves_on_loopback(void **state)
{
	(void)state;
	char dir[64], db[128];
	assert_non_null(tu_tmpdir(dir, sizeof dir));
	snprintf(db, sizeof db, "%s/s.db", dir);
	struct vg_err err;
	vg_store *st;
	struct vg_journal *j;
	assert_int_equal(vg_store_open(db, &st, &err), VG_OK);
	assert_int_equal(vg_journal_open(st, db, "test/log", &j, &err), VG_OK);
	char tok[VG_SERVER_TOKEN_LEN + 1];
	vg_server_token_generate(tok);
	uint8_t h[VG_SHA256_BYTES];
	vg_sha256((const uint8_t *)tok, strlen(tok), h);
	int64_t id;
	assert_int_equal(vg_store_token_add(st, h, "NOR", "member", 1, &id, &err), VG_OK);

	struct vg_server_opts o = {.db_path = db, .port = 0, .threads = 2};
	vg_server *srv;
	assert_int_equal(vg_server_start(&o, st, j, &srv, &err), VG_OK);
	uint16_t port = vg_server_port(srv);
	assert_true(port > 0);
	char *resp = malloc(1 << 16), req[512];
	assert_int_equal(http(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	                      resp, 1 << 16), 200);
	assert_int_equal(http(port, "GET /v1/sensors HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	                      resp, 1 << 16), 401);
	snprintf(req, sizeof req,
	         "GET /v1/sensors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
	         "Connection: close\r\n\r\n", tok);
	assert_int_equal(http(port, req, resp, 1 << 16), 200);
	assert_non_null(strstr(resp, "{\"sensors\":["));
	snprintf(req, sizeof req,
	         "POST /v1/observations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
	         "Content-Length: 9\r\nConnection: close\r\n\r\nnot json\n", tok);
	assert_int_equal(http(port, req, resp, 1 << 16), 200);
	assert_non_null(strstr(resp, "\"rejected\":1,"));
	assert_non_null(strstr(resp, "{\"line\":1,\"status\":\"rejected\",\"reason\":\"json\""));
	snprintf(req, sizeof req,
	         "GET /v1/log/tile/../../s.db HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
	         "Connection: close\r\n\r\n", tok);
	assert_int_equal(http(port, req, resp, 1 << 16), 404);
	free(resp);
	vg_server_stop(srv);
	vg_journal_free(j);
	vg_store_free(st);
	tu_rmdir(dir);
}

int main(void)
{
	if (vg_crypto_init() != VG_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tile_paths),
		cmocka_unit_test(tokens_and_roles),
		cmocka_unit_test(token_and_cosig_tables),
		cmocka_unit_test(serves_on_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
