/*
 * tak.h - Cursor-on-Target (CoT) for TAK: fused events and rule findings out
 * as CoT 2.0 XML, CoT from TAK users in as unsigned external reports, and
 * the UDP/TCP transports that carry them. docs/tak.md is the user-facing
 * description (type mapping, ce, stale, transports); this is the
 * programmer's contract.
 *
 * Sources: the CoT Event schema 2.0 (MITRE, Event-PUBLIC.xsd, MITRE case
 * 11-3895: event/point attributes, "ce ... the one sigma point for a zero
 * mean normal distribution", 9999999 = unknown); MITRE CoTtypes.xml (the
 * type tree: b-d-l Detection/Launch, b-d-i Detection/Impact, b-d-a-i
 * Detection/Acoustic/Impulsive, the a-<affiliation>-<2525 path> atoms);
 * TAK practice for transports (UDP datagrams of one event each, the mesh
 * group 239.2.3.1:6969; TCP streams of concatenated events, as TAK Server's
 * streaming input splits them).
 *
 * Output is deterministic: the same record and options give the same bytes
 * (times from the record, never the clock). Input is parsed strictly with
 * expat: DOCTYPEs (hence entity declarations) and processing instructions
 * are refused, a message is at most VG_TAK_MSG_MAX bytes, every required
 * attribute is checked, and a rejection names the field
 * ("point.lat = \"91\": must be in [-90, 90]").
 *
 * Threads: everything is reentrant; a sender or a listener is used by one
 * thread at a time. Nothing here keeps global state or touches signals
 * (sends use MSG_NOSIGNAL).
 */
#ifndef VG_TAK_H
#define VG_TAK_H

#include "core/core.h"
#include "store/store.h"

#include <signal.h>

#define VG_TAK_MSG_MAX 65536    /* bytes of one received CoT message */
#define VG_TAK_OUT_MAX 16384    /* bytes of one CoT message vigil writes */
#define VG_TAK_UID_MAX 256
#define VG_TAK_TYPE_MAX 128
#define VG_TAK_REMARKS_MAX 1024 /* remarks kept from a received message */
#define VG_TAK_EVIDENCE_MAX 64  /* log indices listed in <vigil evidence> */
#define VG_TAK_EVENTS_MAX 32    /* event ids listed in a finding's <vigil events> */
#define VG_TAK_LINKS_MAX 16     /* <link>s from a finding to its events */
#define VG_TAK_UNKNOWN 9999999.0 /* CoT's "unknown" for hae, ce, le */

/* ---- Writing ----------------------------------------------------------- */

/* Event types by id (the store's events table), so a no_fire finding can
 * tell a launch mission (placed at the launches: a weapon atom) from an
 * impact-only one (placed at the impacts: b-d-i). */
struct vg_tak_event_type {
	char id[24];
	char type[12];                /* launch, impact, explosion */
};
struct vg_tak_event_index {
	struct vg_tak_event_type *v;  /* sorted by id */
	size_t n;
};
/* Load every stored event's (id, type). Release with _release. */
vg_status vg_tak_event_index_load(vg_store *st, struct vg_tak_event_index *idx,
                                  struct vg_err *err) VG_WUR;
void vg_tak_event_index_release(struct vg_tak_event_index *idx);
/* NULL if the id is not there (or idx is NULL). */
const char *vg_tak_event_index_type(const struct vg_tak_event_index *idx, const char *id);

struct vg_tak_opts {
	const char *uid_prefix;       /* uids are <prefix>-event-<id>, <prefix>-finding-<id> ("vigil") */
	char affiliation;             /* of weapon atoms a-<aff>-...: h (default), s, u, n */
	int64_t event_ttl_ns;         /* stale = time + ttl (default 1 h; 0 .. 366 days) */
	int64_t finding_ttl_ns;       /* (default 24 h) */
	const struct vg_tak_event_index *events; /* may be NULL */
};
void vg_tak_opts_init(struct vg_tak_opts *o);

/*
 * One CoT message (XML declaration + <event>, one line, no newline) for a
 * fused event record (docs/fusion.md) or a finding record (docs/rules.md),
 * written into out (cap bytes, NUL-terminated); *len its length.
 * VG_ERR_JSON / VG_ERR_MISSING / VG_ERR_RANGE for a record that is not
 * one; VG_ERR_LIMIT if cap is too small (VG_TAK_OUT_MAX always suffices).
 */
vg_status vg_tak_event_cot(const struct vg_tak_opts *o, const char *record, size_t rec_len,
                           char *out, size_t cap, size_t *len, struct vg_err *err) VG_WUR;
