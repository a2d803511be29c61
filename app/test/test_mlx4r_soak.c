/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The soak benchmark (issue 12, Deliver 4): not a unit suite, not in CI.
 * devtools/soak.sh runs the command "mlx4r_soak" in batches (one process
 * each, so that a crash or a hang is counted, not fatal to the count) and
 * adds up the figures; see doc/guides/nics/mlx4r_reset.rst, "Soak".
 *
 * One process: one two-port HCA on loopback wires in the mode SOAK_MODE
 * (passive or proactive), the emulated device's engine SOAK_ENGINE (hook,
 * the default, or thread: devarg engine), lcore 1 forwarding on both ports at full load
 * (bursts of 32 out and in, without pause), and the main thread injecting
 * SOAK_FAULTS faults, every kind in turn: fatal; cmd_fail and cmd_timeout
 * (each with a filter change to meet it); reinit_fail, fw_reset_slow and
 * reappear_slow (each with the fatal error they shape); link_flap;
 * qp_error and lost_doorbell. After each fault, once every reset it
 * caused has ended (outcome raised; passive: both ports acknowledged and
 * set up again; FAILED: an operator's reset), the accounting identity:
 * lcore 1 off, both ports stopped, every mbuf of the pool back; then the
 * ports started again and traffic checked on both (a port that stays deaf
 * is counted). Prints one line "SOAK ..." that the script reads.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "test.h"
#include "test_common.h"

#include "mlx4r.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

#define HCA "net_mlx4r_k0"
#define HCA_PORT2 "net_mlx4r_k0_port2"
#define NB_MBUF 8191
#define NB_DESC 256
#define BURST 32
#define SETTLE_MS 30000
#define LIVE_MS 5000

static struct rte_mempool *mp;
static uint16_t port_of[2];
static struct rte_ether_addr mac_of[2];
static bool passive;

/* Events per port: announcements, outcomes, a passive reset to ack. */
static struct {
	rte_spinlock_t lock;
	uint32_t announce, outcome, bad;
	bool pending, ack_wanted;
} ev[2];

static int
soak_ev_cb(uint16_t port, enum rte_eth_event_type type, void *arg, void *r)
{
	int s = port == port_of[0] ? 0 : port == port_of[1] ? 1 : -1;

	RTE_SET_USED(arg);
	RTE_SET_USED(r);
	if (s < 0)
		return 0;
	rte_spinlock_lock(&ev[s].lock);
	switch (type) {
	case RTE_ETH_EVENT_INTR_RESET:
	case RTE_ETH_EVENT_ERR_RECOVERING:
		ev[s].bad += ev[s].pending;
		ev[s].pending = true;
		ev[s].announce++;
		if (type == RTE_ETH_EVENT_INTR_RESET)
			ev[s].ack_wanted = true;
		break;
	case RTE_ETH_EVENT_RECOVERY_SUCCESS:
	case RTE_ETH_EVENT_RECOVERY_FAILED:
		ev[s].bad += !ev[s].pending;
		ev[s].pending = false;
		ev[s].outcome++;
		break;
	default:
		break;
	}
	rte_spinlock_unlock(&ev[s].lock);
	return 0;
}

/*
 * lcore 1, under the ethdev contract: the main thread takes it off both
 * ports (run = false, then waits for idle) before a stop or a port reset.
 * Both flags seq_cst: the main thread's store of run and load of idle,
 * and the lcore's store of idle and load of run, must not be reordered
 * (Dekker), or the lcore could still be polling a port being stopped.
 */
static struct {
	bool run, idle, quit;
	uint64_t rx[2], tx[2];
} fw;

static int
fwd_lcore(void *arg)
{
	struct rte_mbuf *m[BURST];
	unsigned int s, i, k;

	RTE_SET_USED(arg);
	while (!__atomic_load_n(&fw.quit, __ATOMIC_RELAXED)) {
		__atomic_store_n(&fw.idle, false, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&fw.run, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&fw.idle, true, __ATOMIC_SEQ_CST);
			rte_pause();
			continue;
		}
		for (s = 0; s < 2; s++) {
			if (rte_pktmbuf_alloc_bulk(mp, m, BURST) == 0) {
				for (i = 0; i < BURST; i++) {
					uint8_t *p = (uint8_t *)
						rte_pktmbuf_append(m[i], 64);

					memset(p, 0, 64);
					memcpy(p, &mac_of[s], RTE_ETHER_ADDR_LEN);
					p[12] = 0x08;
					p[14] = 0x45;
					p[29] = (uint8_t)i;
				}
				k = rte_eth_tx_burst(port_of[s], 0, m, BURST);
				if (k < BURST)
					rte_pktmbuf_free_bulk(m + k, BURST - k);
				__atomic_store_n(&fw.tx[s], fw.tx[s] + k,
						 __ATOMIC_RELAXED);
			}
			k = rte_eth_rx_burst(port_of[s], 0, m, BURST);
			rte_pktmbuf_free_bulk(m, k);
			__atomic_store_n(&fw.rx[s], fw.rx[s] + k,
					 __ATOMIC_RELAXED);
		}
	}
	return 0;
}

