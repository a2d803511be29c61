/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Cost of membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), the asymmetric
 * fence of mlx4r's quiescence proof (doc/guides/nics/mlx4r_reset.rst),
 * next to a trivial system call, with the other CPUs idle or with one
 * thread spinning (as a polling lcore does).
 *
 *   cc -O2 -pthread devtools/membarrier_cost.c -o /tmp/membarrier_cost
 *   /tmp/membarrier_cost; /tmp/membarrier_cost busy
 */

#include <linux/membarrier.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CALLS 100000

static volatile int stop;

static void *
spin(void *arg)
{
	(void)arg;
	while (!stop)
		;
	return NULL;
}

static double
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int
main(int argc, char **argv)
{
	int busy = argc > 1;
	double t0, t1, t2;
	pthread_t th;
	int i;

	(void)argv;
	if (syscall(__NR_membarrier,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0) {
		perror("membarrier register");
		return 1;
	}
	if (busy && pthread_create(&th, NULL, spin, NULL) != 0)
		return 1;
	usleep(10000);
	t0 = now_ns();
	for (i = 0; i < CALLS; i++)
		syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	t1 = now_ns();
	for (i = 0; i < CALLS; i++)
		syscall(__NR_getppid);
	t2 = now_ns();
	printf("%s: membarrier %.3f us/call, getppid %.3f us/call\n",
	       busy ? "one spinning thread" : "idle",
	       (t1 - t0) / CALLS / 1000, (t2 - t1) / CALLS / 1000);
	stop = 1;
	if (busy)
		pthread_join(th, NULL);
	return 0;
}
