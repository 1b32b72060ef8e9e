/* state.c - owns the one order of plugin states (state.h): the rank that
 * picks the worst state, the state names, and parsing a state from text.
 * Exit code and first-line word both come from here, so they cannot drift. */
#include "state.h"

#include <strings.h>

/* CRITICAL > WARNING > UNKNOWN > OK, as monitoring-plugins' max_state(). */
int state_rank(state_t st)
{
	switch (st) {
	case STATE_OK:
		return 0;
	case STATE_UNKNOWN:
		return 1;
	case STATE_WARNING:
		return 2;
	case STATE_CRITICAL:
		return 3;
	}
	/* An out-of-range value is treated as UNKNOWN rather than trusted. */
	return 1;
}

/* The worse of a and b; on a tie a is kept (both are the same state). */
state_t state_worst(state_t a, state_t b)
{
	return state_rank(b) > state_rank(a) ? b : a;
}

/* Fixed names; an out-of-range value reads UNKNOWN, never NULL. */
const char *state_name(state_t st)
{
	switch (st) {
	case STATE_OK:
		return "OK";
	case STATE_WARNING:
		return "WARNING";
	case STATE_CRITICAL:
		return "CRITICAL";
	case STATE_UNKNOWN:
		return "UNKNOWN";
	}
	return "UNKNOWN";
}

/* Accepts the four names in any case and the digits 0..3; nothing else
 * (no surrounding spaces, no abbreviations) so a typo is reported. */
bool state_parse(const char *text, state_t *out)
{
	static const struct {
		const char *name, *digit;
		state_t st;
	} table[] = {
		{ "OK", "0", STATE_OK },
		{ "WARNING", "1", STATE_WARNING },
		{ "CRITICAL", "2", STATE_CRITICAL },
		{ "UNKNOWN", "3", STATE_UNKNOWN },
	};
	if (!text)
		return false;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcasecmp(text, table[i].name) == 0 ||
		    (text[0] == table[i].digit[0] && text[1] == '\0')) {
			if (out)
				*out = table[i].st;
			return true;
		}
	}
	return false;
}
