/* unit.h - shared runner for the Check unit tests of common/.
 * Each tests/unit/test_X.c builds a Suite and calls unit_run() from main. */
#ifndef KMS_UNIT_H
#define KMS_UNIT_H

#include <check.h>

/* Run suite s with the normal runner, print Check's summary line, and return
 * the process exit status (0 when every test passed). */
int unit_run(Suite *s);

#endif
