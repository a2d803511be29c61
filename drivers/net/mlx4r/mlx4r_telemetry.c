/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Telemetry of the reset machine, for the stock dpdk-telemetry.py:
 *   /mlx4r/state,<port_id>          phase, generation, mode, counters
 *   /mlx4r/history,<port_id>        the last resets of the HCA
 *   /mlx4r/inject,<port_id>,<fault>[,<arg>]   inject a fault (emu)
 *   /mlx4r/reset,<port_id>          ask for a reset
 * A command that fails answers {"result": <negative errno>, "error":
 * "<why>"} (mlx4r_tel_error()). Callbacks run on the telemetry thread; they use the public calls of
 * rte_pmd_mlx4r.h and the reset history, which never wait for a phase of
 * a reset (none takes the control lock, except the injection of a queue's
 * fault on a live device, for one short step): a fault of the whole
 * device waits only for the emulated device itself, while its own slow
 * firmware reset holds it.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_compat.h"
#include "mlx4r_devargs.h"
#include "mlx4r_fault.h"
#include "mlx4r_registry.h"
#include "mlx4r_reset.h"
#include "mlx4r_telemetry.h"
#include "rte_pmd_mlx4r.h"

/*
 * A failing command answers a dict the caller can read, {"result":
 * <negative errno>, "error": "<what>"}: DPDK 22.11's telemetry turns a
 * negative return of the callback into {"<cmd>": null} and drops the
 * reason (lib/telemetry/telemetry.c, perform_command()).
 */
static int __rte_format_printf(3, 4)
mlx4r_tel_error(struct rte_tel_data *d, int err, const char *fmt, ...)
{
	char msg[RTE_TEL_MAX_STRING_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "result", err);
	rte_tel_data_add_dict_string(d, "error", msg);
	return 0;
}

/* Why a public call refused port @p port_id (rte_pmd_mlx4r.h). */
static const char *
mlx4r_tel_why(int err)
{
	switch (err) {
	case -ENODEV:
		return "no such port";
	case -ENOTSUP:
		return "not an mlx4r port of this primary process, or closing";
	case -EINVAL:
		return "invalid argument (unknown fault, or no such Tx queue)";
	case -EALREADY:
		return "the device is already in a catastrophic error";
	case -EBUSY:
		return "the port is stopped, or a reset is rebuilding it";
	default:
		return strerror(-err);
	}
}

/*
 * "<port_id>[,rest]": a decimal port id below RTE_MAX_ETHPORTS, and what
 * follows its comma in @p rest (NULL if none); with @p rest NULL, nothing
 * may follow. 0 or -EINVAL.
 */
int
mlx4r_tel_parse_port(const char *params, uint16_t *port_id, const char **rest)
{
	const char *comma;
	char num[8];
	uint64_t v;
	size_t len;

	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	comma = strchr(params, ',');
	len = comma != NULL ? (size_t)(comma - params) : strlen(params);
	if (len >= sizeof(num))
		return -EINVAL;
	memcpy(num, params, len);
	num[len] = '\0';
	if (mlx4r_parse_dec(num, RTE_MAX_ETHPORTS - 1, &v) < 0 ||
	    (rest == NULL && comma != NULL))
		return -EINVAL;
	*port_id = v;
	if (rest != NULL)
		*rest = comma != NULL ? comma + 1 : NULL;
	return 0;
}

/* The same, answering an error dict when the parameters are bad. */
static int
mlx4r_tel_port(const char *cmd, const char *params, struct rte_tel_data *d,
	       uint16_t *port_id, const char **rest)
{
	if (params == NULL || params[0] == '\0') {
		mlx4r_tel_error(d, -EINVAL, "%s: a port id is required", cmd);
		return -EINVAL;
	}
	if (mlx4r_tel_parse_port(params, port_id, rest) < 0) {
		mlx4r_tel_error(d, -EINVAL,
				"%s: expected a port id in 0..%u%s, got '%.48s'",
				cmd, RTE_MAX_ETHPORTS - 1,
				rest != NULL ? " then parameters" : "",
				params);
		return -EINVAL;
	}
	return 0;
}

/*
 * "<port_id>,<fault>[,<arg>]": the port, a fault's name
 * (mlx4r_fault_parse()), and its argument, a decimal integer within what
 * the fault takes (mlx4r_fault_arg_max()). With @p d, a refusal answers
 * an error dict naming what was wrong. 0 or -EINVAL.
 */
