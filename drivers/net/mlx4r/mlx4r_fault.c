/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fault injection into the emulated device behind a port: by API
 * (rte_pmd_mlx4r_inject_fault), by telemetry (/mlx4r/inject) and by the
 * devargs schedule "fault=<fault>[/<arg>]@<ms>[:<fault>...]", fired by the
 * HCA's control thread <ms> milliseconds after probe.
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_fault.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

static const char * const mlx4r_fault_names[] = {
	[RTE_PMD_MLX4R_FAULT_FATAL] = "fatal",
	[RTE_PMD_MLX4R_FAULT_CMD_FAIL] = "cmd_fail",
	[RTE_PMD_MLX4R_FAULT_CMD_TIMEOUT] = "cmd_timeout",
	[RTE_PMD_MLX4R_FAULT_REINIT_FAIL] = "reinit_fail",
	[RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW] = "fw_reset_slow",
	[RTE_PMD_MLX4R_FAULT_LINK_FLAP] = "link_flap",
	[RTE_PMD_MLX4R_FAULT_QP_ERROR] = "qp_error",
	[RTE_PMD_MLX4R_FAULT_LOST_DOORBELL] = "lost_doorbell",
	[RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW] = "reappear_slow",
};

const char *
mlx4r_fault_name(uint32_t fault)
{
	return fault < RTE_DIM(mlx4r_fault_names) ?
	       mlx4r_fault_names[fault] : "?";
}

int
mlx4r_fault_parse(const char *name, uint32_t *fault)
{
	uint32_t i;

	for (i = 0; i < RTE_DIM(mlx4r_fault_names); i++) {
		if (strcmp(name, mlx4r_fault_names[i]) == 0) {
			*fault = i;
			return 0;
		}
	}
	return -EINVAL;
}

static_assert(MLX4R_FAULT_QP_ERROR == RTE_PMD_MLX4R_FAULT_QP_ERROR,
	      "mlx4r_devargs.h checks the queue of qp_error");

/*
 * Largest argument of @p fault, and what it counts: durations in ms up to
 * MLX4R_FAULT_MAX_MS, counts up to MLX4R_FAULT_MAX_COUNT, a Tx queue index
 * below MLX4R_MAX_QUEUES (the devargs check it against max_queues).
 */
uint32_t
mlx4r_fault_arg_max(uint32_t fault, const char **what)
{
	switch (fault) {
	case RTE_PMD_MLX4R_FAULT_CMD_FAIL:
	case RTE_PMD_MLX4R_FAULT_CMD_TIMEOUT:
	case RTE_PMD_MLX4R_FAULT_REINIT_FAIL:
	case RTE_PMD_MLX4R_FAULT_LOST_DOORBELL:
		*what = "a count";
		return MLX4R_FAULT_MAX_COUNT;
	case RTE_PMD_MLX4R_FAULT_QP_ERROR:
		*what = "a Tx queue";
		return MLX4R_MAX_QUEUES - 1;
	default:
		*what = "milliseconds";
		return MLX4R_FAULT_MAX_MS;
	}
}

/*
 * One element "<fault>[/<arg>]@<ms>" of the schedule, in @p tok (written
 * to). @return 0, or -EINVAL with one log line naming the element.
 */
static int
mlx4r_fault_parse_one(const char *value, char *tok,
		      struct mlx4r_fault_sched *f)
{
	char *at = strrchr(tok, '@');
	char *slash = strchr(tok, '/');
	const char *what;
	uint32_t max;
	uint64_t v;

	if (at == NULL) {
		INIT_LOG(ERR, "devarg %s=%s: \"%s\" has no @<ms>",
			 MLX4R_ARG_FAULT, value, tok);
		return -EINVAL;
	}
	*at++ = '\0';
	if (slash != NULL)
		*slash++ = '\0';
	if (mlx4r_fault_parse(tok, &f->fault) < 0) {
		INIT_LOG(ERR, "devarg %s=%s: unknown fault \"%s\" (faults: fatal, cmd_fail, cmd_timeout, reinit_fail, fw_reset_slow, link_flap, qp_error, lost_doorbell, reappear_slow)",
			 MLX4R_ARG_FAULT, value, tok);
		return -EINVAL;
	}
	f->arg = 0;
	max = mlx4r_fault_arg_max(f->fault, &what);
	if (slash != NULL) {
		if (mlx4r_parse_dec(slash, max, &v) < 0) {
			INIT_LOG(ERR, "devarg %s=%s: argument \"%s\" of %s: expected %s, a decimal integer in 0..%u",
				 MLX4R_ARG_FAULT, value, slash, tok, what,
				 max);
			return -EINVAL;
		}
		f->arg = v;
	}
	if (mlx4r_parse_dec(at, MLX4R_FAULT_MAX_AT_MS, &v) < 0) {
		INIT_LOG(ERR, "devarg %s=%s: time \"%s\" of %s: expected milliseconds after probe, a decimal integer in 0..%u",
			 MLX4R_ARG_FAULT, value, at, tok,
			 MLX4R_FAULT_MAX_AT_MS);
		return -EINVAL;
	}
	f->at_ms = v;
	return 0;
}

