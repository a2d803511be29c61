/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Recovery-time benchmark (prints figures, asserts only that every reset
 * ended and no mbuf went missing): an emulated HCA with two ports cabled
 * to the generator + checker, Q Rx and Q Tx queues of D descriptors per
 * port, one forwarding lcore polling every queue (Rx of one port out of
 * the other), and N operator resets (rte_pmd_mlx4r_reset()) per
 * configuration and mode:
 *
 * - proactive: the driver's own duration of each reset (last_us, from the
 *   request to LIVE: bar, quiescence, drain, device reset, re-open,
 *   replay, restart) and the application's view (request to
 *   RECOVERY_SUCCESS); the lcore keeps polling throughout;
 * - passive: as an application does it: on INTR_RESET of both ports the
 *   control thread stops its lcore's polling, calls rte_eth_dev_reset()
 *   on each port (the acknowledgement), waits for RECOVERY_SUCCESS, sets
 *   the queues up again and starts the ports. Printed: the driver's
 *   duration (last_us) and the gap from INTR_RESET to both ports started.
 *
 * Also printed: the driver's duration less its wait for quiescence (the
 * lcore out of its burst: last_quiesce_us), that is its own work and the
 * device's, and what the device's control thread ("mlx4r-rst-*") spent
 * per reset, from its /proc schedstat: time on a CPU (the work) and time
 * runnable but waiting for one (the machine's load), so that a figure
 * taken on a busy machine says which of the two made it.
 *
 * After each configuration the ports are stopped and the pool must be
 * back to what it was before the start (mbufs lost: 0).
 *
 *   mlx4r-reset-bench [EAL args] -- [--resets N] [--mode proactive|passive|both]
 *                                   [--config QxD[,QxD...]]
 */

#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "rte_pmd_mlx4r.h"

#define RB_HCA "net_mlx4r_rb"
#define RB_MAX_CONFIGS 8
#define RB_MAX_RESETS 1000
#define RB_BURST 32

struct rb_config {
	uint16_t queues;
	uint16_t desc;
};

/* The forwarding lcore and the control thread (main lcore). */
static struct {
	uint16_t port[2];
	uint16_t queues;
	/*
	 * run: main -> lcore, relaxed (a request to leave the loop);
	 * pause: main -> lcore, release/acquire; paused: lcore -> main,
	 * release/acquire: main sees paused = 1 only after the lcore's last
	 * burst returned, so the queues it releases then are not in use.
	 */
	int run;
	int pause;
	int paused;
	uint64_t fwd;
} rb;

/* Counted by the event callback (driver's control thread), read by main. */
static struct {
	uint32_t resets[2];      /* INTR_RESET per port */
	uint32_t successes[2];   /* RECOVERY_SUCCESS per port */
	uint32_t failures;       /* RECOVERY_FAILED, any port */
	uint64_t announced_tsc;  /* INTR_RESET of the first port */
	uint64_t success_tsc[2]; /* the latest RECOVERY_SUCCESS per port */
} rb_ev;

static int
rb_event_cb(uint16_t port, enum rte_eth_event_type ev, void *arg, void *ret)
{
	unsigned int i = port == rb.port[0] ? 0 : 1;

	RTE_SET_USED(arg);
	RTE_SET_USED(ret);
	/* release: main's acquire load of the count sees the timestamp */
	switch (ev) {
	case RTE_ETH_EVENT_INTR_RESET:
		if (__atomic_load_n(&rb_ev.resets[0], __ATOMIC_RELAXED) ==
		    __atomic_load_n(&rb_ev.resets[1], __ATOMIC_RELAXED))
			rb_ev.announced_tsc = rte_rdtsc();
		__atomic_fetch_add(&rb_ev.resets[i], 1, __ATOMIC_RELEASE);
		break;
	case RTE_ETH_EVENT_RECOVERY_SUCCESS:
		/* taken here, not when main next looks: main's poll interval
		 * does not enter the figure */
		rb_ev.success_tsc[i] = rte_rdtsc();
		__atomic_fetch_add(&rb_ev.successes[i], 1, __ATOMIC_RELEASE);
		break;
	case RTE_ETH_EVENT_RECOVERY_FAILED:
		__atomic_fetch_add(&rb_ev.failures, 1, __ATOMIC_RELEASE);
		break;
	default:
		break;
	}
	return 0;
}

static int
rb_lcore(void *arg)
{
	struct rte_mbuf *pkts[RB_BURST];

	RTE_SET_USED(arg);
	while (__atomic_load_n(&rb.run, __ATOMIC_RELAXED)) {
		uint16_t p, q, n, k;

		if (__atomic_load_n(&rb.pause, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&rb.paused, 1, __ATOMIC_RELEASE);
			while (__atomic_load_n(&rb.pause, __ATOMIC_ACQUIRE) &&
			       __atomic_load_n(&rb.run, __ATOMIC_RELAXED))
				rte_pause();
			__atomic_store_n(&rb.paused, 0, __ATOMIC_RELEASE);
			continue;
		}
		for (p = 0; p < 2; p++)
			for (q = 0; q < rb.queues; q++) {
				n = rte_eth_rx_burst(rb.port[p], q, pkts,
						     RB_BURST);
				if (n == 0)
					continue;
				k = rte_eth_tx_burst(rb.port[!p], q, pkts, n);
				if (k < n)
					rte_pktmbuf_free_bulk(pkts + k, n - k);
				rb.fwd += k;
			}
	}
	return 0;
}

static void
rb_pause(void)
{
	__atomic_store_n(&rb.pause, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rb.paused, __ATOMIC_ACQUIRE))
		rte_pause();
}

