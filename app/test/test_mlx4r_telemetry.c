/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Parameters of the telemetry commands (mlx4r_telemetry.c): what the
 * parsers take and refuse, and that a refused /mlx4r/inject injects
 * nothing. The commands' output through dpdk-telemetry.py is tested by
 * the integration suite (stock_tools.py, telemetry_reset).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "test.h"
#include "mlx4r_telemetry.h"
#include "rte_pmd_mlx4r.h"

#define DEV "net_mlx4r_tel"

static int
test_parse_port(void)
{
	static const char * const bad[] = {
		"", "x", "-1", " 1", "+1", "1x", "1 ", "99999999999999999999",
	};
	char max[8];
	const char *rest;
	uint16_t port;
	unsigned int i;

	TEST_ASSERT_SUCCESS(mlx4r_tel_parse_port("7", &port, &rest), "7");
	TEST_ASSERT_EQUAL(port, 7, "port 7");
	TEST_ASSERT(rest == NULL, "nothing after 7");
	TEST_ASSERT_SUCCESS(mlx4r_tel_parse_port("3,fatal", &port, &rest),
			    "3,fatal");
	TEST_ASSERT(port == 3 && rest != NULL && strcmp(rest, "fatal") == 0,
		    "3 then fatal");
	TEST_ASSERT_EQUAL(mlx4r_tel_parse_port(NULL, &port, NULL), -EINVAL,
			  "no parameters");
	for (i = 0; i < RTE_DIM(bad); i++)
		TEST_ASSERT_EQUAL(mlx4r_tel_parse_port(bad[i], &port, NULL),
				  -EINVAL, "\"%s\" refused", bad[i]);
	snprintf(max, sizeof(max), "%u", RTE_MAX_ETHPORTS);
	TEST_ASSERT_EQUAL(mlx4r_tel_parse_port(max, &port, NULL), -EINVAL,
			  "port %s, RTE_MAX_ETHPORTS", max);
	return TEST_SUCCESS;
}

static int
test_parse_inject(void)
{
	static const char * const bad[] = {
		"0", "0,", "0,nope", "0,fatal,", "0,fatal,abc", "0,fatal,-1",
		"0,fatal,+1", "0,fatal, 1", "0,fatal,5x", "0,fatal,1,2",
		"0,fatal,4294967296", "0,fatal,99999999999999999999",
		"0,a_fault_name_longer_than_31_chars",
	};
	struct mlx4r_tel_inject_req req;
	unsigned int i;

	TEST_ASSERT_SUCCESS(mlx4r_tel_parse_inject("2,link_flap", &req),
			    "no argument");
	TEST_ASSERT(req.port_id == 2 &&
		    req.fault == RTE_PMD_MLX4R_FAULT_LINK_FLAP && req.arg == 0 &&
		    strcmp(req.name, "link_flap") == 0, "2, link_flap, 0");
	TEST_ASSERT_SUCCESS(mlx4r_tel_parse_inject("0,fatal,4294967295",
						   &req), "largest argument");
	TEST_ASSERT_EQUAL_U(req.arg, UINT32_MAX, "argument");
	TEST_ASSERT_SUCCESS(mlx4r_tel_parse_inject("0,qp_error,0", &req),
			    "argument 0");
	TEST_ASSERT_EQUAL(req.fault, RTE_PMD_MLX4R_FAULT_QP_ERROR, "fault");
	for (i = 0; i < RTE_DIM(bad); i++)
		TEST_ASSERT_EQUAL(mlx4r_tel_parse_inject(bad[i], &req), -EINVAL,
				  "\"%s\" refused", bad[i]);
	return TEST_SUCCESS;
}

/* A refused /mlx4r/inject of a live port injects nothing. */
static int
test_inject_refused(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_tel_data *d;
	char params[32];
	uint16_t port;
	int ret;

	TEST_ASSERT_SUCCESS(rte_vdev_init(DEV, "wire=none"), "probe");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name(DEV, &port), "port");
	d = rte_tel_data_alloc();
	TEST_ASSERT(d != NULL, "telemetry data");
	/* once taken for link_flap of 0 (100 ms) */
	snprintf(params, sizeof(params), "%u,link_flap,abc", port);
	ret = mlx4r_tel_inject("/mlx4r/inject", params, d);
	rte_tel_data_free(d);
	TEST_ASSERT_EQUAL(ret, -EINVAL, "/mlx4r/inject,%s", params);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(port, &st), "state");
	TEST_ASSERT_EQUAL_U(st.started, 0, "no reset");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit(DEV), "remove");
	return TEST_SUCCESS;
}

static struct unit_test_suite telemetry_suite = {
	.suite_name = "mlx4r telemetry parameters",
	.unit_test_cases = {
		TEST_CASE(test_parse_port),
		TEST_CASE(test_parse_inject),
		TEST_CASE(test_inject_refused),
		TEST_CASES_END()
	}
};

static int
mlx4r_telemetry_autotest(void)
{
	return unit_test_suite_runner(&telemetry_suite);
}

REGISTER_TEST_COMMAND(mlx4r_telemetry_autotest, mlx4r_telemetry_autotest);
