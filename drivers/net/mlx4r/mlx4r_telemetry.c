/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Telemetry of the reset machine, for the stock dpdk-telemetry.py:
 *   /mlx4r/state,<port_id>          phase, generation, mode, counters
 *   /mlx4r/history,<port_id>        the last resets of the HCA
 *   /mlx4r/inject,<port_id>,<fault>[,<arg>]   inject a fault (emu)
 *   /mlx4r/reset,<port_id>          ask for a reset
 * Callbacks run on the telemetry thread; they use the public calls of
 * rte_pmd_mlx4r.h and the reset history, which never wait for a phase of
 * a reset (none takes the control lock, except the injection of a queue's
 * fault on a live device, for one short step): a fault of the whole
 * device waits only for the emulated device itself, while its own slow
 * firmware reset holds it.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_compat.h"
#include "mlx4r_fault.h"
#include "mlx4r_registry.h"
#include "mlx4r_reset.h"
#include "mlx4r_telemetry.h"
#include "rte_pmd_mlx4r.h"

/* "<port_id>[,rest]": the port, and rest (or NULL). */
int
mlx4r_tel_parse_port(const char *params, uint16_t *port_id, const char **rest)
{
	unsigned long v;
	char *end;

	if (params == NULL || params[0] < '0' || params[0] > '9')
		return -EINVAL;
	v = strtoul(params, &end, 10);
	if (v >= RTE_MAX_ETHPORTS || (*end != '\0' && *end != ','))
		return -EINVAL;
	*port_id = v;
	if (rest != NULL)
		*rest = *end == ',' ? end + 1 : NULL;
	return 0;
}

/* "<port_id>,<fault>[,<arg>]", arg a decimal of 32 bits */
int
mlx4r_tel_parse_inject(const char *params, struct mlx4r_tel_inject_req *req)
{
	const char *rest, *comma;
	unsigned long arg;
	size_t len;
	char *end;

	if (mlx4r_tel_parse_port(params, &req->port_id, &rest) < 0 ||
	    rest == NULL)
		return -EINVAL;
	comma = strchr(rest, ',');
	len = comma != NULL ? (size_t)(comma - rest) : strlen(rest);
	if (len == 0 || len >= sizeof(req->name))
		return -EINVAL;
	memcpy(req->name, rest, len);
	req->name[len] = '\0';
	if (mlx4r_fault_parse(req->name, &req->fault) < 0)
		return -EINVAL;
	req->arg = 0;
	if (comma == NULL)
		return 0;
	/*
	 * A decimal of 32 bits and nothing else: strtoul() alone took
	 * "abc" for 0, "-1" for 4294967295 and "5x" for 5.
	 */
	if (comma[1] < '0' || comma[1] > '9')
		return -EINVAL;
	errno = 0;
	arg = strtoul(comma + 1, &end, 10);
	if (errno != 0 || *end != '\0' || arg > UINT32_MAX)
		return -EINVAL;
	req->arg = arg;
	return 0;
}

