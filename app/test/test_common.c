/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_spinlock.h>

#include "test.h"
#include "test_common.h"

#include "mlx4r.h"
#include "emu/mlx4r_emu.h"

static void
count_zone(const struct rte_memzone *mz, void *arg)
{
	unsigned int *n = arg;

	RTE_SET_USED(mz);
	(*n)++;
}

unsigned int
test_memzone_count(void)
{
	unsigned int n = 0;

	rte_memzone_walk(count_zone, &n);
	return n;
}

int
test_wait_phase(uint16_t port, enum rte_pmd_mlx4r_reset_phase ph,
		uint32_t min_gen, unsigned int ms)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int i;

	for (i = 0; i < ms * 10; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(port, &st),
				    "state_get");
		if (st.phase == ph && st.generation >= min_gen)
			return TEST_SUCCESS;
		rte_delay_us_sleep(100);
	}
	TEST_FAIL("phase %d generation >= %u not reached in %u ms (phase %d, generation %u)",
		  ph, min_gen, ms, st.phase, st.generation);
}

int
test_device_hold(const char *hca, bool hold)
{
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(hca);

	TEST_ASSERT_NOT_NULL(emu, "no emulated device %s", hca);
	mlx4r_emu_fault_catas_hold(emu, hold);
	return TEST_SUCCESS;
}

#define TEST_TRAFFIC_MAX 32

int
test_traffic(struct rte_mempool *mp, uint16_t tx, uint16_t rx,
	     unsigned int n)
{
	struct rte_mbuf *m[TEST_TRAFFIC_MAX], *r[TEST_TRAFFIC_MAX];
	struct rte_ether_addr mac;
	unsigned int i, got = 0, tries;
	uint16_t sent;

	TEST_ASSERT(n <= TEST_TRAFFIC_MAX, "n %u > %u", n, TEST_TRAFFIC_MAX);
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(rx, &mac), "mac");
	TEST_ASSERT_SUCCESS(rte_pktmbuf_alloc_bulk(mp, m, n), "alloc");
	for (i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], 64);

		if (p == NULL) {
			rte_pktmbuf_free_bulk(m, n);
			TEST_FAIL("append");
		}
		memset(p, 0x5a, 64);
		memcpy(p, &mac, RTE_ETHER_ADDR_LEN);
	}
	sent = rte_eth_tx_burst(tx, 0, m, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	TEST_ASSERT_EQUAL(sent, n, "frames sent");
	for (tries = 0; tries < 1000 && got < n; tries++) {
		uint16_t q, k;

		for (q = 0; q < rte_eth_devices[rx].data->nb_rx_queues; q++) {
			k = rte_eth_rx_burst(rx, q, r, TEST_TRAFFIC_MAX);
			got += k;
			rte_pktmbuf_free_bulk(r, k);
		}
		rte_eth_tx_burst(tx, 0, NULL, 0); /* completions */
		rte_delay_us_sleep(50);
	}
	TEST_ASSERT_EQUAL(got, n, "frames received");
	return TEST_SUCCESS;
}

int
test_nothing_leaked(struct rte_mempool *mp, uint64_t heap_base)
{
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0,
			    "mbufs still in use after remove");
	TEST_ASSERT_EQUAL_U(test_heap_allocated(), heap_base,
			    "heap bytes leaked");
	return TEST_SUCCESS;
}

void
test_stick_rxq(uint16_t port, bool on)
{
	struct mlx4r_rxq *rxq = rte_eth_devices[port].data->rx_queues[0];

	/*
	 * Other side: the reset's quiescence (mlx4r_quiesce.c) reads
	 * in_burst after its membarrier; release keeps the case's earlier
	 * stores before the flag, as a real burst's would be.
	 */
	__atomic_store_n(&rxq->in_burst, on, __ATOMIC_RELEASE);
}

static struct test_ev test_evs[TEST_EV_MAX];
static uint32_t test_nb_evs;
static rte_spinlock_t test_ev_lock = RTE_SPINLOCK_INITIALIZER;

static const enum rte_eth_event_type test_ev_types[] = {
	RTE_ETH_EVENT_INTR_RESET,
	RTE_ETH_EVENT_ERR_RECOVERING,
	RTE_ETH_EVENT_RECOVERY_SUCCESS,
	RTE_ETH_EVENT_RECOVERY_FAILED,
	RTE_ETH_EVENT_INTR_RMV,
	RTE_ETH_EVENT_INTR_LSC,
	RTE_ETH_EVENT_DESTROY,
};

void
test_ev_record(uint16_t port, enum rte_eth_event_type type)
{
	uint32_t n;

	/*
	 * Writers: event callbacks of several threads (EAL interrupt
	 * thread, the driver's control thread, the case's own), serialised
	 * by the lock. Readers (the case's thread, test_ev_n() and the
	 * functions built on it) take no lock: the release store of the
	 * count comes after the slot's stores, and their acquire load of
	 * the count makes every slot below it visible.
	 */
	rte_spinlock_lock(&test_ev_lock);
	n = __atomic_load_n(&test_nb_evs, __ATOMIC_RELAXED);
	if (n < TEST_EV_MAX) {
		test_evs[n].port = port;
		test_evs[n].type = type;
		__atomic_store_n(&test_nb_evs, n + 1, __ATOMIC_RELEASE);
	}
	rte_spinlock_unlock(&test_ev_lock);
}