vg_status vg_tak_finding_cot(const struct vg_tak_opts *o, const char *record, size_t rec_len,
                             char *out, size_t cap, size_t *len, struct vg_err *err) VG_WUR;

/* The atom path after "a-<affiliation>-" for an object class (codec.h), e.g.
 * "G-U-C-F" for artillery; "G" for VG_CLS_UNKNOWN; NULL out of range. */
const char *vg_tak_class_path(int cls);
/* The object class of an atom path (after "a-<aff>-"): the class of the
 * longest known prefix, VG_CLS_UNKNOWN if none. Inverse of the above. */
int vg_tak_path_class(const char *path);

/* ---- Reading ----------------------------------------------------------- */

/* A received CoT message, parsed and checked. */
struct vg_tak_report {
	char uid[VG_TAK_UID_MAX + 1];
	char type[VG_TAK_TYPE_MAX + 1];
	char how[VG_TAK_TYPE_MAX + 1];
	char callsign[VG_TAK_UID_MAX + 1];   /* detail/contact@callsign, "" if none */
	char remarks[VG_TAK_REMARKS_MAX + 1]; /* detail/remarks text, truncated, "" if none */
	int64_t time_ns, start_ns, stale_ns;
	double lat_deg, lon_deg;
	bool has_hae, has_ce, has_le;         /* false: 9999999 (unknown) */
	double hae_m, ce_m, le_m;
	bool from_vigil;                      /* detail has a <vigil> element */
	/* set by vg_tak_classify */
	int kind;                             /* VG_OBS_DETECTION or VG_OBS_IMPULSE */
	int cls;                              /* vg_object_class / vg_impulse_class */
};

/*
 * Parse one message (an optional XML declaration and one <event>). Strict:
 * UTF-8 only; no DOCTYPE, entity declaration or processing instruction;
 * root <event> with version 2.x, uid, type, how, time, start, stale
 * (RFC 3339; stale >= start), optional access, qos, opex and nothing else;
 * exactly one <point> (lat, lon, hae, ce, le; nothing else) and at most
 * one <detail> (free content, depth <= 32). *out is unspecified on failure.
 */
vg_status vg_tak_parse(const char *msg, size_t len, struct vg_tak_report *out,
                       struct vg_err *err) VG_WUR;

/*
 * What vigil stores: atoms a-<aff>-... of any affiliation but friend (f) or
 * assumed friend (a) (own forces' positions are not observations) as
 * detections of the class vg_tak_path_class gives; b-d-l[-*] launch,
 * b-d-i[-*] impact, b-d-a-i explosion as located impulses. Messages vigil
 * wrote (a <vigil> detail) are refused (no loops through a shared group).
 * Sets r->kind and r->cls, or VG_ERR_CLASS naming event.type.
 */
vg_status vg_tak_classify(struct vg_tak_report *r, struct vg_err *err) VG_WUR;

/* SHA-256 of the report's identity (uid, type, how, times, point): the
 * same report relayed by two paths (or with other _flow-tags_) is one. */
void vg_tak_report_key(const struct vg_tak_report *r, uint8_t out[VG_SHA256_BYTES]);

/* Store a classified report in external_observations: feed "cot", source
 * (e.g. "udp:127.0.0.1:40000"), sigma = ce (unknown_ce_m if unknown), the
 * raw message as the row. *inserted false for a report already stored. */
vg_status vg_tak_store_report(vg_store *st, const struct vg_tak_report *r, const char *raw,
                              size_t raw_len, const char *source, double trust,
                              double unknown_ce_m, int64_t now_ns, bool *inserted,
                              struct vg_err *err) VG_WUR;

/* ---- Transport --------------------------------------------------------- */

enum vg_tak_proto { VG_TAK_UDP = 1, VG_TAK_TCP = 2 };

struct vg_tak_endpoint {
	int proto;                    /* enum vg_tak_proto */
	char host[256];
	char port[8];
};
/* "HOST:PORT" or "[V6]:PORT" (port 0..65535). */
vg_status vg_tak_hostport_parse(const char *s, char host[256], char port[8],
                                struct vg_err *err) VG_WUR;
/* "udp://HOST:PORT" or "tcp://HOST:PORT". */
vg_status vg_tak_endpoint_parse(const char *s, struct vg_tak_endpoint *out,
                                struct vg_err *err) VG_WUR;

struct vg_tak_send_opts {
	int mcast_ttl;                /* IP_MULTICAST_TTL for multicast UDP (1) */
	const char *mcast_iface;      /* IPv4 address of the interface for multicast, NULL: default */
	int connect_timeout_ms;       /* TCP connect and send timeout (2000) */
	int retries;                  /* TCP reconnects per message before giving up (0) */
	int backoff_max_ms;           /* delay between reconnects doubles from 100 ms to this (2000) */
};
void vg_tak_send_opts_init(struct vg_tak_send_opts *o);

