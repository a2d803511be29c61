/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_TEST_COMMON_H
#define MLX4R_TEST_COMMON_H

/* Helpers shared by the driver's test suites. */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "rte_pmd_mlx4r.h"

/** Bytes allocated from every rte_malloc heap, for leak checks. */
static inline uint64_t
test_heap_allocated(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < rte_socket_count(); i++) {
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i),
						&st) == 0)
			total += st.heap_allocsz_bytes;
	}
	return total;
}

/** Number of rte_memzones in use, for leak checks. */
unsigned int test_memzone_count(void);

/**
 * Wait up to @p ms for @p port's reset machine to be in phase @p ph at
 * generation @p min_gen or later (polls every 100 us).
 * @return TEST_SUCCESS, or TEST_FAILED naming the phase and generation seen.
 */
int test_wait_phase(uint16_t port, enum rte_pmd_mlx4r_reset_phase ph,
		    uint32_t min_gen, unsigned int ms);

/**
 * Hold the emulated device @p hca (an HCA's vdev name) in its catastrophic
 * error, ERROR then GONE, while @p hold is true (mlx4r_emu_fault_catas_hold):
 * a reset started by a fatal error then waits in REINIT until released,
 * by construction. A delay (fw_reset_slow, reappear_slow) runs on the
 * control thread and a loaded machine can starve the case's thread past
 * it, so that the phase it waits for is already over. An HCA removed
 * takes its emulated device, and the hold, with it.
 * @return TEST_SUCCESS, or TEST_FAILED when @p hca has no emulated device.
 */
int test_device_hold(const char *hca, bool hold);

/**
 * Send @p n (at most 32) 64-byte frames from queue 0 of @p tx, addressed to
 * @p rx's MAC, and receive all of them on any Rx queue of @p rx (loopback or
 * xconnect wire), freeing them. Mbufs come from @p mp.
 * @return TEST_SUCCESS, or TEST_FAILED with the count sent or received.
 */
int test_traffic(struct rte_mempool *mp, uint16_t tx, uint16_t rx,
		 unsigned int n);

/**
 * Every mbuf of @p mp back and the heap at @p heap_base bytes (after an
 * HCA is removed). @return TEST_SUCCESS or TEST_FAILED.
 */
int test_nothing_leaked(struct rte_mempool *mp, uint64_t heap_base);

/**
 * Pretend an lcore is inside an Rx burst of @p port's queue 0 (@p on), or
 * has left it: the reset's quiescence waits for it (proactive mode holds
 * BARRED until the flag clears or the deadline passes).
 */
void test_stick_rxq(uint16_t port, bool on);

/*
 * Event recorder: the ethdev events of the reset's types (INTR_RESET,
 * ERR_RECOVERING, RECOVERY_SUCCESS/FAILED, INTR_RMV, INTR_LSC, DESTROY)
 * of every port, in the order the callbacks ran (the EAL interrupt
 * thread, the driver's control thread, the caller's), the first
 * TEST_EV_MAX of them.
 */
#define TEST_EV_MAX 256

struct test_ev {
	uint16_t port;
	enum rte_eth_event_type type;
};

/**
 * Register (@p on) or unregister @p cb, or the recorder's own callback
 * when NULL, for every recorded type on RTE_ETH_ALL. A callback of its
 * own calls test_ev_record() first.
 */
void test_ev_register(bool on, rte_eth_dev_cb_fn cb);
/** Forget the recorded events (no callback may be running). */
void test_ev_clear(void);
/** Record one event (from an event callback). */
void test_ev_record(uint16_t port, enum rte_eth_event_type type);
/** Number of events recorded (at most TEST_EV_MAX). */
uint32_t test_ev_n(void);
/** Event @p i (< test_ev_n()). */
struct test_ev test_ev_at(uint32_t i);
/** Events of @p type on @p port. */
unsigned int test_ev_count(uint16_t port, enum rte_eth_event_type type);
/** Index of the first event of @p type on @p port after index @p after
 * (-1: from the start), or -1. */
int test_ev_next(uint16_t port, enum rte_eth_event_type type, int after);
/**
 * Wait up to @p ms for an event of @p type on @p port (polls every
 * millisecond). @return test_ev_count() then (0: none came).
 */
unsigned int test_ev_wait(uint16_t port, enum rte_eth_event_type type,
			  unsigned int ms);

/*
 * Log capture for lines other threads write (the control thread's, the
 * device model's): rte_openlog_stream() of one stream that lives until
 * the process exits, so that a thread still inside rte_log() on it when
 * the capture ends writes to a valid FILE (an open_memstream() closed
 * at the end of a case is freed under such a thread). Outside a capture
 * the stream forwards to stderr. One capture at a time.
 */
/** Start capturing the DPDK log (the captured text starts empty). */
int test_log_capture_start(void);
/**
 * Wait up to @p ms for @p needle in the captured text (polls every
 * millisecond): a line another thread logs after the state a case
 * waited for (the control thread logs "live again" after it published
 * the phase LIVE). @return true once found.
 */
bool test_log_capture_wait(const char *needle, unsigned int ms);
/**
 * Stop capturing; the DPDK log goes where it went before the start.
 * @return the captured text (the caller frees it), or NULL if out of
 *   memory or if a line did not fit.
 */
char *test_log_capture_stop(void);

#endif /* MLX4R_TEST_COMMON_H */
