/* xalloc.c - see xalloc.h. */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char aspect_copy[64];

void xalloc_set_aspect(const char *aspect)
{
	snprintf(aspect_copy, sizeof aspect_copy, "%s", aspect ? aspect : "");
}

/* No allocation here: the line is built on the stack. */
_Noreturn void xalloc_die(void)
{
	char line[128];
	int n = snprintf(line, sizeof line, "KMS %s UNKNOWN - out of memory\n",
			 aspect_copy[0] ? aspect_copy : "PLUGIN");
	if (n < 0 || (size_t)n >= sizeof line)
		n = (int)strlen(strcpy(line, "KMS UNKNOWN - out of memory\n"));
	for (size_t off = 0; off < (size_t)n;) {
		ssize_t w = write(STDOUT_FILENO, line + off, (size_t)n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	_exit(3);
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		xalloc_die();
	return q;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		xalloc_die();
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		xalloc_die();
	return s;
}

void *xgrow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : 8;
	if (nc > ((size_t)-1) / elem)
		xalloc_die();
	*cap = nc;
	return xrealloc(arr, nc * elem);
}
