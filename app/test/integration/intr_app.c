/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * mlx4r-intr-app: an l3fwd-power-style check of Rx interrupts on ethdev
 * port 0, with any PMD (mlx4r, Debian's net_mlx4) on a port whose wire
 * brings back what it sends (the emulated card's loopback wire):
 *   1. armed, no frame: no event in a short window;
 *   2. one frame sent: an event wakes the epoll wait; disable takes it;
 *      the frame is received;
 *   3. not re-armed: a frame raises no event;
 *   4. armed with that frame already waiting: an event at once.
 * Prints one line per step and "intr: all steps passed"; exits 0, or 1
 * naming the step that failed. "No event" is over NO_EVENT_MS, a wait for
 * an event has a generous deadline: nothing is asserted about speed.
 * Then it prints two figures, asserted nothing about: the CPU time the
 * process used while asleep for IDLE_MS (all its threads: the PMD's and
 * the device model's too), and the wake-up latency (frame sent to
 * rte_epoll_wait() returned) over NB_WAKES frames.
 *
 * With "fatal" after the EAL arguments (a PMD that recovers: mlx4r), under
 * devtools/with-emu-cx3.sh: 5. armed and asleep, a catastrophic error of
 * the card (its control socket, MLX4R_KFACE_CTL): the wait ends when the
 * queue is live again, the fd is the same, the new CQ raises the event of
 * the next frame.
 *
 *   mlx4r-intr-app <EAL arguments> [-- fatal]
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>

#define NO_EVENT_MS 100
#define EVENT_MS 5000
#define IDLE_MS 500
#define NB_WAKES 20
#define RECOVERY_MS 20000

static struct rte_mempool *mp;
static const uint16_t pid;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		printf("intr: FAILED: " __VA_ARGS__); \
		printf("\n"); \
		return -1; \
	} \
} while (0)

static int
wait_events(int ms)
{
	struct rte_epoll_event ev[4];

	return rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, 4, ms);
}

static unsigned int
rx_poll(unsigned int want, int ms)
{
	struct rte_mbuf *m[32];
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
	unsigned int got = 0, i;
	uint16_t n;

	do {
		n = rte_eth_rx_burst(pid, 0, m, 32);
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(m[i]);
		got += n;
		if (n == 0)
			rte_delay_us_sleep(1000);
	} while (got < want && rte_get_timer_cycles() < end);
	return got;
}

static int
tx_frame(void)
{
	struct rte_ether_addr own;
	struct rte_ether_hdr *eh;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	CHECK(m != NULL && rte_pktmbuf_append(m, 64) != NULL, "no mbuf");
	rte_eth_macaddr_get(pid, &own);
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eh, 0x5a, 64);
	eh->dst_addr = own;
	eh->src_addr = own;
	eh->ether_type = rte_cpu_to_be_16(0x88b5);
	CHECK(rte_eth_tx_burst(pid, 0, &m, 1) == 1, "frame not sent");
	return 0;
}

static uint64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The figures: CPU asleep, wake-up latency (nothing asserted on them). */
static int
measure(void)
{
	uint64_t cpu, lat[NB_WAKES], t0;
	unsigned int i;
	int ret;

	ret = rte_eth_dev_rx_intr_enable(pid, 0);
	CHECK(ret == 0, "measure: enable: %d", ret);
	cpu = clock_us(CLOCK_PROCESS_CPUTIME_ID);
	ret = wait_events(IDLE_MS);
	cpu = clock_us(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	CHECK(ret == 0, "measure: %d events while idle", ret);
	printf("intr: figure: %.1f ms of CPU (all threads) in %d ms asleep\n",
	       cpu / 1000.0, IDLE_MS);
	for (i = 0; i < NB_WAKES; i++) {
		t0 = clock_us(CLOCK_MONOTONIC);
		CHECK(tx_frame() == 0, "measure: send");
		ret = wait_events(EVENT_MS);
		lat[i] = clock_us(CLOCK_MONOTONIC) - t0;
		CHECK(ret == 1, "measure: %d events for frame %u", ret, i);
		CHECK(rte_eth_dev_rx_intr_disable(pid, 0) == 0,
		      "measure: disable");
		CHECK(rx_poll(1, 1000) == 1, "measure: frame %u", i);
		CHECK(rte_eth_dev_rx_intr_enable(pid, 0) == 0,
		      "measure: enable");
	}
	qsort(lat, NB_WAKES, sizeof(lat[0]), cmp_u64);
	printf("intr: figure: wake-up latency over %d frames: min %" PRIu64
	       " us, median %" PRIu64 " us, max %" PRIu64 " us\n", NB_WAKES,
	       lat[0], lat[NB_WAKES / 2], lat[NB_WAKES - 1]);
	return 0;
}

/* Ask the emulated card for a catastrophic error (mlx4r-emu-ctl.py's). */
static int
ctl_fatal(void)
{
	const char *path = getenv("MLX4R_KFACE_CTL");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char msg[] = "fatal 100";
	int s, ret;

	CHECK(path != NULL && strlen(path) < sizeof(sa.sun_path),
	      "step 5: no MLX4R_KFACE_CTL (run under with-emu-cx3.sh)");
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(s >= 0, "step 5: socket");
	ret = sendto(s, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sa,
		     sizeof(sa));
	close(s);
	CHECK(ret == (int)sizeof(msg) - 1, "step 5: control socket %s", path);
	return 0;
}

/* 5: asleep through a catastrophic error and the PMD's recovery. */
static int
across_fatal(void)
{
	int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0), ret;

	ret = rte_eth_dev_rx_intr_enable(pid, 0);
	CHECK(ret == 0, "step 5: enable: %d", ret);
	CHECK(ctl_fatal() == 0, "step 5");
	ret = wait_events(RECOVERY_MS);
	CHECK(ret == 1, "step 5: %d events through the recovery", ret);
	CHECK(rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0) == fd,
	      "step 5: another fd after the recovery");
	ret = rte_eth_dev_rx_intr_disable(pid, 0);
	CHECK(ret == -EAGAIN, "step 5: disable after the wake: %d", ret);
	rx_poll(UINT32_MAX, 200);
	ret = rte_eth_dev_rx_intr_enable(pid, 0);
	CHECK(ret == 0, "step 5: enable the new CQ: %d", ret);
	ret = wait_events(NO_EVENT_MS);
	CHECK(ret == 0, "step 5: %d events, nothing sent", ret);
	CHECK(tx_frame() == 0, "step 5");
	ret = wait_events(EVENT_MS);
	CHECK(ret == 1, "step 5: %d events for a frame on the new CQ", ret);
	ret = rte_eth_dev_rx_intr_disable(pid, 0);
	CHECK(ret == 0, "step 5: disable: %d", ret);
	CHECK(rx_poll(1, 1000) == 1, "step 5: the frame not received");
	printf("intr: step 5: asleep through a catastrophic error: woken when live, same fd, new CQ armed\n");
	return 0;
}

