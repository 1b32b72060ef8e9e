/* deadline.c - owns the client deadline rule and the at-risk classification
 * built on it (deadline.h). */
#include "deadline.h"

#include <math.h>

bool client_deadline(const struct doc_client *c, double now, double *out)
{
	switch (c->license_state) {
	case LIC_LICENSED:
		if (!isnan(c->last_success_at))
			*out = c->last_success_at + KMS_VALIDITY_S;
		else if (!isnan(c->last_request_at))
			*out = c->last_request_at + KMS_VALIDITY_S;
		else
			return false;
		return true;
	case LIC_OOB_GRACE:
	case LIC_OOT_GRACE:
	case LIC_NON_GENUINE_GRACE:
	case LIC_EXTENDED_GRACE:
		if (isnan(c->last_request_at) || c->state_expires_in_minutes == DOC_ABSENT)
			return false;
		*out = c->last_request_at + 60.0 * (double)c->state_expires_in_minutes;
		return true;
	case LIC_UNLICENSED:
	case LIC_NOTIFICATION:
		/* already lost, whenever it was last heard of */
		*out = (!isnan(c->last_request_at) && c->last_request_at < now)
			       ? c->last_request_at : now;
		return true;
	default:
		return false; /* license_state absent */
	}
}

enum client_risk client_risk(const struct doc_client *c, double now, double window_s,
			     double *deadline)
{
	double dl;
	if (!client_deadline(c, now, &dl)) {
		*deadline = NAN;
		return RISK_NO_DEADLINE;
	}
	*deadline = dl;
	if (dl <= now)
		return RISK_EXPIRED;
	return dl <= now + window_s ? RISK_EXPIRING : RISK_FINE;
}
