/* rpc_bind.c - owns the DCE/RPC side of check_kms_host: the bind PDU for the
 * KMS interface (DCE 1.1 RPC chapter 12, MS-RPCE 2.2.2), the bind_ack /
 * bind_nak parser, one probe (connect, bind, read one answer, close) and
 * many probes in parallel.
 *
 * Non-invasion (docs/DESIGN.md, "Non-invasion"): the only PDU ever
 * written to a socket here is the bind built by rpc_bind_build(). A bind
 * registers no KMS client; a request PDU (ptype 0) would be an activation
 * attempt, so there is no code that could build one.
 *
 * Trust: the answer is read into a fixed RPC_MAX_PDU buffer; frag_length only
 * tells how much more to wait for, never how much to read past what arrived,
 * and every offset is checked against both frag_length and the bytes
 * received before it is used. */
#include "rpc_bind.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "output.h"
#include "timeout.h"

#define HDR_LEN 16
#define PTYPE_FAULT 3
#define PTYPE_BIND 11
#define PTYPE_BIND_ACK 12
#define PTYPE_BIND_NAK 13
#define PFC_FIRST_FRAG 0x01
#define PFC_LAST_FRAG 0x02
#define DREP_LE_ASCII_IEEE 0x10
#define MAX_FRAG 5840          /* what Windows proposes over TCP */
#define CTX_ELEM_LEN 44        /* id, n, pad, abstract (20), one transfer (20) */
#define BIND_LEN (28 + 3 * CTX_ELEM_LEN)
#define RESULT_LEN 24          /* result, reason, transfer syntax (20) */
#define PROBE_CALL_ID 1
#define MAX_THREADS 64

/* A syntax id: UUID fields as in the text form, and the version. */
struct syntax {
	uint32_t d1;
	uint16_t d2, d3;
	uint8_t d4[8];
	uint16_t major, minor;
};

static const struct syntax KMS_IFACE = { 0x51c82175, 0x844e, 0x4750,
	{ 0xb0, 0xd8, 0xec, 0x25, 0x55, 0x55, 0xbc, 0x06 }, 1, 0 };
static const struct syntax NDR20 = { 0x8a885d04, 0x1ceb, 0x11c9,
	{ 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60 }, 2, 0 };
static const struct syntax NDR64 = { 0x71710533, 0xbeba, 0x4937,
	{ 0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36 }, 1, 0 };
/* bind-time feature negotiation, bitmask 0x03 (security context
 * multiplexing, keep connection on orphan) as Windows 7+ sends it */
static const struct syntax BTFN = { 0x6cb71c2c, 0x9812, 0x4540,
	{ 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 1, 0 };

/* The transfer syntax offered in each context of the bind, in order; the
 * first two carry the KMS interface for real, the third only negotiates
 * features. rpc_bind_build() and the bind_ack check both read this. */
static const struct {
	const struct syntax *syn;
	const char *name;
} OFFER[RPC_MAX_CTX] = {
	{ &NDR20, "NDR" },
	{ &NDR64, "NDR64" },
	{ &BTFN, "bind-time feature negotiation" },
};
#define KMS_CTX 2 /* contexts 0 and 1 can make the bind a success */

static unsigned char *put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
	return p + 2;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return p + 4;
}

/* UUIDs go on the wire with their first three fields in the PDU's byte
 * order (little-endian here) and the last eight bytes as written. */
static unsigned char *put_syntax(unsigned char *p, const struct syntax *s)
{
	p = put32(p, s->d1);
	p = put16(p, s->d2);
	p = put16(p, s->d3);
	memcpy(p, s->d4, 8);
	p += 8;
	p = put16(p, s->major);
	return put16(p, s->minor);
}

static unsigned char *put_context(unsigned char *p, uint16_t id,
				  const struct syntax *transfer)
{
	p = put16(p, id);
	*p++ = 1; /* n_transfer_syn */
	*p++ = 0; /* reserved */
	p = put_syntax(p, &KMS_IFACE);
	return put_syntax(p, transfer);
}