int
mlx4r_tel_state(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	struct rte_pmd_mlx4r_reset_state st;
	uint16_t port_id;

	if (mlx4r_tel_parse_port(params, &port_id, NULL) < 0 ||
	    rte_pmd_mlx4r_reset_state_get(port_id, &st) < 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	/* enum rte_pmd_mlx4r_reset_phase follows enum mlx4r_rst_state */
	rte_tel_data_add_dict_string(d, "state",
		mlx4r_reset_state_name((enum mlx4r_rst_state)st.phase));
	mlx4r_tel_dict_add_uint(d, "generation", st.generation);
	rte_tel_data_add_dict_string(d, "mode",
		st.proactive ? "proactive" : "passive");
	mlx4r_tel_dict_add_uint(d, "resets_started", st.started);
	mlx4r_tel_dict_add_uint(d, "resets_succeeded", st.succeeded);
	mlx4r_tel_dict_add_uint(d, "resets_failed", st.failed);
	mlx4r_tel_dict_add_uint(d, "resets_cancelled", st.cancelled);
	mlx4r_tel_dict_add_uint(d, "requests_coalesced", st.coalesced);
	mlx4r_tel_dict_add_uint(d, "restarts", st.restarts);
	mlx4r_tel_dict_add_uint(d, "late_clients", st.late_clients);
	mlx4r_tel_dict_add_uint(d, "mbufs_reclaimed", st.mbufs_reclaimed);
	mlx4r_tel_dict_add_uint(d, "last_recovery_us", st.last_us);
	mlx4r_tel_dict_add_uint(d, "worst_recovery_us", st.worst_us);
	return 0;
}

int
mlx4r_tel_history(const char *cmd __rte_unused, const char *params,
		  struct rte_tel_data *d)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct mlx4r_reset_record rec[MLX4R_RESET_HISTORY];
	struct mlx4r_port *port;
	uint32_t n, i, first;
	uint16_t port_id;

	if (mlx4r_tel_parse_port(params, &port_id, NULL) < 0 ||
	    rte_pmd_mlx4r_reset_state_get(port_id, &st) < 0)
		return -EINVAL;
	/* held against its close, as the public calls (mlx4r_registry.c) */
	port = mlx4r_registry_hold(port_id);
	if (port == NULL)
		return -EINVAL;
	n = mlx4r_reset_history(port->dev, rec);
	mlx4r_registry_release(port_id);
	first = n > MLX4R_RESET_HISTORY ? n - MLX4R_RESET_HISTORY : 0;
	rte_tel_data_start_dict(d);
	for (i = first; i < n; i++) {
		const struct mlx4r_reset_record *r =
			&rec[i % MLX4R_RESET_HISTORY];
		struct rte_tel_data *e = rte_tel_data_alloc();
		char key[24];

		if (e == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(e);
		mlx4r_tel_dict_add_uint(e, "start_us", r->start_us);
		mlx4r_tel_dict_add_uint(e, "duration_us", r->duration_us);
		rte_tel_data_add_dict_string(e, "trigger",
			r->trigger & MLX4R_REQ_FATAL ? "fatal" :
			r->trigger & MLX4R_REQ_HEALTH ? "health" :
			r->trigger & MLX4R_REQ_QUEUE ? "queue_error" :
			"request");
		mlx4r_tel_dict_add_uint(e, "attempts", r->attempts);
		mlx4r_tel_dict_add_uint(e, "generation", r->generation);
		mlx4r_tel_dict_add_uint(e, "late_clients", r->late);
		rte_tel_data_add_dict_string(e, "result",
			r->result == MLX4R_RESET_LIVE ? "live" :
			r->result == MLX4R_RESET_FAILED ? "failed" :
			"cancelled");
		snprintf(key, sizeof(key), "reset_%u", i + 1);
		rte_tel_data_add_dict_container(d, key, e, 0);
	}
	return 0;
}

int
mlx4r_tel_inject(const char *cmd __rte_unused, const char *params,
		 struct rte_tel_data *d)
{
	struct mlx4r_tel_inject_req req;
	int ret;

	if (mlx4r_tel_parse_inject(params, &req) < 0)
		return -EINVAL;
	ret = rte_pmd_mlx4r_inject_fault(req.port_id, req.fault, req.arg);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "fault", req.name);
	rte_tel_data_add_dict_int(d, "result", ret);
	return 0;
}

int
mlx4r_tel_reset(const char *cmd __rte_unused, const char *params,
		struct rte_tel_data *d)
{
	uint16_t port_id;
	int ret;

	if (mlx4r_tel_parse_port(params, &port_id, NULL) < 0)
		return -EINVAL;
	ret = rte_pmd_mlx4r_reset(port_id);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "result", ret);
	return 0;
}

/* Help texts must stay within RTE_TEL_MAX_STRING_LEN (128) bytes. */
RTE_INIT(mlx4r_telemetry_init)
{
	rte_telemetry_register_cmd("/mlx4r/state", mlx4r_tel_state,
		"Reset state of the HCA of an mlx4r port. Parameters: int port_id");
	rte_telemetry_register_cmd("/mlx4r/history", mlx4r_tel_history,
		"Last resets of the HCA of an mlx4r port. Parameters: int port_id");
	rte_telemetry_register_cmd("/mlx4r/inject", mlx4r_tel_inject,
		"Inject a fault (fatal, link_flap, ...; emulated device). Parameters: int port_id, string fault[, int arg]");
	rte_telemetry_register_cmd("/mlx4r/reset", mlx4r_tel_reset,
		"Ask for a reset of the HCA of an mlx4r port. Parameters: int port_id");
}