static int
mlx4r_tel_inject_parse(const char *cmd, const char *params,
		       struct rte_tel_data *d, struct mlx4r_tel_inject_req *req)
{
	const char *rest, *comma, *what;
	uint64_t arg = 0;
	uint32_t max;
	size_t len;

	if (d != NULL ? mlx4r_tel_port(cmd, params, d, &req->port_id,
				       &rest) < 0 :
			mlx4r_tel_parse_port(params, &req->port_id, &rest) < 0)
		return -EINVAL;
	if (rest == NULL) {
		if (d != NULL)
			mlx4r_tel_error(d, -EINVAL, "%s: a fault is required after the port id",
					cmd);
		return -EINVAL;
	}
	comma = strchr(rest, ',');
	len = comma != NULL ? (size_t)(comma - rest) : strlen(rest);
	if (len >= sizeof(req->name))
		len = sizeof(req->name) - 1;
	memcpy(req->name, rest, len);
	req->name[len] = '\0';
	if ((comma != NULL ? (size_t)(comma - rest) : strlen(rest)) >=
	    sizeof(req->name) || mlx4r_fault_parse(req->name, &req->fault) < 0) {
		if (d != NULL)
			mlx4r_tel_error(d, -EINVAL, "%s: unknown fault '%s' (fatal, cmd_fail, link_flap, qp_error, ...)",
					cmd, req->name);
		return -EINVAL;
	}
	max = mlx4r_fault_arg_max(req->fault, &what);
	if (comma != NULL && mlx4r_parse_dec(comma + 1, max, &arg) < 0) {
		if (d != NULL)
			mlx4r_tel_error(d, -EINVAL, "%s: argument '%.32s' of %s: expected %s, a decimal integer in 0..%u",
					cmd, comma + 1, req->name, what, max);
		return -EINVAL;
	}
	req->arg = arg;
	return 0;
}

int
mlx4r_tel_parse_inject(const char *params, struct mlx4r_tel_inject_req *req)
{
	return mlx4r_tel_inject_parse(NULL, params, NULL, req);
}

int
mlx4r_tel_state(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_pmd_mlx4r_reset_state st;
	uint16_t port_id;
	int ret;

	if (mlx4r_tel_port(cmd, params, d, &port_id, NULL) < 0)
		return 0;
	ret = rte_pmd_mlx4r_reset_state_get(port_id, &st);
	if (ret < 0)
		return mlx4r_tel_error(d, ret, "port %u: %s", port_id,
				       mlx4r_tel_why(ret));
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
	mlx4r_tel_dict_add_uint(d, "mbufs_kept", st.mbufs_kept);
	mlx4r_tel_dict_add_uint(d, "last_recovery_us", st.last_us);
	mlx4r_tel_dict_add_uint(d, "worst_recovery_us", st.worst_us);
	return 0;
}

int
mlx4r_tel_history(const char *cmd, const char *params,
		  struct rte_tel_data *d)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct mlx4r_reset_record rec[MLX4R_RESET_HISTORY];
	struct mlx4r_port *port;
	uint32_t n, i, first;
	uint16_t port_id;
	int ret;

	if (mlx4r_tel_port(cmd, params, d, &port_id, NULL) < 0)
		return 0;
	ret = rte_pmd_mlx4r_reset_state_get(port_id, &st);
	if (ret < 0)
		return mlx4r_tel_error(d, ret, "port %u: %s", port_id,
				       mlx4r_tel_why(ret));
	/* held against its close, as the public calls (mlx4r_registry.c) */
	port = mlx4r_registry_hold(port_id);
	if (port == NULL)
		return mlx4r_tel_error(d, -ENOTSUP, "port %u: %s", port_id,
				       mlx4r_tel_why(-ENOTSUP));
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
mlx4r_tel_inject(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mlx4r_tel_inject_req req;
	int ret;

	if (mlx4r_tel_inject_parse(cmd, params, d, &req) < 0)
		return 0;
	ret = rte_pmd_mlx4r_inject_fault(req.port_id, req.fault, req.arg);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "fault", req.name);
	rte_tel_data_add_dict_int(d, "result", ret);
	if (ret < 0)
		rte_tel_data_add_dict_string(d, "error", mlx4r_tel_why(ret));
	return 0;
}

int
mlx4r_tel_reset(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint16_t port_id;
	int ret;

	if (mlx4r_tel_port(cmd, params, d, &port_id, NULL) < 0)
		return 0;
	ret = rte_pmd_mlx4r_reset(port_id);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "result", ret);
	if (ret < 0)
		rte_tel_data_add_dict_string(d, "error", mlx4r_tel_why(ret));
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