static int
run(bool fatal)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	unsigned int i;
	int ret;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = 1;
	CHECK(rte_eth_dev_count_avail() > 0, "no port");
	CHECK(rte_eth_dev_configure(pid, 1, 1, &conf) == 0, "configure");
	CHECK(rte_eth_rx_queue_setup(pid, 0, 256, rte_socket_id(), NULL,
				     mp) == 0, "Rx queue");
	CHECK(rte_eth_tx_queue_setup(pid, 0, 256, rte_socket_id(),
				     NULL) == 0, "Tx queue");
	CHECK(rte_eth_dev_start(pid) == 0, "start");
	/*
	 * Not promiscuous: the port's netdev beside DPDK sends what the
	 * kernel sends (IPv6 neighbour discovery, MLD: multicast), which the
	 * loopback wire brings back; only the frames to the port's MAC
	 * address, ours, are for DPDK.
	 */
	rte_eth_promiscuous_disable(pid);
	rte_eth_allmulticast_disable(pid);
	for (i = 0; i < 50; i++) {
		if (rte_eth_link_get_nowait(pid, &link) == 0 &&
		    link.link_status)
			break;
		rte_delay_us_sleep(100000);
	}
	CHECK(link.link_status, "link down");
	rx_poll(UINT32_MAX, 200); /* whatever came before */
	ret = rte_eth_dev_rx_intr_ctl_q(pid, 0, RTE_EPOLL_PER_THREAD,
					RTE_INTR_EVENT_ADD, NULL);
	CHECK(ret == 0, "rx_intr_ctl_q: %d", ret);

	ret = rte_eth_dev_rx_intr_enable(pid, 0);
	CHECK(ret == 0, "enable: %d", ret);
	ret = wait_events(NO_EVENT_MS);
	CHECK(ret == 0, "step 1: %d events while nothing arrived", ret);
	printf("intr: step 1: armed, no frame: no event in %d ms\n",
	       NO_EVENT_MS);

	CHECK(tx_frame() == 0, "step 2");
	ret = wait_events(EVENT_MS);
	CHECK(ret == 1, "step 2: %d events for a frame", ret);
	ret = rte_eth_dev_rx_intr_disable(pid, 0);
	CHECK(ret == 0, "step 2: disable: %d", ret);
	CHECK(rx_poll(1, 1000) == 1, "step 2: the frame not received");
	printf("intr: step 2: one frame: woken, event taken, frame received\n");

	CHECK(tx_frame() == 0, "step 3");
	ret = wait_events(NO_EVENT_MS);
	CHECK(ret == 0, "step 3: %d events without an arm", ret);
	printf("intr: step 3: not armed: no event for a frame\n");

	ret = rte_eth_dev_rx_intr_enable(pid, 0);
	CHECK(ret == 0, "step 4: enable: %d", ret);
	ret = wait_events(EVENT_MS);
	CHECK(ret == 1, "step 4: %d events for the frame waiting", ret);
	ret = rte_eth_dev_rx_intr_disable(pid, 0);
	CHECK(ret == 0, "step 4: disable: %d", ret);
	CHECK(rx_poll(1, 1000) == 1, "step 4: the frame not received");
	printf("intr: step 4: armed with a frame waiting: event at once\n");
	CHECK(measure() == 0, "figures");
	if (fatal)
		CHECK(across_fatal() == 0, "step 5");

	CHECK(rte_eth_dev_stop(pid) == 0, "stop");
	CHECK(rte_eth_dev_close(pid) == 0, "close");
	printf("intr: all steps passed\n");
	return 0;
}

int
main(int argc, char **argv)
{
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		printf("intr: FAILED: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	mp = rte_pktmbuf_pool_create("intr_mp", 2047, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	argc -= ret;
	argv += ret;
	ret = mp == NULL ? -1 :
	      run(argc > 1 && strcmp(argv[1], "fatal") == 0);
	rte_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