static void
rb_resume(void)
{
	__atomic_store_n(&rb.pause, 0, __ATOMIC_RELEASE);
	while (__atomic_load_n(&rb.paused, __ATOMIC_ACQUIRE))
		rte_pause();
}

static int
rb_port_setup(uint16_t port, const struct rb_config *c,
	      struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	memset(&conf, 0, sizeof(conf));
	if (c->queues > 1)
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	ret = rte_eth_dev_configure(port, c->queues, c->queues, &conf);
	for (q = 0; ret == 0 && q < c->queues; q++)
		ret = rte_eth_rx_queue_setup(port, q, c->desc, SOCKET_ID_ANY,
					     NULL, mp);
	for (q = 0; ret == 0 && q < c->queues; q++)
		ret = rte_eth_tx_queue_setup(port, q, c->desc, SOCKET_ID_ANY,
					     NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	return ret;
}

/* The thread id of the device's control thread, 0 if not found. */
static long
rb_ctl_tid(void)
{
	struct dirent *d;
	long tid = 0;
	DIR *dir = opendir("/proc/self/task");

	if (dir == NULL)
		return 0;
	while (tid == 0 && (d = readdir(dir)) != NULL) {
		char path[300], comm[32] = "";
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 d->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL &&
		    strncmp(comm, "mlx4r-rst", 9) == 0)
			tid = atol(d->d_name);
		fclose(f);
	}
	closedir(dir);
	return tid;
}

/* Context switches of thread @p tid (voluntary + involuntary). */
static uint64_t
rb_switches(long tid)
{
	char path[64], line[128];
	uint64_t n = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", tid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *c = strstr(line, "ctxt_switches:");

		if (c != NULL &&
		    sscanf(c, "ctxt_switches: %" SCNu64, &v) == 1)
			n += v;
	}
	fclose(f);
	return n;
}

/*
 * ns on a CPU and ns runnable waiting for one, of thread @p tid, and
 * its context switches in *sw.
 */
static void
rb_schedstat(long tid, uint64_t *run, uint64_t *wait, uint64_t *sw)
{
	char path[64];
	FILE *f;

	*run = *wait = *sw = 0;
	if (tid == 0)
		return;
	*sw = rb_switches(tid);
	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat", tid);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fscanf(f, "%" SCNu64 " %" SCNu64, run, wait) != 2)
		*run = *wait = 0;
	fclose(f);
}

static int
rb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
rb_print(const char *what, double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), rb_cmp);
	printf("    %-30s median %9.3f  p90 %9.3f  max %9.3f ms\n", what,
	       v[n / 2], v[(n * 9) / 10], v[n - 1]);
}

/*
 * Wait until *cnt reaches want, looking every poll_us; false after 30 s.
 * The driver's reset thread ("mlx4r-rst-*") is a control thread on the
 * main lcore's CPU, so main's every wake-up is a context switch taken out
 * of the reset's time: at 16 x 4096 a 20 us poll cost it about 100
 * switches and 1.8 ms of waiting for its CPU per reset. Where only the
 * end matters (proactive: the callback stamps RECOVERY_SUCCESS itself),
 * main looks every millisecond, as an application that is not spinning
 * on the reset would; the passive path, where main's reaction is part of
 * what is measured, keeps a short interval.
 */
static bool
rb_wait(uint32_t *cnt, uint32_t want, unsigned int poll_us)
{
	uint64_t end = rte_rdtsc() + 30 * rte_get_tsc_hz();

	while (__atomic_load_n(cnt, __ATOMIC_ACQUIRE) < want) {
		if (rte_rdtsc() > end ||
		    __atomic_load_n(&rb_ev.failures, __ATOMIC_ACQUIRE))
			return false;
		rte_delay_us_sleep(poll_us);
	}
	return true;
}

