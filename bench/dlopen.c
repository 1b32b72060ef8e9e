/* bench/dlopen: dlopen() each library named on the command line (RTLD_LAZY,
 * as common/fetch.c does) and exit. bench/run.py times it to show what
 * loading libcurl costs a process start, against libssl alone and nothing. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!dlopen(argv[i], RTLD_LAZY | RTLD_LOCAL)) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
	}
	return 0;
}
