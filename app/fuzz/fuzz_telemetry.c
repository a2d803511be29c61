/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fuzzer of the parameters of the telemetry commands (mlx4r_telemetry.c):
 * the first byte of the input picks /mlx4r/state, /history, /inject or
 * /reset, the rest is the parameter string the telemetry thread passes
 * (none at all when the input is one byte). The handlers run as on the
 * telemetry thread, against port 0, an mlx4r port of the emulated device,
 * and port 1, a port of another driver (net_null); every other id names
 * no port. /inject and /reset run their handler only for ports other
 * than 0 (a fault or a reset of the live device would make the runs
 * depend on the timing of its control thread); their parameters are
 * parsed for every input.
 *
 * rte_tel_data_free() frees no container nested in a result: /history
 * nests one per reset, and port 0 never resets here, so there are none.
 *
 * Checks, besides the sanitizers: handlers return 0 or -EINVAL; what a
 * parser accepts is a port id below RTE_MAX_ETHPORTS written in decimal
 * and, for /inject, a fault name that prints back as itself.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "fuzz_common.h"
#include "mlx4r_fault.h"
#include "mlx4r_telemetry.h"

/*
 * Close the ports before LeakSanitizer's check at exit: what the driver
 * holds is reachable only from rte_malloc memory, which it does not scan.
 */
static void
close_ports(void)
{
	uint16_t port_id;

	RTE_ETH_FOREACH_DEV(port_id)
		rte_eth_dev_close(port_id);
	rte_eal_cleanup();
}

int
LLVMFuzzerInitialize(int *argc __attribute__((unused)),
		     char ***argv __attribute__((unused)))
{
	static const char * const vdevs[] = {
		"--vdev=net_mlx4r0,wire=none",
		"--vdev=net_null0",
	};

	fuzz_eal_init("mlx4r-fuzz-telemetry", vdevs, RTE_DIM(vdevs));
	if (rte_eth_dev_count_avail() != 2) {
		fprintf(stderr, "mlx4r-fuzz-telemetry: expected ports 0 (net_mlx4r0) and 1 (net_null0), found %u ports\n",
			rte_eth_dev_count_avail());
		exit(1);
	}
	atexit(close_ports);
	return 0;
}

/* What mlx4r_tel_parse_port() accepted: digits of @p port_id first. */
static void
check_port(const char *params, uint16_t port_id, const char *rest)
{
	char *end;

	FUZZ_CHECK(port_id < RTE_MAX_ETHPORTS, "port %u", port_id);
	FUZZ_CHECK(params[0] >= '0' && params[0] <= '9' &&
		   strtoul(params, &end, 10) == port_id &&
		   (*end == '\0' || *end == ','), "port %u from \"%s\"",
		   port_id, params);
	FUZZ_CHECK(rest == NULL ? *end == '\0' : rest == end + 1,
		   "rest of \"%s\"", params);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const telemetry_cb handlers[] = {
		mlx4r_tel_state,
		mlx4r_tel_history,
		mlx4r_tel_inject,
		mlx4r_tel_reset,
	};
	struct mlx4r_tel_inject_req req;
	struct rte_tel_data *d;
	const char *rest = NULL;
	unsigned int cmd;
	uint16_t port_id;
	bool side_effect;
	char *params;
	int ret;

	if (size == 0)
		return 0;
	cmd = data[0] % RTE_DIM(handlers);
	params = size > 1 ? fuzz_cstr(data + 1, size - 1) : NULL;
	/* /inject and /reset of port 0 act on the live device: not run */
	side_effect = false;
	port_id = RTE_MAX_ETHPORTS;
	if (params != NULL &&
	    mlx4r_tel_parse_port(params, &port_id, &rest) == 0) {
		check_port(params, port_id, rest);
		side_effect = cmd >= 2 && port_id == 0;
	}
	if (params != NULL && mlx4r_tel_parse_inject(params, &req) == 0) {
		FUZZ_CHECK(memchr(req.name, '\0', sizeof(req.name)) != NULL &&
			   strcmp(mlx4r_fault_name(req.fault), req.name) == 0,
			   "fault %u named \"%.31s\"", req.fault, req.name);
		FUZZ_CHECK(req.port_id == port_id, "inject port %u, port %u",
			   req.port_id, port_id);
	}
	if (!side_effect) {
		d = rte_tel_data_alloc();
		FUZZ_CHECK(d != NULL, "rte_tel_data_alloc");
		ret = handlers[cmd]("/mlx4r/fuzz", params, d);
		FUZZ_CHECK(ret == 0 || ret == -EINVAL, "handler %u returned %d",
			   cmd, ret);
		rte_tel_data_free(d);
	}
	free(params);
	return 0;
}
