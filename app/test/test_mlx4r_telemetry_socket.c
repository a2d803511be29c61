/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The driver's telemetry commands through EAL's own telemetry socket, as
 * dpdk-telemetry.py talks to it: the answers of working commands, and a
 * readable error ({"result": <negative errno>, "error": "..."}), not
 * {"<cmd>": null}, for every command that fails.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "test.h"

#define HCA "net_mlx4r_t0"

static uint16_t p1;

/*
 * One command over a new connection to the v2 socket
 * (lib/telemetry/telemetry.c: SOCK_SEQPACKET at
 * <runtime dir>/dpdk_telemetry.v2; a first message says hello).
 */
static int
tel_cmd(const char *cmd, char *out, size_t len)
{
	struct sockaddr_un sun;
	ssize_t n;
	int s;

	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (s < 0)
		return -errno;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    read(s, out, len - 1) <= 0 ||
	    write(s, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		n = -errno;
		close(s);
		return n != 0 ? n : -EIO;
	}
	n = read(s, out, len - 1);
	close(s);
	if (n <= 0)
		return -EIO;
	out[n] = '\0';
	return 0;
}

static int
tel_setup(void)
{
	char out[256];

	if (tel_cmd("/info", out, sizeof(out)) != 0) {
		printf("no telemetry socket (EAL --no-telemetry?)\n");
		return TEST_SKIPPED;
	}
	if (rte_vdev_init(HCA, "wire=loopback") != 0 ||
	    rte_eth_dev_get_port_by_name(HCA, &p1) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
tel_teardown(void)
{
	rte_vdev_uninit(HCA);
}

static int
test_tel_answers(void)
{
	char cmd[64], out[2048];

	snprintf(cmd, sizeof(cmd), "/mlx4r/state,%u", p1);
	TEST_ASSERT_SUCCESS(tel_cmd(cmd, out, sizeof(out)), "%s", cmd);
	TEST_ASSERT(strstr(out, "\"state\":\"live\"") != NULL &&
		    strstr(out, "\"generation\":1") != NULL,
		    "%s: live, generation 1: %s", cmd, out);
	snprintf(cmd, sizeof(cmd), "/mlx4r/history,%u", p1);
	TEST_ASSERT_SUCCESS(tel_cmd(cmd, out, sizeof(out)), "%s", cmd);
	TEST_ASSERT(strstr(out, "null") == NULL && strstr(out, "error") == NULL,
		    "%s: an empty history: %s", cmd, out);
	/* a stopped port: the call's own refusal, with its reason */
	snprintf(cmd, sizeof(cmd), "/mlx4r/inject,%u,qp_error,0", p1);
	TEST_ASSERT_SUCCESS(tel_cmd(cmd, out, sizeof(out)), "%s", cmd);
	TEST_ASSERT(strstr(out, "\"fault\":\"qp_error\"") != NULL &&
		    strstr(out, "\"result\":-") != NULL &&
		    strstr(out, "\"error\":\"") != NULL,
		    "%s: refused, saying why: %s", cmd, out);
	return TEST_SUCCESS;
}

/* Every failing command answers an error dict naming what is wrong. */
static int
test_tel_errors(void)
{
	static const struct {
		const char *fmt;   /* %u: the port, or no port (none) */
		const char *error; /* in the answer */
		bool none;
	} bad[] = {
		{ "/mlx4r/state", "a port id is required" },
		{ "/mlx4r/state,abc", "got 'abc'" },
		{ "/mlx4r/state,-1", "got '-1'" },
		{ "/mlx4r/state,%u,1", "expected a port id" },
		{ "/mlx4r/state,%u", "no such port", true },
		{ "/mlx4r/history,%u", "no such port", true },
		{ "/mlx4r/history,x1", "got 'x1'" },
		{ "/mlx4r/reset,%u", "no such port", true },
		{ "/mlx4r/reset", "a port id is required" },
		{ "/mlx4r/inject,%u", "a fault is required" },
		{ "/mlx4r/inject,%u,meltdown", "unknown fault 'meltdown'" },
		{ "/mlx4r/inject,%u,link_flap,-1",
		  "argument '-1' of link_flap" },
		{ "/mlx4r/inject,%u,link_flap,abc",
		  "argument 'abc' of link_flap" },
		{ "/mlx4r/inject,%u,link_flap,99999999999999999999",
		  "argument '99999999999999999999' of link_flap" },
		{ "/mlx4r/inject,%u,qp_error,99", "argument '99' of qp_error" },
		{ "/mlx4r/inject,%u,fatal", "no such port", true },
	};
	char cmd[96], out[1024];
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		snprintf(cmd, sizeof(cmd), bad[i].fmt,
			 bad[i].none ? RTE_MAX_ETHPORTS - 1 : p1);
		TEST_ASSERT_SUCCESS(tel_cmd(cmd, out, sizeof(out)), "%s", cmd);
		TEST_ASSERT(strstr(out, ":null") == NULL, "%s: null: %s", cmd,
			    out);
		TEST_ASSERT(strstr(out, "\"result\":-") != NULL &&
			    strstr(out, bad[i].error) != NULL,
			    "%s: expected a result < 0 and \"%s\": %s", cmd,
			    bad[i].error, out);
	}
	/* nothing was injected: the device is live, never reset */
	snprintf(cmd, sizeof(cmd), "/mlx4r/state,%u", p1);
	TEST_ASSERT_SUCCESS(tel_cmd(cmd, out, sizeof(out)), "%s", cmd);
	TEST_ASSERT(strstr(out, "\"state\":\"live\"") != NULL &&
		    strstr(out, "\"resets_started\":0") != NULL,
		    "still live, no reset: %s", out);
	return TEST_SUCCESS;
}

static struct unit_test_suite tel_suite = {
	.suite_name = "mlx4r telemetry over its socket",
	.setup = tel_setup,
	.teardown = tel_teardown,
	.unit_test_cases = {
		TEST_CASE(test_tel_answers),
		TEST_CASE(test_tel_errors),
		TEST_CASES_END()
	}
};

static int
mlx4r_telemetry_socket_autotest(void)
{
	return unit_test_suite_runner(&tel_suite);
}

REGISTER_TEST_COMMAND(mlx4r_telemetry_socket_autotest,
		      mlx4r_telemetry_socket_autotest);