size_t rpc_bind_build(unsigned char *buf, size_t len, uint32_t call_id)
{
	if (len < BIND_LEN)
		return 0;
	unsigned char *p = buf;
	*p++ = 5; /* rpc_vers */
	*p++ = 0; /* rpc_vers_minor */
	*p++ = PTYPE_BIND;
	*p++ = PFC_FIRST_FRAG | PFC_LAST_FRAG;
	*p++ = DREP_LE_ASCII_IEEE;
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	p = put16(p, BIND_LEN); /* frag_length */
	p = put16(p, 0);        /* auth_length */
	p = put32(p, call_id);
	p = put16(p, MAX_FRAG); /* max_xmit_frag */
	p = put16(p, MAX_FRAG); /* max_recv_frag */
	p = put32(p, 0);        /* assoc_group_id: a new association */
	*p++ = 3;               /* n_context_elem */
	*p++ = 0;
	p = put16(p, 0);
	for (uint16_t i = 0; i < RPC_MAX_CTX; i++)
		p = put_context(p, i, OFFER[i].syn);
	return (size_t)(p - buf);
}

static bool syntax_equal(const struct syntax *a, const struct syntax *b)
{
	return a->d1 == b->d1 && a->d2 == b->d2 && a->d3 == b->d3 &&
	       memcmp(a->d4, b->d4, 8) == 0 && a->major == b->major &&
	       a->minor == b->minor;
}

/* "NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0"; unknown ids without a
 * name. */
static void syntax_text(const struct syntax *s, char *buf, size_t len)
{
	const char *name = NULL;
	if (syntax_equal(s, &KMS_IFACE))
		name = "KMS";
	for (size_t i = 0; i < RPC_MAX_CTX && !name; i++)
		if (syntax_equal(s, OFFER[i].syn))
			name = OFFER[i].name;
	snprintf(buf, len, "%s%s%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x v%u.%u",
		 name ? name : "", name ? " " : "", (unsigned)s->d1, s->d2, s->d3,
		 s->d4[0], s->d4[1], s->d4[2], s->d4[3], s->d4[4], s->d4[5], s->d4[6],
		 s->d4[7], s->major, s->minor);
}

bool rpc_bind_offer_text(unsigned i, char *buf, size_t len)
{
	char a[80], t[80];
	if (i >= RPC_MAX_CTX)
		return false;
	syntax_text(&KMS_IFACE, a, sizeof a);
	syntax_text(OFFER[i].syn, t, sizeof t);
	snprintf(buf, len, "context %u: %s with %s", i, a, t);
	return true;
}

/* ------------------------------------------------------------------ parse */

static uint16_t get16(const unsigned char *p, bool le)
{
	return le ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[1] | p[0] << 8);
}

static uint32_t get32(const unsigned char *p, bool le)
{
	if (le)
		return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[0] << 24;
}

/* A syntax id as received: 16 bytes of UUID, then version major, minor. */
static void get_syntax(const unsigned char *p, bool le, struct syntax *s)
{
	s->d1 = get32(p, le);
	s->d2 = get16(p + 4, le);
	s->d3 = get16(p + 6, le);
	memcpy(s->d4, p + 8, 8);
	s->major = get16(p + 16, le);
	s->minor = get16(p + 18, le);
}

/* Connection-oriented PDU types (DCE 1.1 12.6.4, MS-RPCE 2.2.2.1); the
 * others (1, 4-10) exist only in connectionless (version 4) RPC. */
static const char *ptype_name(unsigned t)
{
	switch (t) {
	case 0: return "request";
	case 2: return "response";
	case 3: return "fault";
	case 11: return "bind";
	case 12: return "bind_ack";
	case 13: return "bind_nak";
	case 14: return "alter_context";
	case 15: return "alter_context_resp";
	case 16: return "rpc_auth_3";
	case 17: return "shutdown";
	case 18: return "co_cancel";
	case 19: return "orphaned";
	default: return NULL;
	}
}

/* Fault statuses a server may send for a bind it cannot serve: DCE 1.1
 * appendix E (nca_s_*) and the Windows error codes MS-RPCE 2.2.2.11
 * allows in their place. */
static const char *fault_name(uint32_t st)
{
	switch (st) {
	case 0x00000005: return "access denied";
	case 0x000006d8: return "rpc_s_cannot_perform";
	case 0x000006e4: return "rpc_s_cannot_support";
	case 0x000006f7: return "rpc_x_bad_stub_data";
	case 0x1c000008: return "nca_s_rpc_version_mismatch";
	case 0x1c000009: return "nca_s_unspec_reject";
	case 0x1c00000c: return "nca_s_manager_not_entered";
	case 0x1c000012: return "nca_s_fault_unspec";
	case 0x1c00001c: return "nca_s_invalid_pres_context_id";
	case 0x1c00001d: return "nca_s_unsupported_authn_level";
	case 0x1c010001: return "nca_s_comm_failure";
	case 0x1c010002: return "nca_s_op_rng_error";
	case 0x1c010003: return "nca_s_unk_if";
	case 0x1c01000b: return "nca_s_proto_error";
	case 0x1c010014: return "nca_s_server_too_busy";
	case 0x1c010017: return "nca_s_unsupported_type";
	default: return NULL;
	}
}

