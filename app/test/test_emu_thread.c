/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The emulated device's engine on a thread of its own
 * (mlx4r_emu_dev_conf.engine_thread, devarg engine=thread;
 * drivers/net/mlx4r/emu/mlx4r_emu_thread.c): the queues come without
 * hooks, as on hardware, and the thread sends what a doorbell announces
 * and fills the posted receive WQEs while the test, like a driver on its
 * lcore, only touches memory; it leaves alone a WQE posted with no
 * doorbell after it; a queue destroyed while the thread works on it is
 * given back first (the thread's quiescence: ASan's build of this suite
 * sees a use after free); the thread ends with its device.
 */

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_pause.h>

#include "test.h"
#include "test_emu_util.h"
#include "emu/mlx4r_emu_priv.h"

#define DEV "t_emu_thread"
/* How long a test waits for the thread before it calls it lost. */
#define WAIT_S 5

static struct temu_env env;
static struct temu_txq txq, txq2;
static struct temu_rxq rxq;
static struct mlx4r_hw_ind_table *ind;
static struct mlx4r_hw_qp *rss;
static struct mlx4r_hw_flow *flow;
static const uint8_t port_mac[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x66 };

/*
 * Threads of this process named @p comm (/proc/self/task/<tid>/comm);
 * @p tid (if not NULL): the last one's id.
 */
static unsigned int
threads_named_tid(const char *comm, pid_t *tid)
{
	char path[300], name[32];
	struct dirent *d;
	unsigned int n = 0;
	DIR *dir = opendir("/proc/self/task");
	FILE *f;

	if (dir == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 d->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(name, sizeof(name), f) != NULL) {
			name[strcspn(name, "\n")] = '\0';
			if (strcmp(name, comm) == 0) {
				n++;
				if (tid != NULL)
					*tid = (pid_t)atoi(d->d_name);
			}
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

static unsigned int
threads_named(const char *comm)
{
	return threads_named_tid(comm, NULL);
}

/* Port 1 in loopback, two 64-WR Tx queues, an Rx queue taking everything. */
static int
setup(void)
{
	struct mlx4r_emu_dev_conf conf;
	struct temu_rxq *r[1] = { &rxq };

	memset(&conf, 0, sizeof(conf));
	conf.engine_thread = true;
	if (temu_env_init(&env, DEV, &conf) != 0 ||
	    mlx4r_emu_wire_loopback(env.dev, 1) != 0 ||
	    temu_txq_create(&env, 1, 64, &txq) != 0 ||
	    temu_txq_create(&env, 1, 64, &txq2) != 0 ||
	    temu_rxq_create(&env, 256, 1, 2048, &rxq) != 0 ||
	    temu_rss_create(&env, 1, r, NULL, 0, 0, NULL, &ind, &rss) != 0 ||
	    temu_flow_kind(rss, 1, IBV_FLOW_ATTR_ALL_DEFAULT, &flow) != 0)
		return TEST_FAILED;
	temu_rxq_post(&rxq, 256);
	return TEST_SUCCESS;
}

static void
teardown(void)
{
	temu_env_fini(&env);
	free(rxq.mem);
	memset(&txq, 0, sizeof(txq));
	memset(&txq2, 0, sizeof(txq2));
	memset(&rxq, 0, sizeof(rxq));
}

/* The next CQE of @p cdv, waiting up to WAIT_S for the thread to write it. */
static bool
wait_cqe(struct mlx4dv_cq *cdv, uint32_t *ci, struct mlx4_cqe *cqe)
{
	uint64_t end = rte_get_timer_cycles() + WAIT_S * rte_get_timer_hz();

	while (!temu_cq_poll(cdv, ci, cqe)) {
		if (rte_get_timer_cycles() > end)
			return false;
		rte_pause();
	}
	return true;
}

static uint32_t
udp_frame(uint32_t off, uint16_t sport, uint32_t payload)
{
	return temu_frame_ip4(env.buf + off, port_mac, peer_mac,
			      RTE_IPV4(10, 0, 0, 1), RTE_IPV4(10, 0, 0, 2),
			      IPPROTO_UDP, sport, 4000, payload, true);
}

/* One signalled WQE of a UDP frame from @p sport, and its doorbell. */
static int
send_one(struct temu_txq *t, uint16_t sport, bool doorbell)
{
	uint32_t off = 4096u * (sport % 64), len = udp_frame(off, sport, 18);

	temu_tx_post(t, env.buf + off, len, env.mr->lkey,
		     MLX4_WQE_CTRL_CQ_UPDATE);
	if (doorbell)
		temu_tx_doorbell(t);
	return (int)len;
}

static int
good_send(struct temu_txq *t, const char *what)
{
	struct mlx4_cqe cqe;

	TEST_ASSERT(wait_cqe(&t->cdv, &t->cq_ci, &cqe),
		    "%s: no CQE within %d s", what, WAIT_S);
	TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
			  MLX4_OPCODE_SEND, "%s: a good send", what);
	temu_tx_reclaim(t);
	return TEST_SUCCESS;
}

/* No hook to call: the thread is the device, as on hardware. */
static int
test_thread_no_hooks(void)
{
	TEST_ASSERT_NULL(txq.hook.fn, "no Tx hook");
	TEST_ASSERT_NULL(rxq.hook.fn, "no Rx hook");
	TEST_ASSERT_EQUAL(threads_named("mlx4r-emu-eng"), 1,
			  "one engine thread for the device");
	return TEST_SUCCESS;
}

/*
 * 32 frames sent in one doorbell come back through the loopback wire
 * into the posted receive WQEs, byte for byte, with nothing but memory
 * touched on this side.
 */
static int
test_thread_sends_and_receives(void)
{
	struct mlx4_cqe cqe;
	uint32_t i, len[32];

	for (i = 0; i < 32; i++)
		len[i] = (uint32_t)send_one(&txq, (uint16_t)(1000 + i), false);
	temu_tx_doorbell(&txq);
	for (i = 0; i < 32; i++) {
		TEST_ASSERT(wait_cqe(&txq.cdv, &txq.cq_ci, &cqe),
			    "Tx CQE %u within %d s", i, WAIT_S);
		TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
				  MLX4_OPCODE_SEND, "Tx CQE %u: a send", i);
	}
	for (i = 0; i < 32; i++) {
		uint16_t w;
		uint32_t off = 4096u * ((1000 + i) % 64);

		TEST_ASSERT(wait_cqe(&rxq.cdv, &rxq.cq_ci, &cqe),
			    "Rx CQE %u within %d s", i, WAIT_S);
		w = rte_be_to_cpu_16(cqe.wqe_index);
		TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), len[i],
				  "frame %u: its length", i);
		TEST_ASSERT_SUCCESS(memcmp(temu_rxq_data(&rxq, w),
					   env.buf + off, len[i]),
				    "frame %u: its bytes", i);
	}
	return TEST_SUCCESS;
}

