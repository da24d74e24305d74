/*
 * api_static.c - the watch-floor map's files (GET/HEAD `/` and
 * `/static/<path>`, no token) and the agreement (GET /v1/agreement, token).
 *
 * The map (web/: index.html, app.js, style.css, and the npm packages it
 * loads from web/node_modules/) is public code: it holds no data, so its
 * files need no token; every data call it makes carries the operator's
 * bearer token (docs/map.md). Files come from one web root directory,
 * opened once at start (--web DIR, default the source tree's web/).
 *
 * A path is served only if all of these hold, checked before any file is
 * opened (vg_server_static_path_valid):
 *  - 1..VG_STATIC_PATH_MAX bytes of [A-Za-z0-9._/-] (so no %-escapes, no
 *    NUL: server.c's unescape turns a decoded NUL into 0x7f, refused here);
 *  - '/'-separated segments, none empty and none starting with '.' (so no
 *    "..", no ".bin/", no hidden files, no trailing slash);
 *  - an extension of the table below (its Content-Type); anything else
 *    (a package's shell scripts, binaries) is 404.
 * Then it is opened one segment at a time relative to the root, every
 * segment with O_NOFOLLOW (a symlink anywhere in the path is refused, so
 * nothing outside the root is reachable whatever links the tree holds),
 * and served only if a regular file. Responses carry a validator (ETag
 * from size, mtime and inode; If-None-Match gives 304) and
 * "Cache-Control: no-cache", so an updated web/ is picked up at once.
 * The page itself gets a Content-Security-Policy allowing only this origin
 * (the map loads nothing from elsewhere: no tile server, no CDN).
 *
 * If the web root or its node_modules is missing (npm ci not run), `/`
 * answers 404 with a message saying what to do; the API is unaffected.
 *
 * The agreement is given to vg_server_start as bytes (`vigil serve
 * --agreement FILE` reads and validates the file first) and served as is:
 * it is public in the coalition (the lines and zones everyone agreed to),
 * but like every /v1 route it needs a token.
 */
#include "server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest file served (the biggest we ship is world-atlas's 3.5 MB). */
#define STATIC_FILE_MAX ((off_t)64 << 20)

static const struct {
	const char *ext;
	const char *ctype;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".map", "application/json"},
	{".png", "image/png"},
	{".svg", "image/svg+xml"},
	{".ico", "image/x-icon"},
	{".txt", "text/plain; charset=utf-8"},
};

/* The files the map cannot work without (web/package.json's packages). */
static const char *const required[] = {
	"node_modules/leaflet/dist/leaflet.js",
	"node_modules/leaflet/dist/leaflet.css",
	"node_modules/topojson-client/dist/topojson-client.min.js",
	"node_modules/world-atlas/countries-50m.json",
};

static const char *ctype_of(const char *path, size_t len)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t el = strlen(types[i].ext);
		if (len > el && !memcmp(path + len - el, types[i].ext, el))
			return types[i].ctype;
	}
	return NULL;
}

bool vg_server_static_path_valid(const char *path, size_t len)
{
	if (len == 0 || len > VG_STATIC_PATH_MAX)
		return false;
	bool seg_start = true;
	for (size_t i = 0; i < len; i++) {
		char ch = path[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' || ch == '/';
		if (!ok)
			return false;
		if (seg_start && (ch == '/' || ch == '.'))
			return false; /* empty segment, leading slash, "..", hidden name */
		seg_start = ch == '/';
	}
	if (seg_start)
		return false; /* trailing slash */
	return ctype_of(path, len) != NULL;
}

/*
 * Open path (validated) under the root, refusing a symlink in any segment.
 * Returns the fd of a regular file of at most STATIC_FILE_MAX bytes, or -1.
 */
static int open_beneath(int root, const char *path, struct stat *sb)
{
	char seg[VG_STATIC_PATH_MAX + 1];
	int dir = root;
	const char *p = path;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		memcpy(seg, p, n);
		seg[n] = '\0';
		int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (slash ? O_DIRECTORY : O_NONBLOCK);
		int fd = openat(dir, seg, flags);
		if (dir != root)
			close(dir);
		if (fd < 0)
			return -1;
		if (!slash) {
			if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode) || sb->st_size > STATIC_FILE_MAX) {
				close(fd);
				return -1;
			}
			return fd;
		}
		dir = fd;
		p = slash + 1;
	}
}

static enum MHD_Result static_send(struct vg_server *s, struct MHD_Connection *c,
                                   unsigned status, struct MHD_Response *r, const char *ctype,
                                   bool page)
{
	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (page) {
		/* Same origin only. 'unsafe-inline' styles: Leaflet and the page
		 * write style attributes (positions, colour swatches); scripts
		 * stay 'self' only. data: images: the page's empty favicon. */
		MHD_add_response_header(r, "Content-Security-Policy",
		                        "default-src 'self'; img-src 'self' data:; "
		                        "style-src 'self' 'unsafe-inline'; connect-src 'self'; "
		                        "object-src 'none'; base-uri 'none'; form-action 'none'; "
		                        "frame-ancestors 'none'");
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
	}
	unsigned cls = status / 100;
	if (cls >= 1 && cls <= 5)
		atomic_fetch_add(&s->m.http[cls], 1);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct vg_server *s, struct MHD_Connection *c, unsigned status,
                            const char *msg)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_MUST_COPY);
	return static_send(s, c, status, r, "text/plain; charset=utf-8", false);
}