/*
 * A sender to a set of endpoints. UDP: one datagram per message (sendto;
 * multicast addresses get the TTL and interface). TCP: one connection per
 * endpoint, opened on first use, messages written back to back, each
 * followed by a newline. A broken connection (a write fails, or the peer
 * closed: checked before each write) is reopened and the messages written
 * on it recently (the last 256, at most 1 MiB) are written again before
 * the new one: TAK streaming has no acknowledgements, so what the peer's
 * kernel held when it died may be lost, and CoT receivers replace an
 * event by uid, so a repeat is harmless; a message that could not be sent
 * joins them, to be written when the endpoint is back. Reconnects back off
 * (100 ms doubling to backoff_max_ms): with retries 0 (the server's case)
 * a message to a down endpoint fails at once while the delay runs, and
 * costs one connect attempt (at most connect_timeout_ms) after it; with
 * retries N (the command line's) the sender waits the delays out, N times.
 */
typedef struct vg_tak_sender vg_tak_sender;
vg_status vg_tak_sender_new(const struct vg_tak_endpoint *eps, size_t n,
                            const struct vg_tak_send_opts *o, vg_tak_sender **out,
                            struct vg_err *err) VG_WUR;
/* Send to every endpoint. VG_ERR_IO naming the endpoints that failed (the
 * others got it). */
vg_status vg_tak_sender_send(vg_tak_sender *s, const char *msg, size_t len,
                             struct vg_err *err) VG_WUR;
/* End of a batch: half-close each TCP connection and wait (up to the
 * connect timeout) for the peer's close; a reset instead means the peer
 * dropped data, and the recent messages are sent again on a new
 * connection. Connections are closed afterwards. */
vg_status vg_tak_sender_flush(vg_tak_sender *s, struct vg_err *err) VG_WUR;
struct vg_tak_sender_stats {
	int64_t sent, failed, reconnects, resent;
};
void vg_tak_sender_stats(const vg_tak_sender *s, size_t i, struct vg_tak_sender_stats *out);
void vg_tak_sender_free(vg_tak_sender *s); /* NULL is a no-op */

/* Convert a record of kind "event" or "finding" and send it: the call the
 * HTTP service makes for each new publication. */
vg_status vg_tak_forward(vg_tak_sender *s, const struct vg_tak_opts *o, const char *kind,
                         const char *record, size_t len, struct vg_err *err) VG_WUR;

/*
 * A listener: UDP sockets (one message per datagram; a multicast address
 * is bound on its port and joined on mcast_iface) and TCP listening sockets
 * (each connection a stream of messages, each ending at "</event>"; at most
 * max_conns at once). Framing only: each message (or a framing error:
 * over VG_TAK_MSG_MAX, truncated at end of stream, a TAK protocol
 * (protobuf) datagram) goes to the callback.
 */
#define VG_TAK_LISTEN_MAX 8
struct vg_tak_listen_opts {
	const char *udp[VG_TAK_LISTEN_MAX];  /* "HOST:PORT" */
	size_t n_udp;
	const char *tcp[VG_TAK_LISTEN_MAX];
	size_t n_tcp;
	const char *mcast_iface;      /* NULL: any */
	int max_conns;                /* 64 */
};
typedef struct vg_tak_listener vg_tak_listener;
vg_status vg_tak_listener_new(const struct vg_tak_listen_opts *o, vg_tak_listener **out,
                              struct vg_err *err) VG_WUR;
/* "udp 127.0.0.1:6969 tcp 127.0.0.1:8087": the bound addresses (port 0
 * resolved), in option order. */
void vg_tak_listener_describe(const vg_tak_listener *l, char *buf, size_t cap);
/* A message from peer ("udp:HOST:PORT"), or msg NULL and framing_err set.
 * Return non-zero to stop. */
typedef int (*vg_tak_msg_fn)(void *ctx, const char *peer, const char *msg, size_t len,
                             const struct vg_err *framing_err);
/* Serve until fn returns non-zero, *stop becomes non-zero (checked at least
 * every 200 ms), or the monotonic clock passes deadline_ns (0: none).
 * *timed_out tells the last case. */
vg_status vg_tak_listener_run(vg_tak_listener *l, int64_t deadline_ns,
                              const volatile sig_atomic_t *stop, vg_tak_msg_fn fn, void *ctx,
                              bool *timed_out, struct vg_err *err) VG_WUR;
void vg_tak_listener_free(vg_tak_listener *l); /* NULL is a no-op */

#endif
