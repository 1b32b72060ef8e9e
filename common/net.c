/* net.c - owns TCP connection set-up for the network probes: name
 * resolution, a non-blocking connect to each address in turn under an
 * absolute deadline, and the wording of why it failed. Thread-safe (no
 * static state), so rpc_bind_probe_many() can call it from many threads. */
#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_srv.h"
#include "output.h"
#include "timeout.h"

bool net_host_valid(const char *host, char *why, size_t len)
{
	const char *reason;
	if (strchr(host, ':')) {
		/* an IPv6 literal, perhaps with a zone (fe80::1%eth0) */
		char a[INET6_ADDRSTRLEN + 1];
		struct in6_addr a6;
		const char *pct = strchr(host, '%');
		size_t n = pct ? (size_t)(pct - host) : strlen(host);
		if (host[0] == '[') {
			snprintf(why, len, "not an IPv6 address (give it without brackets)");
			return false;
		}
		if (n >= sizeof a || (pct && !pct[1])) {
			snprintf(why, len, "not an IPv6 address");
			return false;
		}
		memcpy(a, host, n);
		a[n] = '\0';
		if (inet_pton(AF_INET6, a, &a6) != 1) {
			snprintf(why, len, "not an IPv6 address");
			return false;
		}
		return true;
	}
	if (!dns_name_valid(host, &reason)) {
		snprintf(why, len, "%s", reason);
		return false;
	}
	const char *last = host;
	size_t n = strlen(host);
	if (n > 1 && host[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)host[i];
		if (c == '.') {
			last = host + i + 1;
			continue;
		}
		if (isalnum(c) || c == '-' || c == '_')
			continue;
		if (c > ' ' && c < 0x7f)
			snprintf(why, len, "character '%c' not allowed", c);
		else
			snprintf(why, len, "byte 0x%02x not allowed", c);
		return false;
	}
	/* "10.0.0.300" is no name (RFC 1123 2.1: a top label is never all
	 * digits), so an all-numeric name must be an address */
	bool numeric = true;
	for (const char *p = last; p < host + n; p++)
		numeric &= isdigit((unsigned char)*p) != 0;
	struct in_addr a4;
	if (numeric && inet_aton(host, &a4) == 0) {
		snprintf(why, len, "not an IPv4 address");
		return false;
	}
	return true;
}

/* Map a connect errno to our failure kinds; the first specific one wins
 * over a later vaguer one when several addresses fail. */
static enum net_failure classify(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return NET_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
	case ENETDOWN:
		return NET_UNREACH;
	case ETIMEDOUT:
		return NET_TIMEOUT;
	default:
		return NET_OTHER;
	}
}

static void word_failure(enum net_failure f, int err, double budget,
			 char out[KMS_ERRLEN])
{
	char num[32];

	switch (f) {
	case NET_REFUSED:
		snprintf(out, KMS_ERRLEN, "connection refused");
		break;
	case NET_UNREACH:
		snprintf(out, KMS_ERRLEN, "no route to host (%s)", strerror(err));
		break;
	case NET_TIMEOUT:
		/* whole seconds read best; sub-second budgets keep a decimal */
		fmt_number(num, sizeof num, budget, budget >= 1 ? 0 : 1);
		snprintf(out, KMS_ERRLEN, "connection timed out after %s s", num);
		break;
	default:
		snprintf(out, KMS_ERRLEN, "cannot connect: %s", strerror(err));
		break;
	}
}

/* One address: non-blocking connect, poll until it completes or until
 * deadline. Returns 0 and sets *fd, else the errno (ETIMEDOUT on deadline). */
static int connect_one(const struct addrinfo *ai, double deadline, int *fd)
{
	int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       ai->ai_protocol);
	if (s < 0)
		return errno;
	if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
		goto connected;
	if (errno != EINPROGRESS) {
		int e = errno;
		close(s);
		return e;
	}
	for (;;) {
		double left = deadline - mono_now();
		if (left <= 0) {
			close(s);
			return ETIMEDOUT;
		}
		struct pollfd p = { .fd = s, .events = POLLOUT };
		int ms = (int)ceil(left * 1000.0);
		int n = poll(&p, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(s);
			return e;
		}
		if (n == 0)
			continue; /* re-check the deadline */
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr != 0) {
			close(s);
			return soerr;
		}
		break;
	}
connected:
	/* callers poll() with their own deadline, so blocking mode is fine */
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
	*fd = s;
	return 0;
}

enum net_failure net_connect(const char *host, const char *port, int family,
			     double deadline, int *fd, char addr[64],
			     char err[KMS_ERRLEN])
{
	double budget = deadline - mono_now();
	struct addrinfo hints, *res = NULL;

	*fd = -1;
	addr[0] = '\0';
	err[0] = '\0';
	char why[64];
	if (!net_host_valid(host, why, sizeof why)) {
		snprintf(err, KMS_ERRLEN, "invalid host name \"%.64s\": %s", host, why);
		return NET_RESOLVE;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	/* no AI_ADDRCONFIG: it hides ::1 and 127.0.0.1 on hosts whose only
	 * interface is loopback, and a monitoring probe should try what it is
	 * told to try */
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		if (rc == EAI_ADDRFAMILY || rc == EAI_NODATA)
			snprintf(err, KMS_ERRLEN, "name has no %s address",
				 family == AF_INET6 ? "IPv6" :
				 family == AF_INET ? "IPv4" : "usable");
		else if (rc == EAI_SYSTEM)
			snprintf(err, KMS_ERRLEN, "name does not resolve (%s)",
				 strerror(errno));
		else
			snprintf(err, KMS_ERRLEN, "name does not resolve (%s)",
				 gai_strerror(rc));
		return NET_RESOLVE;
	}

	size_t n_addrs = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		n_addrs++;
	if (output_verbosity() >= 2) {
		char list[256] = "";
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			char num[64];
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof num,
					NULL, 0, NI_NUMERICHOST) != 0)
				snprintf(num, sizeof num, "?");
			text_append(list, sizeof list, "%s%s", list[0] ? ", " : "", num);
		}
		vlog(2, "%s resolves to %zu address%s: %s", host, n_addrs,
		     n_addrs == 1 ? "" : "es", list);
	}

	enum net_failure worst = NET_OTHER;
	int worst_errno = 0;
	bool have = false;
	size_t i = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next, i++) {
		char num[64];
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof num,
				NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(num, sizeof num, "?");
		/* each remaining address gets an equal share of what is left, so a
		 * silent first address cannot starve a working second one */
		double left = deadline - mono_now();
		double mine = mono_now() + left / (double)(n_addrs - i);
		int e = connect_one(ai, i + 1 == n_addrs ? deadline : mine, fd);
		if (e != 0)
			vlog(1, "%s: connecting to %s port %s failed: %s", host, num, port,
			     e == ETIMEDOUT ? "timed out" : strerror(e));
		if (e == 0) {
			snprintf(addr, 64, "%s", num);
			freeaddrinfo(res);
			return NET_OK;
		}
		enum net_failure f = classify(e);
		/* report the most telling failure: refused > unreachable > timeout */
		if (!have || f < worst) {
			worst = f;
			worst_errno = e;
			snprintf(addr, 64, "%s", num);
			have = true;
		}
		if (mono_now() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (!have)
		worst = NET_TIMEOUT;
	word_failure(worst, worst_errno, budget, err);
	return worst;
}
