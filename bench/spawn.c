/* bench/spawn: run a command and report its own cost, for bench/run.py.
 *
 *   spawn FD COMMAND [ARG...]
 *
 * Runs COMMAND (stdin/stdout/stderr inherited), waits for it with wait4()
 * and writes one line to file descriptor FD:
 *   "<exit code> <wall ns> <user us> <sys us> <maxrss KiB>\n"
 *
 * Why not measure from Python directly: Linux keeps a process's peak RSS
 * across execve(), so a child forked (or vforked) from the ~30 MiB Python
 * interpreter reports at least 30 MiB whatever it runs. This launcher is
 * small (linked statically when the toolchain allows), so the peak RSS it
 * sees is the command's own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: spawn FD COMMAND [ARG...]\n");
		return 125;
	}
	int fd = atoi(argv[1]);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		perror("spawn: result fd");
		return 125;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = vfork();
	if (pid < 0) {
		perror("spawn: vfork");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("spawn: wait4");
			return 125;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	long long wall = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	dprintf(fd, "%d %lld %lld %lld %ld\n", code, wall,
		(long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec, ru.ru_maxrss);
	return 0;
}