/* p_cont_def_result_t (DCE 1.1) and MS-RPCE's negotiate_ack */
static const char *ctx_result_name(unsigned r)
{
	switch (r) {
	case 0: return "accepted";
	case 1: return "rejected by the server application";
	case 2: return "rejected";
	case 3: return "negotiate_ack";
	default: return "result";
	}
}

/* p_provider_reason_t (DCE 1.1) */
static const char *ctx_reason_name(unsigned r)
{
	switch (r) {
	case 0: return "reason not specified";
	case 1: return "abstract syntax not supported";
	case 2: return "proposed transfer syntaxes not supported";
	case 3: return "local limit exceeded";
	default: return NULL;
	}
}

/* p_reject_reason_t (DCE 1.1) and MS-RPCE's additions */
static const char *nak_reason_name(unsigned r)
{
	switch (r) {
	case 0: return "reason not specified";
	case 1: return "temporary congestion";
	case 2: return "local limit exceeded";
	case 3: return "called presentation address unknown";
	case 4: return "protocol version not supported";
	case 5: return "default context not supported";
	case 6: return "user data not readable";
	case 7: return "no presentation service access point available";
	case 8: return "authentication type not recognized";
	case 9: return "invalid checksum";
	default: return NULL;
	}
}

static enum rpc_outcome fail(struct rpc_probe_result *res, enum rpc_outcome o,
			     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum rpc_outcome fail(struct rpc_probe_result *res, enum rpc_outcome o,
			     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof res->detail, fmt, ap);
	va_end(ap);
	res->outcome = o;
	return o;
}

/* Up to 8 leading bytes, printable ones as text, others as \xNN, so a user
 * sees what answered ("HTTP/1.1", "SSH-2.0-"). */
static void preview(const unsigned char *buf, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len && i < 8 && o + 5 < outlen; i++) {
		if (buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] != '"' && buf[i] != '\\')
			out[o++] = (char)buf[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", buf[i]);
	}
	out[o] = '\0';
}

/* Does what arrived so far still look like a DCE/RPC connection-oriented
 * bind answer? false fills res as RPC_NOT_DCERPC. Only looks at bytes that
 * are there, so the reader can give up on garbage after its first byte. */
static bool prefix_ok(const unsigned char *buf, size_t len,
		      struct rpc_probe_result *res)
{
	char pv[48];
	preview(buf, len, pv, sizeof pv);
	if (len >= 1 && buf[0] != 5) {
		fail(res, RPC_NOT_DCERPC, "first bytes \"%s\" are not a DCE/RPC 5.0 header", pv);
		return false;
	}
	if (len >= 2 && buf[1] != 0) {
		fail(res, RPC_NOT_DCERPC, "DCE/RPC version 5.%u, expected 5.0", buf[1]);
		return false;
	}
	if (len >= 3 && !ptype_name(buf[2])) {
		fail(res, RPC_NOT_DCERPC,
		     "PDU type %u is not a connection-oriented DCE/RPC type", buf[2]);
		return false;
	}
	if (len >= 5 && (buf[4] >> 4) > 1) {
		fail(res, RPC_NOT_DCERPC, "unknown data representation 0x%02x", buf[4]);
		return false;
	}
	return true;
}