/*
 * A WQE posted without a doorbell stays unsent while the thread serves
 * the other QP's doorbells (six of them, and 20 ms), then goes with its
 * own doorbell: the card starts at the doorbell, not at the owner bit.
 */
static int
test_thread_waits_for_doorbell(void)
{
	struct mlx4r_emu_port_stats st0, st1;
	struct mlx4_cqe cqe;
	unsigned int i;

	mlx4r_emu_port_stats(env.dev, 1, &st0);
	send_one(&txq, 7, false);
	for (i = 0; i < 6; i++) {
		send_one(&txq2, (uint16_t)(100 + i), true);
		TEST_ASSERT_SUCCESS(good_send(&txq2, "the other QP"), "");
		if (i == 4)
			usleep(20000);
	}
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT(!temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
		    "no CQE for the WQE without a doorbell");
	TEST_ASSERT_EQUAL_U(st1.tx_frames - st0.tx_frames, 6,
			    "only the other QP's six frames sent");
	temu_tx_doorbell(&txq);
	return good_send(&txq, "after its doorbell");
}

/*
 * Four rings' worth through one QP, 90 WQEs at a time (as many as the
 * prefetch headroom leaves), each batch rung once: the thread's walk is
 * cut after 64 blocks (to let the other queues have their turn) and goes
 * on at the next turn without another doorbell.
 */
static int
test_thread_long_walk(void)
{
	struct mlx4_cqe cqe;
	uint32_t i, done = 0, posted = 0, n = txq.txbbs * 4;

	while (done < n) {
		while (posted < n && posted - done < 90) {
			send_one(&txq, (uint16_t)posted, false);
			posted++;
		}
		temu_tx_doorbell(&txq);
		for (; done < posted; done++)
			TEST_ASSERT(wait_cqe(&txq.cdv, &txq.cq_ci, &cqe),
				    "CQE %u of %u within %d s", done, n,
				    WAIT_S);
		temu_tx_reclaim(&txq);
		/* the frames loop back: give their receive WQEs back */
		for (i = 0; temu_cq_poll(&rxq.cdv, &rxq.cq_ci, &cqe); i++)
			;
		temu_rxq_post(&rxq, i);
	}
	return TEST_SUCCESS;
}

/*
 * QPs destroyed right after their doorbell, the thread possibly inside
 * their walk: the destroy waits for it (emu_engine_del()), and the thread
 * goes on serving the queue that stays.
 */
