/* rpc_bind.h - prove a KMS host answers with a DCE/RPC bind, never with an
 * activation request.
 *
 * A bind registers no client on the host (see DESIGN.md, non-invasion): the
 * probe connects, sends one bind PDU for the KMS interface
 * 51c82175-844e-4750-b0d8-ec255555bc06 v1.0 (NDR 2.0, plus NDR64 and the
 * bind-time feature negotiation context as Windows sends them), reads one
 * bind_ack or bind_nak, and closes. The response parser trusts no length it
 * has not received and reads at most RPC_MAX_PDU bytes. */
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
	RPC_NOT_DCERPC,    /* answered, but not DCE/RPC v5 bind_ack/bind_nak */
	RPC_MALFORMED,     /* DCE/RPC but truncated or inconsistent */
	RPC_CLOSED,        /* connection closed before a whole answer */
	RPC_TIMEOUT,       /* no (whole) answer before the deadline */
	RPC_CONNECT_FAILED /* see net_failure */
};

struct rpc_probe_result {
	enum rpc_outcome outcome;
	enum net_failure net;    /* when RPC_CONNECT_FAILED */
	unsigned reason;         /* reject / nak reason code */
	char address[64];        /* numeric address that answered or was tried */
	double connect_s, bind_s, total_s; /* NAN when not reached */
	char detail[KMS_ERRLEN]; /* "connection refused", "bind rejected:
				    abstract syntax not supported", ... */
};

/* Write the bind PDU into buf (at least 256 bytes). Returns its length. */
size_t rpc_bind_build(unsigned char *buf, size_t len, uint32_t call_id);

/* Parse an answer of len received bytes. Fills outcome, reason, detail. */
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
 * not supported)", "answers but not with DCE/RPC". */
void rpc_probe_describe(const struct rpc_probe_result *res, char *buf, size_t len);

#endif