/* "fatal@200:link_flap/50@400" */
int
mlx4r_fault_parse_sched(const char *value, struct mlx4r_reset_args *ra)
{
	char buf[256];
	char *tok, *next;

	if (value == NULL || value[0] == '\0' ||
	    strlen(value) >= sizeof(buf)) {
		INIT_LOG(ERR, "devarg %s=%s: expected <fault>[/<arg>]@<ms>[:...], at most %zu characters",
			 MLX4R_ARG_FAULT, value != NULL ? value : "",
			 sizeof(buf) - 1);
		return -EINVAL;
	}
	strlcpy(buf, value, sizeof(buf));
	ra->nb_sched = 0;
	/* not strtok_r(): an empty element ("fatal@1::", ":fatal@1") is bad */
	for (tok = buf; tok != NULL; tok = next) {
		next = strchr(tok, ':');
		if (next != NULL)
			*next++ = '\0';
		if (*tok == '\0') {
			INIT_LOG(ERR, "devarg %s=%s: empty element",
				 MLX4R_ARG_FAULT, value);
			return -EINVAL;
		}
		if (ra->nb_sched == MLX4R_FAULT_SCHED_MAX) {
			INIT_LOG(ERR, "devarg %s=%s: more than %u faults",
				 MLX4R_ARG_FAULT, value,
				 MLX4R_FAULT_SCHED_MAX);
			return -EINVAL;
		}
		if (mlx4r_fault_parse_one(value, tok,
					  &ra->sched[ra->nb_sched]) < 0)
			return -EINVAL;
		ra->nb_sched++;
	}
	return 0;
}

/* Commands a cmd_fail/cmd_timeout fault hits: not open, not queries. */
#define MLX4R_FAULT_CMD_MASK (MLX4R_EMU_OP_ALL & \
	~(MLX4R_EMU_OP_OPEN | MLX4R_EMU_OP_QUERY | MLX4R_EMU_OP_QUERY_PORT | \
	  MLX4R_EMU_OP_QUERY_QP))

/*
 * Inject @p fault. @p port stays a client meanwhile (held or under the
 * control lock); the faults that name a device object, QP error and lost
 * doorbell, read it under the control lock.
 */
int
mlx4r_fault_inject(struct mlx4r_dev *dev, struct mlx4r_port *port,
		   uint32_t fault, uint32_t arg)
{
	struct mlx4r_emu_dev *emu;
	int ret;

	if (dev->args.backend != MLX4R_BACKEND_EMU)
		return -ENOTSUP;
	emu = mlx4r_emu_dev_lookup(dev->name);
	if (emu == NULL || port == NULL)
		return -ENODEV;
	switch (fault) {
	case RTE_PMD_MLX4R_FAULT_FATAL:
		return mlx4r_emu_fault_fatal(emu, arg);
	case RTE_PMD_MLX4R_FAULT_CMD_FAIL:
		return mlx4r_emu_fault_cmd(emu, MLX4R_FAULT_CMD_MASK,
					   arg != 0 ? arg : 1, EIO, 0);
	case RTE_PMD_MLX4R_FAULT_CMD_TIMEOUT:
		return mlx4r_emu_fault_cmd(emu, MLX4R_FAULT_CMD_MASK,
					   arg != 0 ? arg : 1, ETIMEDOUT, 100);
	case RTE_PMD_MLX4R_FAULT_REINIT_FAIL:
		return mlx4r_emu_fault_reinit_fail(emu, arg != 0 ? arg : 1);
	case RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW:
		return mlx4r_emu_fault_fw_reset_delay(emu, arg);
	case RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW:
		return mlx4r_emu_fault_reappear_delay(emu,
						      arg != 0 ? arg : 1000);
	case RTE_PMD_MLX4R_FAULT_LINK_FLAP:
		return mlx4r_emu_fault_link_flap(emu, port->port_num,
						 arg != 0 ? arg : 100);
	case RTE_PMD_MLX4R_FAULT_QP_ERROR:
	case RTE_PMD_MLX4R_FAULT_LOST_DOORBELL: {
		struct rte_eth_dev_data *data = port->eth_dev->data;
		uint16_t q = fault == RTE_PMD_MLX4R_FAULT_QP_ERROR ? arg : 0;
		struct mlx4r_txq *txq;

		/* the driver's list (control lock), not ethdev's array */
		txq = q < data->nb_tx_queues ? mlx4r_port_txq(port, q) : NULL;
		if (q >= data->nb_tx_queues)
			ret = -EINVAL;
		else if (txq == NULL || txq->qp == NULL)
			ret = -EBUSY; /* stopped, or being rebuilt */
		else if (fault == RTE_PMD_MLX4R_FAULT_QP_ERROR)
			ret = mlx4r_emu_fault_qp_error(emu, txq->qp->qpn);
		else
			ret = mlx4r_emu_fault_lost_doorbell(emu, txq->qp->qpn,
							    arg != 0 ? arg : 1);
		return ret;
	}
	default:
		return -EINVAL;
	}
}