static int
test_ev_cb(uint16_t port, enum rte_eth_event_type type, void *arg,
	   void *ret)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(ret);
	test_ev_record(port, type);
	return 0;
}

void
test_ev_register(bool on, rte_eth_dev_cb_fn cb)
{
	unsigned int i;

	if (cb == NULL)
		cb = test_ev_cb;
	for (i = 0; i < RTE_DIM(test_ev_types); i++) {
		if (on)
			rte_eth_dev_callback_register(RTE_ETH_ALL,
						      test_ev_types[i], cb,
						      NULL);
		else
			rte_eth_dev_callback_unregister(RTE_ETH_ALL,
							test_ev_types[i], cb,
							NULL);
	}
}

void
test_ev_clear(void)
{
	rte_spinlock_lock(&test_ev_lock);
	__atomic_store_n(&test_nb_evs, 0, __ATOMIC_RELEASE);
	rte_spinlock_unlock(&test_ev_lock);
}

uint32_t
test_ev_n(void)
{
	return __atomic_load_n(&test_nb_evs, __ATOMIC_ACQUIRE);
}

struct test_ev
test_ev_at(uint32_t i)
{
	return test_evs[i];
}

unsigned int
test_ev_count(uint16_t port, enum rte_eth_event_type type)
{
	uint32_t i, n = test_ev_n();
	unsigned int c = 0;

	for (i = 0; i < n; i++)
		c += test_evs[i].port == port && test_evs[i].type == type;
	return c;
}

int
test_ev_next(uint16_t port, enum rte_eth_event_type type, int after)
{
	uint32_t i, n = test_ev_n();

	for (i = after + 1; i < n; i++)
		if (test_evs[i].port == port && test_evs[i].type == type)
			return i;
	return -1;
}

unsigned int
test_ev_wait(uint16_t port, enum rte_eth_event_type type, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms && test_ev_count(port, type) == 0; i++)
		rte_delay_us_sleep(1000);
	return test_ev_count(port, type);
}

/*
 * The capture's stream (test_common.h): written by whichever thread logs,
 * under glibc's lock of the FILE; the buffer under log_cap.lock, which
 * test_log_capture_wait() and _stop() on the main lcore take too.
 */
static struct {
	pthread_mutex_t lock;
	FILE *stream;		/* created once, never closed */
	bool on;		/* capturing */
	bool lost;		/* a line did not fit (out of memory) */
	char *text;
	size_t len, size;
} log_cap = { .lock = PTHREAD_MUTEX_INITIALIZER };

static ssize_t
log_cap_write(void *cookie, const char *buf, size_t size)
{
	size_t need;
	char *p;

	RTE_SET_USED(cookie);
	pthread_mutex_lock(&log_cap.lock);
	if (!log_cap.on) {
		pthread_mutex_unlock(&log_cap.lock);
		return fwrite(buf, 1, size, stderr);
	}
	need = log_cap.len + size + 1;
	if (need > log_cap.size) {
		p = realloc(log_cap.text, RTE_MAX(need, 2 * log_cap.size));
		if (p == NULL) {
			log_cap.lost = true;
			pthread_mutex_unlock(&log_cap.lock);
			return size;
		}
		log_cap.text = p;
		log_cap.size = RTE_MAX(need, 2 * log_cap.size);
	}
	memcpy(log_cap.text + log_cap.len, buf, size);
	log_cap.len += size;
	log_cap.text[log_cap.len] = '\0';
	pthread_mutex_unlock(&log_cap.lock);
	return size;
}

int
test_log_capture_start(void)
{
	cookie_io_functions_t io = { .write = log_cap_write };

	if (log_cap.stream == NULL) {
		log_cap.stream = fopencookie(NULL, "w", io);
		if (log_cap.stream == NULL)
			return TEST_FAILED;
		/* each write at once: nothing left in a buffer at the stop */
		setvbuf(log_cap.stream, NULL, _IONBF, 0);
	}
	pthread_mutex_lock(&log_cap.lock);
	free(log_cap.text);
	log_cap.text = NULL;
	log_cap.len = log_cap.size = 0;
	log_cap.lost = false;
	log_cap.on = true;
	pthread_mutex_unlock(&log_cap.lock);
	rte_openlog_stream(log_cap.stream);
	return TEST_SUCCESS;
}

bool
test_log_capture_wait(const char *needle, unsigned int ms)
{
	unsigned int i;
	bool found;

	for (i = 0;; i++) {
		pthread_mutex_lock(&log_cap.lock);
		found = log_cap.text != NULL && strstr(log_cap.text, needle);
		pthread_mutex_unlock(&log_cap.lock);
		if (found || i >= ms)
			return found;
		rte_delay_us_sleep(1000);
	}
}

char *
test_log_capture_stop(void)
{
	char *text;

	rte_openlog_stream(NULL);
	pthread_mutex_lock(&log_cap.lock);
	log_cap.on = false;
	if (log_cap.lost) {
		free(log_cap.text);
		text = NULL;
	} else {
		text = log_cap.text != NULL ? log_cap.text : strdup("");
	}
	log_cap.text = NULL;
	log_cap.len = log_cap.size = 0;
	pthread_mutex_unlock(&log_cap.lock);
	return text;
}