static enum rpc_outcome parse_bind_ack(const unsigned char *buf, size_t end,
				       bool le, struct rpc_probe_result *res)
{
	if (end < 26)
		return fail(res, RPC_MALFORMED,
			    "bind_ack of %zu bytes ends before its secondary address", end);
	size_t sec_len = get16(buf + 24, le);
	size_t off = 26 + sec_len;
	if (off > end)
		return fail(res, RPC_MALFORMED,
			    "bind_ack secondary address length %zu runs past its end (%zu bytes)",
			    sec_len, end);
	off = (off + 3) & ~(size_t)3; /* the result list is 4-byte aligned */
	if (off + 4 > end)
		return fail(res, RPC_MALFORMED,
			    "bind_ack of %zu bytes ends before its result list", end);
	size_t n = buf[off];
	off += 4;
	if (n == 0)
		return fail(res, RPC_MALFORMED, "bind_ack holds no presentation context result");
	if ((end - off) / RESULT_LEN < n)
		return fail(res, RPC_MALFORMED,
			    "bind_ack claims %zu context results but has room for %zu",
			    n, (end - off) / RESULT_LEN);
	for (size_t i = 0; i < n && i < RPC_MAX_CTX; i++) {
		const unsigned char *r = buf + off + i * RESULT_LEN;
		struct syntax syn;
		get_syntax(r + 4, le, &syn);
		res->ctx[i].result = get16(r, le);
		res->ctx[i].reason = get16(r + 2, le);
		syntax_text(&syn, res->ctx[i].syntax, sizeof res->ctx[i].syntax);
		res->n_ctx = (unsigned)i + 1;
	}
	/* our contexts 0 and 1 carry the KMS interface (NDR, NDR64); results
	 * come in the order of the proposed contexts. An acceptance counts only
	 * with the syntax that context offered: any other means the server will
	 * marshal in a way nobody asked for, so nothing it says can be read. */
	int accepted = -1;
	for (size_t i = 0; i < n && i < KMS_CTX; i++) {
		const unsigned char *r = buf + off + i * RESULT_LEN;
		if (get16(r, le) != 0)
			continue;
		struct syntax syn;
		get_syntax(r + 4, le, &syn);
		if (syntax_equal(&syn, OFFER[i].syn)) {
			if (accepted < 0)
				accepted = (int)i;
			continue;
		}
		for (size_t j = 0; j < KMS_CTX; j++)
			if (j != i && syntax_equal(&syn, OFFER[j].syn))
				return fail(res, RPC_BAD_SYNTAX,
					    "bind accepted with a transfer syntax of another "
					    "context (%s in context %zu, offered %s)",
					    OFFER[j].name, i, OFFER[i].name);
		return fail(res, RPC_BAD_SYNTAX,
			    "bind accepted with an unknown transfer syntax (%s in context %zu)",
			    res->ctx[i].syntax, i);
	}
	if (accepted >= 0) {
		res->reason = 0;
		return fail(res, RPC_ACCEPTED, "bind accepted (KMS interface with %s)",
			    OFFER[accepted].name);
	}
	unsigned result = get16(buf + off, le);
	unsigned reason = get16(buf + off + 2, le);
	res->reason = reason;
	const char *rn = ctx_reason_name(reason);
	const char *who = result == 1 ? "rejected by the server application"
			: result == 3 ? "answered with negotiate_ack" : "bind rejected";
	if (result == 2 || result == 1) {
		if (rn)
			return fail(res, RPC_REJECTED, "%s: %s",
				    result == 2 ? "bind rejected" : who, rn);
		return fail(res, RPC_REJECTED, "%s: reason %u",
			    result == 2 ? "bind rejected" : who, reason);
	}
	return fail(res, RPC_REJECTED, "%s (result %u, reason %u)", who, result, reason);
}

