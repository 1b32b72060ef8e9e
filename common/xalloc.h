/* xalloc.h - allocation that cannot fail: out of memory ends the plugin
 * with "KMS <ASPECT> UNKNOWN - out of memory" (exit 3), written from the
 * stack with one write(2). A leaf: every layer above may use it.
 * output_set_aspect() passes the aspect down here. */
#ifndef KMS_XALLOC_H
#define KMS_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void xalloc_set_aspect(const char *aspect);
_Noreturn void xalloc_die(void);

void *xrealloc(void *p, size_t n);            /* n 0 is taken as 1 */
char *xstrdup(const char *s);
/* printf into a new string. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Make room for one more item in a growing array of elem-sized items. */
void *xgrow(void *arr, size_t *cap, size_t n, size_t elem);

#endif