static void
fw_pause(void)
{
	__atomic_store_n(&fw.run, false, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&fw.idle, __ATOMIC_SEQ_CST))
		rte_pause();
}

static void
fw_resume(void)
{
	__atomic_store_n(&fw.run, true, __ATOMIC_SEQ_CST);
}

/* The figures of the run. */
static struct {
	uint64_t faults, kinds[RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW + 1];
	uint64_t resets, recovered, failed, operator_resets;
	uint64_t worst_us, leaked, deaf, hangs, errors;
	uint64_t refused_calls, restart_retries;
} k;

static void __rte_format_printf(1, 2)
soak_error(const char *fmt, ...)
{
	va_list ap;

	if (k.errors++ < 10) {
		printf("SOAK-ERROR ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
}

/* Configure, set up and start @p port (one queue pair). */
static int
port_up(uint16_t port)
{
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, NB_DESC, SOCKET_ID_ANY,
					     NULL, mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, NB_DESC, SOCKET_ID_ANY,
					     NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	return ret;
}

/*
 * Until every reset ended: acknowledge a passive reset, set the ports up
 * again once the device is back, try again from FAILED. false: a hang.
 */
static bool
settle(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int i, s;

	for (i = 0; i < SETTLE_MS; i++) {
		bool done = true;

		for (s = 0; s < 2; s++) {
			bool ack;

			rte_spinlock_lock(&ev[s].lock);
			ack = ev[s].ack_wanted;
			ev[s].ack_wanted = false;
			if (ev[s].pending)
				done = false;
			rte_spinlock_unlock(&ev[s].lock);
			if (ack) {
				int ret;

				fw_pause();
				ret = rte_eth_dev_reset(port_of[s]);
				if (ret != 0 && ret != -EBUSY && ret != -EIO)
					soak_error("dev_reset: %d", ret);
			}
		}
		if (rte_pmd_mlx4r_reset_state_get(port_of[0], &st) != 0)
			return false;
		if (st.phase == RTE_PMD_MLX4R_RESET_FAILED && done) {
			/* clear what is left of the fault, then the operator */
			mlx4r_emu_fault_clear(mlx4r_emu_dev_lookup(HCA));
			k.operator_resets++;
			if (rte_pmd_mlx4r_reset(port_of[0]) != 0)
				return false;
			rte_delay_us_sleep(1000);
			continue;
		}
		if (st.phase != RTE_PMD_MLX4R_RESET_LIVE ||
		    st.started != st.succeeded + st.failed + st.cancelled)
			done = false;
		if (done) {
			for (s = 0; s < 2; s++) {
				int ret;

				if (rte_eth_devices[port_of[s]].data->dev_started)
					continue;
				ret = port_up(port_of[s]);
				if (ret == -EAGAIN || ret == -EBUSY) {
					done = false;
					continue;
				}
				if (ret != 0) {
					soak_error("port %u up: %d", port_of[s],
						   ret);
					return false;
				}
			}
		}
		if (done)
			return true;
		rte_delay_us_sleep(1000);
	}
	return false;
}

/* A filter change that meets an injected command fault. */
static void
filter_change(uint16_t port, int allowed)
{
	int ret = rte_eth_promiscuous_get(port) == 1 ?
		  rte_eth_promiscuous_disable(port) :
		  rte_eth_promiscuous_enable(port);

	if (ret != 0 && ret != allowed)
		soak_error("promiscuous: %d, not 0 or %d", ret, allowed);
	k.refused_calls += ret != 0;
}

static void
inject(uint16_t port, uint32_t kind, uint32_t arg)
{
	int ret = rte_pmd_mlx4r_inject_fault(port, kind, arg);

	if (ret == 0) {
		k.faults++;
		k.kinds[kind]++;
	} else if (ret != -EALREADY && ret != -EBUSY) {
		soak_error("inject %u: %d", kind, ret);
	}
}

static bool
traffic_both(void)
{
	uint64_t rx0[2] = { fw.rx[0], fw.rx[1] };
	unsigned int i;

	for (i = 0; i < LIVE_MS; i++) {
		if (__atomic_load_n(&fw.rx[0], __ATOMIC_RELAXED) > rx0[0] &&
		    __atomic_load_n(&fw.rx[1], __ATOMIC_RELAXED) > rx0[1])
			return true;
		rte_delay_us_sleep(1000);
	}
	return false;
}

static int
mlx4r_soak(void)
{
	static const enum rte_eth_event_type watched[] = {
		RTE_ETH_EVENT_INTR_RESET, RTE_ETH_EVENT_ERR_RECOVERING,
		RTE_ETH_EVENT_RECOVERY_SUCCESS, RTE_ETH_EVENT_RECOVERY_FAILED,
	};
	const char *mode = getenv("SOAK_MODE");
	const char *n_env = getenv("SOAK_FAULTS");
	const char *engine;
	unsigned long nb = n_env != NULL ? strtoul(n_env, NULL, 10) : 90;
	struct rte_pmd_mlx4r_reset_state st;
	uint64_t t0, started0, succeeded0, failed0;
	unsigned int lcore, i, s;
	char args[192];

	if (mode == NULL)
		mode = "proactive";
	passive = strcmp(mode, "passive") == 0;
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE) {
		printf("SOAK-ERROR needs a second lcore\n");
		return TEST_FAILED;
	}
	/* the stack handler: see test_mlx4r_stress.c, suite_setup() */
	mp = rte_pktmbuf_pool_create_by_ops("soak_mp", NB_MBUF, 0, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE,
					    SOCKET_ID_ANY, "stack");
	if (mp == NULL)
		return TEST_FAILED;
	engine = getenv("SOAK_ENGINE");
	if (engine != NULL && strcmp(engine, "hook") != 0 &&
	    strcmp(engine, "thread") != 0) {
		printf("SOAK-ERROR SOAK_ENGINE=%s: expected hook or thread\n",
		       engine);
		return TEST_FAILED;
	}
	snprintf(args, sizeof(args),
		 "ports=2,wire=loopback,recovery=%s,recovery_attempts=2,"
		 "reset_deadline_ms=200,reinit_timeout_ms=2000,"
		 "catas_time_pct=1,engine=%s", mode,
		 engine != NULL ? engine : "hook");
	if (rte_vdev_init(HCA, args) != 0 ||
	    rte_eth_dev_get_port_by_name(HCA, &port_of[0]) != 0 ||
	    rte_eth_dev_get_port_by_name(HCA_PORT2, &port_of[1]) != 0) {
		printf("SOAK-ERROR probe %s\n", args);
		return TEST_FAILED;
	}
	for (i = 0; i < RTE_DIM(watched); i++)
		rte_eth_dev_callback_register(RTE_ETH_ALL, watched[i],
					      soak_ev_cb, NULL);
	for (s = 0; s < 2; s++) {
		rte_spinlock_init(&ev[s].lock);
		rte_eth_macaddr_get(port_of[s], &mac_of[s]);
		if (port_up(port_of[s]) != 0) {
			printf("SOAK-ERROR port %u up\n", port_of[s]);
			return TEST_FAILED;
		}
	}
	fw.idle = true;
	rte_eal_remote_launch(fwd_lcore, NULL, lcore);
	fw_resume();
	t0 = rte_get_timer_cycles();
	for (i = 0; i < nb; i++) {
		uint32_t kind = i % (RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW + 1);
		uint16_t port = port_of[(i / 9) % 2];

		rte_pmd_mlx4r_reset_state_get(port, &st);
		started0 = st.started;
		succeeded0 = st.succeeded;
		failed0 = st.failed;
		switch (kind) {
		case RTE_PMD_MLX4R_FAULT_CMD_FAIL:
			inject(port, kind, 1);
			filter_change(port, -EIO);
			break;
		case RTE_PMD_MLX4R_FAULT_CMD_TIMEOUT:
			inject(port, kind, 1);
			filter_change(port, -ETIMEDOUT);
			break;
		case RTE_PMD_MLX4R_FAULT_REINIT_FAIL:
		case RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW:
		case RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW:
			/*
			 * reinit_fail: 1 (the second attempt brings the
			 * device back) or 2 (recovery_attempts=2 exhausted:
			 * FAILED, then an operator's reset).
			 */
			inject(port, kind, kind ==
			       RTE_PMD_MLX4R_FAULT_REINIT_FAIL ?
			       1 + (i / 9) % 2 : 20);
			inject(port, RTE_PMD_MLX4R_FAULT_FATAL, 0);
			break;
		case RTE_PMD_MLX4R_FAULT_LINK_FLAP:
			inject(port, kind, 5);
			break;
		case RTE_PMD_MLX4R_FAULT_QP_ERROR:
			inject(port, kind, 0);
			break;
		case RTE_PMD_MLX4R_FAULT_LOST_DOORBELL:
			inject(port, kind, 1);
			break;
		default:
			inject(port, kind, 0);
			break;
		}
		/*
		 * Let the fault be seen before looking for its end: a fatal
		 * error starts a reset once the driver hears of it (the
		 * async event); the others are given a few ms.
		 */
		rte_delay_us_sleep(kind == RTE_PMD_MLX4R_FAULT_LINK_FLAP ?
				   10000 : 2000);
		if (kind == RTE_PMD_MLX4R_FAULT_FATAL ||
		    kind == RTE_PMD_MLX4R_FAULT_REINIT_FAIL ||
		    kind == RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW ||
		    kind == RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW) {
			unsigned int w;

			for (w = 0; w < LIVE_MS; w++) {
				rte_pmd_mlx4r_reset_state_get(port, &st);
				if (st.started != started0)
					break;
				rte_delay_us_sleep(1000);
			}
			if (st.started == started0)
				soak_error("fault %u (kind %u): no reset", i,
					   kind);
		}
		if (!settle()) {
			k.hangs++;
			rte_pmd_mlx4r_reset_state_get(port, &st);
			printf("SOAK-ERROR fault %u (kind %u): no end in %u ms, phase %d\n",
			       i, kind, SETTLE_MS, st.phase);
			break;
		}
		rte_pmd_mlx4r_reset_state_get(port, &st);
		k.resets += st.started - started0;
		k.recovered += st.succeeded - succeeded0;
		k.failed += st.failed - failed0;
		if (st.started != started0 && st.worst_us > k.worst_us)
			k.worst_us = st.worst_us;
		/* the accounting identity: stopped ports hold no mbuf */
		fw_pause();
		for (s = 0; s < 2; s++)
			rte_eth_dev_stop(port_of[s]);
		if (rte_mempool_in_use_count(mp) != 0) {
			k.leaked += rte_mempool_in_use_count(mp);
			soak_error("fault %u (kind %u): %u mbufs not back", i,
				   kind, rte_mempool_in_use_count(mp));
		}
		for (s = 0; s < 2; s++) {
			int ret = port_up(port_of[s]), tries;

			/*
			 * A late fault (a queue error seen after the settle,
			 * a command fault left) may refuse the start with a
			 * documented errno: settle again, start again.
			 */
			for (tries = 0; tries < 3 && (ret == -EIO ||
			     ret == -EBUSY || ret == -EAGAIN ||
			     ret == -ETIMEDOUT); tries++) {
				k.restart_retries++;
				if (!settle())
					break;
				ret = rte_eth_devices[port_of[s]].data->dev_started ?
				      0 : port_up(port_of[s]);
			}
			if (ret != 0)
				soak_error("fault %u: port %u start: %d", i,
					   port_of[s], ret);
		}
		fw_resume();
		if (!traffic_both()) {
			k.deaf++;
			soak_error("fault %u (kind %u): no traffic after it", i,
				   kind);
		}
	}
	fw_pause();
	__atomic_store_n(&fw.quit, true, __ATOMIC_RELAXED);
	rte_eal_wait_lcore(lcore);
	for (s = 0; s < 2; s++) {
		rte_spinlock_lock(&ev[s].lock);
		if (ev[s].bad != 0 || ev[s].announce != ev[s].outcome)
			soak_error("port %u: %u announcements, %u outcomes, %u out of grammar",
				   port_of[s], ev[s].announce, ev[s].outcome,
				   ev[s].bad);
		rte_spinlock_unlock(&ev[s].lock);
		rte_eth_dev_stop(port_of[s]);
	}
	if (rte_mempool_in_use_count(mp) != 0)
		k.leaked += rte_mempool_in_use_count(mp);
	rte_vdev_uninit(HCA);
	printf("SOAK mode=%s faults=%" PRIu64 " resets=%" PRIu64
	       " recovered=%" PRIu64 " failed=%" PRIu64 " operator=%" PRIu64
	       " worst_us=%" PRIu64 " leaked=%" PRIu64 " deaf=%" PRIu64
	       " hangs=%" PRIu64 " errors=%" PRIu64 " refused=%" PRIu64
	       " retries=%" PRIu64 " seconds=%.1f kinds=", mode, k.faults, k.resets, k.recovered,
	       k.failed, k.operator_resets, k.worst_us, k.leaked, k.deaf,
	       k.hangs, k.errors, k.refused_calls, k.restart_retries,
	       (double)(rte_get_timer_cycles() - t0) / rte_get_timer_hz());
	for (i = 0; i < RTE_DIM(k.kinds); i++)
		printf("%s%" PRIu64, i ? "," : "", k.kinds[i]);
	printf(" rx=%" PRIu64 " tx=%" PRIu64 "\n", fw.rx[0] + fw.rx[1],
	       fw.tx[0] + fw.tx[1]);
	return k.hangs + k.leaked + k.deaf + k.errors == 0 ?
	       TEST_SUCCESS : TEST_FAILED;
}

REGISTER_TEST_COMMAND(mlx4r_soak, mlx4r_soak);