static int
test_thread_destroy_while_busy(void)
{
	struct temu_txq t;
	unsigned int round, i;

	for (round = 0; round < 2000; round++) {
		TEST_ASSERT_SUCCESS(temu_txq_create(&env, 1, 64, &t),
				    "QP of round %u", round);
		for (i = 0; i < 64; i++)
			send_one(&t, (uint16_t)i, false);
		temu_tx_doorbell(&t);
		/* from before the thread's turn to the middle of its walk */
		rte_delay_us_block(round % 4);
		temu_txq_destroy(&t);
	}
	send_one(&txq, 1, true);
	return good_send(&txq, "the QP that stayed");
}

/* The thread goes with its device, and a device without it has none. */
static int
test_thread_ends_with_device(void)
{
	struct mlx4r_emu_dev_conf conf;

	TEST_ASSERT_EQUAL(threads_named("mlx4r-emu-eng"), 1, "running");
	teardown();
	TEST_ASSERT_EQUAL(threads_named("mlx4r-emu-eng"), 0,
			  "gone with the device");
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(temu_env_init(&env, DEV, &conf), "hook device");
	TEST_ASSERT_SUCCESS(temu_txq_create(&env, 1, 64, &txq), "its QP");
	TEST_ASSERT_NOT_NULL(txq.hook.fn, "a hook without engine_thread");
	TEST_ASSERT_EQUAL(threads_named("mlx4r-emu-eng"), 0,
			  "no thread without engine_thread");
	return TEST_SUCCESS;
}

/*
 * engine_cpu (devarg engine_cpu): the thread is pinned to that CPU from
 * its start, here one the creating thread may not run on (the EAL pins
 * this thread to its lcore), so an inherited affinity shows; a CPU the
 * process may not use fails the first queue with -EINVAL, no thread left.
 */
static int
test_thread_pinned(void)
{
	struct mlx4r_emu_dev_conf conf;
	cpu_set_t mine, its;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int cpu;
	pid_t tid = 0;

	teardown();
	TEST_ASSERT_SUCCESS(sched_getaffinity(0, sizeof(mine), &mine),
			    "this thread's affinity");
	for (cpu = 0; cpu < (unsigned int)ncpu && CPU_ISSET(cpu, &mine); cpu++)
		;
	if (cpu == (unsigned int)ncpu)
		cpu = 0; /* every CPU is this thread's: any shows the pin */
	memset(&conf, 0, sizeof(conf));
	conf.engine_thread = true;
	conf.engine_cpu_set = true;
	conf.engine_cpu = cpu;
	TEST_ASSERT_SUCCESS(temu_env_init(&env, DEV, &conf), "pinned device");
	TEST_ASSERT_SUCCESS(temu_txq_create(&env, 1, 64, &txq), "its QP");
	TEST_ASSERT_EQUAL(threads_named_tid("mlx4r-emu-eng", &tid), 1,
			  "its engine thread");
	TEST_ASSERT_SUCCESS(sched_getaffinity(tid, sizeof(its), &its),
			    "the thread's affinity");
	TEST_ASSERT_EQUAL(CPU_COUNT(&its), 1, "one CPU, got %d",
			  CPU_COUNT(&its));
	TEST_ASSERT(CPU_ISSET(cpu, &its), "pinned to CPU %u", cpu);
	teardown();

	/* the last CPU a cpu_set_t holds: not this machine's */
	if (ncpu >= CPU_SETSIZE)
		return TEST_SUCCESS;
	conf.engine_cpu = CPU_SETSIZE - 1;
	TEST_ASSERT_SUCCESS(temu_env_init(&env, DEV, &conf), "device");
	TEST_ASSERT_FAIL(temu_txq_create(&env, 1, 64, &txq),
			 "a QP whose engine cannot run on CPU %d",
			 CPU_SETSIZE - 1);
	TEST_ASSERT_EQUAL(threads_named("mlx4r-emu-eng"), 0,
			  "no engine thread left");
	return TEST_SUCCESS;
}

static struct unit_test_suite emu_thread_suite = {
	.suite_name = "emulated ConnectX-3: the engine thread",
	.unit_test_cases = {
		TEST_CASE_ST(setup, teardown, test_thread_no_hooks),
		TEST_CASE_ST(setup, teardown, test_thread_sends_and_receives),
		TEST_CASE_ST(setup, teardown, test_thread_waits_for_doorbell),
		TEST_CASE_ST(setup, teardown, test_thread_long_walk),
		TEST_CASE_ST(setup, teardown, test_thread_destroy_while_busy),
		TEST_CASE_ST(setup, teardown, test_thread_ends_with_device),
		TEST_CASE_ST(setup, teardown, test_thread_pinned),
		TEST_CASES_END()
	},
};

static int
test_emu_thread(void)
{
	return unit_test_suite_runner(&emu_thread_suite);
}

REGISTER_TEST_COMMAND(emu_thread_autotest, test_emu_thread);