static int
rb_run(const struct rb_config *c, bool proactive, unsigned int resets)
{
	static const enum rte_eth_event_type evs[] = {
		RTE_ETH_EVENT_INTR_RESET, RTE_ETH_EVENT_RECOVERY_SUCCESS,
		RTE_ETH_EVENT_RECOVERY_FAILED,
	};
	double drv[RB_MAX_RESETS], app[RB_MAX_RESETS];
	double cpu[RB_MAX_RESETS], rq[RB_MAX_RESETS], csw[RB_MAX_RESETS];
	double own[RB_MAX_RESETS];
	uint64_t run0, wait0, run1, wait1, sw0, sw1;
	long tid;
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int nb_mbuf = 2 * 2 * c->queues * c->desc + 8192;
	struct rte_mempool *mp;
	char args[128];
	unsigned int i, e, p, base;
	uint32_t lcore = rte_get_next_lcore(-1, 1, 0);
	int ret = -1;

	mp = rte_pktmbuf_pool_create("rb_mp", nb_mbuf, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	if (mp == NULL) {
		printf("  %ux%u: no pool of %u mbufs (more -m?)\n", c->queues,
		       c->desc, nb_mbuf);
		return -1;
	}
	snprintf(args, sizeof(args),
		 "ports=2,recovery=%s,max_queues=16,reset_deadline_ms=2000",
		 proactive ? "proactive" : "passive");
	if (rte_vdev_init(RB_HCA, args) != 0 ||
	    rte_eth_dev_get_port_by_name(RB_HCA, &rb.port[0]) != 0 ||
	    rte_eth_dev_get_port_by_name(RB_HCA "_port2", &rb.port[1]) != 0) {
		printf("  cannot probe %s,%s\n", RB_HCA, args);
		goto out_pool;
	}
	memset(&rb_ev, 0, sizeof(rb_ev));
	tid = rb_ctl_tid();
	for (p = 0; p < 2; p++)
		for (e = 0; e < RTE_DIM(evs); e++)
			rte_eth_dev_callback_register(rb.port[p], evs[e],
						      rb_event_cb, NULL);
	base = rte_mempool_in_use_count(mp);
	for (p = 0; p < 2; p++)
		if (rb_port_setup(rb.port[p], c, mp) != 0) {
			printf("  %ux%u: port set-up failed\n", c->queues,
			       c->desc);
			goto out_dev;
		}
	rb.queues = c->queues;
	rb.fwd = 0;
	__atomic_store_n(&rb.run, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&rb.pause, 0, __ATOMIC_RELAXED);
	if (lcore >= RTE_MAX_LCORE ||
	    rte_eal_remote_launch(rb_lcore, NULL, lcore) != 0) {
		printf("  needs a second lcore (-l 0-1)\n");
		goto out_dev;
	}
	rte_delay_ms(100); /* traffic flowing */
	for (i = 0; i < resets; i++) {
		uint64_t t0 = rte_rdtsc(), t1;

		rb_schedstat(tid, &run0, &wait0, &sw0);
		if (rte_pmd_mlx4r_reset(rb.port[0]) != 0)
			break;
		if (proactive) {
			if (!rb_wait(&rb_ev.successes[0], i + 1, 1000) ||
			    !rb_wait(&rb_ev.successes[1], i + 1, 1000))
				break;
			/* acquire of both counts above: both stamps visible */
			t1 = RTE_MAX(rb_ev.success_tsc[0], rb_ev.success_tsc[1]);
			app[i] = (double)(t1 - t0) * 1e3 / rte_get_tsc_hz();
		} else {
			/* both ports announced, then the application's part */
			if (!rb_wait(&rb_ev.resets[0], i + 1, 20) ||
			    !rb_wait(&rb_ev.resets[1], i + 1, 20))
				break;
			t0 = rb_ev.announced_tsc;
			rb_pause();
			for (p = 0; p < 2; p++)
				if (rte_eth_dev_reset(rb.port[p]) != 0)
					break;
			if (p < 2 || !rb_wait(&rb_ev.successes[0], i + 1, 20) ||
			    !rb_wait(&rb_ev.successes[1], i + 1, 20))
				break;
			for (p = 0; p < 2; p++)
				if (rb_port_setup(rb.port[p], c, mp) != 0)
					break;
			if (p < 2)
				break;
			t1 = rte_rdtsc();
			rb_resume();
			app[i] = (double)(t1 - t0) * 1e3 / rte_get_tsc_hz();
		}
		if (rte_pmd_mlx4r_reset_state_get(rb.port[0], &st) != 0)
			break;
		drv[i] = st.last_us / 1e3;
		own[i] = (st.last_us - RTE_MIN(st.last_quiesce_us, st.last_us)) /
			 1e3;
		rb_schedstat(tid, &run1, &wait1, &sw1);
		cpu[i] = (run1 - run0) / 1e6;
		rq[i] = (wait1 - wait0) / 1e6;
		csw[i] = (double)(sw1 - sw0);
		rte_delay_ms(5); /* traffic again between two resets */
	}
	__atomic_store_n(&rb.run, 0, __ATOMIC_RELAXED);
	rte_eal_wait_lcore(lcore);
	if (i < resets) {
		printf("  %ux%u %s: reset %u did not end (failures %u)\n",
		       c->queues, c->desc, proactive ? "proactive" : "passive",
		       i + 1, rb_ev.failures);
		goto out_dev;
	}
	printf("  %2u queues x %4u descriptors, 2 ports, %s, %u resets, %" PRIu64 " frames forwarded:\n",
	       c->queues, c->desc, proactive ? "proactive" : "passive",
	       resets, rb.fwd);
	rb_print("driver (request to LIVE)", drv, resets);
	rb_print(proactive ? "application (to RECOVERY_SUCCESS)" :
		 "application (INTR_RESET to started)", app, resets);
	rb_print("driver after quiescence", own, resets);
	if (tid != 0) {
		rb_print("control thread on a CPU", cpu, resets);
		rb_print("control thread waiting for one", rq, resets);
		qsort(csw, resets, sizeof(*csw), rb_cmp);
		printf("    %-30s median %9.0f  p90 %9.0f  max %9.0f\n",
		       "control thread switches", csw[resets / 2],
		       csw[(resets * 9) / 10], csw[resets - 1]);
	}
	for (p = 0; p < 2; p++)
		rte_eth_dev_stop(rb.port[p]);
	printf("    mbufs lost: %d\n",
	       (int)rte_mempool_in_use_count(mp) - (int)base);
	ret = 0;
out_dev:
	__atomic_store_n(&rb.run, 0, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	for (p = 0; p < 2; p++)
		for (e = 0; e < RTE_DIM(evs); e++)
			rte_eth_dev_callback_unregister(rb.port[p], evs[e],
							rb_event_cb, NULL);
	rte_vdev_uninit(RB_HCA);
out_pool:
	rte_mempool_free(mp);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "resets", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct rb_config cfg[RB_MAX_CONFIGS] = {
		{ 1, 512 }, { 4, 512 }, { 16, 512 }, { 16, 4096 },
	};
	unsigned int nb_cfg = 4, resets = 20, i;
	const char *mode = "both";
	int ret, opt, fails = 0;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *s, *tok, *save = NULL;

		switch (opt) {
		case 'n':
			resets = atoi(optarg);
			break;
		case 'm':
			mode = optarg;
			break;
		case 'c':
			nb_cfg = 0;
			s = strdup(optarg);
			for (tok = strtok_r(s, ",", &save);
			     tok != NULL && nb_cfg < RB_MAX_CONFIGS;
			     tok = strtok_r(NULL, ",", &save)) {
				unsigned int q, d;

				if (sscanf(tok, "%ux%u", &q, &d) != 2 ||
				    q == 0 || q > 16 || d == 0)
					rte_exit(EXIT_FAILURE,
						 "--config: bad QxD '%s'\n",
						 tok);
				cfg[nb_cfg].queues = q;
				cfg[nb_cfg++].desc = d;
			}
			free(s);
			break;
		default:
			rte_exit(EXIT_FAILURE, "bad option\n");
		}
	}
	if (resets == 0 || resets > RB_MAX_RESETS)
		rte_exit(EXIT_FAILURE, "--resets: 1 to %u\n", RB_MAX_RESETS);
	if (strcmp(mode, "proactive") != 0 && strcmp(mode, "passive") != 0 &&
	    strcmp(mode, "both") != 0)
		rte_exit(EXIT_FAILURE, "--mode: proactive, passive or both\n");
	printf("recovery time, operator resets under load (one forwarding lcore)\n");
	for (i = 0; i < nb_cfg; i++) {
		if (strcmp(mode, "passive") != 0)
			fails += rb_run(&cfg[i], true, resets) != 0;
		if (strcmp(mode, "proactive") != 0)
			fails += rb_run(&cfg[i], false, resets) != 0;
	}
	rte_eal_cleanup();
	return fails ? EXIT_FAILURE : 0;
}
