/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fault injection into the emulated device behind a port: by API
 * (rte_pmd_mlx4r_inject_fault), by telemetry (/mlx4r/inject) and by the
 * devargs schedule "fault=<fault>[/<arg>]@<ms>[:<fault>...]", fired by the
 * HCA's control thread <ms> milliseconds after probe.
 */

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

/* "fatal@200:link_flap/50@400" */
int
mlx4r_fault_parse_sched(const char *value, struct mlx4r_reset_args *ra)
{
	char buf[256];
	char *tok, *save = NULL;

	if (value == NULL || value[0] == '\0' ||
	    strlen(value) >= sizeof(buf))
		goto bad;
	strlcpy(buf, value, sizeof(buf));
	ra->nb_sched = 0;
	for (tok = strtok_r(buf, ":", &save); tok != NULL;
	     tok = strtok_r(NULL, ":", &save)) {
		struct mlx4r_fault_sched *f;
		char *at = strchr(tok, '@');
		char *slash, *end;

		if (at == NULL || ra->nb_sched == MLX4R_FAULT_SCHED_MAX)
			goto bad;
		*at++ = '\0';
		f = &ra->sched[ra->nb_sched];
		slash = strchr(tok, '/');
		f->arg = 0;
		if (slash != NULL) {
			*slash++ = '\0';
			f->arg = strtoul(slash, &end, 10);
			if (*slash == '\0' || *end != '\0')
				goto bad;
		}
		if (mlx4r_fault_parse(tok, &f->fault) < 0)
			goto bad;
		f->at_ms = strtoul(at, &end, 10);
		if (*at == '\0' || *end != '\0')
			goto bad;
		ra->nb_sched++;
	}
	if (ra->nb_sched == 0)
		goto bad;
	return 0;
bad:
	INIT_LOG(ERR, "devarg fault=%s: expected <fault>[/<arg>]@<ms>[:...] (at most %u), faults: fatal, cmd_fail, cmd_timeout, reinit_fail, fw_reset_slow, link_flap, qp_error, lost_doorbell, reappear_slow",
		 value != NULL ? value : "", MLX4R_FAULT_SCHED_MAX);
	return -EINVAL;
}

/* Commands a cmd_fail/cmd_timeout fault hits: not open, not queries. */
#define MLX4R_FAULT_CMD_MASK (MLX4R_EMU_OP_ALL & \
	~(MLX4R_EMU_OP_OPEN | MLX4R_EMU_OP_QUERY | MLX4R_EMU_OP_QUERY_PORT))

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