enum rpc_outcome rpc_bind_answer_parse(const unsigned char *buf, size_t len,
				       uint32_t call_id,
				       struct rpc_probe_result *res)
{
	res->reason = 0;
	res->detail[0] = '\0';
	res->ptype = -1;
	res->max_xmit = res->max_recv = 0;
	res->n_ctx = 0;
	if (len == 0)
		return fail(res, RPC_CLOSED, "closed the connection before answering");
	if (!prefix_ok(buf, len, res))
		return res->outcome;
	if (len < HDR_LEN)
		return fail(res, RPC_MALFORMED, "truncated answer: %zu of the 16 header bytes", len);
	bool le = (buf[4] & 0xf0) == 0x10;
	const char *what = ptype_name(buf[2]);
	size_t frag = get16(buf + 8, le);
	size_t auth = get16(buf + 10, le);
	uint32_t cid = get32(buf + 12, le);
	if (frag < HDR_LEN)
		return fail(res, RPC_MALFORMED,
			    "%s frag_length %zu is shorter than the 16-byte header", what, frag);
	if (frag > RPC_MAX_PDU)
		return fail(res, RPC_MALFORMED,
			    "%s frag_length %zu exceeds the %d bytes a bind answer can need",
			    what, frag, RPC_MAX_PDU);
	if (len < frag)
		return fail(res, RPC_MALFORMED, "truncated %s: %zu of %zu bytes",
			    what, len, frag);
	res->ptype = buf[2];
	/* a fault or a PDU of the wrong type is named for what it is before its
	 * call_id is judged: a server may fault a call it could not read */
	if (buf[2] == PTYPE_FAULT) {
		if (frag < 28)
			return fail(res, RPC_MALFORMED,
				    "fault of %zu bytes ends before its status", frag);
		uint32_t st = get32(buf + 24, le);
		const char *fn = fault_name(st);
		res->reason = st;
		if (fn)
			return fail(res, RPC_FAULT, "fault 0x%08x (%s)", (unsigned)st, fn);
		return fail(res, RPC_FAULT, "fault 0x%08x", (unsigned)st);
	}
	if (buf[2] != PTYPE_BIND_ACK && buf[2] != PTYPE_BIND_NAK)
		return fail(res, RPC_WRONG_PDU, "%s (PDU type %u)", what, buf[2]);
	if (cid != call_id)
		return fail(res, RPC_MALFORMED, "%s for call_id %u, the bind was call_id %u",
			    what, (unsigned)cid, (unsigned)call_id);
	size_t end = frag;
	if (auth) {
		/* auth verifier: 8-byte sec_trailer + auth_length bytes at the end */
		if (auth + 8 > frag - HDR_LEN)
			return fail(res, RPC_MALFORMED,
				    "%s auth_length %zu runs past its end (%zu bytes)",
				    what, auth, frag);
		end = frag - auth - 8;
	}
	if (buf[2] == PTYPE_BIND_ACK && end >= 20) {
		res->max_xmit = get16(buf + 16, le);
		res->max_recv = get16(buf + 18, le);
	}
	if (buf[2] == PTYPE_BIND_NAK) {
		if (end < 18)
			return fail(res, RPC_MALFORMED,
				    "bind_nak of %zu bytes ends before its reject reason", end);
		unsigned reason = get16(buf + 16, le);
		const char *rn = nak_reason_name(reason);
		res->reason = reason;
		if (rn)
			return fail(res, RPC_NAK, "bind_nak: %s", rn);
		return fail(res, RPC_NAK, "bind_nak: reason %u", reason);
	}
	return parse_bind_ack(buf, end, le, res);
}

/* ------------------------------------------------------------------ probe */

static void fmt_secs(char *buf, size_t len, double s)
{
	fmt_number(buf, len, s, s >= 1 ? 0 : 1);
}

/* -v: what came back, in one line; -vv: each context result too. */
static void log_answer(const char *host, const struct rpc_probe_result *res,
		       size_t got)
{
	char ms[32];
	if (output_verbosity() < 1)
		return;
	fmt_number(ms, sizeof ms, res->bind_s * 1000.0, 1);
	const char *pt = res->ptype >= 0 ? ptype_name((unsigned)res->ptype) : NULL;
	if (res->ptype == PTYPE_BIND_ACK && res->max_xmit)
		vlog(1, "%s (%s): bind_ack of %zu bytes after %s ms, max_xmit_frag %u, "
		     "max_recv_frag %u: %s", host, res->address, got, ms, res->max_xmit,
		     res->max_recv, res->detail);
	else if (pt)
		vlog(1, "%s (%s): %s of %zu bytes after %s ms: %s", host, res->address,
		     pt, got, ms, res->detail);
	else
		vlog(1, "%s (%s): %zu bytes after %s ms: %s", host, res->address, got, ms,
		     res->detail);
	for (unsigned i = 0; i < res->n_ctx; i++)
		vlog(2, "%s (%s): context %u: %s (result %u, reason %u), transfer syntax %s",
		     host, res->address, i, ctx_result_name(res->ctx[i].result),
		     res->ctx[i].result, res->ctx[i].reason, res->ctx[i].syntax);
}

