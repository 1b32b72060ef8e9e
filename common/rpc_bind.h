/* rpc_bind.h - prove a KMS host answers with a DCE/RPC bind, never with an
 * activation request.
 *
 * A bind registers no client on the host (docs/DESIGN.md, "Non-invasion"):
 * the probe connects, sends one bind PDU for the KMS interface
 * 51c82175-844e-4750-b0d8-ec255555bc06 v1.0 (NDR 2.0, plus NDR64 and the
 * bind-time feature negotiation context as Windows sends them), reads one
 * answer PDU, and closes. The response parser trusts no length it has not
 * received and reads at most RPC_MAX_PDU bytes. Only a bind_ack that
 * accepts a KMS context with the transfer syntax offered for that context
 * is success. */
#ifndef KMS_RPC_BIND_H
#define KMS_RPC_BIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net.h"
#include "state.h"

#define RPC_MAX_PDU 4096

enum rpc_outcome {
	RPC_ACCEPTED,      /* the KMS presentation context was accepted */
	RPC_REJECTED,      /* bind_ack with the KMS context rejected (reason) */
	RPC_NAK,           /* bind_nak (reason) */
	RPC_BAD_SYNTAX,    /* bind_ack "accepting" a KMS context with a transfer
			      syntax not offered for it */
	RPC_FAULT,         /* a fault PDU (status) */
	RPC_WRONG_PDU,     /* DCE/RPC 5.0, but a PDU type no bind is answered
			      with (alter_context_resp, response, ...) */
	RPC_NOT_DCERPC,    /* answered, but not with DCE/RPC 5.0 */
	RPC_MALFORMED,     /* DCE/RPC but truncated or inconsistent */
	RPC_CLOSED,        /* connection closed before a whole answer */
	RPC_TIMEOUT,       /* no (whole) answer before the deadline */
	RPC_CONNECT_FAILED /* see net_failure */
};

/* What one presentation context result of a bind_ack said. */
struct rpc_ctx_result {
	unsigned result, reason;
	char syntax[96];         /* "NDR 8a885d04-...-08002b104860 v2.0" */
};

#define RPC_MAX_CTX 3      /* contexts the bind offers */

struct rpc_probe_result {
	enum rpc_outcome outcome;
	enum net_failure net;    /* when RPC_CONNECT_FAILED */
	unsigned reason;         /* reject / nak reason code, fault status */
	/* what the answer said, for -v; valid once a whole PDU was parsed */
	int ptype;               /* PDU type of the answer, -1 until a whole
				    PDU was parsed */
	unsigned max_xmit, max_recv; /* bind_ack's max fragment sizes */
	unsigned n_ctx;          /* context results read (at most RPC_MAX_CTX) */
	struct rpc_ctx_result ctx[RPC_MAX_CTX];
	char address[64];        /* numeric address that answered or was tried */
	double connect_s, bind_s, total_s; /* NAN when not reached */
	char detail[KMS_ERRLEN]; /* "connection refused", "bind rejected:
				    abstract syntax not supported", ... */
};

/* Write the bind PDU into buf (at least 256 bytes). Returns its length,
 * 0 when buf is too small. */
size_t rpc_bind_build(unsigned char *buf, size_t len, uint32_t call_id);

/* What the bind offers, one line per context for -vv: "context 0: KMS
 * 51c82175-...-ec255555bc06 v1.0 with NDR 8a885d04-...-08002b104860 v2.0".
 * i < RPC_MAX_CTX; false when i is out of range. */
bool rpc_bind_offer_text(unsigned i, char *buf, size_t len);

/* Parse an answer of len received bytes. Fills outcome, reason, detail, and
 * (as far as the answer got) ptype, max_xmit, max_recv, n_ctx and ctx.
 * ACCEPTED only when context 0 or 1 is accepted with exactly the transfer
 * syntax offered in that context and no KMS context is accepted with any
 * other: an acceptance with a syntax never offered, or offered for the
 * other context, is BAD_SYNTAX ("bind accepted with an unknown transfer
 * syntax ..."). A fault is FAULT with the status in reason ("fault
 * 0x1c010003 (nca_s_unk_if)"); a DCE/RPC 5.0 PDU of another type is
 * WRONG_PDU ("alter_context_resp (PDU type 15)"). */
enum rpc_outcome rpc_bind_answer_parse(const unsigned char *buf, size_t len,
				       uint32_t call_id,
				       struct rpc_probe_result *res);

/* Probe one host: connect (net_connect), bind, parse, close. Everything ends
 * by timeout_s after the call. Never sends anything but the bind. */
void rpc_bind_probe(const char *host, const char *port, int family,
		    double timeout_s, struct rpc_probe_result *res);

struct rpc_target {
	const char *host;
	const char *port;
};

/* Probe n targets in parallel (one thread each, at most 64), each within
 * timeout_s; res[i] belongs to targets[i]. */
void rpc_bind_probe_many(const struct rpc_target *targets, size_t n, int family,
			 double timeout_s, struct rpc_probe_result *res);

/* The state a probe result deserves on its own: OK when accepted, else
 * CRITICAL (a timeout gets timeout_state). */
state_t rpc_probe_state(const struct rpc_probe_result *res, state_t timeout_state);

/* One phrase for output: "answers KMS RPC in 3.2 ms", "connection refused",
 * "answers DCE/RPC but not the KMS interface (bind rejected: abstract syntax
 * not supported)", "answered with a DCE/RPC fault 0x1c010003 (nca_s_unk_if)",
 * "answered alter_context_resp (PDU type 15) to a bind", "answers but not
 * with DCE/RPC (...)". A trailing " (...)" holds detail a caller may drop
 * from a line that must stay short. */
void rpc_probe_describe(const struct rpc_probe_result *res, char *buf, size_t len);

/* The same phrase without its detail, for a line that must stay short
 * while the long output carries the whole: "answers DCE/RPC but is not a
 * KMS host", "sent a malformed DCE/RPC answer", "bind accepted with an
 * unknown transfer syntax". Equal to rpc_probe_describe() when it has no
 * detail to drop. */
void rpc_probe_headline(const struct rpc_probe_result *res, char *buf, size_t len);

#endif
