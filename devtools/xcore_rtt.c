/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The round trip of a cache line between two CPUs, in nanoseconds: two
 * threads pinned to CPU A and CPU B hand a counter back and forth,
 * each waiting for the other's store. What every frame of the emulated
 * device with engine=thread pays a few times over (its WQE, CQE and
 * doorbell lines move between the forwarding lcore and the engine
 * thread): on a virtual machine it depends on where the hypervisor put
 * the two virtual CPUs at the moment, and devtools/bench-all.sh prints
 * it beside those figures.
 *
 *   cc -O2 -pthread devtools/xcore_rtt.c -o xcore_rtt
 *   ./xcore_rtt [cpu_a cpu_b [round_trips]]     (default 0 1 1000000)
 *
 * Prints "<ns> ns per round trip"; exit 1 if a CPU cannot be used.
 */

#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static struct {
	uint64_t v;
	char pad[56];
} line __attribute__((aligned(64)));
static uint64_t trips = 1000000;
static int cpu_b = 1;

static int
pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

/* B: answers each odd value with the next even one. */
static void *
answer(void *arg)
{
	uint64_t i;

	(void)arg;
	pin(cpu_b); /* checked by main() first */
	for (i = 1; i <= trips; i++) {
		while (__atomic_load_n(&line.v, __ATOMIC_ACQUIRE) != 2 * i - 1)
			;
		__atomic_store_n(&line.v, 2 * i, __ATOMIC_RELEASE);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct timespec a, b;
	int cpu_a = 0;
	pthread_t t;
	uint64_t i;

	if (argc >= 3) {
		cpu_a = atoi(argv[1]);
		cpu_b = atoi(argv[2]);
	}
	if (argc >= 4)
		trips = strtoull(argv[3], NULL, 10);
	if (trips == 0 || pin(cpu_b) != 0 || pin(cpu_a) != 0) {
		fprintf(stderr, "xcore_rtt: cannot run on CPUs %d and %d\n",
			cpu_a, cpu_b);
		return 1;
	}
	if (pthread_create(&t, NULL, answer, NULL) != 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 1; i <= trips; i++) {
		__atomic_store_n(&line.v, 2 * i - 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&line.v, __ATOMIC_ACQUIRE) != 2 * i)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(t, NULL);
	printf("%.1f ns per round trip\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 +
		(double)(b.tv_nsec - a.tv_nsec)) / (double)trips);
	return 0;
}
