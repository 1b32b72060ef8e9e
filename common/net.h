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

/* Can host be given to a resolver at all? Yes for an IPv4 literal (any
 * form inet_aton() reads), an IPv6 literal (with an optional %zone), and a
 * name of the shape dns_name_valid() accepts whose labels hold only letters,
 * digits, '-' and '_' and whose last label is not all digits. No lookup is
 * made. false with the reason in why ("empty label", "label longer than 63
 * bytes", "longer than 253 bytes", "character '/' not allowed", "not an
 * IPv6 address", ...). */
bool net_host_valid(const char *host, char *why, size_t len);

/* Resolve host (family AF_UNSPEC/AF_INET/AF_INET6) and connect to each
 * address in order until one answers or the absolute deadline (mono_now()
 * seconds) passes. On success returns NET_OK, *fd is a connected blocking
 * socket and addr holds the numeric address used ("10.0.0.11", "::1").
 * On failure err says why ("connection refused", "timed out after 10 s");
 * a host net_host_valid() refuses is NET_RESOLVE with 'invalid host name
 * "x": why' and is never given to the resolver. */
enum net_failure net_connect(const char *host, const char *port, int family,
			     double deadline, int *fd, char addr[64],
			     char err[KMS_ERRLEN]);

#endif
