/* net.h - TCP connect with a deadline, for the network probes. */
#ifndef KMS_NET_H
#define KMS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include "state.h"

/* Why a connect failed, so callers can word it. */
enum net_failure {
	NET_OK = 0,
	NET_RESOLVE,   /* name does not resolve */
	NET_REFUSED,   /* connection refused (every address) */
	NET_UNREACH,   /* no route / network unreachable */
	NET_TIMEOUT,   /* connect did not finish before the deadline */
	NET_OTHER,
};

/* Resolve host (family AF_UNSPEC/AF_INET/AF_INET6) and connect to each
 * address in order until one answers or the absolute deadline (mono_now()
 * seconds) passes. On success returns NET_OK, *fd is a connected blocking
 * socket and addr holds the numeric address used ("10.0.0.11", "::1").
 * On failure err says why ("connection refused", "timed out after 10 s"). */
enum net_failure net_connect(const char *host, const char *port, int family,
			     double deadline, int *fd, char addr[64],
			     char err[KMS_ERRLEN]);

#endif
