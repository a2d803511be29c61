/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Probe, devargs and removal of net_mlx4r through rte_vdev_init() and the
 * ethdev API: ports created with their names, bad devargs refused with
 * nothing left behind, every port and the device core released on
 * close/remove.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "rte_pmd_mlx4r.h"
#include "test.h"
#include "test_common.h"

static uint64_t heap_base;
static unsigned int zones_base;
static uint16_t ports_base;

static int
probe_setup(void)
{
	/*
	 * The first ethdev ever allocated creates ethdev's shared data for
	 * good; take the baseline after one probe/remove cycle.
	 */
	if (rte_vdev_init("net_mlx4r_warm", NULL) != 0)
		return TEST_FAILED;
	if (rte_vdev_uninit("net_mlx4r_warm") != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static int
case_setup(void)
{
	heap_base = test_heap_allocated();
	zones_base = test_memzone_count();
	ports_base = rte_eth_dev_count_avail();
	return TEST_SUCCESS;
}

/* After each case: no port, no byte of heap, no memzone left over. */
static int
check_clean(void)
{
	TEST_ASSERT_EQUAL(rte_eth_dev_count_avail(), ports_base,
			  "ports left behind");
	TEST_ASSERT_EQUAL_U(test_heap_allocated(), heap_base,
			    "rte_malloc bytes left behind");
	TEST_ASSERT_EQUAL(test_memzone_count(), zones_base,
			  "memzones left behind");
	return TEST_SUCCESS;
}

static int
test_probe_default(void)
{
	struct rte_pmd_mlx4r_port_info info;
	uint16_t port_id;

	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_p0", NULL), "probe");
	TEST_ASSERT_EQUAL(rte_eth_dev_count_avail(), ports_base + 1,
			  "one port by default");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_p0",
							 &port_id),
			    "port named after the vdev");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_port_info_get(port_id, &info),
			    "port info");
	TEST_ASSERT_STR_EQUAL(info.hca_name, "net_mlx4r_p0", "HCA name");
	TEST_ASSERT_EQUAL(info.port_num, 1, "first physical port");
	TEST_ASSERT_EQUAL(info.nb_ports, 1, "one-port HCA");
	TEST_ASSERT_EQUAL(info.peer_port_id, UINT16_MAX, "no peer");
	TEST_ASSERT_STR_EQUAL(info.backend, "emu", "default backend");
	/* a vdev has no node: the probing lcore's, never SOCKET_ID_ANY */
	TEST_ASSERT_EQUAL(rte_eth_dev_socket_id(port_id), (int)rte_socket_id(),
			  "port on the probing lcore's socket");
	TEST_ASSERT_EQUAL(rte_pmd_mlx4r_port_info_get(port_id, NULL), -EINVAL,
			  "NULL info");
	TEST_ASSERT_EQUAL(rte_pmd_mlx4r_port_info_get(RTE_MAX_ETHPORTS, &info),
			  -ENODEV, "invalid port");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_p0"), "remove");
	TEST_ASSERT_EQUAL(rte_pmd_mlx4r_port_info_get(port_id, &info), -ENODEV,
			  "port gone after remove");
	return check_clean();
}

static int
test_probe_two_ports(void)
{
	struct rte_pmd_mlx4r_port_info i1, i2;
	uint16_t p1, p2;

	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_p1", "ports=2"), "probe");
	TEST_ASSERT_EQUAL(rte_eth_dev_count_avail(), ports_base + 2,
			  "two ports");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_p1", &p1),
			    "first port keeps the vdev name");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_p1_port2",
							 &p2),
			    "second port is <vdev>_port2");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_port_info_get(p1, &i1), "info 1");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_port_info_get(p2, &i2), "info 2");
	TEST_ASSERT_EQUAL(i1.port_num, 1, "port 1");
	TEST_ASSERT_EQUAL(i2.port_num, 2, "port 2");
	TEST_ASSERT_EQUAL(i1.nb_ports, 2, "two-port HCA");
	TEST_ASSERT_EQUAL(i1.peer_port_id, p2, "peer of port 1");
	TEST_ASSERT_EQUAL(i2.peer_port_id, p1, "peer of port 2");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_p1"), "remove");
	TEST_ASSERT_EQUAL(rte_eth_dev_is_valid_port(p1), 0, "port 1 released");
	TEST_ASSERT_EQUAL(rte_eth_dev_is_valid_port(p2), 0, "port 2 released");
	return check_clean();
}