/* The answer names what is missing relative to the web directory, not the
 * directory itself (no server path to an anonymous client): the server's
 * log has that, from static_init. */
static enum MHD_Result not_installed(struct vg_server *s, struct MHD_Connection *c,
                                     const char *what)
{
	char msg[1024];
	snprintf(msg, sizeof msg,
	         "404 - the web map is not installed on this server: %s.\n\n"
	         "The operator: the map's files are web/ of Vigil's source tree, or the\n"
	         "directory given with vigil serve --web DIR (its path is in the server's\n"
	         "log); their npm packages are installed by scripts/deps.sh (npm ci in\n"
	         "web/). The API under /v1 works without them. See docs/map.md.\n",
	         what);
	return text(s, c, 404, msg);
}

/* The first required file missing under the web root, or NULL. */
static const char *missing_file(int root)
{
	struct stat sb;
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (fstatat(root, required[i], &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
			return required[i];
	return NULL;
}

enum MHD_Result api_static(struct vg_server *s, struct MHD_Connection *c, const char *url)
{
	const char *path;
	bool page = !strcmp(url, "/");
	if (page)
		path = "index.html";
	else if (!strncmp(url, "/static/", 8))
		path = url + 8;
	else
		return text(s, c, 404, "404 - not found\n");
	if (s->web_dirfd < 0)
		return not_installed(s, c, "its directory cannot be opened");
	const char *miss;
	if (page && (miss = missing_file(s->web_dirfd))) {
		char what[160];
		snprintf(what, sizeof what, "%s is missing in its directory", miss);
		return not_installed(s, c, what);
	}
	size_t len = strlen(path);
	if (!vg_server_static_path_valid(path, len))
		return text(s, c, 404, "404 - not found\n");
	struct stat sb;
	int fd = open_beneath(s->web_dirfd, path, &sb);
	if (fd < 0)
		return text(s, c, 404, "404 - not found\n");
	char etag[80];
	snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", (uint64_t)sb.st_size,
	         (uint64_t)sb.st_mtim.tv_sec * 1000000000u + (uint64_t)sb.st_mtim.tv_nsec,
	         (uint64_t)sb.st_ino);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ctype = ctype_of(path, len);
	struct MHD_Response *r;
	unsigned status = 200;
	if (inm && !strcmp(inm, etag)) {
		close(fd);
		status = 304;
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		ctype = NULL;
	} else {
		r = MHD_create_response_from_fd64((uint64_t)sb.st_size, fd);
		if (!r) {
			close(fd);
			return MHD_NO;
		}
	}
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	return static_send(s, c, status, r, ctype, page);
}

enum MHD_Result api_agreement(struct vg_server *s, struct MHD_Connection *c)
{
	static const char *const allowed[] = {NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	if (!s->agreement)
		return srv_error(s, c, 404, "not_found",
		                 "no agreement: start vigil serve with --agreement FILE");
	char *body = malloc(s->agreement_len ? s->agreement_len : 1);
	if (!body)
		return MHD_NO;
	memcpy(body, s->agreement, s->agreement_len);
	return srv_reply(s, c, 200, "application/geo+json", body, s->agreement_len);
}

vg_status static_init(struct vg_server *s, struct vg_err *err)
{
	s->web_dirfd = -1;
	if (s->o.web_dir) {
		if (!(s->web_dir = strdup(s->o.web_dir)))
			return vg_err_set(err, VG_ERR_NOMEM, "server: web directory");
		s->web_dirfd = open(s->web_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		const char *miss;
		if (s->web_dirfd < 0)
			vg_log(VG_LOG_WARN, "serve: web map directory %s: %s (/ will answer 404)",
			       s->web_dir, strerror(errno));
		else if ((miss = missing_file(s->web_dirfd)))
			vg_log(VG_LOG_WARN, "serve: web map: %s/%s is missing: run scripts/deps.sh "
			       "(npm ci in web/); / will answer 404", s->web_dir, miss);
	}
	if (s->o.agreement) {
		if (!(s->agreement = malloc(s->o.agreement_len ? s->o.agreement_len : 1)))
			return vg_err_set(err, VG_ERR_NOMEM, "server: agreement");
		memcpy(s->agreement, s->o.agreement, s->o.agreement_len);
		s->agreement_len = s->o.agreement_len;
	}
	/* The caller's are borrowed: from here on s->o points at our copies. */
	s->o.web_dir = s->web_dir;
	s->o.agreement = s->agreement;
	return VG_OK;
}

void static_free(struct vg_server *s)
{
	if (s->web_dirfd >= 0)
		close(s->web_dirfd);
	s->web_dirfd = -1;
	free(s->web_dir);
	free(s->agreement);
	s->web_dir = NULL;
	s->agreement = NULL;
}