/* Probe host:port, everything done by the absolute deadline. */
static void probe_until(const char *host, const char *port, int family,
			double deadline, struct rpc_probe_result *res)
{
	double start = mono_now();
	double budget = deadline - start;
	char err[KMS_ERRLEN], secs[32];
	int fd = -1;

	memset(res, 0, sizeof *res);
	res->ptype = -1;
	res->connect_s = res->bind_s = res->total_s = NAN;
	fmt_secs(secs, sizeof secs, budget);
	if (budget <= 0) {
		fail(res, RPC_TIMEOUT, "not probed: the %s s of -t ran out first", secs);
		res->net = NET_TIMEOUT;
		return;
	}
	enum net_failure nf = net_connect(host, port, family, deadline, &fd,
					  res->address, err);
	if (nf != NET_OK) {
		res->net = nf;
		fail(res, nf == NET_TIMEOUT ? RPC_TIMEOUT : RPC_CONNECT_FAILED, "%s", err);
		return;
	}
	double t_conn = mono_now();
	res->connect_s = t_conn - start;
	char ms[32];
	fmt_number(ms, sizeof ms, res->connect_s * 1000.0, 1);
	vlog(1, "%s: connected to %s port %s in %s ms", host, res->address, port, ms);

	unsigned char pdu[256];
	size_t plen = rpc_bind_build(pdu, sizeof pdu, PROBE_CALL_ID);
	vlog(2, "%s (%s): bind call_id %u, max_xmit_frag %u, max_recv_frag %u, "
	     "%u contexts", host, res->address, PROBE_CALL_ID, MAX_FRAG, MAX_FRAG,
	     RPC_MAX_CTX);
	for (unsigned i = 0; i < RPC_MAX_CTX && output_verbosity() >= 2; i++) {
		char offer[200];
		rpc_bind_offer_text(i, offer, sizeof offer);
		vlog(2, "%s (%s): bind offers %s", host, res->address, offer);
	}
	vlog(3, "%s: sending a %zu-byte DCE/RPC bind to %s", host, plen, res->address);
	size_t sent = 0;
	while (sent < plen) {
		ssize_t w = send(fd, pdu + sent, plen - sent, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fail(res, RPC_CLOSED, "closed the connection before answering (send: %s)",
			     strerror(errno));
			close(fd);
			return;
		}
		sent += (size_t)w;
	}

	unsigned char buf[RPC_MAX_PDU];
	size_t got = 0, need = HDR_LEN;
	bool closed = false, timed_out = false, garbage = false;
	int rerr = 0;
	while (got < need) {
		double left = deadline - mono_now();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)ceil(left * 1000.0));
		if (n < 0 && errno != EINTR) {
			rerr = errno;
			closed = true;
			break;
		}
		if (n <= 0)
			continue;
		ssize_t r = recv(fd, buf + got, need - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rerr = r < 0 ? errno : 0;
			closed = true;
			break;
		}
		got += (size_t)r;
		if (!prefix_ok(buf, got, res)) {
			garbage = true;
			break;
		}
		if (got >= HDR_LEN) {
			size_t frag = get16(buf + 8, (buf[4] & 0xf0) == 0x10);
			if (frag < HDR_LEN || frag > RPC_MAX_PDU)
				break; /* the parser names it; waiting would not help */
			need = frag;
		}
	}
	close(fd);
	double t_end = mono_now();
	res->bind_s = t_end - t_conn;
	res->total_s = t_end - start;
	if (garbage) {
		log_answer(host, res, got);
		return;
	}
	if (got == 0 && timed_out) {
		res->bind_s = res->total_s = NAN;
		fail(res, RPC_TIMEOUT, "timed out after %s s waiting for the bind answer", secs);
		return;
	}
	if (got == 0) {
		res->bind_s = res->total_s = NAN;
		if (rerr)
			fail(res, RPC_CLOSED, "closed the connection before answering (%s)",
			     strerror(rerr));
		else
			fail(res, RPC_CLOSED, "closed the connection before answering");
		return;
	}
	if (timed_out) {
		res->bind_s = res->total_s = NAN;
		fail(res, RPC_TIMEOUT,
		     "timed out after %s s in the middle of the bind answer (%zu of %zu bytes received)",
		     secs, got, need);
		return;
	}
	if (output_verbosity() >= 3) {
		char hex[2 * 64 + 1];
		size_t h = got < 64 ? got : 64;
		for (size_t i = 0; i < h; i++)
			snprintf(hex + 2 * i, 3, "%02x", buf[i]);
		vlog(3, "%s (%s): received %zu bytes: %s%s", host, res->address, got, hex,
		     got > h ? "..." : "");
	}
	enum rpc_outcome o = rpc_bind_answer_parse(buf, got, PROBE_CALL_ID, res);
	if (o == RPC_MALFORMED && closed && got < need) {
		char inner[KMS_ERRLEN];
		snprintf(inner, sizeof inner, "%s", res->detail);
		fail(res, RPC_MALFORMED, "%s, then closed the connection", inner);
	}
	log_answer(host, res, got);
}