/* Closing ports one by one frees the device core with the last one. */
static int
test_close_then_remove(void)
{
	struct rte_pmd_mlx4r_port_info info;
	uint16_t p1, p2;

	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_p2", "ports=2"), "probe");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_p2", &p1),
			    "port 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_p2_port2",
							 &p2), "port 2");
	TEST_ASSERT_SUCCESS(rte_eth_dev_close(p1), "close port 1");
	TEST_ASSERT_EQUAL(rte_eth_dev_is_valid_port(p1), 0, "port 1 released");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_port_info_get(p2, &info),
			    "port 2 still works");
	TEST_ASSERT_EQUAL(info.peer_port_id, UINT16_MAX,
			  "closed peer is no longer reported");
	TEST_ASSERT_SUCCESS(rte_eth_dev_close(p2), "close port 2");
	/* every port closed: the remove finds nothing to close */
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_p2"), "remove");
	return check_clean();
}

/* Remove while a port is started: stopped, closed, released. */
static int
test_remove_started(void)
{
	struct rte_eth_conf conf;
	struct rte_mempool *mp;
	uint16_t p;

	mp = rte_pktmbuf_pool_create("probe_mp", 1023, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	TEST_ASSERT_NOT_NULL(mp, "mempool");
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_p3", NULL), "probe");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_p3", &p),
			    "port");
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p, 2, 2, &conf), "configure");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq 0");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p, 1, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq 1");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq 0");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p, 1, 128, SOCKET_ID_ANY,
						   NULL), "txq 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p), "start");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_p3"), "remove started");
	TEST_ASSERT_EQUAL(rte_eth_dev_is_valid_port(p), 0, "port released");
	rte_mempool_free(mp);
	return check_clean();
}

/*
 * Each bad devargs string is refused with an error that names the key and
 * the value (the part of it that is wrong), and nothing stays allocated.
 */
static int
test_bad_devargs(void)
{
	static const struct {
		const char *devargs;
		const char *error; /* in the log of the failed probe */
	} bad[] = {
		{ "bogus=1", "unknown devarg \"bogus\"" },
		{ "ports=3", "devarg ports=3:" },
		{ "ports=0", "devarg ports=0:" },
		{ "ports=-1", "devarg ports=-1:" },
		{ "ports=two", "devarg ports=two:" },
		{ "ports=", "devarg ports: a value is required" },
		{ "ports=1x", "devarg ports=1x:" },
		{ "ports=0x2", "devarg ports=0x2:" },
		{ "ports=+2", "devarg ports=+2:" },
		{ "ports=02x", "devarg ports=02x:" },
		{ "ports=1,ports=2", "devarg \"ports\" given more than once" },
		{ "backend=foo", "devarg backend=foo:" },
		{ "backend=", "devarg backend=:" },
		{ "ports=2,bogus", "unknown devarg \"bogus\"" },
		{ "wire=foo", "devarg wire=foo:" },
		{ "wire=", "devarg wire=:" },
		{ "wire3=none", "unknown devarg \"wire3\"" },
		{ "wire2=none", "devarg wire2 for a one-port HCA" },
		{ "wire=xconnect", "wire=xconnect cables port 1 to port 2" },
		{ "ports=2,wire1=xconnect", "wire=xconnect cables port 1" },
		{ "wire=tap:an_interface_name_too_long",
		  "devarg wire=tap:an_interface_name_too_long:" },
		{ "wire=tap:a/b", "devarg wire=tap:a/b: not a valid Linux" },
		{ "wire=tap:a:b", "devarg wire=tap:a:b: not a valid Linux" },
		{ "wire=tap:..", "devarg wire=tap:..: not a valid Linux" },
		{ "gen_size=10", "devarg gen_size=10:" },
		{ "gen_size=100000", "devarg gen_size=100000:" },
		{ "gen_flows=0", "devarg gen_flows=0:" },
		{ "gen_flows=5000", "devarg gen_flows=5000:" },
		{ "gen_rate=fast", "devarg gen_rate=fast:" },
		{ "gen_rate=0x10", "devarg gen_rate=0x10:" },
		{ "gen_rate=99999999999999999999",
		  "devarg gen_rate=99999999999999999999:" },
		{ "max_queues=0", "devarg max_queues=0:" },
		{ "max_queues=17", "devarg max_queues=17:" },
		{ "max_queues= 4", "devarg max_queues= 4:" },
		{ "wire=none,wire=gen", "devarg \"wire\" given more than once" },
		{ "catas_time_pct=0", "devarg catas_time_pct=0:" },
		{ "catas_time_pct=1e2", "devarg catas_time_pct=1e2:" },
		{ "engine=fast", "devarg engine=fast: expected hook or thread" },
		{ "engine=", "devarg engine=: expected hook or thread" },
		{ "engine=hook,engine=thread",
		  "devarg \"engine\" given more than once" },
		{ "engine_cpu=0", "devarg engine_cpu=0 needs engine=thread" },
		{ "engine=hook,engine_cpu=1",
		  "devarg engine_cpu=1 needs engine=thread" },
		{ "engine=thread,engine_cpu=one", "devarg engine_cpu=one:" },
		{ "engine=thread,engine_cpu=-1", "devarg engine_cpu=-1:" },
		{ "engine=thread,engine_cpu=", "devarg engine_cpu: a value" },
		{ "engine=thread,engine_cpu=1048576",
		  "devarg engine_cpu=1048576: expected a decimal integer in 0.." },
		{ "recovery=active", "devarg recovery=active:" },
		{ "recovery=", "devarg recovery=:" },
		{ "recovery_attempts=0", "devarg recovery_attempts=0:" },
		{ "recovery_attempts=-1", "devarg recovery_attempts=-1:" },
		{ "recovery_attempts=0x5", "devarg recovery_attempts=0x5:" },
		{ "recovery_attempts=101", "devarg recovery_attempts=101:" },
		{ "reset_deadline_ms= 5", "devarg reset_deadline_ms= 5:" },
		{ "reset_deadline_ms=+5", "devarg reset_deadline_ms=+5:" },
		{ "reset_deadline_ms=18446744073709551617",
		  "devarg reset_deadline_ms=18446744073709551617:" },
		{ "reinit_timeout_ms=600001", "devarg reinit_timeout_ms=600001:" },
		{ "fault=", "devarg fault=:" },
		{ "fault=fatal", "devarg fault=fatal: \"fatal\" has no @<ms>" },
		{ "fault=fatal@-5", "devarg fault=fatal@-5: time \"-5\"" },
		{ "fault=fatal@99999999999999999999",
		  "devarg fault=fatal@99999999999999999999: time \"99999999999999999999\"" },
		{ "fault=fatal@4294967296",
		  "devarg fault=fatal@4294967296: time \"4294967296\"" },
		{ "fault=fatal@86400001", "devarg fault=fatal@86400001: time" },
		{ "fault=fatal@", "devarg fault=fatal@: time \"\"" },
		{ "fault=fatal/-1@10",
		  "devarg fault=fatal/-1@10: argument \"-1\" of fatal" },
		{ "fault=fatal/@10", "devarg fault=fatal/@10: argument \"\"" },
		{ "fault=fatal/0x10@10",
		  "devarg fault=fatal/0x10@10: argument \"0x10\"" },
		{ "fault=link_flap/600001@10",
		  "devarg fault=link_flap/600001@10: argument \"600001\"" },
		{ "fault=cmd_fail/1000001@10",
		  "devarg fault=cmd_fail/1000001@10: argument \"1000001\"" },
		{ "fault=qp_error/99@10",
		  "devarg fault=qp_error/99@10: argument \"99\" of qp_error" },
		{ "max_queues=4,fault=qp_error/4@10",
		  "devarg fault: qp_error/4 names Tx queue 4, but a port has 4" },
		{ "fault=meltdown@10", "devarg fault=meltdown@10: unknown fault \"meltdown\"" },
		{ "fault=fatal@10:", "devarg fault=fatal@10:: empty element" },
		{ "fault=:fatal@10", "devarg fault=:fatal@10: empty element" },
		{ "fault=fatal@1::link_flap@2",
		  "devarg fault=fatal@1::link_flap@2: empty element" },
		{ "fault=fatal@1:fatal@2:fatal@3:fatal@4:fatal@5:fatal@6:fatal@7:fatal@8:fatal@9",
		  "more than 8 faults" },
		{ "ibdev=mlx4_0", "devarg ibdev=mlx4_0 needs backend=verbs" },
		{ "backend=verbs,wire=none",
		  "devarg wire with backend=verbs" },
		{ "backend=verbs,fault=fatal@10",
		  "devarg fault with backend=verbs" },
		{ "backend=verbs,engine=thread",
		  "devarg engine with backend=verbs" },
		{ "backend=verbs,engine_cpu=0",
		  "devarg engine_cpu with backend=verbs" },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		char *log;
		bool said;
		int ret;

		TEST_ASSERT_EQUAL(test_log_capture_start(), TEST_SUCCESS,
				  "log stream");
		ret = rte_vdev_init("net_mlx4r_bad", bad[i].devargs);
		log = test_log_capture_stop();
		said = log != NULL && strstr(log, bad[i].error) != NULL;
		if (ret >= 0 || !said)
			printf(" + log of devargs \"%s\": %s\n", bad[i].devargs,
			       log != NULL ? log : "(lost)");
		free(log);
		TEST_ASSERT(ret < 0, "devargs \"%s\" accepted (%d)",
			    bad[i].devargs, ret);
		TEST_ASSERT(said, "devargs \"%s\": the error does not say \"%s\"",
			    bad[i].devargs, bad[i].error);
		TEST_ASSERT_EQUAL(rte_eth_dev_count_avail(), ports_base,
				  "devargs \"%s\" left a port", bad[i].devargs);
		TEST_ASSERT_EQUAL_U(test_heap_allocated(), heap_base,
				    "devargs \"%s\" left memory",
				    bad[i].devargs);
		TEST_ASSERT_EQUAL(test_memzone_count(), zones_base,
				  "devargs \"%s\" left a memzone",
				  bad[i].devargs);
		/* a failed probe leaves the vdev listed: uninit it */
		rte_vdev_uninit("net_mlx4r_bad");
	}
	/* the good spellings of the same keys */
	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_good",
					  "ports=2,backend=emu"),
			    "valid devargs refused");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_good"), "remove");
	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_good",
			"ports=2,wire=gen,wire2=loopback,gen_rate=1000000,"
			"gen_size=128,gen_flows2=16,max_queues=4"),
			"valid per-port devargs refused");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_good"), "remove");
	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_good",
					  "ports=2,wire=xconnect"),
			    "xconnect refused");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_good"), "remove");
	{
		/* the main lcore's CPU: accepted, with a warning naming it */
		unsigned int main_lc = rte_get_main_lcore();
		int cpu = rte_lcore_to_cpu_id(main_lc);
		char devargs[64], want[96];
		char *log;
		int ret;

		TEST_ASSERT(cpu >= 0, "the main lcore's CPU");
		snprintf(devargs, sizeof(devargs),
			 "engine=thread,engine_cpu=%d", cpu);
		snprintf(want, sizeof(want),
			 "devarg engine_cpu=%d: lcore %u may run on CPU %d too",
			 cpu, main_lc, cpu);
		TEST_ASSERT_EQUAL(test_log_capture_start(), TEST_SUCCESS,
				  "log stream");
		ret = rte_vdev_init("net_mlx4r_good", devargs);
		log = test_log_capture_stop();
		TEST_ASSERT_SUCCESS(ret, "%s refused", devargs);
		TEST_ASSERT(log != NULL && strstr(log, want) != NULL,
			    "%s: no warning \"%s\" in: %s", devargs, want,
			    log != NULL ? log : "(lost)");
		free(log);
		TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_good"),
				    "remove");
	}
	/* the edges of the fault schedule, the queue before max_queues */
	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_good",
			"fault=qp_error/3@86400000:fatal/0@0:"
			"link_flap/600000@1:cmd_fail/1000000@86400000,"
			"max_queues=4,recovery_attempts=100,"
			"reset_deadline_ms=600000,recovery=passive"),
			"valid fault schedule refused");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_good"), "remove");
	return check_clean();
}

/* Probe twice under the same name fails and does not hurt the first. */
static int
test_duplicate_name(void)
{
	uint16_t p;

	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_dup", NULL), "probe");
	TEST_ASSERT(rte_vdev_init("net_mlx4r_dup", NULL) < 0,
		    "second vdev with the same name");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_dup", &p),
			    "first still there");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_dup"), "remove");
	return check_clean();
}

static struct unit_test_suite probe_suite = {
	.suite_name = "mlx4r probe and devargs",
	.setup = probe_setup,
	.unit_test_cases = {
		TEST_CASE_ST(case_setup, NULL, test_probe_default),
		TEST_CASE_ST(case_setup, NULL, test_probe_two_ports),
		TEST_CASE_ST(case_setup, NULL, test_close_then_remove),
		TEST_CASE_ST(case_setup, NULL, test_remove_started),
		TEST_CASE_ST(case_setup, NULL, test_bad_devargs),
		TEST_CASE_ST(case_setup, NULL, test_duplicate_name),
		TEST_CASES_END()
	}
};

static int
mlx4r_probe_autotest(void)
{
	return unit_test_suite_runner(&probe_suite);
}

REGISTER_TEST_COMMAND(mlx4r_probe_autotest, mlx4r_probe_autotest);