void rpc_bind_probe(const char *host, const char *port, int family,
		    double timeout_s, struct rpc_probe_result *res)
{
	probe_until(host, port, family, mono_now() + timeout_s, res);
}

struct pool {
	const struct rpc_target *targets;
	size_t n;
	int family;
	double deadline;
	struct rpc_probe_result *res;
	atomic_size_t next;
};

/* Each worker takes the next unprobed target until none is left; all share
 * one absolute deadline, so the whole run ends by timeout_s. */
static void *worker(void *arg)
{
	struct pool *pl = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&pl->next, 1);
		if (i >= pl->n)
			return NULL;
		probe_until(pl->targets[i].host, pl->targets[i].port, pl->family,
			    pl->deadline, &pl->res[i]);
	}
}

void rpc_bind_probe_many(const struct rpc_target *targets, size_t n, int family,
			 double timeout_s, struct rpc_probe_result *res)
{
	struct pool pl = { .targets = targets, .n = n, .family = family,
			   .deadline = mono_now() + timeout_s, .res = res };
	atomic_init(&pl.next, 0);
	pthread_t th[MAX_THREADS];
	size_t want = n < MAX_THREADS ? n : MAX_THREADS, started = 0;
	/* this thread is a worker too, so n == 1 needs no thread at all */
	while (started + 1 < want &&
	       pthread_create(&th[started], NULL, worker, &pl) == 0)
		started++;
	worker(&pl);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

state_t rpc_probe_state(const struct rpc_probe_result *res, state_t timeout_state)
{
	if (res->outcome == RPC_ACCEPTED)
		return STATE_OK;
	if (res->outcome == RPC_TIMEOUT)
		return timeout_state;
	return STATE_CRITICAL;
}

void rpc_probe_describe(const struct rpc_probe_result *res, char *buf, size_t len)
{
	char ms[32];
	switch (res->outcome) {
	case RPC_ACCEPTED:
		fmt_number(ms, sizeof ms, res->total_s * 1000.0, 1);
		snprintf(buf, len, "answers KMS RPC in %s ms", ms);
		break;
	case RPC_REJECTED:
		if (res->reason == 1)
			snprintf(buf, len, "answers DCE/RPC but is not a KMS host (%s)", res->detail);
		else
			snprintf(buf, len, "answers DCE/RPC but refuses the KMS interface (%s)",
				 res->detail);
		break;
	case RPC_NAK:
		snprintf(buf, len, "answers DCE/RPC but refused the bind (%s)", res->detail);
		break;
	case RPC_FAULT:
		snprintf(buf, len, "answered with a DCE/RPC %s", res->detail);
		break;
	case RPC_WRONG_PDU:
		snprintf(buf, len, "answered %s to a bind", res->detail);
		break;
	case RPC_NOT_DCERPC:
		snprintf(buf, len, "answers but not with DCE/RPC (%s)", res->detail);
		break;
	case RPC_MALFORMED:
		snprintf(buf, len, "sent a malformed DCE/RPC answer: %s", res->detail);
		break;
	default:
		snprintf(buf, len, "%s", res->detail);
		break;
	}
}

/* Drop a trailing " (...)" group, parentheses nested inside it included. */
static void drop_paren(char *s)
{
	size_t n = strlen(s);
	int depth = 0;
	if (n == 0 || s[n - 1] != ')')
		return;
	for (size_t i = n; i-- > 0;) {
		depth += s[i] == ')' ? 1 : s[i] == '(' ? -1 : 0;
		if (depth == 0) {
			if (i > 0 && s[i - 1] == ' ')
				s[i - 1] = '\0';
			return;
		}
	}
}

void rpc_probe_headline(const struct rpc_probe_result *res, char *buf, size_t len)
{
	switch (res->outcome) {
	case RPC_MALFORMED:
		snprintf(buf, len, "sent a malformed DCE/RPC answer");
		break;
	case RPC_WRONG_PDU:
	case RPC_ACCEPTED:
		rpc_probe_describe(res, buf, len);
		break;
	default:
		rpc_probe_describe(res, buf, len);
		drop_paren(buf);
		break;
	}
}
